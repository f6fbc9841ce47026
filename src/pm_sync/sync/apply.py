"""Carry out a plan: creates (with the engine's recovery), one write-back, then updates.

Order matters for crash safety: a kill after a create leaves a ticket whose marker the next run
finds; a kill after the write-back leaves keys in the file; updates are idempotent.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

from pm_sync import clock, failpoints
from pm_sync.diagnostics import error, from_exception, warning
from pm_sync.document.model import field_text
from pm_sync.document.parse import parse_source
from pm_sync.document.source import Source
from pm_sync.document.writeback import CellEdit, write_back
from pm_sync.errors import AmbiguousWriteError, BadResponseError, NotSentError, PmSyncError
from pm_sync.sync import recovery
from pm_sync.sync.adopt import match_edited
from pm_sync.sync.book import Book, safe_key
from pm_sync.sync.journal import Entry
from pm_sync.sync.plan import Create, Plan, Pull, Recover, Rekey, Update
from pm_sync.sync.result import Result
from pm_sync.sync.routing import Trackers
from pm_sync.tracker.contract import Connector, ConnectorConfig, Outcome
from pm_sync.tracker.http import reply_shape
from pm_sync.tracker.tickets import TicketDraft, TicketState

Created = list[tuple[TicketDraft, TicketState]]


def create_all(
    jobs: list[tuple[Plan, Result]], trackers: Trackers, book: Book | None = None
) -> list[Created]:
    """Every create of these plans, per tracker in one batch across all of them (a bulk API
    then takes 50 at a time whatever the postmortem), each draft's outcome reported on its own
    postmortem. Returns what each plan created. `book`: the tickets the run has read, so a
    create answered with one of their keys is known for an answer no tracker sends."""
    out: list[Created] = [[] for _ in jobs]
    by_tracker: dict[str, list[tuple[int, TicketDraft]]] = defaultdict(list)
    for n, (plan, _) in enumerate(jobs):
        if plan.blocked:
            continue
        for change in plan.changes:
            if isinstance(change, Create):
                by_tracker[change.tracker].append((n, change.draft))
    for tracker, pairs in by_tracker.items():
        owners = [jobs[n] for n, _ in pairs]
        done = _create(trackers.get(tracker), [d for _, d in pairs], owners, trackers=trackers, book=book)
        for k, state in done:
            n, draft = pairs[k]
            out[n].append((draft, state))
    return out


def apply_plan(
    plan: Plan, trackers: Trackers, book: Book, result: Result, created: Created | None = None
) -> None:
    """`created`: this plan's creates when `create_all` already sent them with other plans'."""
    if plan.blocked:
        return
    if created is None:
        created = create_all([(plan, result)], trackers, book)[0]
    edits: list[CellEdit] = []
    expected = {c.uid: c.expected for c in plan.changes if isinstance(c, Create)}
    made: dict[str, TicketState] = {}
    tracker_of = {id(c.draft): c.tracker for c in plan.changes if isinstance(c, Create)}
    for draft, state in created:
        tracker = tracker_of[id(draft)]
        connector = trackers.get(tracker)
        display = safe_key(connector, state.key, draft.project)
        if display is None:
            result.diagnostics.append(
                error(
                    "bad-key",
                    f"{tracker} answered the create with the key {state.key!r:.80}, which "
                    f"is not a {tracker} key; nothing was written",
                    path=plan.path,
                    line=draft.line,
                    hint="check the tracker URL; a proxy or a broken server answers this way",
                )
            )
            continue
        made[draft.uid] = state
        edits.append(CellEdit(draft.uid, "ticket", display, check=True, expected=expected.get(draft.uid)))
        result.created.append(display)
    for change in plan.changes:
        if isinstance(change, Recover):
            try:
                with reply_shape(change.tracker, f"finishing {change.display}"):
                    trackers.get(change.tracker).adopt(
                        book.state(change.tracker, change.key) or TicketState(key=change.key), change.draft
                    )
            except PmSyncError as exc:
                result.diagnostics.append(from_exception(exc, path=plan.path, line=change.line))
            edits.append(CellEdit(change.uid, "ticket", change.display, True, change.expected))
            result.recovered.append(change.display)
        elif isinstance(change, Rekey):
            edits.append(CellEdit(change.uid, "ticket", change.display, True, change.expected))
            result.moved.append({"from": change.old, "to": change.display})
        elif isinstance(change, Pull):
            edits.append(CellEdit(change.uid, change.field, change.value, True, change.expected))
    stale = _write(plan, edits, made, result)
    trackers.journal.clear(
        c.draft.marker
        for c in plan.changes
        if isinstance(c, Recover) or (isinstance(c, Create) and c.uid in made)
    )
    for change in plan.changes:
        if isinstance(change, Update):
            _update(change, stale, trackers, plan, result)


def _create(
    connector: Connector[ConnectorConfig],
    drafts: list[TicketDraft],
    owners: list[tuple[Plan, Result]],
    *,
    trackers: Trackers,
    book: Book | None = None,
) -> list[tuple[int, TicketState]]:
    """Send each create once; an unknown outcome is settled by the marker, never by resending.
    `owners[i]` is the plan and result `drafts[i]` belongs to; returns (index, ticket)."""
    tracker = connector.name
    trackers.journal.record(
        Entry(d.marker, tracker, owners[i][0].path, d.line, d.action, clock.now())
        for i, d in enumerate(drafts)
    )
    done: dict[int, TicketState] = {}
    reasons: dict[int, str] = {}
    todo = list(range(len(drafts)))
    for attempt in (1, 2):
        failpoints.hit("before-create")
        batch = [drafts[i] for i in todo]
        outcomes = _taken(connector, batch, _send(connector, batch), book)
        failpoints.hit("after-create")
        unknown: list[int] = []
        unsent: dict[int, list[tuple[int, PmSyncError]]] = {}  # per postmortem (owner index)
        causes: dict[int, int] = {}  # per postmortem: where its first failure was reported
        wait = 0.0
        for i, outcome in zip(todo, outcomes, strict=True):
            plan, result = owners[i]
            if isinstance(outcome, TicketState):
                done[i] = outcome
            elif isinstance(outcome, AmbiguousWriteError | BadResponseError):
                # no answer, or one the API never sends: the create may have happened
                unknown.append(i)
                reasons[i] = outcome.message
                wait = max(wait, float(getattr(outcome, "retry_after", 0.0) or 0.0))
            else:
                trackers.journal.clear([drafts[i].marker])  # refused or never sent: certainly not created
                if isinstance(outcome, NotSentError):
                    unsent.setdefault(id(result), []).append((i, outcome))
                    continue
                causes.setdefault(id(result), len(result.diagnostics))
                result.diagnostics.append(from_exception(outcome, path=plan.path, line=drafts[i].line))
        for key, rows in unsent.items():
            plan, result = owners[rows[0][0]]
            _fold_unsent(result, causes.get(key), [(drafts[i], exc) for i, exc in rows], plan)
        if not unknown:
            break
        found = _settle(connector, [drafts[i] for i in unknown], wait)
        if found is None:  # the look-up failed: an unknown outcome stays unknown, nothing resent
            _in_flight(drafts, owners, unknown, reasons, why=f"looking it up in {tracker} failed too")
            break
        for i in unknown:
            if drafts[i].marker in found:
                done[i] = found[drafts[i].marker]
        todo = [i for i in unknown if drafts[i].marker not in found]
        if not todo:
            break
        if connector.capabilities.search_lag or attempt == 2:
            _in_flight(drafts, owners, todo, reasons, why=f"{tracker} does not show its ticket yet")
            break
        trackers.journal.record(
            Entry(drafts[i].marker, tracker, owners[i][0].path, drafts[i].line, drafts[i].action, clock.now())
            for i in todo
        )
    return sorted(done.items())


def _fold_unsent(
    result: Result, cause: int | None, unsent: list[tuple[TicketDraft, PmSyncError]], plan: Plan
) -> None:
    """Rows never sent because of an earlier failure are named in that failure's error, so one
    outage reads as one error, not one per row. A postmortem whose rows all waited behind
    another postmortem's failure (creates are one batch across the run) gets that failure's
    words, from the first of them."""
    lines = ", ".join(str(d.line) for d, _ in unsent)
    note = f"; so the rows at line{'s' if len(unsent) > 1 else ''} {lines} were not sent either"
    if cause is None:
        first, exc = unsent[0]
        diag = from_exception(exc, code="not-sent", path=plan.path, line=first.line)
        result.diagnostics.append(replace(diag, message=diag.message + note))
        return
    first_diag = result.diagnostics[cause]
    result.diagnostics[cause] = replace(first_diag, message=first_diag.message + note)


def _in_flight(
    drafts: list[TicketDraft],
    owners: list[tuple[Plan, Result]],
    which: list[int],
    reasons: dict[int, str],
    *,
    why: str,
) -> None:
    for i in which:
        draft, (plan, result) = drafts[i], owners[i]
        reason = reasons.get(i, "no clear answer to the create")
        if len(reason) > 220:
            reason = reason[:219] + "…"
        result.diagnostics.append(
            error(
                "create-in-flight",
                f"{reason}; {why} (marker {draft.marker}), so pm-sync will not create it again "
                "until it shows up",
                path=plan.path,
                line=draft.line,
                hint="run again later; if you are sure it was never created, run again with --retry-lost",
            )
        )


def _send(connector: Connector[ConnectorConfig], drafts: list[TicketDraft]) -> list[Outcome]:
    try:
        with reply_shape(connector.name, "creating tickets"):
            outcomes = connector.create_batch(drafts)
    except PmSyncError as exc:
        return [exc for _ in drafts]
    if len(outcomes) != len(drafts):
        return [
            PmSyncError(f"{connector.name} returned {len(outcomes)} results for {len(drafts)} creates")
            for _ in drafts
        ]
    return outcomes


def _taken(
    connector: Connector[ConnectorConfig],
    drafts: list[TicketDraft],
    outcomes: list[Outcome],
    book: Book | None,
) -> list[Outcome]:
    """A create answered with a key it cannot have (one given to two creates, or a ticket the
    run read as another row's) is an answer no tracker sends: written, two rows would name one
    ticket and the one really made would be lost. Such creates are settled by their markers."""
    keys = Counter(str(o.key).casefold() for o in outcomes if isinstance(o, TicketState))
    out: list[Outcome] = []
    for draft, outcome in zip(drafts, outcomes, strict=True):
        # a key outside the tracker's grammar is refused where keys are written ("bad-key")
        if isinstance(outcome, TicketState) and safe_key(connector, outcome.key, None) is not None:
            key = str(outcome.key)
            known = book.state(connector.name, key) if book is not None else None
            if keys[key.casefold()] > 1 or (known is not None and known.marker != draft.marker):
                out.append(
                    BadResponseError(
                        f"{connector.name} answered the create with the key {key!r:.80}, "
                        "which belongs to another row"
                    )
                )
                continue
        out.append(outcome)
    return out


def _settle(
    connector: Connector[ConnectorConfig], drafts: list[TicketDraft], wait: float
) -> dict[str, TicketState] | None:
    """Where did the creates we have no answer to end up? Asked after the wait the tracker named
    (if any), then again with backoff for trackers whose search lags."""
    if 0 < wait <= 60:
        clock.wait(wait, f"{connector.name} asked to wait before looking up {len(drafts)} create(s)")
    markers = [d.marker for d in drafts]
    projects = sorted({d.project for d in drafts if d.project})
    try:
        with reply_shape(connector.name, "looking up the tickets of unanswered creates"):
            found = {s.marker: s for s in connector.find(markers, projects) if s.marker in markers}
        missing = [m for m in markers if m not in found]
        if missing:
            budget = recovery.recovery_wait(connector) if connector.capabilities.search_lag else 2.0
            with reply_shape(connector.name, "looking up the tickets of unanswered creates"):
                found.update(recovery.look_again(connector, missing, budget, projects))
    except PmSyncError:
        return None
    return found


def _write(
    plan: Plan, edits: list[CellEdit], made: dict[str, TicketState], result: Result
) -> set[tuple[str, str]]:
    stale: set[tuple[str, str]] = set()
    if not edits:
        return stale
    failpoints.hit("before-writeback")
    written = write_back(Path(plan.path), edits)
    for edit in written.stale:
        stale.add((edit.uid, edit.field))
        result.diagnostics.append(
            warning(
                "edited-meanwhile",
                f"the {edit.field} cell for {edit.value} was edited while pm-sync "
                "worked; the edit was kept and pm-sync's value not written (run again to sync)",
                path=plan.path,
            )
        )
    lost = [e for e in written.missing if e.field == "ticket"]
    if lost:
        _relocate(plan, lost, made, result)
    for edit in written.missing:
        if edit.field != "ticket":
            result.diagnostics.append(
                warning(
                    "row-gone",
                    f"the row for {edit.value} is gone from the file; its {edit.field} was not written back",
                    path=plan.path,
                )
            )
    failpoints.hit("after-writeback")
    return stale


def _relocate(plan: Plan, lost: list[CellEdit], made: dict[str, TicketState], result: Result) -> None:
    """Rows whose text someone edited while their tickets were being created: find them again by
    text and write the keys there (their titles follow on the next run)."""
    source = Source.read(plan.path)
    pm = parse_source(source)
    open_rows = [(i.uid, i.action or "") for i in pm.action_items if not field_text(i, "ticket")]
    tickets = [made[e.uid] if e.uid in made else TicketState(key=e.value, action="") for e in lost]
    by_key = {t.key.casefold(): e for t, e in zip(tickets, lost, strict=True)}
    moves = []
    for match in match_edited(open_rows, [t for t in tickets if t.action]):
        edit = by_key[match.state.key.casefold()]
        moves.append(CellEdit(match.uid, "ticket", edit.value, True, None))
    placed = write_back(Path(plan.path), moves).applied if moves else []
    placed_values = {e.value for e in placed}
    for edit in lost:
        if edit.value in placed_values:
            result.diagnostics.append(
                warning(
                    "row-edited",
                    f"the row of {edit.value} was edited while pm-sync created its ticket; "
                    "the key was written to the edited row (its title is updated on the next run)",
                    path=plan.path,
                )
            )
        else:
            result.diagnostics.append(
                warning(
                    "row-gone",
                    f"the row for {edit.value} is gone from the file; the ticket exists, and "
                    "the next run adopts it for an edited row or reports it as orphaned",
                    path=plan.path,
                )
            )


def _update(
    change: Update, stale: set[tuple[str, str]], trackers: Trackers, plan: Plan, result: Result
) -> None:
    update = _keep_baseline_for_unwritten_pulls(change, stale)
    if update.changes.is_empty() and update.baseline == update.previous:
        return
    failpoints.hit("before-update")
    try:
        with reply_shape(update.tracker, f"updating {update.display}"):
            trackers.get(update.tracker).update(update.key, update.changes, update.baseline)
    except PmSyncError as exc:
        result.diagnostics.append(from_exception(exc, path=plan.path, line=update.line))
        return
    if not update.changes.is_empty():
        result.updated.append(update.display)


def _keep_baseline_for_unwritten_pulls(change: Update, stale: set[tuple[str, str]]) -> Update:
    """A pull someone's edit blocked did not sync that field: its baseline stays as it was, so
    the next run sees both sides changed (a conflict) instead of silently picking one."""
    names = [f for uid, f in stale if uid == change.uid and f in ("action", "priority", "owner", "due")]
    if not names or change.previous is None:
        return change
    kept = {n: getattr(change.previous, n) for n in names}
    return change.model_copy(update={"baseline": change.baseline.model_copy(update=kept)})
