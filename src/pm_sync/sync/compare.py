"""Compare one item with its ticket: push (the document wins) or reconcile (three ways).

Emits plan changes only; reading the trackers and writing anything happen elsewhere.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from pm_sync.document.model import ActionItem, Postmortem, field_text
from pm_sync.document.values import STATUS_TEXT, plain_text, truncate
from pm_sync.sync.merge import Merge, merge
from pm_sync.sync.plan import Conflict, Plan, Pull, Rekey, Unchanged, Update
from pm_sync.sync.routing import Route, Trackers
from pm_sync.tracker.contract import Connector, TicketChanges, TicketFields, TicketState


def first_owner(cell: str | None) -> str | None:
    """Trackers take one assignee; the first name in `@alice, @bob` is the DRI."""
    if not cell:
        return None
    head = re.split(r",|;|/|\band\b|&", cell, maxsplit=1)[0].strip()
    return head or None


@dataclass
class Owners:
    ids: dict[str, str]
    skip: set[str]


@dataclass
class PlanContext:
    """What every comparison in one tracker group needs."""

    pm: Postmortem
    tracker: str
    connector: Connector
    owners: Owners
    plan: Plan
    trackers: Trackers
    reconcile: bool


FIELD_COLUMN = {"summary": "action", "priority": "priority", "assignee": "owner", "due": "due"}


def desired_fields(item: ActionItem, ctx: PlanContext) -> TicketFields:
    handle = first_owner(item.owner)
    owners = ctx.owners
    assignee = owners.ids.get(handle) if handle and handle not in owners.skip else None
    summary = truncate(plain_text(item.action or ""), ctx.connector.capabilities.max_summary)
    return TicketFields(summary=summary, priority=item.priority, assignee=assignee, due=item.due)


def synced_fields(item: ActionItem, ctx: PlanContext) -> list[str]:
    """Fields both sides hold: the tracker supports them and the table has their column."""
    caps = ctx.connector.capabilities
    columns = ctx.pm.tables[item.table].columns if ctx.pm.tables else {}
    names = []
    for name, column in FIELD_COLUMN.items():
        if column not in columns:
            continue
        if (name == "priority" and not caps.priority) or (name == "due" and not caps.due_date):
            continue
        if name == "assignee":
            handle = first_owner(item.owner)
            if not caps.assignee or (handle and handle in ctx.owners.skip):
                continue
        names.append(name)
    return names


def compare(ctx: PlanContext, item: ActionItem, route: Route, state: TicketState, *, recovered: bool) -> None:
    connector, plan = ctx.connector, ctx.plan
    display = connector.display_key(state.key, route.project)
    common: dict[str, Any] = {
        "uid": item.uid,
        "line": item.line,
        "tracker": ctx.tracker,
        "action": plain_text(item.action or ""),
    }
    if state.moved and not recovered:
        plan.changes.append(
            Rekey(
                **common,
                key=state.key,
                old=item.ticket or "",
                display=display,
                expected=field_text(item, "ticket"),
            )
        )
    want, have = desired_fields(item, ctx), state.owned()
    names = synced_fields(item, ctx)
    if ctx.reconcile:
        result = merge(want, have, state.baseline, names)
        if state.moved:
            _restore_dropped_by_move(result, want, have, names)
        push, baseline = result.push, result.baseline
        for name, value in result.pull.items():
            plan.changes.append(
                Pull(
                    **common,
                    key=state.key,
                    display=display,
                    field=FIELD_COLUMN[name],
                    value=_cell_text(ctx, name, value),
                    expected=field_text(item, FIELD_COLUMN[name]),
                )
            )
        for name, doc_value, tracker_value in result.conflicts:
            plan.changes.append(
                Conflict(
                    **common,
                    key=state.key,
                    display=display,
                    field=FIELD_COLUMN[name],
                    document=_cell_text(ctx, name, doc_value),
                    tracker_value=_cell_text(ctx, name, tracker_value),
                )
            )
        if _pull_status(ctx, item, state, common, display):
            baseline = baseline.model_copy(update={"status": state.status})
        write_baseline = baseline != state.baseline
    else:
        push = {n: getattr(want, n) for n in names if getattr(want, n) != getattr(have, n)}
        baseline = have.model_copy(update=push)
        write_baseline = bool(push)
    if not push and not write_baseline:
        if not recovered:
            plan.changes.append(Unchanged(**common, key=state.key, display=display))
        return
    plan.changes.append(
        Update(
            **common,
            key=state.key,
            display=display,
            changes=TicketChanges(**push),  # type: ignore[arg-type]
            baseline=baseline,
            before=have,
            previous=state.baseline,
        )
    )


def _restore_dropped_by_move(result: Merge, want: TicketFields, have: TicketFields, names: list[str]) -> None:
    """A move or transfer can drop what the new place lacks (a label, an assignee); that is no
    one's edit, so the document's value goes back rather than an empty cell coming in."""
    dropped = [n for n in names if getattr(have, n) is None and getattr(want, n) is not None]
    for name in dropped:
        result.pull.pop(name, None)
        result.conflicts = [c for c in result.conflicts if c[0] != name]
        result.push[name] = getattr(want, name)
    if dropped:
        result.baseline = result.baseline.model_copy(update={n: getattr(want, n) for n in dropped})
        result.baseline_changed = True


def _pull_status(
    ctx: PlanContext, item: ActionItem, state: TicketState, common: dict[str, Any], display: str
) -> bool:
    """The tracker owns status: a change there lands in the Status column (never added). A
    document that says otherwise while the tracker has not moved is reported, not reverted,
    since pm-sync never transitions tickets. True when the table tracks status."""
    columns = ctx.pm.tables[item.table].columns if ctx.pm.tables else {}
    if "status" not in columns:
        return False
    synced = state.baseline.status if state.baseline else None
    if item.status != state.status:
        if synced is None or state.status != synced or item.status is None:
            ctx.plan.changes.append(
                Pull(
                    **common,
                    key=state.key,
                    display=display,
                    field="status",
                    value=STATUS_TEXT[state.status],
                    expected=field_text(item, "status"),
                )
            )
        elif item.status is not None:
            ctx.plan.warnings.append(
                f"{ctx.pm.path}:{item.line}: Status says {STATUS_TEXT[item.status]} but "
                f"{display} is {STATUS_TEXT[state.status]} in {ctx.tracker}; pm-sync never "
                "changes a ticket's status, so change it there"
            )
    return True


def _cell_text(ctx: PlanContext, name: str, value: object) -> str:
    """A tracker value as the document writes it."""
    if value is None:
        return ""
    if name == "assignee":
        for handle, entry in ctx.trackers.config.owners.items():
            if entry.get(ctx.tracker) == value:
                return handle
        return ctx.connector.owner_handle(str(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
