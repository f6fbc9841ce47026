"""A team lead runs the weekly overdue report over the postmortem folder."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pm_sync.document.model import Priority
from pm_sync.reports.overdue import overdue_report
from pm_sync_local import LocalConnector, LocalStore
from tests.conftest import postmortem_text

TICKET_HEADER = "| Priority | Action | Owner | Due | Ticket |"
STATUS_HEADER = "| Priority | Action | Owner | Due | Ticket | Status |"
STATUS_DELIMITER = "|---|---|---|---|---|---|"


def write_pm(
    folder: Path,
    name: str,
    rows: Sequence[Sequence[str]],
    *,
    status: str = "Final",
    title: str = "Payment API errors",
    with_status: bool = False,
    date: str | None = None,
) -> Path:
    text = postmortem_text(
        rows,
        status=status,
        title=title,
        header=STATUS_HEADER if with_status else TICKET_HEADER,
        delimiter=STATUS_DELIMITER if with_status else "|---|---|---|---|---|",
    )
    if date:
        text = text.replace("**Date**: 2024-01-15", f"**Date**: {date}")
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def report_json(cli: Any, *args: str) -> dict[str, Any]:
    result = cli("overdue", *args, "--format", "json")
    assert result.code == 0, result.stderr
    data: dict[str, Any] = result.json()
    return data


def brief(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["action"], r["owner"], r["due"], r["days_overdue"]) for r in rows]


def line_of(path: Path, action: str) -> int:
    lines = path.read_text().splitlines()
    return next(i for i, text in enumerate(lines, start=1) if f"| {action} |" in text)


# -- the overdue set around the due boundary --------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "overdue", "due_soon"),
    [
        ("2024-01-14", [], []),  # 8 days ahead: not yet listed
        ("2024-01-15", [], [("Fix pool", "@alice", "2024-01-22", -7)]),  # exactly 7 days ahead
        ("2024-01-21", [], [("Fix pool", "@alice", "2024-01-22", -1)]),
        ("2024-01-22", [], [("Fix pool", "@alice", "2024-01-22", 0)]),  # due today: not overdue
        ("2024-01-23", [("Fix pool", "@alice", "2024-01-22", 1)], []),  # the day after: 1 day late
        ("2024-03-01", [("Fix pool", "@alice", "2024-01-22", 39)], []),
    ],
)
def test_overdue_set_around_the_due_date(
    workdir: Path, cli: Any, as_of: str, overdue: list[Any], due_soon: list[Any]
) -> None:
    write_pm(workdir, "postmortem-a.md", [("P0", "Fix pool", "@alice", "2024-01-22", "")])

    data = report_json(cli, "postmortem-a.md", "--as-of", as_of)

    assert data["as_of"] == as_of
    assert brief(data["overdue"]) == overdue
    assert brief(data["due_soon"]) == due_soon
    assert data["unowned"] == []


def test_each_row_has_the_documented_fields(workdir: Path, cli: Any) -> None:
    doc = write_pm(workdir, "postmortem-a.md", [("P0", "Fix pool", "@alice", "2024-01-22", "")])
    assert cli("push", "postmortem-a.md").code == 0

    data = report_json(cli, "postmortem-a.md", "--as-of", "2024-01-25")

    assert set(data) == {"as_of", "priorities", "overdue", "due_soon", "unowned", "stale_drafts", "warnings"}
    assert data["overdue"] == [
        {
            "path": "postmortem-a.md",
            "title": "Payment API errors",
            "line": line_of(doc, "Fix pool"),
            "priority": "P0",
            "action": "Fix pool",
            "owner": "@alice",
            "due": "2024-01-22",
            "days_overdue": 3,
            "ticket": "PM-1",
            "url": None,
            "tracker_status": "open",
            "status": "open",
            "tracker": "local",
            "postmortem_status": "Final",
        }
    ]
    assert data["warnings"] == []


def test_priority_filter(workdir: Path, cli: Any) -> None:
    write_pm(
        workdir,
        "postmortem-a.md",
        [
            ("P0", "Zero", "@a", "2024-01-10", ""),
            ("P1", "One", "@a", "2024-01-10", ""),
            ("P2", "Two", "@a", "2024-01-10", ""),
            ("P3", "Three", "@a", "2024-01-10", ""),
        ],
    )

    def actions(*extra: str) -> list[str]:
        data = report_json(cli, "postmortem-a.md", "--as-of", "2024-02-01", *extra)
        return [r["action"] for r in data["overdue"]]

    assert actions() == ["Zero", "One"]
    assert actions("--priorities", "P2") == ["Two"]
    assert actions("--priorities", "p0, P3") == ["Zero", "Three"]
    bad = cli("overdue", "postmortem-a.md", "--priorities", "P0,P7")
    assert bad.code == 2
    assert "'P7' is not one of P0-P4" in bad.stderr


# -- done as the tracker says, else as the Status column says ------------------------------------


def test_tracker_status_overrides_the_status_column(workdir: Path, cli: Any) -> None:
    doc = write_pm(
        workdir,
        "postmortem-a.md",
        [
            ("P0", "Closed in tracker", "@alice", "2024-01-10", "", "Open"),
            ("P0", "Dropped in tracker", "@alice", "2024-01-10", "", "Open"),
            ("P0", "Done only on paper", "@bob", "2024-01-10", "", "Done"),
            ("P1", "Still open", "@bob", "2024-01-10", "", "Open"),
        ],
        with_status=True,
    )
    assert cli("push", "postmortem-a.md").code == 0
    assert "| PM-4 | Open |" in doc.read_text()
    assert cli("local", "close", "PM-1").code == 0
    assert cli("local", "close", "PM-2", "--wont-do").code == 0

    data = report_json(cli, "postmortem-a.md", "--as-of", "2024-01-20")

    assert [(r["action"], r["ticket"], r["tracker_status"]) for r in data["overdue"]] == [
        ("Done only on paper", "PM-3", "open"),
        ("Still open", "PM-4", "open"),
    ]

    assert cli("local", "close", "PM-3").code == 0
    assert cli("local", "reopen", "PM-1").code == 0
    data = report_json(cli, "postmortem-a.md", "--as-of", "2024-01-20")
    assert [r["ticket"] for r in data["overdue"]] == ["PM-1", "PM-4"]


def test_without_a_ticket_the_status_column_decides(workdir: Path, cli: Any) -> None:
    write_pm(
        workdir,
        "postmortem-a.md",
        [
            ("P0", "Finished", "@alice", "2024-01-10", "", "Done"),
            ("P0", "Abandoned", "@alice", "2024-01-10", "", "Won't do"),
            ("P0", "Underway", "@alice", "2024-01-10", "", "In progress"),
            ("P1", "Untouched", "@alice", "2024-01-10", "", ""),
        ],
        with_status=True,
        status="Draft",
    )

    data = report_json(cli, "postmortem-a.md", "--as-of", "2024-01-20")

    assert [(r["action"], r["status"], r["tracker_status"], r["ticket"]) for r in data["overdue"]] == [
        ("Underway", "in_progress", None, None),
        ("Untouched", "open", None, None),
    ]


def test_unreadable_tracker_falls_back_to_the_status_column(workdir: Path, cli: Any) -> None:
    (workdir / "not-a-db").mkdir()  # where the SQLite file should be: sqlite cannot open it
    (workdir / "pm-sync.toml").write_text('[trackers.local]\npath = "not-a-db"\n')
    write_pm(
        workdir,
        "postmortem-a.md",
        [
            ("P0", "Done per table", "@alice", "2024-01-10", "PM-1", "Done"),
            ("P0", "Open per table", "@alice", "2024-01-10", "PM-2", "Open"),
        ],
        with_status=True,
    )

    result = cli("overdue", "postmortem-a.md", "--as-of", "2024-01-20", "--format", "json")

    assert result.code == 0, result.stderr
    data = result.json()
    assert [(r["action"], r["ticket"], r["tracker_status"], r["status"]) for r in data["overdue"]] == [
        ("Open per table", "PM-2", None, "open")
    ]
    [warning] = data["warnings"]
    assert (warning["code"], warning["severity"]) == ("tracker-unreadable", "warning")
    assert warning["message"].startswith("tracker 'local' could not be read (")
    assert "cannot open local tracker database" in warning["message"]
    assert warning["message"].endswith("used the Status column for its 2 ticket(s)")
    assert "warning: tracker 'local' could not be read" in result.stderr


def test_ticket_missing_from_tracker_falls_back_with_a_warning(workdir: Path, cli: Any) -> None:
    doc = write_pm(
        workdir,
        "postmortem-a.md",
        [
            ("P0", "Ghost ticket", "@alice", "2024-01-10", "PM-41", "Open"),
        ],
        with_status=True,
    )

    data = report_json(cli, "postmortem-a.md", "--as-of", "2024-01-20")

    assert [(r["ticket"], r["tracker_status"]) for r in data["overdue"]] == [("PM-41", None)]
    assert [(w["code"], w["path"], w["line"], w["message"]) for w in data["warnings"]] == [
        (
            "ticket-missing",
            "postmortem-a.md",
            line_of(doc, "Ghost ticket"),
            "ticket PM-41 not found in 'local'; using the Status column",
        )
    ]


def test_one_batched_read_per_tracker(workdir: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [("P0", f"Item {n}", "@alice", "2024-01-10", "") for n in range(1, 6)]
    write_pm(workdir, "postmortem-a.md", rows[:3])
    write_pm(workdir, "postmortem-b.md", rows[3:])
    assert cli("push", "postmortem-a.md", "postmortem-b.md").code == 0
    calls: list[list[str]] = []
    original = LocalConnector.read

    def spy(self: LocalConnector, keys: Sequence[str]) -> Any:
        calls.append(list(keys))
        return original(self, keys)

    monkeypatch.setattr(LocalConnector, "read", spy)

    data = report_json(cli, ".", "--as-of", "2024-01-20")

    assert len(data["overdue"]) == 5
    assert calls == [["PM-1", "PM-2", "PM-3", "PM-4", "PM-5"]]


# -- unowned, stale drafts, grouping -------------------------------------------------------------


def test_items_without_owner_or_due_date(workdir: Path, cli: Any) -> None:
    write_pm(
        workdir,
        "postmortem-a.md",
        [
            ("P0", "Nobody", "", "2024-03-01", "", ""),
            ("P1", "Someday", "@bob", "TBD", "", ""),
            ("P0", "Nobody, late", "", "2024-01-01", "", ""),
            ("P2", "Low and loose", "", "", "", ""),
            ("P0", "Nobody but done", "", "", "", "Done"),
            ("P0", "Fine", "@bob", "2024-03-01", "", ""),
        ],
        with_status=True,
    )

    data = report_json(cli, "postmortem-a.md", "--as-of", "2024-01-20")

    assert brief(data["unowned"]) == [
        ("Someday", "@bob", None, None),
        ("Nobody", None, "2024-03-01", -41),
        ("Nobody, late", None, "2024-01-01", 19),
    ]
    assert brief(data["overdue"]) == [("Nobody, late", None, "2024-01-01", 19)]


def test_drafts_still_not_final_after_day_seven(workdir: Path, cli: Any) -> None:
    write_pm(
        workdir,
        "postmortem-draft.md",
        [("P2", "x", "@a", "2024-05-01", "")],
        status="Draft",
        title="Draft one",
    )
    write_pm(
        workdir,
        "postmortem-review.md",
        [("P2", "x", "@a", "2024-05-01", "")],
        status="In review",
        title="In review",
        date="2024-01-10",
    )
    write_pm(
        workdir,
        "postmortem-final.md",
        [("P2", "x", "@a", "2024-05-01", "")],
        status="Final",
        title="Final one",
        date="2024-01-01",
    )

    def stale(as_of: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = report_json(cli, ".", "--as-of", as_of)["stale_drafts"]
        return rows

    assert stale("2024-01-17") == []  # Day 7 is the deadline itself
    assert [d["path"] for d in stale("2024-01-18")] == ["postmortem-review.md"]
    assert stale("2024-01-23") == [
        {
            "path": "postmortem-review.md",
            "title": "In review",
            "date": "2024-01-10",
            "status": "In review",
            "days_since_incident": 13,
        },
        {
            "path": "postmortem-draft.md",
            "title": "Draft one",
            "date": "2024-01-15",
            "status": "Draft",
            "days_since_incident": 8,
        },
    ]


def test_rows_grouped_by_owner_then_postmortem(workdir: Path, cli: Any) -> None:
    write_pm(
        workdir,
        "postmortem-b.md",
        [
            ("P0", "B bob", "@bob", "2024-01-10", ""),
            ("P0", "B alice", "@Alice", "2024-01-11", ""),
            ("P1", "B nobody", "", "2024-01-12", ""),
        ],
        title="B",
    )
    write_pm(
        workdir,
        "postmortem-a.md",
        [
            ("P1", "A alice 2", "alice", "2024-01-09", ""),
            ("P0", "A bob", "@bob", "2024-01-01", ""),
            ("P0", "A alice 1", "@alice", "2024-01-13", ""),
        ],
        title="A",
    )

    data = report_json(cli, ".", "--as-of", "2024-01-20")

    assert [r["action"] for r in data["overdue"]] == [
        "A alice 2",
        "A alice 1",
        "B alice",
        "A bob",
        "B bob",
        "B nobody",
    ]


def test_broken_files_are_reported_good_rows_still_count_and_the_run_is_not_ok(
    workdir: Path, cli: Any
) -> None:
    """A postmortem pm-sync could not read may hide overdue items: the report is still built
    from the rest, and the exit code says it is incomplete."""
    doc = write_pm(
        workdir,
        "docs/postmortem-a.md",
        [
            ("P0", "Good row", "@alice", "2024-01-10", ""),
            ("P0", "Bad date", "@alice", "someday", ""),
        ],
    )
    (workdir / "docs" / "postmortem-latin1.md").write_bytes("# Postmortem: caf\xe9\n".encode("latin-1"))

    result = cli("overdue", "docs", "--as-of", "2024-01-20", "--format", "json")

    assert result.code == 1, result.stderr
    assert "error: docs/postmortem-latin1.md:1: skipped: file is not valid UTF-8" in result.stderr
    data = result.json()
    assert [r["action"] for r in data["overdue"]] == ["Good row"]
    assert [r["action"] for r in data["unowned"]] == ["Bad date"]
    bad_line = line_of(doc, "Bad date")
    assert data["warnings"] == [
        {
            "code": "bad-date",
            "severity": "error",
            "path": str(doc.relative_to(workdir)),
            "line": bad_line,
            "message": "due date 'someday' is not a date pm-sync reads; "
            "write it as YYYY-MM-DD (e.g. 2024-01-22)",
            "hint": None,
        },
        {
            "code": "unreadable",
            "severity": "error",
            "path": "docs/postmortem-latin1.md",
            "line": 1,
            "message": "skipped: file is not valid UTF-8",
            "hint": "save the postmortem as UTF-8",
        },
    ]


def test_default_paths_come_from_the_config_relative_to_it(workdir: Path, cli: Any) -> None:
    repo = workdir / "repo"
    write_pm(repo / "pms", "postmortem-a.md", [("P0", "From config", "@a", "2024-01-10", "")])
    write_pm(workdir, "postmortem-elsewhere.md", [("P0", "Not in config", "@a", "2024-01-10", "")])
    (repo / "pm-sync.toml").write_text('[docs]\npaths = ["pms/postmortem-*.md"]\n')

    data = report_json(cli, "--config", str(repo / "pm-sync.toml"), "--as-of", "2024-01-20")

    assert [(r["action"], r["path"]) for r in data["overdue"]] == [
        ("From config", "repo/pms/postmortem-a.md")
    ]


def test_as_of_defaults_to_today_in_the_configured_zone(workdir: Path, cli: Any) -> None:
    zone = "Pacific/Kiritimati"  # UTC+14: a different calendar day from UTC for 14 hours a day
    (workdir / "pm-sync.toml").write_text(f'timezone = "{zone}"\n')
    write_pm(workdir, "postmortem-a.md", [("P0", "x", "@a", "2024-01-10", "")])
    before = dt.datetime.now(ZoneInfo(zone)).date()

    data = report_json(cli, "postmortem-a.md")

    after = dt.datetime.now(ZoneInfo(zone)).date()
    assert data["as_of"] in {before.isoformat(), after.isoformat()}


# -- output formats and exit codes ---------------------------------------------------------------


def sample(workdir: Path, cli: Any) -> Path:
    doc = write_pm(
        workdir,
        "postmortem-a.md",
        [
            ("P0", "Split reads \\| writes", "@alice", "2024-01-10", ""),
            ("P1", "Tune alerts", "@bob", "2024-01-25", ""),
            ("P1", "Write runbook", "", "2024-02-20", ""),
        ],
    )
    write_pm(workdir, "postmortem-b.md", [], status="Draft", title="Cache stampede", date="2024-01-02")
    assert cli("push", "postmortem-a.md").code == 0
    return doc


def test_csv_has_a_header_and_one_row_per_item_and_category(workdir: Path, cli: Any) -> None:
    doc = sample(workdir, cli)

    result = cli("overdue", ".", "--as-of", "2024-01-20", "--format", "csv")

    assert result.code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["category"], r["action"], r["owner"], r["days_overdue"], r["ticket"]) for r in rows] == [
        ("overdue", "Split reads | writes", "@alice", "10", "PM-1"),
        ("due_soon", "Tune alerts", "@bob", "-5", "PM-2"),
        ("unowned", "Write runbook", "", "-31", "PM-3"),
        ("stale_drafts", "", "", "", ""),
    ]
    assert rows[0]["line"] == str(line_of(doc, "Split reads \\| writes"))
    assert rows[0]["tracker_status"] == "open"
    assert (
        rows[3]["path"],
        rows[3]["title"],
        rows[3]["date"],
        rows[3]["postmortem_status"],
        rows[3]["days_since_incident"],
    ) == ("postmortem-b.md", "Cache stampede", "2024-01-02", "Draft", "18")
    assert result.stdout.splitlines()[0] == (
        "category,path,title,line,priority,action,owner,due,days_overdue,ticket,url,"
        "tracker_status,status,tracker,postmortem_status,date,days_since_incident"
    )


def test_markdown_for_a_wiki_page(workdir: Path, cli: Any) -> None:
    doc = sample(workdir, cli)
    line = line_of(doc, "Split reads \\| writes")

    result = cli("overdue", ".", "--as-of", "2024-01-20", "--format", "markdown")

    assert result.code == 0, result.stderr
    text = result.stdout
    assert text.startswith("# Postmortem action items as of 2024-01-20\n")
    assert "## Overdue (1)\n\n### @alice\n\n" in text
    assert (
        f"| Payment API errors (`postmortem-a.md`) | {line} | P0 | Split reads \\| writes | "
        "2024-01-10 | 10 | PM-1 | open |"
    ) in text
    assert "## Due soon (1)\n\n### @bob\n" in text
    assert "| Days left |" in text
    assert "## No owner or no due date (1)\n\n### (no owner)\n" in text
    assert (
        "## Postmortems not Final after 7 days (1)\n\n"
        "| Postmortem | Path | Incident date | Status | Days since incident |\n|---|---|---|---|---:|\n"
        "| Cache stampede | postmortem-b.md | 2024-01-02 | Draft | 18 |\n"
    ) in text


def test_plain_lines_when_not_on_a_terminal(workdir: Path, cli: Any) -> None:
    doc = sample(workdir, cli)
    line = line_of(doc, "Split reads \\| writes")

    result = cli("overdue", ".", "--as-of", "2024-01-20")

    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "as of 2024-01-20 (P0, P1): 1 overdue, 1 due within 7 days, 1 without owner or due date, "
        "1 stale draft",
        "overdue:",
        "  @alice",
        f"    postmortem-a.md:{line} P0 Split reads | writes (due 2024-01-10, 10 days overdue) PM-1 [open]",
        "due soon:",
        "  @bob",
        f"    postmortem-a.md:{line + 1} P1 Tune alerts (due 2024-01-25, in 5 days) PM-2 [open]",
        "no owner or no due date:",
        "  (no owner)",
        f"    postmortem-a.md:{line + 2} P1 Write runbook (due 2024-02-20, in 31 days) PM-3 [open]",
        "stale drafts:",
        "  postmortem-b.md: Draft, incident 2024-01-02, 18 days ago",
    ]


def test_fail_on_overdue_exit_codes(workdir: Path, cli: Any) -> None:
    write_pm(workdir, "postmortem-a.md", [("P0", "x", "@a", "2024-01-22", "")])

    assert cli("overdue", "postmortem-a.md", "--as-of", "2024-01-23", "--fail-on-overdue").code == 1
    assert cli("overdue", "postmortem-a.md", "--as-of", "2024-01-22", "--fail-on-overdue").code == 0
    assert cli("overdue", "postmortem-a.md", "--as-of", "2024-01-23").code == 0
    json_run = cli(
        "overdue", "postmortem-a.md", "--as-of", "2024-01-23", "--format", "json", "--fail-on-overdue"
    )
    assert json_run.code == 1 and json_run.json()["overdue"][0]["days_overdue"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--as-of", "2024-13-01"), "--as-of '2024-13-01' is not a date"),
        (("--as-of", "yesterday"), "--as-of 'yesterday' is not a date"),
        (("--format", "xml"), "--format 'xml' is not one of table, markdown, json, csv"),
        (
            ("--slack-webhook-env", "PM_TEST_UNSET_HOOK"),
            "PM_TEST_UNSET_HOOK (--slack-webhook-env) is not set or empty",
        ),
        (("nothing-here-*.md",), "no postmortem files match nothing-here-*.md"),
    ],
)
def test_bad_arguments_exit_2(
    workdir: Path, cli: Any, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str
) -> None:
    monkeypatch.delenv("PM_TEST_UNSET_HOOK", raising=False)
    write_pm(workdir, "postmortem-a.md", [("P0", "x", "@a", "2024-01-22", "")])
    if not args[0].endswith(".md"):
        args = ("postmortem-a.md", *args)

    result = cli("overdue", *args)

    assert result.code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_python_api(workdir: Path) -> None:
    write_pm(
        workdir, "postmortem-a.md", [("P0", "x", "@a", "2024-01-22", ""), ("P2", "y", "@a", "2024-01-22", "")]
    )

    report = overdue_report(["postmortem-a.md"], as_of=dt.date(2024, 1, 23), priorities=[Priority.P2], env={})

    assert [(r.action, r.days_overdue) for r in report.overdue] == [("y", 1)]
    assert report.has_overdue
    assert report.public()["as_of"] == "2024-01-23"
    assert LocalStore(workdir / ".pm-sync" / "local.db").list() == []


def test_rich_tables_on_a_terminal_and_ticket_links_in_markdown(workdir: Path) -> None:
    from rich.console import Console

    from pm_sync.reports import formats as report_format
    from pm_sync.reports.overdue import ItemRow, OverdueReport

    row = ItemRow(
        path="pm.md",
        title="DB | cache",
        line=12,
        priority="P0",
        action="Fix [bold]pool[/bold]",
        owner="@alice",
        due=dt.date(2024, 1, 10),
        days_overdue=10,
        ticket="OPS-7",
        url="https://jira.example/browse/OPS-7",
        tracker_status="in_progress",
        status="in_progress",
        tracker="jira",
        postmortem_status="Final",
    )
    report = OverdueReport(as_of=dt.date(2024, 1, 20), priorities=(Priority.P0,), overdue=[row])
    out = io.StringIO()

    report_format.print_report(report, Console(file=out, force_terminal=True, width=200, color_system=None))

    text = out.getvalue()
    assert "Overdue (1)" in text
    assert "Fix [bold]pool[/bold]" in text  # user text is never read as rich markup
    assert "in_progress" in text
    assert (
        "| DB \\| cache (`pm.md`) | 12 | P0 | Fix [bold]pool[/bold] | 2024-01-10 | 10 | "
        "[OPS-7](<https://jira.example/browse/OPS-7>) | in_progress |"
    ) in report_format.to_markdown(report)


def test_ticket_of_an_unconfigured_tracker_uses_the_status_column(workdir: Path, cli: Any) -> None:
    doc = write_pm(
        workdir,
        "postmortem-a.md",
        [
            ("P0", "Jira ticket", "@alice", "2024-01-10", "ENG-1234", "Open"),
            ("P0", "Jira ticket done", "@alice", "2024-01-10", "OPS-567", "Done"),
        ],
        with_status=True,
    )

    data = report_json(cli, "postmortem-a.md", "--as-of", "2024-01-20")

    assert [(r["ticket"], r["tracker"], r["tracker_status"]) for r in data["overdue"]] == [
        ("ENG-1234", None, None)
    ]
    first = data["warnings"][0]
    assert (first["code"], first["path"], first["line"], first["message"]) == (
        "route",
        "postmortem-a.md",
        line_of(doc, "Jira ticket"),
        "cannot tell which tracker ticket 'ENG-1234' belongs to; using the Status column",
    )


def test_a_table_without_its_delimiter_row_fails_the_overdue_gate(workdir: Path, cli: Any) -> None:
    """Lint, push and reconcile call this table an error; overdue must not stay green in CI
    while the table hides an overdue item."""
    doc = write_pm(workdir, "docs/postmortem-a.md", [("P0", "Hidden", "@alice", "2024-01-10", "")])
    doc.write_text(doc.read_text().replace("|---|---|---|---|---|\n", ""))

    result = cli("overdue", "docs", "--as-of", "2024-01-20", "--fail-on-overdue", "--json")

    assert result.code == 1, result.stdout + result.stderr
    data = result.json()
    assert data["overdue"] == []
    assert any(w["severity"] == "error" and w["path"] == "docs/postmortem-a.md" for w in data["warnings"])
