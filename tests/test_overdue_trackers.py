"""The weekly overdue report end to end against Jira (Cloud and Data Center) and GitHub Issues.

"Done" is what the tracker says right now (one batched read), not what the Status column says;
only when the tracker cannot be reached does the report fall back to the column, with a warning.
"""

from __future__ import annotations

import csv
import io
import socket
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_subprocess
from tests.fakes.fake_github import FakeGitHub, fake_github
from tests.github_env import REPO, TOKEN, TOKEN_ENV, configure, patch_sleep
from tests.jira_support import JiraEnv, jira_env
from tests.tracker_stories import (
    FIRST_ROW_LINE,
    FOUR_ROWS,
    gh_graphql_reads,
    gh_issue_gets,
    gh_listings,
    gh_writes,
    jira_issue_gets,
    jira_searches,
    jira_writes,
    jql_of,
    status_doc,
)

__all__ = ["fake_github", "jira_env"]  # fixtures re-exported for pytest

DOC = "docs/technical/postmortem-2024-01-15-payments.md"
LINE = {name: FIRST_ROW_LINE + n for n, name in enumerate(("pool", "alert", "docs", "dash"))}
TITLE = "Payment API errors"


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def report(cli: Any, *args: str, code: int = 0) -> tuple[dict[str, Any], str]:
    result = cli("overdue", *args, "--format", "json")
    assert result.code == code, result.stdout + result.stderr
    data: dict[str, Any] = result.json()
    return data, result.stderr


def brief(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["ticket"], r["owner"], r["due"], r["days_overdue"], r["tracker_status"]) for r in rows]


# =============================================================================== Jira


@pytest.fixture
def jira(jira_env: JiraEnv, cli: Any) -> JiraEnv:
    """OPS-1..4 pushed; the Status column and Jira then disagree on purpose:

    OPS-1 pool  (P0, due 01-22): column Open, Jira Done           -> never overdue
    OPS-2 alert (P0, due 01-17): column Done, Jira In Progress    -> overdue (tracker wins)
    OPS-3 docs  (P1, due 01-29): column Open, Jira To Do
    OPS-4 dash  (P1, due 02-05): column Open, Jira Done/Won't Do  -> never overdue
    """
    status_doc(jira_env.doc, FOUR_ROWS, statuses=["Open", "Done", "Open", "Open"])
    assert cli("push", str(jira_env.doc)).code == 0
    jira_env.fake.set_status("OPS-1", "Done", resolution="Done")
    jira_env.fake.set_status("OPS-2", "In Progress")
    jira_env.fake.set_status("OPS-4", "Done", resolution="Won't Do")
    jira_env.fake.clear_log()
    return jira_env


@pytest.mark.parametrize(
    ("as_of", "overdue", "due_soon"),
    [
        ("2024-01-09", [], []),
        ("2024-01-10", [], [("OPS-2", "@bob", "2024-01-17", -7, "in_progress")]),
        ("2024-01-17", [], [("OPS-2", "@bob", "2024-01-17", 0, "in_progress")]),
        ("2024-01-18", [("OPS-2", "@bob", "2024-01-17", 1, "in_progress")], []),
        # OPS-1 (due 01-22, Done in Jira) is never listed, though its Status column says Open
        (
            "2024-01-22",
            [("OPS-2", "@bob", "2024-01-17", 5, "in_progress")],
            [("OPS-3", "@alice", "2024-01-29", -7, "open")],
        ),
        (
            "2024-01-29",
            [("OPS-2", "@bob", "2024-01-17", 12, "in_progress")],
            [("OPS-3", "@alice", "2024-01-29", 0, "open")],
        ),
        (
            "2024-01-30",
            [
                ("OPS-3", "@alice", "2024-01-29", 1, "open"),
                ("OPS-2", "@bob", "2024-01-17", 13, "in_progress"),
            ],
            [],
        ),
        (
            "2024-03-01",
            [
                ("OPS-3", "@alice", "2024-01-29", 32, "open"),
                ("OPS-2", "@bob", "2024-01-17", 44, "in_progress"),
            ],
            [],
        ),
    ],
)
def test_jira_status_decides_overdue_at_each_date(
    jira: JiraEnv, cli: Any, as_of: str, overdue: list[Any], due_soon: list[Any]
) -> None:
    before = jira.doc.read_bytes()

    data, stderr = report(cli, "--as-of", as_of)

    assert data["as_of"] == as_of
    assert brief(data["overdue"]) == overdue
    assert brief(data["due_soon"]) == due_soon
    assert data["unowned"] == [] and data["warnings"] == [] and stderr == ""
    [search] = jira_searches(jira.fake)  # one search for every key
    assert jql_of(search) == 'key in ("OPS-1", "OPS-2", "OPS-3", "OPS-4")'
    assert jira_issue_gets(jira.fake) == [] and jira_writes(jira.fake) == []
    assert jira.doc.read_bytes() == before  # a report never edits the document


def test_jira_rows_carry_ticket_url_and_tracker_status(jira: JiraEnv, cli: Any) -> None:
    data, _ = report(cli, DOC, "--as-of", "2024-01-25", "--fail-on-overdue", code=1)

    assert data["overdue"] == [
        {
            "path": DOC,
            "title": TITLE,
            "line": LINE["alert"],
            "priority": "P0",
            "action": "Lower DB alert threshold to 70%",
            "owner": "@bob",
            "due": "2024-01-17",
            "days_overdue": 8,
            "ticket": "OPS-2",
            "url": f"{jira.fake.url}/browse/OPS-2",
            "tracker_status": "in_progress",
            "status": "in_progress",
            "tracker": "jira",
            "postmortem_status": "Final",
        }
    ]
    assert [(r["ticket"], r["url"], r["tracker_status"]) for r in data["due_soon"]] == [
        ("OPS-3", f"{jira.fake.url}/browse/OPS-3", "open")
    ]


def test_jira_moved_issue_is_still_read_in_the_batch(jira: JiraEnv, cli: Any) -> None:
    jira.fake.move_issue("OPS-3", "SEC")

    data, stderr = report(cli, "--as-of", "2024-01-30")

    assert [(r["line"], r["tracker_status"]) for r in data["overdue"]] == [
        (LINE["docs"], "open"),
        (LINE["alert"], "in_progress"),
    ]
    assert data["overdue"][0]["url"] == f"{jira.fake.url}/browse/SEC-1"
    assert data["overdue"][0]["ticket"] == "SEC-1"  # the key it has now, not the stale one
    assert data["warnings"] == [] and stderr == ""
    assert len(jira_searches(jira.fake)) == 1


def test_jira_one_search_covers_every_postmortem(jira: JiraEnv, cli: Any) -> None:
    other = status_doc(
        jira.doc.parent / "postmortem-2024-02-01-dns.md",
        [("P0", "Fail over DNS automatically", "@alice", "2024-02-03")],
    )
    assert cli("push", str(other), "--json").one()["created"] == ["OPS-5"]
    jira.fake.clear_log()

    data, _ = report(cli, "--as-of", "2024-02-10")

    assert [(Path(r["path"]).name, r["ticket"]) for r in data["overdue"]] == [
        ("postmortem-2024-01-15-payments.md", "OPS-3"),
        ("postmortem-2024-02-01-dns.md", "OPS-5"),
        ("postmortem-2024-01-15-payments.md", "OPS-2"),
    ]
    [search] = jira_searches(jira.fake)
    assert jql_of(search) == 'key in ("OPS-1", "OPS-2", "OPS-3", "OPS-4", "OPS-5")'
    assert jira_issue_gets(jira.fake) == []


def test_jira_deleted_issue_falls_back_to_its_status_column(jira: JiraEnv, cli: Any) -> None:
    jira.fake.delete_issue("OPS-3")

    data, stderr = report(cli, "--as-of", "2024-01-30")

    assert brief(data["overdue"]) == [
        ("OPS-3", "@alice", "2024-01-29", 1, None),
        ("OPS-2", "@bob", "2024-01-17", 13, "in_progress"),
    ]
    assert data["overdue"][0]["status"] == "open"
    assert [(w["code"], w["path"], w["line"], w["message"]) for w in data["warnings"]] == [
        ("ticket-missing", DOC, LINE["docs"], "ticket OPS-3 not found in 'jira'; using the Status column")
    ]
    assert "warning: " in stderr and "OPS-3 not found" in stderr


@pytest.mark.parametrize("how", ["stopped", "closed-port"])
def test_jira_unreachable_falls_back_to_the_status_column(jira: JiraEnv, cli: Any, how: str) -> None:
    if how == "stopped":
        jira.fake.stop()
    else:
        jira.write_config(url=f"http://127.0.0.1:{closed_port()}")
    before = jira.doc.read_bytes()

    data, stderr = report(cli, "--as-of", "2024-01-25")

    # by the column: OPS-1 (Open, due 01-22) is overdue, OPS-2 (Done) is not
    assert brief(data["overdue"]) == [("OPS-1", "@alice", "2024-01-22", 3, None)]
    [row] = data["overdue"]
    assert (row["status"], row["url"], row["tracker"]) == ("open", None, "jira")
    assert brief(data["due_soon"]) == [("OPS-3", "@alice", "2024-01-29", -4, None)]
    [warning] = [w["message"] for w in data["warnings"]]
    assert warning.startswith("tracker 'jira' could not be read (")
    assert warning.endswith("used the Status column for its 4 ticket(s)")
    assert "cannot connect to Jira" in warning
    assert f"warning: {warning}" in " ".join(stderr.split())
    assert jira.fake.token not in stderr + str(data)
    assert jira.doc.read_bytes() == before


def test_jira_unreachable_table_output_does_not_crash(jira: JiraEnv, cli: Any) -> None:
    jira.fake.stop()

    result = cli("overdue", "--as-of", "2024-01-25")

    assert result.code == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        "as of 2024-01-25 (P0, P1): 1 overdue, 1 due within 7 days, "
        "0 without owner or due date, 0 stale drafts"
    )
    assert (
        f"    {DOC}:{LINE['pool']} P0 Integration test for connection pool "
        "(due 2024-01-22, 3 days overdue) OPS-1 [open (document)]"
    ) in result.stdout
    assert "could not be read" in result.stderr


# ============================================================================= GitHub


@pytest.fixture
def gh(workdir: Path, cli: Any, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> Path:
    """#1..#4 pushed; then on GitHub:

    #1 pool  (P0, due 01-22): column Open, closed as completed   -> not overdue
    #2 alert (P0, due 01-17): column Done, still open            -> overdue (tracker wins)
    #3 docs  (P1, due 01-29): column Open, closed as not planned -> not overdue
    #4 dash  (P1, due 02-05): column Open, open                  -> due soon
    """
    configure(workdir, fake_github, monkeypatch)
    patch_sleep(monkeypatch, fake_github)
    doc = status_doc(workdir / DOC, FOUR_ROWS, statuses=["Open", "Done", "Open", "Open"])
    assert cli("push", str(doc)).code == 0
    fake_github.close_issue(REPO, 1, reason="completed")
    fake_github.close_issue(REPO, 3, reason="not_planned")
    fake_github.clear_log()
    return doc


def gh_url(fake: FakeGitHub, number: int) -> str:
    return f"{fake.url}/{REPO}/issues/{number}"


def test_github_closed_is_not_overdue_and_open_is(gh: Path, cli: Any, fake_github: FakeGitHub) -> None:
    data, stderr = report(cli, "--as-of", "2024-02-01")

    assert brief(data["overdue"]) == [("#2", "@bob", "2024-01-17", 15, "open")]
    assert data["overdue"][0]["url"] == gh_url(fake_github, 2)
    assert data["overdue"][0]["tracker"] == "github"
    assert brief(data["due_soon"]) == [("#4", "@bob", "2024-02-05", -4, "open")]
    assert data["warnings"] == [] and stderr == ""
    # every key by number in one GraphQL query: no listing of the repository, no GET per issue
    assert gh_listings(fake_github) == []
    [asked] = gh_graphql_reads(fake_github)
    assert sorted(v for k, v in asked.items() if k[1:].isdigit()) == [1, 2, 3, 4]
    assert gh_issue_gets(fake_github) == [] and gh_writes(fake_github) == []

    fake_github.reopen_issue(REPO, 1)
    fake_github.close_issue(REPO, 2, reason="completed")
    data, _ = report(cli, "--as-of", "2024-02-01")
    assert brief(data["overdue"]) == [("#1", "@alice", "2024-01-22", 10, "open")]


def test_github_transferred_issue_is_followed(gh: Path, cli: Any, fake_github: FakeGitHub) -> None:
    fake_github.add_repo("acme/infra", labels=["postmortem", "P0"])
    number = fake_github.transfer_issue(REPO, 2, "acme/infra")
    fake_github.close_issue("acme/infra", number, reason="completed")

    data, stderr = report(cli, "--as-of", "2024-02-01")

    assert data["overdue"] == [] and data["warnings"] == [] and "warning" not in stderr
    assert gh_listings(fake_github) == [] and len(gh_graphql_reads(fake_github)) == 1
    # GraphQL does not resolve the moved issue at its old address: REST reads it once there and
    # is redirected to the new one; nothing else is asked
    assert gh_issue_gets(fake_github) == ["/repos/acme/app/issues/2", f"/repos/acme/infra/issues/{number}"]


def test_github_transferred_issue_leaves_cron_stderr_quiet(
    gh: Path, fake_github: FakeGitHub, workdir: Path
) -> None:
    fake_github.add_repo("acme/infra", labels=["postmortem", "P0"])
    number = fake_github.transfer_issue(REPO, 2, "acme/infra")

    done = run_subprocess(
        ["overdue", "--as-of", "2024-02-01", "--format", "csv"], workdir, env={TOKEN_ENV: TOKEN}
    )

    assert done.returncode == 0
    assert f",acme/infra#{number}," in done.stdout  # where the issue lives now
    assert done.stderr == ""


def test_github_csv_report(gh: Path, cli: Any, fake_github: FakeGitHub) -> None:
    result = cli("overdue", "--as-of", "2024-02-01", "--format", "csv")

    assert result.code == 0, result.stderr
    header = (
        "category,path,title,line,priority,action,owner,due,days_overdue,ticket,url,"
        "tracker_status,status,tracker,postmortem_status,date,days_since_incident"
    )
    assert result.stdout == "\n".join(
        [
            header,
            f"overdue,{DOC},{TITLE},{LINE['alert']},P0,Lower DB alert threshold to 70%,@bob,"
            f"2024-01-17,15,#2,{gh_url(fake_github, 2)},open,open,github,Final,,",
            f"due_soon,{DOC},{TITLE},{LINE['dash']},P1,Add pool saturation dashboard,@bob,"
            f"2024-02-05,-4,#4,{gh_url(fake_github, 4)},open,open,github,Final,,",
            "",
        ]
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["category"], r["ticket"], r["tracker_status"]) for r in rows] == [
        ("overdue", "#2", "open"),
        ("due_soon", "#4", "open"),
    ]


def test_github_markdown_report(gh: Path, cli: Any, fake_github: FakeGitHub) -> None:
    result = cli("overdue", "--as-of", "2024-02-01", "--format", "markdown")

    assert result.code == 0, result.stderr
    pm = f"{TITLE} (`{DOC}`)"
    assert result.stdout == "\n".join(
        [
            "# Postmortem action items as of 2024-02-01",
            "",
            "As of 2024-02-01 (P0, P1): 1 overdue, 1 due within 7 days, 0 without owner or due "
            "date, 0 stale drafts.",
            "",
            "## Overdue (1)",
            "",
            "### @bob",
            "",
            "| Postmortem | Line | Priority | Action | Due | Days overdue | Ticket | Status |",
            "|---|---:|---|---|---|---:|---|---|",
            f"| {pm} | {LINE['alert']} | P0 | Lower DB alert threshold to 70% | 2024-01-17 | 15 | "
            f"[#2](<{gh_url(fake_github, 2)}>) | open |",
            "",
            "## Due soon (1)",
            "",
            "### @bob",
            "",
            "| Postmortem | Line | Priority | Action | Due | Days left | Ticket | Status |",
            "|---|---:|---|---|---|---:|---|---|",
            f"| {pm} | {LINE['dash']} | P1 | Add pool saturation dashboard | 2024-02-05 | 4 | "
            f"[#4](<{gh_url(fake_github, 4)}>) | open |",
            "",
            "## No owner or no due date (0)",
            "",
            "None.",
            "",
            "## Postmortems not Final after 7 days (0)",
            "",
            "None.",
            "",
        ]
    )


def test_github_unreachable_falls_back_to_the_status_column(
    gh: Path, cli: Any, fake_github: FakeGitHub
) -> None:
    fake_github.stop()

    data, stderr = report(cli, "--as-of", "2024-02-01")

    # by the column: #1 and #3 (Open) are overdue, #2 (Done) is not
    assert brief(data["overdue"]) == [
        ("#1", "@alice", "2024-01-22", 10, None),
        ("#3", "@alice", "2024-01-29", 3, None),
    ]
    assert brief(data["due_soon"]) == [("#4", "@bob", "2024-02-05", -4, None)]
    [warning] = [w["message"] for w in data["warnings"]]
    assert warning.startswith("tracker 'github' could not be read (")
    assert "could not be read" in stderr
