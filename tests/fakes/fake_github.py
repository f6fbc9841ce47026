"""A self-contained fake of the GitHub REST API (issues subset) on 127.0.0.1.

Stdlib only (http.server, threading, json, re, urllib.parse), so it runs in CI
without network access.  It is meant to be driven by the *real* PyGithub client:

    with FakeGitHub(token="ghp_test") as fake:
        fake.add_repo("acme/app")
        g = Github(auth=Auth.Token("ghp_test"), base_url=fake.api_url,
                   seconds_between_requests=None, seconds_between_writes=None, timeout=5)
        issue = g.get_repo("acme/app").create_issue("Fix X", labels=["postmortem"])

Behaviour modelled on GitHub.com's REST API, version 2022-11-28:

* every absolute URL it emits (``url``, ``*_url``, ``Location``, ``Link``) uses
  exactly ``fake.api_url`` (PyGithub asserts host and port);
* ``prefix="/api/v3"`` emulates GitHub Enterprise Server (``api_url`` then ends
  in ``/api/v3`` and nothing is served outside it);
* ``Link`` headers are built like GitHub's: ``<…/repositories/{id}/issues?…&page=N>;
  rel="prev"``, then ``next``, ``last``, ``first``; every query parameter of the
  request is repeated, ``page`` is moved to the end.  ``/repositories/{id}/…``
  is routed like ``/repos/{owner}/{name}/…``;
* repository issue lists include pull requests (items carry ``pull_request``);
* transferred issues answer 301 (with ``Location``), deleted ones 410, repos
  with issues disabled 410 "Issues are disabled for this repo";
* primary rate limit (403/429 "API rate limit exceeded for user ID …" with
  ``x-ratelimit-remaining: 0``), secondary limit (403/429 "You have exceeded a
  secondary rate limit…", optional ``retry-after``) and arbitrary fault
  injection (status, delay, dropped connection, before or after the request is
  really processed).

Route patterns used by :meth:`FakeGitHub.inject`, :meth:`secondary_limit` and
:meth:`requests_to` are matched (``re.search``) against the request path with
the GHES prefix and the query string removed, e.g. ``/repos/o/r/issues``.
"""

from __future__ import annotations

import base64
import contextlib
import enum
import http
import json
import math
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, TypeVar

from tests.fakes.fake_github_graphql import GraphQL, Project

__all__ = ["FakeGitHub", "LoggedRequest", "fake_ghes", "fake_github"]

API_VERSION = "2022-11-28"
DOCS = "https://docs.github.com/rest"
DOC_GET_REPO = DOCS + "/repos/repos#get-a-repository"
DOC_GET_ISSUE = DOCS + "/issues/issues#get-an-issue"
DOC_CREATE_ISSUE = DOCS + "/issues/issues#create-an-issue"
DOC_UPDATE_ISSUE = DOCS + "/issues/issues#update-an-issue"
DOC_LIST_ISSUES = DOCS + "/issues/issues#list-repository-issues"
DOC_GET_LABEL = DOCS + "/issues/labels#get-a-label"
DOC_CREATE_LABEL = DOCS + "/issues/labels#create-a-label"
DOC_LIST_LABELS = DOCS + "/issues/labels#list-labels-for-a-repository"
DOC_ADD_LABELS = DOCS + "/issues/labels#add-labels-to-an-issue"
DOC_REMOVE_LABEL = DOCS + "/issues/labels#remove-a-label-from-an-issue"
DOC_CHECK_ASSIGNEE = DOCS + "/issues/assignees#check-if-a-user-can-be-assigned"
DOC_LIST_ASSIGNEES = DOCS + "/issues/assignees#list-assignees"
DOC_COMMENTS = DOCS + "/issues/comments#create-an-issue-comment"
DOC_LIST_COMMENTS = DOCS + "/issues/comments#list-issue-comments"
DOC_MILESTONES = DOCS + "/issues/milestones#list-milestones"
DOC_GET_MILESTONE = DOCS + "/issues/milestones#get-a-milestone"
DOC_USER = DOCS + "/users/users#get-the-authenticated-user"
DOC_GET_USER = DOCS + "/users/users#get-a-user"
DOC_RATE = DOCS + "/rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user"
DOC_PRIMARY = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit"
)
DOC_SECONDARY = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits"
)
DOC_REDIRECT = "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects"

JSONDict = dict[str, Any]
_T = TypeVar("_T")


class _Unset(enum.Enum):
    UNSET = "UNSET"


UNSET = _Unset.UNSET

TITLE_MAX = 256
BODY_MAX = 65536
DEFAULT_LABEL_COLOR = "ededed"
STATE_REASONS = ("completed", "not_planned", "reopened", "duplicate")
_HEX6 = re.compile(r"^[0-9a-fA-F]{6}$")


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(value: str) -> float:
    v = value.strip()
    if v.endswith("Z") or v.endswith("z"):
        v = v[:-1] + "+00:00"
    dt = datetime.fromisoformat(v)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _node_id(prefix: str, kind: int, ident: int) -> str:
    raw = kind.to_bytes(2, "big") + ident.to_bytes(8, "big")
    return prefix + "_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --------------------------------------------------------------------------- records


@dataclass
class LoggedRequest:
    """One request as the fake saw it (the Authorization value is redacted)."""

    method: str
    path: str  # full path as received, without the query string
    route: str  # path with the GHES prefix removed
    query: dict[str, str]  # last value per parameter
    raw_query: str
    json: Any  # parsed JSON body, None when there was none (or it did not parse)
    headers: dict[str, str]  # lower-cased names
    time: float
    request_id: str = ""  # also sent as x-github-request-id
    status: int | None = None  # filled once answered; None if dropped
    outcome: str = "pending"  # "ok", "injected", "dropped", "primary_limit", "secondary_limit", ...

    @property
    def is_read(self) -> bool:
        """A GET, or a GraphQL query (sent as POST, but it changes nothing)."""
        if self.method in ("GET", "HEAD"):
            return True
        query = self.json.get("query") if isinstance(self.json, dict) else None
        mutation = isinstance(query, str) and query.lstrip().startswith("mutation")
        return self.route == "/graphql" and isinstance(query, str) and not mutation


@dataclass
class _Fault:
    method: str | None
    regex: re.Pattern[str] | None
    status: int | None = None
    headers: dict[str, str] | None = None
    body: Any = None
    delay: float = 0.0
    drop: bool = False
    times: int | None = 1
    after: bool = False
    kind: str = "inject"  # or "secondary"
    hits: int = 0

    def matches(self, method: str, route: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        return self.regex is None or bool(self.regex.search(route))

    def consume(self) -> None:
        self.hits += 1
        if self.times is not None:
            self.times -= 1


@dataclass
class _User:
    login: str
    id: int
    type: str = "User"
    name: str | None = None


@dataclass
class _Label:
    id: int
    name: str
    color: str
    description: str | None
    default: bool = False


@dataclass
class _Milestone:
    id: int
    number: int
    title: str
    state: str = "open"
    description: str | None = None
    created_at: float = 0.0


@dataclass
class _Comment:
    id: int
    user: str
    body: str
    created_at: float
    updated_at: float


@dataclass
class _Issue:
    id: int
    number: int
    repo_key: str
    title: str
    body: str | None
    user: str
    created_at: float
    updated_at: float
    state: str = "open"
    state_reason: str | None = None
    labels: list[str] = field(default_factory=list)  # lower-cased label keys
    assignees: list[str] = field(default_factory=list)  # logins
    milestone: int | None = None
    closed_at: float | None = None
    closed_by: str | None = None
    locked: bool = False
    comments: list[_Comment] = field(default_factory=list)
    is_pr: bool = False
    draft: bool = False
    deleted: bool = False
    moved_to: tuple[str, int] | None = None  # (repo_key, number)
    moved_style: str = "url"


@dataclass
class _Repo:
    id: int
    owner: str
    name: str
    private: bool
    has_issues: bool
    push: bool
    created_at: float
    description: str | None = None
    labels: dict[str, _Label] = field(default_factory=dict)  # lower name -> label
    issues: dict[int, _Issue] = field(default_factory=dict)
    next_number: int = 1
    collaborators: list[str] = field(default_factory=list)
    milestones: dict[int, _Milestone] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


class _Reply:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


class _HTTPError(Exception):
    def __init__(self, reply: _Reply):
        super().__init__(reply.status)
        self.reply = reply


# --------------------------------------------------------------------------- HTTP plumbing


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    fake: FakeGitHub


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"
    sys_version = ""
    timeout = 60  # idle keep-alive connections give up eventually
    wbufsize = -1  # buffered: status line, headers and body leave in one send()
    disable_nagle_algorithm = True  # no 40 ms Nagle/delayed-ACK stalls on localhost

    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:  # silence the default stderr log
        pass

    def version_string(self) -> str:
        return "GitHub.com"

    def _handle(self) -> None:
        self.server.fake._serve(self)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _handle


# --------------------------------------------------------------------------- the fake


class FakeGitHub:
    """Fake GitHub REST API server.  See the module docstring."""

    def __init__(
        self,
        token: str | Iterable[str] = "ghp_test",
        *,
        prefix: str = "",
        rate_limit: int = 5000,
        latency: float = 0.0,
        login: str = "pm-sync-bot",
        user_id: int = 1,
        link_style: str = "repositories",
        api_versions: Iterable[str] = (API_VERSION,),
    ) -> None:
        """
        token: accepted token (or several); sent as ``Authorization: token X`` or ``Bearer X``.
        prefix: "" for github.com style, "/api/v3" for GitHub Enterprise Server.
        rate_limit: primary quota per hour (``x-ratelimit-limit``).
        latency: seconds added before every answer.
        login / user_id: the authenticated user (``GET /user``; the ID in the limit message).
        link_style: "repositories" (GitHub's ``/repositories/{id}/…`` in Link) or "repos".
        api_versions: accepted ``X-GitHub-Api-Version`` values (others answer 400).
        """
        self.tokens = {token} if isinstance(token, str) else set(token)
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ValueError("prefix must look like '/api/v3'")
        if link_style not in ("repositories", "repos"):
            raise ValueError("link_style must be 'repositories' or 'repos'")
        self.prefix = prefix
        self.latency = float(latency)
        self.link_style = link_style
        self.api_versions = tuple(api_versions)
        self.login = login
        self.request_log: list[LoggedRequest] = []

        self._lock = threading.RLock()
        self._stop_event = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()
        self._clock_offset = 0.0
        self._ids = 1000
        self._request_seq = 0

        self._users: dict[str, _User] = {}
        self._repos: dict[str, _Repo] = {}
        self._repos_by_id: dict[int, str] = {}
        self._faults: list[_Fault] = []

        self._limit = int(rate_limit)
        self._remaining = int(rate_limit)
        self._reset_at = self.now() + 3600
        self._primary_status = 403

        self._users[login.lower()] = _User(login=login, id=user_id)
        self.graphql = GraphQL(self)

    # ------------------------------------------------------------------ lifecycle

    def _bind(self) -> _Server:
        # The socket is bound on first need, so URLs (and helpers that render
        # JSON) work before start(); start() then serves on that same port.
        with self._lock:
            if self._server is None:
                server = _Server(("127.0.0.1", 0), _Handler)
                server.fake = self
                self._server = server
            return self._server

    def start(self) -> FakeGitHub:
        server = self._bind()
        if self._thread is not None:
            return self
        self._stop_event.clear()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FakeGitHub:{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        self._stop_event.set()
        if self._thread is not None:
            server.shutdown()
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return int(self._bind().server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (the host root; also the web ``html_url`` root)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def graphql_path(self) -> str:
        """`/graphql` on github.com, `/api/graphql` on GHES (next to `/api/v3`)."""
        return (self.prefix[: -len("/v3")] if self.prefix.endswith("/v3") else self.prefix) + "/graphql"

    @property
    def graphql_url(self) -> str:
        return self.url + self.graphql_path

    def add_project(
        self,
        owner: str,
        number: int,
        *,
        owner_type: str = "org",
        fields: dict[str, list[str] | None] | None = None,
    ) -> Project:
        """A Projects v2 board (GraphQL only); see `GraphQL.add_project`."""
        with self._lock:
            return self.graphql.add_project(owner, number, owner_type=owner_type, fields=fields)

    @property
    def api_url(self) -> str:
        """Base URL to give PyGithub: ``url`` plus the prefix (``/api/v3`` on GHES)."""
        return self.url + self.prefix

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    # ------------------------------------------------------------------ clock

    def now(self) -> float:
        """The fake's clock (wall clock plus whatever :meth:`advance` added)."""
        return time.time() + self._clock_offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward (rate-limit resets, timestamps).

        Handy as a replacement for ``time.sleep`` in retry code under test.
        """
        with self._lock:
            self._clock_offset += max(0.0, float(seconds))

    def _next_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids

    # ------------------------------------------------------------------ state helpers

    def add_user(self, login: str, *, name: str | None = None, type: str = "User") -> JSONDict:
        with self._lock:
            key = login.lower()
            if key not in self._users:
                self._users[key] = _User(login=login, id=self._next_id(), type=type, name=name)
            return self._user_json(self._users[key])

    def add_repo(
        self,
        full_name: str,
        *,
        private: bool = False,
        has_issues: bool = True,
        push: bool = True,
        description: str | None = None,
        labels: Iterable[str] = (),
    ) -> JSONDict:
        """Create a repository.  The authenticated user is a collaborator (assignable).

        push=False models a token with read access only: label, assignee and
        milestone changes on create/edit are then silently dropped, as GitHub does.
        """
        owner, name = self._split(full_name)
        with self._lock:
            key = full_name.lower()
            if key in self._repos:
                raise ValueError(f"repo {full_name} already exists")
            if owner.lower() not in self._users:
                self._users[owner.lower()] = _User(
                    login=owner,
                    id=self._next_id(),
                    type="User" if owner.lower() == self.login.lower() else "Organization",
                )
            repo = _Repo(
                id=self._next_id(),
                owner=owner,
                name=name,
                private=private,
                has_issues=has_issues,
                push=push,
                created_at=self.now(),
                description=description,
            )
            repo.collaborators.append(self.login)
            self._repos[key] = repo
            self._repos_by_id[repo.id] = key
            for lab in labels:
                self._ensure_label(repo, lab)
            return self._repo_json(repo)

    def set_repo(self, full_name: str, **attrs: Any) -> None:
        """Change ``private``, ``has_issues``, ``push`` or ``description`` of a repo."""
        with self._lock:
            repo = self._repo(full_name)
            for k, v in attrs.items():
                if k not in ("private", "has_issues", "push", "description"):
                    raise TypeError(f"unknown repo attribute {k}")
                setattr(repo, k, v)

    def add_collaborator(self, full_name: str, login: str) -> None:
        """Make ``login`` assignable in the repo (creates the user if needed)."""
        with self._lock:
            repo = self._repo(full_name)
            self.add_user(login)
            if not self._is_assignable(repo, login):
                repo.collaborators.append(self._users[login.lower()].login)

    def remove_collaborator(self, full_name: str, login: str) -> None:
        with self._lock:
            repo = self._repo(full_name)
            repo.collaborators = [c for c in repo.collaborators if c.lower() != login.lower()]

    def add_label(
        self,
        full_name: str,
        name: str,
        color: str = DEFAULT_LABEL_COLOR,
        description: str | None = None,
        default: bool = False,
    ) -> JSONDict:
        with self._lock:
            repo = self._repo(full_name)
            if name.lower() in repo.labels:
                raise ValueError(f"label {name!r} already exists in {full_name}")
            lab = _Label(self._next_id(), name, color.lstrip("#"), description, default)
            repo.labels[name.lower()] = lab
            return self._label_json(repo, lab)

    def add_issue(
        self,
        full_name: str,
        title: str,
        *,
        body: str | None = None,
        labels: Iterable[str] = (),
        assignees: Iterable[str] = (),
        state: str = "open",
        state_reason: str | None = None,
        user: str | None = None,
        created_at: float | str | None = None,
        updated_at: float | str | None = None,
    ) -> int:
        """Seed an issue as a human would (no request, no validation).  Returns its number."""
        with self._lock:
            repo = self._repo(full_name)
            return self._new_issue(
                repo,
                title,
                body,
                list(labels),
                list(assignees),
                user or self.login,
                state=state,
                state_reason=state_reason,
                created_at=self._ts_opt(created_at),
                updated_at=self._ts_opt(updated_at),
            ).number

    def add_pull_request(
        self,
        full_name: str,
        title: str,
        *,
        body: str | None = None,
        draft: bool = False,
        labels: Iterable[str] = (),
        user: str | None = None,
    ) -> int:
        """Add a pull request; it shares the issue number sequence and shows in issue lists."""
        with self._lock:
            repo = self._repo(full_name)
            iss = self._new_issue(repo, title, body, list(labels), [], user or self.login)
            iss.is_pr = True
            iss.draft = draft
            return iss.number

    def issues(self, full_name: str, *, include_pull_requests: bool = False) -> list[JSONDict]:
        """Snapshot (API JSON) of the repo's live issues, by number."""
        with self._lock:
            repo = self._repo(full_name)
            return [
                self._issue_json(i)
                for _, i in sorted(repo.issues.items())
                if self._live(i) and (include_pull_requests or not i.is_pr)
            ]

    def get_issue(self, full_name: str, number: int) -> JSONDict | None:
        """API JSON of one issue, or None if missing, deleted or transferred away."""
        with self._lock:
            repo = self._repo(full_name)
            iss = repo.issues.get(number)
            return self._issue_json(iss) if iss is not None and self._live(iss) else None

    def close_issue(
        self, full_name: str, number: int, reason: str = "completed", by: str | None = None
    ) -> JSONDict:
        return self.edit_issue(full_name, number, state="closed", state_reason=reason, by=by)

    def reopen_issue(self, full_name: str, number: int, by: str | None = None) -> JSONDict:
        return self.edit_issue(full_name, number, state="open", by=by)

    def edit_issue(
        self,
        full_name: str,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        state: str | None = None,
        state_reason: str | None = None,
        labels: Iterable[str] | None = None,
        assignees: Iterable[str] | None = None,
        milestone: int | _Unset | None = UNSET,
        locked: bool | None = None,
        updated_at: float | str | None = None,
        created_at: float | str | None = None,
        by: str | None = None,
    ) -> JSONDict:
        """Human-side edit (no validation, no request).  Bumps ``updated_at`` unless given."""
        with self._lock:
            iss = self._live_issue(full_name, number)
            repo = self._repo(full_name)
            if title is not None:
                iss.title = title
            if body is not None:
                iss.body = body
            if labels is not None:
                iss.labels = [self._ensure_label(repo, n).name.lower() for n in labels]
            if assignees is not None:
                iss.assignees = [self.add_user(a)["login"] for a in assignees]
            if not isinstance(milestone, _Unset):
                iss.milestone = milestone
            if locked is not None:
                iss.locked = locked
            if state is not None:
                self._apply_state(iss, state, state_reason, by or self.login)
            iss.updated_at = self._ts(updated_at) if updated_at is not None else self.now()
            if created_at is not None:
                iss.created_at = self._ts(created_at)
            return self._issue_json(iss)

    def add_comment(self, full_name: str, number: int, body: str, user: str | None = None) -> int:
        with self._lock:
            iss = self._live_issue(full_name, number)
            now = self.now()
            c = _Comment(self._next_id(), user or self.login, body, now, now)
            iss.comments.append(c)
            iss.updated_at = now
            return c.id

    def transfer_issue(self, full_name: str, number: int, dest: str, *, redirect: str = "url") -> int:
        """Move an issue to ``dest`` (new number there).  Returns the new number.

        The old address then answers 301 with ``Location`` = the new issue's API
        URL (redirect="url") or ``…/repositories/{id}/issues/{n}`` (redirect="repository_id").
        Labels survive when a label of that name exists in ``dest``; assignees when
        assignable there; the milestone when one of the same title exists.
        """
        if redirect not in ("url", "repository_id"):
            raise ValueError("redirect must be 'url' or 'repository_id'")
        with self._lock:
            src_repo = self._repo(full_name)
            dst_repo = self._repo(dest)
            iss = self._live_issue(full_name, number)
            new_no = dst_repo.next_number
            dst_repo.next_number += 1
            ms_title = (
                src_repo.milestones[iss.milestone].title if iss.milestone in src_repo.milestones else None
            )
            new_ms = next((m.number for m in dst_repo.milestones.values() if m.title == ms_title), None)
            moved = _Issue(
                id=iss.id,
                number=new_no,
                repo_key=dest.lower(),
                title=iss.title,
                body=iss.body,
                user=iss.user,
                created_at=iss.created_at,
                updated_at=self.now(),
                state=iss.state,
                state_reason=iss.state_reason,
                labels=[lab for lab in iss.labels if lab in dst_repo.labels],
                assignees=[a for a in iss.assignees if self._is_assignable(dst_repo, a)],
                milestone=new_ms,
                closed_at=iss.closed_at,
                closed_by=iss.closed_by,
                locked=iss.locked,
                comments=iss.comments,
            )
            dst_repo.issues[new_no] = moved
            iss.moved_to = (dest.lower(), new_no)
            iss.moved_style = redirect
            return new_no

    def delete_issue(self, full_name: str, number: int) -> None:
        """Delete an issue: its address then answers 410 "This issue was deleted"."""
        with self._lock:
            self._live_issue(full_name, number).deleted = True

    # ------------------------------------------------------------------ rate limits & faults

    @property
    def rate_remaining(self) -> int:
        with self._lock:
            self._roll_window()
            return self._remaining

    def exhaust_primary(self, reset_in: float = 1.0, status: int = 403) -> None:
        """Use up the primary quota: answers 403/429 "API rate limit exceeded…" until reset."""
        with self._lock:
            self._remaining = 0
            self._reset_at = self.now() + reset_in
            self._primary_status = status

    def secondary_limit(
        self,
        method: str | None = None,
        path_regex: str | None = None,
        retry_after: float | int | None = 1,
        times: int | None = 1,
        status: int = 403,
    ) -> _Fault:
        """Answer the next ``times`` matching requests with GitHub's secondary-limit error.

        ``retry_after=None`` omits the ``retry-after`` header (PyGithub then waits 60 s).
        """
        headers = {}
        if retry_after is not None:
            ra = retry_after
            headers["retry-after"] = str(int(ra)) if float(ra).is_integer() else str(ra)
        fault = _Fault(
            method=method,
            regex=re.compile(path_regex) if path_regex else None,
            status=status,
            headers=headers,
            times=times,
            kind="secondary",
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def inject(
        self,
        method: str | None,
        path_regex: str | None,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
        delay: float = 0.0,
        drop: bool = False,
        times: int | None = 1,
        after: bool = False,
    ) -> _Fault:
        """Fault for the next ``times`` (None = every) matching request.

        after=False: the fake waits ``delay``, then drops the connection (drop=True)
        or answers ``status``/``headers``/``body`` without processing the request;
        with status None the request is processed after the delay and ``headers``/
        ``body`` (if given) are laid over the real answer.
        after=True: the request is processed for real (e.g. the issue is created),
        then the fake waits ``delay`` and drops the connection, or replaces the real
        answer with ``status``/``body`` if given, or sends the real answer.
        ``body``: dict/list → JSON, str/bytes → raw; default GitHub-style error body.
        """
        if not (status or drop or delay or headers or body is not None):
            raise ValueError("inject needs status, headers, body, delay or drop")
        fault = _Fault(
            method=method,
            regex=re.compile(path_regex) if path_regex else None,
            status=status,
            headers=headers,
            body=body,
            delay=delay,
            drop=drop,
            times=times,
            after=after,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # ------------------------------------------------------------------ log

    def requests_to(self, method: str | None = None, path_regex: str | None = None) -> list[LoggedRequest]:
        rx = re.compile(path_regex) if path_regex else None
        with self._lock:
            return [
                r
                for r in self.request_log
                if (method is None or r.method == method.upper()) and (rx is None or rx.search(r.route))
            ]

    def clear_log(self) -> None:
        with self._lock:
            self.request_log.clear()

    # ------------------------------------------------------------------ internals: lookup

    @staticmethod
    def _split(full_name: str) -> tuple[str, str]:
        parts = full_name.split("/")
        if len(parts) != 2 or not all(parts):
            raise ValueError(f"expected 'owner/name', got {full_name!r}")
        return parts[0], parts[1]

    def _repo(self, full_name: str) -> _Repo:
        try:
            return self._repos[full_name.lower()]
        except KeyError:
            raise KeyError(f"no repo {full_name}") from None

    def _live(self, iss: _Issue) -> bool:
        return not iss.deleted and iss.moved_to is None

    def _live_issue(self, full_name: str, number: int) -> _Issue:
        iss = self._repo(full_name).issues.get(number)
        if iss is None or not self._live(iss):
            raise KeyError(f"no live issue {full_name}#{number}")
        return iss

    def _ts(self, value: float | str) -> float:
        return float(value) if isinstance(value, (int, float)) else _parse_iso(value)

    def _ts_opt(self, value: float | str | None) -> float | None:
        return None if value is None else self._ts(value)

    def _is_assignable(self, repo: _Repo, login: str) -> bool:
        return any(c.lower() == login.lower() for c in repo.collaborators)

    def _ensure_label(self, repo: _Repo, name: str) -> _Label:
        lab = repo.labels.get(name.lower())
        if lab is None:
            lab = _Label(self._next_id(), name, DEFAULT_LABEL_COLOR, None)
            repo.labels[name.lower()] = lab
        return lab

    def _new_issue(
        self,
        repo: _Repo,
        title: str,
        body: str | None,
        labels: list[str],
        assignees: list[str],
        user: str,
        *,
        state: str = "open",
        state_reason: str | None = None,
        created_at: float | None = None,
        updated_at: float | None = None,
    ) -> _Issue:
        now = self.now()
        created = created_at if created_at is not None else now
        number = repo.next_number
        repo.next_number += 1
        iss = _Issue(
            id=self._next_id(),
            number=number,
            repo_key=repo.full_name.lower(),
            title=title,
            body=body,
            user=self.add_user(user)["login"],
            created_at=created,
            updated_at=updated_at if updated_at is not None else created,
            labels=[self._ensure_label(repo, n).name.lower() for n in labels],
            assignees=[self.add_user(a)["login"] for a in assignees],
        )
        if state == "closed":
            self._apply_state(iss, "closed", state_reason, user)
            iss.closed_at = iss.updated_at
        repo.issues[number] = iss
        return iss

    def _apply_state(self, iss: _Issue, state: str, reason: str | None, by: str) -> None:
        now = self.now()
        if state == "closed":
            if iss.state != "closed":
                iss.closed_at = now
                iss.closed_by = by
            iss.state = "closed"
            iss.state_reason = reason or "completed"
        elif state == "open":
            if iss.state != "open":
                iss.state_reason = reason or "reopened"
                iss.closed_at = None
            iss.state = "open"

    # ------------------------------------------------------------------ internals: JSON

    def _user_json(self, u: _User) -> JSONDict:
        api = self.api_url
        base = f"{api}/users/{u.login}"
        return {
            "login": u.login,
            "id": u.id,
            "node_id": _node_id("U_kgDO", 4, u.id),
            "avatar_url": f"{self.url}/avatars/u/{u.id}?v=4",
            "gravatar_id": "",
            "url": base,
            "html_url": f"{self.url}/{u.login}",
            "followers_url": base + "/followers",
            "following_url": base + "/following{/other_user}",
            "gists_url": base + "/gists{/gist_id}",
            "starred_url": base + "/starred{/owner}{/repo}",
            "subscriptions_url": base + "/subscriptions",
            "organizations_url": base + "/orgs",
            "repos_url": base + "/repos",
            "events_url": base + "/events{/privacy}",
            "received_events_url": base + "/received_events",
            "type": u.type,
            "user_view_type": "public",
            "site_admin": False,
        }

    def _user_by_login(self, login: str) -> JSONDict:
        u = self._users.get(login.lower())
        if u is None:
            u = _User(login=login, id=self._next_id())
            self._users[login.lower()] = u
        return self._user_json(u)

    def _repo_json(self, r: _Repo) -> JSONDict:
        api, web = self.api_url, self.url
        base = f"{api}/repos/{r.full_name}"
        created = _iso(r.created_at)
        open_count = sum(1 for i in r.issues.values() if self._live(i) and i.state == "open")
        return {
            "id": r.id,
            "node_id": _node_id("R_kgDO", 1, r.id),
            "name": r.name,
            "full_name": r.full_name,
            "private": r.private,
            "owner": self._user_json(self._users[r.owner.lower()]),
            "html_url": f"{web}/{r.full_name}",
            "description": r.description,
            "fork": False,
            "url": base,
            "forks_url": base + "/forks",
            "keys_url": base + "/keys{/key_id}",
            "collaborators_url": base + "/collaborators{/collaborator}",
            "teams_url": base + "/teams",
            "hooks_url": base + "/hooks",
            "issue_events_url": base + "/issues/events{/number}",
            "events_url": base + "/events",
            "assignees_url": base + "/assignees{/user}",
            "branches_url": base + "/branches{/branch}",
            "tags_url": base + "/tags",
            "blobs_url": base + "/git/blobs{/sha}",
            "git_tags_url": base + "/git/tags{/sha}",
            "git_refs_url": base + "/git/refs{/sha}",
            "trees_url": base + "/git/trees{/sha}",
            "statuses_url": base + "/statuses/{sha}",
            "languages_url": base + "/languages",
            "stargazers_url": base + "/stargazers",
            "contributors_url": base + "/contributors",
            "subscribers_url": base + "/subscribers",
            "subscription_url": base + "/subscription",
            "commits_url": base + "/commits{/sha}",
            "git_commits_url": base + "/git/commits{/sha}",
            "comments_url": base + "/comments{/number}",
            "issue_comment_url": base + "/issues/comments{/number}",
            "contents_url": base + "/contents/{+path}",
            "compare_url": base + "/compare/{base}...{head}",
            "merges_url": base + "/merges",
            "archive_url": base + "/{archive_format}{/ref}",
            "downloads_url": base + "/downloads",
            "issues_url": base + "/issues{/number}",
            "pulls_url": base + "/pulls{/number}",
            "milestones_url": base + "/milestones{/number}",
            "notifications_url": base + "/notifications{?since,all,participating}",
            "labels_url": base + "/labels{/name}",
            "releases_url": base + "/releases{/id}",
            "deployments_url": base + "/deployments",
            "created_at": created,
            "updated_at": created,
            "pushed_at": created,
            "git_url": f"git://127.0.0.1/{r.full_name}.git",
            "ssh_url": f"git@127.0.0.1:{r.full_name}.git",
            "clone_url": f"{web}/{r.full_name}.git",
            "svn_url": f"{web}/{r.full_name}",
            "homepage": None,
            "size": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": None,
            "has_issues": r.has_issues,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": True,
            "has_pages": False,
            "has_discussions": False,
            "forks_count": 0,
            "mirror_url": None,
            "archived": False,
            "disabled": False,
            "open_issues_count": open_count,
            "license": None,
            "allow_forking": True,
            "is_template": False,
            "web_commit_signoff_required": False,
            "topics": [],
            "visibility": "private" if r.private else "public",
            "forks": 0,
            "open_issues": open_count,
            "watchers": 0,
            "default_branch": "main",
            "permissions": {
                "admin": r.push,
                "maintain": r.push,
                "push": r.push,
                "triage": r.push,
                "pull": True,
            },
            "network_count": 0,
            "subscribers_count": 0,
        }

    def _label_json(self, repo: _Repo, lab: _Label) -> JSONDict:
        quoted = urllib.parse.quote(lab.name, safe="")
        return {
            "id": lab.id,
            "node_id": _node_id("LA_kwDO", 2, lab.id),
            "url": f"{self.api_url}/repos/{repo.full_name}/labels/{quoted}",
            "name": lab.name,
            "color": lab.color,
            "default": lab.default,
            "description": lab.description,
        }

    def _milestone_json(self, repo: _Repo, ms: _Milestone) -> JSONDict:
        base = f"{self.api_url}/repos/{repo.full_name}/milestones/{ms.number}"
        issues = [i for i in repo.issues.values() if self._live(i) and i.milestone == ms.number]
        return {
            "url": base,
            "html_url": f"{self.url}/{repo.full_name}/milestone/{ms.number}",
            "labels_url": base + "/labels",
            "id": ms.id,
            "node_id": _node_id("MI_kwDO", 5, ms.id),
            "number": ms.number,
            "title": ms.title,
            "description": ms.description,
            "creator": self._user_json(self._users[self.login.lower()]),
            "open_issues": sum(1 for i in issues if i.state == "open"),
            "closed_issues": sum(1 for i in issues if i.state == "closed"),
            "state": ms.state,
            "created_at": _iso(ms.created_at),
            "updated_at": _iso(ms.created_at),
            "due_on": None,
            "closed_at": None,
        }

    def _comment_json(self, repo: _Repo, iss: _Issue, c: _Comment) -> JSONDict:
        api = self.api_url
        return {
            "id": c.id,
            "node_id": _node_id("IC_kwDO", 6, c.id),
            "url": f"{api}/repos/{repo.full_name}/issues/comments/{c.id}",
            "html_url": f"{self.url}/{repo.full_name}/issues/{iss.number}#issuecomment-{c.id}",
            "issue_url": f"{api}/repos/{repo.full_name}/issues/{iss.number}",
            "body": c.body,
            "user": self._user_by_login(c.user),
            "created_at": _iso(c.created_at),
            "updated_at": _iso(c.updated_at),
            "author_association": "OWNER" if c.user.lower() == self.login.lower() else "NONE",
            "performed_via_github_app": None,
        }

    def _issue_json(self, iss: _Issue) -> JSONDict:
        repo = self._repos[iss.repo_key]
        api, web = self.api_url, self.url
        rbase = f"{api}/repos/{repo.full_name}"
        base = f"{rbase}/issues/{iss.number}"
        assignees = [self._user_by_login(a) for a in iss.assignees]
        labels = [self._label_json(repo, repo.labels[k]) for k in iss.labels if k in repo.labels]
        ms = repo.milestones.get(iss.milestone) if iss.milestone is not None else None
        data = {
            "url": base,
            "repository_url": rbase,
            "labels_url": base + "/labels{/name}",
            "comments_url": base + "/comments",
            "events_url": base + "/events",
            "html_url": f"{web}/{repo.full_name}/{'pull' if iss.is_pr else 'issues'}/{iss.number}",
            "id": iss.id,
            "node_id": _node_id("PR_kwDO" if iss.is_pr else "I_kwDO", 3, iss.id),
            "number": iss.number,
            "title": iss.title,
            "user": self._user_by_login(iss.user),
            "labels": labels,
            "state": iss.state,
            "locked": iss.locked,
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "milestone": self._milestone_json(repo, ms) if ms else None,
            "comments": len(iss.comments),
            "created_at": _iso(iss.created_at),
            "updated_at": _iso(iss.updated_at),
            "closed_at": _iso(iss.closed_at),
            "author_association": "OWNER" if iss.user.lower() == self.login.lower() else "NONE",
            "type": None,
            "active_lock_reason": None,
            "sub_issues_summary": {"total": 0, "completed": 0, "percent_completed": 0},
            "body": iss.body,
            "closed_by": self._user_by_login(iss.closed_by)
            if iss.closed_by and iss.state == "closed"
            else None,
            "reactions": {
                "url": base + "/reactions",
                "total_count": 0,
                "+1": 0,
                "-1": 0,
                "laugh": 0,
                "hooray": 0,
                "confused": 0,
                "heart": 0,
                "rocket": 0,
                "eyes": 0,
            },
            "timeline_url": base + "/timeline",
            "performed_via_github_app": None,
            "state_reason": iss.state_reason,
        }
        if iss.is_pr:
            data["draft"] = iss.draft
            data["pull_request"] = {
                "url": f"{rbase}/pulls/{iss.number}",
                "html_url": f"{web}/{repo.full_name}/pull/{iss.number}",
                "diff_url": f"{web}/{repo.full_name}/pull/{iss.number}.diff",
                "patch_url": f"{web}/{repo.full_name}/pull/{iss.number}.patch",
                "merged_at": None,
            }
        return data

    # ------------------------------------------------------------------ internals: errors

    @staticmethod
    def _err(status: int, message: str, doc: str = DOCS, **extra: Any) -> _HTTPError:
        body = {"message": message, **extra, "documentation_url": doc, "status": str(status)}
        return _HTTPError(_Reply(status, body))

    def _not_found(self, doc: str = DOCS) -> _HTTPError:
        return self._err(404, "Not Found", doc)

    def _validation(self, errors: list[JSONDict], doc: str) -> _HTTPError:
        return self._err(422, "Validation Failed", doc, errors=errors)

    # ------------------------------------------------------------------ internals: serving

    def _rate_headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self._limit),
            "x-ratelimit-remaining": str(max(self._remaining, 0)),
            "x-ratelimit-reset": str(math.ceil(self._reset_at)),
            "x-ratelimit-used": str(self._limit - max(self._remaining, 0)),
            "x-ratelimit-resource": "core",
        }

    def _roll_window(self) -> None:
        if self.now() >= self._reset_at:
            self._remaining = self._limit
            self._reset_at = self.now() + 3600
            self._primary_status = 403

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self._stop_event.wait(seconds)

    def _serve(self, h: _Handler) -> None:
        split = urllib.parse.urlsplit(h.path)
        path, raw_query = split.path, split.query
        query = dict(urllib.parse.parse_qsl(raw_query, keep_blank_values=True))
        length = int(h.headers.get("Content-Length") or 0)
        raw_body = h.rfile.read(length) if length > 0 else b""
        parsed: Any = None
        bad_json = False
        if raw_body:
            try:
                parsed = json.loads(raw_body)
            except ValueError:
                bad_json = True
        headers = {k.lower(): v for k, v in h.headers.items()}
        if "authorization" in headers:
            scheme = headers["authorization"].split(" ", 1)[0]
            headers["authorization"] = f"{scheme} <redacted>"
        if path == self.graphql_path:
            route = "/graphql"
        elif self.prefix and (path == self.prefix or path.startswith(self.prefix + "/")):
            route = path[len(self.prefix) :] or "/"
        elif self.prefix:
            route = None
        else:
            route = path
        method = h.command.upper()
        entry = LoggedRequest(
            method,
            path,
            route if route is not None else path,
            query,
            raw_query,
            parsed,
            headers,
            self.now(),
        )
        with self._lock:
            self._request_seq += 1
            seq = self._request_seq
            entry.request_id = f"F4KE:{seq:04X}:{int(entry.time):X}"
            self.request_log.append(entry)
            fault = next(
                (f for f in self._faults if f.kind == "inject" and f.matches(method, entry.route)),
                None,
            )
            if fault is not None:
                fault.consume()

        self._pause(self.latency)

        if fault is not None and not fault.after:
            self._pause(fault.delay)
            if fault.drop:
                entry.outcome = "dropped"
                self._drop(h)
                return
            if fault.status is not None:
                entry.outcome = "injected"
                reply = self._fault_reply(fault)
                with self._lock:
                    reply.headers = {**self._rate_headers(), **reply.headers}
                self._send(h, reply, entry)
                return

        reply = self._process(h, method, route, query, raw_query, parsed, bad_json, headers, entry)

        if fault is not None:
            if fault.after:
                self._pause(fault.delay)
                if fault.drop:
                    entry.outcome = "dropped"
                    self._drop(h)
                    return
            if fault.status is not None or fault.headers or fault.body is not None:
                entry.outcome = "injected"
                inj = self._fault_reply(fault) if fault.status is not None else reply
                if fault.status is None and fault.body is not None:
                    inj.body = fault.body
                inj.headers = {**reply.headers, **(fault.headers or {})}
                reply = inj
        self._send(h, reply, entry)

    def _fault_reply(self, fault: _Fault) -> _Reply:
        status = fault.status or 200
        body = fault.body
        if body is None and status >= 400:
            try:
                phrase = http.HTTPStatus(status).phrase
            except ValueError:
                phrase = "Error"
            body = {"message": phrase, "documentation_url": DOCS, "status": str(status)}
        return _Reply(status, body, dict(fault.headers or {}))

    def _process(
        self,
        h: _Handler,
        method: str,
        route: str | None,
        query: dict[str, str],
        raw_query: str,
        parsed: Any,
        bad_json: bool,
        headers: dict[str, str],
        entry: LoggedRequest,
    ) -> _Reply:
        with self._lock:
            # authentication
            auth = h.headers.get("Authorization", "")
            scheme, _, tok = auth.partition(" ")
            if not auth:
                entry.outcome = "unauthenticated"
                return self._with_unauth_headers(self._err(401, "Requires authentication").reply)
            if scheme.lower() not in ("token", "bearer") or tok.strip() not in self.tokens:
                entry.outcome = "bad_credentials"
                return self._with_unauth_headers(self._err(401, "Bad credentials").reply)

            version = h.headers.get("X-GitHub-Api-Version")
            if version is not None and version not in self.api_versions:
                entry.outcome = "bad_version"
                r = self._err(400, f"Unsupported 'X-GitHub-Api-Version': {version!r}").reply
                r.headers.update(self._rate_headers())
                return r

            counts = route not in ("/rate_limit", "/graphql")  # GraphQL has a quota of its own
            self._roll_window()
            if counts and self._remaining <= 0:
                entry.outcome = "primary_limit"
                msg = (
                    f"API rate limit exceeded for user ID {self._users[self.login.lower()].id}. "
                    "If you reach out to GitHub Support for help, please include the request ID "
                    f"{entry.request_id} and timestamp "
                    f"{datetime.fromtimestamp(int(self.now()), UTC):%Y-%m-%d %H:%M:%S} UTC."
                )
                r = self._err(self._primary_status, msg, DOC_PRIMARY).reply
                r.headers.update(self._rate_headers())
                return r
            if counts:
                self._remaining -= 1

            sec = next(
                (
                    f
                    for f in self._faults
                    if f.kind == "secondary" and f.matches(method, route if route is not None else entry.path)
                ),
                None,
            )
            if sec is not None:
                sec.consume()
                entry.outcome = "secondary_limit"
                msg = (
                    "You have exceeded a secondary rate limit. Please wait a few minutes before "
                    "you try again. If you reach out to GitHub Support for help, please include "
                    f"the request ID {entry.request_id}."
                )
                r = self._err(sec.status or 403, msg, DOC_SECONDARY).reply
                r.headers.update(self._rate_headers())
                r.headers.update(sec.headers or {})
                return r

            version_hdr = {"x-github-api-version-selected": version or API_VERSION}
            try:
                if route is None:
                    raise self._not_found()
                if bad_json:
                    raise self._err(400, "Problems parsing JSON", DOCS)
                reply = self._route(method, route, query, raw_query, parsed)
                entry.outcome = "ok"
            except _HTTPError as e:
                reply = e.reply
                entry.outcome = "error"
            reply.headers = {**self._rate_headers(), **version_hdr, **reply.headers}
            return reply

    def _with_unauth_headers(self, reply: _Reply) -> _Reply:
        reply.headers.update(
            {
                "x-ratelimit-limit": "60",
                "x-ratelimit-remaining": "59",
                "x-ratelimit-reset": str(int(self.now()) + 3600),
                "x-ratelimit-used": "1",
                "x-ratelimit-resource": "core",
            }
        )
        return reply

    def _drop(self, h: _Handler) -> None:
        h.close_connection = True
        with contextlib.suppress(OSError):
            h.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, h: _Handler, reply: _Reply, entry: LoggedRequest) -> None:
        if isinstance(reply.body, (bytes, bytearray)):
            payload = bytes(reply.body)
        elif isinstance(reply.body, str):
            payload = reply.body.encode()
        elif reply.body is None:
            payload = b""
        else:
            payload = json.dumps(reply.body, separators=(",", ":")).encode()
        if reply.status in (204, 304) or h.command == "HEAD":
            payload = b""
        hdrs = {
            "content-type": "application/json; charset=utf-8",
            "x-github-media-type": "github.v3; format=json",
            "x-github-request-id": entry.request_id,
            "x-oauth-scopes": "repo",
            "x-accepted-oauth-scopes": "",
            "x-github-api-version-selected": API_VERSION,
        }
        hdrs.update({k.lower(): v for k, v in reply.headers.items()})
        entry.status = reply.status
        try:
            h.send_response(reply.status)
            for k, v in hdrs.items():
                h.send_header(k, v)
            if reply.status not in (204, 304):
                h.send_header("content-length", str(len(payload)))
            h.end_headers()
            if payload:
                h.wfile.write(payload)
            h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            h.close_connection = True

    # ------------------------------------------------------------------ internals: routing

    _ROUTES: ClassVar[list[tuple[str, re.Pattern[str], str]]] = [
        ("GET", re.compile(r"^/user$"), "_r_user"),
        ("GET", re.compile(r"^/users/(?P<login>[^/]+)$"), "_r_get_user"),
        ("GET", re.compile(r"^/rate_limit$"), "_r_rate_limit"),
        ("GET", re.compile(r"^/repos/(?P<o>[^/]+)/(?P<r>[^/]+)$"), "_r_repo"),
        ("GET", re.compile(r"^/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/issues$"), "_r_list_issues"),
        ("POST", re.compile(r"^/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/issues$"), "_r_create_issue"),
        (
            "GET",
            re.compile(r"^/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/issues/(?P<n>\d+)$"),
            "_r_get_issue",
        ),
        (
            "PATCH",
            re.compile(r"^/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/issues/(?P<n>\d+)$"),
            "_r_update_issue",
        ),
        (
            "GET",
            re.compile(r"^/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/issues/(?P<n>\d+)/comments$"),
            "_r_list_comments",
        ),
        (
            "POST",
            re.compile(r"^/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/issues/(?P<n>\d+)/comments$"),
            "_r_create_comment",
        ),
        (
            "POST",
            re.compile(r"^/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/issues/(?P<n>\d+)/labels$"),
            "_r_add_issue_labels",
        ),
        (
            "PUT",
            re.compile(r"^/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/issues/(?P<n>\d+)/labels$"),
            "_r_set_issue_labels",
        ),
        (
            "DELETE",
            re.compile(r"^/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/issues/(?P<n>\d+)/labels/(?P<name>[^/]+)$"),
            "_r_remove_issue_label",
        ),
        ("GET", re.compile(r"^/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/labels$"), "_r_list_labels"),
        ("POST", re.compile(r"^/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/labels$"), "_r_create_label"),
        (
            "GET",
            re.compile(r"^/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/labels/(?P<name>[^/]+)$"),
            "_r_get_label",
        ),
        ("GET", re.compile(r"^/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/assignees$"), "_r_list_assignees"),
        (
            "GET",
            re.compile(r"^/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/assignees/(?P<login>[^/]+)$"),
            "_r_check_assignee",
        ),
        ("GET", re.compile(r"^/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/milestones$"), "_r_list_milestones"),
        (
            "GET",
            re.compile(r"^/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/milestones/(?P<n>\d+)$"),
            "_r_get_milestone",
        ),
    ]
    _ISSUE_PATH = re.compile(r"^/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/issues/(?P<n>\d+)(?P<rest>/.*)?$")

    def _route(self, method: str, route: str, query: dict[str, str], raw_query: str, body: Any) -> _Reply:
        if route == "/graphql":
            if method != "POST":
                raise self._not_found()
            return _Reply(200, self.graphql.execute(body), {"x-ratelimit-resource": "graphql"})
        m = re.match(r"^/repositories/(?P<id>\d+)(?P<rest>/.*)?$", route)
        link_base = None
        if m:
            key = self._repos_by_id.get(int(m.group("id")))
            if key is None:
                raise self._not_found()
            route = f"/repos/{self._repos[key].full_name}{m.group('rest') or ''}"
        rm = re.match(r"^/repos/(?P<o>[^/]+)/(?P<r>[^/]+)(?P<rest>/.*)?$", route)
        if rm:
            repo = self._repos.get(f"{rm.group('o')}/{rm.group('r')}".lower())
            if repo is None:
                raise self._not_found(DOC_GET_REPO)
            link_base = (
                f"{self.api_url}/repositories/{repo.id}"
                if self.link_style == "repositories"
                else f"{self.api_url}/repos/{repo.full_name}"
            ) + (rm.group("rest") or "")
            im = self._ISSUE_PATH.match(route)
            if im:
                self._check_issue_address(repo, int(im.group("n")), im.group("rest") or "", raw_query)
        for verb, rx, handler in self._ROUTES:
            mm = rx.match(route)
            if not mm or verb != method:
                continue
            reply: _Reply = getattr(self, handler)(
                body=body, query=query, raw_query=raw_query, link_base=link_base, **mm.groupdict()
            )
            return reply
        raise self._not_found()

    def _check_issue_address(self, repo: _Repo, number: int, rest: str, raw_query: str) -> None:
        if not repo.has_issues:
            raise self._err(410, "Issues are disabled for this repo", DOC_GET_ISSUE)
        iss = repo.issues.get(number)
        if iss is None:
            return
        if iss.deleted:
            raise self._err(410, "This issue was deleted", DOC_GET_ISSUE)
        if iss.moved_to is not None:
            dest_key, dest_no = iss.moved_to
            # follow chains of transfers
            seen = 0
            while seen < 20:
                nxt = self._repos[dest_key].issues.get(dest_no)
                if nxt is None or nxt.moved_to is None:
                    break
                dest_key, dest_no = nxt.moved_to
                seen += 1
            dest = self._repos[dest_key]
            if iss.moved_style == "repository_id":
                loc = f"{self.api_url}/repositories/{dest.id}/issues/{dest_no}{rest}"
            else:
                loc = f"{self.api_url}/repos/{dest.full_name}/issues/{dest_no}{rest}"
            if raw_query:
                loc += "?" + raw_query
            raise _HTTPError(
                _Reply(
                    301,
                    {"message": "Moved Permanently", "url": loc, "documentation_url": DOC_REDIRECT},
                    {"location": loc},
                )
            )

    # -- pagination

    def _paginate(
        self, items: list[_T], query: dict[str, str], raw_query: str, link_base: str, doc: str
    ) -> tuple[list[_T], dict[str, str]]:
        def as_int(name: str, default: int) -> int:
            v = query.get(name)
            if v in (None, ""):
                return default
            try:
                return int(v)
            except ValueError:
                raise self._err(400, f"Invalid value for parameter '{name}'", doc) from None

        per_page = as_int("per_page", 30)
        per_page = 30 if per_page <= 0 else min(per_page, 100)
        page = max(as_int("page", 1), 1)
        total = len(items)
        last = max(1, math.ceil(total / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers: dict[str, str] = {}
        if total > per_page or page > 1:
            # GitHub repeats every query parameter as sent and moves ``page`` to the end
            kept = [
                p
                for p in raw_query.split("&")
                if p and urllib.parse.unquote_plus(p.split("=", 1)[0]) != "page"
            ]

            def link(n: int, rel: str) -> str:
                return f'<{link_base}?{"&".join([*kept, f"page={n}"])}>; rel="{rel}"'

            parts = []
            if page > 1:
                parts.append(link(page - 1, "prev"))
            if page < last:
                parts.append(link(page + 1, "next"))
                parts.append(link(last, "last"))
            if page > 1:
                parts.append(link(1, "first"))
            headers["link"] = ", ".join(parts)
        return chunk, headers

    # -- handlers

    def _r_user(self, **_: Any) -> _Reply:
        u = self._users[self.login.lower()]
        data = self._user_json(u)
        data.update(
            {
                "name": u.name,
                "company": None,
                "blog": "",
                "location": None,
                "email": None,
                "hireable": None,
                "bio": None,
                "twitter_username": None,
                "public_repos": 0,
                "public_gists": 0,
                "followers": 0,
                "following": 0,
                "created_at": "2020-01-01T00:00:00Z",
                "updated_at": "2020-01-01T00:00:00Z",
            }
        )
        return _Reply(200, data)

    def _r_get_user(self, login: str, **_: Any) -> _Reply:
        u = self._users.get(urllib.parse.unquote(login).lower())
        if u is None:
            raise self._not_found(DOC_GET_USER)
        return _Reply(200, {**self._user_json(u), "name": u.name})

    def _r_rate_limit(self, **_: Any) -> _Reply:
        core = {
            "limit": self._limit,
            "used": self._limit - max(self._remaining, 0),
            "remaining": max(self._remaining, 0),
            "reset": math.ceil(self._reset_at),
        }
        reset = int(self.now()) + 60
        other = {
            "search": {"limit": 30, "used": 0, "remaining": 30, "reset": reset},
            "graphql": {
                "limit": 5000,
                "used": 0,
                "remaining": 5000,
                "reset": int(self.now()) + 3600,
            },
            "code_search": {"limit": 10, "used": 0, "remaining": 10, "reset": reset},
        }
        return _Reply(200, {"resources": {"core": core, **other}, "rate": core})

    def _repo_for(self, o: str, r: str) -> _Repo:
        repo = self._repos.get(f"{o}/{r}".lower())
        if repo is None:
            raise self._not_found(DOC_GET_REPO)
        return repo

    def _r_repo(self, o: str, r: str, **_: Any) -> _Reply:
        return _Reply(200, self._repo_json(self._repo_for(o, r)))

    def _issues_enabled(self, repo: _Repo, doc: str) -> None:
        if not repo.has_issues:
            raise self._err(410, "Issues are disabled for this repo", doc)

    def _r_list_issues(
        self, o: str, r: str, query: dict[str, str], raw_query: str, link_base: str, **_: Any
    ) -> _Reply:
        repo = self._repo_for(o, r)
        self._issues_enabled(repo, DOC_LIST_ISSUES)
        state = query.get("state") or "open"
        if state not in ("open", "closed", "all"):
            raise self._validation(
                [{"resource": "Issue", "field": "state", "code": "invalid"}], DOC_LIST_ISSUES
            )
        items = [i for i in repo.issues.values() if self._live(i)]
        if state != "all":
            items = [i for i in items if i.state == state]
        if query.get("labels"):
            wanted = [x.strip().lower() for x in query["labels"].split(",") if x.strip()]
            items = [i for i in items if all(w in i.labels for w in wanted)]
        if query.get("since"):
            try:
                since = _parse_iso(query["since"])
            except ValueError:
                raise self._validation(
                    [{"resource": "Issue", "field": "since", "code": "invalid"}], DOC_LIST_ISSUES
                ) from None
            items = [i for i in items if int(i.updated_at) >= int(since)]
        assignee = query.get("assignee")
        if assignee:
            if assignee == "none":
                items = [i for i in items if not i.assignees]
            elif assignee == "*":
                items = [i for i in items if i.assignees]
            else:
                items = [i for i in items if any(a.lower() == assignee.lower() for a in i.assignees)]
        if query.get("creator"):
            items = [i for i in items if i.user.lower() == query["creator"].lower()]
        ms = query.get("milestone")
        if ms:
            if ms == "none":
                items = [i for i in items if i.milestone is None]
            elif ms == "*":
                items = [i for i in items if i.milestone is not None]
            else:
                items = [i for i in items if str(i.milestone) == ms]
        sort = query.get("sort") or "created"
        if sort not in ("created", "updated", "comments"):
            raise self._validation(
                [{"resource": "Issue", "field": "sort", "code": "invalid"}], DOC_LIST_ISSUES
            )
        direction = query.get("direction") or "desc"
        if direction not in ("asc", "desc"):
            raise self._validation(
                [{"resource": "Issue", "field": "direction", "code": "invalid"}], DOC_LIST_ISSUES
            )
        keyf = {
            "created": lambda i: (int(i.created_at), i.number),
            "updated": lambda i: (int(i.updated_at), i.number),
            "comments": lambda i: (len(i.comments), i.number),
        }[sort]
        items.sort(key=keyf, reverse=(direction == "desc"))
        chunk, headers = self._paginate(items, query, raw_query, link_base, DOC_LIST_ISSUES)
        return _Reply(200, [self._issue_json(i) for i in chunk], headers)

    def _validate_labels(self, value: Any, doc: str) -> list[str]:
        if not isinstance(value, list):
            raise self._err(
                422, f"Invalid request.\n\nFor 'properties/labels', {json.dumps(value)} is not an array.", doc
            )
        names = []
        for v in value:
            if isinstance(v, dict) and isinstance(v.get("name"), str):
                names.append(v["name"])
            elif isinstance(v, str):
                names.append(v)
            else:
                raise self._validation(
                    [{"resource": "Issue", "field": "labels", "code": "invalid", "value": value}],
                    doc,
                )
        return names

    def _validate_assignees(
        self, repo: _Repo, body: JSONDict, doc: str, *, single_as_str: bool
    ) -> list[str] | None:
        logins: list[str] | None = None
        if "assignees" in body and body["assignees"] is not None:
            val = body["assignees"]
            if not isinstance(val, list) or not all(isinstance(x, str) for x in val):
                raise self._validation(
                    [{"resource": "Issue", "field": "assignees", "code": "invalid", "value": val}],
                    doc,
                )
            logins = list(val)
        elif "assignee" in body:
            val = body["assignee"]
            if val is None or val == "":
                logins = []
            elif isinstance(val, str):
                logins = [val]
            else:
                raise self._validation(
                    [{"resource": "Issue", "field": "assignee", "code": "invalid", "value": val}],
                    doc,
                )
        if logins is None:
            return None
        bad = [x for x in logins if not self._is_assignable(repo, x)]
        if bad:
            value: Any = bad[0] if (single_as_str and len(bad) == 1) else bad
            field_name = "assignees" if "assignees" in body else "assignee"
            raise self._validation(
                [{"value": value, "resource": "Issue", "field": field_name, "code": "invalid"}], doc
            )
        canon = []
        for x in logins:
            login = next(c for c in repo.collaborators if c.lower() == x.lower())
            if login not in canon:
                canon.append(login)
        return canon

    def _validate_text(self, body: JSONDict, doc: str, *, required: bool) -> None:
        if required and "title" not in body:
            # current GitHub answers schema failures like this (several 2025-26 reports)
            raise self._err(422, 'Invalid request.\n\n"title" wasn\'t supplied.', doc)
        if required and (body["title"] is None or body["title"] == ""):
            raise self._validation([{"resource": "Issue", "code": "missing_field", "field": "title"}], doc)
        if "title" in body:
            t = body["title"]
            if isinstance(t, (int, float)) and not isinstance(t, bool):
                body["title"] = str(t)
            elif not isinstance(t, str):
                raise self._validation([{"resource": "Issue", "code": "invalid", "field": "title"}], doc)
            if len(body["title"]) > TITLE_MAX:
                raise self._validation(
                    [
                        {
                            "resource": "Issue",
                            "code": "custom",
                            "field": "title",
                            "message": f"title is too long (maximum is {TITLE_MAX} characters)",
                        }
                    ],
                    doc,
                )
        if body.get("body") is not None:
            if not isinstance(body["body"], str):
                raise self._validation([{"resource": "Issue", "code": "invalid", "field": "body"}], doc)
            if len(body["body"]) > BODY_MAX:
                raise self._validation(
                    [
                        {
                            "resource": "Issue",
                            "code": "custom",
                            "field": "body",
                            "message": f"body is too long (maximum is {BODY_MAX} characters)",
                        }
                    ],
                    doc,
                )

    def _validate_milestone(self, repo: _Repo, body: JSONDict, doc: str) -> int | _Unset | None:
        if "milestone" not in body:
            return UNSET
        v = body["milestone"]
        if v is None or v == "":  # PyGithub sends "" for edit(milestone=None)
            return None
        try:
            n = int(v)
        except (TypeError, ValueError):
            n = -1
        if n not in repo.milestones:
            raise self._validation(
                [{"value": v, "resource": "Issue", "field": "milestone", "code": "invalid"}], doc
            )
        return n

    def _r_create_issue(self, o: str, r: str, body: Any, **_: Any) -> _Reply:
        repo = self._repo_for(o, r)
        self._issues_enabled(repo, DOC_CREATE_ISSUE)
        if not isinstance(body, dict):
            raise self._err(
                400,
                "Invalid request.\n\nFor 'links/0/schema', nil is not an object.",
                DOC_CREATE_ISSUE,
            )
        self._validate_text(body, DOC_CREATE_ISSUE, required=True)
        labels = (
            self._validate_labels(body["labels"], DOC_CREATE_ISSUE) if body.get("labels") is not None else []
        )
        assignees = self._validate_assignees(repo, body, DOC_CREATE_ISSUE, single_as_str=False) or []
        milestone = self._validate_milestone(repo, body, DOC_CREATE_ISSUE)
        if not repo.push:  # silently dropped without push access
            labels, assignees, milestone = [], [], UNSET
        iss = self._new_issue(repo, body["title"], body.get("body"), labels, assignees, self.login)
        if not isinstance(milestone, _Unset):
            iss.milestone = milestone
        data = self._issue_json(iss)
        return _Reply(201, data, {"location": data["url"]})

    def _issue_for(self, repo: _Repo, n: str, doc: str) -> _Issue:
        self._issues_enabled(repo, doc)
        iss = repo.issues.get(int(n))
        if iss is None or not self._live(iss):
            raise self._not_found(doc)
        return iss

    def _r_get_issue(self, o: str, r: str, n: str, **_: Any) -> _Reply:
        repo = self._repo_for(o, r)
        return _Reply(200, self._issue_json(self._issue_for(repo, n, DOC_GET_ISSUE)))

    def _r_update_issue(self, o: str, r: str, n: str, body: Any, **_: Any) -> _Reply:
        repo = self._repo_for(o, r)
        iss = self._issue_for(repo, n, DOC_UPDATE_ISSUE)
        body = body if isinstance(body, dict) else {}
        doc = DOC_UPDATE_ISSUE
        self._validate_text(body, doc, required=False)
        if "title" in body and body["title"] in (None, ""):
            raise self._validation([{"resource": "Issue", "code": "missing_field", "field": "title"}], doc)
        state = body.get("state")
        if state is not None and state not in ("open", "closed"):
            raise self._validation([{"resource": "Issue", "code": "invalid", "field": "state"}], doc)
        reason = body.get("state_reason")
        if reason is not None and reason not in STATE_REASONS:
            raise self._validation(
                [
                    {
                        "value": reason,
                        "resource": "Issue",
                        "code": "invalid",
                        "field": "state_reason",
                    }
                ],
                doc,
            )
        labels = self._validate_labels(body["labels"], doc) if body.get("labels") is not None else None
        assignees = self._validate_assignees(repo, body, doc, single_as_str=True)
        milestone = self._validate_milestone(repo, body, doc)

        changed = False
        if "title" in body and body["title"] != iss.title:
            iss.title, changed = body["title"], True
        if "body" in body and body["body"] != iss.body:
            iss.body, changed = body["body"], True
        if repo.push:
            if labels is not None:
                new = []
                for name in labels:
                    k = self._ensure_label(repo, name).name.lower()
                    if k not in new:
                        new.append(k)
                if new != iss.labels:
                    iss.labels, changed = new, True
            if assignees is not None and assignees != iss.assignees:
                iss.assignees, changed = assignees, True
            if not isinstance(milestone, _Unset) and milestone != iss.milestone:
                iss.milestone, changed = milestone, True
            if state is not None:
                before = (iss.state, iss.state_reason)
                if state == "closed" or state != iss.state:
                    self._apply_state(iss, state, reason, self.login)
                if (iss.state, iss.state_reason) != before:
                    changed = True
        if changed:
            iss.updated_at = self.now()
        return _Reply(200, self._issue_json(iss))

    def _r_list_comments(
        self,
        o: str,
        r: str,
        n: str,
        query: dict[str, str],
        raw_query: str,
        link_base: str,
        **_: Any,
    ) -> _Reply:
        repo = self._repo_for(o, r)
        iss = self._issue_for(repo, n, DOC_LIST_COMMENTS)
        chunk, headers = self._paginate(list(iss.comments), query, raw_query, link_base, DOC_LIST_COMMENTS)
        return _Reply(200, [self._comment_json(repo, iss, c) for c in chunk], headers)

    def _r_create_comment(self, o: str, r: str, n: str, body: Any, **_: Any) -> _Reply:
        repo = self._repo_for(o, r)
        iss = self._issue_for(repo, n, DOC_COMMENTS)
        text = body.get("body") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text:
            raise self._validation(
                [{"resource": "IssueComment", "code": "missing_field", "field": "body"}],
                DOC_COMMENTS,
            )
        if len(text) > BODY_MAX:
            raise self._validation(
                [
                    {
                        "resource": "IssueComment",
                        "code": "custom",
                        "field": "body",
                        "message": f"body is too long (maximum is {BODY_MAX} characters)",
                    }
                ],
                DOC_COMMENTS,
            )
        now = self.now()
        c = _Comment(self._next_id(), self.login, text, now, now)
        iss.comments.append(c)
        iss.updated_at = now
        data = self._comment_json(repo, iss, c)
        return _Reply(201, data, {"location": data["url"]})

    def _r_add_issue_labels(self, o: str, r: str, n: str, body: Any, **_: Any) -> _Reply:
        repo = self._repo_for(o, r)
        iss = self._issue_for(repo, n, DOC_ADD_LABELS)
        if isinstance(body, dict):
            body = body.get("labels")
        names = self._validate_labels(body if body is not None else [], DOC_ADD_LABELS)
        if repo.push:
            for name in names:
                k = self._ensure_label(repo, name).name.lower()
                if k not in iss.labels:
                    iss.labels.append(k)
                    iss.updated_at = self.now()
        return _Reply(200, [self._label_json(repo, repo.labels[k]) for k in iss.labels])

    def _r_set_issue_labels(self, o: str, r: str, n: str, body: Any, **_: Any) -> _Reply:
        repo = self._repo_for(o, r)
        iss = self._issue_for(repo, n, DOC_ADD_LABELS)
        if isinstance(body, dict):
            body = body.get("labels")
        names = self._validate_labels(body if body is not None else [], DOC_ADD_LABELS)
        if repo.push:
            new: list[str] = []
            for name in names:
                k = self._ensure_label(repo, name).name.lower()
                if k not in new:
                    new.append(k)
            if new != iss.labels:
                iss.labels = new
                iss.updated_at = self.now()
        return _Reply(200, [self._label_json(repo, repo.labels[k]) for k in iss.labels])

    def _r_remove_issue_label(self, o: str, r: str, n: str, name: str, **_: Any) -> _Reply:
        repo = self._repo_for(o, r)
        iss = self._issue_for(repo, n, DOC_REMOVE_LABEL)
        k = urllib.parse.unquote(name).lower()
        if k not in iss.labels:
            raise self._err(404, "Label does not exist", DOC_REMOVE_LABEL)
        iss.labels.remove(k)
        iss.updated_at = self.now()
        return _Reply(200, [self._label_json(repo, repo.labels[x]) for x in iss.labels])

    def _r_list_labels(
        self, o: str, r: str, query: dict[str, str], raw_query: str, link_base: str, **_: Any
    ) -> _Reply:
        repo = self._repo_for(o, r)
        labels = sorted(repo.labels.values(), key=lambda lab: lab.id)
        chunk, headers = self._paginate(labels, query, raw_query, link_base, DOC_LIST_LABELS)
        return _Reply(200, [self._label_json(repo, lab) for lab in chunk], headers)

    def _r_get_label(self, o: str, r: str, name: str, **_: Any) -> _Reply:
        repo = self._repo_for(o, r)
        lab = repo.labels.get(urllib.parse.unquote(name).lower())
        if lab is None:
            raise self._not_found(DOC_GET_LABEL)
        return _Reply(200, self._label_json(repo, lab))

    def _r_create_label(self, o: str, r: str, body: Any, **_: Any) -> _Reply:
        repo = self._repo_for(o, r)
        doc = DOC_CREATE_LABEL
        body = body if isinstance(body, dict) else {}
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self._validation([{"resource": "Label", "code": "missing_field", "field": "name"}], doc)
        color = body.get("color", DEFAULT_LABEL_COLOR)
        color = color.lstrip("#") if isinstance(color, str) else color
        if not isinstance(color, str) or not _HEX6.match(color):
            raise self._validation([{"resource": "Label", "code": "invalid", "field": "color"}], doc)
        if name.lower() in repo.labels:
            raise self._validation([{"resource": "Label", "code": "already_exists", "field": "name"}], doc)
        desc = body.get("description")
        if isinstance(desc, str) and len(desc) > 100:
            raise self._validation(
                [
                    {
                        "resource": "Label",
                        "code": "custom",
                        "field": "description",
                        "message": "description is too long (maximum is 100 characters)",
                    }
                ],
                doc,
            )
        lab = _Label(self._next_id(), name, color.lower(), desc)
        repo.labels[name.lower()] = lab
        data = self._label_json(repo, lab)
        return _Reply(201, data, {"location": data["url"]})

    def _r_list_assignees(
        self, o: str, r: str, query: dict[str, str], raw_query: str, link_base: str, **_: Any
    ) -> _Reply:
        repo = self._repo_for(o, r)
        users = [self._user_by_login(c) for c in repo.collaborators]
        chunk, headers = self._paginate(users, query, raw_query, link_base, DOC_LIST_ASSIGNEES)
        return _Reply(200, chunk, headers)

    def _r_check_assignee(self, o: str, r: str, login: str, **_: Any) -> _Reply:
        repo = self._repo_for(o, r)
        if self._is_assignable(repo, urllib.parse.unquote(login)):
            return _Reply(204)
        raise self._not_found(DOC_CHECK_ASSIGNEE)

    def _r_list_milestones(
        self, o: str, r: str, query: dict[str, str], raw_query: str, link_base: str, **_: Any
    ) -> _Reply:
        repo = self._repo_for(o, r)
        state = query.get("state") or "open"
        items = [m for _, m in sorted(repo.milestones.items()) if state == "all" or m.state == state]
        chunk, headers = self._paginate(items, query, raw_query, link_base, DOC_MILESTONES)
        return _Reply(200, [self._milestone_json(repo, m) for m in chunk], headers)

    def _r_get_milestone(self, o: str, r: str, n: str, **_: Any) -> _Reply:
        repo = self._repo_for(o, r)
        ms = repo.milestones.get(int(n))
        if ms is None:
            raise self._not_found(DOC_GET_MILESTONE)
        return _Reply(200, self._milestone_json(repo, ms))


# --------------------------------------------------------------------------- pytest fixtures

try:
    import pytest
except ImportError:  # pragma: no cover - the fake itself does not need pytest
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture
    def fake_github() -> Iterator[FakeGitHub]:
        """A started github.com-style FakeGitHub (token "ghp_test"); stopped afterwards."""
        with FakeGitHub(token="ghp_test") as fake:
            yield fake

    @pytest.fixture
    def fake_ghes() -> Iterator[FakeGitHub]:
        """A started GitHub Enterprise Server-style FakeGitHub (prefix "/api/v3")."""
        with FakeGitHub(token="ghp_test", prefix="/api/v3") as fake:
            yield fake
