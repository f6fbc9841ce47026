"""GitHub as its public docs describe it, not as our fake happens to behave: Enterprise Server
under /api/v3, 30 issues a page whatever `per_page` says, no rate-limit headers, null bodies,
transfers, pull requests in a Ticket cell, and Projects v2 boards and limits over GraphQL.

Story style, through the real CLI; only the tracker (FakeGitHub and a subclass) is a double.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, SkipClock, postmortem_text, use_clock
from tests.fakes.fake_github import FakeGitHub
from tests.github_env import BOARD, TOKEN, TOKEN_ENV, patch_sleep
from tests.tracker_stories import STATUS_DELIM, STATUS_HEADER, gh_ticket_writes, gh_writes

Cli = Callable[..., CliResult]
REPO = "acme/app"
ROWS4 = [
    ("P0", "Integration test for connection pool", "@alice", "2024-01-22"),
    ("P0", "Lower DB alert threshold to 70%", "@bob", "2024-01-17"),
    ("P1", "Document connection management patterns", "@alice", "2024-01-29"),
    ("P2", "Add pool saturation dashboard", "@bob", "2024-02-05"),
]


# =========================================================================== helpers


def cells(doc: Path, column: int) -> list[str]:
    rows = [ln for ln in doc.read_text().splitlines() if re.match(r"\| P\d ", ln)]
    return [ln.strip().strip("|").split("|")[column].strip() for ln in rows]


def tickets(doc: Path) -> list[str]:
    return cells(doc, 4)


def statuses(doc: Path) -> list[str]:
    return cells(doc, 5)


def status_doc(path: Path, rows: list[tuple[str, ...]], status: str = "Final") -> Path:
    """A postmortem whose table has empty Ticket cells and an `Open` Status column."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        postmortem_text(
            [(*r, "", "Open") for r in rows], header=STATUS_HEADER, delimiter=STATUS_DELIM, status=status
        )
    )
    return path


def json_of(result: CliResult) -> Any:
    try:
        return result.json()
    except ValueError:
        raise AssertionError(f"not JSON (exit {result.code}):\n{result.stdout}\n{result.stderr}") from None


# =========================================================================== GitHub double


class DocsGitHub(FakeGitHub):
    """GitHub as someone else read its docs.

    * `per_page` is ignored: every list page holds 30 items (the documented default);
    * `Link` points at `/repositories/{id}/issues?…&page=N` (the fake's default style);
    * no `x-ratelimit-*` headers on any reply (some GHES proxies strip them);
    * labels carry extra fields GitHub may add; `assignee` is null while `assignees` is set.
    """

    def _paginate(self, items: Any, query: dict[str, str], raw_query: str, link_base: str, doc: str) -> Any:
        query = {k: v for k, v in query.items() if k != "per_page"}
        raw = "&".join(p for p in raw_query.split("&") if not p.startswith("per_page="))
        return super()._paginate(items, query, raw, link_base, doc)

    def _rate_headers(self) -> dict[str, str]:
        return {}

    def _with_unauth_headers(self, reply: Any) -> Any:
        return reply

    def _label_json(self, repo: Any, lab: Any) -> dict[str, Any]:
        data = super()._label_json(repo, lab)
        data.update({"is_exclusive": False, "created_at": "2024-01-01T00:00:00Z", "archived_at": None})
        return data

    def _issue_json(self, iss: Any) -> dict[str, Any]:
        data = super()._issue_json(iss)
        data["assignee"] = None  # deprecated field left empty; `assignees` is the truth
        data["pinned_comment"] = None
        return data


@pytest.fixture
def docs_gh(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    """DocsGitHub as GitHub Enterprise Server (/api/v3), acme/app with 70 older labelled issues
    and two labelled pull requests, alice and bob assignable; sleeps advance the fake's clock."""
    with DocsGitHub(token=TOKEN, prefix="/api/v3") as fake:
        fake.add_repo(REPO)
        for login in ("alice", "bob"):
            fake.add_collaborator(REPO, login)
        for n in range(70):
            fake.add_issue(
                REPO,
                f"Older item {n}",
                labels=["postmortem", "P2"],
                body=None if n % 3 == 0 else f"older body {n}",
                created_at=fake.now() - 90 * 86400 + n,
            )
        fake.add_pull_request(REPO, "Fix pool sizing", labels=["postmortem"])
        fake.add_pull_request(REPO, "Bump deps", labels=["postmortem", "P0"])
        monkeypatch.setenv(TOKEN_ENV, TOKEN)
        write_gh_config(workdir, fake)
        patch_sleep(monkeypatch, fake)
        yield fake


def write_gh_config(workdir: Path, fake: FakeGitHub, extra: str = "") -> None:
    (workdir / "pm-sync.toml").write_text(
        'tracker = "github"\n\n[trackers.github]\n'
        f'repo = "{REPO}"\napi_url = "{fake.api_url}"\ntoken_env = "{TOKEN_ENV}"\n'
        "timeout = 5\nseconds_between_writes = 0\n" + extra
    )


def numbers(doc: Path) -> list[int]:
    return [int(c.rsplit("#", 1)[1]) for c in tickets(doc)]


def issue_by_number(fake: FakeGitHub, repo: str, n: int) -> dict[str, Any]:
    found = fake.get_issue(repo, n)
    assert found is not None, (repo, n)
    return found


def test_push_reconcile_overdue_against_a_docs_double_on_ghes(
    workdir: Path, cli: Cli, docs_gh: FakeGitHub
) -> None:
    doc = status_doc(workdir / "docs" / "technical" / "postmortem-2024-01-15-payments.md", ROWS4)

    pushed = cli("push", str(doc), "--json")

    assert pushed.code == 0, pushed.stdout + pushed.stderr
    assert json_of(pushed)[0]["created"] == ["#73", "#74", "#75", "#76"]
    assert tickets(doc) == ["#73", "#74", "#75", "#76"]
    made = [issue_by_number(docs_gh, REPO, n) for n in (73, 74, 75, 76)]
    assert [[a["login"] for a in i["assignees"]] for i in made] == [["alice"], ["bob"], ["alice"], ["bob"]]
    assert [sorted(lab["name"] for lab in i["labels"]) for i in made] == [
        ["P0", "postmortem"],
        ["P0", "postmortem"],
        ["P1", "postmortem"],
        ["P2", "postmortem"],
    ]
    assert len(docs_gh.issues(REPO)) == 74  # 70 older + 4, PRs not counted

    docs_gh.clear_log()
    again = cli("push", str(doc), "--json")
    assert json_of(again)[0]["unchanged"] == ["#73", "#74", "#75", "#76"]
    assert gh_writes(docs_gh) == []

    docs_gh.close_issue(REPO, 73, reason="completed")
    docs_gh.close_issue(REPO, 74, reason="not_planned")
    docs_gh.clear_log()
    rec = cli("reconcile", str(doc), "--json")

    assert rec.code == 0, rec.stdout + rec.stderr
    [out] = json_of(rec)
    assert {(p["key"], p["field"], p["value"]) for p in out["pulled"]} == {
        ("#73", "status", "Done"),
        ("#74", "status", "Won't do"),
    }
    assert statuses(doc) == ["Done", "Won't do", "Open", "Open"]
    assert gh_ticket_writes(docs_gh) == []
    assert len(docs_gh.issues(REPO)) == 74

    report = cli("overdue", str(doc), "--as-of", "2024-02-01", "--format", "json")
    assert report.code == 0, report.stderr
    assert [r["ticket"] for r in json_of(report)["overdue"]] == ["#75"]


def test_lost_create_reply_on_a_thirty_per_page_double_is_recovered_not_duplicated(
    workdir: Path, cli: Cli, docs_gh: FakeGitHub
) -> None:
    doc = status_doc(workdir / "postmortem-2024-01-15-payments.md", ROWS4)
    # GitHub stores the second issue, then the connection drops before the reply
    docs_gh.inject("POST", r"/repos/acme/app/issues$", drop=True, after=True, times=1)

    first = cli("push", str(doc), "--json")
    second = cli("push", str(doc), "--json")

    assert second.code == 0, second.stdout + second.stderr
    mine = [i for i in docs_gh.issues(REPO) if "pm-sync" in (i["body"] or "")]
    assert len(mine) == 4, [i["title"] for i in mine]
    assert sorted(numbers(doc)) == sorted(i["number"] for i in mine)
    assert first.code in (0, 1)


def test_issue_with_a_null_body_referenced_in_the_table_is_adopted(
    workdir: Path, cli: Cli, docs_gh: FakeGitHub
) -> None:
    n = docs_gh.add_issue(REPO, "pool test (filed by hand)", body=None)
    doc = workdir / "postmortem-2024-01-15-payments.md"
    doc.write_text(
        postmortem_text([("P0", "Integration test for connection pool", "@alice", "2024-01-22", f"#{n}")])
    )

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout + result.stderr
    assert json_of(result)[0]["updated"] == [f"#{n}"]
    issue = issue_by_number(docs_gh, REPO, n)
    assert issue["title"] == "Integration test for connection pool"
    assert [a["login"] for a in issue["assignees"]] == ["alice"]
    assert "<!-- pm-sync:" in issue["body"]
    docs_gh.clear_log()
    assert json_of(cli("push", str(doc), "--json"))[0]["unchanged"] == [f"#{n}"]
    assert gh_writes(docs_gh) == []


def test_transfer_redirect_to_repositories_id_on_ghes_is_followed_by_reconcile(
    workdir: Path, cli: Cli, docs_gh: FakeGitHub
) -> None:
    docs_gh.add_repo("acme/infra", labels=["postmortem", "P0", "P1", "P2"])
    docs_gh.add_collaborator("acme/infra", "bob")
    doc = status_doc(workdir / "postmortem-2024-01-15-payments.md", ROWS4)
    assert cli("push", str(doc)).code == 0
    new = docs_gh.transfer_issue(REPO, 74, "acme/infra", redirect="repository_id")
    docs_gh.close_issue("acme/infra", new, reason="completed")

    rec = cli("reconcile", str(doc), "--json")

    assert rec.code == 0, rec.stdout + rec.stderr
    assert tickets(doc) == ["#73", f"acme/infra#{new}", "#75", "#76"]
    assert statuses(doc) == ["Open", "Done", "Open", "Open"]
    report = cli("overdue", str(doc), "--as-of", "2024-02-01", "--format", "json")
    assert [r["ticket"] for r in json_of(report)["overdue"]] == ["#73", "#75"]


def test_primary_limit_without_headers_then_secondary_429_during_reconcile(
    workdir: Path, cli: Cli, docs_gh: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = status_doc(workdir / "postmortem-2024-01-15-payments.md", ROWS4)
    assert cli("push", str(doc)).code == 0
    slept = patch_sleep(monkeypatch, docs_gh)
    reset = str(int(docs_gh.now()) + 4)
    docs_gh.inject(
        "GET",
        r"/issues$",
        status=403,
        times=1,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
        body={
            "message": "API rate limit exceeded for user ID 1.",
            "documentation_url": "https://docs.github.com/rest",
        },
    )
    docs_gh.secondary_limit("GET", r"/issues$", retry_after=3, status=429)
    docs_gh.close_issue(REPO, 75, reason="completed")

    rec = cli("reconcile", str(doc), "--json")

    assert rec.code == 0, rec.stdout + rec.stderr
    assert statuses(doc) == ["Open", "Open", "Done", "Open"]
    assert len(slept) == 2 and 3 <= slept[0] <= 7 and slept[1] == 3.0


def test_overdue_waits_out_a_secondary_limit_instead_of_trusting_stale_status_cells(
    workdir: Path, cli: Cli, docs_gh: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = status_doc(workdir / "postmortem-2024-01-15-payments.md", ROWS4)
    assert cli("push", str(doc)).code == 0
    docs_gh.close_issue(REPO, 73, reason="completed")
    slept = patch_sleep(monkeypatch, docs_gh)
    # overdue reads the tickets by number over GraphQL: the limit hits that read
    docs_gh.secondary_limit("POST", r"^/graphql$", retry_after=2, status=429)

    report = cli("overdue", str(doc), "--as-of", "2024-02-01", "--format", "json")

    data = json_of(report)
    assert [r["ticket"] for r in data["overdue"]] == ["#75", "#74"]  # @alice, then @bob
    assert data["warnings"] == [] and slept == [2.0]


@pytest.mark.parametrize("command", ["push", "reconcile"])
@pytest.mark.parametrize("cell", ["#71", "https://github.com/acme/app/pull/71"])
def test_a_pull_request_in_the_ticket_cell_is_never_edited(
    workdir: Path, cli: Cli, docs_gh: FakeGitHub, command: str, cell: str
) -> None:
    """Teams often link the fix PR in the Ticket (or Link) column; pm-sync must not rewrite it."""
    doc = workdir / "postmortem-2024-01-15-payments.md"
    doc.write_text(
        postmortem_text(
            [("P0", "Integration test for connection pool", "@alice", "2024-01-22", cell, "Open")],
            header=STATUS_HEADER,
            delimiter=STATUS_DELIM,
        )
    )
    before = docs_gh.issues(REPO, include_pull_requests=True)
    pr = next(i for i in before if i["number"] == 71)
    assert "pull_request" in pr and pr["title"] == "Fix pool sizing"
    docs_gh.clear_log()

    cli(command, str(doc), "--json")

    assert [w for w in gh_writes(docs_gh) if w[1].endswith("/issues/71")] == []
    after = next(i for i in docs_gh.issues(REPO, include_pull_requests=True) if i["number"] == 71)
    assert after["title"] == "Fix pool sizing" and after["assignees"] == []


# =========================================================================== Projects v2


PRIORITIES = ["P0", "P1", "P2", "P3", "P4"]


@pytest.fixture
def board(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    """FakeGitHub with the org board `acme/5` (Due date, Priority) on its GraphQL endpoint."""
    with FakeGitHub(token=TOKEN) as fake:
        fake.add_repo(REPO)
        for login in ("alice", "bob"):
            fake.add_collaborator(REPO, login)
        fake.add_project("acme", 5, fields={"Due date": None, "Priority": PRIORITIES})
        monkeypatch.setenv(TOKEN_ENV, TOKEN)
        write_gh_config(workdir, fake, BOARD)
        patch_sleep(monkeypatch, fake)
        yield fake


def graphql_named(fake: FakeGitHub, name: str) -> int:
    """How many times GraphQL requests asked for `name` (aliased mutations counted each)."""
    return sum(
        str((r.json or {}).get("query")).count(name + "(") for r in fake.requests_to("POST", "^/graphql$")
    )


def board_values(fake: FakeGitHub, node_id: str) -> dict[str, Any] | None:
    return fake.graphql.item_values("acme", 5, node_id)


def test_board_fields_are_looked_up_once_for_a_whole_reconcile_run(
    workdir: Path, cli: Cli, board: FakeGitHub
) -> None:
    fake = board
    a = status_doc(workdir / "docs" / "postmortem-2024-01-15-a.md", ROWS4[:2])
    b = status_doc(workdir / "docs" / "postmortem-2024-02-01-b.md", ROWS4[2:])

    result = cli("reconcile", str(workdir / "docs"), "--json")

    assert result.code == 0, result.stdout + result.stderr
    assert [o["created"] for o in json_of(result)] == [["#1", "#2"], ["#3", "#4"]]
    assert graphql_named(fake, "projectV2") == 1
    nodes = [i["node_id"] for i in fake.issues(REPO)]
    assert [board_values(fake, n) for n in nodes] == [{"Due date": d, "Priority": p} for p, _, _, d in ROWS4]
    assert tickets(a) == ["#1", "#2"] and tickets(b) == ["#3", "#4"]


def test_issue_whose_board_step_failed_reaches_the_board_on_the_next_push(
    workdir: Path, cli: Cli, board: FakeGitHub
) -> None:
    fake = board
    fake.graphql.fail_next("addProjectV2ItemById", "FORBIDDEN", "Resource not accessible by integration")
    doc = status_doc(workdir / "postmortem-2024-01-15-payments.md", ROWS4[:1])

    first = cli("push", str(doc), "--json")
    assert first.code == 1 and "Resource not accessible" in json_of(first)[0]["errors"][0]["message"]

    second = cli("push", str(doc), "--json")

    assert second.code == 0, second.stdout
    assert tickets(doc) == ["#1"] and len(fake.issues(REPO)) == 1
    node = fake.issues(REPO)[0]["node_id"]
    assert board_values(fake, node) == {"Due date": "2024-01-22", "Priority": "P0"}


def test_successful_graphql_reply_that_spends_the_last_point_is_not_a_rate_limit(
    workdir: Path, cli: Cli, board: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = board
    waits = SkipClock()
    use_clock(monkeypatch, waits)
    reset = str(int(fake.now()) + 3600)
    fake.inject(
        "POST",
        "^/graphql$",
        headers={
            "x-ratelimit-remaining": "0",
            "x-ratelimit-limit": "5000",
            "x-ratelimit-reset": reset,
            "x-ratelimit-resource": "graphql",
        },
        times=None,  # every GraphQL reply says the quota is spent, and each still succeeded
    )
    doc = status_doc(workdir / "postmortem-2024-01-15-payments.md", ROWS4[:1])

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert waits.slept == []
    assert graphql_named(fake, "updateProjectV2ItemFieldValue") == 2  # due and priority
    assert board_values(fake, fake.issues(REPO)[0]["node_id"]) == {"Due date": "2024-01-22", "Priority": "P0"}


def test_graphql_rate_limited_with_http_200_is_waited_out(
    workdir: Path, cli: Cli, board: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = board
    waits = SkipClock()
    use_clock(monkeypatch, waits)
    slept = waits.slept
    reset = str(int(time.time()) + 4)
    fake.inject(
        "POST",
        "^/graphql$",
        status=200,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
        body={"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}]},
    )
    doc = status_doc(workdir / "postmortem-2024-01-15-payments.md", ROWS4[:1])

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert len(slept) == 1 and 2 <= slept[0] <= 6
    assert graphql_named(fake, "projectV2") == 2  # the limited board query, sent again after the wait
    assert board_values(fake, fake.issues(REPO)[0]["node_id"]) == {"Due date": "2024-01-22", "Priority": "P0"}
