"""The three-way merge, field by field, as a truth table: document (d), tracker (t) and the last
synced baseline (b). A change on one side flows to the other; the same change on both is in line;
different changes on both are a conflict; without a baseline the document wins, as push does."""

from __future__ import annotations

import pytest

from pm_sync.sync.merge import merge
from pm_sync.tracker.tickets import TicketFields

A, B, C = "alpha", "bravo", "charlie"
NO_BASELINE = object()

# (d, t, b) -> (what is pushed, what is pulled, conflict?, the new baseline's value)
TABLE = [
    ((A, A, A), ({}, {}, False, A)),  # nothing changed
    ((B, A, A), ({"action": B}, {}, False, B)),  # the document changed: push
    ((A, B, A), ({}, {"action": B}, False, B)),  # the tracker changed: pull
    ((B, B, A), ({}, {}, False, B)),  # both made the same change: in line
    ((B, C, A), ({}, {}, True, A)),  # different changes on both: conflict, baseline kept
    ((None, A, A), ({"action": None}, {}, False, None)),  # the document cleared it: push that
    ((A, None, A), ({}, {"action": None}, False, None)),  # the tracker cleared it: pull that
    ((A, A, NO_BASELINE), ({}, {}, False, A)),  # never synced, already equal
    ((A, B, NO_BASELINE), ({"action": A}, {}, False, A)),  # never synced: the document wins
]


@pytest.mark.parametrize(("sides", "expected"), TABLE)
def test_one_field(sides: tuple[object, object, object], expected: tuple[object, ...]) -> None:
    d, t, b = sides
    push, pull, conflict, new_base = expected
    baseline = None if b is NO_BASELINE else TicketFields(action=b)  # type: ignore[arg-type]

    result = merge(TicketFields(action=d), TicketFields(action=t), baseline, ["action"])  # type: ignore[arg-type]

    assert result.push == push and result.pull == pull
    assert result.conflicts == ([("action", d, t)] if conflict else [])
    assert result.baseline.action == new_base


def test_fields_outside_the_synced_set_are_left_alone() -> None:
    doc = TicketFields(action="new", due=None)
    tracker = TicketFields(action="old", priority=None)
    result = merge(doc, tracker, TicketFields(action="old"), ["priority"])
    assert result.push == {} and result.pull == {} and result.conflicts == []
