"""A faithful fake of the Jira REST API (Cloud and Data Center) on 127.0.0.1.

Stdlib only (``http.server.ThreadingHTTPServer`` + ``threading``), so CI needs no
network.  It is driven by the real ``jira`` client in ``tests/test_fake_jira.py``.

    with FakeJira(mode="cloud") as jira:          # or mode="datacenter"
        jira.add_project("OPS", name="Operations", issue_types=["Task", "Bug"])
        client = JIRA(server=jira.url, basic_auth=(jira.email, jira.token))

Behaviour notes (sources in brackets; "UNCONFIRMED" = wording not verified against
a primary source, chosen to be plausible and kept in one place, ``_MSG``):

* serverInfo: Cloud sends ``deploymentType: "Cloud"``; Data Center sends
  ``"Server"`` (verbatim capture of a Jira DC 10.3.19 serverInfo and an 8.5.3 one,
  both ``"deploymentType":"Server"``).  ``versionNumbers`` is always present
  (jira client raises without it).
* 401 body ``{"message":"Client must be authenticated to access this resource.",
  "status-code":401}`` (first-hand DC 10.3 capture; same text reported for Cloud API
  tokens in jira-node/node-jira-client#255).  ``serverInfo`` is anonymous-readable
  (pycontribs/jira#1497) so it answers 200 without an Authorization header, but 401
  when wrong credentials are sent.  Other endpoints answer 401 with missing
  credentials (real Jira would treat them as anonymous; simplified on purpose).
* Cloud ``/search`` -> 410 with Atlassian's CHANGE-2046 body; DC ``/search/jql`` and
  DC ``/rest/api/3`` -> 404.  Cloud ``search/jql`` rejects unbounded JQL with
  "Unbounded JQL queries are not allowed here. ..." (many public client reports) and
  caps maxResults at 100, or 5000 when only id/key are requested (Atlassian docs via
  JRACLOUD ECO-1010); without ``fields`` it returns only ``id``.  DC ``/search`` caps
  maxResults at 1000, default 50 (first-hand DC 10.3 measurement).
* JQL naming a missing key -> 400 "An issue with key 'X-9' does not exist for field
  'key'." (Atlassian KB "How to handle HTTP 400 Bad Request errors on Jira search REST
  API endpoint" (DC), and production logs quoted in public clients); a malformed key
  -> "The issue key 'x' for field 'key' is invalid." (hygieia/hygieia#1376).  The same
  wording is used whether or not the key's project exists.  Cloud's wording for
  search/jql is not measured: pass ``unknown_jql_keys="empty"`` to make Cloud return
  no match instead (one third party reports that behaviour).  Moved issues: old keys
  redirect (Atlassian KB on historical keys) and, here, also match in JQL.
* createmeta: DC pages with ``values``/``isLast`` (what jira's ``project_issue_types``
  / ``project_issue_fields`` read); Cloud pages with ``issueTypes`` / ``fields``
  (Cloud OpenAPI PageOfCreateMetaIssueTypes / ...WithField).  Note jira 3.10.5 refuses
  to call these on Cloud (``_check_createmeta_issuetypes``).
* Bulk create: ``{"issues":[...],"errors":[{"status":400,"elementErrors":{...},
  "failedElementNumber":N}]}`` (Cloud OpenAPI CreatedIssues/BulkOperationErrorResult),
  201 if any element succeeded, 400 if all failed, at most 50 elements.
* Create/edit errors: "You must specify a summary of the issue.", "Summary must be
  less than 255 characters." (Jira UI tests), "Field 'x' cannot be set. It is not on
  the appropriate screen, or unknown." (andygrunwald/go-jira#373), "The label 'a b'
  contains spaces which is invalid.", "The priority selected is invalid.", DC
  "expected Object containing a 'name' property" (TA-jira-service-desk#221).
* Rate limits: 429 with integer ``Retry-After``, ``X-RateLimit-Reset`` ISO-8601
  (``yyyy-MM-ddTHH:mmZ``) and ``RateLimit-Reason`` (Atlassian "Rate limiting").
* Issue entity properties (Atlassian "Entity properties", Jira 6.2+; REST "Issue properties"):
  ``GET issue/{k}/properties`` -> ``{"keys":[{"key","self"}]}``, ``GET/PUT/DELETE
  issue/{k}/properties/{p}``.  PUT answers 201 when created, 200 when updated (empty body);
  the value must be JSON (an object, per the overview page) of at most 32768 characters and the
  key at most 255 characters.  ``properties=a,b`` (or ``*all`` on issue GET) on issue GET and
  on Cloud's ``search/jql`` adds ``"properties": {"a": <value>}`` to each issue, only when
  requested; Data Center's ``search`` has no such parameter and leaves properties out.
  Properties survive a move and are not JQL-searchable (no app indexes them here).
* Search is instant unless ``search_lag`` seconds is set[Any]: new issues are invisible to
  search until then (Cloud ``reconcileIssues`` ids are always visible).
* Server-side waits use ``threading.Event.wait`` so tests may monkeypatch
  ``time.sleep`` (as the jira client sleeps via ``time.sleep``) without effect here.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import itertools
import json
import operator
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, NoReturn
from urllib.parse import parse_qs, quote, urlsplit

import pytest

JSON_CT = "application/json;charset=UTF-8"
REMOVED_SEARCH_MSG = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
STATUS_CATEGORIES = {  # id -> (key, name, colorName)
    1: ("undefined", "No Category", "medium-gray"),
    2: ("new", "To Do", "blue-gray"),
    4: ("indeterminate", "In Progress", "yellow"),
    3: ("done", "Done", "green"),
}
DEFAULT_STATUSES = [("10000", "To Do", 2), ("3", "In Progress", 4), ("10001", "Done", 3)]
DEFAULT_PRIORITIES = [("1", "Highest"), ("2", "High"), ("3", "Medium"), ("4", "Low"), ("5", "Lowest")]
DEFAULT_RESOLUTIONS = [
    ("10000", "Done"),
    ("10001", "Won't Do"),
    ("2", "Won't Fix"),
    ("3", "Duplicate"),
    ("5", "Cannot Reproduce"),
]
DEFAULT_ISSUE_TYPES = {
    "Epic": "10000",
    "Story": "10001",
    "Task": "10002",
    "Sub-task": "10003",
    "Bug": "10004",
}
# id, name, schema, clauseNames
SYSTEM_FIELDS = [
    ("summary", "Summary", {"type": "string", "system": "summary"}, ["summary"]),
    ("description", "Description", {"type": "string", "system": "description"}, ["description"]),
    ("issuetype", "Issue Type", {"type": "issuetype", "system": "issuetype"}, ["issuetype", "type"]),
    ("project", "Project", {"type": "project", "system": "project"}, ["project"]),
    ("priority", "Priority", {"type": "priority", "system": "priority"}, ["priority"]),
    ("duedate", "Due date", {"type": "date", "system": "duedate"}, ["due", "duedate"]),
    ("labels", "Labels", {"type": "array", "items": "string", "system": "labels"}, ["labels"]),
    ("assignee", "Assignee", {"type": "user", "system": "assignee"}, ["assignee"]),
    ("reporter", "Reporter", {"type": "user", "system": "reporter"}, ["reporter"]),
    ("creator", "Creator", {"type": "user", "system": "creator"}, ["creator"]),
    ("status", "Status", {"type": "status", "system": "status"}, ["status"]),
    ("resolution", "Resolution", {"type": "resolution", "system": "resolution"}, ["resolution"]),
    (
        "resolutiondate",
        "Resolved",
        {"type": "datetime", "system": "resolutiondate"},
        ["resolutiondate", "resolved"],
    ),
    ("created", "Created", {"type": "datetime", "system": "created"}, ["created", "createdDate"]),
    ("updated", "Updated", {"type": "datetime", "system": "updated"}, ["updated", "updatedDate"]),
    ("comment", "Comment", {"type": "comments-page", "system": "comment"}, ["comment"]),
    ("issuekey", "Key", None, ["id", "issue", "issuekey", "key"]),
]
_SYSTEM_NAMES = {f[0]: f[1] for f in SYSTEM_FIELDS}
CREATE_SCREEN = [
    "summary",
    "issuetype",
    "project",
    "description",
    "priority",
    "duedate",
    "labels",
    "assignee",
    "reporter",
]
_NOT_NAVIGABLE = {"comment"}
_KEY_RE = re.compile(r"^([A-Z][A-Z0-9_]*)-([0-9]+)$")

# Cloud / DC wording.  Keys ending in _dc are the DC variants.
_MSG = {
    "auth": "Client must be authenticated to access this resource.",
    "no_issue": "Issue does not exist or you do not have permission to see it.",
    "summary_missing": "You must specify a summary of the issue.",
    "summary_long": "Summary must be less than 255 characters.",
    "summary_newline": "The summary is invalid because it contains newline characters.",
    "not_on_screen": "Field '{f}' cannot be set. It is not on the appropriate screen, or unknown.",
    "priority": "The priority selected is invalid.",
    "duedate": "Error parsing date string: {v}",
    "label_space": "The label '{v}' contains spaces which is invalid.",
    "label_long": "The label '{v}' exceeds the maximum length for a single label of 255 characters.",
    "required": "{name} is required.",
    "project_missing": "Specify a valid project ID or key",
    "project_missing_dc": "project is required",
    "project_invalid": "Specify a valid project ID or key",
    "project_invalid_dc": "valid project is required",
    "issuetype_missing": "Specify an issue type",
    "issuetype_missing_dc": "issue type is required",
    "issuetype_invalid": "Specify a valid issue type",
    "issuetype_invalid_dc": "valid issue type is required",
    "user_missing": "Account ID {v} does not exist.",  # UNCONFIRMED (org-jira#220 shows the shape)
    "user_missing_dc": "User '{v}' does not exist.",  # UNCONFIRMED
    "user_shape": "expected Object containing a 'accountId' property",  # UNCONFIRMED (mirror of DC)
    "user_shape_dc": "expected Object containing a 'name' property",
    "string": "Operation value must be a string",
    "adf": "Operation value must be an Atlassian Document (see the Atlassian Document Format)",
    "no_create": "You do not have permission to create issues in this project.",
    "no_edit": "You do not have permission to edit issues in this project.",
    "gdpr": "The query parameter 'username' is not supported in GDPR strict mode.",  # UNCONFIRMED
    "unbounded": "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.",
    "rate": "Rate limit exceeded.",  # UNCONFIRMED: 429 body text
}


def _fmt_ts(dt: datetime) -> str:
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def _parse_ts(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f%z")


def _err(messages: Iterable[str] = (), errors: dict[str, str] | None = None) -> dict[str, Any]:
    return {"errorMessages": list(messages), "errors": dict(errors or {})}


def _adf(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    paras = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]}
        for line in text.split("\n")
        if line
    ]
    return {"type": "doc", "version": 1, "content": paras}


def _adf_text(node: Any) -> str:
    if isinstance(node, dict):
        if node.get("type") == "text":
            return str(node.get("text", ""))
        parts = [_adf_text(c) for c in node.get("content", [])]
        return ("\n" if node.get("type") == "doc" else "").join(parts)
    return ""


def _prop_list(value: Any) -> list[str]:
    """``properties`` as a query (repeated and/or comma-separated) or a JSON list."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [p.strip() for v in items for p in str(v).split(",") if p.strip()]


# --------------------------------------------------------------------------- JQL
Token = tuple[str, str, int]
Ast = tuple[
    Any, ...
]  # ("and"|"or", [Ast]) ("not", Ast) ("cmp", f, op, v) ("in", f, neg, [v]) ("empty", f, neg)
Record = dict[str, Any]  # an issue as stored by FakeJira
Pred = Callable[[Record], bool]


class JqlError(Exception):
    def __init__(self, *messages: str):
        super().__init__("; ".join(messages))
        self.messages = list(messages)


_TOKEN_RE = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>!=|!~|>=|<=|=|~|>|<)"""
    r"""|(?P<punct>[(),])|(?P<word>[^\s"'(),=!~<>]+))"""
)
_KEYWORDS = {"AND", "OR", "NOT", "IN", "IS", "EMPTY", "NULL", "ORDER", "BY", "ASC", "DESC"}


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    toks: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise JqlError(
                f"Error in the JQL Query: The character '{text[pos]}' is a reserved JQL character. "
                f"(line 1, character {pos + 1})"
            )
        kind = m.lastgroup or ""
        val = m.group(kind)
        start = m.start(kind)
        if kind == "str":
            val = re.sub(r"\\(.)", r"\1", val[1:-1])
        elif kind == "word" and val.upper() in _KEYWORDS:
            kind, val = "kw", val.upper()
        toks.append((kind, val, start))
        pos = m.end()
    return toks


class _JqlParser:
    """query := [or] [ORDER BY f [ASC|DESC], ...];  or := and (OR and)*;  and := not (AND not)*
    not := NOT not | '(' or ')' | clause;  clause := f op v | f [NOT] IN (v, ...) | f IS [NOT] EMPTY"""

    def __init__(self, text: str):
        self.toks, self.i = _tokenize(text), 0

    def _peek(self) -> Token:
        return self.toks[self.i] if self.i < len(self.toks) else ("eof", "", -1)

    def _next(self) -> Token:
        tok = self._peek()
        self.i += 1
        return tok

    def _fail(self, expecting: str) -> NoReturn:
        kind, val, pos = self._peek()
        if kind == "eof":
            raise JqlError(f"Error in the JQL Query: Expecting {expecting} but reached the end of the query.")
        raise JqlError(
            f"Error in the JQL Query: Expecting {expecting} but got '{val}'. (line 1, character {pos + 1})"
        )

    def _is_kw(self, kw: str) -> bool:
        kind, val, _ = self._peek()
        return kind == "kw" and val == kw

    def parse(self) -> tuple[Ast | None, list[tuple[str, str | None]]]:
        where = None
        if self._peek()[0] != "eof" and not self._is_kw("ORDER"):
            where = self._or()
        order: list[tuple[str, str | None]] = []
        if self._is_kw("ORDER"):
            self._next()
            if not self._is_kw("BY"):
                self._fail("'by'")
            self._next()
            while True:
                kind, val, _ = self._next()
                if kind not in ("word", "str"):
                    self.i -= 1
                    self._fail("a field name")
                direction: str | None = None
                if self._is_kw("ASC") or self._is_kw("DESC"):
                    direction = self._next()[1]
                order.append((val, direction))
                if self._peek()[:2] != ("punct", ","):
                    break
                self._next()
        if self._peek()[0] != "eof":
            self._fail("either 'OR' or 'AND'")
        return where, order

    def _or(self) -> Ast:
        parts = [self._and()]
        while self._is_kw("OR"):
            self._next()
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def _and(self) -> Ast:
        parts = [self._not()]
        while self._is_kw("AND"):
            self._next()
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def _not(self) -> Ast:
        if self._is_kw("NOT"):
            self._next()
            return ("not", self._not())
        if self._peek()[:2] == ("punct", "("):
            self._next()
            inner = self._or()
            if self._peek()[:2] != ("punct", ")"):
                self._fail("')'")
            self._next()
            return inner
        return self._clause()

    def _value(self) -> Any:
        kind, val, _ = self._next()
        if kind == "str":
            return val
        if kind == "word":
            if self._peek()[:2] == ("punct", "("):  # function call, e.g. currentUser()
                self._next()
                if self._peek()[:2] != ("punct", ")"):
                    self._fail("')'")
                self._next()
                return ("fn", val)
            return val
        if kind == "kw" and val in ("EMPTY", "NULL"):
            return None
        self.i -= 1
        self._fail("either a value, list or function")

    def _clause(self) -> Ast:
        kind, fld, _ = self._next()
        if kind not in ("word", "str"):
            self.i -= 1
            self._fail("a field name")
        if self._is_kw("IS"):
            self._next()
            neg = False
            if self._is_kw("NOT"):
                self._next()
                neg = True
            if not (self._is_kw("EMPTY") or self._is_kw("NULL")):
                self._fail("'EMPTY' or 'NULL'")
            self._next()
            return ("empty", fld, neg)
        neg = False
        if self._is_kw("NOT"):
            self._next()
            neg = True
            if not self._is_kw("IN"):
                self._fail("'IN'")
        if self._is_kw("IN"):
            self._next()
            if self._peek()[:2] != ("punct", "("):
                self._fail("'('")
            self._next()
            values = [self._value()]
            while self._peek()[:2] == ("punct", ","):
                self._next()
                values.append(self._value())
            if self._peek()[:2] != ("punct", ")"):
                self._fail("')'")
            self._next()
            return ("in", fld, neg, values)
        kind, op, _ = self._peek()
        if kind != "op":
            self._fail("operator")
        self._next()
        return ("cmp", fld, op, self._value())


def parse_jql(text: str) -> tuple[Ast | None, list[tuple[str, str | None]]]:
    """Parse JQL into (where_ast_or_None, [(field, 'ASC'|'DESC'|None)]).  Raises JqlError."""
    return _JqlParser(text or "").parse()


_REL_DATE = re.compile(r"^([-+]?)(\d+)([wdhm])$")


def _jql_date(value: str, now: datetime) -> datetime | None:
    m = _REL_DATE.match(value.strip())
    if m:
        n = int(m.group(2)) * (-1 if m.group(1) == "-" else 1)
        unit = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}[m.group(3)]
        return now + timedelta(**{unit: n})
    for fmt in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            pass
    return None


# ------------------------------------------------------------------ observability
@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]  # name -> last value
    query_multi: dict[str, list[str]]  # name -> [values]
    json: Any
    body: str
    headers: dict[str, str]  # Authorization value redacted to "<scheme> <redacted>"
    api_path: str | None = None  # e.g. "issue/OPS-1" (relative to /rest/api/{2,3,latest}/)
    api_version: str | None = None
    status: int | None = None
    injected: str | None = None  # "status" | "drop" | "delay" | "after-status" | "after-drop"
    dropped: bool = False
    at: float = field(default_factory=time.time)


@dataclass
class Injection:
    method: str | None
    path_regex: str
    status: int | None = None
    headers: dict[str, Any] | None = None
    body: Any = None
    delay: float = 0.0
    drop: bool = False
    times: int | None = 1  # None = unlimited
    after: bool = False
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method not in (None, "*") and self.method.upper() != method:
            return False
        return re.search(self.path_regex, path) is not None


class _Reply(Exception):
    """Raised inside handlers to short-circuit with an HTTP error."""

    def __init__(self, status: int, body: Any = None, headers: dict[str, Any] | None = None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


class _Req:
    def __init__(self, method: str, ver: str, query: dict[str, list[str]], body: Any, raw: bytes):
        self.method, self.ver, self.query, self.body, self.raw = method, ver, query, body, raw

    def q(self, name: str, default: Any = None) -> Any:
        vals = self.query.get(name)
        return vals[-1] if vals else default

    def qlist(self, name: str) -> list[str]:
        out: list[str] = []
        for v in self.query.get(name, []):
            out.extend(p.strip() for p in v.split(",") if p.strip())
        return out

    def int_q(self, name: str, default: int) -> int:
        try:
            return int(self.q(name, default))
        except (TypeError, ValueError):
            msg = f"The value '{self.q(name)}' is not a valid number for '{name}'."
            raise _Reply(400, _err([msg])) from None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeJira/1.0"
    # headers and body go out in separate writes: avoid the 40 ms delayed-ACK stall
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    def _go(self) -> None:
        fake: FakeJira = self.server.fake  # type: ignore[attr-defined]
        fake._handle(self)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _go


# ------------------------------------------------------------------------ FakeJira
class FakeJira:
    """Fake Jira server.  See module docstring for behaviour notes.

    Constructor: ``FakeJira(mode="cloud"|"datacenter", email=..., token=..., username=...,
    account_id=..., display_name=..., password=None, latency=0.0, search_lag=0.0,
    unknown_jql_keys="error"|"empty")``.
    """

    def __init__(
        self,
        mode: str = "cloud",
        *,
        email: str = "bot@example.com",
        token: str = "secret-token",
        username: str = "pm-sync-bot",
        account_id: str = "557058:00000000-0000-4000-8000-000000000001",
        display_name: str = "PM Sync Bot",
        password: str | None = None,
        latency: float = 0.0,
        search_lag: float = 0.0,
        unknown_jql_keys: str = "error",
    ):
        if mode in ("dc", "server"):
            mode = "datacenter"
        if mode not in ("cloud", "datacenter"):
            raise ValueError("mode must be 'cloud' or 'datacenter'")
        self.mode, self.email, self.token, self.password = mode, email, token, password
        self.latency, self.search_lag, self.unknown_jql_keys = latency, search_lag, unknown_jql_keys
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.monotonic: Callable[[], float] = time.monotonic
        self.request_log: list[RecordedRequest] = []
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._injections: list[Injection] = []
        self._ids = itertools.count(10000)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self._statuses: dict[str, dict[str, Any]] = {}
        self._priorities = {pid: name for pid, name in DEFAULT_PRIORITIES}
        self._resolutions = {rid: name for rid, name in DEFAULT_RESOLUTIONS}
        self._issue_types = dict(DEFAULT_ISSUE_TYPES)  # name -> id
        self._custom_fields: dict[str, dict[str, Any]] = {}  # id -> {"id","name","type"}
        self._projects: dict[str, dict[str, Any]] = {}  # key -> config
        self._users: list[dict[str, Any]] = []
        self._issues: dict[str, dict[str, Any]] = {}  # id -> record
        self._key_index: dict[str, str] = {}  # current and historical keys -> id
        for sid, name, cat in DEFAULT_STATUSES:
            self._statuses[sid] = {"id": sid, "name": name, "category": cat}
        self.myself = self.add_user(
            account_id=account_id, name=username, email=email, display_name=display_name
        )

    # ----------------------------------------------------------------- lifecycle
    @property
    def is_cloud(self) -> bool:
        return self.mode == "cloud"

    def start(self) -> FakeJira:
        if self._httpd:
            return self
        self._stop.clear()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FakeJira-{self.mode}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes any delayed handler
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeJira:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -------------------------------------------------------------- config state
    def add_user(
        self,
        account_id: str | None = None,
        name: str | None = None,
        email: str | None = None,
        display_name: str | None = None,
        active: bool = True,
    ) -> dict[str, Any]:
        with self._lock:
            n = len(self._users) + 1
            user = {
                "accountId": account_id or f"557058:{n:08x}-fake-4000-8000-{n:012x}",
                "name": name or (email.split("@")[0] if email else f"user{n}"),
                "key": f"JIRAUSER{10000 + n}",
                "email": email,
                "displayName": display_name or name or email or f"User {n}",
                "active": active,
            }
            self._users.append(user)
            return dict(user)

    def add_custom_field(self, name: str, field_id: str | None = None, type: str = "string") -> str:
        with self._lock:
            fid = field_id or f"customfield_{10050 + len(self._custom_fields)}"
            self._custom_fields[fid] = {"id": fid, "name": name, "type": type}
            return fid

    def add_project(
        self,
        key: str,
        name: str | None = None,
        issue_types: Iterable[str] = ("Task", "Bug"),
        required_fields: Iterable[str | dict[str, Any]] = (),
        custom_fields: Iterable[str | dict[str, Any]] = (),
        forbidden: bool = False,
        lead: str | None = None,
    ) -> dict[str, Any]:
        """required_fields: system ids ("duedate", "assignee", ...), custom field ids/names, or dicts
        ``{"id": "customfield_10050", "name": "Postmortem", "type": "string"}`` (created if unknown)."""
        with self._lock:
            if key in self._projects:
                raise ValueError(f"project {key} already exists")
            for it in issue_types:
                self._issue_types.setdefault(it, str(10100 + len(self._issue_types)))
            screen, required = list(CREATE_SCREEN), ["summary", "issuetype", "project"]
            required_specs = list(required_fields)
            for n, spec in enumerate(required_specs + list(custom_fields)):
                fid = self._field_id_for(spec)
                if fid not in screen:
                    screen.append(fid)
                if n < len(required_specs) and fid not in required:
                    required.append(fid)
            pid = str(10000 + len(self._projects))
            self._projects[key] = {
                "id": pid,
                "key": key,
                "name": name or key.title(),
                "issue_types": list(issue_types),
                "screen": screen,
                "required": required,
                "forbidden": forbidden,
                "lead": lead,
                "counter": 0,
            }
            return self._project_json(self._projects[key], "2")

    def _field_id_for(self, spec: str | dict[str, Any]) -> str:
        if isinstance(spec, dict):
            fid: str | None = spec.get("id") or None
            if fid not in self._custom_fields and fid not in _SYSTEM_NAMES:
                fid = self.add_custom_field(str(spec.get("name", fid)), fid, spec.get("type", "string"))
            return fid
        if spec in _SYSTEM_NAMES or spec in self._custom_fields:
            return spec
        for cf in self._custom_fields.values():
            if cf["name"] == spec:
                return str(cf["id"])
        return self.add_custom_field(spec)

    def set_forbidden(self, project_key: str, forbidden: bool = True) -> None:
        with self._lock:
            self._projects[project_key]["forbidden"] = forbidden

    # ------------------------------------------------ tracker-side (human) actions
    @property
    def issues(self) -> list[dict[str, Any]]:
        """All stored issues, rendered as GET /rest/api/2/issue would (deep copies)."""
        with self._lock:
            return [
                self._issue_json(r, "2") for r in sorted(self._issues.values(), key=lambda r: int(r["id"]))
            ]

    def get(self, key: str) -> dict[str, Any]:
        """Issue by current or historical key (or id), rendered like GET /rest/api/2/issue.

        Raises KeyError if absent."""
        with self._lock:
            rec = self._find(key)
            if rec is None:
                raise KeyError(key)
            return self._issue_json(rec, "2")

    def set_status(self, key: str, status: str, resolution: str | None = None) -> None:
        with self._lock:
            self._apply_status(self._must(key), self._status_by(status)["id"], resolution)

    def edit_fields(self, key: str, **fields: Any) -> None:
        """Edit as a human would (no validation).  Friendly values: priority="High", assignee=<accountId or
        name or None>, labels=[...], duedate="2025-01-31", summary, description, customfield_x=..."""
        with self._lock:
            rec = self._must(key)
            for name, given in fields.items():
                value = given
                if name == "priority":
                    value = None if given is None else self._priority_id(given)
                elif name in ("assignee", "reporter"):
                    value = None if given is None else self._user_by_any(given)["accountId"]
                elif name == "labels":
                    value = list(given or [])
                rec["fields"][name] = value
            rec["fields"]["updated"] = _fmt_ts(self.clock())

    def move_issue(self, old_key: str, new_project: str) -> str:
        """Move to another project: new key, same id; the old key keeps resolving (GET and JQL)."""
        with self._lock:
            rec, proj = self._must(old_key), self._projects[new_project]
            proj["counter"] += 1
            new_key = f"{new_project}-{proj['counter']}"
            rec["key"], rec["project"] = new_key, new_project
            self._key_index[new_key] = rec["id"]
            rec["fields"]["updated"] = _fmt_ts(self.clock())
            return new_key

    def delete_issue(self, key: str) -> None:
        with self._lock:
            rec = self._must(key)
            del self._issues[rec["id"]]
            for k in [k for k, v in self._key_index.items() if v == rec["id"]]:
                del self._key_index[k]

    def properties(self, key: str) -> dict[str, Any]:
        """Entity properties of an issue, by key (deep copies)."""
        with self._lock:
            return copy.deepcopy(self._must(key).get("properties", {}))

    def comments(self, key: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._must(key)["comments"])

    def remote_links(self, key: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._must(key)["remotelinks"])

    # ------------------------------------------------------- observability & faults
    def requests_to(self, method: str | None = None, path_prefix: str = "") -> list[RecordedRequest]:
        """Records whose method matches (None/"*" = any) and whose path starts with ``path_prefix``.  A prefix
        not starting with "/" is matched against the API-relative path (e.g. "issue", "search/jql")."""
        with self._lock:
            out = []
            for r in self.request_log:
                if method not in (None, "*") and r.method != method.upper():
                    continue
                target = (
                    r.path
                    if path_prefix.startswith("/")
                    else (r.api_path if r.api_path is not None else "\0")
                )
                if target.startswith(path_prefix):
                    out.append(r)
            return out

    def clear_log(self) -> None:
        with self._lock:
            self.request_log.clear()

    def inject(
        self,
        method: str | None,
        path_regex: str,
        *,
        status: int | None = None,
        headers: dict[str, Any] | None = None,
        body: Any = None,
        delay: float = 0.0,
        drop: bool = False,
        times: int | None = 1,
        after: bool = False,
    ) -> Injection:
        """The next ``times`` requests matching ``method`` and ``re.search(path_regex, path)`` get: ``status``
        (+headers/body) instead of the real reply, or are delayed, or dropped (connection closed without a
        response).  ``after=True``: the request is processed for real first (state changes), then delay/drop/
        status apply -- e.g. "create timed out but was stored"."""
        rule = Injection(method, path_regex, status, headers, body, delay, drop, times, after)
        with self._lock:
            self._injections.append(rule)
        return rule

    def rate_limit(
        self,
        method: str | None,
        path_regex: str,
        retry_after: int = 0,
        times: int = 1,
        reason: str = "jira-burst-based",
    ) -> Injection:
        reset = (self.clock() + timedelta(seconds=max(retry_after, 60))).strftime("%Y-%m-%dT%H:%MZ")
        headers = {
            "Retry-After": str(int(retry_after)),
            "X-RateLimit-Limit": "100",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset,
            "RateLimit-Reason": reason,
        }
        return self.inject(method, path_regex, status=429, headers=headers, times=times)

    def service_unavailable(
        self, method: str | None, path_regex: str, retry_after: int | None = 0, times: int = 1
    ) -> Injection:
        headers = {} if retry_after is None else {"Retry-After": str(int(retry_after))}
        return self.inject(method, path_regex, status=503, headers=headers, times=times)

    def clear_injections(self) -> None:
        with self._lock:
            self._injections.clear()

    # ------------------------------------------------------------- HTTP plumbing
    def _wait(self, seconds: float) -> None:
        if seconds and seconds > 0:
            self._stop.wait(seconds)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        split = urlsplit(h.path)
        path, qm = split.path, parse_qs(split.query, keep_blank_values=True)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        text = raw.decode("utf-8", "replace")
        try:
            body = json.loads(text) if text.strip() else None
        except ValueError:
            body = None
        headers = {k: v for k, v in h.headers.items()}
        for k in list(headers):
            if k.lower() == "authorization":
                headers[k] = headers[k].split(" ", 1)[0] + " <redacted>"
        m = re.match(r"^/rest/api/(2|3|latest)(?:/(.*))?$", path)
        rec = RecordedRequest(
            h.command,
            path,
            {k: v[-1] for k, v in qm.items()},
            qm,
            body,
            text,
            headers,
            api_path=(m.group(2) or "") if m else None,
            api_version=m.group(1) if m else None,
        )
        with self._lock:
            self.request_log.append(rec)
            rule = next((r for r in self._injections if r.matches(h.command, path)), None)
            if rule:
                rule.hits += 1
        self._wait(self.latency)
        if rule and not rule.after:
            self._wait(rule.delay)
            rec.injected = "delay"
            if rule.drop:
                rec.injected, rec.dropped = "drop", True
                return self._drop(h)
            if rule.status is not None:
                rec.injected = "status"
                return self._send(h, rec, *self._injected_reply(rule))
        status, rheaders, payload = self._dispatch(h.command, path, qm, raw, body, h.headers)
        if rule and rule.after:
            self._wait(rule.delay)
            rec.injected = "after-delay"
            if rule.drop:
                rec.status, rec.injected, rec.dropped = status, "after-drop", True
                return self._drop(h)
            if rule.status is not None:
                rec.injected = "after-status"
                return self._send(h, rec, *self._injected_reply(rule))
        self._send(h, rec, status, rheaders, payload)

    def _injected_reply(self, rule: Injection) -> tuple[int, dict[str, Any], Any]:
        body = rule.body
        if body is None:
            body = _err([_MSG["rate"]]) if rule.status == 429 else _err([f"Injected HTTP {rule.status}"])
        return rule.status or 500, dict(rule.headers or {}), body

    @staticmethod
    def _drop(h: BaseHTTPRequestHandler) -> None:
        h.close_connection = True
        with contextlib.suppress(OSError):
            h.connection.shutdown(socket.SHUT_RDWR)

    def _send(
        self,
        h: BaseHTTPRequestHandler,
        rec: RecordedRequest,
        status: int,
        headers: dict[str, Any],
        payload: Any,
    ) -> None:
        rec.status = status
        if payload is None or status == 204:
            data, ctype = b"", None
        elif isinstance(payload, (bytes, str)):
            data = payload.encode() if isinstance(payload, str) else payload
            ctype = "text/plain;charset=UTF-8"
        else:
            data, ctype = json.dumps(payload, ensure_ascii=False).encode("utf-8"), JSON_CT
        try:
            h.send_response(status)
            h.send_header("X-AREQUESTID", f"{int(time.time() * 1000) % 100000}x{len(self.request_log)}x1")
            h.send_header("Cache-Control", "no-cache, no-store, no-transform")
            hdr_names = {k.lower() for k in headers}
            if ctype and "content-type" not in hdr_names:
                h.send_header("Content-Type", ctype)
            for k, v in headers.items():
                h.send_header(k, v)
            if status != 204:
                h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            if data and h.command != "HEAD":
                h.wfile.write(data)
            h.wfile.flush()
        except OSError:  # client went away (e.g. its timeout fired during an injected delay)
            h.close_connection = True

    def _authorized(self, headers: Any) -> bool | None:
        """True = ok, False = wrong credentials, None = no credentials."""
        auth = headers.get("Authorization")
        if not auth:
            return None
        scheme, _, cred = auth.partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, pw = base64.b64decode(cred).decode("utf-8").partition(":")
            except ValueError:
                return False
            if self.is_cloud:
                return user == self.email and pw == self.token
            return self.password is not None and user == self.myself["name"] and pw == self.password
        if scheme.lower() == "bearer":
            return (not self.is_cloud) and cred == self.token
        return False

    def _dispatch(
        self, method: str, path: str, qm: dict[str, list[str]], raw: bytes, body: Any, headers: Any
    ) -> tuple[int, dict[str, str], Any]:
        base_headers = {}
        m = re.match(r"^/rest/api/(2|3|latest)(?:/(.*))?$", path)
        if not m or (m.group(1) == "3" and not self.is_cloud):
            return 404, {}, {"message": f"null for uri: {self.url}{path}", "status-code": 404}
        ver, rest = ("2" if m.group(1) == "latest" else m.group(1)), (m.group(2) or "").rstrip("/")
        auth = self._authorized(headers)
        if auth is not True and not (rest == "serverInfo" and auth is None):
            return (
                401,
                {
                    "WWW-Authenticate": 'Basic realm="protected-area"',
                    "X-Seraph-LoginReason": "AUTHENTICATED_FAILED" if auth is False else "OK",
                },
                {"message": _MSG["auth"], "status-code": 401},
            )
        if auth:
            base_headers["X-Seraph-LoginReason"] = "OK"
            if not self.is_cloud:
                base_headers["X-AUSERNAME"] = quote(self.myself["name"])
        if method in ("POST", "PUT") and raw.strip() and body is None:
            return 400, base_headers, _err(["Unexpected character in JSON request body: not valid JSON."])
        req = _Req(method, ver, qm, body, raw)
        allowed = False
        for meth, rx, fn in self._routes():
            mm = rx.fullmatch(rest)
            if not mm:
                continue
            allowed = True
            if meth != method:
                continue
            try:
                with self._lock:
                    status, payload = fn(req, *mm.groups())
                return status, base_headers, payload
            except _Reply as r:
                return r.status, {**base_headers, **r.headers}, r.body
            except Exception as e:  # a bug in the fake: make it loud
                import traceback

                return 500, base_headers, _err([f"FakeJira internal error: {e!r}", traceback.format_exc()])
        if allowed:
            return 405, base_headers, None
        return 404, base_headers, {"message": f"null for uri: {self.url}{path}", "status-code": 404}

    def _routes(self) -> list[tuple[str, re.Pattern[str], Callable[..., tuple[int, Any]]]]:
        if not hasattr(self, "_route_table"):
            r: list[tuple[str, str, Callable[..., tuple[int, Any]]]] = [
                ("GET", "serverInfo", self._h_server_info),
                ("GET", "myself", self._h_myself),
                ("GET", "field", self._h_fields),
                ("GET", "priority", self._h_priorities),
                ("GET", "resolution", self._h_resolutions),
                ("GET", "status", self._h_statuses),
                ("GET", "statuscategory", self._h_status_categories),
                ("GET", "issuetype", self._h_issue_types),
                ("GET", "project", self._h_projects),
                ("GET", "project/([^/]+)", self._h_project),
                ("GET", "issue/createmeta/([^/]+)/issuetypes", self._h_meta_types),
                ("GET", "issue/createmeta/([^/]+)/issuetypes/([^/]+)", self._h_meta_fields),
                ("POST", "issue", self._h_create),
                ("POST", "issue/bulk", self._h_bulk),
                ("GET", "issue/([^/]+)", self._h_get_issue),
                ("PUT", "issue/([^/]+)", self._h_edit),
                ("DELETE", "issue/([^/]+)", self._h_delete),
                ("PUT", "issue/([^/]+)/assignee", self._h_assign),
                ("GET", "issue/([^/]+)/properties", self._h_prop_keys),
                ("GET", "issue/([^/]+)/properties/([^/]+)", self._h_prop_get),
                ("PUT", "issue/([^/]+)/properties/([^/]+)", self._h_prop_put),
                ("DELETE", "issue/([^/]+)/properties/([^/]+)", self._h_prop_delete),
                ("GET", "issue/([^/]+)/transitions", self._h_transitions),
                ("POST", "issue/([^/]+)/transitions", self._h_do_transition),
                ("GET", "issue/([^/]+)/comment", self._h_get_comments),
                ("POST", "issue/([^/]+)/comment", self._h_add_comment),
                ("GET", "issue/([^/]+)/remotelink", self._h_get_links),
                ("POST", "issue/([^/]+)/remotelink", self._h_add_link),
                ("GET", "search", self._h_search),
                ("POST", "search", self._h_search),
                ("GET", "search/jql", self._h_search_jql),
                ("POST", "search/jql", self._h_search_jql),
                ("GET", "user/search", self._h_user_search),
                ("GET", "user", self._h_user),
                ("GET", "user/bulk", self._h_user_bulk),
            ]
            self._route_table = [(meth, re.compile(rx), fn) for meth, rx, fn in r]
        return self._route_table

    # ------------------------------------------------------------------ renderers
    def _api(self, ver: str) -> str:
        return f"{self.url}/rest/api/{ver}"

    def _user_json(self, user: dict[str, Any] | None, ver: str) -> dict[str, Any] | None:
        if user is None:
            return None
        avatars = {s: f"{self.url}/secure/useravatar?size={s}" for s in ("48x48", "24x24", "16x16", "32x32")}
        if self.is_cloud:
            out = {
                "self": f"{self._api(ver)}/user?accountId={quote(user['accountId'])}",
                "accountId": user["accountId"],
                "accountType": "atlassian",
            }
        else:
            out = {
                "self": f"{self._api(ver)}/user?username={quote(user['name'])}",
                "name": user["name"],
                "key": user["key"],
            }
        if user["email"]:
            out["emailAddress"] = user["email"]
        out.update(
            {
                "avatarUrls": avatars,
                "displayName": user["displayName"],
                "active": user["active"],
                "timeZone": "Etc/UTC",
            }
        )
        return out

    def _status_json(self, sid: str, ver: str) -> dict[str, Any]:
        st = self._statuses[sid]
        ckey, cname, color = STATUS_CATEGORIES[st["category"]]
        return {
            "self": f"{self._api(ver)}/status/{sid}",
            "description": "",
            "iconUrl": f"{self.url}/images/icons/status.png",
            "name": st["name"],
            "id": sid,
            "statusCategory": {
                "self": f"{self._api(ver)}/statuscategory/{st['category']}",
                "id": st["category"],
                "key": ckey,
                "colorName": color,
                "name": cname,
            },
        }

    def _priority_json(self, pid: str | None, ver: str) -> dict[str, Any] | None:
        if pid is None:
            return None
        return {
            "self": f"{self._api(ver)}/priority/{pid}",
            "iconUrl": f"{self.url}/images/icons/priorities/{pid}.svg",
            "name": self._priorities[pid],
            "id": pid,
        }

    def _resolution_json(self, rid: str | None, ver: str) -> dict[str, Any] | None:
        if rid is None:
            return None
        return {
            "self": f"{self._api(ver)}/resolution/{rid}",
            "id": rid,
            "description": "",
            "name": self._resolutions[rid],
        }

    def _issuetype_json(self, name: str, ver: str) -> dict[str, Any]:
        tid = self._issue_types[name]
        return {
            "self": f"{self._api(ver)}/issuetype/{tid}",
            "id": tid,
            "description": f"A {name.lower()}.",
            "iconUrl": f"{self.url}/images/icons/issuetypes/{tid}.svg",
            "name": name,
            "subtask": name == "Sub-task",
            "avatarId": int(tid),
            "hierarchyLevel": 0,
        }

    def _project_json(self, proj: dict[str, Any], ver: str, full: bool = True) -> dict[str, Any]:
        out = {
            "self": f"{self._api(ver)}/project/{proj['id']}",
            "id": proj["id"],
            "key": proj["key"],
            "name": proj["name"],
            "projectTypeKey": "software",
            "simplified": False,
            "avatarUrls": {"48x48": f"{self.url}/secure/projectavatar?pid={proj['id']}"},
        }
        if full:
            out["expand"] = "description,lead,issueTypes,url,projectKeys,permissions,insight"
            out["description"] = ""
            out["issueTypes"] = [self._issuetype_json(t, ver) for t in proj["issue_types"]]
            lead = self._user_by_any(proj["lead"]) if proj["lead"] else self.myself_rec
            out["lead"] = self._user_json(lead, ver)
            out["style"] = "classic"
        return out

    def _field_json(self, fid: str) -> dict[str, Any]:
        if fid in self._custom_fields:
            cf = self._custom_fields[fid]
            num = fid.rsplit("_", maxsplit=1)[-1]
            return {
                "id": fid,
                "key": fid,
                "name": cf["name"],
                "custom": True,
                "orderable": True,
                "navigable": True,
                "searchable": True,
                "clauseNames": [f"cf[{num}]", cf["name"]],
                "schema": {
                    "type": cf["type"],
                    "custom": f"com.atlassian.jira.plugin.system.customfieldtypes:"
                    f"{'textfield' if cf['type'] == 'string' else cf['type']}",
                    "customId": int(num),
                },
            }
        _, name, schema, clauses = next(f for f in SYSTEM_FIELDS if f[0] == fid)
        out = {
            "id": fid,
            "key": fid,
            "name": name,
            "custom": False,
            "orderable": fid != "issuekey",
            "navigable": fid not in _NOT_NAVIGABLE,
            "searchable": True,
            "clauseNames": clauses,
        }
        if schema:
            out["schema"] = schema
        return out

    def _description_out(self, value: Any, ver: str) -> Any:
        if value is None:
            return None
        if ver == "3":
            return value if isinstance(value, dict) else _adf(value)
        return _adf_text(value) if isinstance(value, dict) else value

    def _comment_json(self, rec: dict[str, Any], c: dict[str, Any], ver: str) -> dict[str, Any]:
        author = self._user_by_id(c["author"])
        return {
            "self": f"{self._api(ver)}/issue/{rec['id']}/comment/{c['id']}",
            "id": c["id"],
            "author": self._user_json(author, ver),
            "body": self._description_out(c["body"], ver),
            "updateAuthor": self._user_json(author, ver),
            "created": c["created"],
            "updated": c["created"],
        }

    def _all_fields(self, rec: dict[str, Any], ver: str) -> dict[str, Any]:
        f = rec["fields"]
        proj = self._projects[rec["project"]]
        out = {
            "summary": f["summary"],
            "description": self._description_out(f["description"], ver),
            "issuetype": self._issuetype_json(f["issuetype"], ver),
            "project": self._project_json(proj, ver, False),
            "priority": self._priority_json(f["priority"], ver),
            "duedate": f["duedate"],
            "labels": list(f["labels"]),
            "assignee": self._user_json(self._user_by_id(f["assignee"]), ver),
            "reporter": self._user_json(self._user_by_id(f["reporter"]), ver),
            "creator": self._user_json(self._user_by_id(f["creator"]), ver),
            "status": self._status_json(f["status"], ver),
            "resolution": self._resolution_json(f["resolution"], ver),
            "resolutiondate": f["resolutiondate"],
            "created": f["created"],
            "updated": f["updated"],
            "lastViewed": None,
            "environment": None,
            "components": [],
            "fixVersions": [],
            "versions": [],
            "issuelinks": [],
            "subtasks": [],
            "attachment": [],
            "watches": {"watchCount": 0, "isWatching": False},
            "comment": {
                "comments": [self._comment_json(rec, c, ver) for c in rec["comments"]],
                "maxResults": len(rec["comments"]),
                "total": len(rec["comments"]),
                "startAt": 0,
            },
        }
        if self.is_cloud:
            out["statuscategorychangedate"] = f["statuscategorychangedate"]
        for fid in self._custom_fields:
            out[fid] = copy.deepcopy(f.get(fid))
        return out

    def _select_fields(self, all_fields: dict[str, Any], spec: list[str]) -> dict[str, Any]:
        wanted: set[str] = set()
        for token in spec:
            if token == "*all":
                wanted |= set(all_fields)
            elif token == "*navigable":
                wanted |= set(all_fields) - _NOT_NAVIGABLE
        for token in spec:
            if token.startswith("-"):
                wanted.discard(token[1:])
            elif not token.startswith("*") and token in all_fields:
                wanted.add(token)
        return {k: v for k, v in all_fields.items() if k in wanted}

    def _issue_json(
        self,
        rec: dict[str, Any],
        ver: str,
        fields_spec: list[str] | None = None,
        expand: str = "",
        properties: list[str] | None = None,
    ) -> dict[str, Any]:
        all_fields = self._all_fields(rec, ver)
        out = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": rec["id"],
            "self": f"{self._api(ver)}/issue/{rec['id']}",
            "key": rec["key"],
            "fields": self._select_fields(all_fields, fields_spec or ["*all"]),
        }
        expands = {e.strip() for e in (expand or "").split(",") if e.strip()}
        if "names" in expands:
            out["names"] = {k: self._field_name(k) for k in out["fields"]}
        if "schema" in expands:
            out["schema"] = {
                k: self._field_json(k).get("schema", {})
                for k in out["fields"]
                if k in _SYSTEM_NAMES or k in self._custom_fields
            }
        if "renderedFields" in expands:
            out["renderedFields"] = {
                k: (f"<p>{v}</p>" if k == "description" and isinstance(v, str) else v)
                for k, v in out["fields"].items()
            }
        if "changelog" in expands:
            out["changelog"] = {"startAt": 0, "maxResults": 0, "total": 0, "histories": []}
        if "transitions" in expands:
            out["transitions"] = self._transitions_for(rec, ver)
        if properties:
            stored = rec.get("properties", {})
            wanted = list(stored) if "*all" in properties else properties
            out["properties"] = {k: stored[k] for k in wanted if k in stored}
        return copy.deepcopy(out)

    def _field_name(self, fid: str) -> str:
        if fid in self._custom_fields:
            return str(self._custom_fields[fid]["name"])
        return _SYSTEM_NAMES.get(fid, fid)

    # -------------------------------------------------------------------- lookups
    @property
    def myself_rec(self) -> dict[str, Any]:
        return self._users[0]

    def _user_by_id(self, account_id: str | None) -> dict[str, Any] | None:
        return next((u for u in self._users if u["accountId"] == account_id), None) if account_id else None

    def _user_by_ref(self, ref: dict[str, Any]) -> dict[str, Any] | None:
        if self.is_cloud:
            return self._user_by_id(ref.get("accountId"))
        if "name" in ref:
            return next((u for u in self._users if u["name"] == ref["name"]), None)
        return next((u for u in self._users if u["key"] == ref.get("key")), None)

    def _user_by_any(self, value: str) -> dict[str, Any]:
        for u in self._users:
            if value in (u["accountId"], u["name"], u["key"], u["email"]):
                return u
        raise KeyError(f"no user {value!r}")

    def _find(self, key_or_id: str) -> dict[str, Any] | None:
        if key_or_id in self._issues:
            return self._issues[key_or_id]
        iid = self._key_index.get(str(key_or_id).upper())
        return self._issues.get(iid) if iid else None

    def _must(self, key: str) -> dict[str, Any]:
        rec = self._find(key)
        if rec is None:
            raise KeyError(key)
        return rec

    def _issue_or_404(self, key: str) -> dict[str, Any]:
        rec = self._find(key)
        if rec is None:
            raise _Reply(404, _err([_MSG["no_issue"]]))
        return rec

    def _status_by(self, value: str) -> dict[str, Any]:
        for st in self._statuses.values():
            if value == st["id"] or value.lower() == st["name"].lower():
                return st
        raise KeyError(f"no status {value!r}")

    def _priority_id(self, value: str) -> str:
        for pid, name in self._priorities.items():
            if value in (pid, name):
                return pid
        raise KeyError(f"no priority {value!r}")

    def _resolution_id(self, value: str) -> str | None:
        for rid, name in self._resolutions.items():
            if value in (rid, name):
                return rid
        return None

    def _project_by(self, value: Any) -> dict[str, Any] | None:
        value = str(value)
        for p in self._projects.values():
            if value in (p["id"], p["key"]) or value.upper() == p["key"]:
                return p
        return None

    def _apply_status(self, rec: dict[str, Any], sid: str, resolution: str | None) -> None:
        f, now = rec["fields"], _fmt_ts(self.clock())
        old_cat = self._statuses[f["status"]]["category"]
        f["status"] = sid
        if self._statuses[sid]["category"] == 3:
            f["resolution"] = self._resolution_id(resolution or "Done")
            f["resolutiondate"] = f["resolutiondate"] or now
        else:
            f["resolution"], f["resolutiondate"] = None, None
        if old_cat != self._statuses[sid]["category"]:
            f["statuscategorychangedate"] = now
        f["updated"] = now

    def _transitions_for(self, rec: dict[str, Any], ver: str) -> list[dict[str, Any]]:
        out = []
        for n, st in enumerate(self._statuses.values(), start=1):
            if st["id"] == rec["fields"]["status"]:
                continue
            out.append(
                {
                    "id": str(n * 10 + 1),
                    "name": st["name"],
                    "to": self._status_json(st["id"], ver),
                    "hasScreen": False,
                    "isGlobal": True,
                    "isInitial": False,
                    "isAvailable": True,
                    "isConditional": False,
                    "isLooped": False,
                }
            )
        return out

    def _msg(self, key: str, **kw: Any) -> str:
        text = _MSG.get(f"{key}_dc", _MSG[key]) if not self.is_cloud else _MSG[key]
        return text.format(**kw)

    # ----------------------------------------------------------- field validation
    def _check_user(self, fid: str, value: Any, errors: dict[str, str]) -> str | None:
        if value is None:
            return None
        ident = "accountId" if self.is_cloud else "name"
        if not isinstance(value, dict) or (ident not in value and (self.is_cloud or "key" not in value)):
            errors[fid] = self._msg("user_shape")
            return None
        if ident in value and value[ident] is None:
            return None
        user = self._user_by_ref(value)
        if user is None:
            errors[fid] = self._msg("user_missing", v=value.get(ident) or value.get("key"))
            return None
        return str(user["accountId"])

    def _check_fields(
        self,
        proj: dict[str, Any],
        fields: dict[str, Any],
        update: dict[str, Any],
        errors: dict[str, Any],
        ver: str,
        creating: bool,
    ) -> dict[str, Any]:
        """Validate ``fields``/``update`` against the project's screen; return normalised values."""
        out: dict[str, Any] = {}
        fields = dict(fields)
        for fid, ops in update.items():
            if fid not in ("labels", "comment") and isinstance(ops, list):
                for op in ops:
                    if isinstance(op, dict) and "set" in op:
                        fields[fid] = op["set"]
        screen = proj["screen"] if creating else [f for f in proj["screen"] if f != "project"]
        for fid in list(fields) + list(update):
            off_screen = fid not in screen and fid not in ("project", "issuetype")
            if off_screen or (fid == "project" and not creating):
                errors[fid] = _MSG["not_on_screen"].format(f=fid)
        if "summary" in fields or creating:
            s = fields.get("summary")
            if s is None or (isinstance(s, str) and not s.strip()):
                errors["summary"] = _MSG["summary_missing"]
            elif not isinstance(s, str):
                errors["summary"] = _MSG["string"]
            elif len(s) > 255:
                errors["summary"] = _MSG["summary_long"]
            elif "\n" in s or "\r" in s:
                errors["summary"] = _MSG["summary_newline"]
            else:
                out["summary"] = s
        if "description" in fields:
            d = fields["description"]
            if d is not None and ver == "3" and not (isinstance(d, dict) and d.get("type") == "doc"):
                errors["description"] = _MSG["adf"]
            elif d is not None and ver != "3" and not isinstance(d, str):
                errors["description"] = _MSG["string"]
            else:
                out["description"] = d
        if fields.get("priority") is not None:
            p = fields["priority"]
            ref = (p.get("id") or p.get("name")) if isinstance(p, dict) else None
            pid = next(
                (
                    k
                    for k, n in self._priorities.items()
                    if (isinstance(p, dict) and (p.get("id") == k or p.get("name") == n))
                ),
                None,
            )
            if ref is None or pid is None:
                errors["priority"] = _MSG["priority"]
            else:
                out["priority"] = pid
        elif "priority" in fields:
            out["priority"] = None
        if "duedate" in fields:
            v = fields["duedate"]
            if v is not None:
                try:
                    if not (isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v)):
                        raise ValueError
                    date.fromisoformat(v)
                    out["duedate"] = v
                except ValueError:
                    errors["duedate"] = _MSG["duedate"].format(v=v)
            else:
                out["duedate"] = None
        labels = None
        if "labels" in fields:
            if fields["labels"] is None or isinstance(fields["labels"], list):
                labels = list(fields["labels"] or [])
            else:
                errors["labels"] = "Operation value must be an array"  # UNCONFIRMED
        ops = [
            (verb, val)
            for op in (update["labels"] if isinstance(update.get("labels"), list) else [])
            if isinstance(op, dict)
            for verb, val in op.items()
        ]
        checked = list(labels or []) + [
            v for verb, val in ops for v in (val if verb == "set" and isinstance(val, list) else [val])
        ]
        for lab in checked:
            if not isinstance(lab, str) or not lab or re.search(r"\s", lab):
                errors["labels"] = _MSG["label_space"].format(v=lab)
            elif len(lab) > 255:
                errors["labels"] = _MSG["label_long"].format(v=lab)
        if labels is not None:
            out["labels"] = labels
        if ops:
            out["_label_ops"] = ops
        for fid in ("assignee", "reporter"):
            if fid in fields:
                out[fid] = self._check_user(fid, fields[fid], errors)
        for fid, value in fields.items():
            if fid in self._custom_fields and fid in screen:
                if (
                    value is not None
                    and self._custom_fields[fid]["type"] == "string"
                    and not isinstance(value, str)
                ):
                    errors[fid] = _MSG["string"]
                out[fid] = value
        for op in update.get("comment", []) if isinstance(update.get("comment"), list) else []:
            if isinstance(op, dict) and isinstance(op.get("add"), dict):
                out.setdefault("_comments", []).append(op["add"].get("body"))
        if creating:
            for fid in proj["required"]:
                if fid in ("summary", "issuetype", "project") or fid in errors:
                    continue
                val = fields.get(fid)
                if (
                    val is None
                    or val == ""
                    or val == []
                    or (fid == "labels" and not (labels or out.get("_label_ops")))
                ):
                    errors[fid] = _MSG["required"].format(name=self._field_name(fid))
        return out

    def _resolve_project_type(
        self, fields: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, str | None, dict[str, str]]:
        errors: dict[str, str] = {}
        p = fields.get("project")
        ref = (p.get("id") or p.get("key")) if isinstance(p, dict) else p
        proj = self._project_by(ref) if ref is not None else None
        if ref is None:
            errors["project"] = self._msg("project_missing")
        elif proj is None:
            errors["project"] = self._msg("project_invalid")
        t = fields.get("issuetype")
        tref = (t.get("id") or t.get("name")) if isinstance(t, dict) else None
        tname = None
        if tref is None:
            errors["issuetype"] = self._msg("issuetype_missing")
        elif proj is not None:
            tname = next((n for n in proj["issue_types"] if tref in (n, self._issue_types[n])), None)
            if tname is None:
                errors["issuetype"] = self._msg("issuetype_invalid")
        return proj, tname, errors

    def _create_one(self, payload: Any, ver: str) -> tuple[int, dict[str, Any]]:
        """Returns (status, reply).  reply is the created-issue stub or an error collection."""
        if not isinstance(payload, dict) or not isinstance(payload.get("fields", {}), dict):
            return 400, _err(["Can not deserialize instance of fields out of request body."])
        fields, update = payload.get("fields") or {}, payload.get("update") or {}
        proj, tname, errors = self._resolve_project_type(fields)
        if errors:
            return 400, _err([], errors)
        assert proj is not None and tname is not None
        if proj["forbidden"]:
            return 403, _err([_MSG["no_create"]])
        values = self._check_fields(proj, fields, update, errors, ver, creating=True)
        if errors:
            return 400, _err([], errors)
        now = self.clock()
        proj["counter"] += 1
        iid, key = str(next(self._ids)), f"{proj['key']}-{proj['counter']}"
        labels = list(values.get("labels", []))
        for verb, val in values.get("_label_ops", []):
            labels = self._label_op(labels, verb, val)
        rec = {
            "id": iid,
            "key": key,
            "project": proj["key"],
            "comments": [],
            "remotelinks": [],
            "properties": {},
            "visible_at": self.monotonic() + self.search_lag,
            "fields": {
                "summary": values["summary"],
                "description": values.get("description"),
                "issuetype": tname,
                "priority": values.get("priority", "3"),
                "duedate": values.get("duedate"),
                "labels": labels,
                "assignee": values.get("assignee"),
                "reporter": values["reporter"] if "reporter" in values else self.myself["accountId"],
                "creator": self.myself["accountId"],
                "status": DEFAULT_STATUSES[0][0],
                "resolution": None,
                "resolutiondate": None,
                "created": _fmt_ts(now),
                "updated": _fmt_ts(now),
                "statuscategorychangedate": _fmt_ts(now),
            },
        }
        for fid in self._custom_fields:
            rec["fields"][fid] = values.get(fid)
        for body in values.get("_comments", []):
            self._add_comment(rec, body)
        prop_errors = self._set_properties(rec, payload.get("properties"))
        if prop_errors:
            proj["counter"] -= 1
            return 400, _err(prop_errors)
        self._issues[iid] = rec
        self._key_index[key] = iid
        return 201, {"id": iid, "key": key, "self": f"{self._api(ver)}/issue/{iid}"}

    @staticmethod
    def _set_properties(rec: dict[str, Any], props: Any) -> list[str]:
        """``properties: [{"key", "value"}]`` in a create or edit body (IssueUpdateDetails):
        each key at most 255 characters, each value at most 32,768 characters as JSON."""
        if props is None:
            return []
        if not isinstance(props, list):
            return ["Can not deserialize instance of properties out of request body."]
        staged: dict[str, Any] = {}
        for prop in props:
            if not isinstance(prop, dict) or not isinstance(prop.get("key"), str) or "value" not in prop:
                return ["Each property must have a key and a value."]
            if len(prop["key"]) > 255:
                return ["The property key cannot be longer than 255 characters."]
            if len(json.dumps(prop["value"])) > 32768:
                return ["The property value cannot be longer than 32768 characters."]
            staged[prop["key"]] = copy.deepcopy(prop["value"])
        rec.setdefault("properties", {}).update(staged)
        return []

    @staticmethod
    def _label_op(labels: list[Any], verb: str, val: Any) -> list[Any]:
        if verb == "add" and val not in labels:
            return [*labels, val]
        if verb == "remove":
            return [x for x in labels if x != val]
        if verb == "set":
            return list(val or [])
        return labels

    def _add_comment(self, rec: dict[str, Any], body: Any) -> dict[str, Any]:
        c = {
            "id": str(next(self._ids)),
            "body": body,
            "author": self.myself["accountId"],
            "created": _fmt_ts(self.clock()),
        }
        rec["comments"].append(c)
        return c

    # ------------------------------------------------------------------ handlers
    def _h_server_info(self, req: _Req) -> tuple[int, Any]:
        if self.is_cloud:
            info = {
                "version": "1001.0.0-SNAPSHOT",
                "versionNumbers": [1001, 0, 0],
                "deploymentType": "Cloud",
                "buildNumber": 100282,
                "scmInfo": "0" * 40,
                "serverTitle": "Jira",
            }
        else:
            info = {
                "version": "9.12.2",
                "versionNumbers": [9, 12, 2],
                "deploymentType": "Server",
                "buildNumber": 9120002,
                "databaseBuildNumber": 9120002,
                "scmInfo": "1" * 40,
                "serverTitle": "Jira",
            }
        now = self.clock()
        return 200, {
            "baseUrl": self.url,
            **info,
            "buildDate": "2025-01-01T00:00:00.000+0000",
            "serverTime": _fmt_ts(now),
            "defaultLocale": {"locale": "en_US"},
        }

    def _h_myself(self, req: _Req) -> tuple[int, Any]:
        return 200, {**(self._user_json(self.myself_rec, req.ver) or {}), "locale": "en_US"}

    def _h_fields(self, req: _Req) -> tuple[int, Any]:
        ids = [f[0] for f in SYSTEM_FIELDS] + list(self._custom_fields)
        return 200, [self._field_json(fid) for fid in ids]

    def _h_priorities(self, req: _Req) -> tuple[int, Any]:
        return 200, [
            {**(self._priority_json(pid, req.ver) or {}), "statusColor": "#ffab00", "description": name}
            for pid, name in self._priorities.items()
        ]

    def _h_resolutions(self, req: _Req) -> tuple[int, Any]:
        return 200, [self._resolution_json(rid, req.ver) for rid in self._resolutions]

    def _h_statuses(self, req: _Req) -> tuple[int, Any]:
        return 200, [self._status_json(sid, req.ver) for sid in self._statuses]

    def _h_status_categories(self, req: _Req) -> tuple[int, Any]:
        return 200, [
            {
                "self": f"{self._api(req.ver)}/statuscategory/{cid}",
                "id": cid,
                "key": k,
                "colorName": c,
                "name": n,
            }
            for cid, (k, n, c) in STATUS_CATEGORIES.items()
        ]

    def _h_issue_types(self, req: _Req) -> tuple[int, Any]:
        return 200, [self._issuetype_json(n, req.ver) for n in self._issue_types]

    def _h_projects(self, req: _Req) -> tuple[int, Any]:
        return 200, [self._project_json(p, req.ver, False) for p in self._projects.values()]

    def _project_or_404(self, ref: str) -> dict[str, Any]:
        proj = self._project_by(ref)
        if proj is None:
            what = "id" if ref.isdigit() else "key"
            raise _Reply(404, _err([f"No project could be found with {what} '{ref}'."]))
        return proj

    def _h_project(self, req: _Req, ref: str) -> tuple[int, Any]:
        return 200, self._project_json(self._project_or_404(ref), req.ver)

    def _page(self, req: _Req, items: list[Any], cloud_key: str) -> dict[str, Any]:
        start, size = req.int_q("startAt", 0), req.int_q("maxResults", 50)
        page = items[start : start + size]
        if self.is_cloud:
            return {"maxResults": size, "startAt": start, "total": len(items), cloud_key: page}
        return {
            "maxResults": size,
            "startAt": start,
            "total": len(items),
            "isLast": start + len(page) >= len(items),
            "values": page,
        }

    def _h_meta_types(self, req: _Req, ref: str) -> tuple[int, Any]:
        proj = self._project_or_404(ref)
        return 200, self._page(
            req, [self._issuetype_json(t, req.ver) for t in proj["issue_types"]], "issueTypes"
        )

    def _h_meta_fields(self, req: _Req, ref: str, type_id: str) -> tuple[int, Any]:
        proj = self._project_or_404(ref)
        tname = next((n for n in proj["issue_types"] if type_id in (n, self._issue_types[n])), None)
        if tname is None:
            raise _Reply(404, _err([f"Issue type with id '{type_id}' does not exist or is not in project."]))
        metas = []
        for fid in proj["screen"]:
            fj = self._field_json(fid)
            meta = {
                "required": fid in proj["required"],
                "schema": fj.get("schema", {}),
                "name": fj["name"],
                "fieldId": fid,
                "hasDefaultValue": fid == "priority",
                "operations": ["add", "set", "remove"] if fid == "labels" else ["set"],
            }
            if self.is_cloud:
                meta["key"] = fid
            if fid == "priority":
                meta["allowedValues"] = [self._priority_json(pid, req.ver) for pid in self._priorities]
                meta["defaultValue"] = self._priority_json("3", req.ver)
            elif fid == "project":
                meta["allowedValues"] = [self._project_json(proj, req.ver, False)]
            elif fid == "issuetype":
                meta["allowedValues"] = [self._issuetype_json(tname, req.ver)]
            elif fid in ("assignee", "reporter"):
                meta["autoCompleteUrl"] = f"{self._api(req.ver)}/user/search?query="
            metas.append(meta)
        return 200, self._page(req, metas, "fields")

    def _h_create(self, req: _Req) -> tuple[int, Any]:
        return self._create_one(req.body, req.ver)

    def _h_bulk(self, req: _Req) -> tuple[int, Any]:
        updates = (req.body or {}).get("issueUpdates") if isinstance(req.body, dict) else None
        if not isinstance(updates, list):
            raise _Reply(400, _err(["Can not deserialize instance of issueUpdates out of request body."]))
        if len(updates) > 50:  # "Creates upto 50 issues" (Atlassian docs); wording UNCONFIRMED
            raise _Reply(400, _err(["Bulk create is limited to 50 issues."]))
        issues, errors = [], []
        for n, upd in enumerate(updates):
            status, reply = self._create_one(upd, req.ver)
            if status == 201:
                issues.append(reply)
            else:
                errors.append({"status": status, "elementErrors": reply, "failedElementNumber": n})
        return (201 if issues or not updates else 400), {"issues": issues, "errors": errors}

    def _h_get_issue(self, req: _Req, ref: str) -> tuple[int, Any]:
        rec = self._issue_or_404(ref)
        spec = req.qlist("fields") or ["*all"]
        return 200, self._issue_json(rec, req.ver, spec, req.q("expand", ""), req.qlist("properties"))

    def _h_edit(self, req: _Req, ref: str) -> tuple[int, Any]:
        rec = self._issue_or_404(ref)
        proj = self._projects[rec["project"]]
        if proj["forbidden"]:
            raise _Reply(403, _err([_MSG["no_edit"]]))
        body = req.body if isinstance(req.body, dict) else {}
        fields, update = body.get("fields") or {}, body.get("update") or {}
        errors: dict[str, str] = {}
        if "issuetype" in fields:
            _, tname, type_errors = self._resolve_project_type({**fields, "project": {"key": proj["key"]}})
            errors.update(type_errors)
        values = self._check_fields(proj, fields, update, errors, req.ver, creating=False)
        if errors:
            raise _Reply(400, _err([], errors))
        prop_errors = self._set_properties(rec, body.get("properties"))
        if prop_errors:
            raise _Reply(400, _err(prop_errors))
        f = rec["fields"]
        for k, v in values.items():
            if not k.startswith("_"):
                f[k] = v
        if "issuetype" in fields:
            f["issuetype"] = tname
        for verb, val in values.get("_label_ops", []):
            f["labels"] = self._label_op(f["labels"], verb, val)
        for body_text in values.get("_comments", []):
            self._add_comment(rec, body_text)
        f["updated"] = _fmt_ts(self.clock())
        return 204, None

    def _h_delete(self, req: _Req, ref: str) -> tuple[int, Any]:
        rec = self._issue_or_404(ref)
        if self._projects[rec["project"]]["forbidden"]:
            raise _Reply(403, _err(["You do not have permission to delete issues in this project."]))
        self.delete_issue(rec["key"])
        return 204, None

    def _h_assign(self, req: _Req, ref: str) -> tuple[int, Any]:
        rec = self._issue_or_404(ref)
        if self._projects[rec["project"]]["forbidden"]:
            raise _Reply(403, _err(["You do not have permission to assign issues in this project."]))
        errors: dict[str, str] = {}
        body = req.body if isinstance(req.body, dict) else None
        ident = "accountId" if self.is_cloud else "name"
        if body is None or ident not in body:
            raise _Reply(400, _err([], {"assignee": self._msg("user_shape")}))
        account = None if body[ident] is None else self._check_user("assignee", body, errors)
        if errors:
            raise _Reply(400, _err([], errors))
        rec["fields"]["assignee"] = account
        rec["fields"]["updated"] = _fmt_ts(self.clock())
        return 204, None

    def _prop_url(self, rec: Record, ver: str, pkey: str) -> str:
        return f"{self._api(ver)}/issue/{rec['id']}/properties/{quote(pkey)}"

    def _h_prop_keys(self, req: _Req, ref: str) -> tuple[int, Any]:
        rec = self._issue_or_404(ref)
        keys = [{"key": k, "self": self._prop_url(rec, req.ver, k)} for k in rec["properties"]]
        return 200, {"keys": keys}

    def _h_prop_get(self, req: _Req, ref: str, pkey: str) -> tuple[int, Any]:
        rec = self._issue_or_404(ref)
        if pkey not in rec["properties"]:
            raise _Reply(404, _err([f"The property with key '{pkey}' does not exist."]))  # UNCONFIRMED
        return 200, {"key": pkey, "value": copy.deepcopy(rec["properties"][pkey])}

    def _h_prop_put(self, req: _Req, ref: str, pkey: str) -> tuple[int, Any]:
        rec = self._issue_or_404(ref)
        if self._projects[rec["project"]]["forbidden"]:  # needs edit permission (Atlassian docs)
            raise _Reply(403, _err([_MSG["no_edit"]]))
        if len(pkey) > 255:
            raise _Reply(400, _err(["The property key cannot be longer than 255 characters."]))  # UNCONFIRMED
        if not req.raw.strip() or req.body is None:
            raise _Reply(400, _err(["The property value must be a valid, non-empty JSON."]))  # UNCONFIRMED
        if len(req.raw.decode("utf-8", "replace")) > 32768:
            raise _Reply(
                400, _err(["The property value cannot be longer than 32768 characters."])
            )  # UNCONFIRMED
        created = pkey not in rec["properties"]
        rec["properties"][pkey] = copy.deepcopy(req.body)
        return (201 if created else 200), None

    def _h_prop_delete(self, req: _Req, ref: str, pkey: str) -> tuple[int, Any]:
        rec = self._issue_or_404(ref)
        if pkey not in rec["properties"]:
            raise _Reply(404, _err([f"The property with key '{pkey}' does not exist."]))  # UNCONFIRMED
        del rec["properties"][pkey]
        return 204, None

    def _h_transitions(self, req: _Req, ref: str) -> tuple[int, Any]:
        rec = self._issue_or_404(ref)
        return 200, {"expand": "transitions", "transitions": self._transitions_for(rec, req.ver)}

    def _h_do_transition(self, req: _Req, ref: str) -> tuple[int, Any]:
        rec = self._issue_or_404(ref)
        body = req.body if isinstance(req.body, dict) else {}
        tid = str((body.get("transition") or {}).get("id", ""))
        match = next((t for t in self._transitions_for(rec, req.ver) if t["id"] == tid), None)
        if match is None:
            raise _Reply(400, _err([f"Transition id '{tid}' is not valid for this issue."]))
        res = (body.get("fields") or {}).get("resolution")
        res_name = (
            (res.get("name") or self._resolutions.get(str(res.get("id")))) if isinstance(res, dict) else None
        )
        if res is not None and (res_name is None or self._resolution_id(res_name) is None):
            raise _Reply(
                400, _err([], {"resolution": "Could not find valid 'id' or 'name' in resolution object."})
            )
        self._apply_status(rec, match["to"]["id"], res_name)
        for op in (body.get("update") or {}).get("comment", []):
            if isinstance(op, dict) and isinstance(op.get("add"), dict):
                self._add_comment(rec, op["add"].get("body"))
        return 204, None

    def _h_get_comments(self, req: _Req, ref: str) -> tuple[int, Any]:
        rec = self._issue_or_404(ref)
        comments = [self._comment_json(rec, c, req.ver) for c in rec["comments"]]
        return 200, {"startAt": 0, "maxResults": len(comments), "total": len(comments), "comments": comments}

    def _h_add_comment(self, req: _Req, ref: str) -> tuple[int, Any]:
        rec = self._issue_or_404(ref)
        body = req.body.get("body") if isinstance(req.body, dict) else None
        if not body:
            raise _Reply(400, _err([], {"comment": "Comment body can not be empty!"}))
        return 201, self._comment_json(rec, self._add_comment(rec, body), req.ver)

    def _h_get_links(self, req: _Req, ref: str) -> tuple[int, Any]:
        rec = self._issue_or_404(ref)
        gid = req.q("globalId")
        links = [self._link_json(rec, lk, req.ver) for lk in rec["remotelinks"]]
        if gid is not None:
            match = [lk for lk in links if lk.get("globalId") == gid]
            if not match:
                raise _Reply(404, _err([f"No remote link with globalId '{gid}'."]))  # UNCONFIRMED wording
            return 200, match[0]
        return 200, links

    def _link_json(self, rec: Record, lk: dict[str, Any], ver: str) -> dict[str, Any]:
        return {
            "id": lk["id"],
            "self": f"{self._api(ver)}/issue/{rec['key']}/remotelink/{lk['id']}",
            **{k: v for k, v in lk.items() if k != "id"},
        }

    def _h_add_link(self, req: _Req, ref: str) -> tuple[int, Any]:
        rec = self._issue_or_404(ref)
        body = req.body if isinstance(req.body, dict) else {}
        obj = body.get("object") or {}
        if not obj.get("url") or not obj.get("title"):
            raise _Reply(400, _err([], {"title": "'title' is required.", "url": "'url' is required."}))
        gid = body.get("globalId")
        existing = next((lk for lk in rec["remotelinks"] if gid and lk.get("globalId") == gid), None)
        data = {k: body[k] for k in ("globalId", "application", "relationship", "object") if k in body}
        if existing:  # same globalId -> update in place, 200
            existing.update(data)
            return 200, {"id": existing["id"], "self": self._link_json(rec, existing, req.ver)["self"]}
        lk = {"id": int(next(self._ids)), **data}
        rec["remotelinks"].append(lk)
        return 201, {"id": lk["id"], "self": self._link_json(rec, lk, req.ver)["self"]}

    # --------------------------------------------------------------------- search
    def _h_search(self, req: _Req) -> tuple[int, Any]:
        if self.is_cloud:  # CHANGE-2046: removed on v2, v3 and latest
            raise _Reply(410, _err([REMOVED_SEARCH_MSG]))
        p = req.body if (req.method == "POST" and isinstance(req.body, dict)) else None

        def get(name: str, default: Any = None) -> Any:
            return p.get(name, default) if p is not None else req.q(name, default)

        jql = get("jql", "") or ""
        start = int(get("startAt", 0) or 0)
        size = max(0, min(int(get("maxResults") if get("maxResults") is not None else 50), 1000))
        fields = (p.get("fields") if p is not None else req.qlist("fields")) or ["*navigable"]
        fields = fields.split(",") if isinstance(fields, str) else fields
        validate = str(get("validateQuery", "strict")).lower() not in ("false", "none", "warn")
        recs, warnings = self._run_jql(jql, cloud=False, validate=validate)
        expand = get("expand") or ""
        # Data Center's search documents no `properties` parameter (tracker-apis.md, "Facts
        # checked" 3; JRASERVER-62898 is unresolved): issues come back without them.
        props: list[str] = []
        out = {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": size,
            "total": len(recs),
            "issues": [
                self._issue_json(r, req.ver, fields, expand, props) for r in recs[start : start + size]
            ],
        }
        if warnings:
            out["warningMessages"] = warnings
        return 200, out

    def _h_search_jql(self, req: _Req) -> tuple[int, Any]:
        if not self.is_cloud:
            return 404, {"message": f"null for uri: {self.url}/rest/api/2/search/jql", "status-code": 404}
        p = req.body if (req.method == "POST" and isinstance(req.body, dict)) else None
        props = _prop_list(p.get("properties") if p is not None else req.qlist("properties"))
        if len(props) > 5:  # "up to 5 issue properties" (Cloud search/jql docs); wording UNCONFIRMED
            raise _Reply(400, _err(["The maximum number of properties that can be requested is 5."]))
        if p is not None:
            jql, token, fields = p.get("jql") or "", p.get("nextPageToken"), p.get("fields") or []
            size, expand, reconcile = (
                p.get("maxResults"),
                p.get("expand") or "",
                p.get("reconcileIssues") or [],
            )
            fields = fields.split(",") if isinstance(fields, str) else fields
        else:
            jql, token, fields = req.q("jql", ""), req.q("nextPageToken"), req.qlist("fields")
            size, expand, reconcile = req.q("maxResults"), req.q("expand", ""), req.qlist("reconcileIssues")
        fields = [f for f in fields if f] or ["id"]
        id_only = set(fields) <= {"id", "key", "issuekey"}  # jira maps "id"/"key" to "issuekey"
        size = max(0, min(int(size) if size not in (None, "") else 50, 5000 if id_only else 100))
        offset = 0
        if token:
            try:
                offset = json.loads(base64.urlsafe_b64decode(token.encode()).decode())["o"]
            except (ValueError, KeyError, TypeError):  # wording UNCONFIRMED
                raise _Reply(400, _err(["The provided next page token is invalid or expired."])) from None
        recs, _ = self._run_jql(jql, cloud=True, validate=True, reconcile={str(x) for x in reconcile})
        page = recs[offset : offset + size]
        issues = []
        for r in page:
            if fields == ["id"]:
                issues.append({"id": r["id"]})
            else:
                issues.append(self._issue_json(r, req.ver, fields, expand, props))
        out: dict[str, Any] = {"issues": issues}
        if offset + size < len(recs):
            out["nextPageToken"] = base64.urlsafe_b64encode(
                json.dumps({"o": offset + size}).encode()
            ).decode()
            out["isLast"] = False
        else:
            out["isLast"] = True
        return 200, out

    def _run_jql(
        self, jql: str, cloud: bool, validate: bool, reconcile: set[Any] | None = None
    ) -> tuple[list[Record], list[str]]:
        try:
            where, order = parse_jql(jql)
            if cloud and where is None:
                raise JqlError(_MSG["unbounded"])
            pred, warnings = _JqlCompiler(
                self, validate, lenient_keys=cloud and self.unknown_jql_keys == "empty"
            ).compile(where)
            sort_key = self._sort_key(order)
        except JqlError as e:
            raise _Reply(400, _err(e.messages)) from None
        now = self.monotonic()
        recs = [
            r
            for r in self._issues.values()
            if (r["visible_at"] <= now or r["id"] in (reconcile or set())) and pred(r)
        ]
        for fld, direction in reversed(sort_key):
            recs.sort(key=fld, reverse=direction == "DESC")
        return recs, warnings

    def _sort_key(self, order: list[tuple[str, str | None]]) -> list[tuple[Callable[[Record], Any], str]]:
        if not order:
            return [(lambda r: int(r["id"]), "DESC")]  # real default order UNCONFIRMED; newest first here
        keys = []
        getters = {
            "key": lambda r: (r["project"], int(r["key"].rsplit("-", 1)[1])),
            "issuekey": lambda r: (r["project"], int(r["key"].rsplit("-", 1)[1])),
            "id": lambda r: int(r["id"]),
            "created": lambda r: (r["fields"]["created"], int(r["id"])),
            "updated": lambda r: (r["fields"]["updated"], int(r["id"])),
            "priority": lambda r: -int(r["fields"]["priority"] or 99),
            "summary": lambda r: r["fields"]["summary"].lower(),
            "duedate": lambda r: r["fields"]["duedate"] or "9999",
            "status": lambda r: self._statuses[r["fields"]["status"]]["name"],
        }
        for fld, direction in order:
            getter = getters.get(fld.lower())
            if getter is None:
                raise JqlError(f"Not able to sort using field '{fld}'.")
            keys.append((getter, direction or ("DESC" if fld.lower() in ("created", "updated") else "ASC")))
        return keys

    # ----------------------------------------------------------------------- users
    def _h_user_search(self, req: _Req) -> tuple[int, Any]:
        if self.is_cloud and req.q("username") is not None:
            raise _Reply(400, _err([_MSG["gdpr"]]))
        term = req.q("query") if self.is_cloud else req.q("username")
        account = req.q("accountId") if self.is_cloud else None
        if term is None and account is None:
            param = "query" if self.is_cloud else "username"
            raise _Reply(
                400, _err([f"The '{param}' query parameter was not provided"])
            )  # UNCONFIRMED wording
        include_active = req.q("includeActive", "true").lower() != "false"
        include_inactive = req.q("includeInactive", "false").lower() == "true"
        found = []
        for u in self._users:
            if (u["active"] and not include_active) or (not u["active"] and not include_inactive):
                continue
            by_id = account is not None and u["accountId"] == account
            if by_id or (term is not None and self._user_matches(u, term)):
                found.append(u)
        start, size = req.int_q("startAt", 0), req.int_q("maxResults", 50)
        return 200, [self._user_json(u, req.ver) for u in found[start : start + size]]

    def _user_matches(self, user: dict[str, Any], term: str) -> bool:
        t = term.lower()
        cands = [w.lower() for w in user["displayName"].split()]
        cands += [user["displayName"].lower(), (user["email"] or "").lower()]
        if self.is_cloud:
            return any(c.startswith(t) for c in cands if c) or t == user["accountId"].lower()
        return any(c.startswith(t) for c in [*cands, user["name"].lower()] if c)

    def _h_user(self, req: _Req) -> tuple[int, Any]:
        if self.is_cloud:
            if req.q("username") is not None or req.q("key") is not None:
                raise _Reply(
                    400,
                    _err(
                        ["'accountId' must be the only user identifying query parameter in GDPR strict mode."]
                    ),
                )
            acc = req.q("accountId")
            user = self._user_by_id(acc)
            missing = "Specified user does not exist or you do not have required permissions"  # UNCONFIRMED
        else:
            name, key = req.q("username"), req.q("key")
            if name is None and key is None:
                raise _Reply(
                    400, _err(["Either the 'username' or the 'key' query parameters need to be provided"])
                )
            user = self._user_by_ref({"name": name} if name is not None else {"key": key})
            missing = f"The user named '{name or key}' does not exist"  # UNCONFIRMED
        if user is None:
            raise _Reply(404, _err([missing]))
        return 200, self._user_json(user, req.ver)

    def _h_user_bulk(self, req: _Req) -> tuple[int, Any]:
        """Cloud's "Bulk get users": `accountId` repeated once per user, a `PageBeanUser` back
        (`startAt`, `maxResults` default 10); an accountId no user has is left out, not an
        error. Data Center has no such resource (its 404)."""
        if not self.is_cloud:
            raise _Reply(
                404, {"message": f"null for uri: {self.url}/rest/api/{req.ver}/user/bulk", "status-code": 404}
            )
        wanted = list(req.query.get("accountId", []))
        if not wanted:
            raise _Reply(400, _err(["accountId must be provided"]))  # UNCONFIRMED wording
        start, size = req.int_q("startAt", 0), req.int_q("maxResults", 10)
        users = [u for acc in dict.fromkeys(wanted) if (u := self._user_by_id(acc)) is not None]
        page = users[start : start + size]
        query = "&".join(f"accountId={quote(a)}" for a in wanted)
        out: dict[str, Any] = {
            "self": f"{self._api(req.ver)}/user/bulk?{query}&startAt={start}&maxResults={size}",
            "maxResults": size,
            "startAt": start,
            "total": len(users),
            "isLast": start + size >= len(users),
            "values": [self._user_json(u, req.ver) for u in page],
        }
        if not out["isLast"]:
            out["nextPage"] = (
                f"{self._api(req.ver)}/user/bulk?{query}&startAt={start + size}&maxResults={size}"
            )
        return 200, out


# -------------------------------------------------------------- JQL → predicate
class _JqlCompiler:
    """Turns a parsed JQL tree into ``predicate(record) -> bool``, resolving values up front so that every
    unknown value is reported at once (as Jira does)."""

    TEXT: ClassVar[frozenset[str]] = frozenset({"summary", "description", "text", "comment"})
    DATES: ClassVar[dict[str, str]] = {
        "created": "created",
        "createddate": "created",
        "updated": "updated",
        "updateddate": "updated",
        "duedate": "duedate",
        "due": "duedate",
        "resolutiondate": "resolutiondate",
        "resolved": "resolutiondate",
    }

    def __init__(self, fake: FakeJira, validate: bool = True, lenient_keys: bool = False):
        self.fake, self.validate, self.lenient_keys = fake, validate, lenient_keys
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def compile(self, node: Ast | None) -> tuple[Pred, list[str]]:
        pred = self._node(node) if node is not None else (lambda r: True)
        if self.errors:
            raise JqlError(*self.errors)
        return pred, self.warnings

    def _node(self, node: Ast) -> Pred:
        kind = node[0]
        if kind == "and":
            preds = [self._node(n) for n in node[1]]
            return lambda r: all(p(r) for p in preds)
        if kind == "or":
            preds = [self._node(n) for n in node[1]]
            return lambda r: any(p(r) for p in preds)
        if kind == "not":
            inner = self._node(node[1])
            return lambda r: not inner(r)
        if kind == "empty":
            getter = self._getter(node[1], "is")
            neg = node[2]
            return lambda r: bool(getter(r)) == neg
        if kind == "in":
            _, fld, neg, values = node
            op = "not in" if neg else "in"
        else:
            _, fld, op, value = node
            values = [value]
        f = fld.lower()
        if f in self.TEXT:
            return self._text(fld, op, values[0])
        if f in self.DATES:
            return self._date(fld, op, values[0])
        getter = self._getter(fld, op)
        if op in (">", ">=", "<", "<=") and f in ("key", "issuekey", "id", "issue"):
            return self._key_range(fld, op, values[0])
        if op not in ("=", "!=", "in", "not in"):
            self.errors.append(f"The operator '{op}' is not supported by the '{fld}' field.")
            return lambda r: False
        wanted: set[Any] = set()
        for v in values:
            wanted |= {None} if v is None else self._resolve(fld, v)
        has_empty = None in wanted
        wanted.discard(None)
        positive = op in ("=", "in")

        def pred(r: Record) -> bool:
            have = getter(r)
            if positive:
                return bool(have & wanted) or (has_empty and not have)
            if has_empty and not have:
                return False
            return bool(have) and not (have & wanted)  # Jira's != / NOT IN never match an empty field

        return pred

    # -- field access: each getter returns the set of comparable ids for a record
    def _getter(self, fld: str, op: str) -> Callable[[Record], set[Any]]:
        f, fake = fld.lower(), self.fake
        if f in ("key", "issuekey", "id", "issue"):
            return lambda r: {r["id"]}
        if f == "project":
            return lambda r: {fake._projects[r["project"]]["id"]}
        if f == "labels":
            return lambda r: set(r["fields"]["labels"])
        if f == "statuscategory":
            return lambda r: {str(fake._statuses[r["fields"]["status"]]["category"])}
        if f in ("status", "resolution", "priority"):
            return lambda r: {r["fields"][f]} if r["fields"][f] else set()
        if f in ("issuetype", "type"):
            return lambda r: {fake._issue_types[r["fields"]["issuetype"]]}
        if f in ("assignee", "reporter", "creator"):
            return lambda r: {r["fields"][f]} if r["fields"][f] else set()
        if f in self.TEXT or f in self.DATES:
            return lambda r: {1} if self._raw(r, f) else set()
        if f in fake._custom_fields or self._cf_id(fld):
            cf = self._cf_id(fld) or f
            return lambda r: (
                {str(r["fields"].get(cf))} if r["fields"].get(cf) not in (None, "", []) else set()
            )
        self.errors.append(f"Field '{fld}' does not exist or you do not have permission to view it.")
        return lambda r: set()

    def _cf_id(self, fld: str) -> str | None:
        m = re.fullmatch(r"cf\[(\d+)\]", fld.strip(), re.I)
        if m and f"customfield_{m.group(1)}" in self.fake._custom_fields:
            return f"customfield_{m.group(1)}"
        return next(
            (cid for cid, cf in self.fake._custom_fields.items() if cf["name"].lower() == fld.lower()), None
        )

    def _raw(self, r: Record, f: str) -> Any:
        if f in self.DATES:
            return r["fields"][self.DATES[f]]
        if f == "text":
            return " ".join(
                filter(
                    None,
                    [
                        r["fields"]["summary"],
                        _adf_text(r["fields"]["description"])
                        if isinstance(r["fields"]["description"], dict)
                        else r["fields"]["description"],
                    ],
                )
            )
        if f == "comment":
            return " ".join(str(c["body"]) for c in r["comments"])
        v = r["fields"][f]
        return _adf_text(v) if isinstance(v, dict) else v

    def _missing(self, fld: str, v: str) -> set[Any]:
        self.errors.append(f"The value '{v}' does not exist for the field '{fld}'.")
        return set()

    def _resolve(self, fld: str, v: Any) -> set[Any]:
        f, fake = fld.lower(), self.fake
        if isinstance(v, tuple):  # function
            if v[1].lower() == "currentuser" and f in ("assignee", "reporter", "creator"):
                return {fake.myself["accountId"]}
            self.errors.append(f"Unable to find JQL function '{v[1]}()'.")
            return set()
        v = str(v)
        if f in ("key", "issuekey", "id", "issue"):
            if v.isdigit():
                rec = fake._issues.get(v)
            else:
                if not _KEY_RE.match(v.upper()):
                    self.errors.append(f"The issue key '{v}' for field '{fld}' is invalid.")
                    return set()
                rec = fake._find(v.upper())
            if rec is None:
                if self.lenient_keys:
                    return set()
                msg = f"An issue with key '{v}' does not exist for field '{fld}'."
                (self.errors if self.validate else self.warnings).append(msg)
                return set()
            return {rec["id"]}
        if f == "project":
            proj = fake._project_by(v)
            return {proj["id"]} if proj else self._missing(fld, v)
        if f == "labels":
            return {v}
        if f == "statuscategory":
            for cid, (key, name, _) in STATUS_CATEGORIES.items():
                if v.lower() in (key, name.lower(), str(cid)):
                    return {str(cid)}
            return self._missing(fld, v)
        if f == "status":
            ids = {s["id"] for s in fake._statuses.values() if v.lower() in (s["id"], s["name"].lower())}
            return ids or self._missing(fld, v)
        if f == "resolution":
            if v.lower() == "unresolved":
                return {None}
            ids = {rid for rid, n in fake._resolutions.items() if v.lower() in (rid, n.lower())}
            return ids or self._missing(fld, v)
        if f == "priority":
            ids = {pid for pid, n in fake._priorities.items() if v.lower() in (pid, n.lower())}
            return ids or self._missing(fld, v)
        if f in ("issuetype", "type"):
            ids = {tid for n, tid in fake._issue_types.items() if v.lower() in (tid, n.lower())}
            return ids or self._missing(fld, v)
        if f in ("assignee", "reporter", "creator"):
            ident = "accountId" if fake.is_cloud else "name"
            ids = {
                u["accountId"]
                for u in fake._users
                if v == u[ident] or v.lower() == (u["email"] or "").lower()
            }
            return ids or self._missing(fld, v)
        return {v}  # custom fields compare as strings

    def _text(self, fld: str, op: str, value: Any) -> Pred:
        if op not in ("~", "!~"):
            self.errors.append(f"The operator '{op}' is not supported by the '{fld}' field.")
            return lambda r: False
        needle = str(value).lower().strip("*")
        f = fld.lower()
        return lambda r: (needle in (self._raw(r, f) or "").lower()) == (op == "~")

    def _date(self, fld: str, op: str, value: Any) -> Pred:
        if op not in ("=", "!=", ">", ">=", "<", "<="):
            self.errors.append(f"The operator '{op}' is not supported by the '{fld}' field.")
            return lambda r: False
        when = _jql_date(str(value), self.fake.clock()) if value is not None else None
        if value is not None and when is None:
            self.errors.append(
                f"Date value '{value}' for field '{fld}' is invalid. Valid formats include: "
                f"'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', "
                f"or a period format e.g. '-5d', '4w 2d'."
            )
            return lambda r: False
        f = self.DATES[fld.lower()]
        if when is None:  # created = EMPTY / != EMPTY
            return lambda r: (r["fields"][f] is None) == (op == "=")
        cmp: Callable[[datetime, datetime], bool] = {
            "=": operator.eq,
            "!=": operator.ne,
            ">": operator.gt,
            ">=": operator.ge,
            "<": operator.lt,
            "<=": operator.le,
        }[op]

        def pred(r: Record) -> bool:
            raw = r["fields"][f]
            if raw is None:
                return False
            have = datetime.fromisoformat(raw).replace(tzinfo=UTC) if len(raw) == 10 else _parse_ts(raw)
            return cmp(have, when)

        return pred

    def _key_range(self, fld: str, op: str, value: Any) -> Pred:
        rec = self.fake._find(str(value).upper())
        if rec is None:
            self.errors.append(f"An issue with key '{value}' does not exist for field '{fld}'.")
            return lambda r: False
        proj, num = rec["project"], int(rec["key"].rsplit("-", 1)[1])
        cmp = {">": int.__gt__, ">=": int.__ge__, "<": int.__lt__, "<=": int.__le__}[op]
        return lambda r: r["project"] == proj and cmp(int(r["key"].rsplit("-", 1)[1]), num)


# --------------------------------------------------------------------- fixtures
@pytest.fixture
def fake_jira_cloud() -> Iterator[FakeJira]:
    """A started Cloud-mode FakeJira (credentials: ``.email`` / ``.token``)."""
    with FakeJira(mode="cloud") as fake:
        yield fake


@pytest.fixture
def fake_jira_dc() -> Iterator[FakeJira]:
    """A started Data Center-mode FakeJira (PAT: ``.token``; user ``.myself["name"]``)."""
    with FakeJira(mode="datacenter") as fake:
        yield fake
