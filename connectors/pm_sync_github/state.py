"""A GitHub issue (REST JSON) as pm-sync's `TicketState`."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from pm_sync.document.model import ItemStatus, Priority
from pm_sync.tracker.http import require
from pm_sync.tracker.tickets import TicketState
from pm_sync_github import body
from pm_sync_github.config import REPO_RE
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
        a if isinstance(a, str) else a["login"]
        for a in raw.get("assignees") or []
        if isinstance(a, str) or (isinstance(a, dict) and isinstance(a.get("login"), str))
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
    """The issue's repository from its `repository_url`, only when it is a repository name."""
    url = raw.get("repository_url")
    repo = repo_from_api_url(url) if isinstance(url, str) else None
    return repo if repo is not None and REPO_RE.fullmatch(repo) else None


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def check_issue(raw: Any, what: str) -> JSON:
    """An issue as the API documents it, or a BadResponseError (never a guess)."""
    require(isinstance(raw, dict), "GitHub", what, f"a {type(raw).__name__} where an issue belongs")
    assert isinstance(raw, dict)
    number = raw.get("number")
    require(
        isinstance(number, int) and not isinstance(number, bool) and number > 0,
        "GitHub",
        what,
        "an issue without a number",
    )
    return raw


def ticket_state(raw: JSON, labels: dict[Priority, str], requested: IssueRef | None = None) -> TicketState:
    repo = repo_of(raw) or (requested.repo if requested else "")
    number = int(raw["number"])
    if requested is not None and same_repo(repo, requested.repo) and number == requested.number:
        key = requested.key  # the spelling asked for, so case alone never looks like a move
    else:
        key = f"{repo}#{number}"
    meta = body.parse(raw.get("body") if isinstance(raw.get("body"), str) else None) or body.Meta()
    base = meta.baseline
    logins = assignee_logins(raw)
    owner = logins[0] if logins else None
    if base is not None and base.owner:
        # GitHub logins are case-insensitive; keep the spelling pm-sync wrote
        same = [x for x in logins if x.casefold() == base.owner.casefold()]
        owner = base.owner if same else owner
    title = raw.get("title")
    url = raw.get("html_url")
    return TicketState(
        key=key,
        url=url if isinstance(url, str) else None,
        action=title if isinstance(title, str) else "",
        status=status_of(raw),
        priority=priority_of(raw, labels, base.priority if base else None),
        owner=owner,
        due=meta.due,
        marker=meta.marker,
        document=meta.document,
        baseline=base,
        created=_time(raw.get("created_at")),
        resolved=_time(raw.get("closed_at")) if raw.get("state") == "closed" else None,
    )


_KEPT = (
    "number",
    "title",
    "body",
    "state",
    "state_reason",
    "html_url",
    "node_id",
    "repository_url",
    "created_at",
    "closed_at",
)


def slim(raw: JSON) -> JSON:
    """The fields of a REST issue pm-sync reads: a listing of thousands of issues is kept for
    the run, and GitHub's full issue JSON (users, URLs, reactions) is ten times larger. Labels
    and assignees are kept as plain names, the names shared across issues."""
    out: JSON = {k: raw[k] for k in _KEPT if k in raw}
    if isinstance(out.get("repository_url"), str):
        out["repository_url"] = sys.intern(out["repository_url"])
    out["labels"] = [sys.intern(n) for n in label_names(raw)]
    out["assignees"] = [sys.intern(login) for login in assignee_logins(raw)]
    if "pull_request" in raw:
        out["pull_request"] = True
    return out
