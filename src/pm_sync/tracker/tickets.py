"""What passes between the engine and a connector: tickets, drafts, changes, references.

One name per concept, on both sides of the seam: an item's `action` is its ticket's title, its
`owner` the ticket's assignee (in the tracker's identity), its `due` the ticket's due date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from pm_sync.document.model import ItemStatus, Priority


class Capabilities(BaseModel):
    """What a tracker can hold, so the engine reports a field it cannot sync instead of dropping
    it, and how far its marker lookups can be trusted right after a write."""

    model_config = ConfigDict(frozen=True)

    due_date: bool = True
    priority: bool = True
    owner: bool = True
    max_action: int = 255
    search_lag: bool = Field(
        default=False,
        description="marker lookups may miss tickets created moments ago (an eventually "
        "consistent search); a miss after an unanswered create then proves nothing",
    )


@dataclass(frozen=True)
class TicketRef:
    """A Ticket cell as a tracker reads it: a ticket key, or only a project to create in."""

    key: str | None
    project: str | None = None
    native: bool = False
    """The key is in this tracker's own project or prefix (wins over a mere shape match)."""


class TicketFields(BaseModel):
    """The fields pm-sync owns on a ticket, in the tracker's terms; also the reconcile baseline
    stored with the ticket."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    action: str | None = Field(default=None, validation_alias=AliasChoices("action", "summary"))
    priority: Priority | None = None
    owner: str | None = Field(default=None, validation_alias=AliasChoices("owner", "assignee"))
    due: dt.date | None = None
    status: ItemStatus | None = Field(
        default=None,
        description="the tracker's status when last synced (baseline only), so reconcile can "
        "tell a tracker-side status change from a document edit",
    )


class PostmortemRef(BaseModel):
    """The slice of a postmortem a ticket description mentions."""

    path: str
    title: str | None = None
    date: dt.date | None = None
    severity: str | None = None


class TicketDraft(BaseModel):
    """A ticket to create for one action item. The connector stores `marker`, `document` and
    `fields()` (the baseline) with the ticket, so the engine can find it again."""

    uid: str
    marker: str
    document: str
    line: int
    action: str
    description: str
    priority: Priority | None = None
    owner: str | None = None
    owner_handle: str | None = None
    due: dt.date | None = None
    labels: list[str] = Field(default_factory=list)
    project: str | None = None
    postmortem: PostmortemRef

    def fields(self) -> TicketFields:
        """The baseline of a new ticket: trackers create tickets open."""
        return TicketFields(
            action=self.action, priority=self.priority, owner=self.owner, due=self.due, status=ItemStatus.OPEN
        )


class TicketChanges(BaseModel):
    """A partial update: only the fields explicitly set are sent (None clears a field)."""

    action: str | None = None
    priority: Priority | None = None
    owner: str | None = None
    due: dt.date | None = None

    def names(self) -> set[str]:
        return set(self.model_fields_set)

    def is_empty(self) -> bool:
        return not self.model_fields_set


class TicketState(BaseModel):
    """What the tracker says about a ticket right now."""

    key: str
    url: str | None = None
    action: str = ""
    status: ItemStatus = ItemStatus.OPEN
    priority: Priority | None = None
    owner: str | None = None
    due: dt.date | None = None
    marker: str | None = None
    document: str | None = None
    baseline: TicketFields | None = None
    baseline_loaded: bool = Field(
        default=True,
        description="False when reading the baseline costs a request per ticket (Jira Data "
        "Center's search leaves it out); the engine then asks `load_baselines` only for the "
        "tickets whose fields differ from the document",
    )
    created: dt.datetime | None = None
    resolved: dt.datetime | None = None

    def fields(self) -> TicketFields:
        return TicketFields(
            action=self.action, priority=self.priority, owner=self.owner, due=self.due, status=self.status
        )


class OwnerResolution(BaseModel):
    """Document owners (`@alice`) to tracker identities; `unknown` says why one could not be found."""

    ids: dict[str, str] = Field(default_factory=dict)
    unknown: dict[str, str] = Field(default_factory=dict)
