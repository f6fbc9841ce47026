"""The connector seam: what the engine needs from any tracker, and how trackers are found.

Built-in trackers register through the `pm_sync.connectors` entry-point group exactly as a
third-party package would, so the engine never special-cases one of them.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from pm_sync.document.model import ItemStatus, Priority
from pm_sync.errors import ConfigError, PmSyncError

ENTRY_POINT_GROUP = "pm_sync.connectors"


class Capabilities(BaseModel):
    """What a tracker can hold, so the engine reports a field it cannot sync instead of dropping it."""

    model_config = ConfigDict(frozen=True)

    due_date: bool = True
    priority: bool = True
    assignee: bool = True
    bulk_create: bool = False
    max_summary: int = 255
    search_lag: bool = Field(default=False, description="marker lookups may miss tickets created moments ago")


class ConnectorConfig(BaseModel):
    """Base for each tracker's `[trackers.NAME]` table; unknown keys are errors, not typos ignored."""

    model_config = ConfigDict(extra="forbid")

    project: str | None = None


class PostmortemRef(BaseModel):
    """The slice of a postmortem a ticket description mentions."""

    path: str
    title: str | None = None
    date: dt.date | None = None
    severity: str | None = None


class TicketFields(BaseModel):
    """The fields pm-sync owns on a ticket, in the tracker's terms; also the reconcile baseline."""

    model_config = ConfigDict(frozen=True)

    summary: str | None = None
    priority: Priority | None = None
    assignee: str | None = None
    due: dt.date | None = None
    status: ItemStatus | None = Field(
        default=None,
        description="the tracker's status when last synced (baseline only), so "
        "reconcile can tell a tracker-side status change from a document edit",
    )


class TicketDraft(BaseModel):
    """A ticket to create for one action item."""

    uid: str
    marker: str
    line: int
    action: str
    summary: str
    description: str
    priority: Priority | None = None
    owner: str | None = None
    assignee: str | None = None
    due: dt.date | None = None
    labels: list[str] = Field(default_factory=list)
    project: str | None = None
    postmortem: PostmortemRef

    def owned(self) -> TicketFields:
        """The baseline of a new ticket: trackers create tickets open."""
        return TicketFields(
            summary=self.summary,
            priority=self.priority,
            assignee=self.assignee,
            due=self.due,
            status=ItemStatus.OPEN,
        )


class TicketChanges(BaseModel):
    """A partial update: only the fields explicitly set are sent (None clears a field)."""

    summary: str | None = None
    priority: Priority | None = None
    assignee: str | None = None
    due: dt.date | None = None

    def is_empty(self) -> bool:
        return not self.model_fields_set


class TicketState(BaseModel):
    """What the tracker says about a ticket right now."""

    key: str
    url: str | None = None
    summary: str = ""
    status: ItemStatus = ItemStatus.OPEN
    priority: Priority | None = None
    assignee: str | None = None
    due: dt.date | None = None
    marker: str | None = None
    baseline: TicketFields | None = None
    requested_key: str | None = Field(
        default=None, description="the key we asked for, when the tracker answered under another"
    )

    def owned(self) -> TicketFields:
        return TicketFields(
            summary=self.summary,
            priority=self.priority,
            assignee=self.assignee,
            due=self.due,
            status=self.status,
        )

    @property
    def moved(self) -> bool:
        return self.requested_key is not None and self.requested_key != self.key


class CreateResult(BaseModel):
    """Outcome of creating one draft: a ticket, or an error that names the row."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    uid: str
    state: TicketState | None = None
    error: PmSyncError | None = None


class DraftProblem(BaseModel):
    """Found before anything is created; `kind="owner"` is subject to the unknown-owner policy."""

    uid: str
    message: str
    kind: str = "field"


class OwnerResolution(BaseModel):
    """Document owners (`@alice`) to tracker identities; `unknown` says why one could not be found."""

    ids: dict[str, str] = Field(default_factory=dict)
    unknown: dict[str, str] = Field(default_factory=dict)


class ConnectorContext(BaseModel):
    """What a connector may use besides its config: the environment (for secrets) and the base dir."""

    model_config = ConfigDict(frozen=True)

    env: Mapping[str, str]
    base_dir: Path
    config_path: str | None = None
    owners: Mapping[str, Mapping[str, str]] = Field(default_factory=dict)

    def owner_entry(self, handle: str) -> Mapping[str, str]:
        """The whole `[owners]` entry (e.g. its `email`); `@alice` and `Alice` are one person."""
        return find_owner_entry(self.owners, handle)


def find_owner_entry(owners: Mapping[str, Mapping[str, str]], handle: str) -> Mapping[str, str]:
    want = handle.strip().lstrip("@").casefold()
    for name, entry in owners.items():
        if name.strip().lstrip("@").casefold() == want:
            return entry
    return {}


class Connector(ABC):
    """A tracker. Subclasses set `name`, `config_model` and `capabilities`."""

    name: ClassVar[str]
    config_model: ClassVar[type[ConnectorConfig]]
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, config: ConnectorConfig, context: ConnectorContext) -> None:
        self.config = config
        self.context = context

    def owns_key(self, key: str) -> bool:
        """Whether an existing ticket reference belongs to this tracker (routing by prefix)."""
        return True

    def is_native_key(self, key: str) -> bool:
        """A specific claim (the key is in this tracker's own project or prefix), which wins
        over another tracker that merely recognises the key's shape."""
        return self.owns_key(key)

    def canonical_key(self, ref: str, project: str | None) -> str:
        """The tracker's own spelling of a reference written in a table (e.g. `#12`)."""
        return ref

    def display_key(self, key: str, project: str | None) -> str:
        """How a key is written back into the table."""
        return key

    def is_project_hint(self, ref: str) -> str | None:
        """A ticket cell holding only a project (like `OPS` or `OPS-?`) routes the item there."""
        return None

    def resolve_owners(self, handles: Sequence[str], mapped: Mapping[str, str | None]) -> OwnerResolution:
        """Tracker identity per owner; `mapped` holds the owner map's entry for this tracker."""
        return OwnerResolution(ids={h: mapped.get(h) or h for h in handles})

    def owner_handle(self, assignee: str) -> str:
        """How a tracker identity is written in an Owner cell when it is not in the owner map."""
        return assignee

    def preflight(self, drafts: Sequence[TicketDraft]) -> list[DraftProblem]:
        """Check everything that would make a create fail, before the first one is sent."""
        return []

    @abstractmethod
    def find_by_markers(self, markers: Sequence[str], project: str | None) -> dict[str, TicketState]:
        """Tickets an earlier (maybe interrupted) run created, by marker, in one batched query."""

    @abstractmethod
    def read(self, keys: Sequence[str]) -> dict[str, TicketState | None]:
        """Current state of many tickets in as few requests as the tracker allows; None = gone."""

    @abstractmethod
    def create(self, drafts: Sequence[TicketDraft]) -> list[CreateResult]:
        """Create tickets; each carries its draft's marker and the draft's owned fields as baseline."""

    @abstractmethod
    def update(self, key: str, changes: TicketChanges, baseline: TicketFields) -> TicketState:
        """Send only the changed fields and record the new baseline with the ticket."""

    def adopt(self, key: str, draft: TicketDraft) -> None:  # noqa: B027 - optional hook
        """Finish what an interrupted create left undone on a ticket found by its marker
        (e.g. adding it to a project board); most trackers create in one step."""

    def close(self) -> None:  # noqa: B027 - optional hook, most connectors hold nothing
        """Release clients and connections."""


def look_again(
    lookup: Callable[[list[str]], Mapping[str, TicketState]],
    missing: Sequence[str],
    budget: float,
    sleep: Callable[[float], object],
) -> dict[str, TicketState]:
    """Ask again for markers a lagging search may not show yet: pauses of 0.5, 1, 2, … s,
    `budget` seconds in all. Returns what turned up."""
    found: dict[str, TicketState] = {}
    pending = list(missing)
    delay, waited = 0.5, 0.0
    while pending and waited < budget:
        pause = min(delay, budget - waited)
        sleep(pause)
        waited += pause
        delay *= 2
        found.update(lookup(pending))
        pending = [m for m in pending if m not in found]
    return found


def available_connectors() -> dict[str, type[Connector]]:
    """Installed trackers that import cleanly (a broken plugin is reported when it is used)."""
    found: dict[str, type[Connector]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found.setdefault(ep.name, load_connector(ep.name))
        except ConfigError:
            continue
    return found


def load_connector(name: str) -> type[Connector]:
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=name):
        try:
            cls = ep.load()
        except ImportError as exc:
            raise ConfigError(
                f"tracker {name!r} is registered by {ep.value!r} but cannot be imported: {exc}",
                hint="reinstall the package that provides it",
            ) from exc
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise ConfigError(
                f"entry point {ep.value!r} for tracker {name!r} is not a pm_sync Connector",
                hint="check the plugin package that registers it",
            )
        return cls
    names = ", ".join(sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)))
    raise ConfigError(
        f"unknown tracker {name!r}",
        hint=f"use one of: {names or 'none installed'}, or install a plugin that provides it",
    )
