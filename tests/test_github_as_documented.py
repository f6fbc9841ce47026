"""QA round 2: a GitHub double written by someone else from GitHub's public docs, Projects v2
on its GraphQL endpoint, and reconcile / overdue on postmortem sets pm-sync has never seen.

Story style, through the real CLI. Only the trackers (FakeGitHub subclasses, respx for Slack)
are doubles. Every bug this pass found is fixed; its test stays as a regression test.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from tests.conftest import CliResult, SkipClock, local_tickets, postmortem_text, use_clock
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


# =========================================================================== unseen postmortem sets


def _pm(title: str, date: str, status: str, body: str, quick: bool = False) -> str:
    head = "Quick Postmortem" if quick else "Postmortem"
    return (
        f"# {head}: {title}\n\n**Date**: {date} | **Severity**: SEV2 | **Duration**: 1h\n"
        f"**Authors**: @alice | **Status**: {status}\n\n{body}"
    )


UNSEEN = {
    "docs/technical/postmortem-2024-03-01-api-latency.md": _pm(
        "API latency spike",
        "2024-03-01",
        "Final",
        "## Action items\n\n| Priority | Action | Owner | Due | Ticket | Status |\n"
        "|---|---|---|---|---|---|\n"
        "| P0 | Add latency SLO alert | @alice | 2024-03-05 | | Open |\n"
        "| P1 | Tune GC settings | @bob | 2024-03-12 | | In progress |\n"
        "| P2 | Write runbook | @carol | 2024-03-02 | | Open |\n"
        "| P1 | Capacity review | | 2024-03-20 | | Open |\n"
        "| P0 | Load test the API | @dave | | | Open |\n"
        "| P0 | Roll back bad config | @alice | 2024-03-02 | | Done |\n"
        "| P1 | Rewrite the gateway | @bob | 2024-03-03 | | Won't do |\n",
    ),
    "docs/technical/postmortem-2024-03-04-dns.md": _pm(
        "DNS resolution failures",
        "2024-03-04",
        "Draft",
        "## Action items\n\n| Priority | Action | Owner | Due | Ticket |\n|---|---|---|---|---|\n"
        "| P0 | Add second resolver | @bob | 2024-03-08 | |\n",
    ),
    "docs/technical/postmortem-2024-02-20-cache-quick.md": _pm(
        "Cache stampede",
        "2024-02-20",
        "Draft",
        "**What happened**: Cache expired at once.\n\n**Fixes**: jitter the TTLs\n",
        quick=True,
    ),
    "docs/technical/postmortem-2024-02-10-queue.md": (
        "---\ntitle: Queue backlog\ndate: 2024-02-10\nseverity: SEV2\nstatus: Final\n"
        'authors: ["@erin"]\n---\n\n# Queue backlog\n\n## Follow-ups\n\n'
        "| Pri | Task | DRI | Deadline | Jira | State |\n"
        "|-----|------|-----|----------|------|-------|\n"
        "| P1 | Autoscale consumers | @erin | Mar 1, 2024 | | Open |\n"
        "| P0 | Alert on queue age | @Alice | 2024/03/09 | | In progress |\n"
        "| P1 | Dead-letter review | @erin | 22 Mar 2024 | | Done |\n"
        "| P3 | Rename queues | @erin | 2024-02-15 | | Open |\n"
    ),
    "docs/technical/postmortem-2024-03-02-review.md": _pm(
        "Disk full on db-3",
        "2024-03-02",
        "In review",
        "## Corrective actions\n\n| Priority | Action | Owner | Due |\n|---|---|---|---|\n"
        "| P1 | Add disk alert | @dave | 2024-03-09 |\n| P4 | Clean old logs | @dave | 2024-03-01 |\n",
    ),
    "docs/technical/postmortem-2024-01-05-low.md": _pm(
        "Typo in banner",
        "2024-01-05",
        "Final",
        "## Action items\n\n| Priority | Action | Owner | Due | Ticket |\n|---|---|---|---|---|\n"
        "| P3 | Spell-check banners | @frank | 2024-01-10 | |\n"
        "| P4 | Add banner preview | @frank | 2024-01-20 | |\n",
    ),
    "docs/technical/postmortem-2024-02-28-mixed.md": _pm(
        "Payment webhook drops",
        "2024-02-28",
        "Final",
        "## Action items\n\n| Priority | Action | Owner | Due | Ticket | Status |\n"
        "|---|---|---|---|---|---|\n"
        "| P0 | Retry webhooks | @gina | 2024-03-04 | OPS-12 | Open |\n"
        "| P1 | Idempotency keys | @gina | 2024-03-06 | #44 | Done |\n"
        "| P1 | Webhook dashboard | @alice | 2024-03-10 | | Open |\n"
        "| P0 | Replay dropped events | @gina | 2024-03-17 | | Open |\n"
        "| P0 | Backfill ledger | @gina | 2024-03-18 | | Open |\n",
    ),
    "docs/technical/postmortem-2024-03-06-no-table.md": _pm(
        "Login flaps", "2024-03-06", "Final", "## Action items\n\nNone yet, see thread.\n"
    ),
    "docs/technical/notes.md": (
        "# Notes\n\n| Priority | Action | Owner | Due |\n|---|---|---|---|\n"
        "| P0 | Not a postmortem | @x | 2024-01-01 |\n"
    ),
    "docs/other/postmortem-2024-03-01-elsewhere.md": _pm(
        "Elsewhere",
        "2024-03-01",
        "Final",
        "## Action items\n\n| Priority | Action | Owner | Due |\n|---|---|---|---|\n"
        "| P0 | Outside the configured paths | @x | 2024-03-02 |\n",
    ),
}


@pytest.fixture
def unseen(workdir: Path) -> Path:
    for name, text in UNSEEN.items():
        path = workdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return workdir


def overdue_json(cli: Cli, *args: str) -> dict[str, Any]:
    result = cli("overdue", *args, "--format", "json")
    assert result.code == 0, result.stdout + result.stderr
    data: dict[str, Any] = json_of(result)
    return data


def brief(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["owner"], r["action"], r["days_overdue"]) for r in rows]


def test_weekly_report_over_an_unseen_folder_from_the_default_paths(unseen: Path, cli: Cli) -> None:
    data = overdue_json(cli, "--as-of", "2024-03-10")

    assert brief(data["overdue"]) == [
        ("@Alice", "Alert on queue age", 1),  # @Alice and @alice are one owner
        ("@alice", "Add latency SLO alert", 5),
        ("@bob", "Add second resolver", 2),  # a Draft's P0 still counts
        ("@dave", "Add disk alert", 1),
        ("@erin", "Autoscale consumers", 9),
        ("@gina", "Retry webhooks", 6),
    ]
    assert brief(data["due_soon"]) == [
        ("@alice", "Webhook dashboard", 0),
        ("@bob", "Tune GC settings", -2),
        ("@gina", "Replay dropped events", -7),
    ]
    assert brief(data["unowned"]) == [("@dave", "Load test the API", None), (None, "Capacity review", -10)]
    assert [(d["path"], d["days_since_incident"]) for d in data["stale_drafts"]] == [
        ("docs/technical/postmortem-2024-02-20-cache-quick.md", 19),
        ("docs/technical/postmortem-2024-03-02-review.md", 8),
    ]
    everything = json.dumps(data)
    assert "Not a postmortem" not in everything and "Outside the configured" not in everything
    assert all(r["priority"] in ("P0", "P1") for c in ("overdue", "due_soon", "unowned") for r in data[c])


@pytest.mark.parametrize(
    ("as_of", "resolver", "stale"),
    [
        ("2024-03-08", "due_soon", ["cache-quick"]),  # due that day: not overdue yet
        ("2024-03-09", "overdue", ["cache-quick"]),  # the review is on its Day 7: the deadline
        ("2024-03-10", "overdue", ["cache-quick", "review"]),  # review on Day 8: stale
        ("2024-03-11", "overdue", ["cache-quick", "review"]),  # dns Draft on Day 7: not yet stale
        ("2024-03-12", "overdue", ["cache-quick", "review", "dns"]),  # dns on Day 8
    ],
)
def test_as_of_boundaries_for_due_dates_and_the_day_seven_rule(
    unseen: Path, cli: Cli, as_of: str, resolver: str, stale: list[str]
) -> None:
    data = overdue_json(cli, "--as-of", as_of)

    where = [c for c in ("overdue", "due_soon") if any(r["action"] == "Add second resolver" for r in data[c])]
    assert where == [resolver]
    assert [
        d["path"].rsplit("-", 1)[-1].removesuffix(".md") if "quick" not in d["path"] else "cache-quick"
        for d in data["stale_drafts"]
    ] == stale


def test_priorities_widen_the_set_but_p3_p4_stay_out(unseen: Path, cli: Cli) -> None:
    data = overdue_json(cli, "--as-of", "2024-03-10", "--priorities", "P0,P1,P2")

    assert ("@carol", "Write runbook", 8) in brief(data["overdue"])
    assert data["priorities"] == ["P0", "P1", "P2"]
    listed = {r["action"] for c in ("overdue", "due_soon", "unowned") for r in data[c]}
    assert not listed & {"Rename queues", "Clean old logs", "Spell-check banners", "Add banner preview"}


def test_every_format_and_fail_on_overdue(unseen: Path, cli: Cli) -> None:
    table = cli("overdue", "--as-of", "2024-03-10")
    markdown = cli("overdue", "--as-of", "2024-03-10", "--format", "markdown")
    rows = list(
        csv.DictReader(io.StringIO(cli("overdue", "--as-of", "2024-03-10", "--format", "csv").stdout))
    )
    failing = cli("overdue", "--as-of", "2024-03-10", "--fail-on-overdue", "--format", "csv")
    calm = cli("overdue", "--as-of", "2024-02-01", "--fail-on-overdue")

    assert table.code == markdown.code == 0
    assert table.stdout.startswith(
        "as of 2024-03-10 (P0, P1): 6 overdue, 3 due within 7 days,"
        " 2 without owner or due date, 2 stale drafts"
    )
    assert "### @gina" in markdown.stdout and "| Retry webhooks |" in markdown.stdout
    assert [r["category"] for r in rows].count("overdue") == 6
    assert [r["category"] for r in rows].count("stale_drafts") == 2
    assert failing.code == 1 and failing.stdout.startswith("category,")
    assert calm.code == 0


def test_tracker_status_beats_the_status_column_across_the_set(unseen: Path, cli: Cli) -> None:
    pushed = cli("push", "docs/technical", "--json")
    assert pushed.code == 1  # the mixed one names OPS-12 / #44 no tracker owns; drafts refused
    keys = {t["summary"]: t["key"] for t in local_tickets(unseen)}
    assert cli("local", "close", keys["Autoscale consumers"]).code == 0
    assert cli("local", "close", keys["Alert on queue age"], "--wont-do").code == 0
    assert cli("local", "close", keys["Tune GC settings"]).code == 0

    data = overdue_json(cli, "--as-of", "2024-03-10")

    overdue = {r["action"]: (r["ticket"], r["status"], r["tracker_status"]) for r in data["overdue"]}
    assert "Autoscale consumers" not in overdue and "Alert on queue age" not in overdue
    assert overdue["Add latency SLO alert"] == (keys["Add latency SLO alert"], "open", "open")
    assert "Tune GC settings" not in {r["action"] for r in data["due_soon"]}


# -- Slack -------------------------------------------------------------------------------------

HOOK = "https://hooks.slack.com/services/T0QA2/B0QA2/qa2s3cr3tHookToken"
HOOK_VAR = "PM_SYNC_QA2_SLACK"


def test_report_of_the_unseen_set_reaches_slack_after_a_429(
    unseen: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:

    waited: list[float] = []
    waits = SkipClock()
    use_clock(monkeypatch, waits)
    waited = waits.slept
    monkeypatch.setenv(HOOK_VAR, HOOK)
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(HOOK).mock(
            side_effect=[
                httpx.Response(429, text="rate_limited", headers={"Retry-After": "3"}),
                httpx.Response(200, text="ok"),
            ]
        )
        result = cli("overdue", "--as-of", "2024-03-10", "--slack-webhook-env", HOOK_VAR, "--fail-on-overdue")

    assert result.code == 1 and route.call_count == 2 and waited == [3.0]
    text = json.loads(route.calls.last.request.content)["text"]
    assert "Retry webhooks" in text and "Cache stampede" in text
    assert "qa2s3cr3t" not in result.stdout + result.stderr


def test_slack_invalid_payload_fails_the_run_but_prints_the_report(
    unseen: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:

    use_clock(monkeypatch, SkipClock())
    monkeypatch.setenv(HOOK_VAR, HOOK)
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(HOOK).mock(return_value=httpx.Response(400, text="invalid_payload"))
        result = cli("overdue", "--as-of", "2024-03-10", "--slack-webhook-env", HOOK_VAR, "--format", "json")

    assert result.code == 1 and route.call_count == 1
    assert json_of(result)["as_of"] == "2024-03-10"
    assert "invalid_payload" in result.stderr and "qa2s3cr3t" not in result.stderr


# -- reconcile ---------------------------------------------------------------------------------


def test_nightly_reconcile_over_several_unseen_files_with_local_tracker(unseen: Path, cli: Cli) -> None:
    from pm_sync_local import LocalStore

    mixed = unseen / "docs/technical/postmortem-2024-02-28-mixed.md"
    mixed.write_text(mixed.read_text().replace("OPS-12", "").replace("#44", ""))
    broken = unseen / "docs/technical/postmortem-2024-03-07-broken.md"
    broken.write_text(
        _pm(
            "Broken dates",
            "2024-03-07",
            "Final",
            "## Action items\n\n| Priority | Action | Owner | Due | Ticket |\n"
            "|---|---|---|---|---|\n| P0 | Good row | @h | 2024-03-09 | |\n"
            "| P1 | Bad date row | @h | next week | |\n",
        )
    )
    first = cli("reconcile", "--json")
    assert first.code == 1, first.stdout
    by_file = {Path(o["file"]).name: o for o in json_of(first)}
    assert by_file["postmortem-2024-03-07-broken.md"]["errors"][0]["line"] == 11
    assert by_file["postmortem-2024-03-07-broken.md"]["created"] == []
    assert len(by_file["postmortem-2024-03-01-api-latency.md"]["created"]) == 7
    assert by_file["postmortem-2024-03-04-dns.md"]["skipped"]
    assert by_file["postmortem-2024-02-20-cache-quick.md"]["skipped"]
    assert by_file["postmortem-2024-03-02-review.md"]["skipped"]
    for out in by_file.values():
        assert {"created", "updated", "unchanged", "pulled", "conflicts", "missing", "errors"} <= set(out)

    keys = {t["summary"]: t["key"] for t in local_tickets(unseen)}
    store = LocalStore(unseen / ".pm-sync" / "local.db")
    store.set_status(keys["Autoscale consumers"], "done")
    store.update(keys["Webhook dashboard"], {"due": "2024-03-30"})
    latency = unseen / "docs/technical/postmortem-2024-03-01-api-latency.md"
    latency.write_text(latency.read_text().replace("@bob | 2024-03-12", "@bob | 2024-03-14"))
    mixed.write_text(mixed.read_text().replace("@alice | 2024-03-10", "@alice | 2024-03-11"))

    second = cli("reconcile", "--json")

    assert second.code == 1
    by_file = {Path(o["file"]).name: o for o in json_of(second)}
    queue = by_file["postmortem-2024-02-10-queue.md"]
    assert queue["pulled"] == [
        {"key": keys["Autoscale consumers"], "field": "status", "value": "Done", "line": "15"}
    ]
    assert by_file["postmortem-2024-03-01-api-latency.md"]["updated"] == [keys["Tune GC settings"]]
    [conflict] = by_file["postmortem-2024-02-28-mixed.md"]["conflicts"]
    assert (conflict["field"], conflict["document"], conflict["tracker"]) == (
        "due",
        "2024-03-11",
        "2024-03-30",
    )
    assert (
        "| P1 | Autoscale consumers | @erin | Mar 1, 2024 | " + keys["Autoscale consumers"] + " | Done |"
        in (unseen / "docs/technical/postmortem-2024-02-10-queue.md").read_text()
    )
    assert "next week" in broken.read_text()
