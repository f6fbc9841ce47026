"""FakeGitHub's GraphQL endpoint: a small GraphQL reader and executor over the fake's state.

Served at ``/graphql`` (github.com) or ``/api/graphql`` (GHES), as GitHub does. What it models
(tracker-apis.md §3 and "Facts checked" 5):

* documents with one ``query`` or ``mutation``, variables (``$name``), aliases, arguments
  (strings, numbers, booleans, null, enums, lists, objects), nested selections and inline
  fragments (``... on Type``); ``__typename``;
* ``repository(owner:, name:)`` with ``issue(number:)``, ``nameWithOwner``, ``id``; an issue
  that does not exist, was deleted or transferred, or is a pull request resolves to ``null``
  with a ``NOT_FOUND`` error at its path ("Could not resolve to an Issue with the number of
  N."), the rest of the reply still answered (HTTP 200). Whether GitHub follows a transferred
  issue here is UNCONFIRMED: the fake does not, so callers fall back to REST, which does;
* ``nodes(ids:)``: at most 100 ids ("You may not provide more than 100 node ids");
* Issue fields: ``id number title body state stateReason url createdAt closedAt
  labels(first:) assignees(first:) repository``; connections need ``first`` or ``last``
  (1–100);
* Projects v2: ``organization``/``user(login:) { projectV2(number:) { id fields(first:) } }``,
  ``addProjectV2ItemById`` (an item already there is returned again),
  ``updateProjectV2ItemFieldValue`` (exactly one value member) and
  ``clearProjectV2ItemFieldValue``; several aliased mutations in one request run in order;
* errors as HTTP 200 with an ``errors`` array (``type``, ``path``, ``message``); a document
  that does not parse is a ``errors`` reply without ``data``.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.fake_github import FakeGitHub, _Issue

JSONDict = dict[str, Any]
MAX_NODES = 100


class GraphQLSyntaxError(Exception):
    pass


@dataclass
class Field:
    name: str
    alias: str
    args: dict[str, Any] = field(default_factory=dict)
    selections: list[Any] = field(default_factory=list)


@dataclass
class Fragment:
    on: str | None
    selections: list[Any]


@dataclass
class Var:
    name: str


@dataclass
class Enum:
    name: str


_TOKEN = re.compile(
    r'\s*(?:(?P<comment>#[^\n]*)|(?P<string>"(?:\\.|[^"\\])*")|(?P<spread>\.\.\.)'
    r"|(?P<number>-?\d+(?:\.\d+)?)|(?P<name>[_A-Za-z][_0-9A-Za-z]*)|(?P<punct>[!$():=@\[\]{}|,]))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise GraphQLSyntaxError(f"Parse error on {text[pos : pos + 10]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        if kind in ("comment",) or (kind == "punct" and m.group(kind) == ","):
            continue
        out.append((kind, m.group(kind)))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str]:
        return self.toks[self.i] if self.i < len(self.toks) else ("eof", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise GraphQLSyntaxError(f"Parse error on {tok[1]!r}: expected {value!r}")
        if tok[0] == "eof":
            raise GraphQLSyntaxError("Parse error: unexpected end of document")
        self.i += 1
        return tok

    def document(self) -> tuple[str, list[Any]]:
        kind = "query"
        if self.peek()[1] in ("query", "mutation"):
            kind = self.take()[1]
            if self.peek()[0] == "name":
                self.take()
            if self.peek()[1] == "(":
                self.take("(")
                while self.peek()[1] != ")":
                    self.take("$")
                    self.take()
                    self.take(":")
                    self._type()
                    if self.peek()[1] == "=":
                        self.take("=")
                        self.value()
                self.take(")")
        selections = self.selections()
        if self.peek()[0] != "eof":
            raise GraphQLSyntaxError("Parse error: only one operation per document")
        return kind, selections

    def _type(self) -> None:
        if self.peek()[1] == "[":
            self.take("[")
            self._type()
            self.take("]")
        else:
            self.take()
        if self.peek()[1] == "!":
            self.take("!")

    def selections(self) -> list[Any]:
        self.take("{")
        out: list[Any] = []
        while self.peek()[1] != "}":
            if self.peek()[0] == "spread":
                self.take()
                on = None
                if self.peek()[1] == "on":
                    self.take()
                    on = self.take()[1]
                out.append(Fragment(on, self.selections()))
                continue
            name = self.take()[1]
            alias = name
            if self.peek()[1] == ":":
                self.take(":")
                name = self.take()[1]
            args: dict[str, Any] = {}
            if self.peek()[1] == "(":
                self.take("(")
                while self.peek()[1] != ")":
                    key = self.take()[1]
                    self.take(":")
                    args[key] = self.value()
                self.take(")")
            subs = self.selections() if self.peek()[1] == "{" else []
            out.append(Field(name, alias, args, subs))
        self.take("}")
        return out

    def value(self) -> Any:
        kind, text = self.take()
        if text == "$":
            return Var(self.take()[1])
        if kind == "string":
            return json.loads(text)
        if kind == "number":
            return float(text) if "." in text else int(text)
        if text == "[":
            items = []
            while self.peek()[1] != "]":
                items.append(self.value())
            self.take("]")
            return items
        if text == "{":
            obj = {}
            while self.peek()[1] != "}":
                key = self.take()[1]
                self.take(":")
                obj[key] = self.value()
            self.take("}")
            return obj
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if kind == "name":
            return Enum(text)
        raise GraphQLSyntaxError(f"Parse error on {text!r}")


def _resolve(value: Any, variables: JSONDict) -> Any:
    if isinstance(value, Var):
        return variables.get(value.name)
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, list):
        return [_resolve(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, variables) for k, v in value.items()}
    return value


class _Fail(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message


@dataclass
class Project:
    id: str
    owner: str
    number: int
    owner_type: str
    fields: list[JSONDict]
    items: dict[str, JSONDict] = field(default_factory=dict)  # content node id -> item


class GraphQL:
    """Executes documents against a FakeGitHub's repositories and project boards."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.projects: dict[tuple[str, int], Project] = {}
        self._ids = 0
        self._failures: dict[str, list[tuple[str, str]]] = {}

    # ---------------------------------------------------------------- set-up helpers

    def add_project(
        self,
        owner: str,
        number: int,
        *,
        owner_type: str = "org",
        fields: dict[str, list[str] | None] | None = None,
    ) -> Project:
        """A board; `fields` maps a name to its options (single select) or None (a date)."""
        specs = fields if fields is not None else {"Due": None, "Priority": ["P0", "P1", "P2", "P3", "P4"]}
        nodes: list[JSONDict] = [
            {"__typename": "ProjectV2Field", "id": self._id("PVTF"), "name": "Title", "dataType": "TITLE"}
        ]
        for name, options in specs.items():
            if options is None:
                nodes.append(
                    {"__typename": "ProjectV2Field", "id": self._id("PVTF"), "name": name, "dataType": "DATE"}
                )
            else:
                nodes.append(
                    {
                        "__typename": "ProjectV2SingleSelectField",
                        "id": self._id("PVTSSF"),
                        "name": name,
                        "dataType": "SINGLE_SELECT",
                        "options": [{"id": f"{n:08x}", "name": o} for n, o in enumerate(options, 1)],
                    }
                )
        project = Project(self._id("PVT"), owner, number, owner_type, nodes)
        self.projects[(owner.lower(), number)] = project
        return project

    def fail_next(self, field_name: str, kind: str, message: str, times: int = 1) -> None:
        """The next `times` resolutions of `field_name` (e.g. `updateProjectV2ItemFieldValue`)
        fail with this error, the rest of the document still answered (HTTP 200)."""
        self._failures.setdefault(field_name, []).extend([(kind, message)] * times)

    def _id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}_kw{self._ids:06d}"

    def item_values(self, owner: str, number: int, content_id: str) -> dict[str, Any] | None:
        """The field values (by field name) of an issue's item on a board, None if not on it."""
        project = self.projects[(owner.lower(), number)]
        item = project.items.get(content_id)
        if item is None:
            return None
        names = {f["id"]: f["name"] for f in project.fields}
        return {names[k]: v for k, v in item["values"].items()}

    # ---------------------------------------------------------------- executing

    def execute(self, payload: Any) -> JSONDict:
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return {"errors": [{"message": "A query attribute must be specified and must be a string."}]}
        variables = payload.get("variables") or {}
        try:
            kind, selections = _Parser(payload["query"]).document()
        except GraphQLSyntaxError as exc:
            return {"errors": [{"message": str(exc), "locations": [{"line": 1, "column": 1}]}]}
        errors: list[JSONDict] = []
        root = self._mutation if kind == "mutation" else self._query
        data = self._select(root, None, selections, variables, [], errors)
        out: JSONDict = {"data": data}
        if errors:
            out["errors"] = errors
        return out

    def _select(
        self,
        resolver: Any,
        parent: Any,
        selections: list[Any],
        variables: JSONDict,
        path: list[Any],
        errors: list[JSONDict],
    ) -> JSONDict:
        out: JSONDict = {}
        for sel in selections:
            if isinstance(sel, Fragment):
                if sel.on is None or sel.on == self._typename(parent) or sel.on in self._interfaces(parent):
                    out.update(self._select(resolver, parent, sel.selections, variables, path, errors))
                continue
            args = {k: _resolve(v, variables) for k, v in sel.args.items()}
            where = [*path, sel.alias]
            try:
                if self._failures.get(sel.name):
                    raise _Fail(*self._failures[sel.name].pop(0))
                value = resolver(parent, sel.name, args)
            except _Fail as exc:
                errors.append(
                    {
                        "type": exc.kind,
                        "path": where,
                        "locations": [{"line": 1, "column": 1}],
                        "message": exc.message,
                    }
                )
                out[sel.alias] = None
                continue
            out[sel.alias] = self._shape(value, sel, variables, where, errors)
        return out

    def _shape(
        self, value: Any, sel: Field, variables: JSONDict, path: list[Any], errors: list[JSONDict]
    ) -> Any:
        if value is None or not sel.selections:
            return value
        if isinstance(value, list):
            return [self._shape(v, sel, variables, [*path, n], errors) for n, v in enumerate(value)]
        return self._select(self._field_of, value, sel.selections, variables, path, errors)

    @staticmethod
    def _typename(obj: Any) -> str:
        return str(obj.get("__typename", "")) if isinstance(obj, dict) else ""

    @staticmethod
    def _interfaces(obj: Any) -> tuple[str, ...]:
        if isinstance(obj, dict) and str(obj.get("__typename", "")).startswith("ProjectV2"):
            return ("ProjectV2FieldCommon",)
        return ()

    # ---------------------------------------------------------------- resolvers

    def _query(self, _: Any, name: str, args: JSONDict) -> Any:
        if name == "repository":
            repo = self.fake._repos.get(f"{args.get('owner')}/{args.get('name')}".lower())
            if repo is None:
                raise _Fail(
                    "NOT_FOUND",
                    f"Could not resolve to a Repository with the name "
                    f"'{args.get('owner')}/{args.get('name')}'.",
                )
            return {"__typename": "Repository", "_repo": repo}
        if name in ("organization", "user"):
            login = str(args.get("login"))
            return {
                "__typename": "Organization" if name == "organization" else "User",
                "_login": login,
                "_kind": "org" if name == "organization" else "user",
            }
        if name == "nodes":
            ids = args.get("ids") or []
            if len(ids) > MAX_NODES:
                raise _Fail(
                    "EXCESSIVE_PAGINATION",
                    f"You may not provide more than {MAX_NODES} node ids; you provided {len(ids)}.",
                )
            return [self._node(i) for i in ids]
        if name == "node":
            return self._node(str(args.get("id")))
        if name == "rateLimit":
            return {"cost": 1, "limit": 5000, "remaining": 4999, "used": 1, "resetAt": "2030-01-01T00:00:00Z"}
        if name == "viewer":
            return {"__typename": "User", "login": self.fake.login}
        raise _Fail("undefinedField", f"Field '{name}' doesn't exist on type 'Query'")

    def _node(self, node_id: str) -> JSONDict | None:
        """An issue by its node id (`I_kwDO` + the base64 of its kind and database id)."""
        if not node_id.startswith("I_kwDO_"):
            return None
        encoded = node_id[len("I_kwDO_") :]
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError:
            return None
        ident = int.from_bytes(raw[2:], "big")
        for repo in self.fake._repos.values():
            for iss in repo.issues.values():
                if iss.id == ident and not iss.is_pr and self.fake._live(iss):
                    return self._issue(iss)
        return None

    def _issue(self, iss: _Issue) -> JSONDict:
        return {"__typename": "Issue", "_issue": iss, "_raw": self.fake._issue_json(iss)}

    def _field_of(self, parent: Any, name: str, args: JSONDict) -> Any:
        if name == "__typename":
            return self._typename(parent)
        if isinstance(parent, dict) and "_repo" in parent:
            return self._repository_field(parent["_repo"], name, args)
        if isinstance(parent, dict) and "_issue" in parent:
            return self._issue_field(parent["_issue"], parent["_raw"], name, args)
        if isinstance(parent, dict) and "_login" in parent and name == "projectV2":
            project = self.projects.get((parent["_login"].lower(), int(args.get("number") or 0)))
            if project is None or project.owner_type != parent["_kind"]:
                raise _Fail(
                    "NOT_FOUND", f"Could not resolve to a ProjectV2 with the number {args.get('number')}."
                )
            return {"__typename": "ProjectV2", "_project": project}
        if isinstance(parent, dict) and "_project" in parent:
            project = parent["_project"]
            if name == "id":
                return project.id
            if name == "fields":
                self._page(args)
                return {"nodes": project.fields[: int(args["first"])]}
        if isinstance(parent, dict) and name in parent:
            return parent[name]
        raise _Fail("undefinedField", f"Field '{name}' doesn't exist on type '{self._typename(parent)}'")

    @staticmethod
    def _page(args: JSONDict) -> None:
        size = args.get("first", args.get("last"))
        if not isinstance(size, int) or not 1 <= size <= MAX_NODES:
            raise _Fail(
                "MISSING_PAGINATION_BOUNDARIES",
                "You must provide a `first` or `last` value "
                "between 1 and 100 to properly paginate the connection.",
            )

    def _repository_field(self, repo: Any, name: str, args: JSONDict) -> Any:
        if name == "issue":
            number = int(args.get("number") or 0)
            iss = repo.issues.get(number)
            if iss is None or iss.is_pr or not self.fake._live(iss):
                raise _Fail("NOT_FOUND", f"Could not resolve to an Issue with the number of {number}.")
            return self._issue(iss)
        if name == "nameWithOwner":
            return repo.full_name
        if name == "id":
            return self.fake._repo_json(repo)["node_id"]
        if name in ("name", "owner"):
            return repo.name if name == "name" else {"login": repo.owner}
        raise _Fail("undefinedField", f"Field '{name}' doesn't exist on type 'Repository'")

    def _issue_field(self, iss: _Issue, raw: JSONDict, name: str, args: JSONDict) -> Any:
        simple = {
            "id": raw["node_id"],
            "number": raw["number"],
            "title": raw["title"],
            "body": raw["body"] or "",
            "state": str(raw["state"]).upper(),
            "stateReason": str(raw["state_reason"]).upper() if raw.get("state_reason") else None,
            "url": raw["html_url"],
            "createdAt": raw["created_at"],
            "closedAt": raw["closed_at"],
            "databaseId": raw["id"],
        }
        if name in simple:
            return simple[name]
        if name == "labels":
            self._page(args)
            return {"nodes": [{"name": lb["name"]} for lb in raw["labels"]][: int(args["first"])]}
        if name == "assignees":
            self._page(args)
            return {"nodes": [{"login": a["login"]} for a in raw["assignees"]][: int(args["first"])]}
        if name == "repository":
            return {"__typename": "Repository", "_repo": self.fake._repos[iss.repo_key]}
        raise _Fail("undefinedField", f"Field '{name}' doesn't exist on type 'Issue'")

    # ---------------------------------------------------------------- mutations

    def _mutation(self, _: Any, name: str, args: JSONDict) -> Any:
        data = args.get("input") or {}
        project = next((p for p in self.projects.values() if p.id == data.get("projectId")), None)
        if project is None:
            raise _Fail(
                "NOT_FOUND", f"Could not resolve to a node with the global id of '{data.get('projectId')}'"
            )
        if name == "addProjectV2ItemById":
            content = str(data.get("contentId"))
            if self._node(content) is None:
                raise _Fail("NOT_FOUND", f"Could not resolve to a node with the global id of '{content}'")
            item = project.items.setdefault(content, {"id": self._id("PVTI"), "values": {}})
            return {"item": {"id": item["id"]}}
        item = next((i for i in project.items.values() if i["id"] == data.get("itemId")), None)
        if item is None:
            raise _Fail(
                "NOT_FOUND", f"Could not resolve to a node with the global id of '{data.get('itemId')}'"
            )
        fld = next((f for f in project.fields if f["id"] == data.get("fieldId")), None)
        if fld is None:
            raise _Fail(
                "NOT_FOUND", f"Could not resolve to a node with the global id of '{data.get('fieldId')}'"
            )
        if name == "clearProjectV2ItemFieldValue":
            item["values"].pop(fld["id"], None)
            return {"projectV2Item": {"id": item["id"]}}
        if name == "updateProjectV2ItemFieldValue":
            value = data.get("value") or {}
            if not isinstance(value, dict) or len(value) != 1:
                raise _Fail("INVALID", "Exactly one value must be given for a field")
            ((kind, given),) = value.items()
            if (
                fld["dataType"] == "DATE"
                and kind == "date"
                and re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(given))
            ):
                item["values"][fld["id"]] = given
            elif fld["dataType"] == "SINGLE_SELECT" and kind == "singleSelectOptionId":
                option = next((o for o in fld["options"] if o["id"] == given), None)
                if option is None:
                    raise _Fail("INVALID", "The single select option Id does not belong to the field")
                item["values"][fld["id"]] = option["name"]
            else:
                raise _Fail("INVALID", f"The field of type {fld['dataType']} does not take a {kind} value")
            return {"projectV2Item": {"id": item["id"]}}
        raise _Fail("undefinedField", f"Field '{name}' doesn't exist on type 'Mutation'")
