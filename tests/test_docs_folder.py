"""Commands over a whole folder of postmortems in the shapes teams write them: the weekly
`overdue` report (boundaries, priorities, formats, tracker status over the Status column, Slack)
and the nightly `reconcile`, each run from the config's default paths.

Story style, through the real CLI; only the trackers (the local one, respx for Slack) are doubles.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from tests.conftest import CliResult, SkipClock, local_tickets, use_clock

Cli = Callable[..., CliResult]


def json_of(result: CliResult) -> Any:
    try:
        return result.json()
    except ValueError:
        raise AssertionError(f"not JSON (exit {result.code}):\n{result.stdout}\n{result.stderr}") from None


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
