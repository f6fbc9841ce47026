"""The benchmarks keep working: the harness of bench/run.py at a tiny size, against the same
fake trackers, with its request floors asserted (request counts are deterministic; timings are
only ever reported, never asserted)."""

from __future__ import annotations

import pytest
from bench.run import Row, request_rows, smoke
from bench.trackers import Figures, board_run, floor

pytestmark = pytest.mark.slow


def test_every_tracker_stays_at_its_request_floor_at_a_smoke_size() -> None:
    figures = smoke(n=50, changed=3)

    assert [f.kind for f in figures] == ["jira-cloud", "jira-dc", "github"]
    for f in figures:
        assert f.problems == [], f.problems
        assert f.unchanged is not None and f.unchanged.requests <= floor(50)
        assert f.unchanged.writes == 0  # nothing changed: nothing written
        assert f.edited is not None and f.edited.writes == 3  # one edit per changed row
    rows = request_rows_of(figures)
    assert rows and all(r.met for r in rows), [r for r in rows if not r.met]


def test_a_project_board_costs_a_few_requests_for_a_whole_push() -> None:
    figures = board_run(50)

    assert figures.problems == [], figures.problems
    assert figures.create is not None and figures.create.code == 0
    # the board is looked up once; 50 issues join it in one request and get their fields in one
    assert figures.board_requests == 3


def request_rows_of(figures: list[Figures]) -> list[Row]:
    return [r for f in figures for r in request_rows(f)]
