"""Document owners (`@alice`) to Jira users: Cloud accountId, Data Center username.

The owner map entry for Jira (`[owners] "@alice" = { jira = "..." }`) may hold:
- the identity itself: an accountId on Cloud (`557058:...`), a username on Data Center;
- an email address (`alice@example.com`, or `email:alice@example.com`), looked up once a run.
Without an entry the handle itself is looked up: on Data Center the user whose username is the
handle; on Cloud the one user whose email starts with `handle@` or whose display name is the
handle. Anything ambiguous is reported unknown, never guessed.

An identity written in the owner map is checked too (one `GET user` per identity, once a run):
a typo'd accountId or a departed user's username is found before the first create, so the
`unknown_owner` policy decides, not Jira's refusal halfway through a postmortem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pm_sync.errors import NotFoundError
from pm_sync.tracker.tickets import OwnerResolution
from pm_sync_jira.client import JiraClient


class OwnerLookup:
    def __init__(self, client: JiraClient) -> None:
        self.client = client
        self._handles: dict[str, str] = {}  # Jira identity -> document handle
        self._checked: dict[str, str | None] = {}  # identity -> why it cannot be assigned, or None

    def resolve(self, handles: Sequence[str], mapped: Mapping[str, str | None]) -> OwnerResolution:
        result = OwnerResolution()
        for handle in handles:
            value = (mapped.get(handle) or "").strip()
            if value.casefold().startswith("email:"):
                value = value[len("email:") :].strip()
            if value and "@" not in value:
                why = self._check(value)
                if why is None:
                    result.ids[handle] = value
                else:
                    result.unknown[handle] = why
            elif value:
                self._by_email(handle, value, result)
            else:
                self._by_handle(handle, result)
            if handle in result.ids:
                self._handles.setdefault(result.ids[handle], handle)
        return result

    def handle_for(self, ident: str) -> str:
        return self._handles.get(ident, ident)

    def _check(self, ident: str) -> str | None:
        """Why the mapped identity cannot be an assignee (no such user, deactivated), or None."""
        if ident not in self._checked:
            kind = "accountId" if self.client.is_cloud else "username"
            try:
                user = self.client.call(
                    self.client.get_json, "user", {kind: ident}, what=f"look up the Jira user {ident}"
                )
            except NotFoundError:
                user = None
            if not isinstance(user, dict):
                self._checked[ident] = f"no Jira user has the {kind} {ident!r} (from the owner map)"
            elif user.get("active") is False:
                self._checked[ident] = f"the Jira user {ident!r} (from the owner map) is deactivated"
            else:
                self._checked[ident] = None
        return self._checked[ident]

    def _search(self, term: str) -> list[dict[str, Any]]:
        jira = self.client.jira
        kwargs: dict[str, Any] = {"query": term} if self.client.is_cloud else {"user": term}
        users = self.client.call(jira.search_users, maxResults=50, what="look up Jira users", **kwargs)
        return [u.raw for u in users if isinstance(getattr(u, "raw", None), dict)]

    def _ident(self, user: dict[str, Any]) -> str | None:
        value = user.get("accountId") if self.client.is_cloud else user.get("name")
        return str(value) if value else None

    def _by_email(self, handle: str, email: str, result: OwnerResolution) -> None:
        users = self._search(email)
        exact = [u for u in users if str(u.get("emailAddress") or "").casefold() == email.casefold()]
        pick = exact or (users if len(users) == 1 else [])
        ident = self._ident(pick[0]) if len(pick) == 1 else None
        if ident:
            result.ids[handle] = ident
        elif not users:
            result.unknown[handle] = f"no active Jira user has the email {email}"
        else:
            result.unknown[handle] = f"{len(users)} Jira users match {email}"

    def _by_handle(self, handle: str, result: OwnerResolution) -> None:
        name = handle.strip().lstrip("@")
        if not name:
            result.unknown[handle] = "empty owner"
            return
        users = self._search(name)
        want = name.casefold()
        if self.client.is_cloud:
            match = [
                u
                for u in users
                if str(u.get("emailAddress") or "").casefold().split("@")[0] == want
                or str(u.get("displayName") or "").casefold() == want
            ]
        else:
            match = [u for u in users if str(u.get("name") or "").casefold() == want]
        ident = self._ident(match[0]) if len(match) == 1 else None
        if ident:
            result.ids[handle] = ident
        elif match:
            result.unknown[handle] = f"{len(match)} Jira users could be {name}"
        else:
            what = "email or display name" if self.client.is_cloud else "username"
            result.unknown[handle] = f"no Jira user with {what} {name!r}"
