"""Projects v2 over GraphQL (httpx): add an issue to a board, set its date and priority fields.

GitHub answers GraphQL failures with HTTP 200 and an `errors` array, so every reply is checked.
Field and option IDs are looked up once per run; each field is set by its own mutation, as the
API requires.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pm_sync import clock
from pm_sync.document.model import Priority
from pm_sync.errors import AuthError, BadResponseError, NotFoundError, PmSyncError, TrackerError
from pm_sync.tracker.http import Policy, RateLimitHook, error_text, resendable, reset_wait
from pm_sync.tracker.http_httpx import client
from pm_sync.tracker.secrets import Secrets
from pm_sync_github.config import GitHubConfig
from pm_sync_github.rest import rate_limit_hook

PROJECT_QUERY = """
query($owner: String!, $number: Int!) {
  %s(login: $owner) {
    projectV2(number: $number) {
      id
      fields(first: 100) {
        nodes {
          __typename
          ... on ProjectV2FieldCommon { id name dataType }
          ... on ProjectV2SingleSelectField { options { id name } }
        }
      }
    }
  }
}
"""
ADD_ITEM = """
mutation($project: ID!, $content: ID!) {
  addProjectV2ItemById(input: {projectId: $project, contentId: $content}) { item { id } }
}
"""
SET_FIELD = """
mutation($project: ID!, $item: ID!, $field: ID!, $value: ProjectV2FieldValue!) {
  updateProjectV2ItemFieldValue(
    input: {projectId: $project, itemId: $item, fieldId: $field, value: $value}
  ) { projectV2Item { id } }
}
"""
CLEAR_FIELD = """
mutation($project: ID!, $item: ID!, $field: ID!) {
  clearProjectV2ItemFieldValue(input: {projectId: $project, itemId: $item, fieldId: $field}) {
    projectV2Item { id }
  }
}
"""


@dataclass
class Board:
    id: str
    due_field: str | None = None
    priority_field: str | None = None
    options: dict[str, str] = field(default_factory=dict)  # casefolded option name -> id


def graphql_rate_limit(secondary_wait: float) -> RateLimitHook:
    """GraphQL rate limits arrive as HTTP 200 with an `errors` array (primary, with
    `x-ratelimit-remaining: 0`) or as 403/429 (secondary): both are waited out like REST's."""
    rest_hook = rate_limit_hook(secondary_wait)

    def hook(status: int, headers: Mapping[str, str], body: str) -> float | None:
        if status in (403, 429):
            return rest_hook(status, headers, body)
        if status != 200 or '"errors"' not in body:
            return None
        limited = headers.get("x-ratelimit-remaining") == "0" or "RATE_LIMITED" in body
        if not limited or ("rate limit" not in body.lower() and "RATE_LIMITED" not in body):
            return None
        return reset_wait(headers.get("x-ratelimit-reset"), clock.now()) or secondary_wait

    return hook


class Projects:
    def __init__(self, cfg: GitHubConfig, token: str) -> None:
        self.cfg = cfg
        self.secrets = Secrets([token])
        policy = Policy(
            tracker="GitHub GraphQL",
            connect_timeout=cfg.connect_timeout,
            read_timeout=cfg.timeout,
            attempts=cfg.attempts,
            max_wait=cfg.max_wait,
            rate_limit=graphql_rate_limit(cfg.secondary_rate_wait),
            secrets=self.secrets,
            hint="check trackers.github.api_url / graphql_url and the network",
        )
        self._http = client(
            policy, headers={"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
        )
        self._board: Board | None = None

    def __repr__(self) -> str:
        return f"Projects(url={self.cfg.graphql_endpoint()!r})"

    def close(self) -> None:
        self._http.close()

    @property
    def where(self) -> str:
        b = self.cfg.board
        assert b is not None
        return f"project {b.owner}/{b.number}"

    def query(self, text: str, variables: dict[str, Any], what: str) -> dict[str, Any]:
        """One GraphQL request; reads and our idempotent mutations (adding an item returns the
        existing one, setting a field sets it) are safe to send again."""
        url = self.cfg.graphql_endpoint()
        env = self.cfg.token_env
        try:
            with resendable():
                reply = self._http.post(url, json={"query": text, "variables": variables})
        except PmSyncError as exc:
            exc.message = self.secrets.scrub(exc.message)
            raise
        if reply.status_code == 401:
            raise AuthError(
                f"GitHub rejected the token while {what} (401)",
                hint=f"put a valid token in {env} (trackers.github.token_env)",
            )
        if reply.status_code >= 400:
            said = error_text(reply.content, reply.headers.get("content-type", ""), secrets=self.secrets)
            raise TrackerError(
                self.secrets.scrub(f"GitHub GraphQL answered {reply.status_code} while {what}: {said}")
            )
        try:
            body = reply.json()
        except ValueError:
            raise BadResponseError(f"GitHub GraphQL sent a reply that is not JSON while {what}") from None
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
            types = {e.get("type") for e in errors if isinstance(e, dict)}
            hint = (
                f"the token in {env} needs the `project` scope"
                if types & {"FORBIDDEN", "INSUFFICIENT_SCOPES"}
                else "check trackers.github.project, due_field and priority_field"
            )
            raise TrackerError(
                self.secrets.scrub(f"GitHub GraphQL refused {what}: {messages[:300]}"), hint=hint
            )
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise BadResponseError(f"GitHub GraphQL sent no data while {what}")
        return data

    # ------------------------------------------------------------------ the board

    def board(self) -> Board:
        if self._board is not None:
            return self._board
        b = self.cfg.board
        assert b is not None
        kind = "organization" if b.owner_type == "org" else "user"
        data = self.query(
            PROJECT_QUERY % kind, {"owner": b.owner, "number": b.number}, f"looking up {self.where}"
        )
        project = (data.get(kind) or {}).get("projectV2")
        if not project:
            raise NotFoundError(
                f"{self.where} does not exist or the token cannot see it",
                hint="check trackers.github.project (owner, number, owner_type)",
            )
        nodes = [n for n in ((project.get("fields") or {}).get("nodes") or []) if n]
        board = Board(id=project["id"])
        if self.cfg.due_field:
            node = self._field(nodes, self.cfg.due_field, "DATE", "due_field")
            board.due_field = node["id"]
        if self.cfg.priority_field:
            node = self._field(nodes, self.cfg.priority_field, "SINGLE_SELECT", "priority_field")
            board.priority_field = node["id"]
            board.options = {o["name"].casefold(): o["id"] for o in node.get("options") or []}
        self._board = board
        return board

    def _field(self, nodes: list[dict[str, Any]], name: str, kind: str, key: str) -> dict[str, Any]:
        for node in nodes:
            if str(node.get("name", "")).casefold() == name.casefold():
                if node.get("dataType") != kind:
                    raise TrackerError(
                        f"field {name!r} of {self.where} is {node.get('dataType')}, not {kind}",
                        hint=f"point trackers.github.{key} at a {kind.lower()} field",
                    )
                return node
        names = ", ".join(sorted(str(n.get("name")) for n in nodes if n.get("name")))
        raise NotFoundError(
            f"{self.where} has no field named {name!r}", hint=f"set trackers.github.{key} to one of: {names}"
        )

    def sync(
        self,
        node_id: str,
        *,
        due: dt.date | None,
        priority: Priority | None,
        label: str | None,
        set_due: bool,
        set_priority: bool,
    ) -> None:
        """Add the issue to the board (GitHub returns the existing item if present), set fields."""
        board = self.board()
        data = self.query(
            ADD_ITEM, {"project": board.id, "content": node_id}, f"adding the issue to {self.where}"
        )
        item = ((data.get("addProjectV2ItemById") or {}).get("item") or {}).get("id")
        if not item:
            raise TrackerError(f"GitHub did not return a project item for the issue ({self.where})")
        if set_due and board.due_field:
            self._set(
                board, item, board.due_field, {"date": due.isoformat()} if due else None, "the due date"
            )
        if set_priority and board.priority_field:
            option = None
            if priority is not None:
                option = board.options.get(priority.value.casefold()) or (
                    board.options.get(label.casefold()) if label else None
                )
                if option is None:
                    raise NotFoundError(
                        f"field {self.cfg.priority_field!r} of {self.where} has no option {priority.value!r}",
                        hint="add the option to the board, or point trackers.github.priority_field elsewhere",
                    )
            self._set(
                board,
                item,
                board.priority_field,
                {"singleSelectOptionId": option} if option else None,
                "the priority",
            )

    def _set(self, board: Board, item: str, field_id: str, value: dict[str, str] | None, what: str) -> None:
        variables: dict[str, Any] = {"project": board.id, "item": item, "field": field_id}
        if value is None:
            self.query(CLEAR_FIELD, variables, f"clearing {what} on {self.where}")
        else:
            self.query(SET_FIELD, variables | {"value": value}, f"setting {what} on {self.where}")
