"""Jira issue JSON <-> pm-sync's TicketState / drafts / changes, in one place.

The reconcile baseline (the owned fields as last synced) is kept with the issue as the entity
property `pm-sync`, read back in the same search as the fields (`properties=pm-sync`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import ValidationError

from pm_sync.document.model import ItemStatus, Priority
from pm_sync.sync.identity import DOC_PREFIX, MARKER_PREFIX
from pm_sync.tracker.http import require
from pm_sync.tracker.tickets import TicketChanges, TicketDraft, TicketFields, TicketState
from pm_sync_jira.config import JiraConfig

PROPERTY = "pm-sync"

READ_FIELDS = [
    "summary",
    "status",
    "resolution",
    "priority",
    "assignee",
    "duedate",
    "labels",
    "created",
    "resolutiondate",
]
_CATEGORY = {
    "new": ItemStatus.OPEN,
    "indeterminate": ItemStatus.IN_PROGRESS,
    "done": ItemStatus.DONE,
    "undefined": ItemStatus.OPEN,
}
FIELD_NAMES = {  # Jira field id -> what the user calls it in the table or config
    "summary": "summary (the Action cell)",
    "priority": "priority (the Priority cell, mapped by trackers.jira.priorities)",
    "duedate": "due date (the Due cell)",
    "assignee": "assignee (the Owner cell, via the owners table)",
    "labels": "labels (trackers.jira.labels)",
    "issuetype": "issue type (trackers.jira.issue_type)",
    "project": "project",
    "description": "description",
}


def field_name(field_id: str) -> str:
    return FIELD_NAMES.get(field_id, f"field {field_id!r}")


class Mapper:
    """Conversions that depend on the config (priority names, dropped resolutions) and deployment."""

    def __init__(self, config: JiraConfig, *, cloud: bool) -> None:
        self.config = config
        self.cloud = cloud
        self._by_name: dict[str, Priority] = {}
        for prio in sorted(config.priorities):  # P0 first: on a shared name the higher one wins
            self._by_name.setdefault(config.priorities[prio].casefold(), prio)
        self._dropped = {r.casefold() for r in config.dropped_resolutions}
        self.users: dict[str, dict[str, Any]] = {}  # identity -> user JSON seen in reads

    # ------------------------------------------------------------- outbound
    def priority_name(self, priority: Priority) -> str:
        return self.config.priorities[priority]

    def user_ref(self, ident: str | None) -> dict[str, Any] | None:
        if ident is None:
            return None
        return {"accountId": ident} if self.cloud else {"name": ident}

    def create_fields(self, draft: TicketDraft, project: str) -> dict[str, Any]:
        labels = list(dict.fromkeys([*self.config.labels, *draft.labels, draft.marker, draft.document]))
        fields: dict[str, Any] = {
            "project": {"key": project},
            "issuetype": {"name": self.config.issue_type},
            "summary": one_line(draft.action),
            "description": draft.description,
            "labels": labels,
        }
        if draft.priority is not None:
            fields["priority"] = {"name": self.priority_name(draft.priority)}
        if draft.due is not None:
            fields["duedate"] = draft.due.isoformat()
        if draft.owner is not None:
            fields["assignee"] = self.user_ref(draft.owner)
        return fields

    def edit_fields(self, changes: TicketChanges) -> dict[str, Any]:
        """Only the fields set in `changes`; a priority is never cleared (Jira requires one)."""
        fields: dict[str, Any] = {}
        for name in changes.names():
            value = getattr(changes, name)
            if name == "action":
                fields["summary"] = one_line(value or "")
            elif name == "priority" and value is not None:
                fields["priority"] = {"name": self.priority_name(value)}
            elif name == "due":
                fields["duedate"] = value.isoformat() if value else None
            elif name == "owner":
                fields["assignee"] = self.user_ref(value)
        return fields

    # -------------------------------------------------------------- inbound
    def state(self, issue: dict[str, Any], *, url: str) -> TicketState:
        key = issue.get("key")
        fields = issue.get("fields")
        require(
            isinstance(key, str) and isinstance(fields, dict),
            "Jira",
            "reading issues",
            "an issue without a key or fields",
        )
        assert isinstance(key, str) and isinstance(fields, dict)
        baseline = read_baseline(issue)
        priority = self.priority_of(fields.get("priority"))
        if baseline is not None and baseline.priority is None:
            priority = None  # the row has no priority: Jira's default is not ours to sync
        labels = [str(x) for x in fields.get("labels") or [] if isinstance(x, str)]
        return TicketState(
            key=key,
            url=f"{url}/browse/{key}",
            action=str(fields.get("summary") or ""),
            status=self.status_of(fields.get("status"), fields.get("resolution")),
            priority=priority,
            owner=self.assignee_of(fields.get("assignee")),
            due=parse_date(fields.get("duedate")),
            marker=next(
                (lb for lb in labels if lb.startswith(MARKER_PREFIX) and not lb.startswith(DOC_PREFIX)), None
            ),
            document=next((lb for lb in labels if lb.startswith(DOC_PREFIX)), None),
            baseline=baseline,
            baseline_loaded="properties" in issue,
            created=parse_time(fields.get("created")),
            resolved=parse_time(fields.get("resolutiondate")),
        )

    def priority_of(self, value: Any) -> Priority | None:
        if isinstance(value, dict) and value.get("name"):
            return self._by_name.get(str(value["name"]).casefold())
        return None

    def assignee_of(self, value: Any) -> str | None:
        if not isinstance(value, dict):
            return None
        ident = value.get("accountId") if self.cloud else value.get("name")
        if not ident:
            return None
        self.users[str(ident)] = value
        return str(ident)

    def handle_of(self, ident: str) -> str | None:
        """`@name` for a user seen in a read: DC username, else the email's local part."""
        user = self.users.get(ident)
        if user is None:
            return None
        if not self.cloud and user.get("name"):
            return "@" + str(user["name"])
        email = str(user.get("emailAddress") or "")
        if email:
            return "@" + email.split("@", maxsplit=1)[0]
        return str(user.get("displayName") or "") or None

    def status_of(self, status: Any, resolution: Any) -> ItemStatus:
        category_obj = status.get("statusCategory") if isinstance(status, dict) else None
        category = category_obj.get("key") if isinstance(category_obj, dict) else None
        result = _CATEGORY.get(str(category), ItemStatus.OPEN)
        if (
            result is ItemStatus.DONE
            and isinstance(resolution, dict)
            and str(resolution.get("name") or "").casefold() in self._dropped
        ):
            return ItemStatus.DROPPED
        return result


def one_line(text: str) -> str:
    """Jira rejects a summary with line breaks."""
    return re.sub(r"\s*[\r\n]+\s*", " ", text).strip()


def parse_date(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def parse_time(value: Any) -> dt.datetime | None:
    """Jira's `2025-01-02T10:00:00.000+0000`."""
    if not isinstance(value, str) or not value:
        return None
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value)
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def baseline_property(baseline: TicketFields) -> dict[str, Any]:
    return {"version": 1, "baseline": baseline.model_dump(mode="json")}


def read_baseline(issue: dict[str, Any]) -> TicketFields | None:
    value = (issue.get("properties") or {}).get(PROPERTY)
    if not isinstance(value, dict) or not isinstance(value.get("baseline"), dict):
        return None
    try:
        return TicketFields.model_validate(value["baseline"])
    except ValidationError:
        return None
