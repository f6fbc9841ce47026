"""What the trackers said in this run, read in as few requests as possible: every marker and
every key of every postmortem in the run, batched per tracker, before any postmortem is planned.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pm_sync.diagnostics import Diagnostic, error
from pm_sync.errors import ConfigError, PmSyncError
from pm_sync.sync.routing import Trackers
from pm_sync.tracker.contract import Connector, ConnectorConfig
from pm_sync.tracker.http import reply_shape
from pm_sync.tracker.tickets import TicketState

_SAFE_KEY = re.compile(r"[\w#/.:@~+-]{1,200}", re.ASCII)


def safe_key(connector: Connector[ConnectorConfig], key: object, project: str | None) -> str | None:
    """The Ticket cell for a key a tracker answered with, or None when the key is not in the
    tracker's own grammar (a hostile or broken answer is never written into a document)."""
    if not isinstance(key, str) or not _SAFE_KEY.fullmatch(key):
        return None
    ref = connector.parse_ref(key)
    if ref is None or ref.key is None or ref.key.casefold() != key.casefold():
        return None
    display = connector.display_key(key, project)
    if not _SAFE_KEY.fullmatch(display):
        return None
    back = connector.parse_ref(display)
    return display if back is not None and back.key is not None else None


@dataclass
class Wants:
    """What one tracker must be asked in this run."""

    markers: set[str] = field(default_factory=set)
    projects: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)


class Book:
    def __init__(self) -> None:
        self._keys: dict[tuple[str, str], TicketState | None] = {}
        self._markers: dict[tuple[str, str], list[TicketState]] = defaultdict(list)
        self._documents: dict[tuple[str, str], list[TicketState]] = defaultdict(list)
        self._asked_markers: set[tuple[str, str]] = set()
        self.failed: dict[str, PmSyncError] = {}
        self.recovered: dict[str, TicketState] = {}
        self.rejected: dict[str, list[str]] = defaultdict(list)

    # ------------------------------------------------------------------ filling

    def fill(self, trackers: Trackers, wants: Mapping[str, Wants]) -> None:
        """Ask each tracker once for everything the run needs; a tracker that fails is noted,
        and every postmortem that uses it reports the failure."""
        for name, want in wants.items():
            try:
                connector = trackers.get(name)
                self.ask(name, connector, want)
            except ConfigError:
                raise
            except PmSyncError as exc:
                self.failed.setdefault(name, exc)

    def ask(self, name: str, connector: Connector[ConnectorConfig], want: Wants) -> None:
        markers = sorted(m for m in want.markers if (name, m) not in self._asked_markers)
        if markers:
            with reply_shape(name, "looking tickets up by their markers"):
                found = connector.find(markers, sorted(want.projects))
            self._asked_markers.update((name, m) for m in markers)
            self._add(name, connector, found)
        keys = sorted(k for k in want.keys if (name, k.casefold()) not in self._keys)
        if keys:
            with reply_shape(name, "reading tickets"):
                states = connector.read(keys)
            for key in keys:
                state = states.get(key)
                if state is not None and not self._valid(name, connector, state):
                    state = None
                self._keys[(name, key.casefold())] = state

    def _valid(self, name: str, connector: Connector[ConnectorConfig], state: TicketState) -> bool:
        if safe_key(connector, state.key, None) is None:
            self.rejected[name].append(repr(state.key)[:80])
            return False
        return True

    def _add(self, name: str, connector: Connector[ConnectorConfig], states: Iterable[TicketState]) -> None:
        for state in states:
            if not self._valid(name, connector, state):
                continue
            self._keys.setdefault((name, state.key.casefold()), state)
            if state.marker:
                bucket = self._markers[(name, state.marker)]
                if all(s.key.casefold() != state.key.casefold() for s in bucket):
                    bucket.append(state)
            if state.document:
                docs = self._documents[(name, state.document)]
                if all(s.key.casefold() != state.key.casefold() for s in docs):
                    docs.append(state)

    def add_states(
        self, name: str, connector: Connector[ConnectorConfig], states: Iterable[TicketState]
    ) -> None:
        self._add(name, connector, states)

    # ------------------------------------------------------------------ reading

    def known(self, name: str, key: str) -> bool:
        return (name, key.casefold()) in self._keys

    def state(self, name: str, key: str) -> TicketState | None:
        return self._keys.get((name, key.casefold()))

    def by_marker(self, name: str, marker: str) -> list[TicketState]:
        return sorted(self._markers.get((name, marker), []), key=_age)

    def by_document(self, name: str, document: str) -> list[TicketState]:
        return sorted(self._documents.get((name, document), []), key=_age)

    def problems(self, name: str, path: str) -> list[Diagnostic]:
        out = []
        if name in self.failed:
            exc = self.failed[name]
            where = f" ({exc.location})" if exc.path and exc.path != path else ""
            out.append(error("tracker-failed", exc.message + where, path=path, hint=exc.hint))
        for key in self.rejected.get(name, []):
            out.append(
                error(
                    "bad-key",
                    f"{name} answered with the key {key}, which is not a {name} key; "
                    "nothing was written for it",
                    path=path,
                    hint="check the tracker URL; a proxy or a broken server answers this way",
                )
            )
        return out


def oldest_first(states: list[TicketState]) -> list[TicketState]:
    """One entry per key, the oldest first: every run, from any clone, keeps the same one."""
    return sorted({s.key.casefold(): s for s in states}.values(), key=_age)


def _age(state: TicketState) -> tuple[float, int, str]:
    """Oldest first: by creation time where known, else by the key's number."""
    created = state.created.timestamp() if state.created else float("inf")
    digits = re.findall(r"\d+", state.key)
    return created, int(digits[-1]) if digits else 0, state.key
