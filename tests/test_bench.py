"""The benchmarks keep working: the harness of bench/run.py at a small size, against the same
fake trackers and the same twenty mapped owners, with its request counts asserted exactly
(they are deterministic; a batch that shrank or an owner look-up that came back would change
them). Timings are only ever reported, never asserted."""

from __future__ import annotations

import pytest
from bench.run import Row, request_rows, smoke
from bench.trackers import Figures, board_run, floor
from bench.workload import OWNERS

pytestmark = pytest.mark.slow

N = 250  # 50 postmortems: more than one batch of 100 markers or keys
CHANGED = 3

# Requests (writes) per step at N=250, twenty mapped owners, every one of them:
#   push: ceil(1.2·N/100) = 3 marker searches (item and document markers) + owner look-ups
#         + Jira's create metadata (2) + creates (Jira: 5 bulk creates of 50; GitHub: 250 issues
#         and 4 labels, after one listing, 20 assignee checks, the repository and its labels);
#   reconcile, nothing changed: ceil(N/100) = 3 reads, no owner look-up, no write;
#   reconcile, 3 rows changed: the same 3 reads + 3 edits (+ 3 baseline reads on Data Center).
EXPECTED = {
    # Cloud asks for the twenty owners in 4 `user/bulk` (each postmortem's new ones at once)
    "jira-cloud": {"create": (3 + 4 + 2 + 5, 5), "unchanged": (3, 0), "edited": (3 + 3, 3)},
    # Data Center has no bulk user read: one `GET user` per owner, once a run
    "jira-dc": {"create": (3 + 20 + 2 + 5, 5), "unchanged": (3, 0), "edited": (3 + 3 + 3, 3)},
    "github": {"create": (1 + 20 + 2 + 254, 254), "unchanged": (3, 0), "edited": (3 + 3, 3)},
}


def test_every_tracker_makes_exactly_its_requests_at_a_smoke_size() -> None:
    assert len(OWNERS) == 20
    figures = smoke(n=N, changed=CHANGED)

    assert [f.kind for f in figures] == ["jira-cloud", "jira-dc", "github"]
    for f in figures:
        assert f.problems == [], f.problems
        assert f.create is not None and f.unchanged is not None and f.edited is not None
        counted = {
            "create": (f.create.requests, f.create.writes),
            "unchanged": (f.unchanged.requests, f.unchanged.writes),
            "edited": (f.edited.requests, f.edited.writes),
        }
        assert counted == EXPECTED[f.kind], f.kind
        assert f.unchanged.requests <= floor(N)
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
