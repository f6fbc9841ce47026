"""Stories: a team asks whether its postmortem follow-ups get done, with `pm-sync stats`.

The numbers come from the trackers' own creation and resolution dates: set here in the local
tracker's database (as its history would have them), in FakeJira's clock, and in FakeGitHub's.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import postmortem_text, run_subprocess
from tests.fakes.fake_github import FakeGitHub, fake_github
from tests.github_env import REPO, configure, patch_sleep
from tests.jira_support import JiraEnv, jira_env
from tests.tracker_stories import FOUR_ROWS, STATUS_DELIM, STATUS_HEADER, jira_searches, status_doc

__all__ = ["fake_github", "jira_env"]  # fixtures re-exported for pytest

AS_OF = "2024-06-30"
DOCS = Path("docs/technical")


def set_ticket(db: Path, key: str, status: str, created: str, resolved: str | None = None) -> None:
    """The tracker's history for one ticket: when it was made and when it was closed."""
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE tickets SET status = ?, created = ?, resolved = ? WHERE key = ?",
            (status, f"{created}T10:00:00+00:00", f"{resolved}T16:00:00+00:00" if resolved else None, key),
        )


@pytest.fixture
def history(workdir: Path, cli: Any) -> Path:
    """Three postmortems, two pushed to the local tracker, with this history (as of 2024-06-30):

    Q1 payments (2024-01-15, Final)
      PM-1 P0 @alice due 01-22  created 01-16, done 01-20     1 day to ticket, 4 to done, on time
      PM-2 P0 @bob   due 01-17  created 01-17, done 01-25     2, 8, 8 days late
      PM-3 P1 @alice due 01-29  created 01-16, dropped 02-01  1
      PM-4 P1 @bob   due 02-05  created 01-20, open           5, 146 days late
    Q2 keys (2024-05-10, Final)
      PM-5 P1 @carol due 05-20  created 05-13, done 05-18     3, 5, on time
      PM-6 P2 @carol due 07-15  created 05-12, open           2, not due yet
    Q2 cache (2024-05-20, Draft, no tickets: the Status column counts)
      P0 @alice due 06-01, Open                               29 days late
      P2 @dora  due 06-10, Done                               done, but no dates
    """
    payments = status_doc(workdir / DOCS / "postmortem-2024-01-15-payments.md", FOUR_ROWS)
    keys = workdir / DOCS / "postmortem-2024-05-10-keys.md"
    keys.write_text(
        postmortem_text(
            [
                ("P1", "Rotate the signing keys", "@carol", "2024-05-20", "", "Open"),
                ("P2", "Alert on key expiry", "@carol", "2024-07-15", "", "Open"),
            ],
            header=STATUS_HEADER,
            delimiter=STATUS_DELIM,
            title="Expired signing keys",
        ).replace("2024-01-15", "2024-05-10")
    )
    cache = workdir / DOCS / "postmortem-2024-05-20-cache.md"
    cache.write_text(
        postmortem_text(
            [
                ("P0", "Cap the cache size", "@alice", "2024-06-01", "", "Open"),
                ("P2", "Document cache eviction", "@dora", "2024-06-10", "", "Done"),
            ],
            header=STATUS_HEADER,
            delimiter=STATUS_DELIM,
            title="Cache stampede",
            status="Draft",
        ).replace("2024-01-15", "2024-05-20")
    )
    assert cli("push", str(payments), str(keys)).code == 0
    db = workdir / ".pm-sync" / "local.db"
    set_ticket(db, "PM-1", "done", "2024-01-16", "2024-01-20")
    set_ticket(db, "PM-2", "done", "2024-01-17", "2024-01-25")
    set_ticket(db, "PM-3", "dropped", "2024-01-16", "2024-02-01")
    set_ticket(db, "PM-4", "open", "2024-01-20")
    set_ticket(db, "PM-5", "done", "2024-05-13", "2024-05-18")
    set_ticket(db, "PM-6", "open", "2024-05-12")
    return workdir


def stats_json(cli: Any, *args: str) -> dict[str, Any]:
    result = cli("stats", "--as-of", AS_OF, *args, "--json")
    assert result.code == 0, result.stdout + result.stderr
    data: dict[str, Any] = result.json()
    return data


def numbers(group: dict[str, Any]) -> tuple[Any, ...]:
    return (
        group["items"],
        group["done"],
        group["dropped"],
        group["open"],
        group["median_days_to_ticket"],
        group["median_days_to_done"],
        group["finished_by_due"],
        group["late"],
        group["days_late"],
    )


def test_follow_up_health_per_priority_and_quarter(history: Path, cli: Any) -> None:
    data = stats_json(cli)

    assert data["as_of"] == AS_OF and data["files"] == 3 and data["items"] == 8
    # done 4 (one only by its Status column), dropped 1, open 3; to ticket [1,2,1,5,3,2];
    # to done [4,8,5]; by the due date: PM-1, PM-5 yes; PM-2, PM-4, the cache P0 no
    assert numbers(data["overall"]) == (8, 4, 1, 3, 2.0, 5.0, 0.4, 3, 8 + 146 + 29)
    by_prio = {g["key"]: numbers(g) for g in data["by_priority"]}
    assert by_prio == {
        "P0": (3, 2, 0, 1, 1.5, 6.0, 0.333, 2, 8 + 29),
        "P1": (3, 1, 1, 1, 3.0, 5.0, 0.5, 1, 146),
        "P2": (2, 1, 0, 1, 2.0, None, None, 0, 0),
    }
    by_quarter = {g["key"]: numbers(g) for g in data["by_quarter"]}
    assert by_quarter == {
        "2024-Q1": (4, 2, 1, 1, 1.5, 6.0, 0.333, 2, 154),
        "2024-Q2": (4, 2, 0, 2, 2.5, 5.0, 0.5, 1, 29),
    }
    assert [(g["label"], g["days_late"], g["late"]) for g in data["lagging_owners"]] == [
        ("@bob", 154, 2),
        ("@alice", 29, 1),
    ]
    assert [(g["label"], g["days_late"]) for g in data["lagging_postmortems"]] == [
        ("Payment API errors", 154),
        ("Cache stampede", 29),
    ]
    assert data["warnings"] == []


def test_since_keeps_only_later_incidents(history: Path, cli: Any) -> None:
    data = stats_json(cli, "--since", "2024-04-01")

    assert data["since"] == "2024-04-01" and data["files"] == 2
    assert [g["key"] for g in data["by_quarter"]] == ["2024-Q2"]
    assert numbers(data["overall"])[:4] == (4, 2, 0, 2)


def test_csv_and_table_carry_the_same_numbers(history: Path, cli: Any) -> None:
    result = cli("stats", "--as-of", AS_OF, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))

    assert result.code == 0
    sections = [r["section"] for r in rows]
    assert sections == ["overall"] + ["priority"] * 3 + ["quarter"] * 2 + ["owner"] * 2 + ["postmortem"] * 2
    p0 = next(r for r in rows if r["section"] == "priority" and r["key"] == "P0")
    assert (p0["items"], p0["median_days_to_done"], p0["finished_by_due"], p0["days_late"]) == (
        "3",
        "6.0",
        "0.333",
        "37",
    )
    assert next(r for r in rows if r["key"] == "P2")["median_days_to_done"] == ""

    table = cli("stats", "--as-of", AS_OF)
    assert table.code == 0
    assert table.stdout.startswith(
        "as of 2024-06-30: 8 action items in 3 postmortem(s); 4 done, 1 dropped, 3 open; median 2 days "
        "incident → ticket, 5 days ticket → done; 40% finished by the due date"
    )
    bob = next(line for line in table.stdout.splitlines() if line.startswith("@bob"))
    assert re.split(r"\s{2,}", bob) == ["@bob", "2", "1", "0", "1", "3.5", "8", "0%", "2", "154"]


def test_an_unreadable_tracker_falls_back_to_the_status_column_with_a_warning(
    history: Path, cli: Any
) -> None:
    (history / ".pm-sync" / "local.db").write_bytes(b"not a database any more" * 200)

    data = stats_json(cli)

    assert numbers(data["overall"])[:4] == (8, 1, 0, 7)  # only the Draft's Done row
    assert data["overall"]["median_days_to_ticket"] is None
    (warning,) = data["warnings"]
    assert warning["code"] == "tracker-unreadable" and warning["severity"] == "warning"
    assert "tracker 'local' could not be read" in warning["message"] and "6 ticket(s)" in warning["message"]
    assert "backup" in warning["hint"]


def test_a_deleted_ticket_counts_by_its_status_column_and_says_where(history: Path, cli: Any) -> None:
    from pm_sync_local import LocalStore

    LocalStore(history / ".pm-sync" / "local.db").delete("PM-4")

    result = cli("stats", "--as-of", AS_OF, "--json")

    (warning,) = result.json()["warnings"]
    assert (warning["code"], warning["path"], warning["line"]) == (
        "ticket-missing",
        "docs/technical/postmortem-2024-01-15-payments.md",
        17,
    )
    assert numbers(result.json()["overall"])[:5] == (8, 4, 1, 3, 2.0)  # PM-4 still open, no date
    human = cli("stats", "--as-of", AS_OF)
    assert (
        "warning: docs/technical/postmortem-2024-01-15-payments.md:17: ticket PM-4 not found" in human.stderr
    )


def test_no_postmortems_is_an_empty_report(workdir: Path, cli: Any) -> None:
    data = stats_json(cli)

    assert data["items"] == 0 and data["by_priority"] == [] and data["lagging_owners"] == []
    assert [(w["code"], w["message"]) for w in data["warnings"]] == [
        ("no-postmortems", "no postmortems found under docs/technical/postmortem-*.md")
    ]


@pytest.mark.parametrize(
    ("args", "message"), [(("--since", "yesterday"), "--since"), (("--format", "pdf"), "pdf")]
)
def test_bad_arguments_are_usage_errors(workdir: Path, cli: Any, args: tuple[str, str], message: str) -> None:
    result = cli("stats", *args)
    assert result.code == 2 and message in result.stderr


def test_html_page_is_self_contained_and_escaped(history: Path, cli: Any) -> None:
    cache = history / DOCS / "postmortem-2024-05-20-cache.md"
    cache.write_text(cache.read_text().replace("Cache stampede", 'Cache & "stampede" <em>x</em> a<b'))
    out = history / "site" / "health.html"
    out.parent.mkdir()

    result = cli("stats", "--as-of", AS_OF, "--format", "html", "--output", str(out))

    assert result.code == 0 and result.stdout == ""
    page = out.read_text()
    assert page.startswith("<!doctype html>")
    assert "<script" not in page and "<em>" not in page and "a<b" not in page
    assert "Cache &amp; &quot;stampede&quot; x a&lt;b" in page
    for fetching in ("src=", "<link", "@import", "url(", "href="):
        assert fetching not in page
    assert page.count("<svg") == 4
    for chart in ("chart-status-quarter", "chart-days-quarter", "chart-due-quarter", "chart-status-priority"):
        assert f'id="{chart}"' in page
    # the status chart's bars: 2024-Q1 done 2, dropped 1, open 1; 2024-Q2 done 2, open 2
    status = page.split('id="chart-status-quarter"')[1].split("</figure>")[0]
    assert re.findall(r"<title>(2024-Q\d: \d+ \w+)</title>", status) == [
        "2024-Q1: 2 done",
        "2024-Q1: 1 dropped",
        "2024-Q1: 1 open",
        "2024-Q2: 2 done",
        "2024-Q2: 2 open",
    ]


def test_python_module_and_version_still_work(workdir: Path) -> None:
    from pm_sync import __version__

    version = run_subprocess(["--version"], cwd=workdir)
    assert version.returncode == 0 and version.stdout.strip() == f"pm-sync {__version__}"
    helped = run_subprocess(["--help"], cwd=workdir)
    for command in ("doctor", "stats", "config"):
        assert command in helped.stdout


# --------------------------------------------------------------------------- Jira and GitHub


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T09:30:00+00:00")


def test_jira_creation_and_resolution_dates_in_one_search(jira_env: JiraEnv, cli: Any) -> None:
    fake = jira_env.fake
    fake.clock = lambda: at("2024-01-17")
    status_doc(jira_env.doc, FOUR_ROWS)
    assert cli("push", str(jira_env.doc)).code == 0
    fake.clock = lambda: at("2024-01-21")
    fake.set_status("OPS-1", "Done", resolution="Done")
    fake.set_status("OPS-2", "Done", resolution="Won't Do")
    fake.clock = lambda: at("2024-02-10")
    fake.set_status("OPS-3", "Done", resolution="Done")
    fake.clear_log()

    data = stats_json(cli)

    assert len(jira_searches(fake)) == 1  # every key in one batched read
    # OPS-1 done 4 days after creation, on time; OPS-2 dropped; OPS-3 done 24 days in, 12 late;
    # OPS-4 open, due 02-05: 146 days late
    assert numbers(data["overall"]) == (4, 2, 1, 1, 2.0, 14.0, 0.333, 2, 12 + 146)
    assert data["warnings"] == []


def test_github_closing_dates_give_the_days_to_done(
    workdir: Path, cli: Any, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    patch_sleep(monkeypatch, fake_github)
    doc = status_doc(workdir / DOCS / "postmortem-2024-01-15-payments.md", FOUR_ROWS)
    assert cli("push", str(doc)).code == 0
    fake_github.advance(3 * 86400 + 60)
    fake_github.close_issue(REPO, 1, reason="completed")
    fake_github.close_issue(REPO, 2, reason="not_planned")

    data = stats_json(cli)

    assert numbers(data["overall"])[:4] == (4, 1, 1, 2)
    assert data["overall"]["median_days_to_done"] == 3.0
    assert data["warnings"] == []
