"""Compare one item with its ticket: push (the document wins) or reconcile (three ways).

Emits plan changes only; reading the trackers and writing anything happen elsewhere. Every
value pulled from a tracker is made safe for a table cell first, and an owner comes back only
as a handle the owner map (or the tracker's plain login) gives: never a raw display name.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from pm_sync.diagnostics import Diagnostic, error, warning
from pm_sync.document.cells import safe_cell
from pm_sync.document.model import ActionItem, ItemStatus, Postmortem, field_text
from pm_sync.document.values import STATUS_TEXT, plain_text, truncate
from pm_sync.sync.merge import Merge, merge
from pm_sync.sync.plan import Conflict, Plan, Pull, Rekey, Unchanged, Update
from pm_sync.sync.routing import Route, Trackers
from pm_sync.tracker.contract import Connector, ConnectorConfig
from pm_sync.tracker.tickets import TicketChanges, TicketFields, TicketState

SYNCED = ("action", "priority", "owner", "due")
_HANDLE = re.compile(r"@?[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_OWNER_SPLIT = re.compile(r",|;|/|\band\b|&")


def owners_in(cell: str | None) -> list[str]:
    if not cell:
        return []
    return [part.strip() for part in _OWNER_SPLIT.split(cell) if part.strip()]


def first_owner(cell: str | None) -> str | None:
    """Trackers take one assignee; the first name in `@alice, @bob` is the DRI."""
    names = owners_in(cell)
    return names[0] if names else None


@dataclass
class Owners:
    ids: dict[str, str] = field(default_factory=dict)
    skip: set[str] = field(default_factory=set)


@dataclass
class PlanContext:
    """What every comparison in one tracker group needs."""

    pm: Postmortem
    tracker: str
    connector: Connector[ConnectorConfig]
    owners: Owners
    plan: Plan
    trackers: Trackers
    reconcile: bool

    def note(self, diag: Diagnostic) -> None:
        self.plan.diagnostics.append(diag.at(self.pm.path))


def desired_fields(item: ActionItem, ctx: PlanContext) -> TicketFields:
    handle = first_owner(item.owner)
    owner = ctx.owners.ids.get(handle) if handle and handle not in ctx.owners.skip else None
    action = truncate(plain_text(item.action or ""), ctx.connector.capabilities.max_action)
    return TicketFields(action=action, priority=item.priority, owner=owner, due=item.due)


def synced_fields(item: ActionItem, ctx: PlanContext) -> list[str]:
    """Fields both sides hold: the tracker supports them and the table has their column."""
    caps = ctx.connector.capabilities
    columns = ctx.pm.tables[item.table].columns if ctx.pm.tables else {}
    names = []
    for name in SYNCED:
        if name not in columns:
            continue
        if (name == "priority" and not caps.priority) or (name == "due" and not caps.due_date):
            continue
        if name == "owner":
            handle = first_owner(item.owner)
            if not caps.owner or (handle and handle in ctx.owners.skip):
                continue
        names.append(name)
    return names


def compare(
    ctx: PlanContext,
    item: ActionItem,
    route: Route,
    state: TicketState,
    display: str,
    *,
    recovered: bool,
    moved: bool,
) -> None:
    plan = ctx.plan
    common: dict[str, Any] = {
        "uid": item.uid,
        "line": item.line,
        "tracker": ctx.tracker,
        "action": plain_text(item.action or ""),
    }
    if moved and not recovered:
        plan.changes.append(
            Rekey(
                **common,
                key=state.key,
                old=item.ticket or "",
                display=display,
                expected=field_text(item, "ticket"),
            )
        )
    want, have = desired_fields(item, ctx), state.fields()
    names = synced_fields(item, ctx)
    if ctx.reconcile:
        result = merge(want, have, state.baseline, names)
        if moved:
            _restore_dropped_by_move(result, want, have, names)
        push, baseline = result.push, result.baseline
        for name, value in result.pull.items():
            text = _pulled_text(ctx, item, name, value, display)
            if text is None:
                baseline = baseline.model_copy(update={name: getattr(state.baseline, name)})
                continue
            plan.changes.append(
                Pull(
                    **common,
                    key=state.key,
                    display=display,
                    field=name,
                    value=text,
                    expected=field_text(item, name),
                )
            )
        for name, doc_value, tracker_value in result.conflicts:
            conflict = Conflict(
                **common,
                key=state.key,
                display=display,
                field=name,
                document=_shown(ctx, name, doc_value),
                tracker_value=_shown(ctx, name, tracker_value),
            )
            plan.changes.append(conflict)
            ctx.note(
                error(
                    "conflict",
                    conflict.describe(),
                    line=item.line,
                    hint="make the document and the tracker agree, then run again",
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
            changes=TicketChanges.model_validate(push),
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


def _pull_status(
    ctx: PlanContext, item: ActionItem, state: TicketState, common: dict[str, Any], display: str
) -> bool:
    """The tracker owns status: a change there lands in the Status column (never added). A
    document that says otherwise while the tracker has not moved is reported, not reverted,
    since pm-sync never transitions tickets. True when the table tracks status."""
    columns = ctx.pm.tables[item.table].columns if ctx.pm.tables else {}
    if "status" not in columns:
        _status_not_written(ctx, item, state, display)
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
            ctx.note(
                warning(
                    "status-mismatch",
                    f"Status says {STATUS_TEXT[item.status]} but {display} is "
                    f"{STATUS_TEXT[state.status]} in {ctx.tracker}",
                    line=item.line,
                    hint="pm-sync never changes a ticket's status; change it there",
                )
            )
    return True


STATUS_NOT_WRITTEN = "status-not-written"


def _status_not_written(ctx: PlanContext, item: ActionItem, state: TicketState, display: str) -> None:
    """Said once per postmortem: the tracker has a status to show and the table has no column
    for it (reconcile never adds columns)."""
    if state.status is ItemStatus.OPEN or any(d.code == STATUS_NOT_WRITTEN for d in ctx.plan.diagnostics):
        return
    ctx.note(
        warning(
            STATUS_NOT_WRITTEN,
            f"ticket status was not written back: {display} is {STATUS_TEXT[state.status]} in "
            f"{ctx.tracker}, and this action-items table has no Status column",
            line=ctx.pm.tables[item.table].header_line if ctx.pm.tables else item.line,
            hint="add a Status column to the table, its cells empty if you like, and reconcile again",
        )
    )


def _pulled_text(ctx: PlanContext, item: ActionItem, name: str, value: object, display: str) -> str | None:
    """The cell text for a value pulled from the tracker, or None when it cannot be written
    safely (reported, and the baseline left as it was, so the next run says it again)."""
    if name == "owner":
        if len(owners_in(item.owner)) > 1:
            ctx.note(
                warning(
                    "owner-not-pulled",
                    f"the owner of {display} changed in {ctx.tracker}, but the Owner cell names "
                    f"several owners ({item.owner}); pm-sync does not drop any of them",
                    line=item.line,
                    hint="edit the Owner cell yourself",
                )
            )
            return None
        handle = owner_handle(ctx, value)
        if handle is None:
            ctx.note(
                warning(
                    "owner-not-pulled",
                    f"the owner of {display} changed in {ctx.tracker} to an account pm-sync cannot "
                    "name in the document",
                    line=item.line,
                    hint=f'map it under [owners] ("@name" = {{ {ctx.tracker} = "..." }})',
                )
            )
        return handle
    raw = value.isoformat() if isinstance(value, dt.date) else "" if value is None else str(value)
    cell = safe_cell(raw)  # the tracker's own text, so what had to change is reported
    text = cell.text
    if cell.changed:
        ctx.note(
            warning(
                "unsafe-value",
                f"the {name} of {display} in {ctx.tracker} holds line breaks or table syntax; "
                "it was written as one plain line",
                line=item.line,
            )
        )
    return text


def owner_handle(ctx: PlanContext, identity: object) -> str | None:
    """A tracker identity as an Owner cell: the owner map's name for it, a handle resolved in
    this run, or the tracker's own plain login. Never a free-text display name."""
    if identity is None:
        return ""
    ident = str(identity)
    for handle, entry in ctx.trackers.config.owners.items():
        if entry.get(ctx.tracker) == ident and _HANDLE.fullmatch(handle):
            return handle
    for handle, known in ctx.owners.ids.items():
        if known == ident and _HANDLE.fullmatch(handle):
            return handle
    guess = ctx.connector.owner_handle(ident)
    if guess and _HANDLE.fullmatch(guess):
        return guess if guess.startswith("@") else "@" + guess
    return None


def _shown(ctx: PlanContext, name: str, value: object) -> str | None:
    """A value as the document would write it (for plans and conflict reports)."""
    if value is None:
        return None
    if name == "owner":
        return owner_handle(ctx, value) or "(an account not in the owner map)"
    if isinstance(value, dt.date):
        return value.isoformat()
    return safe_cell(str(value)).text
