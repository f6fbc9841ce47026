"""Nightly reconcile against the embedded tracker: drift both ways, conflicts, status, missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from pm_sync_local import LocalStore
from tests.conftest import STANDARD_ROWS, local_tickets, postmortem_text
from tests.shapes_support import FINAL_HEAD, doc

STATUS_HEADER = "| Priority | Action | Owner | Due | Ticket | Status |"
STATUS_DELIM = "|---|---|---|---|---|---|"


def store(workdir: Path) -> LocalStore:
    return LocalStore(workdir / ".pm-sync" / "local.db")


@pytest.fixture
def pushed(workdir: Path, cli) -> Path:
    doc = workdir / "docs" / "technical" / "postmortem-2024-01-15-payments.md"
    doc.parent.mkdir(parents=True)
    doc.write_text(
        postmortem_text(
            [(*r, "", "Open") for r in STANDARD_ROWS], header=STATUS_HEADER, delimiter=STATUS_DELIM
        )
    )
    assert cli("push", str(doc)).code == 0
    return doc


def test_in_sync_is_a_no_op(pushed: Path, cli) -> None:
    before = pushed.read_bytes()
    result = cli("reconcile", "--json")
    assert result.code == 0, result.stdout
    [out] = result.json()
    assert out["unchanged"] == ["PM-1", "PM-2", "PM-3"]
    assert out["pulled"] == [] and out["conflicts"] == [] and out["updated"] == []
    assert pushed.read_bytes() == before


def test_document_change_is_pushed(pushed: Path, workdir: Path, cli) -> None:
    pushed.write_text(pushed.read_text().replace("| P1 | Document", "| P0 | Document"))
    result = cli("reconcile", "--json")
    assert result.code == 0
    assert result.json()[0]["updated"] == ["PM-3"]
    assert store(workdir).get_many(["PM-3"])["PM-3"].priority == "P0"


def test_tracker_change_is_pulled_into_the_document(pushed: Path, workdir: Path, cli) -> None:
    store(workdir).update("PM-2", {"due": "2024-02-01", "owner": "@carol"})
    before = pushed.read_text()

    result = cli("reconcile", "--json")

    assert result.code == 0
    pulled = {(p["key"], p["field"], p["value"]) for p in result.json()[0]["pulled"]}
    assert pulled == {("PM-2", "due", "2024-02-01"), ("PM-2", "owner", "@carol")}
    expected = before.replace(
        "| P0 | Lower DB alert threshold to 70% | @bob | 2024-01-17 |",
        "| P0 | Lower DB alert threshold to 70% | @carol | 2024-02-01 |",
    )
    assert pushed.read_text() == expected
    again = cli("reconcile", "--json")
    assert again.json()[0]["pulled"] == [] and again.json()[0]["updated"] == []


def test_change_on_both_sides_is_a_conflict_and_nothing_is_overwritten(
    pushed: Path, workdir: Path, cli
) -> None:
    store(workdir).update("PM-1", {"due": "2024-03-01"})
    edited = pushed.read_text().replace("| @alice | 2024-01-22 |", "| @alice | 2024-02-15 |")
    pushed.write_text(edited)

    result = cli("reconcile", "--json")

    assert result.code == 1
    [conflict] = result.json()[0]["conflicts"]
    assert conflict["key"] == "PM-1" and conflict["field"] == "due"
    assert conflict["document"] == "2024-02-15" and conflict["tracker"] == "2024-03-01"
    assert conflict["line"] == 14
    assert pushed.read_text() == edited
    assert store(workdir).get_many(["PM-1"])["PM-1"].due == "2024-03-01"
    human = cli("reconcile")
    assert "conflict" in human.stdout and "PM-1" in human.stdout


def test_same_change_on_both_sides_is_not_a_conflict(pushed: Path, workdir: Path, cli) -> None:
    store(workdir).update("PM-1", {"due": "2024-02-15"})
    pushed.write_text(pushed.read_text().replace("| @alice | 2024-01-22 |", "| @alice | 2024-02-15 |"))
    assert cli("reconcile").code == 0
    store(workdir).update("PM-1", {"due": "2024-02-20"})
    result = cli("reconcile", "--json")
    assert result.code == 0
    assert result.json()[0]["pulled"][0]["value"] == "2024-02-20"


def test_status_flows_into_the_status_column(pushed: Path, workdir: Path, cli) -> None:
    store(workdir).set_status("PM-1", "done")
    store(workdir).set_status("PM-3", "dropped")
    store(workdir).set_status("PM-2", "in_progress")

    assert cli("reconcile").code == 0

    text = pushed.read_text()
    assert "| 2024-01-22 | PM-1 | Done |" in text
    assert "| 2024-01-17 | PM-2 | In progress |" in text
    assert "| 2024-01-29 | PM-3 | Won't do |" in text


def test_status_is_never_added_without_a_status_column(workdir: Path, cli) -> None:
    doc = workdir / "pm.md"
    doc.write_text(postmortem_text([(*r, "") for r in STANDARD_ROWS]))
    assert cli("push", str(doc)).code == 0
    store(workdir).set_status("PM-1", "done")
    before = doc.read_bytes()
    assert cli("reconcile", str(doc)).code == 0
    assert doc.read_bytes() == before


def test_missing_items_are_created_like_push(pushed: Path, workdir: Path, cli) -> None:
    text = pushed.read_text().replace(
        "| P1 | Document connection management patterns | @alice | 2024-01-29 | PM-3 | Open |",
        "| P1 | Document connection management patterns | @alice | 2024-01-29 | PM-3 | Open |\n"
        "| P2 | Evaluate canary deployment | @charlie | 2024-02-15 |  |  |",
    )
    pushed.write_text(text)
    result = cli("reconcile", "--json")
    assert result.code == 0 and result.json()[0]["created"] == ["PM-4"]
    assert "| 2024-02-15 | PM-4 |  |" in pushed.read_text()
    follow_up = cli("reconcile", "--json")
    assert follow_up.json()[0]["pulled"] == [
        {"key": "PM-4", "field": "status", "value": "Open", "line": "17"}
    ]
    assert "| 2024-02-15 | PM-4 | Open |" in pushed.read_text()


def test_deleted_ticket_is_reported_and_recreated_only_on_request(pushed: Path, workdir: Path, cli) -> None:
    store(workdir).delete("PM-2")
    before = pushed.read_bytes()
    result = cli("reconcile", "--json")
    assert result.code == 1  # a ticket gone is not "everything in line"
    assert result.json()[0]["missing"] == ["PM-2"]
    assert pushed.read_bytes() == before
    assert len(local_tickets(workdir)) == 2

    recreated = cli("reconcile", "--recreate-missing", "--json")
    assert recreated.code == 0 and recreated.json()[0]["created"] == ["PM-4"]
    assert "| @bob | 2024-01-17 | PM-4 | Open |" in pushed.read_text()


def test_drafts_are_skipped_and_dry_run_touches_nothing(pushed: Path, workdir: Path, cli) -> None:
    draft = pushed.parent / "postmortem-2024-02-01-draft.md"
    draft.write_text(postmortem_text([(*STANDARD_ROWS[0], "")], status="Draft"))
    store(workdir).update("PM-2", {"due": "2024-02-01"})
    before = pushed.read_bytes()

    result = cli("reconcile", "--dry-run", "--json")

    assert result.code == 0
    by_file = {Path(o["file"]).name: o for o in result.json()}
    assert by_file[draft.name]["skipped"] == "status is Draft, not Final"
    assert by_file[pushed.name]["pulled"][0]["value"] == "2024-02-01"
    assert pushed.read_bytes() == before
    assert len(local_tickets(workdir)) == 3


def test_baseline_survives_a_fresh_checkout(pushed: Path, workdir: Path, cli) -> None:
    """The baseline lives with the ticket, so a re-cloned docs repo still merges three ways."""
    clone = workdir / "clone" / "docs" / "technical"
    clone.mkdir(parents=True)
    copy = clone / pushed.name
    copy.write_bytes(pushed.read_bytes())
    store(workdir).update("PM-1", {"summary": "Integration test for the connection pool"})
    result = cli("reconcile", str(copy), "--json")
    assert result.code == 0
    assert result.json()[0]["pulled"] == [
        {"key": "PM-1", "field": "action", "value": "Integration test for the connection pool", "line": "14"}
    ]
    assert "| P0 | Integration test for the connection pool | @alice |" in copy.read_text()


def test_document_status_is_kept_until_the_tracker_changes(pushed: Path, workdir: Path, cli) -> None:
    """The tracker owns status, but a Done row is not reverted by a ticket nobody touched."""
    pushed.write_text(pushed.read_text().replace("| PM-1 | Open |", "| PM-1 | Done |"))

    first = cli("reconcile", "--json")

    assert first.code == 0
    assert first.json()[0]["pulled"] == []
    assert "| PM-1 | Done |" in pushed.read_text()
    [warning] = first.json()[0]["warnings"]
    assert "Status says Done but PM-1 is Open" in warning["message"] and warning["line"] == 14

    store(workdir).set_status("PM-1", "in_progress")  # now the tracker moves: it wins
    second = cli("reconcile", "--json")
    assert second.json()[0]["pulled"] == [
        {"key": "PM-1", "field": "status", "value": "In progress", "line": "14"}
    ]
    assert "| PM-1 | In progress |" in pushed.read_text()
    assert cli("reconcile", "--json").json()[0]["pulled"] == []


def test_nothing_to_reconcile_is_said_out_loud(workdir: Path, cli) -> None:
    result = cli("reconcile", "--json")
    assert result.code == 0 and result.json() == []
    assert "no postmortems found" in result.stderr


def test_skipped_draft_reads_naturally(workdir: Path, cli) -> None:
    doc = workdir / "docs" / "technical" / "postmortem-2024-02-01-x.md"
    doc.parent.mkdir(parents=True)
    doc.write_text(postmortem_text(status="Draft"))
    result = cli("reconcile")
    assert result.code == 0
    assert f"skipped {doc.relative_to(workdir)}: status is Draft, not Final" in result.stdout


def test_push_then_reconcile_keeps_done_and_wont_fix_rows(workdir: Path, cli) -> None:
    path = workdir / "postmortem-2024-01-15-statuses.md"
    path.write_text(
        FINAL_HEAD.format(title="Statuses")
        + doc("""
        ## Action items

        | Priority | Action | Owner | Due | Status | Ticket |
        |---|---|---|---|---|---|
        | P1 | Done during the incident | @a | 2024-01-22 | Done | |
        | P2 | Not worth it | @a | 2024-01-23 | Won't fix | |
    """)
    )
    assert cli("push", str(path)).code == 0
    pushed = path.read_text()

    cli("reconcile", str(path), "--json")

    assert path.read_text() == pushed
