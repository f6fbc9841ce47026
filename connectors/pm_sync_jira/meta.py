"""Create metadata: what a project's create screen requires and allows, checked before creating.

jira 3.10's `project_issue_types` / `project_issue_fields` refuse to run on Cloud, so the
paginated `issue/createmeta/{project}/issuetypes[/{id}]` resources are read through the
library's session (Cloud pages carry `issueTypes` / `fields`, Data Center pages `values`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jira import JIRAError

from pm_sync.diagnostics import Diagnostic, error, warning
from pm_sync.tracker.tickets import TicketDraft
from pm_sync_jira.client import JiraClient
from pm_sync_jira.fields import Mapper, field_name

# Fields pm-sync fills itself, or that Jira fills for the caller.
_ALWAYS = {"summary", "issuetype", "project", "description", "labels", "reporter"}


@dataclass
class CreateMeta:
    project: str
    issue_type: str
    issue_types: list[str] | None = None  # None: this Jira has no createmeta resources
    fields: dict[str, dict[str, Any]] | None = None  # None: metadata not available
    missing_project: str | None = None
    unchecked: str | None = None  # why the up-front check could not run


def _pages(client: JiraClient, path: str, item_keys: Sequence[str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    start = 0
    while True:
        page = client.get_json(path, params={"startAt": start, "maxResults": 50})
        got: list[dict[str, Any]] = []
        if isinstance(page, dict):
            for name in item_keys:
                if isinstance(page.get(name), list):
                    got = page[name]
                    break
        items.extend(got)
        start += len(got)
        total = page.get("total") if isinstance(page, dict) else None
        last = page.get("isLast") if isinstance(page, dict) else True
        if not got or last is True or (isinstance(total, int) and start >= total):
            return items


def load(client: JiraClient, project: str, issue_type: str) -> CreateMeta:
    meta = CreateMeta(project=project, issue_type=issue_type)
    with client.errors(f"read project {project}", project=project):
        try:
            types = _pages(client, f"issue/createmeta/{project}/issuetypes", ("issueTypes", "values"))
        except JIRAError as exc:
            if exc.status_code != 404:
                raise
            if "project" in str(exc.text or "").casefold():
                meta.missing_project = str(exc.text)
            else:  # Jira before 8.4 has no such resource: create errors will still name fields
                meta.unchecked = f"Jira has no issue/createmeta/{project}/issuetypes (before 8.4)"
            return meta
        meta.issue_types = [str(t.get("name")) for t in types]
        match = next((t for t in types if str(t.get("name", "")).casefold() == issue_type.casefold()), None)
        if match is None:
            return meta
        try:
            metas = _pages(
                client, f"issue/createmeta/{project}/issuetypes/{match['id']}", ("fields", "values")
            )
        except JIRAError as exc:
            if exc.status_code != 404:
                raise
            meta.unchecked = f"Jira has no create metadata for {project}/{issue_type}"
            return meta
    meta.fields = {str(m.get("fieldId") or m.get("key")): m for m in metas}
    return meta


def problems(
    meta: CreateMeta, drafts: Sequence[TicketDraft], mapper: Mapper, labels: Sequence[str]
) -> list[Diagnostic]:
    """Every reason a create would fail, per draft, before anything is sent."""
    where = f"Jira project {meta.project}"
    if meta.unchecked is not None and drafts:
        return [
            warning(
                "jira-create-meta", f"{meta.unchecked}; fields are checked when creating", line=drafts[0].line
            )
        ]
    if meta.missing_project is not None:
        msg = (
            f"{where} does not exist or the account cannot see it "
            f"(check trackers.jira.project or the front matter's project)"
        )
        return [_problem(d, msg) for d in drafts]
    out: list[Diagnostic] = []
    for label in labels:
        if not label or any(c.isspace() for c in label):
            out += [
                _problem(d, f"label {label!r} has spaces; Jira labels cannot contain spaces") for d in drafts
            ]
    if meta.issue_types is None:
        return out
    if not any(t.casefold() == meta.issue_type.casefold() for t in meta.issue_types):
        offered = ", ".join(meta.issue_types) or "none"
        msg = (
            f"{where} has no issue type {meta.issue_type!r} (offered: {offered}); "
            "set trackers.jira.issue_type"
        )
        return out + [_problem(d, msg) for d in drafts]
    if meta.fields is None:
        return out
    fields = meta.fields
    for fid, spec in fields.items():
        if (
            spec.get("required")
            and not spec.get("hasDefaultValue")
            and fid not in _ALWAYS
            and fid not in ("priority", "duedate", "assignee")
        ):
            name = spec.get("name") or fid
            msg = (
                f"{where} requires field {name!r} ({fid}) for {meta.issue_type}, which "
                "pm-sync does not fill; make it optional or give it a default in Jira"
            )
            out += [_problem(d, msg) for d in drafts]
    allowed = _allowed_priorities(fields.get("priority"))
    for draft in drafts:
        out += _draft_problems(draft, fields, allowed, mapper, where)
    return out


def _allowed_priorities(spec: dict[str, Any] | None) -> set[str] | None:
    if spec is None or not isinstance(spec.get("allowedValues"), list):
        return None
    return {str(v.get("name", "")).casefold() for v in spec["allowedValues"]}


def _draft_problems(
    draft: TicketDraft,
    fields: dict[str, dict[str, Any]],
    allowed: set[str] | None,
    mapper: Mapper,
    where: str,
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    sent = {
        "priority": draft.priority is not None,
        "duedate": draft.due is not None,
        "assignee": draft.owner is not None,
    }
    for fid, is_sent in sent.items():
        spec = fields.get(fid)
        if is_sent and spec is None:
            out.append(
                _problem(
                    draft,
                    (
                        f"{where} does not accept the {field_name(fid)} on its create screen; add "
                        f"the field to the screen, or leave the cell empty"
                    ),
                )
            )
        elif not is_sent and spec and spec.get("required") and not spec.get("hasDefaultValue"):
            out.append(_problem(draft, (f"{where} requires the {field_name(fid)}, and this row has none")))
    if draft.priority is not None and allowed is not None:
        name = mapper.priority_name(draft.priority)
        if name.casefold() not in allowed:
            out.append(
                _problem(
                    draft,
                    (
                        f"priority {draft.priority.value} maps to Jira priority {name!r}, which {where} "
                        f"does not offer; fix trackers.jira.priorities"
                    ),
                )
            )
    return out


def _problem(draft: TicketDraft, message: str) -> Diagnostic:
    return error("jira-create-meta", message, line=draft.line)
