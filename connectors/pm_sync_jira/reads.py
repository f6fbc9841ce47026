"""Jira reads: batched JQL searches for markers and keys, and the baseline GETs Data Center needs.

A mixin of `JiraConnector`, kept apart so the connector class reads as the contract it fills:
markers are `labels in (...)` queries, keys `key in (...)`, at most 100 values a request and up
to `READERS` requests in flight; a key JQL no longer resolves (deleted, or moved before this
Jira's JQL followed moves) is read with a direct GET, which follows the move.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from jira import JIRAError

from pm_sync.errors import NotFoundError
from pm_sync.tracker import TicketFields, TicketState
from pm_sync.tracker.http import require
from pm_sync_jira.client import JiraClient, unknown_keys
from pm_sync_jira.config import JiraConfig
from pm_sync_jira.fields import PROPERTY, READ_FIELDS, Mapper, read_baseline

BATCH = 100  # values per JQL `in (...)` list
READERS = 4
"""Searches in flight at once: Jira's limits are per-tenant request rates (no concurrency cap is
documented), so a few overlapping reads only hide the network's latency."""
T = TypeVar("T")
R = TypeVar("R")


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _jql_list(values: Sequence[str]) -> str:
    return ", ".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)


class JiraReads(ABC):
    """`find`, `read` and `load_baselines` of the Jira connector."""

    config: JiraConfig
    client: JiraClient
    _unloaded: dict[str, TicketState]
    """states read without their baseline, by key"""

    @property
    @abstractmethod
    def mapper(self) -> Mapper: ...

    def _each(self, fn: Callable[[T], R], batches: list[T]) -> list[R]:
        """`fn` over the batches, up to READERS at a time, results in the batches' order."""
        if len(batches) < 2:
            return [fn(b) for b in batches]
        self.mapper  # noqa: B018 - connect (and learn the deployment) once, before the threads
        with ThreadPoolExecutor(max_workers=min(READERS, len(batches))) as pool:
            return list(pool.map(fn, batches))

    def find(self, markers: Sequence[str], projects: Sequence[str]) -> list[TicketState]:
        """One `labels in (...)` query per 100 markers, across projects (a ticket may have moved)."""
        found: dict[str, TicketState] = {}
        what = "look up tickets by their pm-sync marker"

        def search(batch: list[str]) -> list[TicketState]:
            jql = f"labels in ({_jql_list(batch)}) ORDER BY created ASC"
            asked = set(batch)
            states = []
            with self.client.errors(what):
                for page in self.client.pages(jql, READ_FIELDS, PROPERTY, what):
                    for issue in page:
                        state = self.mapper.state(issue, url=self.config.url)
                        require(  # an answer that drops the very label asked for would hide a ticket
                            state.marker in asked or state.document in asked,
                            "Jira",
                            what,
                            f"{state.key[:40]!r} without the marker it was found by",
                        )
                        states.append(state)
            return states

        for states in self._each(search, list(chunks(list(dict.fromkeys(markers)), BATCH))):
            for state in states:
                found.setdefault(state.key, state)
        self._note_unloaded(found.values())
        return list(found.values())

    def _note_unloaded(self, states: Iterable[TicketState | None]) -> None:
        for state in states:
            if state is not None and not state.baseline_loaded:
                self._unloaded[state.key] = state

    def read(self, keys: Sequence[str]) -> Mapping[str, TicketState | None]:
        wanted = list(dict.fromkeys(k.strip().upper() for k in keys))
        states: dict[str, TicketState | None] = {}
        for part in self._each(self._read_batch, list(chunks(wanted, BATCH))):
            states.update(part)
        self._note_unloaded(states.values())
        return {k: states.get(k.strip().upper()) for k in keys}

    def _read_batch(self, batch: list[str]) -> dict[str, TicketState | None]:
        out: dict[str, TicketState | None] = {}
        remaining = list(batch)
        issues: list[dict[str, Any]] = []
        while remaining:
            gone: set[str] = set()
            with self.client.errors("read tickets"):
                try:
                    issues = self.client.search(
                        f"key in ({_jql_list(remaining)})", READ_FIELDS, PROPERTY, "read tickets"
                    )
                except JIRAError as exc:
                    if exc.status_code == 400:
                        gone = unknown_keys(exc) & set(remaining)
                    if not gone:
                        raise
            if not gone:
                break
            for key in gone:  # deleted, or an old key this Jira's JQL does not resolve
                out[key] = self._get(key)
            remaining = [k for k in remaining if k not in gone]
        by_key = {str(i.get("key", "")).upper(): i for i in issues}
        unmatched = [k for k in remaining if k not in by_key]
        extras = [i for k, i in by_key.items() if k not in remaining]
        if len(unmatched) == 1 and len(extras) == 1:  # one moved issue, answered under its new key
            by_key[unmatched[0]] = extras[0]
        for key in remaining:
            issue = by_key.get(key)
            out[key] = self.mapper.state(issue, url=self.config.url) if issue else self._get(key)
        return out

    def _get(self, key: str) -> TicketState | None:
        """A direct GET: Jira follows a moved issue's old key there, unlike in JQL."""
        issue = self.client.call(
            self.client.get_issue, key, READ_FIELDS, PROPERTY, what=f"read {key}", key=key
        )
        return None if issue is None else self.mapper.state(issue, url=self.config.url)

    def load_baselines(self, keys: Sequence[str]) -> Mapping[str, TicketFields | None]:
        """Data Center's search leaves properties out: one GET per ticket that needs its baseline."""
        out: dict[str, TicketFields | None] = {}
        for key in keys:
            try:
                value = self.client.call(
                    self.client.get_json,
                    f"issue/{key}/properties/{PROPERTY}",
                    what=f"read pm-sync's baseline on {key}",
                    key=key,
                )
            except NotFoundError:
                value = None
            baseline = (
                read_baseline({"properties": {PROPERTY: value.get("value")}})
                if isinstance(value, dict)
                else None
            )
            state = self._unloaded.pop(key, None)
            if state is not None and baseline is not None and baseline.priority is None:
                # as `Mapper.state` does when the search carries the baseline: a row without a
                # priority leaves Jira's default alone
                object.__setattr__(state, "priority", None)
            out[key] = baseline
        return out
