"""Stories: GitHub misbehaves (lost replies, moved and deleted issues, rate limits, bad tokens)
and pm-sync still ends with exactly one issue per action item and clear, located errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import run_subprocess
from tests.fakes.fake_github import FakeGitHub, fake_ghes, fake_github
from tests.github_env import (
    NEW_ROWS,
    REPO,
    TOKEN,
    TOKEN_ENV,
    configure,
    patch_sleep,
    ticket_cells,
    write_doc,
    writes,
)

__all__ = ["fake_ghes", "fake_github"]  # fixtures re-exported for pytest

CREATE = r"^/repos/acme/app/issues$"


def markers(fake: FakeGitHub) -> list[str]:
    return [i["body"].split("pm-sync-")[1][:12] for i in fake.issues(REPO)]


@pytest.mark.parametrize(
    "fault",
    [
        {"drop": True},  # GitHub stored the issue, then the connection dropped
        {"status": 502},  # GitHub stored the issue, then a proxy answered 502
    ],
)
def test_lost_create_reply_is_found_by_marker_not_resent(
    workdir: Path,
    cli,
    fake_github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    fault: dict[str, object],
) -> None:
    configure(workdir, fake_github, monkeypatch)
    doc = write_doc(workdir)
    fake_github.inject("POST", CREATE, after=True, **fault)  # type: ignore[arg-type]

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert result.one()["created"] == ["#1", "#2", "#3"]
    assert len(fake_github.issues(REPO)) == 3 and len(set(markers(fake_github))) == 3
    assert len(fake_github.requests_to("POST", CREATE)) == 3  # never re-sent blindly
    assert ticket_cells(doc) == ["#1", "#2", "#3"]


@pytest.mark.parametrize(
    "fault",
    [
        {"drop": True},  # the connection dropped before GitHub did anything
        {"status": 502},  # a proxy answered 502 without passing the request on
    ],
)
def test_create_lost_before_github_stored_it_is_sent_again_once(
    workdir: Path,
    cli,
    fake_github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    fault: dict[str, object],
) -> None:
    configure(workdir, fake_github, monkeypatch)
    doc = write_doc(workdir)
    slept = patch_sleep(monkeypatch, fake_github)
    fake_github.inject("POST", CREATE, **fault)  # type: ignore[arg-type]

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert sorted(result.one()["created"]) == ["#1", "#2", "#3"]
    assert len(fake_github.issues(REPO)) == 3
    # GitHub's issue list is consistent: once a look-up (and a short recheck) misses it, the
    # create never landed, and it is sent once more
    assert len(fake_github.requests_to("POST", CREATE)) == 4
    assert sum(slept) <= 2


def test_create_that_times_out_is_found_not_duplicated(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    config = workdir / "pm-sync.toml"
    config.write_text(config.read_text().replace("timeout = 5", "timeout = 1"))
    doc = write_doc(workdir, [("P0", "Integration test for connection pool", "@alice", "2024-01-22", "")])
    fake_github.inject("POST", CREATE, after=True, delay=1.5)  # stored, answer comes too late

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert result.one()["created"] == ["#1"]
    assert len(fake_github.issues(REPO)) == 1
    assert len(fake_github.requests_to("POST", CREATE)) == 1


def test_dropped_create_and_failed_lookup_then_rerun_recovers(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    doc = write_doc(workdir)
    fake_github.inject("POST", CREATE, after=True, drop=True)
    # the look-up after the lost reply fails too (GitHub is having a bad minute)
    patch_sleep(monkeypatch, fake_github)
    original = fake_github._route

    def flaky(method: str, route: str, query: dict[str, str], raw: str, body: object):
        if method == "GET" and re.search(CREATE, route) and fake_github.requests_to("POST", CREATE):
            raise fake_github._err(503, "Service Unavailable")
        return original(method, route, query, raw, body)

    monkeypatch.setattr(fake_github, "_route", flaky)

    first = cli("push", str(doc), "--json")

    assert first.code == 1
    assert first.one()["created"] == ["#2", "#3"]
    [error] = first.one()["errors"]
    assert error["line"] == 14, error
    assert error["code"] == "create-in-flight" and "run again" in (error["hint"] or ""), error
    assert len(fake_github.issues(REPO)) == 3  # stored, but its key was never written
    assert ticket_cells(doc) == ["", "#2", "#3"]

    monkeypatch.setattr(fake_github, "_route", original)
    second = cli("push", str(doc), "--json")

    assert second.code == 0, second.stdout
    assert second.one()["recovered"] == ["#1"] and second.one()["created"] == []
    assert len(fake_github.issues(REPO)) == 3
    assert ticket_cells(doc) == ["#1", "#2", "#3"]


def test_run_killed_after_creating_resumes_without_duplicates(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    doc = write_doc(workdir)

    killed = run_subprocess(
        ["push", str(doc)], cwd=workdir, env={TOKEN_ENV: TOKEN, "PM_SYNC_FAILPOINT": "after-create"}
    )

    assert killed.returncode != 0
    assert len(fake_github.issues(REPO)) == 3 and ticket_cells(doc) == ["", "", ""]

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert result.one()["recovered"] == ["#1", "#2", "#3"] and result.one()["created"] == []
    assert len(fake_github.issues(REPO)) == 3
    assert ticket_cells(doc) == ["#1", "#2", "#3"]


@pytest.mark.parametrize("redirect", ["url", "repository_id"])
def test_transferred_issue_is_followed_and_its_new_key_written(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, redirect: str
) -> None:
    configure(workdir, fake_github, monkeypatch)
    fake_github.add_repo("acme/infra", labels=["postmortem", "P0"])
    fake_github.add_collaborator("acme/infra", "bob")
    doc = write_doc(workdir)
    assert cli("push", str(doc)).code == 0
    new_number = fake_github.transfer_issue(REPO, 2, "acme/infra", redirect=redirect)
    fake_github.clear_log()

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert result.one()["moved"] == [{"from": "#2", "to": f"acme/infra#{new_number}"}]
    assert ticket_cells(doc) == ["#1", f"acme/infra#{new_number}", "#3"]
    assert writes(fake_github) == []  # nothing else drifted

    fake_github.clear_log()
    again = cli("push", str(doc), "--json")
    assert again.one()["unchanged"] == ["#1", f"acme/infra#{new_number}", "#3"]
    assert again.one()["moved"] == [] and writes(fake_github) == []

    doc.write_text(doc.read_text().replace("@bob | 2024-01-17", "@bob | 2024-01-18"))
    fake_github.clear_log()
    changed = cli("push", str(doc), "--json")
    assert changed.one()["updated"] == [f"acme/infra#{new_number}"]
    assert writes(fake_github) == [("PATCH", f"/repos/acme/infra/issues/{new_number}")]


def test_deleted_issue_is_a_located_error(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    doc = write_doc(workdir)
    assert cli("push", str(doc)).code == 0
    fake_github.delete_issue(REPO, 2)
    fake_github.clear_log()

    result = cli("push", str(doc), "--json")

    assert result.code == 1
    [error] = result.one()["errors"]
    assert error["line"] == 15 and "#2" in error["message"]
    assert "does not exist" in error["message"]
    assert writes(fake_github) == []


def test_primary_rate_limit_is_waited_out_until_reset(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    doc = write_doc(workdir)
    slept = patch_sleep(monkeypatch, fake_github)
    fake_github.exhaust_primary(reset_in=30)

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert result.one()["created"] == ["#1", "#2", "#3"]
    assert len(slept) == 1 and 29 <= slept[0] <= 32
    assert len(fake_github.issues(REPO)) == 3


@pytest.mark.parametrize("status", [403, 429])
def test_primary_rate_limit_beyond_the_bound_is_a_clear_error(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    configure(workdir, fake_github, monkeypatch, extra="max_wait = 60")
    doc = write_doc(workdir)
    slept = patch_sleep(monkeypatch, fake_github)
    fake_github.exhaust_primary(reset_in=3600, status=status)

    result = cli("push", str(doc), "--json")

    assert result.code == 1
    [error] = result.one()["errors"]
    assert "rate limit" in error["message"]
    assert "max_wait" in error["hint"]
    assert slept == [] and writes(fake_github) == []


def test_primary_rate_limit_while_creating_waits_and_creates_once(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    doc = write_doc(workdir)
    slept = patch_sleep(monkeypatch, fake_github)
    fake_github.inject(
        "POST",
        CREATE,
        status=403,
        times=1,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(fake_github.now()) + 5)},
        body={
            "message": "API rate limit exceeded for user ID 1.",
            "documentation_url": "https://docs.github.com/rest",
        },
    )

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    # a refused create might have been carried out: it is looked up, then sent again, once
    assert len(fake_github.issues(REPO)) == 3 and 4 <= slept[0] <= 7 and sum(slept[1:]) <= 2
    assert len(fake_github.requests_to("POST", CREATE)) == 4


@pytest.mark.parametrize(
    ("method", "path", "retry_after", "expected"),
    [
        ("POST", CREATE, 7, 7.0),  # on a create: honoured, and the create is not duplicated
        ("GET", CREATE, 3, 3.0),  # on the marker look-up
        ("GET", CREATE, None, 60.0),  # no retry-after: GitHub asks for at least a minute
    ],
)
def test_secondary_rate_limit_is_honoured(
    workdir: Path,
    cli,
    fake_github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    retry_after: int | None,
    expected: float,
) -> None:
    configure(workdir, fake_github, monkeypatch)
    doc = write_doc(workdir)
    slept = patch_sleep(monkeypatch, fake_github)
    fake_github.secondary_limit(method, path, retry_after=retry_after, status=403)

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert slept[0] == expected
    assert sum(slept[1:]) <= (2 if method == "POST" else 0)  # a create's short recheck
    assert len(fake_github.issues(REPO)) == 3


def test_secondary_limit_429_on_update(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    doc = write_doc(workdir)
    assert cli("push", str(doc)).code == 0
    doc.write_text(doc.read_text().replace("@bob | 2024-01-17", "@bob | 2024-01-19"))
    slept = patch_sleep(monkeypatch, fake_github)
    fake_github.secondary_limit("PATCH", r"/issues/2$", retry_after=2, status=429)

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert result.one()["updated"] == ["#2"] and slept == [2.0]


def test_bad_token_is_an_auth_error_that_never_shows_the_token(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "ghp_SuperSecretValue1234567890"
    configure(workdir, fake_github, monkeypatch, token=secret)
    doc = write_doc(workdir)

    for args in (("push", str(doc), "--json"), ("push", str(doc))):
        result = cli(*args)
        assert result.code == 1
        assert secret not in result.stdout + result.stderr
        assert TOKEN_ENV in result.stdout + result.stderr
    error = cli("push", str(doc), "--json").one()["errors"][0]
    assert "401" in error["message"] and "trackers.github.token_env" in error["hint"]
    for path in workdir.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    assert fake_github.issues(REPO) == []
    assert all(r.headers.get("authorization") == "token <redacted>" for r in fake_github.request_log)


def test_missing_token_variable_names_the_variable(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    monkeypatch.delenv(TOKEN_ENV)
    doc = write_doc(workdir)

    result = cli("push", str(doc), "--json")

    assert result.code == 2  # a config error: the run stops, naming the file and the key
    assert TOKEN_ENV in result.stderr and "trackers.github.token_env" in result.stderr
    assert "pm-sync.toml" in result.stderr
    assert fake_github.request_log == []


def test_missing_repository_is_a_clear_error(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    text = (workdir / "pm-sync.toml").read_text().replace('repo = "acme/app"', 'repo = "acme/nope"')
    (workdir / "pm-sync.toml").write_text(text)
    doc = write_doc(workdir)

    result = cli("push", str(doc), "--json")

    assert result.code == 1
    error = result.one()["errors"][0]
    assert "acme/nope" in error["message"] and "trackers.github.repo" in error["hint"]
    assert writes(fake_github) == []


def test_a_configured_but_unused_github_tracker_needs_no_token(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    config = workdir / "pm-sync.toml"
    config.write_text(config.read_text().replace('tracker = "github"', 'tracker = "local"'))
    monkeypatch.delenv(TOKEN_ENV)
    doc = write_doc(workdir)

    assert cli("push", str(doc)).code == 0
    result = cli("push", str(doc), "--json")  # keys in the table: every tracker is asked

    assert result.code == 0, result.stdout
    assert result.one()["unchanged"] == ["PM-1", "PM-2", "PM-3"]
    assert fake_github.request_log == []


class _BareLinkGitHub(FakeGitHub):
    """A double that copies the docs' Link example: `rel="next"` carries only `page=N`."""

    def _paginate(self, items, query, raw_query, link_base, doc):  # type: ignore[no-untyped-def]
        chunk, headers = super()._paginate(items, query, raw_query, link_base, doc)
        if "link" in headers:
            headers["link"] = re.sub(r"\?[^>]*?(page=\d+)>", r"?\1>", headers["link"])
        return chunk, headers


def test_marker_on_a_later_page_is_found_when_links_drop_the_query(
    workdir: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _BareLinkGitHub(token=TOKEN) as fake:
        configure(workdir, fake, monkeypatch)
        doc = write_doc(workdir, NEW_ROWS[:1])
        assert cli("push", str(doc)).code == 0  # issue #1, with its marker
        for n in range(150):  # newer labelled issues push #1 to page 2 of the listing
            fake.add_issue(REPO, f"Newer item {n}", labels=["postmortem"])
        fake.close_issue(REPO, 1, reason="completed")
        doc.write_text(doc.read_text().replace("| #1 |", "|  |"))  # as if never written back

        result = cli("push", str(doc), "--json")

        assert result.code == 0, result.stdout
        assert result.one()["recovered"] == ["#1"] and result.one()["created"] == []
        pages = [r.query for r in fake.requests_to("GET", r"/issues$")]
        assert all(q.get("labels") == "postmortem" and q.get("state") == "all" for q in pages)
