"""Answers no API documents: an error, never "nothing found"; no traceback, no hang.

Issue 10, item 3 (the GitHub marker look-up failing open) and "No traceback, no hang":
HTML pages and sign-on redirects where JSON belongs, bodies of the wrong shape, `Retry-After`
as a date or a fraction, an issue number of null, pagination that never ends. The real CLI
runs in a subprocess against fake trackers behind the rewriting proxy.
"""

from __future__ import annotations

import email.utils
import json
import time
import urllib.parse
from typing import Any

import pytest

from tests.fakes.proxy import Exchange, Reply, html_page
from tests.hostile_support import (
    NEW_ROWS,
    GitHubStage,
    JiraStage,
    Project,
    Run,
    github_stage,
    jira_stage,
    one_line_errors,
)

__all__ = ["github_stage", "jira_stage"]

GH_LIST = r"^/repos/acme/app/issues$"
GH_CREATE = r"^/repos/acme/app/issues$"
SEARCH = r"/rest/api/\d/search(/jql)?$"
SSO = "https://sso.example.com/login?next=%2Fapi"


def assert_refused(run: Run, project: Project, before: bytes, *words: str) -> None:
    """Exit 1, a located error saying what came back, the file untouched."""
    assert run.code == 1, run.stdout
    one_line_errors(run)
    messages = " ".join(e["message"] for e in run.one()["errors"])
    for word in words:
        assert word in messages, messages
    assert run.one()["created"] == []
    assert project.doc.read_bytes() == before


# ------------------------------------------------------------------ 3. GitHub look-up fails open

LISTING_ANSWERS: dict[str, dict[str, Any]] = {
    "an HTML 200 page": {"status": 200, "body": html_page("Sign in to your account"), "words": ["HTML page"]},
    "a 302 to a sign-on host": {"redirect": SSO, "words": ["another host", "sso.example.com"]},
    "a JSON object where a list belongs": {
        "status": 200,
        "body": {"message": "Moved", "items": []},
        "words": ["dict where a list belongs"],
    },
    "JSON null": {"status": 200, "body": "null", "content_type": "application/json", "words": ["list"]},
    "a list of strings": {"status": 200, "body": ["#1", "#2"], "words": ["list"]},
    "an empty 200": {"status": 200, "body": b"", "content_type": "application/json", "words": ["list"]},
}


@pytest.mark.parametrize("answer", list(LISTING_ANSWERS))
def test_github_marker_lookup_answered_wrongly_creates_nothing(
    github_stage: GitHubStage, answer: str
) -> None:
    stage, project = github_stage, github_stage.project
    project.write_doc()
    before = project.doc.read_bytes()
    spec = dict(LISTING_ANSWERS[answer])
    words = spec.pop("words")
    stage.proxy.rule("GET", GH_LIST, forward=False, times=None, **spec)

    result = project.push()

    assert_refused(result, project, before, *words)
    assert stage.creates() == 0 and stage.issues() == []
    assert len(result.stdout) < 4000  # a page is summarised, never dumped


SEARCH_ANSWERS: dict[str, dict[str, Any]] = {
    "an HTML 200 page": {"status": 200, "body": html_page("Log in - Atlassian"), "words": ["HTML page"]},
    "a 302 to a sign-on host": {"redirect": SSO, "words": ["another host"]},
    "a list": {"status": 200, "body": [], "words": ["a list instead of a search page"]},
    "an object without issues": {"status": 200, "body": {"total": 0}, "words": ["without an issue list"]},
    "issues that are not objects": {
        "status": 200,
        "body": {"issues": ["OPS-1"], "total": 1},
        "words": ["not objects"],
    },
}


@pytest.mark.parametrize("answer", list(SEARCH_ANSWERS))
def test_jira_marker_search_answered_wrongly_creates_nothing(jira_stage: JiraStage, answer: str) -> None:
    stage, project = jira_stage, jira_stage.project
    project.write_doc()
    before = project.doc.read_bytes()
    spec = dict(SEARCH_ANSWERS[answer])
    words = spec.pop("words")
    stage.proxy.rule("*", SEARCH, forward=False, times=None, **spec)

    result = project.push()

    assert_refused(result, project, before, *words)
    assert stage.creates() == 0 and stage.fake.issues == []


# ------------------------------------------------------------------ HTML error pages, summarised


@pytest.mark.parametrize("status", [502, 200])
def test_jira_html_page_on_search_is_one_short_line(jira_stage: JiraStage, status: int) -> None:
    stage, project = jira_stage, jira_stage.project
    project.write_doc()
    before = project.doc.read_bytes()
    page = html_page("502 Bad Gateway" if status == 502 else "Sign in", 6000)
    stage.proxy.rule("*", SEARCH, forward=False, status=status, body=page, times=None)

    result = project.push()

    assert_refused(result, project, before, "HTML page titled")
    [error] = result.one()["errors"]
    assert error["line"] is None or error["line"] > 0
    assert "KB" in error["message"] and "Lorem" not in result.output


def test_github_html_502_in_the_middle_of_creates_keeps_what_was_made(github_stage: GitHubStage) -> None:
    """Issue #1 is made, then a proxy answers the next creates with an HTML 502 without passing
    them on: #1's key is written, the other rows are located errors, and the next run makes
    exactly the two that are missing."""
    stage, project = github_stage, github_stage.project
    project.write_doc()
    stage.proxy.rule("POST", GH_CREATE, forward=True, times=1)  # the first create goes through
    stage.proxy.rule(
        "POST", GH_CREATE, forward=False, status=502, body=html_page("502 Bad Gateway"), times=None
    )

    first = project.push()

    assert first.code == 1, first.stdout
    one_line_errors(first)
    assert first.one()["created"] == ["#1"] and project.cells() == ["#1", "", ""]
    assert [e["line"] for e in first.one()["errors"]] == [15, 16]
    assert "HTML page titled '502 Bad Gateway'" in first.stdout
    stage.proxy.clear()
    second = project.push()
    assert second.code == 0, second.stdout
    assert project.cells() == ["#1", "#2", "#3"] and len(stage.issues()) == 3


def test_github_read_failing_halfway_writes_nothing_back(github_stage: GitHubStage) -> None:
    """Reconcile lists the labelled issues, then reads the others by number (GraphQL), and that
    answer is a sign-on page: nothing is written or sent."""
    stage, project = github_stage, github_stage.project
    for row in NEW_ROWS:  # issues made by hand, without pm-sync's label: read by number
        stage.fake.add_issue("acme/app", f"{row[1]} (as filed)")
    project.write_doc([(*r[:4], f"#{n}") for n, r in enumerate(NEW_ROWS, start=1)])
    before = project.doc.read_bytes()
    stage.proxy.rule("POST", r"/graphql$", forward=False, status=200, body=html_page("Sign in"), times=None)

    result = project.reconcile()

    assert result.code == 1, result.stdout
    one_line_errors(result)
    assert "HTML page titled 'Sign in'" in result.stdout
    assert project.doc.read_bytes() == before
    assert stage.fake.requests_to("PATCH") == [] and stage.fake.requests_to("POST") == []


# ------------------------------------------------------------------ bodies of the wrong shape


def test_github_issue_number_null_in_the_listing_is_an_error(github_stage: GitHubStage) -> None:
    stage, project = github_stage, github_stage.project
    stage.fake.add_issue("acme/app", "someone else's issue", labels=["postmortem"])
    project.write_doc()
    before = project.doc.read_bytes()

    def null_numbers(ex: Exchange, status: int, headers: dict[str, str], body: bytes) -> Reply:
        items = json.loads(body)
        return status, headers, json.dumps([{**i, "number": None} for i in items]).encode()

    stage.proxy.rule("GET", GH_LIST, rewrite=null_numbers, times=None)

    result = project.push()

    assert_refused(result, project, before, "without a number")
    assert stage.creates() == 0


def test_github_create_answered_with_number_null_is_settled_by_marker(github_stage: GitHubStage) -> None:
    """The issue was made; its answer is unusable. The marker says where it is: adopted, not resent."""
    stage, project = github_stage, github_stage.project
    project.write_doc()

    def null_number(ex: Exchange, status: int, headers: dict[str, str], body: bytes) -> Reply:
        return status, headers, json.dumps({**json.loads(body), "number": None}).encode()

    stage.proxy.rule("POST", GH_CREATE, rewrite=null_number, times=None)

    result = project.push()

    assert result.code == 0, result.stdout
    assert stage.creates() == 3 and len(stage.issues()) == 3
    assert project.cells() == ["#1", "#2", "#3"]


def test_jira_bulk_create_answered_with_an_html_page_never_creates_twice(jira_stage: JiraStage) -> None:
    """Jira stored the issues, then a proxy put a page in place of the answer: the markers are
    looked up; nothing is sent again."""
    stage, project = jira_stage, jira_stage.project
    project.write_doc()
    stage.proxy.rule("POST", r"/issue/bulk$", status=200, body=html_page("Service notice"))

    result = project.push()

    assert result.code == 0, result.stdout
    assert len(stage.fake.requests_to("POST", "issue/bulk")) == 1 and len(stage.fake.issues) == 3
    assert project.cells() == ["OPS-1", "OPS-2", "OPS-3"]


# ------------------------------------------------------------------ Retry-After shapes


def http_date(seconds_ahead: float) -> str:
    return email.utils.formatdate(time.time() + seconds_ahead, usegmt=True)


@pytest.mark.parametrize("retry_after", ["1.5", "date"])
def test_jira_retry_after_as_a_date_or_a_fraction_is_waited_out(
    jira_stage: JiraStage, retry_after: str
) -> None:
    stage, project = jira_stage, jira_stage.project
    project.write_doc()
    value = http_date(2) if retry_after == "date" else retry_after
    stage.proxy.rule(
        "*",
        SEARCH,
        forward=False,
        status=429,
        headers={"Retry-After": value},
        body={"errorMessages": ["Rate limit exceeded."]},
    )

    started = time.monotonic()
    result = project.push()

    assert result.code == 0, result.stdout
    assert time.monotonic() - started >= 1.0  # it did wait
    assert len(stage.fake.issues) == 3


@pytest.mark.parametrize("retry_after", ["1.5", "date", "soon", "-3", "nan"])
def test_github_retry_after_shapes(github_stage: GitHubStage, retry_after: str) -> None:
    """A date and a fraction are waited out; nonsense falls back to the default wait."""
    stage, project = github_stage, github_stage.project
    project.write_doc()
    value = http_date(2) if retry_after == "date" else retry_after
    body = {"message": "You have exceeded a secondary rate limit."}
    stage.proxy.rule("GET", GH_LIST, forward=False, status=403, headers={"Retry-After": value}, body=body)

    result = project.push()

    assert result.code == 0, result.stdout
    assert len(stage.issues()) == 3


# ------------------------------------------------------------------ pagination that never ends


def test_github_link_next_to_itself_is_stopped(github_stage: GitHubStage) -> None:
    stage, project = github_stage, github_stage.project
    stage.fake.add_issue("acme/app", "someone else's issue", labels=["postmortem"])
    project.write_doc()
    before = project.doc.read_bytes()

    def loop(ex: Exchange, status: int, headers: dict[str, str], body: bytes) -> Reply:
        self_url = f"{stage.proxy.url}{ex.path}?{ex.query}"
        return status, {**headers, "Link": f'<{self_url}>; rel="next"'}, body

    stage.proxy.rule("GET", GH_LIST, rewrite=loop, times=None)

    result = project.push()

    assert_refused(result, project, before, "pagination loops")
    assert len(stage.proxy.seen("GET", GH_LIST)) <= 3


def test_github_link_next_that_never_ends_is_stopped(github_stage: GitHubStage) -> None:
    """Every page says there is another, and brings the same issues again."""
    stage, project = github_stage, github_stage.project
    stage.fake.add_issue("acme/app", "someone else's issue", labels=["postmortem"])
    project.write_doc()
    before = project.doc.read_bytes()

    def onward(ex: Exchange, status: int, headers: dict[str, str], body: bytes) -> Reply:
        query = dict(urllib.parse.parse_qsl(ex.query))
        query["page"] = str(int(query.get("page", "1")) + 1)
        nxt = f"{stage.proxy.url}{ex.path}?{urllib.parse.urlencode(query)}"
        return status, {**headers, "Link": f'<{nxt}>; rel="next"'}, body

    stage.proxy.rule("GET", GH_LIST, rewrite=onward, times=None)

    result = project.push()

    assert_refused(result, project, before, "pagination loops")
    assert len(stage.proxy.seen("GET", GH_LIST)) <= 3


def test_jira_pagination_that_never_ends_is_stopped(jira_stage: JiraStage) -> None:
    """Cloud: a `nextPageToken` that never runs out; Data Center: a `total` far past the pages."""
    stage, project = jira_stage, jira_stage.project
    project.write_doc()
    assert project.push().code == 0
    before = project.doc.read_bytes()
    first: dict[str, bytes] = {}

    def endless(ex: Exchange, status: int, headers: dict[str, str], body: bytes) -> Reply:
        page = json.loads(first.setdefault("page", body))
        if "nextPageToken" in page or stage.cloud:
            page["nextPageToken"] = "eyJvIjogMH0="  # offset 0, again and again
        else:
            page["total"] = 10**9
        return status, headers, json.dumps(page).encode()

    stage.proxy.rule("*", SEARCH, rewrite=endless, times=None)

    result = project.reconcile()

    assert result.code == 1, result.stdout
    one_line_errors(result)
    assert "pagination loops" in result.stdout
    assert len(stage.proxy.seen(None, SEARCH)) <= 3
    assert project.doc.read_bytes() == before
