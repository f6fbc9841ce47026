"""A push killed at any step and run again ends with exactly one ticket per action item."""

from __future__ import annotations

import collections
import json
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import STANDARD_ROWS, local_tickets, postmortem_text, run_subprocess
from tests.jira_support import TOKEN_ENV, JiraEnv
from tests.sync_support import fresh_doc, make_jira, ticket_cells

__all__ = ["make_jira"]  # fixtures re-exported for pytest

FIVE_ROWS = [
    *STANDARD_ROWS,
    ("P2", "Evaluate canary deployment", "@charlie", "2024-02-15"),
    ("P3", "Add deploy markers to dashboards", "@dana", "2024-02-20"),
]
FINAL = postmortem_text([(*r, k) for r, k in zip(FIVE_ROWS, [f"PM-{n}" for n in range(1, 6)], strict=True)])


def fresh(workdir: Path) -> Path:
    doc = workdir / "postmortem-2024-01-15-payments.md"
    doc.write_text(postmortem_text([(*r, "") for r in FIVE_ROWS]))
    return doc


def assert_converged(workdir: Path, doc: Path) -> None:
    tickets = local_tickets(workdir)
    assert sorted(t["summary"] for t in tickets) == sorted(r[1] for r in FIVE_ROWS)
    assert len({t["marker"] for t in tickets}) == 5
    text = doc.read_text()
    keys = {t["summary"]: t["key"] for t in tickets}
    for row in FIVE_ROWS:
        assert f"| {' | '.join(row)} | {keys[row[1]]} |" in text
    assert not list(workdir.glob(".*.pm-sync.tmp"))


@pytest.mark.parametrize(
    "point",
    [
        "before-create",
        "after-create-item:1",
        "after-create-item:3",
        "after-create",
        "before-writeback",
        "writeback-before-rename",
        "after-writeback",
    ],
)
def test_killed_at_each_step_then_rerun(workdir: Path, point: str) -> None:
    doc = fresh(workdir)

    killed = run_subprocess(["push", doc.name], workdir, {"PM_SYNC_FAILPOINT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    rerun = run_subprocess(["push", doc.name, "--json"], workdir)
    assert rerun.returncode == 0, rerun.stderr + rerun.stdout
    assert_converged(workdir, doc)
    again = run_subprocess(["push", doc.name, "--json"], workdir)
    assert '"created": []' in again.stdout and again.returncode == 0
    assert len(local_tickets(workdir)) == 5


def test_killed_before_update_then_rerun_applies_update(workdir: Path) -> None:
    doc = fresh(workdir)
    assert run_subprocess(["push", doc.name], workdir).returncode == 0
    doc.write_text(doc.read_text().replace("| @bob | 2024-01-17 |", "| @erin | 2024-01-19 |"))

    killed = run_subprocess(["push", doc.name], workdir, {"PM_SYNC_FAILPOINT": "before-update"})
    assert killed.returncode == -signal.SIGKILL
    assert run_subprocess(["push", doc.name], workdir).returncode == 0
    pm2 = next(t for t in local_tickets(workdir) if t["key"] == "PM-2")
    assert (pm2["owner"], pm2["due"]) == ("@erin", "2024-01-19")


def test_killed_at_random_instants(workdir: Path) -> None:
    """SIGKILL from outside at unplanned moments, five times, then a clean run."""
    doc = fresh(workdir)
    rng = random.Random(20261128)
    for _ in range(5):
        proc = subprocess.Popen(
            [sys.executable, "-m", "pm_sync", "push", doc.name],
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.05, 0.6))
        proc.kill()
        proc.wait(timeout=30)
    final = run_subprocess(["push", doc.name], workdir)
    assert final.returncode == 0, final.stderr
    assert_converged(workdir, doc)


def test_two_concurrent_pushes_create_each_ticket_once(workdir: Path) -> None:
    doc = fresh(workdir)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "pm_sync", "push", doc.name, "--json"],
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    created = sorted(key for out, _ in outputs for key in json.loads(out)[0]["created"])
    assert created == [f"PM-{n}" for n in range(1, 6)]
    assert doc.read_text() == FINAL
    assert_converged(workdir, doc)


def test_push_killed_at_random_instants_against_a_slow_jira_converges(
    make_jira: Callable[..., JiraEnv], workdir: Path
) -> None:
    """Kills land mid-request (latency on every Jira call); one clean run then converges."""
    env = make_jira(latency=0.04)
    doc = fresh_doc(workdir)
    rng = random.Random(4242)
    extra = {TOKEN_ENV: env.fake.token}
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-m", "pm_sync", "push", doc.name],
            cwd=workdir,
            env=_sub_env(extra),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.25, 1.1))
        proc.kill()
        proc.wait(timeout=30)

    final = run_subprocess(["push", doc.name, "--json"], workdir, extra)
    again = run_subprocess(["push", doc.name, "--json"], workdir, extra)

    assert final.returncode == 0, final.stdout + final.stderr
    summaries = collections.Counter(i["fields"]["summary"] for i in env.fake.issues)
    assert summaries == collections.Counter(r[1] for r in FIVE_ROWS)
    cells = ticket_cells(doc)
    assert all(cells) and len(set(cells)) == 5
    assert json.loads(again.stdout)[0]["created"] == [] and again.returncode == 0


def _sub_env(extra: dict[str, str]) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("PM_SYNC_")}
    env.update(extra)
    return env


def test_three_concurrent_pushes_and_a_reconcile_make_each_ticket_once(workdir: Path) -> None:
    doc = fresh_doc(workdir)
    commands = [["push", doc.name, "--json"]] * 3 + [["reconcile", doc.name, "--json"]]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "pm_sync", *c],
            cwd=workdir,
            env=_sub_env({}),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for c in commands
    ]
    outputs = [p.communicate(timeout=60) for p in procs]

    assert [p.returncode for p in procs] == [0, 0, 0, 0], outputs
    tickets = local_tickets(workdir)
    assert sorted(t["summary"] for t in tickets) == sorted(r[1] for r in FIVE_ROWS)
    created = [k for out, _ in outputs[:3] for k in json.loads(out)[0]["created"]]
    created += [k for k in json.loads(outputs[3][0])[0]["created"]]
    assert sorted(created) == sorted(t["key"] for t in tickets)
    assert sorted(ticket_cells(doc)) == sorted(t["key"] for t in tickets)
