"""`pm-sync doctor` for Jira: signed in, each project's create screen, priorities, owners.

The same create metadata push reads before its first create (`meta.load`), checked for what
every row will need instead of row by row. Owners are resolved as push resolves them, then each
identity is read back (`user?accountId=` / `user?username=`) so a mistyped accountId in
`[owners]` fails here rather than on the first assignment.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pm_sync.diagnostics import Diagnostic, error, info, warning
from pm_sync.document.model import Priority
from pm_sync.errors import NotFoundError, PmSyncError
from pm_sync.tracker.checks import owner_report, resolve, step_failed
from pm_sync.tracker.tickets import OwnerResolution
from pm_sync_jira import meta
from pm_sync_jira.fields import field_name

if TYPE_CHECKING:
    from pm_sync_jira import JiraConnector

_SET_ON_CREATE = ("priority", "duedate", "assignee")
_FILLED = {"summary", "issuetype", "project", "description", "labels", "reporter", *_SET_ON_CREATE}


def checks(connector: JiraConnector, owners: Sequence[str], projects: Sequence[str]) -> list[Diagnostic]:
    client = connector.client
    url = connector.config.url
    try:
        cloud = client.is_cloud  # reads the token; asks serverInfo when deployment = "auto"
        me = client.call(client.get_json, "myself", what="read the signed-in account")
    except PmSyncError as exc:
        return [step_failed(exc, "jira", "reachable")]
    who = (me.get("displayName") or me.get("name")) if isinstance(me, dict) else None
    out = [
        info("jira-reachable", f"Jira at {url} answers ({'Cloud' if cloud else 'Data Center'})"),
        info("jira-credentials", f"signed in as {who or 'the configured account'}"),
    ]
    wanted = sorted({p.strip().upper() for p in [*projects, connector.config.project or ""] if p.strip()})
    if not wanted:
        out.append(
            error(
                "jira-project",
                "no Jira project is configured, so pm-sync has nowhere to create tickets",
                hint="set trackers.jira.project (or the top-level project), or `project:` in front matter",
            )
        )
    for project in wanted:
        try:
            loaded = meta.load(client, project, connector.config.issue_type)
        except PmSyncError as exc:
            out.append(step_failed(exc, "jira", "project"))
            continue
        out += _project(loaded, connector)
    out += _resolutions(connector)
    try:
        out += _owners(connector, owners)
    except PmSyncError as exc:
        out.append(step_failed(exc, "jira", "owners"))
    return out


def _project(loaded: meta.CreateMeta, connector: JiraConnector) -> list[Diagnostic]:
    cfg = connector.config
    where = f"Jira project {loaded.project}"
    if loaded.missing_project is not None:
        return [
            error(
                "jira-project",
                f"{where} does not exist or the account cannot see it",
                hint="check trackers.jira.project (or the front matter's project) and the account's "
                "permissions",
            )
        ]
    if loaded.issue_types is None:
        return [info("jira-project", f"{where} exists; this Jira has no create metadata to check further")]
    if not any(t.casefold() == cfg.issue_type.casefold() for t in loaded.issue_types):
        offered = ", ".join(loaded.issue_types) or "none"
        return [
            error(
                "jira-issue-type",
                f"{where} has no issue type {cfg.issue_type!r}",
                hint=f"set trackers.jira.issue_type to one of: {offered}",
            )
        ]
    out = [info("jira-project", f"{where} takes {cfg.issue_type} issues")]
    fields = loaded.fields
    if fields is None:
        return out
    for fid, spec in fields.items():
        if spec.get("required") and not spec.get("hasDefaultValue") and fid not in _FILLED:
            out.append(
                error(
                    "jira-fields",
                    f"{where} requires field {spec.get('name') or fid!r} ({fid}) for {cfg.issue_type}, "
                    "which pm-sync does not fill",
                    hint="make the field optional or give it a default in Jira",
                )
            )
    missing = [fid for fid in _SET_ON_CREATE if fid not in fields]
    if missing:
        names = ", ".join(field_name(f) for f in missing)
        out.append(
            error(
                "jira-fields",
                f"{where}'s {cfg.issue_type} create screen lacks: {names}",
                hint="add them to the project's create screen; a row that fills them fails otherwise",
            )
        )
    else:
        out.append(info("jira-fields", f"{where}'s create screen takes priority, due date and assignee"))
    if "labels" in fields:
        labels = ", ".join(cfg.labels) or "no extra labels"
        out.append(info("jira-labels", f"{where} takes labels ({labels}, plus pm-sync's marker labels)"))
    else:
        out.append(
            error(
                "jira-labels",
                f"{where}'s {cfg.issue_type} create screen has no labels field",
                hint="add Labels to the create screen: pm-sync finds its tickets by their marker label",
            )
        )
    return out + _priorities(fields.get("priority"), connector, where)


def _priorities(spec: dict[str, Any] | None, connector: JiraConnector, where: str) -> list[Diagnostic]:
    if spec is None or not isinstance(spec.get("allowedValues"), list):
        return []
    offered = [str(v.get("name", "")) for v in spec["allowedValues"] if isinstance(v, dict)]
    known = {name.casefold() for name in offered}
    mapping = connector.config.priorities
    bad = [f"{p.value} → {mapping[p]!r}" for p in Priority if mapping[p].casefold() not in known]
    if bad:
        return [
            error(
                "jira-priorities",
                f"{where} does not offer the priorities {', '.join(bad)}",
                hint=f"fix trackers.jira.priorities; the project offers: {', '.join(offered)}",
            )
        ]
    pairs = ", ".join(f"{p.value} → {mapping[p]}" for p in Priority)
    return [info("jira-priorities", f"{where} offers every mapped priority ({pairs})")]


def _resolutions(connector: JiraConnector) -> list[Diagnostic]:
    """A misspelt `dropped_resolutions` entry silently counts dropped work as done."""
    client = connector.client
    try:
        data = client.call(client.get_json, "resolution", what="list Jira's resolutions")
    except PmSyncError as exc:
        return [warning("jira-resolutions", f"could not list resolutions: {exc.message}", hint=exc.hint)]
    names = {str(r.get("name", "")).casefold() for r in data or [] if isinstance(r, dict)}
    unknown = [r for r in connector.config.dropped_resolutions if r.casefold() not in names]
    if unknown:
        return [
            warning(
                "jira-resolutions",
                f"Jira has no resolution {', '.join(repr(r) for r in unknown)}",
                hint="fix trackers.jira.dropped_resolutions, or issues resolved so read as done",
            )
        ]
    return [info("jira-resolutions", "every dropped resolution exists")]


def _owners(connector: JiraConnector, owners: Sequence[str]) -> list[Diagnostic]:
    if not owners:
        return owner_report("jira", owners, OwnerResolution())
    resolution = resolve(connector, owners)
    client = connector.client
    for handle, ident in list(resolution.ids.items()):
        params = {"accountId": ident} if client.is_cloud else {"username": ident}
        try:
            user = client.call(client.get_json, "user", params, what=f"read Jira user {ident}")
        except NotFoundError:
            user = None
        if not isinstance(user, dict):
            resolution.unknown[handle] = f"Jira has no user {ident!r}"
        elif user.get("active") is False:
            resolution.unknown[handle] = f"Jira user {ident!r} is inactive"
        else:
            continue
        del resolution.ids[handle]
    return owner_report("jira", owners, resolution)
