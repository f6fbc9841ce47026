"""The connector contract: the few things the engine needs from a tracker.

A connector reads Ticket cells (`parse_ref`), finds tickets by marker (`find`), reads tickets by
key (`read`), creates one ticket (`create`) and updates one (`update`). Everything else has a
default. The engine owns the rest: batching across files, recovery after a create whose answer
was lost, the unknown-owner policy, write-back. `docs/connectors.md` walks through writing one,
and `pm_sync.testing` checks a connector against this contract.

Rules a connector keeps (the contract kit checks each):
- `create` stores the draft's `marker`, `document` and `fields()` with the ticket, so `find`
  returns them (as `TicketState.marker`, `.document` and `.baseline`).
- `update` stores the baseline it is given.
- A write is never sent twice: when its outcome is unknown, raise `AmbiguousWriteError`.
- Credentials rejected → `AuthError`; rate limit too long to wait → `RateLimitedError`;
  the tracker refuses this one ticket's content → `RejectedError`. Any other failure is a
  `TrackerError`; a reply the API never sends is a `BadResponseError`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from pm_sync.diagnostics import Diagnostic
from pm_sync.errors import AmbiguousWriteError, NotSentError, PmSyncError, RejectedError
from pm_sync.tracker.tickets import (
    Capabilities,
    OwnerResolution,
    TicketChanges,
    TicketDraft,
    TicketFields,
    TicketRef,
    TicketState,
)


class ConnectorConfig(BaseModel):
    """Base for each tracker's `[trackers.NAME]` table; unknown keys are errors, not typos ignored."""

    model_config = ConfigDict(extra="forbid")

    project: str | None = None
    timeout: float = Field(default=30.0, gt=0, description="seconds to wait for an answer")
    connect_timeout: float = Field(default=5.0, gt=0, description="seconds to wait for a connection")
    max_wait: float = Field(default=120.0, ge=0, description="longest rate-limit wait sat through")
    attempts: int = Field(default=4, ge=1, le=10, description="tries of a request that is safe to repeat")
    recovery_wait: float = Field(
        default=10.0,
        ge=0,
        description="seconds to keep looking for a ticket whose create got no "
        "clear answer, on a tracker whose search lags",
    )


class ConnectorContext(BaseModel):
    """What a connector may use besides its config: the environment (for secrets), the project
    root (for files of its own), and the owner map."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    env: Mapping[str, str]
    root: Path
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


C = TypeVar("C", bound=ConnectorConfig)

Outcome = TicketState | PmSyncError
"""What became of one draft: the ticket, or why it was not created."""


class Connector(ABC, Generic[C]):
    """A tracker. Subclasses set `name`, `config_model` and `capabilities`."""

    name: ClassVar[str]
    config_model: ClassVar[type[ConnectorConfig]]
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, config: C, context: ConnectorContext) -> None:
        self.config = config
        self.context = context

    # ------------------------------------------------------------------ required

    @abstractmethod
    def parse_ref(self, ref: str) -> TicketRef | None:
        """What a Ticket cell names in this tracker: a key in its canonical spelling (a project
        hint such as `OPS-?` has `key=None`), or None when the cell is not this tracker's.

        Also the tracker's key grammar: a key the tracker answers with is written into a
        document only if `parse_ref` reads it back as itself.
        """

    @abstractmethod
    def find(self, markers: Sequence[str], projects: Sequence[str]) -> list[TicketState]:
        """Every ticket carrying any of `markers` (item or document markers), in one batched
        query where the tracker allows. `projects` are where this run creates tickets, for
        trackers that can only search one project at a time."""

    @abstractmethod
    def read(self, keys: Sequence[str]) -> Mapping[str, TicketState | None]:
        """The tickets `keys` name, in as few requests as the tracker allows, keyed as asked;
        None for a ticket that no longer exists. A moved ticket comes back under its new key."""

    @abstractmethod
    def create(self, draft: TicketDraft) -> TicketState:
        """Create one ticket carrying the draft's marker, document and baseline."""

    @abstractmethod
    def update(self, key: str, changes: TicketChanges, baseline: TicketFields) -> None:
        """Send only the fields set in `changes` (never the status) and store `baseline`."""

    # ------------------------------------------------------------------ optional

    def create_batch(self, drafts: Sequence[TicketDraft]) -> list[Outcome]:
        """Create many; override for trackers with a bulk API. The default creates one at a
        time and stops at the first failure that is not about the ticket itself (credentials,
        a rate limit, no connection), so one outage is not repeated for every row."""
        out: list[Outcome] = []
        for n, draft in enumerate(drafts):
            try:
                out.append(self.create(draft))
            except (RejectedError, AmbiguousWriteError) as exc:
                out.append(exc)  # about this ticket alone: the others may still go through
            except PmSyncError as exc:
                out.append(exc)
                out += [_not_tried(exc) for _ in drafts[n + 1 :]]
                break
        return out

    def display_key(self, key: str, project: str | None) -> str:
        """How a key is written in a Ticket cell (e.g. `#12` in the default repository)."""
        return key

    def resolve_owners(self, handles: Sequence[str], mapped: Mapping[str, str | None]) -> OwnerResolution:
        """Tracker identity per document owner; `mapped` holds each owner's `[owners]` entry
        for this tracker. The default takes the entry, else the handle as written."""
        return OwnerResolution(ids={h: (mapped.get(h) or h) for h in handles})

    def owner_handle(self, identity: str) -> str | None:
        """An Owner cell for a tracker identity that is not in the owner map, or None to leave
        the cell as it is. Only a plain handle (`@name`) is ever written."""
        return None

    def preflight(self, drafts: Sequence[TicketDraft]) -> list[Diagnostic]:
        """Every reason a create would fail, found before the first one is sent. A diagnostic
        with code `owner-unknown` follows the `unknown_owner` policy."""
        return []

    def doctor(self, owners: Sequence[str], projects: Sequence[str]) -> list[Diagnostic]:
        """`pm-sync doctor`: is the tracker reachable with these credentials, do the projects
        pm-sync creates in (`projects`) and the fields it sets exist, and does every document
        owner (`@alice`) map to someone tickets can be assigned to. One diagnostic per check:
        `info` when it passed, `error` with the fix as its hint when it failed. Never raises for
        a failed check, and never puts a secret in a message.

        The default asks an empty marker lookup and resolves the owners; a tracker that knows its
        API checks more."""
        from pm_sync.diagnostics import info
        from pm_sync.tracker.checks import owner_checks, step_failed

        try:
            self.find([], list(projects))
        except PmSyncError as exc:
            return [step_failed(exc, self.name, "reachable")]
        checks = [info(f"{self.name}-reachable", f"{self.name} answered a ticket lookup")]
        try:
            return checks + owner_checks(self, owners)
        except PmSyncError as exc:
            return [*checks, step_failed(exc, self.name, "owners")]

    def adopt(self, state: TicketState, draft: TicketDraft) -> None:
        """Finish a ticket found by its marker instead of being created (a run was interrupted
        after the create): trackers that create in several steps complete the rest here."""

    def load_baselines(self, keys: Sequence[str]) -> Mapping[str, TicketFields | None]:
        """Baselines `read` left out (`baseline_loaded=False`), for the few tickets that need one."""
        return {}

    def close(self) -> None:
        """Release clients and connections."""


def _not_tried(cause: PmSyncError) -> PmSyncError:
    """A draft never sent because an earlier one failed: certainly not created."""
    return NotSentError(
        f"not created: an earlier create failed ({cause.message})",
        path=cause.path,  # a file of the failure's own (a database) stays named
        hint=cause.hint or "run again once the tracker answers",
    )
