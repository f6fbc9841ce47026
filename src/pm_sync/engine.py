"""Compare a postmortem with its tickets and compute the plan; reads the trackers, writes nothing."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pm_sync.connector import (
    Connector,
    PostmortemRef,
    TicketChanges,
    TicketDraft,
    TicketFields,
    TicketState,
)
from pm_sync.errors import PmSyncError
from pm_sync.models import ActionItem, Postmortem
from pm_sync.plan import Create, Plan, PlanError, Recover, Rekey, Unchanged, Update
from pm_sync.trackers import Route, Trackers
from pm_sync.values import plain_text, truncate

MARKER_PREFIX = "pm-sync-"


def marker_for(item: ActionItem) -> str:
    return MARKER_PREFIX + item.uid


def first_owner(cell: str | None) -> str | None:
    """Trackers take one assignee; the first name in `@alice, @bob` is the DRI."""
    if not cell:
        return None
    head = re.split(r",|;|/|\band\b|&", cell, maxsplit=1)[0].strip()
    return head or None


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


@dataclass
class _Owners:
    ids: dict[str, str]
    skip: set[str]


def plan_push(pm: Postmortem, digest: str, trackers: Trackers, *, force: bool = False) -> Plan:
    plan = Plan(path=pm.path, digest=digest)
    if pm.problems:
        plan.errors = [PlanError(path=pm.path, line=p.line, message=p.message,
                                 hint="fix the table, then run again") for p in pm.problems]
        return plan
    if not pm.is_final and not force:
        line = pm.metadata_lines.get("status")
        plan.errors.append(PlanError(
            path=pm.path, line=line,
            message=f"postmortem status is {pm.status or 'not set'!s}, not Final; nothing pushed",
            hint="set **Status**: Final once the review is done, or pass --force",
        ))
        return plan
    groups: dict[str, Group] = defaultdict(lambda: Group(tracker=""))
    for item in pm.action_items:
        try:
            route = trackers.route(pm, item)
        except PmSyncError as exc:
            plan.errors.append(PlanError(path=pm.path, line=exc.line or item.line,
                                         message=exc.message, hint=exc.hint))
            continue
        group = groups[route.tracker]
        group.tracker = route.tracker
        group.items.append((item, route))
    for group in groups.values():
        _plan_group(pm, group, trackers, plan)
    if plan.errors:
        plan.changes = []
    return plan


def _resolve_owners(
    pm: Postmortem, group: Group, connector: Connector, trackers: Trackers, plan: Plan
) -> _Owners:
    handles = sorted({h for item, _ in group.items if (h := first_owner(item.owner))})
    mapped = {h: trackers.config.owner_entry(h).get(group.tracker) for h in handles}
    resolution = connector.resolve_owners(handles, mapped)
    skip: set[str] = set()
    for handle, why in resolution.unknown.items():
        lines = [i.line for i, _ in group.items if first_owner(i.owner) == handle]
        if trackers.config.unknown_owner == "unassigned":
            plan.warnings.append(f"{pm.path}:{lines[0]}: owner {handle} is unknown to "
                                 f"{group.tracker} ({why}); creating unassigned")
            skip.add(handle)
            continue
        for line in lines:
            plan.errors.append(PlanError(
                path=pm.path, line=line,
                message=f"owner {handle} is unknown to {group.tracker}: {why}",
                hint=f'map it under [owners] ("{handle}" = {{ {group.tracker} = "..." }}) '
                     'or set unknown_owner = "unassigned"',
            ))
    return _Owners(ids=dict(resolution.ids), skip=skip)


def desired_fields(
    item: ActionItem, connector: Connector, owners: _Owners
) -> tuple[TicketFields, bool]:
    handle = first_owner(item.owner)
    assignee = owners.ids.get(handle) if handle and handle not in owners.skip else None
    summary = truncate(plain_text(item.action or ""), connector.capabilities.max_summary)
    fields = TicketFields(summary=summary, priority=item.priority, assignee=assignee, due=item.due)
    return fields, bool(handle and handle in owners.skip)


def diff_fields(
    want: TicketFields, have: TicketFields, connector: Connector, skip_assignee: bool
) -> TicketChanges:
    caps = connector.capabilities
    changes: dict[str, object] = {}
    for name in ("summary", "priority", "assignee", "due"):
        if name == "priority" and not caps.priority:
            continue
        if name == "due" and not caps.due_date:
            continue
        if name == "assignee" and (skip_assignee or not caps.assignee):
            continue
        if getattr(want, name) != getattr(have, name):
            changes[name] = getattr(want, name)
    return TicketChanges(**changes)  # type: ignore[arg-type]


def _plan_group(pm: Postmortem, group: Group, trackers: Trackers, plan: Plan) -> None:
    connector = trackers.get(group.tracker)
    owners = _resolve_owners(pm, group, connector, trackers, plan)
    caps = connector.capabilities
    base = trackers.config.base_dir if trackers.config.path else Path.cwd()
    rel = display_path(pm.path, base)
    labels = list(dict.fromkeys(trackers.config.labels))
    new = [(i, r) for i, r in group.items if r.key is None]
    existing = [(i, r) for i, r in group.items if r.key is not None]
    found = connector.find_by_markers([marker_for(i) for i, _ in new],
                                      new[0][1].project if new else None) if new else {}
    states = connector.read([r.key for _, r in existing if r.key]) if existing else {}
    drafts: list[TicketDraft] = []
    for item, route in new:
        want, _skip = desired_fields(item, connector, owners)
        if item.due and not caps.due_date:
            plan.warnings.append(f"{pm.path}:{item.line}: {group.tracker} has no due dates; "
                                 "the due date is only in the ticket description")
        draft = TicketDraft(
            uid=item.uid, marker=marker_for(item), line=item.line, action=item.action or "",
            summary=want.summary or "", description=describe(item, pm, rel),
            priority=item.priority, owner=first_owner(item.owner), assignee=want.assignee,
            due=item.due, labels=labels, project=route.project,
            postmortem=PostmortemRef(path=rel, title=pm.title, date=pm.date, severity=pm.severity),
        )
        state = found.get(draft.marker)
        if state is None:
            drafts.append(draft)
            plan.changes.append(Create(uid=item.uid, line=item.line, tracker=group.tracker,
                                       action=draft.summary, draft=draft))
            continue
        display = connector.display_key(state.key, route.project)
        plan.changes.append(Recover(uid=item.uid, line=item.line, tracker=group.tracker,
                                    action=draft.summary, key=state.key, display=display))
        _compare(item, route, state=state, connector=connector, owners=owners, plan=plan,
                 tracker=group.tracker, recovered=True)
    for item, route in existing:
        assert route.key is not None
        state = states.get(route.key)
        if state is None:
            plan.errors.append(PlanError(
                path=pm.path, line=item.line,
                message=f"ticket {item.ticket} does not exist in {group.tracker}",
                hint="fix the Ticket cell, or run `pm-sync reconcile --recreate-missing`",
            ))
            continue
        _compare(item, route, state=state, connector=connector, owners=owners, plan=plan,
                 tracker=group.tracker, recovered=False)
    if drafts:
        for problem in connector.preflight(drafts):
            line = next((d.line for d in drafts if d.uid == problem.uid), None)
            plan.errors.append(PlanError(path=pm.path, line=line, message=problem.message,
                                         hint="fix the row or the tracker config, then rerun"))


def _compare(
    item: ActionItem, route: Route, *, state: TicketState, connector: Connector, owners: _Owners,
    plan: Plan, tracker: str, recovered: bool,
) -> None:
    display = connector.display_key(state.key, route.project)
    summary = plain_text(item.action or "")
    if state.moved and not recovered:
        plan.changes.append(Rekey(uid=item.uid, line=item.line, tracker=tracker, action=summary,
                                  key=state.key, old=item.ticket or "", display=display))
    want, skip = desired_fields(item, connector, owners)
    changes = diff_fields(want, state.owned(), connector, skip)
    if changes.is_empty():
        if not recovered:
            plan.changes.append(Unchanged(uid=item.uid, line=item.line, tracker=tracker,
                                          action=summary, key=state.key, display=display))
        return
    baseline = want.model_copy(update={"assignee": state.assignee} if skip else {})
    plan.changes.append(Update(uid=item.uid, line=item.line, tracker=tracker, action=summary,
                               key=state.key, display=display, changes=changes,
                               baseline=baseline, before=state.owned()))
