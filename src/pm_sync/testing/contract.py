"""The contract kit: the behaviour the engine relies on, checked against any connector.

A connector author subclasses `ConnectorContract` in their test suite and gives it a `backend`
fixture: a `Backend` that makes their connector and plays their tracker's faults. pytest then
runs every check below; a fault the backend cannot play (`NotImplementedError`) skips its checks.

    class TestMyTracker(ConnectorContract):
        @pytest.fixture
        def backend(self, tmp_path):
            return MyBackend(tmp_path)

See docs/connectors.md for a walk-through.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pm_sync import clock
from pm_sync.document.model import ItemStatus, Priority
from pm_sync.errors import AmbiguousWriteError, AuthError, PmSyncError, RateLimitedError
from pm_sync.testing.backend import Backend
from pm_sync.tracker import PostmortemRef, TicketChanges, TicketDraft, TicketState

KitClock = clock.SkipClock
"""The kit's clock: rate limits and search lag cost no real time."""


def draft(
    backend: Backend, n: int = 1, *, run: str | None = None, document: str | None = None
) -> TicketDraft:
    """A ticket to create, with markers no other test shares."""
    run = run or secrets.token_hex(6)
    return TicketDraft(
        uid=f"{run}{n:02d}",
        marker=f"pm-sync-{run[:10]}{n:02d}",
        document=document or f"pm-sync-doc-{run}",
        line=10 + n,
        action=f"Contract kit item {n} ({run})",
        description="Created by the pm-sync contract kit.",
        priority=Priority.P1,
        owner=backend.owner(),
        owner_handle="@kit",
        due=dt.date(2030, 1, n if n <= 28 else 1),
        labels=[],
        project=backend.project(),
        postmortem=PostmortemRef(path="postmortem-contract-kit.md", title="Contract kit"),
    )


def _skip_unless(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except NotImplementedError:
        pytest.skip(f"the backend cannot play {fn.__name__}")


class ConnectorContract:
    """Every check the engine relies on. Subclass it with a `backend` fixture."""

    @pytest.fixture
    def backend(self) -> Backend:  # pragma: no cover - overridden by every user
        raise NotImplementedError("give your ConnectorContract subclass a `backend` fixture")

    @pytest.fixture(autouse=True)
    def _kit_clock(self) -> Iterator[KitClock]:
        kit = KitClock()
        with clock.using(kit, announce=lambda _line: None):
            yield kit

    # -------------------------------------------------------------- keys

    def test_parse_ref_reads_its_own_keys_and_nothing_else(self, backend: Backend) -> None:
        connector = backend.connector()
        state = connector.create(draft(backend))
        ref = connector.parse_ref(state.key)
        assert ref is not None and ref.key is not None, f"parse_ref({state.key!r}) must read the key back"
        assert ref.key.casefold() == state.key.casefold()
        shown = connector.display_key(state.key, backend.project())
        back = connector.parse_ref(shown)
        assert back is not None and back.key is not None, (
            f"display_key gave {shown!r}, which parse_ref refuses"
        )
        for junk in ("", "not a ticket at all", "OPS-1\n## Injected", "<img src=x onerror=alert(1)>"):
            claim = connector.parse_ref(junk)
            assert claim is None or claim.key is None, f"parse_ref({junk!r}) must not read a key"

    # -------------------------------------------------------------- creating and finding

    def test_create_stores_the_markers_and_the_baseline(self, backend: Backend) -> None:
        connector = backend.connector()
        d = draft(backend)
        state = connector.create(d)
        assert state.key
        backend.settle()
        [found] = [s for s in connector.find([d.marker], [p for p in [backend.project()] if p])]
        assert found.key.casefold() == state.key.casefold()
        assert found.marker == d.marker, "find must return the draft's marker as TicketState.marker"
        assert found.document == d.document, "find must return the document marker as .document"
        baseline = found.baseline
        if not found.baseline_loaded:
            baseline = connector.load_baselines([found.key]).get(found.key)
        assert baseline == d.fields(), "the draft's fields() must come back as the baseline"
        assert found.action == d.action and found.priority == d.priority and found.due == d.due

    def test_find_by_document_marker_returns_every_ticket_of_a_postmortem(self, backend: Backend) -> None:
        connector = backend.connector()
        run = secrets.token_hex(6)
        drafts = [draft(backend, n, run=run) for n in (1, 2, 3)]
        keys = {connector.create(d).key.casefold() for d in drafts}
        backend.settle()
        found = connector.find([drafts[0].document], [p for p in [backend.project()] if p])
        assert {s.key.casefold() for s in found} == keys
        assert connector.find([f"pm-sync-{secrets.token_hex(6)}"], []) == []

    def test_create_batch_answers_each_draft_in_order(self, backend: Backend) -> None:
        connector = backend.connector()
        run = secrets.token_hex(6)
        drafts = [draft(backend, n, run=run) for n in (1, 2, 3)]
        outcomes = connector.create_batch(drafts)
        assert len(outcomes) == 3 and all(isinstance(o, TicketState) for o in outcomes), outcomes
        assert backend.count() == 3

    # -------------------------------------------------------------- reading

    def test_read_answers_every_key_asked_in_few_requests(self, backend: Backend) -> None:
        connector = backend.connector()
        run = secrets.token_hex(6)
        keys = [connector.create(draft(backend, n, run=run)).key for n in range(1, 6)]
        backend.settle()
        before = _skip_unless(backend.requests)
        states = connector.read(keys)
        assert set(states) == set(keys), "read must answer under the keys it was asked"
        assert all(states[k] is not None for k in keys)
        assert _skip_unless(backend.requests) - before <= 2, "five keys must be read in one batch"

    def test_a_deleted_ticket_reads_as_none(self, backend: Backend) -> None:
        connector = backend.connector()
        state = connector.create(draft(backend))
        _skip_unless(backend.delete, state.key)
        assert backend.connector().read([state.key]) == {state.key: None}

    def test_a_moved_ticket_is_read_under_its_new_key(self, backend: Backend) -> None:
        connector = backend.connector()
        state = connector.create(draft(backend))
        new = _skip_unless(backend.move, state.key)
        [(asked, moved)] = backend.connector().read([state.key]).items()
        assert asked == state.key and moved is not None
        assert moved.key.casefold() == new.casefold(), "a moved ticket comes back under its new key"

    # -------------------------------------------------------------- updating

    def test_update_changes_only_the_given_fields_and_stores_the_baseline(self, backend: Backend) -> None:
        connector = backend.connector()
        d = draft(backend)
        key = connector.create(d).key
        baseline = d.fields().model_copy(update={"priority": Priority.P0, "status": ItemStatus.OPEN})
        connector.update(key, TicketChanges(priority=Priority.P0), baseline)
        backend.settle()
        fresh = backend.connector()
        state = fresh.read([key])[key]
        assert state is not None and state.priority is Priority.P0
        assert state.action == d.action and state.due == d.due, "fields not in the changes stay"
        stored = state.baseline if state.baseline_loaded else fresh.load_baselines([key]).get(key)
        assert stored == baseline, "update must store the baseline it is given"

    # -------------------------------------------------------------- faults

    def test_a_create_whose_answer_is_lost_is_ambiguous_and_never_sent_twice(self, backend: Backend) -> None:
        connector = backend.connector()
        d = draft(backend)
        _skip_unless(backend.lose_next_create_answer)
        with pytest.raises(AmbiguousWriteError):
            connector.create(d)
        assert backend.count() == 1, "a create whose outcome is unknown must not be sent again"
        backend.settle()
        found = backend.connector().find([d.marker], [p for p in [backend.project()] if p])
        assert [s.marker for s in found] == [d.marker], "the ticket must be found by its marker"

    def test_rejected_credentials_are_an_auth_error(self, backend: Backend) -> None:
        _skip_unless(backend.reject_credentials)
        connector = backend.connector()
        with pytest.raises(AuthError):
            connector.find([f"pm-sync-{secrets.token_hex(6)}"], [])
        outcomes = connector.create_batch([draft(backend, n) for n in (1, 2, 3)])
        assert all(isinstance(o, PmSyncError) for o in outcomes)
        assert isinstance(outcomes[0], AuthError)
        assert backend.count() == 0

    def test_a_long_rate_limit_is_a_rate_limited_error(self, backend: Backend) -> None:
        _skip_unless(backend.rate_limit, 3 * 3600)
        with pytest.raises(RateLimitedError):
            backend.connector().find([f"pm-sync-{secrets.token_hex(6)}"], [])

    def test_a_short_rate_limit_is_waited_out(self, backend: Backend, _kit_clock: KitClock) -> None:
        _skip_unless(backend.rate_limit, 2)
        assert backend.connector().find([f"pm-sync-{secrets.token_hex(6)}"], []) == []
        assert _kit_clock.slept and _kit_clock.slept[0] >= 2, "the wait goes through pm_sync.clock"

    # -------------------------------------------------------------- through the engine

    def test_push_reconcile_and_overdue_through_the_engine(self, backend: Backend, tmp_path: Path) -> None:
        from pm_sync.config import Config
        from pm_sync.reports.overdue import overdue_report
        from pm_sync.sync.push import push
        from pm_sync.sync.reconcile import reconcile
        from pm_sync.tracker.registry import registered

        table = dict(_skip_unless(backend.config))
        cls = type(backend.connector())
        doc = tmp_path / "postmortem-2024-01-15-kit.md"
        doc.write_text(_POSTMORTEM.format(run=secrets.token_hex(4)), encoding="utf-8")
        config = Config.model_validate({"tracker": cls.name, "trackers": {cls.name: table}})
        config.base_dir = tmp_path
        env = dict(backend.env())
        with registered(cls.name, cls):
            [pushed] = push([str(doc)], config=config, env=env)
            assert pushed.ok, [str(d) for d in pushed.errors]
            assert len(pushed.created) == 2 and backend.count() == 2
            backend.settle()
            [again] = push([str(doc)], config=config, env=env)
            assert again.ok and again.created == [] and backend.count() == 2
            [merged] = reconcile([str(doc)], config=config, env=env)
            assert merged.ok, [str(d) for d in merged.errors]
            report = overdue_report([str(doc)], config=config, env=env, as_of=dt.date(2024, 3, 1))
            assert [r.ticket for r in report.overdue] == pushed.created[:1]
        text = doc.read_text(encoding="utf-8")
        assert all(key in text for key in pushed.created)


_POSTMORTEM = """# Postmortem: Contract kit {run}

**Date**: 2024-01-15 | **Severity**: SEV2 | **Duration**: 30 min
**Authors**: @kit | **Status**: Final

## Action items

| Priority | Action | Owner | Due | Ticket |
|---|---|---|---|---|
| P0 | Kit action one {run} | - | 2024-01-22 | |
| P3 | Kit action two {run} | - | 2024-02-22 | |
"""
