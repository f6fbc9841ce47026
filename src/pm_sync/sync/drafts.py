"""What a new ticket holds, and what must be true before the first create is sent."""

from __future__ import annotations

import os
from pathlib import Path

from pm_sync.diagnostics import error, warning
from pm_sync.document.model import ActionItem, Postmortem
from pm_sync.sync.compare import Owners, PlanContext, desired_fields, first_owner
from pm_sync.sync.identity import Identity
from pm_sync.sync.plan import Plan
from pm_sync.sync.routing import Route, Trackers
from pm_sync.tracker.http import reply_shape
from pm_sync.tracker.tickets import PostmortemRef, TicketDraft


def make_draft(ctx: PlanContext, identity: Identity, item: ActionItem, route: Route, rel: str) -> TicketDraft:
    """The ticket to create for a row: the document's fields in the tracker's terms, with the
    markers that let the engine find it again."""
    pm = ctx.pm
    want = desired_fields(item, ctx)
    if item.due and not ctx.connector.capabilities.due_date:
        ctx.note(
            warning(
                "field-not-synced",
                f"{ctx.tracker} has no due dates; the due date is only in the ticket description",
                line=item.line,
            )
        )
    return TicketDraft(
        uid=item.uid,
        marker=identity.marker(item),
        document=identity.document,
        line=item.line,
        action=want.action or "",
        description=describe(item, pm, rel),
        priority=item.priority,
        owner=want.owner,
        owner_handle=first_owner(item.owner),
        due=item.due,
        labels=list(dict.fromkeys(ctx.trackers.config.labels)),
        project=route.project,
        postmortem=PostmortemRef(path=rel, title=pm.title, date=pm.date, severity=pm.severity),
    )


def resolve_owners(
    pm: Postmortem,
    tracker: str,
    routed: list[tuple[ActionItem, Route]],
    trackers: Trackers,
    plan: Plan,
) -> Owners:
    """Each owner's tracker identity; an unknown one follows the `unknown_owner` policy.

    Under "unassigned" the warning is for the rows about to be created (those with no key):
    a ticket made unassigned before is left as it is, and saying so on every nightly run
    would bury the warnings that matter."""
    items = [item for item, _ in routed]
    new = {item.uid for item, route in routed if route.key is None}
    handles = sorted({h for item in items if (h := first_owner(item.owner))})
    mapped = {h: trackers.config.owner_entry(h).get(tracker) for h in handles}
    with reply_shape(tracker, "looking up owners"):
        resolution = trackers.get(tracker).resolve_owners(handles, mapped)
    owners = Owners(ids=dict(resolution.ids))
    for handle, why in resolution.unknown.items():
        lines = [i.line for i in items if first_owner(i.owner) == handle]
        if trackers.config.unknown_owner == "unassigned":
            creating = [i.line for i in items if first_owner(i.owner) == handle and i.uid in new]
            if creating:
                plan.diagnostics.append(
                    warning(
                        "owner-unknown",
                        f"owner {handle} is unknown to {tracker} ({why}); creating unassigned",
                        path=pm.path,
                        line=creating[0],
                    )
                )
            owners.skip.add(handle)
            continue
        plan.diagnostics += [
            error(
                "owner-unknown",
                f"owner {handle} is unknown to {tracker}: {why}",
                path=pm.path,
                line=line,
                hint=f'map it under [owners] ("{handle}" = {{ {tracker} = "..." }}) or set '
                'unknown_owner = "unassigned"',
            )
            for line in lines
        ]
    return owners


def preflight(ctx: PlanContext, drafts: list[TicketDraft]) -> None:
    """Tracker-side checks before anything is created; owner problems follow the policy."""
    by_line = {d.line: d for d in drafts}
    with reply_shape(ctx.tracker, "checking what a create needs"):
        found = ctx.connector.preflight(drafts)
    for diag in found:
        if not diag.is_error:
            ctx.note(diag)
            continue
        draft = by_line.get(diag.line or -1)
        if diag.code == "owner-unknown" and ctx.trackers.config.unknown_owner == "unassigned":
            ctx.note(warning(diag.code, f"{diag.message}; creating unassigned", line=diag.line))
            if draft is not None:
                draft.owner = None
            continue
        hint = diag.hint or (
            'map the owner under [owners], or set unknown_owner = "unassigned"'
            if diag.code == "owner-unknown"
            else "fix the row or the tracker config, then rerun"
        )
        ctx.note(error(diag.code, diag.message, line=diag.line, hint=hint))


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
        "Created by pm-sync. The postmortem's action-items table owns this ticket's summary, "
        "priority, owner and due date.",
    ]
    return "\n".join(lines)
