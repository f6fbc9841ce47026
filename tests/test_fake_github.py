"""Compatibility tests: the real PyGithub client against tests/fakes/fake_github.py."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import requests
from github import (
    Auth,
    BadCredentialsException,
    Github,
    GithubException,
    RateLimitExceededException,
    UnknownObjectException,
)

from tests.fakes.fake_github import FakeGitHub, fake_ghes, fake_github

__all__ = ["fake_ghes", "fake_github"]  # fixtures re-exported for pytest

TOKEN = "ghp_test"
REPO = "acme/app"


def client(fake: FakeGitHub, **kw: object) -> Github:
    kw.setdefault("timeout", 5)
    return Github(
        auth=Auth.Token(TOKEN),
        base_url=fake.api_url,
        seconds_between_requests=None,
        seconds_between_writes=None,
        **kw,  # type: ignore[arg-type]
    )


def raw(fake: FakeGitHub, path: str, method: str = "GET", **kw: object) -> requests.Response:
    headers = {"Authorization": f"token {TOKEN}", **kw.pop("headers", {})}  # type: ignore[dict-item]
    return requests.request(method, fake.api_url + path, headers=headers, timeout=5, **kw)  # type: ignore[arg-type]


@pytest.fixture
def gh(fake_github: FakeGitHub) -> Github:
    fake_github.add_repo(REPO)
    fake_github.add_collaborator(REPO, "ann")
    fake_github.add_collaborator(REPO, "bob")
    return client(fake_github)


# --------------------------------------------------------------------------- basics


def test_repo_user_and_response_headers(fake_github: FakeGitHub, gh: Github) -> None:
    repo = gh.get_repo(REPO)
    assert (repo.full_name, repo.name, repo.owner.login) == (REPO, "app", "acme")
    assert repo.url == f"{fake_github.url}/repos/{REPO}"
    assert repo.has_issues is True and repo.private is False
    assert gh.get_user().login == "pm-sync-bot"

    r = raw(fake_github, f"/repos/{REPO}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert r.headers["x-github-api-version-selected"] == "2022-11-28"
    assert r.headers["x-ratelimit-resource"] == "core"
    assert int(r.headers["x-ratelimit-reset"]) > time.time()
    limit, remaining = int(r.headers["x-ratelimit-limit"]), int(r.headers["x-ratelimit-remaining"])
    assert limit == 5000 and remaining == 5000 - 3  # three counted requests so far
    assert int(r.headers["x-ratelimit-used"]) == 3
    assert gh.get_rate_limit().resources.core.remaining == remaining  # /rate_limit is free
    assert fake_github.rate_remaining == remaining


def test_auth_bearer_accepted_and_bad_token_401(fake_github: FakeGitHub, gh: Github) -> None:
    r = raw(fake_github, f"/repos/{REPO}", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200
    bad = Github(auth=Auth.Token("nope"), base_url=fake_github.url, timeout=5)
    with pytest.raises(BadCredentialsException) as ei:
        bad.get_repo(REPO)
    assert ei.value.status == 401
    assert ei.value.data == {
        "message": "Bad credentials",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }
    # the log redacts the token
    assert all("ghp_test" not in str(e.headers) for e in fake_github.request_log)


def test_unknown_repo_is_404(fake_github: FakeGitHub, gh: Github) -> None:
    with pytest.raises(UnknownObjectException) as ei:
        gh.get_repo("acme/missing")
    assert ei.value.data["message"] == "Not Found"
    assert ei.value.data["status"] == "404"


# --------------------------------------------------------------------------- issues


def test_create_issue_with_labels_and_assignees(fake_github: FakeGitHub, gh: Github) -> None:
    fake_github.add_label(REPO, "sev1", color="d73a4a")
    repo = gh.get_repo(REPO)
    fake_github.clear_log()
    issue = repo.create_issue(
        "Rotate runbook", body="details", labels=["SEV1", "postmortem"], assignees=["ann", "bob"]
    )
    # exactly one POST, no follow-up GET (PyGithub builds the issue from the reply)
    assert [(r.method, r.route) for r in fake_github.request_log] == [("POST", f"/repos/{REPO}/issues")]
    assert fake_github.request_log[0].json == {
        "title": "Rotate runbook",
        "body": "details",
        "assignees": ["ann", "bob"],
        "labels": ["SEV1", "postmortem"],
    }
    assert issue.number == 1 and issue.state == "open" and issue.state_reason is None
    assert issue.url == f"{fake_github.url}/repos/{REPO}/issues/1"
    assert issue.node_id.startswith("I_kwDO")
    assert [lab.name for lab in issue.labels] == ["sev1", "postmortem"]  # existing casing kept
    assert {lab.name: lab.color for lab in issue.labels} == {
        "sev1": "d73a4a",
        "postmortem": "ededed",
    }
    assert [a.login for a in issue.assignees] == ["ann", "bob"]
    assert issue.user.login == "pm-sync-bot"
    assert issue.created_at.tzinfo is not None
    assert repo.get_label("postmortem").color == "ededed"  # auto-created

    again = repo.get_issue(1)
    assert (again.title, again.body, again.id) == ("Rotate runbook", "details", issue.id)
    stored = fake_github.get_issue(REPO, 1)
    assert stored is not None and stored["assignee"]["login"] == "ann"


def test_issue_validation_errors(fake_github: FakeGitHub, gh: Github) -> None:
    repo = gh.get_repo(REPO)
    with pytest.raises(GithubException) as ei:
        repo.create_issue("x" * 257)
    assert ei.value.status == 422
    assert ei.value.data["errors"][0]["field"] == "title"
    with pytest.raises(GithubException) as ei:
        repo.create_issue("ok", assignees=["ann", "mallory"])
    assert type(ei.value) is GithubException and ei.value.status == 422
    assert ei.value.data["message"] == "Validation Failed"
    assert ei.value.data["errors"] == [
        {"value": ["mallory"], "resource": "Issue", "field": "assignees", "code": "invalid"}
    ]
    assert ei.value.data["documentation_url"].endswith("#create-an-issue")
    assert fake_github.issues(REPO) == []  # nothing created
    assert repo.has_in_assignees("ann") is True
    assert repo.has_in_assignees("mallory") is False
    assert sorted(u.login for u in repo.get_assignees()) == ["ann", "bob", "pm-sync-bot"]


def test_edit_close_not_planned_and_replace_sets(fake_github: FakeGitHub, gh: Github) -> None:
    repo = gh.get_repo(REPO)
    issue = repo.create_issue("t", labels=["a", "b"], assignees=["ann"])
    fake_github.clear_log()
    issue.edit(state="closed", state_reason="not_planned", labels=["c"], assignees=[])
    (patch,) = fake_github.request_log
    assert (patch.method, patch.route) == ("PATCH", f"/repos/{REPO}/issues/1")
    assert patch.json == {
        "state": "closed",
        "state_reason": "not_planned",
        "labels": ["c"],
        "assignees": [],
    }
    assert issue.state == "closed" and issue.state_reason == "not_planned"
    assert issue.closed_at is not None
    assert issue.closed_by is not None and issue.closed_by.login == "pm-sync-bot"
    assert [lab.name for lab in issue.labels] == ["c"] and issue.assignees == []

    issue.edit(state="open")
    assert (issue.state, issue.state_reason) == ("open", "reopened")
    assert issue.raw_data["closed_at"] is None

    # a human closes it in the UI; the client sees it on the next GET
    fake_github.close_issue(REPO, 1, reason="completed")
    assert repo.get_issue(1).state_reason == "completed"


def test_list_paginates_over_100_with_prs_visible(fake_github: FakeGitHub) -> None:
    fake_github.add_repo(REPO)
    for i in range(250):
        fake_github.add_issue(
            REPO, f"pm {i}", labels=["postmortem", "sev2"], state="closed" if i % 5 == 0 else "open"
        )
    for i in range(20):
        fake_github.add_issue(REPO, f"other {i}", labels=["sev2"])
    pr = fake_github.add_pull_request(REPO, "fix it", labels=["postmortem", "sev2"])
    g = client(fake_github, per_page=100)
    repo = g.get_repo(REPO)
    fake_github.clear_log()

    items = list(repo.get_issues(state="all", labels=["postmortem", "sev2"]))
    assert len(items) == 251
    # 251 items at 100 per page = exactly 3 requests; list items are complete (no lazy GETs)
    assert [(r.method, r.status) for r in fake_github.request_log] == [("GET", 200)] * 3
    first, second, third = fake_github.request_log
    assert first.query == {"state": "all", "labels": "postmortem,sev2", "per_page": "100"}
    assert second.route.startswith("/repositories/")  # GitHub's Link uses the repo id
    assert second.query["page"] == "2" and third.query["page"] == "3"
    assert second.query["labels"] == "postmortem,sev2" and second.query["state"] == "all"
    _ = [(i.title, i.state_reason, i.labels, i.closed_at) for i in items]
    assert len(fake_github.request_log) == 3

    # GitHub marks PRs only by the presence of "pull_request"; plain issues lack the key,
    # so reading .pull_request on a list item makes PyGithub GET the issue to "complete" it.
    prs = [i for i in items if "pull_request" in i._rawData]
    assert [i.number for i in prs] == [pr]
    assert len(fake_github.request_log) == 3
    plain = next(i for i in items if i.number != pr)
    assert plain.pull_request is None
    assert fake_github.request_log[-1].route == f"/repos/{REPO}/issues/{plain.number}"
    assert prs[0].pull_request is not None and len(fake_github.request_log) == 4
    assert items[0].number == pr  # default sort: created desc
    assert sum(1 for i in items if i.number != pr and i.state == "closed") == 50
    # default state=open
    assert len(list(repo.get_issues(labels=["postmortem"]))) == 201


def test_link_header_format(fake_github: FakeGitHub) -> None:
    fake_github.add_repo(REPO)
    for i in range(7):
        fake_github.add_issue(REPO, f"i{i}")
    rid = raw(fake_github, f"/repos/{REPO}").json()["id"]
    base = f"{fake_github.url}/repositories/{rid}/issues"

    r = raw(fake_github, f"/repos/{REPO}/issues?state=all&page=2&per_page=2")
    assert r.headers["link"] == (
        f'<{base}?state=all&per_page=2&page=1>; rel="prev", '
        f'<{base}?state=all&per_page=2&page=3>; rel="next", '
        f'<{base}?state=all&per_page=2&page=4>; rel="last", '
        f'<{base}?state=all&per_page=2&page=1>; rel="first"'
    )
    r = raw(fake_github, f"/repos/{REPO}/issues?per_page=2")
    assert r.headers["link"] == (
        f'<{base}?per_page=2&page=2>; rel="next", <{base}?per_page=2&page=4>; rel="last"'
    )
    r = raw(fake_github, f"/repos/{REPO}/issues?per_page=2&page=4")
    assert len(r.json()) == 1
    assert r.headers["link"] == (
        f'<{base}?per_page=2&page=3>; rel="prev", <{base}?per_page=2&page=1>; rel="first"'
    )
    assert "link" not in raw(fake_github, f"/repos/{REPO}/issues").headers  # fits one page
    assert len(raw(fake_github, f"/repos/{REPO}/issues?per_page=500").json()) == 7  # max 100


def test_list_since_sort_direction(fake_github: FakeGitHub, gh: Github) -> None:
    fake_github.add_issue(REPO, "old", created_at="2025-01-01T00:00:00Z", updated_at="2025-01-02T00:00:00Z")
    fake_github.add_issue(REPO, "new", created_at="2025-02-01T00:00:00Z", updated_at="2025-02-01T00:00:00Z")
    fake_github.add_issue(
        REPO, "touched", created_at="2024-12-01T00:00:00Z", updated_at="2025-03-01T00:00:00Z"
    )
    repo = gh.get_repo(REPO)
    since = datetime(2025, 1, 15, tzinfo=UTC)
    assert [i.title for i in repo.get_issues(since=since)] == ["new", "touched"]
    assert [i.title for i in repo.get_issues(sort="updated", direction="asc")] == [
        "old",
        "new",
        "touched",
    ]
    assert fake_github.requests_to("GET", r"/issues$")[0].query["since"] == "2025-01-15T00:00:00Z"


# --------------------------------------------------------------------------- labels


def test_labels_create_get_and_duplicate(fake_github: FakeGitHub, gh: Github) -> None:
    repo = gh.get_repo(REPO)
    with pytest.raises(UnknownObjectException):
        repo.get_label("sev 1")
    assert fake_github.request_log[-1].path == f"/repos/{REPO}/labels/sev%201"
    lab = repo.create_label("sev 1", "b60205", "Severity 1")
    assert (lab.name, lab.color, lab.description) == ("sev 1", "b60205", "Severity 1")
    assert lab.url == f"{fake_github.url}/repos/{REPO}/labels/sev%201"
    assert repo.get_label("sev 1").description == "Severity 1"
    with pytest.raises(GithubException) as ei:
        repo.create_label("SEV 1", "000000")  # case-insensitive duplicate
    assert ei.value.status == 422
    assert ei.value.data["errors"] == [{"resource": "Label", "code": "already_exists", "field": "name"}]
    for i in range(40):
        fake_github.add_label(REPO, f"l{i}")
    fake_github.clear_log()
    assert len(list(repo.get_labels())) == 41
    assert len(fake_github.request_log) == 2  # 30 per page by default


# --------------------------------------------------------------------------- transferred / deleted


def test_transferred_issue_is_followed(fake_github: FakeGitHub, gh: Github) -> None:
    fake_github.add_repo("acme/other")
    repo = gh.get_repo(REPO)
    issue = repo.create_issue("moving")
    new_no = fake_github.transfer_issue(REPO, issue.number, "acme/other")
    fake_github.clear_log()

    hop = requests.get(
        fake_github.url + f"/repos/{REPO}/issues/1",
        allow_redirects=False,
        timeout=5,
        headers={"Authorization": f"token {TOKEN}"},
    )
    assert hop.status_code == 301
    new_url = f"{fake_github.url}/repos/acme/other/issues/{new_no}"
    assert hop.headers["location"] == new_url
    assert hop.json() == {
        "message": "Moved Permanently",
        "url": new_url,
        "documentation_url": "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api"
        "#follow-redirects",
    }

    # PyGithub follows a same-host 301 silently: the old number now yields the other repo's issue
    fake_github.clear_log()
    moved = repo.get_issue(1)
    assert [(r.method, r.route, r.status) for r in fake_github.request_log] == [
        ("GET", f"/repos/{REPO}/issues/1", 301),
        ("GET", f"/repos/acme/other/issues/{new_no}", 200),
    ]
    assert moved.url == new_url and moved.repository_url.endswith("/repos/acme/other")
    assert moved.id == issue.id
    # a PATCH to the stale URL is redirected too (same verb)
    issue.edit(body="after move")
    assert (fake_github.get_issue("acme/other", new_no) or {})["body"] == "after move"
    assert fake_github.get_issue(REPO, 1) is None

    # GitHub-style /repositories/{id}/... Location also works
    fake_github.add_issue(REPO, "second")
    n2 = fake_github.transfer_issue(REPO, 2, "acme/other", redirect="repository_id")
    assert repo.get_issue(2).url == f"{fake_github.url}/repos/acme/other/issues/{n2}"


def test_deleted_issue_and_disabled_issues_are_410(fake_github: FakeGitHub, gh: Github) -> None:
    repo = gh.get_repo(REPO)
    repo.create_issue("doomed")
    fake_github.delete_issue(REPO, 1)
    with pytest.raises(GithubException) as ei:
        repo.get_issue(1)
    assert ei.value.status == 410 and ei.value.data["message"] == "This issue was deleted"
    with pytest.raises(UnknownObjectException):
        repo.get_issue(99)

    fake_github.add_repo("acme/noissues", has_issues=False)
    nr = gh.get_repo("acme/noissues")
    assert nr.has_issues is False
    with pytest.raises(GithubException) as ei:
        nr.create_issue("x")
    assert ei.value.status == 410 and ei.value.data["message"] == "Issues are disabled for this repo"


# --------------------------------------------------------------------------- rate limits


def test_primary_limit_get_waits_for_reset(fake_github: FakeGitHub, gh: Github) -> None:
    repo = gh.get_repo(REPO)
    repo.create_issue("a")
    fake_github.exhaust_primary(reset_in=1.0)
    r = raw(fake_github, f"/repos/{REPO}/issues/1")
    assert r.status_code == 403 and r.headers["x-ratelimit-remaining"] == "0"
    assert r.json()["message"].startswith("API rate limit exceeded for user ID 1.")
    assert int(r.headers["x-ratelimit-reset"]) >= int(time.time())
    fake_github.clear_log()

    t0 = time.monotonic()
    assert repo.get_issue(1).title == "a"  # PyGithub sleeps until reset + 1 s, then retries
    assert 1.0 < time.monotonic() - t0 < 5
    assert [(r.status, r.outcome) for r in fake_github.request_log] == [
        (403, "primary_limit"),
        (200, "ok"),
    ]


def test_primary_limit_patch_is_not_retried(fake_github: FakeGitHub, gh: Github) -> None:
    issue = gh.get_repo(REPO).create_issue("a")
    fake_github.exhaust_primary(reset_in=30)
    fake_github.clear_log()
    with pytest.raises(RateLimitExceededException) as ei:
        issue.edit(body="x")
    assert ei.value.status == 403
    assert len(fake_github.request_log) == 1
    # 429 variant of the primary limit: plain GithubException, not retried either
    fake_github.exhaust_primary(reset_in=30, status=429)
    with pytest.raises(GithubException) as ei2:
        gh.get_repo(REPO).get_issue(1)
    assert type(ei2.value) is GithubException and ei2.value.status == 429


def test_secondary_limit_retry_after_0_and_1(fake_github: FakeGitHub, gh: Github) -> None:
    repo = gh.get_repo(REPO)
    fake_github.clear_log()
    fake_github.secondary_limit("POST", r"/issues$", retry_after=0)
    issue = repo.create_issue("once")  # POST is retried on a secondary limit
    assert [(r.method, r.status) for r in fake_github.request_log] == [("POST", 403), ("POST", 201)]
    assert fake_github.request_log[0].outcome == "secondary_limit"
    assert [i["title"] for i in fake_github.issues(REPO)] == ["once"]  # rejected before processing

    fake_github.secondary_limit("GET", r"/issues/\d+$", retry_after=1, status=429)
    r = raw(fake_github, f"/repos/{REPO}/issues/1")
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    assert r.json()["message"].startswith(
        "You have exceeded a secondary rate limit. Please wait a few minutes"
    )
    fake_github.secondary_limit("GET", r"/issues/\d+$", retry_after=1, status=429)
    t0 = time.monotonic()
    assert repo.get_issue(issue.number).title == "once"
    assert time.monotonic() - t0 >= 0.9


def test_secondary_limit_without_retry_after_waits_60s(
    fake_github: FakeGitHub, gh: Github, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []

    def fake_sleep(seconds: float) -> None:  # urllib3's Retry sleeps through time.sleep
        slept.append(seconds)
        fake_github.advance(seconds)

    repo = gh.get_repo(REPO)
    # note: this is the global time.sleep (urllib3 does `import time`); the fake never calls it
    monkeypatch.setattr("urllib3.util.retry.time.sleep", fake_sleep)
    fake_github.secondary_limit("GET", f"^/repos/{REPO}$", retry_after=None)
    assert gh.get_repo(REPO).id == repo.id
    assert slept == [60]


def test_429_without_retry_after_is_plain_github_exception(fake_github: FakeGitHub, gh: Github) -> None:
    repo = gh.get_repo(REPO)
    fake_github.secondary_limit("GET", None, retry_after=None, status=429)
    with pytest.raises(GithubException) as ei:
        repo.get_labels().totalCount  # noqa: B018
    assert type(ei.value) is GithubException  # not RateLimitExceededException
    assert ei.value.status == 429


# --------------------------------------------------------------------------- faults


def test_5xx_is_retried_and_endless_5xx_raises_retry_error(fake_github: FakeGitHub, gh: Github) -> None:
    repo = gh.get_repo(REPO)
    repo.create_issue("a")
    fake_github.clear_log()
    fake_github.inject("GET", r"/issues/1$", status=502, times=2)
    assert repo.get_issue(1).title == "a"
    assert [r.status for r in fake_github.request_log] == [502, 502, 200]
    fake_github.inject("GET", r"/issues/1$", status=500, times=None)
    with pytest.raises(requests.exceptions.RetryError):
        repo.get_issue(1)
    fake_github.clear_faults()


def test_dropped_connection_after_create(fake_github: FakeGitHub, gh: Github) -> None:
    # without retries: the issue is stored but the client only sees a connection error
    g = client(fake_github, retry=None)
    repo = g.get_repo(REPO)
    fake_github.inject("POST", r"/issues$", drop=True, after=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        repo.create_issue("lost reply")
    assert [i["title"] for i in fake_github.issues(REPO)] == ["lost reply"]

    # with PyGithub's default retry the POST is re-sent: a duplicate issue
    fake_github.inject("POST", r"/issues$", drop=True, after=True)
    issue = gh.get_repo(REPO).create_issue("dup")
    assert [i["title"] for i in fake_github.issues(REPO)] == ["lost reply", "dup", "dup"]
    assert issue.number == 3
    posts = fake_github.requests_to("POST", r"/issues$")
    assert [p.outcome for p in posts] == ["dropped", "dropped", "ok"]

    # dropped before processing: nothing stored
    fake_github.inject("POST", r"/issues$", drop=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        repo.create_issue("never")
    assert len(fake_github.issues(REPO)) == 3


def test_read_timeout_after_create_duplicates(fake_github: FakeGitHub) -> None:
    fake_github.add_repo(REPO)
    g = client(fake_github, timeout=1)
    repo = g.get_repo(REPO)
    fake_github.inject("POST", r"/issues$", delay=1.5, after=True)
    issue = repo.create_issue("slow")
    assert issue.number == 2  # the first one was created, its reply arrived too late
    assert [i["title"] for i in fake_github.issues(REPO)] == ["slow", "slow"]


# --------------------------------------------------------------------------- GHES


def test_ghes_prefix(fake_ghes: FakeGitHub) -> None:
    fake_ghes.add_repo(REPO)
    for i in range(35):
        fake_ghes.add_issue(REPO, f"i{i}")
    assert fake_ghes.api_url == fake_ghes.url + "/api/v3"
    g = client(fake_ghes)
    repo = g.get_repo(REPO)
    assert repo.url == f"{fake_ghes.url}/api/v3/repos/{REPO}"
    issue = repo.create_issue("on ghes", labels=["x"])
    assert issue.url == f"{fake_ghes.url}/api/v3/repos/{REPO}/issues/36"
    issue.edit(state="closed")
    assert len(list(repo.get_issues(state="all"))) == 36  # second page via /api/v3/repositories/...
    assert all(r.path.startswith("/api/v3/") for r in fake_ghes.request_log)
    assert fake_ghes.request_log[-1].route.startswith("/repositories/")
    r = requests.get(fake_ghes.url + f"/repos/{REPO}", timeout=5, headers={"Authorization": f"token {TOKEN}"})
    assert r.status_code == 404  # nothing outside the prefix


def test_created_but_502_is_retried_into_a_duplicate(fake_github: FakeGitHub, gh: Github) -> None:
    repo = gh.get_repo(REPO)
    fake_github.inject("POST", r"/issues$", status=502, after=True)
    issue = repo.create_issue("twice")
    assert issue.number == 2
    assert [i["title"] for i in fake_github.issues(REPO)] == ["twice", "twice"]
    assert [r.status for r in fake_github.requests_to("POST")] == [502, 201]


def test_latency_helpers_before_start_and_restart() -> None:
    fake = FakeGitHub(token=["t1", "t2"], latency=0.2)
    fake.add_repo(REPO)  # helpers work before start(); the port is bound on first need
    url = fake.url
    with fake:
        assert fake.url == url
        g = Github(
            auth=Auth.Token("t2"),
            base_url=fake.url,
            timeout=5,
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        t0 = time.monotonic()
        g.get_repo(REPO)
        assert time.monotonic() - t0 >= 0.2
        fake.latency = 0.0
        assert fake.request_log[0].headers["authorization"] == "token <redacted>"
        assert fake.request_log[0].request_id
