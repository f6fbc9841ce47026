"""An in-memory tracker that follows the connector contract, with the faults real trackers have.

It is the reference connector (docs/connectors.md walks through it), the tracker the engine's own
tests run on, and a `Backend` for the contract kit. Faults are armed on the `MemoryTracker` and
hit the next matching call: a create carried out whose answer is lost, rejected credentials, a
rate limit, a search that lags behind writes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pm_sync import clock
from pm_sync.document.model import ItemStatus
from pm_sync.errors import AmbiguousWriteError, AuthError, RateLimitedError
from pm_sync.testing.backend import Backend
from pm_sync.tracker import (
    Capabilities,
    Connector,
    ConnectorConfig,
    ConnectorContext,
    TicketChanges,
    TicketDraft,
    TicketFields,
    TicketRef,
    TicketState,
)

MAX_WAIT = 120.0
"""The longest rate-limit wait sat through, as the HTTP policy's default `max_wait`."""


@dataclass
class Ticket:
    key: str
    fields: TicketFields
    marker: str
    document: str
    description: str
    baseline: TicketFields | None
    created: float
    status: ItemStatus = ItemStatus.OPEN
    resolved: float | None = None


@dataclass
class MemoryTracker:
    """The tracker's side: tickets by key, moves, and the faults armed for the next calls."""

    prefix: str = "MEM"
    tickets: dict[str, Ticket] = field(default_factory=dict)
    moved: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    search_lag: float = 0.0
    lose_creates: int = 0
    reject: bool = False
    limited_for: float = 0.0
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # -------------------------------------------------------------- the tracker's own tools

    def close(self, key: str, status: ItemStatus = ItemStatus.DONE) -> None:
        ticket = self.tickets[self.current(key)]
        ticket.status, ticket.resolved = status, clock.now()

    def edit(self, key: str, **changes: object) -> None:
        ticket = self.tickets[self.current(key)]
        ticket.fields = ticket.fields.model_copy(update=changes)

    def move(self, key: str) -> str:
        old = self.current(key)
        new = f"{self.prefix}-{next(self._numbers)}"
        ticket = self.tickets.pop(old)
        ticket.key = new
        self.tickets[new] = ticket
        self.moved[old] = new
        return new

    def delete(self, key: str) -> None:
        self.tickets.pop(self.current(key), None)

    def current(self, key: str) -> str:
        while key in self.moved:
            key = self.moved[key]
        return key

    # -------------------------------------------------------------- what a request meets

    def request(self, write: bool) -> None:
        """Every call is one request; armed faults answer it first."""
        self.requests += 1
        if self.reject:
            raise AuthError(
                "the memory tracker rejected the credentials",
                hint="set MEMORY_TOKEN (trackers.memory.token_env)",
            )
        if self.limited_for > 0:
            wait, self.limited_for = self.limited_for, 0.0
            if wait > MAX_WAIT:
                raise RateLimitedError(
                    f"the memory tracker asks for a wait of {wait:.0f} s", hint="run again later"
                )
            clock.wait(wait, "the memory tracker's rate limit")

    def visible(self, ticket: Ticket) -> bool:
        return clock.now() >= ticket.created + self.search_lag


class MemoryConfig(ConnectorConfig):
    key_prefix: str = "MEM"


class MemoryConnector(Connector[MemoryConfig]):
    """Talks to one `MemoryTracker`: set `MemoryConnector.tracker` (tests give each run theirs)."""

    name = "memory"
    config_model = MemoryConfig
    capabilities = Capabilities(search_lag=True)
    tracker: MemoryTracker = MemoryTracker()

    def __init__(self, config: MemoryConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self._key = re.compile(rf"{re.escape(config.key_prefix)}-\d+")

    def parse_ref(self, ref: str) -> TicketRef | None:
        if self._key.fullmatch(ref):
            return TicketRef(key=ref, native=True)
        if ref in (self.config.key_prefix, f"{self.config.key_prefix}-?"):
            return TicketRef(key=None, project=self.config.key_prefix, native=True)
        return None

    def _state(self, ticket: Ticket) -> TicketState:
        f = ticket.fields
        return TicketState(
            key=ticket.key,
            action=f.action or "",
            status=ticket.status,
            priority=f.priority,
            owner=f.owner,
            due=f.due,
            marker=ticket.marker,
            document=ticket.document,
            baseline=ticket.baseline,
            created=dt.datetime.fromtimestamp(ticket.created, dt.UTC),
            resolved=dt.datetime.fromtimestamp(ticket.resolved, dt.UTC) if ticket.resolved else None,
        )

    def find(self, markers: Sequence[str], projects: Sequence[str]) -> list[TicketState]:
        self.tracker.request(write=False)
        wanted = set(markers)
        return [
            self._state(t)
            for t in self.tracker.tickets.values()
            if (t.marker in wanted or t.document in wanted) and self.tracker.visible(t)
        ]

    def read(self, keys: Sequence[str]) -> Mapping[str, TicketState | None]:
        self.tracker.request(write=False)
        out: dict[str, TicketState | None] = {}
        for key in keys:
            ticket = self.tracker.tickets.get(self.tracker.current(key))
            out[key] = self._state(ticket) if ticket is not None else None
        return out

    def create(self, draft: TicketDraft) -> TicketState:
        tracker = self.tracker
        tracker.request(write=True)
        key = f"{self.config.key_prefix}-{next(tracker._numbers)}"
        ticket = Ticket(
            key=key,
            fields=draft.fields().model_copy(update={"status": None}),
            marker=draft.marker,
            document=draft.document,
            description=draft.description,
            baseline=draft.fields(),
            created=clock.now(),
        )
        tracker.tickets[key] = ticket
        if tracker.lose_creates > 0:
            tracker.lose_creates -= 1
            raise AmbiguousWriteError("the memory tracker stored the ticket and lost the answer")
        return self._state(ticket)

    def update(self, key: str, changes: TicketChanges, baseline: TicketFields) -> None:
        self.tracker.request(write=True)
        ticket = self.tracker.tickets[self.tracker.current(key)]
        ticket.fields = ticket.fields.model_copy(update={n: getattr(changes, n) for n in changes.names()})
        ticket.baseline = baseline

    def owner_handle(self, identity: str) -> str | None:
        return identity if identity.startswith("@") else None


class MemoryBackend(Backend):
    """The contract kit's `Backend` for the in-memory tracker (and a model for writing one)."""

    def __init__(self, tracker: MemoryTracker | None = None) -> None:
        self.tracker = tracker or MemoryTracker()
        MemoryConnector.tracker = self.tracker

    def connector(self) -> MemoryConnector:
        context = ConnectorContext(env={}, root=Path.cwd())
        return MemoryConnector(MemoryConfig(), context)

    def count(self) -> int:
        return len(self.tracker.tickets)

    def project(self) -> str | None:
        return None

    def owner(self) -> str | None:
        return "@kit"

    def config(self) -> Mapping[str, object]:
        return {}

    def env(self) -> Mapping[str, str]:
        return {}

    def settle(self) -> None:
        if self.tracker.search_lag:
            clock.wait(self.tracker.search_lag, "the memory tracker's search to catch up")

    def lose_next_create_answer(self) -> None:
        self.tracker.lose_creates += 1

    def reject_credentials(self) -> None:
        self.tracker.reject = True

    def rate_limit(self, seconds: float) -> None:
        self.tracker.limited_for = seconds

    def move(self, key: str) -> str:
        return self.tracker.move(key)

    def delete(self, key: str) -> None:
        self.tracker.delete(key)

    def requests(self) -> int:
        return self.tracker.requests
