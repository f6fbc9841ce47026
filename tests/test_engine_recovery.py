"""The engine's promises on the in-memory tracker (through the same connector contract as every
tracker): a create whose answer was lost is settled by its marker, never resent blindly; a row
whose text changed keeps its ticket; a deleted row's ticket is reported; duplicates are named;
a run far bigger than usual stops before touching anything."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pm_sync.document.model import ItemStatus
from pm_sync.testing import MemoryConnector, MemoryTracker
from pm_sync.tracker.registry import registered
from tests.conftest import STANDARD_ROWS, SkipClock, postmortem_text, use_clock


@pytest.fixture
def tracker(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryTracker]:
    memory = MemoryTracker()
    monkeypatch.setattr(MemoryConnector, "tracker", memory)
    use_clock(monkeypatch, SkipClock())
    (workdir / "pm-sync.toml").write_text('tracker = "memory"\n')
    with registered("memory", MemoryConnector):
        yield memory


def write(workdir: Path, rows: list[tuple[str, ...]] | None = None, name: str = "pm.md") -> Path:
    doc = workdir / name
    doc.write_text(postmortem_text(rows if rows is not None else [(*r, "") for r in STANDARD_ROWS]))
    return doc


def test_lost_answers_are_found_by_marker_and_written_back(
    tracker: MemoryTracker, workdir: Path, cli
) -> None:
    tracker.lose_creates = 3
    doc = write(workdir)

    out = cli("push", str(doc), "--json")

    assert out.code == 0, out.stdout
    assert out.one()["created"] == ["MEM-1", "MEM-2", "MEM-3"] and len(tracker.tickets) == 3
    assert "| MEM-2 |" in doc.read_text()


def test_a_lagging_search_never_gets_a_second_create_until_told(
    tracker: MemoryTracker, workdir: Path, cli
) -> None:
    tracker.search_lag = 3600.0  # the tracker takes an hour to show new tickets in search
    tracker.lose_creates = 1
    doc = write(workdir, [(*STANDARD_ROWS[0], "")])

    first = cli("push", str(doc), "--json")

    assert first.code == 1 and [e["code"] for e in first.one()["errors"]] == ["create-in-flight"]
    assert len(tracker.tickets) == 1 and "waiting" in first.stderr
    second = cli("push", str(doc), "--json")  # a rerun, still before the search catches up
    assert second.code == 1 and len(tracker.tickets) == 1
    assert second.one()["errors"][0]["code"] == "create-in-flight"
    tracker.search_lag = 0.0
    third = cli("push", str(doc), "--json")  # the ticket shows up: adopted, not created again
    assert third.code == 0 and third.one()["recovered"] == ["MEM-1"] and len(tracker.tickets) == 1


def test_retry_lost_creates_again_when_a_person_says_so(tracker: MemoryTracker, workdir: Path, cli) -> None:
    tracker.search_lag = 3600.0
    tracker.lose_creates = 1
    doc = write(workdir, [(*STANDARD_ROWS[0], "")])
    assert cli("push", str(doc)).code == 1
    tracker.tickets.clear()  # it really was lost

    again = cli("push", str(doc), "--retry-lost", "--json")

    assert again.code == 0 and again.one()["created"] == ["MEM-2"] and len(tracker.tickets) == 1


def test_a_row_whose_text_was_edited_keeps_its_ticket(tracker: MemoryTracker, workdir: Path, cli) -> None:
    doc = write(workdir)
    assert cli("push", str(doc)).code == 0
    # a crash lost the keys, then someone fixed a typo in the second row
    doc.write_text(
        postmortem_text([(*r, "") for r in STANDARD_ROWS]).replace(
            "Lower DB alert threshold to 70%", "Lower the DB alert threshold to 70%"
        )
    )

    out = cli("push", str(doc), "--json")

    assert out.code == 0, out.stdout
    assert sorted(out.one()["recovered"]) == ["MEM-1", "MEM-2", "MEM-3"] and out.one()["created"] == []
    assert "| Lower the DB alert threshold to 70% | @bob | 2024-01-17 | MEM-2 |" in doc.read_text()
    assert out.one()["updated"] == ["MEM-2"]
    assert tracker.tickets["MEM-2"].fields.action == "Lower the DB alert threshold to 70%"


def test_a_deleted_rows_open_ticket_is_reported_as_orphaned(
    tracker: MemoryTracker, workdir: Path, cli
) -> None:
    doc = write(workdir)
    assert cli("push", str(doc)).code == 0
    kept = [line for line in doc.read_text().splitlines(keepends=True) if "MEM-3" not in line]
    doc.write_text("".join(kept))

    out = cli("reconcile", str(doc), "--json")

    [result] = out.json()
    assert result["orphaned"] == ["MEM-3"] and out.code == 0
    assert [w["code"] for w in result["warnings"]] == ["orphaned-ticket"]
    tracker.close("MEM-3", ItemStatus.DROPPED)
    assert cli("reconcile", str(doc), "--json").json()[0]["orphaned"] == []


def test_tickets_sharing_a_rows_marker_are_named_as_duplicates(
    tracker: MemoryTracker, workdir: Path, cli
) -> None:
    doc = write(workdir)
    pristine = doc.read_text()
    assert cli("push", str(doc)).code == 0
    clone = workdir / "clone"
    clone.mkdir()
    (clone / "pm-sync.toml").write_text('tracker = "memory"\n')
    (clone / "pm.md").write_text(pristine)  # another clone pushed the same postmortem meanwhile
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(clone)
        # the clone's own journal and lock are its own: nothing serialises the two
        tracker.search_lag = 0.0
        for ticket in list(tracker.tickets.values()):
            ticket.marker, ticket.document = "hidden-" + ticket.marker, "hidden-" + ticket.document
        assert cli("push", "pm.md").code == 0
        for ticket in list(tracker.tickets.values()):
            ticket.marker, ticket.document = (
                ticket.marker.removeprefix("hidden-"),
                ticket.document.removeprefix("hidden-"),
            )

    out = cli("push", str(doc), "--json")

    assert out.code == 1
    dups = out.one()["duplicates"]
    assert [(d["kept"], d["others"]) for d in dups] == [
        ("MEM-1", ["MEM-4"]),
        ("MEM-2", ["MEM-5"]),
        ("MEM-3", ["MEM-6"]),
    ]
    assert {e["code"] for e in out.one()["errors"]} == {"duplicate-ticket"}
    assert "MEM-4" in out.one()["errors"][0]["message"] and len(tracker.tickets) == 6


def test_a_run_far_bigger_than_usual_stops_before_touching_anything(
    tracker: MemoryTracker, workdir: Path, cli
) -> None:
    (workdir / "pm-sync.toml").write_text('tracker = "memory"\n[safety]\nmax_creates = 2\n')
    doc = write(workdir)
    before = doc.read_bytes()

    stopped = cli("push", str(doc), "--json")

    assert stopped.code == 1 and [e["code"] for e in stopped.one()["errors"]] == ["safety-threshold"]
    assert "--force" in stopped.one()["errors"][0]["hint"]
    assert tracker.tickets == {} and doc.read_bytes() == before
    dry = cli("push", str(doc), "--dry-run", "--json")
    assert dry.code == 0 and dry.one()["warnings"][0]["code"] == "safety-threshold"
    forced = cli("push", str(doc), "--force", "--json")
    assert forced.code == 0 and len(tracker.tickets) == 3


def test_a_list_style_postmortem_is_refused_naming_migrate(
    tracker: MemoryTracker, workdir: Path, cli
) -> None:
    doc = workdir / "pm.md"
    doc.write_text(
        "# Postmortem: X\n\n**Date**: 2024-01-15 | **Status**: Final\n\n## Action items\n\n"
        "- [ ] Add a pool saturation alert (@alice, due 2024-01-22)\n"
    )

    out = cli("push", str(doc), "--json")

    [error] = out.one()["errors"]
    assert out.code == 1 and error["code"] == "list-action-items" and error["line"] == 7
    assert "pm-sync migrate" in error["hint"] and tracker.tickets == {}
