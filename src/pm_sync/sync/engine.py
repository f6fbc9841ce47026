"""Compare a postmortem with its tickets and compute the plan; reads the trackers, writes nothing."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pm_sync.document.model import ActionItem, Postmortem, field_text, marker_of
from pm_sync.document.values import plain_text
from pm_sync.errors import ConfigError, PmSyncError
from pm_sync.sync.compare import Owners, PlanContext, compare, desired_fields, first_owner
from pm_sync.sync.plan import (
    Create,
    Missing,
    Plan,
    PlanError,
    Recover,
)
from pm_sync.sync.routing import Route, Trackers
from pm_sync.tracker.contract import (
    Connector,
    PostmortemRef,
    TicketDraft,
    TicketState,
    look_again,
)


def marker_for(item: ActionItem) -> str:
    return marker_of(item.uid)


def display_path(path: str, base: Path) -> str:
    try:
        return Path(os.path.relpath(Path(path).resolve(), base.resolve())).as_posix()
    except ValueError:
        return Path(path).as_posix()


def describe(item: ActionItem, pm: Postmortem, rel_path: str) -> str:
    lines = [
        item.action or "",
        "",
        "---",
        f"Postmortem: {pm.title or rel_path}",
        f"Incident date: {pm.date.isoformat() if pm.date else 'not set'}"
        f" · Severity: {pm.severity or 'not set'}",
        f"File: {rel_path} (line {item.line})",
        f"Owner: {item.owner or 'not set'} · Due: {item.due.isoformat() if item.due else 'not set'}",
        "",
        "Created by pm-sync. The postmortem's action-items table owns this ticket's summary,"
        " priority, owner and due date.",
    ]
    return "\n".join(lines)


@dataclass
class Group:
    tracker: str
    items: list[tuple[ActionItem, Route]] = field(default_factory=list)


def plan_postmortem(
    pm: Postmortem,
    trackers: Trackers,
    *,
    force: bool = False,
    reconcile: bool = False,
    recreate_missing: bool = False,
) -> Plan:
    """Push compares document to tracker (document wins); reconcile merges three ways."""
    plan = Plan(path=pm.path)
    if pm.problems:
        plan.errors = [
            PlanError(path=pm.path, line=p.line, message=p.message, hint="fix the table, then run again")
            for p in pm.problems
        ]
        return plan
    for table in pm.tables:
        if "ticket" not in table.columns:
            plan.errors += [
                PlanError(
                    path=pm.path,
                    line=line,
                    message="row has more cells than its table's header, so pm-sync cannot add a "
                    "Ticket column to this table",
                    hint="remove the extra cells, or add a Ticket column yourself",
                )
                for line in table.overfull_lines
            ]
    if plan.errors:
        return plan
    if not pm.is_final and not force:
        line = pm.metadata_lines.get("status")
        plan.errors.append(
            PlanError(
                path=pm.path,
                line=line,
                message=f"postmortem status is {pm.status or 'not set'!s}, not Final; nothing pushed",
                hint="set **Status**: Final once the review is done, or pass --force",
            )
        )
        return plan
    groups: dict[str, Group] = defaultdict(lambda: Group(tracker=""))
    for item in pm.action_items:
        try:
            route = trackers.route(pm, item)
        except ConfigError:
            raise
        except PmSyncError as exc:
            plan.errors.append(
                PlanError(path=pm.path, line=exc.line or item.line, message=exc.message, hint=exc.hint)
            )
            continue
        group = groups[route.tracker]
        group.tracker = route.tracker
        group.items.append((item, route))
    for group in groups.values():
        connector = trackers.get(group.tracker)
        ctx = PlanContext(
            pm=pm,
            tracker=group.tracker,
            connector=connector,
            owners=_resolve_owners(pm, group, connector, trackers, plan),
            plan=plan,
            trackers=trackers,
            reconcile=reconcile,
        )
        _plan_group(ctx, group, recreate_missing)
    if plan.errors:
        plan.changes = []
        plan.errors.sort(key=lambda e: e.line or 0)
    return plan


def plan_push(pm: Postmortem, trackers: Trackers, *, force: bool = False) -> Plan:
    return plan_postmortem(pm, trackers, force=force)


def _resolve_owners(
    pm: Postmortem, group: Group, connector: Connector, trackers: Trackers, plan: Plan
) -> Owners:
    handles = sorted({h for item, _ in group.items if (h := first_owner(item.owner))})
    mapped = {h: trackers.config.owner_entry(h).get(group.tracker) for h in handles}
    resolution = connector.resolve_owners(handles, mapped)
    skip: set[str] = set()
    for handle, why in resolution.unknown.items():
        lines = [i.line for i, _ in group.items if first_owner(i.owner) == handle]
        if trackers.config.unknown_owner == "unassigned":
            plan.warnings.append(
                f"{pm.path}:{lines[0]}: owner {handle} is unknown to "
                f"{group.tracker} ({why}); creating unassigned"
            )
            skip.add(handle)
            continue
        for line in lines:
            plan.errors.append(
                PlanError(
                    path=pm.path,
                    line=line,
                    message=f"owner {handle} is unknown to {group.tracker}: {why}",
                    hint=f'map it under [owners] ("{handle}" = {{ {group.tracker} = "..." }}) '
                    'or set unknown_owner = "unassigned"',
                )
            )
    return Owners(ids=dict(resolution.ids), skip=skip)


def _plan_group(ctx: PlanContext, group: Group, recreate_missing: bool) -> None:
    pm, connector, plan = ctx.pm, ctx.connector, ctx.plan
    rel = display_path(pm.path, ctx.trackers.config.root)
    labels = list(dict.fromkeys(ctx.trackers.config.labels))
    new = [(i, r) for i, r in group.items if r.key is None]
    existing = [(i, r) for i, r in group.items if r.key is not None]
    found: dict[str, TicketState] = {}
    by_project: dict[str | None, list[str]] = defaultdict(list)
    for item, route in new:
        by_project[route.project].append(marker_for(item))
    for project, markers in by_project.items():
        found.update(connector.find_by_markers(markers, project))
        _wait_for_inflight(ctx, [m for m in markers if m not in found], project, found)
    states = connector.read([r.key for _, r in existing if r.key]) if existing else {}
    drafts: list[TicketDraft] = []

    def draft_for(item: ActionItem, route: Route) -> TicketDraft:
        want = desired_fields(item, ctx)
        if item.due and not connector.capabilities.due_date:
            plan.warnings.append(
                f"{pm.path}:{item.line}: {ctx.tracker} has no due dates; "
                "the due date is only in the ticket description"
            )
        return TicketDraft(
            uid=item.uid,
            marker=marker_for(item),
            line=item.line,
            action=item.action or "",
            summary=want.summary or "",
            description=describe(item, pm, rel),
            priority=item.priority,
            owner=first_owner(item.owner),
            assignee=want.assignee,
            due=item.due,
            labels=labels,
            project=route.project,
            postmortem=PostmortemRef(path=rel, title=pm.title, date=pm.date, severity=pm.severity),
        )

    for item, route in new:
        draft = draft_for(item, route)
        state = found.get(draft.marker)
        if state is None:
            drafts.append(draft)
            plan.changes.append(
                Create(
                    uid=item.uid,
                    line=item.line,
                    tracker=ctx.tracker,
                    action=draft.summary,
                    draft=draft,
                    expected=field_text(item, "ticket"),
                )
            )
            continue
        display = connector.display_key(state.key, route.project)
        plan.changes.append(
            Recover(
                uid=item.uid,
                line=item.line,
                tracker=ctx.tracker,
                action=draft.summary,
                key=state.key,
                display=display,
                expected=field_text(item, "ticket"),
                draft=draft,
            )
        )
        compare(ctx, item, route, state, recovered=True)
    for item, route in existing:
        assert route.key is not None
        state = states.get(route.key)
        if state is not None:
            compare(ctx, item, route, state, recovered=False)
        elif ctx.reconcile and recreate_missing:
            draft = draft_for(item, route)
            drafts.append(draft)
            plan.changes.append(
                Create(
                    uid=item.uid,
                    line=item.line,
                    tracker=ctx.tracker,
                    action=draft.summary,
                    draft=draft,
                    expected=field_text(item, "ticket"),
                )
            )
        elif ctx.reconcile:
            plan.changes.append(
                Missing(
                    uid=item.uid,
                    line=item.line,
                    tracker=ctx.tracker,
                    action=plain_text(item.action or ""),
                    key=route.key,
                    display=item.ticket or route.key,
                )
            )
        else:
            plan.errors.append(
                PlanError(
                    path=pm.path,
                    line=item.line,
                    message=f"ticket {item.ticket} does not exist in {ctx.tracker}",
                    hint="fix the Ticket cell, or run `pm-sync reconcile --recreate-missing`",
                )
            )
    if drafts:
        _preflight(ctx, drafts)


RECOVERY_WAIT = 10.0


def _wait_for_inflight(
    ctx: PlanContext, missing: list[str], project: str | None, found: dict[str, TicketState]
) -> None:
    """A marker an interrupted run was creating may not be searchable yet: ask again, with
    backoff, before planning a second create for it."""
    if not ctx.connector.capabilities.search_lag:
        return
    found.update(
        look_again(
            lambda ms: ctx.connector.find_by_markers(ms, project),
            ctx.trackers.journal.pending(missing),
            RECOVERY_WAIT,
            time.sleep,
        )
    )


def _preflight(ctx: PlanContext, drafts: list[TicketDraft]) -> None:
    """Tracker-side checks before anything is created; owner problems follow the policy."""
    plan = ctx.plan
    for problem in ctx.connector.preflight(drafts):
        draft = next((d for d in drafts if d.uid == problem.uid), None)
        line = draft.line if draft else None
        if problem.kind == "owner" and ctx.trackers.config.unknown_owner == "unassigned":
            plan.warnings.append(f"{ctx.pm.path}:{line}: {problem.message}; creating unassigned")
            if draft is not None:
                draft.assignee = None
            continue
        hint = (
            'map the owner under [owners], or set unknown_owner = "unassigned"'
            if problem.kind == "owner"
            else "fix the row or the tracker config, then rerun"
        )
        plan.errors.append(PlanError(path=ctx.pm.path, line=line, message=problem.message, hint=hint))
