"""Exit codes, summaries and JSON shapes that tell the truth (issue 11)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STANDARD_ROWS, local_tickets, postmortem_text
from tests.sync_support import OVERDUE_KEYS, PUSH_KEYS, RECONCILE_KEYS, Cli, fresh_doc, ticket_cells

ROWS = [(*r, "") for r in STANDARD_ROWS]
DOC = "postmortem-2024-01-15-payments.md"


def write_doc(workdir: Path, text: str | None = None) -> Path:
    doc = workdir / DOC
    doc.write_text(postmortem_text(ROWS) if text is None else text)
    return doc


def delete_ticket(workdir: Path, key: str) -> None:
    with sqlite3.connect(workdir / ".pm-sync" / "local.db") as db:
        db.execute("DELETE FROM tickets WHERE key = ?", (key,))


# --- a path that does not exist -------------------------------------------------------------

MISSING_PATH_COMMANDS = [
    ["parse", "nosuch.md"],
    ["parse", "nosuch.md", "--json"],
    ["lint", "nosuch.md"],
    ["push", "nosuch.md"],
    ["push", "--dry-run", "nosuch.md"],
    ["reconcile", "nosuch.md"],
    ["overdue", "nosuch.md"],
    ["overdue", "nosuch.md", "--fail-on-overdue"],
    ["migrate", "nosuch.md"],
    ["push", DOC, "nosuch.md"],  # one good file does not make a typo pass
]


@pytest.mark.parametrize("args", MISSING_PATH_COMMANDS, ids=" ".join)
def test_a_path_that_does_not_exist_is_exit_2_for_every_command(
    workdir: Path, cli: Any, args: list[str]
) -> None:
    doc = write_doc(workdir)
    before = doc.read_bytes()

    result = cli(*args)

    assert result.code == 2, result.stdout + result.stderr
    assert result.stderr == (
        "error: nosuch.md: no such file or folder (check the path, or quote a glob: 'docs/*.md')\n"
    )
    assert "None" not in result.stdout + result.stderr
    assert result.stdout == ""
    assert doc.read_bytes() == before and not (workdir / ".pm-sync").exists()


def test_a_glob_matching_nothing_is_exit_2_too(workdir: Path, cli: Any) -> None:
    result = cli("reconcile", "docs/postmortem-*.md")
    assert result.code == 2 and "no postmortem files match docs/postmortem-*.md" in result.stderr


def test_an_unreadable_file_is_located_without_none(workdir: Path, cli: Any) -> None:
    (workdir / DOC).mkdir()  # a folder named like a postmortem holds none: nothing to read
    (workdir / "latin1.md").write_bytes("# Postmortem: caf\xe9\n".encode("latin-1"))

    result = cli("parse", "latin1.md")

    assert result.code == 1
    assert "latin1.md:1: file is not valid UTF-8" in result.stdout and "None" not in result.stdout


# --- the same document, the same verdict ----------------------------------------------------

NO_DELIMITER = postmortem_text(ROWS, delimiter="").replace("\n\n| P0", "\n| P0", 1)
SHORT_DELIMITER = postmortem_text(ROWS, delimiter="|---|---|---|---|")
VERDICT_COMMANDS = [["parse"], ["lint"], ["push"], ["push", "--dry-run"], ["reconcile"]]


@pytest.mark.parametrize("args", VERDICT_COMMANDS, ids=" ".join)
@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            NO_DELIMITER,
            12,
            "action-items table has no delimiter row under its header, so Markdown does not read it "
            "as a table; add |---|---|---|---|---| as the line after the header",
        ),
        (
            SHORT_DELIMITER,
            13,
            "action-items table's delimiter row has 4 cells but its header has 5, so Markdown does "
            "not read it as a table; give both the same number of cells",
        ),
    ],
    ids=["no delimiter row", "delimiter row too short"],
)
def test_a_table_markdown_cannot_read_is_a_located_error_for_every_command(
    workdir: Path, cli: Any, args: list[str], text: str, line: int, message: str
) -> None:
    doc = write_doc(workdir, text)
    assert "Status**: Final" in text and text.splitlines()[line - 1].startswith("|")

    result = cli(*args, DOC)

    assert result.code == 1, result.stdout + result.stderr
    assert f"{DOC}:{line}" in result.stdout and message in result.stdout
    assert "nothing to do" not in result.stdout
    assert doc.read_text() == text and not (workdir / ".pm-sync" / "local.db").exists()


def test_lint_names_the_broken_table_as_bad_table(workdir: Path, cli: Any) -> None:
    write_doc(workdir, NO_DELIMITER)
    findings = cli("lint", DOC, "--json").json()
    assert ("bad-table", 12, "error") in [(f["code"], f["line"], f["severity"]) for f in findings]


# --- reconcile tells the truth ----------------------------------------------------------------


def test_reconcile_with_a_missing_ticket_exits_1_and_says_which(workdir: Path, cli: Any) -> None:
    write_doc(workdir)
    assert cli("push", DOC).code == 0
    delete_ticket(workdir, "PM-2")

    human = cli("reconcile", DOC)
    data = cli("reconcile", DOC, "--json")

    assert human.code == 1 and data.code == 1
    assert human.stdout.startswith(f"FAILED {DOC}: unchanged 2 (PM-1, PM-3); missing 1 (PM-2)\n")
    assert data.one()["missing"] == ["PM-2"] and not data.one()["ok"]


def test_a_dry_run_reads_as_words(workdir: Path, cli: Any) -> None:
    write_doc(workdir)
    planned = cli("push", "--dry-run", DOC)
    assert planned.stdout.splitlines()[-1] == f"dry run {DOC}: 3 to create"
    assert cli("push", DOC).code == 0
    delete_ticket(workdir, "PM-3")

    checked = cli("reconcile", "--dry-run", DOC)

    assert checked.code == 1
    assert f"FAILED {DOC}: 2 unchanged, 1 missing (PM-3)\n" in checked.stdout
    assert "would" not in checked.stdout


def test_a_deleted_row_is_reported_as_an_orphaned_ticket_and_left_open(workdir: Path, cli: Any) -> None:
    doc = write_doc(workdir)
    assert cli("push", DOC).code == 0
    doc.write_text("\n".join(line for line in doc.read_text().split("\n") if "Lower DB alert" not in line))

    human = cli("reconcile", DOC)
    data = cli("reconcile", DOC, "--json").one()

    assert human.code == 0
    assert f"ok {DOC}: unchanged 2 (PM-1, PM-3); orphaned 1 (PM-2)" in human.stdout
    assert data["orphaned"] == ["PM-2"]
    assert cli("local", "list", "--json").json()[1]["status"] == "open"


def test_status_without_a_status_column_is_said_once(workdir: Path, cli: Any) -> None:
    """The old house template has no Status column: reconcile says so once per postmortem, and
    once per run in the human summary."""
    write_doc(workdir)
    other = workdir / "postmortem-2024-01-16-dns.md"
    other.write_text(postmortem_text(ROWS, title="DNS"))
    assert cli("push", DOC, other.name).code == 0
    for key in ("PM-1", "PM-2", "PM-4"):
        assert cli("local", "close", key).code == 0

    human = cli("reconcile", DOC, other.name)
    data = cli("reconcile", DOC, other.name, "--json").json()

    assert human.code == 0
    notes = [line for line in human.stdout.splitlines() if "not written back" in line]
    assert notes == [
        "warning: ticket status was not written back into 2 postmortems "
        f"({DOC}, {other.name}): their action-items tables have no Status column (add one, its "
        "cells may start empty, and reconcile again)"
    ]
    per_file = [[w for w in r["warnings"] if w["code"] == "status-not-written"] for r in data]
    assert [len(w) for w in per_file] == [1, 1]
    assert per_file[0][0]["line"] == 12 and "PM-1 is Done in local" in per_file[0][0]["message"]


def test_one_postmortem_without_a_status_column_gets_a_located_note(workdir: Path, cli: Any) -> None:
    write_doc(workdir)
    assert cli("push", DOC).code == 0
    assert cli("local", "close", "PM-2", "--wont-do").code == 0

    result = cli("reconcile", DOC)

    assert result.stdout.splitlines()[-1] == (
        f"warning: {DOC}:12: ticket status was not written back: PM-2 is Won't do in local, and this "
        "action-items table has no Status column (add a Status column to the table, its cells empty "
        "if you like, and reconcile again)"
    )


# --- pulled values keep padding only in aligned columns ---------------------------------------


def test_reopening_a_wont_do_row_leaves_no_trailing_spaces(workdir: Path, cli: Any) -> None:
    header = "| Priority | Action | Owner | Due | Ticket | Status |"
    doc = write_doc(
        workdir, postmortem_text([(*r, "Open") for r in ROWS], header=header, delimiter="|---" * 6 + "|")
    )
    assert cli("push", DOC).code == 0
    assert cli("local", "close", "PM-2", "--wont-do").code == 0
    assert cli("reconcile", DOC).code == 0
    assert "| @bob | 2024-01-17 | PM-2 | Won't do |" in doc.read_text()

    assert cli("local", "reopen", "PM-2").code == 0
    assert cli("reconcile", DOC).code == 0

    assert "| @bob | 2024-01-17 | PM-2 | Open |\n" in doc.read_text()


def test_an_aligned_column_stays_aligned(workdir: Path, cli: Any) -> None:
    rows = [
        "| Priority | Action                               | Owner  | Due        | Ticket | Status   |",
        "|----------|--------------------------------------|--------|------------|--------|----------|",
        "| P0       | Integration test for connection pool | @alice | 2024-01-22 |        | Open     |",
        "| P1       | Lower DB alert threshold to 70%      | @bob   | 2024-01-17 |        | Open     |",
    ]
    doc = write_doc(workdir, postmortem_text([], header=rows[0], delimiter="\n".join(rows[1:])))
    assert cli("push", DOC).code == 0
    assert cli("local", "close", "PM-2", "--wont-do").code == 0
    assert cli("reconcile", DOC).code == 0
    assert rows[3].replace("|        | Open     |", "| PM-2   | Won't do |") in doc.read_text()
    assert cli("local", "reopen", "PM-2").code == 0

    assert cli("reconcile", DOC).code == 0

    assert doc.read_text().splitlines()[-2:] == [
        rows[2].replace("|        |", "| PM-1   |"),
        rows[3].replace("|        |", "| PM-2   |"),
    ]


# --- one JSON shape whatever the number of files -------------------------------------------


@pytest.mark.parametrize("command", ["parse", "push", "reconcile", "lint"])
def test_json_is_a_list_for_one_file_and_for_two(workdir: Path, cli: Any, command: str) -> None:
    write_doc(workdir)
    other = workdir / "postmortem-2024-01-16-dns.md"
    other.write_text(postmortem_text(ROWS, title="DNS"))

    one = cli(command, DOC, "--json").json()
    two = cli(command, DOC, other.name, "--json").json()

    assert isinstance(one, list) and isinstance(two, list)
    if command != "lint":  # lint lists findings, not files
        assert len(one) == 1 and len(two) == 2


def test_every_command_takes_json(workdir: Path, cli: Any) -> None:
    write_doc(workdir)
    assert cli("push", DOC).code == 0

    closed = cli("local", "close", "PM-1", "--json")
    reopened = cli("local", "reopen", "PM-1", "--json")
    report = cli("overdue", DOC, "--as-of", "2024-02-01", "--json")
    same = cli("overdue", DOC, "--as-of", "2024-02-01", "--format", "json")

    assert (closed.json()["key"], closed.json()["status"]) == ("PM-1", "done")
    assert reopened.json()["status"] == "open"
    assert report.code == 0 and report.json() == same.json()
    assert {r["action"] for r in report.json()["overdue"]} == {a for _, a, _, _ in STANDARD_ROWS}
    clash = cli("overdue", "--json", "--format", "csv")
    assert clash.code == 2 and "--json and --format csv ask for two formats" in clash.stderr


# --- Slack: a variable holding a non-URL is a configuration error -----------------------------


@pytest.mark.parametrize(
    "value", ["xoxb-not-a-webhook", "hooks.slack.com/services/T/B/x", "https://", "ftp://x/y"]
)
def test_a_slack_variable_holding_no_url_is_a_configuration_error(
    workdir: Path, cli: Any, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    write_doc(workdir)
    monkeypatch.setenv("PM_SYNC_TEST_HOOK", value)

    result = cli("overdue", DOC, "--as-of", "2024-02-01", "--slack-webhook-env", "PM_SYNC_TEST_HOOK")

    assert result.code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: environment variable PM_SYNC_TEST_HOOK (--slack-webhook-env) does not hold an http(s) URL "
        "(set it to the full https://hooks.slack.com/services/... URL of an incoming webhook)\n"
    )
    assert value not in result.stderr or value == "https://"


def test_push_exit_codes_and_json_shapes(workdir: Path, cli: Cli) -> None:
    good = fresh_doc(workdir, STANDARD_ROWS, name="postmortem-a.md")
    draft = fresh_doc(workdir, STANDARD_ROWS, name="postmortem-b.md", status="Draft")
    broken = fresh_doc(workdir, [("P0", "Fix it", "@alice", "someday")], name="postmortem-c.md")
    draft_bytes = draft.read_bytes()

    one = cli("push", str(good), "--json")
    assert one.code == 0
    assert isinstance(one.json(), list) and set(one.one()) >= PUSH_KEYS  # a list, whatever the count
    assert one.one()["created"] == ["PM-1", "PM-2", "PM-3"]

    several = cli("push", str(good), str(draft), str(broken), "--json")
    assert several.code == 1  # a postmortem failed; the others were still processed
    data = several.json()
    assert isinstance(data, list) and [set(d) >= PUSH_KEYS for d in data] == [True] * 3
    assert data[0]["unchanged"] == ["PM-1", "PM-2", "PM-3"] and data[0]["errors"] == []
    assert data[1]["errors"] and data[1]["errors"][0]["line"] == 4
    assert data[2]["errors"] and data[2]["errors"][0]["line"] == 14
    assert draft.read_bytes() == draft_bytes
    assert len(local_tickets(workdir)) == 3

    assert cli("push").code == 2  # usage error
    assert cli("push", str(good), "--no-such-flag").code == 2


def test_reconcile_and_overdue_json_shapes(workdir: Path, cli: Cli) -> None:
    doc = fresh_doc(workdir / "docs" / "technical", STANDARD_ROWS)

    rec = cli("reconcile", "--json")
    assert rec.code == 0, rec.stdout + rec.stderr
    assert isinstance(rec.json(), list) and set(rec.json()[0]) >= RECONCILE_KEYS
    assert rec.json()[0]["created"] == ["PM-1", "PM-2", "PM-3"]
    assert ticket_cells(doc) == ["PM-1", "PM-2", "PM-3"]

    report = cli("overdue", "--as-of", "2024-01-20", "--format", "json")
    assert report.code == 0
    data = report.json()
    assert set(data) >= OVERDUE_KEYS and data["as_of"] == "2024-01-20"
    assert [(r["ticket"], r["days_overdue"]) for r in data["overdue"]] == [("PM-2", 3)]
    assert cli("overdue", "--as-of", "2024-01-20", "--fail-on-overdue").code == 1
    assert cli("overdue", "--as-of", "2024-13-45").code == 2
    assert cli("overdue", "--format", "xml").code == 2
