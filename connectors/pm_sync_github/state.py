"""A GitHub issue (REST JSON) as pm-sync's `TicketState`."""

from __future__ import annotations

from typing import Any

from pm_sync.document.model import ItemStatus, Priority
from pm_sync.tracker.contract import TicketState
from pm_sync_github import body
from pm_sync_github.refs import IssueRef, repo_from_api_url, same_repo

JSON = dict[str, Any]


def label_names(raw: JSON) -> list[str]:
    names = []
    for label in raw.get("labels") or []:
        name = label.get("name") if isinstance(label, dict) else label
        if isinstance(name, str):
            names.append(name)
    return names


def assignee_logins(raw: JSON) -> list[str]:
    logins = [
        a["login"]
        for a in raw.get("assignees") or []
        if isinstance(a, dict) and isinstance(a.get("login"), str)
    ]
    single = raw.get("assignee")
    if not logins and isinstance(single, dict) and isinstance(single.get("login"), str):
        logins = [single["login"]]
    return logins


def priority_of(raw: JSON, labels: dict[Priority, str], preferred: Priority | None) -> Priority | None:
    present = {n.casefold() for n in label_names(raw)}
    found = [p for p in Priority if labels[p].casefold() in present]
    if preferred in found:
        return preferred
    return found[0] if found else None


def status_of(raw: JSON) -> ItemStatus:
    if raw.get("state") != "closed":
        return ItemStatus.OPEN
    if raw.get("state_reason") in ("not_planned", "duplicate"):
        return ItemStatus.DROPPED
    return ItemStatus.DONE


def repo_of(raw: JSON) -> str | None:
    url = raw.get("repository_url")
    return repo_from_api_url(url) if isinstance(url, str) else None


def ticket_state(raw: JSON, labels: dict[Priority, str], requested: IssueRef | None = None) -> TicketState:
    repo = repo_of(raw) or (requested.repo if requested else "")
    number = int(raw["number"])
    if requested is not None and same_repo(repo, requested.repo) and number == requested.number:
        key = requested.key  # the spelling asked for, so case alone never looks like a move
    else:
        key = f"{repo}#{number}"
    meta = body.parse(raw.get("body")) or body.Meta()
    base = meta.baseline
    logins = assignee_logins(raw)
    assignee = logins[0] if logins else None
    if base is not None and base.assignee:
        # GitHub logins are case-insensitive; keep the spelling pm-sync wrote
        same = [x for x in logins if x.casefold() == base.assignee.casefold()]
        assignee = base.assignee if same else assignee
    return TicketState(
        key=key,
        url=raw.get("html_url"),
        summary=raw.get("title") or "",
        status=status_of(raw),
        priority=priority_of(raw, labels, base.priority if base else None),
        assignee=assignee,
        due=meta.due,
        marker=meta.marker,
        baseline=base,
        requested_key=requested.key if requested is not None else None,
    )
