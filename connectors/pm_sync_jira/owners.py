"""Document owners (`@alice`) to Jira users: Cloud accountId, Data Center username.

The owner map entry for Jira (`[owners] "@alice" = { jira = "..." }`) may hold:
- the identity itself: an accountId on Cloud (`557058:...`), a username on Data Center;
- an email address (`alice@example.com`, or `email:alice@example.com`), looked up once a run.
Without an entry the handle itself is looked up: on Data Center the user whose username is the
handle; on Cloud the one user whose email starts with `handle@` or whose display name is the
handle. Anything ambiguous is reported unknown, never guessed.

An identity written in the owner map is checked too, so a typo'd accountId or a departed user's
username is found before the first create and the `unknown_owner` policy decides, not Jira's
refusal halfway through a postmortem. Only Jira's word confirms an identity: a user record
carrying that very identity, active. Tickets this run read with it as their active assignee say
so already (as on GitHub, an unchanged reconcile asks nothing more); the rest are asked once a
run, on Cloud up to `USERS` at a time (`GET user/bulk`), on Data Center, which has no bulk user
read, one `GET user` each. A reply about someone else confirms nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pm_sync.errors import NotFoundError
from pm_sync.tracker.tickets import OwnerResolution
from pm_sync_jira.client import JiraClient

USERS = 50
"""accountIds per `GET user/bulk` (each a repeated query parameter: the URL stays a few KB)."""

Seen = Callable[[], Mapping[str, Any]]
"""Assignees of the tickets read so far, by identity: the raw user objects Jira sent."""


class OwnerLookup:
    def __init__(self, client: JiraClient, seen: Seen | None = None) -> None:
        self.client = client
        self._seen = seen
        self._handles: dict[str, str] = {}  # Jira identity -> document handle
        self._checked: dict[str, str | None] = {}  # identity -> why it cannot be assigned, or None

    def resolve(self, handles: Sequence[str], mapped: Mapping[str, str | None]) -> OwnerResolution:
        result = OwnerResolution()
        values: dict[str, str] = {}
        for handle in handles:
            value = (mapped.get(handle) or "").strip()
            if value.casefold().startswith("email:"):
                value = value[len("email:") :].strip()
            values[handle] = value
        self._check_all([v for v in values.values() if v and "@" not in v])
        for handle in handles:
            value = values[handle]
            if value and "@" not in value:
                why = self._checked[value]
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

    def _check_all(self, idents: Sequence[str]) -> None:
        """Settle why each mapped identity cannot be an assignee (None: it can), asking Jira only
        about those no ticket of this run already has as its active assignee."""
        if not idents:
            return
        seen = self._seen() if self._seen is not None else {}
        todo: list[str] = []
        for ident in dict.fromkeys(idents):
            if ident in self._checked:
                continue
            user = seen.get(ident)
            if isinstance(user, dict) and self._why(ident, user) is None:
                self._checked[ident] = None
            else:
                todo.append(ident)
        if not todo:
            return
        if self.client.is_cloud:
            for start in range(0, len(todo), USERS):
                self._bulk(todo[start : start + USERS])
        else:
            for ident in todo:
                self._checked[ident] = self._why(ident, self._one(ident))

    def _one(self, ident: str) -> Any:
        kind = "accountId" if self.client.is_cloud else "username"
        try:
            return self.client.call(
                self.client.get_json, "user", {kind: ident}, what=f"look up the Jira user {ident}"
            )
        except NotFoundError:
            return None

    def _bulk(self, idents: list[str]) -> None:
        """`GET user/bulk?accountId=..&accountId=..`: one page of the users asked for (an
        accountId Jira does not know is left out of `values`); a short page is followed by the
        next, at most once per identity asked."""
        found: dict[str, Any] = {}
        start = 0
        for _ in idents:
            params: dict[str, Any] = {"accountId": idents, "startAt": start, "maxResults": len(idents)}
            page = self.client.call(
                self.client.get_json, "user/bulk", params, what=f"look up {len(idents)} Jira users"
            )
            values = page.get("values") if isinstance(page, dict) else None
            if not isinstance(values, list) or not values:
                break
            for user in values:
                if isinstance(user, dict) and isinstance(user.get("accountId"), str):
                    found.setdefault(user["accountId"], user)
            start += len(values)
            if page.get("isLast") is not False or len(found) >= len(idents):
                break
        for ident in idents:
            self._checked[ident] = self._why(ident, found.get(ident))

    def _why(self, ident: str, user: Any) -> str | None:
        kind = "accountId" if self.client.is_cloud else "username"
        found = self._ident(user) if isinstance(user, dict) else None
        same = found == ident if self.client.is_cloud else (found or "").casefold() == ident.casefold()
        if not found or not same:
            return f"no Jira user has the {kind} {ident!r} (from the owner map)"
        if user.get("active") is not True:
            return f"the Jira user {ident!r} (from the owner map) is deactivated"
        return None

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
