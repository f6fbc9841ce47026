"""Compare a postmortem with its tickets and compute the plan. Reads only what the run's `Book`
holds (the trackers were asked once for every postmortem of the run); writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from pm_sync.diagnostics import Diagnostic, error, from_exception, warning
from pm_sync.document.model import ActionItem, Postmortem, field_text
from pm_sync.document.source import Source
from pm_sync.document.values import plain_text
from pm_sync.errors import ConfigError, PmSyncError
from pm_sync.sync import recovery
from pm_sync.sync.adopt import match_edited
from pm_sync.sync.book import Book, Wants, oldest_first, safe_key
from pm_sync.sync.compare import PlanContext, compare, desired_fields
from pm_sync.sync.drafts import display_path, make_draft, preflight, resolve_owners
from pm_sync.sync.identity import Identity
from pm_sync.sync.plan import Create, Duplicate, Missing, Orphan, Plan, Recover, Waiting
from pm_sync.sync.routing import Route, Trackers
from pm_sync.tracker.http import reply_shape
from pm_sync.tracker.tickets import TicketDraft, TicketState


@dataclass
class Options:
    reconcile: bool = False
    force: bool = False
    recreate_missing: bool = False
    retry_lost: bool = False


@dataclass
class Doc:
    """One postmortem in a run: its text, what it says, and where each item goes."""

    path: Path
    digest: str
    """the text's digest as read: the text itself is not kept (a run holds every postmortem)"""
    pm: Postmortem
    identity: Identity
    routes: dict[str, Route] = field(default_factory=dict)
    problems: list[Diagnostic] = field(default_factory=list)

    @property
    def trackers(self) -> set[str]:
        return {r.tracker for r in self.routes.values()}


def load_doc(path: Path, source: Source, pm: Postmortem, trackers: Trackers) -> Doc:
    doc = Doc(path, source.digest, pm, Identity(pm, trackers.root))
    for item in pm.action_items:
        try:
            doc.routes[item.uid] = trackers.route(pm, item)
        except ConfigError:
            raise
        except PmSyncError as exc:
            doc.problems.append(from_exception(exc, code="routing", path=pm.path, line=item.line))
    return doc


def wants(docs: list[Doc], trackers: Trackers) -> dict[str, Wants]:
    """Every marker and key the run's postmortems need, per tracker."""
    out: dict[str, Wants] = defaultdict(Wants)
    for doc in docs:
        for item in doc.pm.action_items:
            route = doc.routes.get(item.uid)
            if route is None:
                continue
            want = out[route.tracker]
            want.markers.add(doc.identity.document)
            if route.project:
                want.projects.add(route.project)
            if route.key is None:
                want.markers.add(doc.identity.marker(item))
            else:
                want.keys.add(route.key)
    return out


def blocking_problems(doc: Doc, opts: Options) -> list[Diagnostic]:
    """What stops a postmortem before any tracker is asked: nothing is written or created."""
    pm = doc.pm
    out = [p if p.hint else replace(p, hint="fix the table, then run again") for p in pm.problems]
    listed = [i for i in pm.action_items if i.source == "list"]
    if listed:
        out.append(
            error(
                "list-action-items",
                "action items are written as a list; pm-sync writes ticket keys only into a table",
                path=pm.path,
                line=listed[0].line,
                hint=f"convert them with `pm-sync migrate --write {pm.path}`, then run again",
            )
        )
    for table in pm.tables:
        if "ticket" not in table.columns:
            out += [
                error(
                    "bad-table",
                    "row has more cells than its table's header, so pm-sync cannot "
                    "add a Ticket column to this table",
                    path=pm.path,
                    line=line,
                    hint="remove the extra cells, or add a Ticket column yourself",
                )
                for line in table.overfull_lines
            ]
    out += doc.problems
    out += _shared_tickets(doc)
    if not out and not pm.is_final and not opts.force:
        out.append(
            error(
                "not-final",
                f"postmortem status is {pm.status or 'not set'!s}, not Final; nothing pushed",
                path=pm.path,
                line=pm.metadata_lines.get("status"),
                hint="set **Status**: Final once the review is done, or pass --force",
            )
        )
    return sorted(out, key=lambda d: d.line or 0)


def _shared_tickets(doc: Doc) -> list[Diagnostic]:
    """Two rows naming one ticket would take turns overwriting it run after run (lint's error)."""
    first: dict[tuple[str, str, str], int] = {}
    out = []
    for item in doc.pm.action_items:
        route = doc.routes.get(item.uid)
        if route is None or route.key is None:
            continue
        ident = (route.tracker, (route.project or "").casefold(), route.key.casefold())
        if ident not in first:
            first[ident] = item.line
            continue
        out.append(
            error(
                "shared-ticket",
                f"ticket {(item.ticket or route.key).strip()} is also named on line {first[ident]}; "
                "each row needs its own ticket",
                path=doc.pm.path,
                line=item.line,
                hint="put each row's own key in its Ticket cell (or empty it to create one), then run again",
            )
        )
    return out


def plan_document(doc: Doc, book: Book, trackers: Trackers, opts: Options) -> Plan:
    plan = Plan(path=doc.pm.path)
    plan.diagnostics = blocking_problems(doc, opts)
    plan.diagnostics += doc.pm.warnings
    if plan.blocked:
        return plan
    groups: dict[str, list[tuple[ActionItem, Route]]] = defaultdict(list)
    for item in doc.pm.action_items:
        route = doc.routes[item.uid]
        groups[route.tracker].append((item, route))
    for tracker, items in groups.items():
        if tracker in book.failed:
            plan.diagnostics += book.problems(tracker, doc.pm.path)
            continue
        plan.diagnostics += book.problems(tracker, doc.pm.path)
        connector = trackers.get(tracker)
        ctx = PlanContext(
            pm=doc.pm,
            tracker=tracker,
            connector=connector,
            owners=resolve_owners(doc.pm, tracker, items, trackers, plan),
            plan=plan,
            trackers=trackers,
            reconcile=opts.reconcile,
        )
        _plan_group(ctx, doc, items, book, opts)
    if plan.blocked:
        plan.changes = []
    plan.diagnostics.sort(key=lambda d: (d.line or 0, d.code))
    return plan


def _plan_group(
    ctx: PlanContext, doc: Doc, items: list[tuple[ActionItem, Route]], book: Book, opts: Options
) -> None:
    pm, plan, connector, tracker = ctx.pm, ctx.plan, ctx.connector, ctx.tracker
    rel = display_path(pm.path, ctx.trackers.root)
    claimed: set[str] = set()
    new: list[tuple[ActionItem, Route]] = []
    existing: list[tuple[ActionItem, Route, TicketState | None]] = []
    for item, route in items:
        if route.key is None:
            new.append((item, route))
            continue
        state = book.state(tracker, route.key)
        existing.append((item, route, state))
        claimed.add(route.key.casefold())
        if state is not None:
            claimed.add(state.key.casefold())
    _load_baselines(ctx, [(i, s) for i, _, s in existing if s is not None])

    def draft_for(item: ActionItem, route: Route) -> TicketDraft:
        return make_draft(ctx, doc.identity, item, route, rel)

    def adopt(item: ActionItem, route: Route, state: TicketState, *, edited: bool) -> None:
        display = safe_key(connector, state.key, route.project) or state.key
        plan.changes.append(
            Recover(
                uid=item.uid,
                line=item.line,
                tracker=tracker,
                action=plain_text(item.action or ""),
                key=state.key,
                display=display,
                expected=field_text(item, "ticket"),
                draft=draft_for(item, route),
                edited=edited,
            )
        )
        claimed.add(state.key.casefold())
        compare(ctx, item, route, state, display, recovered=True, moved=False)

    to_create: list[tuple[ActionItem, Route]] = []
    for item, route in new:
        marker = doc.identity.marker(item)
        found = book.by_marker(tracker, marker)
        if found:
            adopt(item, route, found[0], edited=False)
            _duplicates(ctx, item.line, found)
            continue
        to_create.append((item, route))
    mine = set(doc.identity.items.values())
    unclaimed = [
        s
        for s in book.by_document(tracker, doc.identity.document)
        if s.key.casefold() not in claimed and s.marker not in mine
    ]
    for match in match_edited([(i.uid, i.action or "") for i, _ in to_create], unclaimed):
        item, route = next((i, r) for i, r in to_create if i.uid == match.uid)
        adopt(item, route, match.state, edited=True)
        to_create = [(i, r) for i, r in to_create if i.uid != match.uid]
    for state in unclaimed:
        if state.key.casefold() not in claimed and not state.status.closed:
            display = safe_key(connector, state.key, None) or state.key
            plan.orphans.append(Orphan(tracker=tracker, key=state.key, display=display, action=state.action))
            ctx.note(
                warning(
                    "orphaned-ticket",
                    f"{display} ({state.action[:60]}) belongs to this "
                    "postmortem, but no row names it any more, and it is still open",
                    hint=f"close {display} in {tracker} if the action was dropped, or put "
                    "its key back into a row",
                )
            )
    waiting = recovery.in_flight(ctx, [doc.identity.marker(i) for i, _ in to_create], book, opts.retry_lost)
    drafts: list[TicketDraft] = []
    for item, route in to_create:
        marker = doc.identity.marker(item)
        if marker in waiting:
            plan.changes.append(
                Waiting(
                    uid=item.uid,
                    line=item.line,
                    tracker=tracker,
                    marker=marker,
                    action=plain_text(item.action or ""),
                )
            )
            ctx.note(waiting[marker].at(line=item.line))
            continue
        if marker in book.recovered:
            adopt(item, route, book.recovered[marker], edited=False)
            continue
        draft = draft_for(item, route)
        drafts.append(draft)
        plan.changes.append(
            Create(
                uid=item.uid,
                line=item.line,
                tracker=tracker,
                action=draft.action,
                draft=draft,
                expected=field_text(item, "ticket"),
            )
        )
    gone_hint = _all_gone_hint(tracker, existing)
    for item, route, state in existing:
        assert route.key is not None
        if state is not None:
            display = safe_key(connector, state.key, route.project) or route.key
            moved = state.key.casefold() != route.key.casefold()
            compare(ctx, item, route, state, display, recovered=False, moved=moved)
            if state.marker:
                same = oldest_first([state, *book.by_marker(tracker, state.marker)])
                _duplicates(ctx, item.line, same, named=state.key)
        elif opts.reconcile and opts.recreate_missing:
            draft = draft_for(item, route)
            drafts.append(draft)
            plan.changes.append(
                Create(
                    uid=item.uid,
                    line=item.line,
                    tracker=tracker,
                    action=draft.action,
                    draft=draft,
                    expected=field_text(item, "ticket"),
                )
            )
        elif opts.reconcile:
            plan.changes.append(
                Missing(
                    uid=item.uid,
                    line=item.line,
                    tracker=tracker,
                    action=plain_text(item.action or ""),
                    key=route.key,
                    display=item.ticket or route.key,
                )
            )
            ctx.note(
                error(
                    "missing-ticket",
                    f"ticket {item.ticket} no longer exists in {tracker}",
                    line=item.line,
                    hint=gone_hint + "fix the Ticket cell, or run `pm-sync reconcile "
                    "--recreate-missing` to create a new ticket for the row",
                )
            )
        else:
            ctx.note(
                error(
                    "no-such-ticket",
                    f"ticket {item.ticket} does not exist in {tracker}",
                    line=item.line,
                    hint=gone_hint + "fix the Ticket cell, or run `pm-sync reconcile --recreate-missing`",
                )
            )
    if drafts:
        preflight(ctx, drafts)


def _all_gone_hint(tracker: str, existing: list[tuple[ActionItem, Route, TicketState | None]]) -> str:
    """Not one of several tickets found: more likely the wrong tracker (a stray `.pm-sync/` in a
    subfolder) than deletions; say so before `--recreate-missing` makes a second set."""
    if len(existing) < 2 or any(state is not None for _, _, state in existing):
        return ""
    return (
        f"none of this postmortem's {len(existing)} tickets exists in {tracker}: first check that "
        "this is the project root and tracker you meant (run with -v); then "
    )


def _duplicates(ctx: PlanContext, line: int, states: list[TicketState], named: str | None = None) -> None:
    """The oldest is kept, whichever the row names: two clones get the same advice, not opposite."""
    if len(states) < 2:
        return
    kept, others = states[0], states[1:]
    fix = "" if named in (None, kept.key) else f", and put {kept.key} in this row's Ticket cell"
    names = [safe_key(ctx.connector, s.key, None) or s.key for s in others]
    ctx.plan.duplicates.append(Duplicate(tracker=ctx.tracker, line=line, kept=kept.key, others=names))
    ctx.note(
        error(
            "duplicate-ticket",
            f"{len(states)} tickets in {ctx.tracker} belong to this row: {kept.key} (kept) and "
            f"{', '.join(names)}",
            line=line,
            hint=f"close {', '.join(names)} as duplicates of {kept.key} in {ctx.tracker}{fix}",
        )
    )


def _load_baselines(ctx: PlanContext, pairs: list[tuple[ActionItem, TicketState]]) -> None:
    """Baselines the tracker left out of its reads, fetched only where the fields differ. Where
    they agree, the ticket is in sync: its baseline is taken to be its fields (pm-sync stores
    the baseline with every write it makes, so only the same hand edit made on both sides could
    tell them apart), and nothing is read or written for it."""
    need = []
    for item, state in pairs:
        if state.baseline_loaded:
            continue
        if _differs(ctx, item, state):
            need.append(state)
        else:
            object.__setattr__(state, "baseline", state.fields())
            object.__setattr__(state, "baseline_loaded", True)
    if not need:
        return
    with reply_shape(ctx.tracker, "reading last-synced values"):
        loaded = ctx.connector.load_baselines([s.key for s in need])
    for state in need:
        object.__setattr__(state, "baseline", loaded.get(state.key))
        object.__setattr__(state, "baseline_loaded", True)


def _differs(ctx: PlanContext, item: ActionItem, state: TicketState) -> bool:
    want, have = desired_fields(item, ctx), state.fields()
    if any(getattr(want, n) != getattr(have, n) for n in ("action", "priority", "owner", "due")):
        return True
    return item.status is not None and item.status != state.status
