"""Carry out a plan through the connectors, then write the document side back."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from pm_sync import failpoints
from pm_sync.document.model import marker_of
from pm_sync.document.writeback import CellEdit, write_back
from pm_sync.errors import PmSyncError
from pm_sync.sync.compare import FIELD_COLUMN
from pm_sync.sync.outcome import Outcome
from pm_sync.sync.plan import Create, Plan, PlanError, Pull, Recover, Rekey, Update
from pm_sync.sync.routing import Trackers
from pm_sync.tracker.contract import TicketDraft


def apply_plan(plan: Plan, trackers: Trackers, outcome: Outcome) -> Outcome:
    """Creates first, then one write-back of every key, then updates; each step resumable."""
    if plan.errors:
        outcome.errors.extend(plan.errors)
        return outcome
    edits: list[CellEdit] = []
    by_tracker: dict[str, list[TicketDraft]] = defaultdict(list)
    for change in plan.changes:
        if isinstance(change, Create):
            by_tracker[change.tracker].append(change.draft)
    for tracker, drafts in by_tracker.items():
        connector = trackers.get(tracker)
        trackers.journal.record(d.marker for d in drafts)
        failpoints.hit("before-create")
        try:
            results = connector.create(drafts)
        except PmSyncError as exc:
            outcome.errors.append(_error(exc, plan.path))
            results = []
        failpoints.hit("after-create")
        expected = {c.uid: c.expected for c in plan.changes if isinstance(c, Create)}
        project = {d.uid: d.project for d in drafts}
        lines = {d.uid: d.line for d in drafts}
        for result in results:
            if result.state is not None:
                display = connector.display_key(result.state.key, project.get(result.uid))
                edits.append(
                    CellEdit(result.uid, "ticket", display, check=True, expected=expected.get(result.uid))
                )
                outcome.created.append(display)
            elif result.error is not None:
                err = _error(result.error, plan.path)
                outcome.errors.append(err.model_copy(update={"line": err.line or lines.get(result.uid)}))
    for change in plan.changes:
        if isinstance(change, Recover):
            if change.draft is not None:
                try:
                    trackers.get(change.tracker).adopt(change.key, change.draft)
                except PmSyncError as exc:
                    outcome.errors.append(_error(exc, plan.path, change.line))
            edits.append(CellEdit(change.uid, "ticket", change.display, True, change.expected))
            outcome.recovered.append(change.display)
        elif isinstance(change, Rekey):
            edits.append(CellEdit(change.uid, "ticket", change.display, True, change.expected))
            outcome.moved.append({"from": change.old, "to": change.display})
        elif isinstance(change, Pull):
            edits.append(CellEdit(change.uid, change.field, change.value, True, change.expected))
    stale: set[tuple[str, str]] = set()
    if edits:
        failpoints.hit("before-writeback")
        written = write_back(Path(plan.path), edits)
        for edit in written.stale:
            stale.add((edit.uid, edit.field))
            outcome.warnings.append(
                f"{plan.path}: the {edit.field} cell for {edit.value} was edited while pm-sync "
                "worked; the edit was kept and pm-sync's value not written (run again to sync)"
            )
        for edit in written.missing:
            outcome.warnings.append(
                f"{plan.path}: row for {edit.value} is gone from the file; its {edit.field} "
                "was not written back (the ticket exists; pm-sync will find it by its marker)"
            )
        failpoints.hit("after-writeback")
    trackers.journal.clear(marker_of(c.uid) for c in plan.changes if isinstance(c, Create | Recover))
    for planned in plan.changes:
        if not isinstance(planned, Update):
            continue
        update = _keep_baseline_for_unwritten_pulls(planned, stale)
        if update.changes.is_empty() and update.baseline == update.previous:
            continue
        failpoints.hit("before-update")
        try:
            trackers.get(update.tracker).update(update.key, update.changes, update.baseline)
        except PmSyncError as exc:
            outcome.errors.append(_error(exc, plan.path, update.line))
            continue
        if not update.changes.is_empty():
            outcome.updated.append(update.display)
    return outcome


_COLUMN_FIELD = {column: name for name, column in FIELD_COLUMN.items()}


def _keep_baseline_for_unwritten_pulls(change: Update, stale: set[tuple[str, str]]) -> Update:
    """A pull someone's edit blocked did not sync that field: its baseline stays as it was, so
    the next run sees both sides changed (a conflict) instead of silently picking one."""
    names = [_COLUMN_FIELD[f] for uid, f in stale if uid == change.uid and f in _COLUMN_FIELD]
    if not names or change.previous is None:
        return change
    kept = {n: getattr(change.previous, n) for n in names}
    return change.model_copy(update={"baseline": change.baseline.model_copy(update=kept)})


def _error(exc: PmSyncError, path: str, line: int | None = None) -> PlanError:
    return PlanError(path=exc.path or path, line=exc.line or line, message=exc.message, hint=exc.hint)
