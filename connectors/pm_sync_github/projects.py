"""Projects v2 over GraphQL: put issues on a board and set their date and priority fields.

Field and option IDs are looked up once per run. The API takes one field per mutation and adds
an item in a mutation of its own, but one request may carry many aliased mutations: a batch of
issues joins the board in one request, and all their fields are set in a second one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pm_sync.document.model import Priority
from pm_sync.errors import NotFoundError, PmSyncError, TrackerError
from pm_sync_github.config import GitHubConfig
from pm_sync_github.graphql import GraphQL, error_path

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
BATCH = 50  # issues per request: 50 adds, or up to 100 field mutations
HINT = "check trackers.github.project, due_field and priority_field"


@dataclass
class Board:
    id: str
    due_field: str | None = None
    priority_field: str | None = None
    options: dict[str, str] = field(default_factory=dict)  # casefolded option name -> id


@dataclass
class BoardEntry:
    """One issue to put on the board, and which of its fields to set (None clears one)."""

    node_id: str
    due: dt.date | None = None
    priority: Priority | None = None
    label: str | None = None
    set_due: bool = True
    set_priority: bool = True


class Projects:
    def __init__(self, cfg: GitHubConfig, gql: GraphQL) -> None:
        self.cfg = cfg
        self.gql = gql
        self._board: Board | None = None

    def __repr__(self) -> str:
        return f"Projects(url={self.cfg.graphql_endpoint()!r})"

    @property
    def where(self) -> str:
        b = self.cfg.board
        assert b is not None
        return f"project {b.owner}/{b.number}"

    def _query(self, text: str, variables: dict[str, Any], what: str) -> dict[str, Any]:
        return self.gql.query(text, variables, what, hint=HINT, scope="project")

    # ------------------------------------------------------------------ the board

    def board(self) -> Board:
        if self._board is not None:
            return self._board
        b = self.cfg.board
        assert b is not None
        kind = "organization" if b.owner_type == "org" else "user"
        data = self._query(
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

    # ------------------------------------------------------------------ items

    def sync(self, entry: BoardEntry) -> None:
        """One issue onto the board (GitHub returns the existing item if present), fields set."""
        error = self.sync_many([entry]).get(entry.node_id)
        if error is not None:
            raise error

    def sync_many(self, entries: Sequence[BoardEntry]) -> dict[str, PmSyncError]:
        """Many issues onto the board: two requests per `BATCH`. What failed, by node id; a
        failure of the whole request (credentials, rate limit) is raised."""
        board = self.board()
        failed: dict[str, PmSyncError] = {}
        for start in range(0, len(entries), BATCH):
            chunk = list(entries[start : start + BATCH])
            items = self._add(board, chunk, failed)
            self._set_fields(board, [(e, items[e.node_id]) for e in chunk if e.node_id in items], failed)
        return failed

    def _add(self, board: Board, chunk: list[BoardEntry], failed: dict[str, PmSyncError]) -> dict[str, str]:
        params = ", ".join(f"$c{n}: ID!" for n in range(len(chunk)))
        body = "\n".join(
            f"  a{n}: addProjectV2ItemById(input: {{projectId: $project, contentId: $c{n}}}) "
            "{ item { id } }"
            for n in range(len(chunk))
        )
        text = f"mutation($project: ID!, {params}) {{\n{body}\n}}"
        variables: dict[str, Any] = {"project": board.id} | {f"c{n}": e.node_id for n, e in enumerate(chunk)}
        what = f"adding {_count(chunk)} to {self.where}"
        data, errors = self.gql.partial(text, variables, what)
        by_alias = _errors_by_alias(errors)
        if errors and not by_alias:
            raise self.gql.refused(errors, what, HINT, "project")
        items: dict[str, str] = {}
        for n, entry in enumerate(chunk):
            item = ((data.get(f"a{n}") or {}).get("item") or {}).get("id")
            if f"a{n}" in by_alias:
                failed[entry.node_id] = self.gql.refused(
                    by_alias[f"a{n}"], f"adding the issue to {self.where}", HINT, "project"
                )
            elif not isinstance(item, str) or not item:
                failed[entry.node_id] = TrackerError(
                    f"GitHub did not return a project item for the issue ({self.where})"
                )
            else:
                items[entry.node_id] = item
        return items

    def _values(self, board: Board, entry: BoardEntry) -> list[tuple[str, str, dict[str, str] | None]]:
        """(field id, what, value or None to clear) for each field of `entry` to set."""
        out: list[tuple[str, str, dict[str, str] | None]] = []
        if entry.set_due and board.due_field:
            out.append(
                (board.due_field, "the due date", {"date": entry.due.isoformat()} if entry.due else None)
            )
        if entry.set_priority and board.priority_field:
            option = None
            if entry.priority is not None:
                option = board.options.get(entry.priority.value.casefold()) or (
                    board.options.get(entry.label.casefold()) if entry.label else None
                )
                if option is None:
                    raise NotFoundError(
                        f"field {self.cfg.priority_field!r} of {self.where} has no option "
                        f"{entry.priority.value!r}",
                        hint="add the option to the board, or point trackers.github.priority_field elsewhere",
                    )
            out.append(
                (board.priority_field, "the priority", {"singleSelectOptionId": option} if option else None)
            )
        return out

    def _set_fields(
        self, board: Board, pairs: list[tuple[BoardEntry, str]], failed: dict[str, PmSyncError]
    ) -> None:
        params: list[str] = []
        lines: list[str] = []
        variables: dict[str, Any] = {"project": board.id}
        owner: dict[str, BoardEntry] = {}
        for n, (entry, item) in enumerate(pairs):
            try:
                values = self._values(board, entry)
            except PmSyncError as exc:
                failed[entry.node_id] = exc
                continue
            for m, (field_id, _, value) in enumerate(values):
                alias = f"f{n}_{m}"
                owner[alias] = entry
                variables |= {f"i{n}": item, f"{alias}_field": field_id}
                params += [f"${alias}_field: ID!"]
                if value is None:
                    lines.append(
                        f"  {alias}: clearProjectV2ItemFieldValue(input: {{projectId: $project, "
                        f"itemId: $i{n}, fieldId: ${alias}_field}}) {{ projectV2Item {{ id }} }}"
                    )
                else:
                    variables[f"{alias}_value"] = value
                    params.append(f"${alias}_value: ProjectV2FieldValue!")
                    lines.append(
                        f"  {alias}: updateProjectV2ItemFieldValue(input: {{projectId: $project, "
                        f"itemId: $i{n}, fieldId: ${alias}_field, value: ${alias}_value}}) "
                        "{ projectV2Item { id } }"
                    )
            if values:
                params.append(f"$i{n}: ID!")
        if not lines:
            return
        text = f"mutation($project: ID!, {', '.join(params)}) {{\n" + "\n".join(lines) + "\n}"
        entries = list({e.node_id: e for e in owner.values()}.values())
        what = f"setting the fields of {_count(entries)} on {self.where}"
        _, errors = self.gql.partial(text, variables, what)
        by_alias = _errors_by_alias(errors)
        if errors and not by_alias:
            raise self.gql.refused(errors, what, HINT, "project")
        for alias, errs in by_alias.items():
            hit = owner.get(alias)
            if hit is not None and hit.node_id not in failed:
                failed[hit.node_id] = self.gql.refused(
                    errs, f"setting a field on {self.where}", HINT, "project"
                )


def _count(entries: Sequence[object]) -> str:
    return "the issue" if len(entries) == 1 else f"{len(entries)} issues"


def _errors_by_alias(errors: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Errors that name one aliased mutation; empty when any error names none (the whole
    request failed)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for error in errors:
        path = error_path(error)
        if not path or not isinstance(path[0], str):
            return {}
        out.setdefault(path[0], []).append(error)
    return out
