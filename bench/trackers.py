"""Tracker benchmarks: requests, latency and memory of push and reconcile against the fakes.

For each tracker and size N: N/5 postmortems are pushed (creates), reconciled unchanged (the
request floor, peak RSS), reconciled with 50 ms added to every request (latency), then
reconciled after `d` rows changed (floor + writes).
"""

from __future__ import annotations

import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.workload import ITEMS, Outcome, config_text, fake_tracker, pm_sync, write_postmortems

KINDS = ("jira-cloud", "jira-dc", "github")
LATENCY = 0.05


def floor(n: int) -> int:
    return math.ceil(n / 100) + 3


def create_goal(kind: str, n: int) -> int:
    """Jira: a bulk create per 50 (properties ride in the create). GitHub has no bulk create:
    one POST per issue, plus the labels the repository lacks (ours and P0-P4), made once."""
    return math.ceil(n / 50) + 3 if kind.startswith("jira") else n + 6 + 3


@dataclass
class Figures:
    kind: str
    n: int
    changed: int
    create: Outcome | None = None
    unchanged: Outcome | None = None
    slow: Outcome | None = None
    edited: Outcome | None = None
    board_requests: int = 0
    problems: list[str] = field(default_factory=list)


def _check(step: str, outcome: Outcome, figures: Figures) -> Outcome:
    if outcome.code != 0:
        tail = (outcome.stderr or outcome.stdout)[-600:]
        figures.problems.append(f"{step} exited {outcome.code}: {tail}")
    return outcome


_DUE = re.compile(r"\| (\d{4})-(\d{2})-(\d{2}) \|")


def change_rows(docs: list[Path], d: int) -> None:
    """Move the due date of `d` rows, one row per postmortem, spread over the run."""
    step = max(1, len(docs) // max(d, 1))
    for path in docs[::step][:d]:
        text = path.read_text()
        m = _DUE.search(text.split("## Action items", 1)[1])
        assert m is not None
        old = m.group(0)
        new = f"| {int(m.group(1)) + 1}-{m.group(2)}-{m.group(3)} |"
        head, tail = text.split("## Action items", 1)
        path.write_text(head + "## Action items" + tail.replace(old, new, 1))


def run_tracker(kind: str, n: int, changed: int = 10, latency: bool = True) -> Figures:
    figures = Figures(kind, n, changed)
    with tempfile.TemporaryDirectory(prefix="pm-sync-bench-") as tmp, fake_tracker(kind) as fake:
        work = Path(tmp)
        (work / "pm-sync.toml").write_text(config_text(kind, fake))
        docs = write_postmortems(work / "docs", math.ceil(n / ITEMS))
        figures.create = _check("push", pm_sync(["push", "--json", "docs"], work, fake), figures)
        figures.unchanged = _check("reconcile", pm_sync(["reconcile", "--json", "docs"], work, fake), figures)
        if latency:
            fake.latency = LATENCY
            try:
                figures.slow = _check(
                    "reconcile (latency)", pm_sync(["reconcile", "--json", "docs"], work, fake), figures
                )
            finally:
                fake.latency = 0.0
        if changed:
            change_rows(docs, changed)
            figures.edited = _check(
                "reconcile (changed)", pm_sync(["reconcile", "--json", "docs"], work, fake), figures
            )
    return figures


def board_run(n: int) -> Figures:
    """GitHub with a Projects v2 board: how many GraphQL requests putting N new issues on it
    (with their due date and priority) costs."""
    figures = Figures("github", n, 0)
    with tempfile.TemporaryDirectory(prefix="pm-sync-bench-") as tmp, fake_tracker("github") as fake:
        work = Path(tmp)
        (work / "pm-sync.toml").write_text(config_text("github", fake, board=True))
        write_postmortems(work / "docs", math.ceil(n / ITEMS))
        before = len(fake.requests_to("POST", "^/graphql$"))
        figures.create = _check("push (board)", pm_sync(["push", "--json", "docs"], work, fake), figures)
        figures.board_requests = len(fake.requests_to("POST", "^/graphql$")) - before
    return figures
