"""Postmortems and tracker set-ups for the benchmarks: many house-style postmortems of five
action items each, a pm-sync.toml per tracker, and the fake trackers from tests/fakes."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fakes.fake_github import FakeGitHub  # noqa: E402
from tests.fakes.fake_jira import FakeJira  # noqa: E402

ITEMS = 5
TOKEN_ENV = "PMSYNC_BENCH_TOKEN"
OWNERS = ("alice", "bob", *(f"owner{k:02d}" for k in range(3, 21)))
"""Twenty people own the action items (a realistic `[owners]` map), each mapped to its Jira
identity: Cloud's accountId, Data Center's username."""


def account_id(name: str) -> str:
    return f"557058:{OWNERS.index(name) + 1:08x}-0000-4000-8000-{name.encode().hex()[:12]:0>12}"


REPO = "acme/app"
ACTIONS = (
    "Add an integration test for the connection pool",
    "Lower the database alert threshold to 70%",
    "Document connection management patterns",
    "Evaluate canary deployments for the payment API",
    "Page the database on-call when connections pass 80%",
)

PROSE = """## Executive Summary

Release v2.3.{n} bypassed the database connection pool. Under normal traffic the payment API
exhausted the database's connections and returned errors to about {pct}% of checkout requests for
{minutes} minutes. Rolling back restored service.

**Impact**: ~{impact} failed checkouts, no data loss.

## Timeline (UTC)

| Time | Event |
|-------|-------|
| 14:23 | v2.3.{n} deployed to production |
| 14:31 | Alert: payment_error_rate > 5% |
| 14:33 | On-call @alice acknowledges |
| 14:45 | Root cause identified: DB connections |
| 15:10 | Rollback complete, error rate normalizing |

## Root Cause Analysis

A refactor of the payment repository opened a new database connection per request instead of
borrowing one from the pool. Connections piled up until the database refused new ones.

### 5 Whys

- Why did the service fail? → DB connections were exhausted
- Why were they exhausted? → Each request opened a new connection
- Why new connections? → The code bypassed the connection pool

### Contributing factors

- Code review did not flag the infrastructure change
- No integration test covers connection pool behaviour
- Alert threshold too high (90%, should be 70%)

## What worked / what didn't

| Worked | Didn't work |
|---|---|
| Alert fired within 8 min | Took 10 min to correlate with deployment |
| Fast rollback decision | No canary deployment |
"""


def postmortem(n: int, keys: list[str] | None = None, rows: int = ITEMS) -> str:
    day = dt.date(2020, 1, 1) + dt.timedelta(days=n % 1500)
    lines = [
        f"# Postmortem: Payment API errors, incident {n}",
        "",
        f"**Date**: {day.isoformat()} | **Severity**: SEV{n % 3 + 1} | **Duration**: {n % 90 + 10} min",
        "**Authors**: @alice, @bob | **Status**: Final",
        "",
        PROSE.format(n=n, pct=n % 9 + 1, minutes=n % 90 + 10, impact=n * 7 % 5000),
        "## Action items",
        "",
        "| Priority | Action | Owner | Due | Ticket |",
        "|---|---|---|---|---|",
    ]
    for i in range(rows):
        due = day + dt.timedelta(days=7 + i)
        key = keys[i] if keys else ""
        owner = "@" + OWNERS[(n * rows + i) % len(OWNERS)]
        lines.append(f"| P{i % 3} | {ACTIONS[i % len(ACTIONS)]} ({n}.{i}) | {owner} | {due} | {key} |")
    return "\n".join(lines) + "\n"


def write_postmortems(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = folder / f"postmortem-{n:05d}.md"
        path.write_text(postmortem(n))
        paths.append(path)
    return paths


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


BOARD = 'project = { owner = "acme", number = 5 }\ndue_field = "Due"\npriority_field = "Priority"\n'


def config_text(kind: str, fake: FakeJira | FakeGitHub, *, board: bool = False) -> str:
    """A pm-sync.toml for `kind` (jira-cloud, jira-dc, github); safety limits lifted, since a
    benchmark creates thousands of tickets on purpose."""
    safety = "[safety]\nmax_creates = 1000000\nmax_updates = 1000000\n"
    if kind == "github":
        assert isinstance(fake, FakeGitHub)
        table = {
            "repo": REPO,
            "api_url": fake.api_url,
            "token_env": TOKEN_ENV,
            "seconds_between_writes": 0,
        }
        owners = ""
        tracker = "github"
    else:
        assert isinstance(fake, FakeJira)
        cloud = kind == "jira-cloud"
        table = {
            "url": fake.url,
            "deployment": "cloud" if cloud else "datacenter",
            "token_env": TOKEN_ENV,
            "project": "OPS",
        }
        if cloud:
            table["email"] = fake.email
        owners = "[owners]\n" + "".join(
            f'"@{name}" = {{ jira = "{account_id(name) if cloud else name}" }}\n' for name in OWNERS
        )
        tracker = "jira"
    body = "\n".join(f"{k} = {_toml(v)}" for k, v in table.items()) + ("\n" + BOARD if board else "")
    return f'tracker = "{tracker}"\n\n[trackers.{tracker}]\n{body}\n\n{owners}\n{safety}'


@contextmanager
def fake_tracker(kind: str, latency: float = 0.0) -> Iterator[FakeJira | FakeGitHub]:
    if kind == "github":
        gh = FakeGitHub(token="ghp_bench", latency=latency, rate_limit=10**9)
        gh.add_repo(REPO)
        for name in OWNERS:
            gh.add_collaborator(REPO, name)
        gh.add_project("acme", 5)
        with gh:
            yield gh
        return
    jira = FakeJira(mode="cloud" if kind == "jira-cloud" else "datacenter", latency=latency)
    jira.add_project("OPS", name="Operations", issue_types=["Task", "Bug"])
    for name in OWNERS:
        jira.add_user(
            account_id=account_id(name), name=name, email=f"{name}@example.com", display_name=name.title()
        )
    with jira:
        yield jira


def token(fake: FakeJira | FakeGitHub) -> str:
    return "ghp_bench" if isinstance(fake, FakeGitHub) else fake.token


@dataclass
class Outcome:
    """One pm-sync command: its wall time, peak RSS and the requests the tracker saw."""

    seconds: float
    rss_mb: float
    requests: int
    writes: int
    code: int
    stdout: str
    stderr: str


def count(fake: FakeJira | FakeGitHub) -> tuple[int, int]:
    log = list(fake.request_log)
    return len(log), sum(1 for r in log if r.method not in ("GET", "HEAD"))


def pm_sync(args: list[str], cwd: Path, fake: FakeJira | FakeGitHub) -> Outcome:
    """Run the CLI in a child process (as cron would); its peak RSS comes from `peak.py`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PM_SYNC_")}
    env[TOKEN_ENV] = token(fake)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH")) if p)
    before, before_writes = count(fake)
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
        tempfile.NamedTemporaryFile("r", suffix=".peak") as peak,
    ):
        env["PM_SYNC_BENCH_PEAK"] = peak.name
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "peak.py"), *args],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=err,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        peak_kib = int(peak.read() or 0)
    after, after_writes = count(fake)
    return Outcome(
        seconds,
        peak_kib / 1024,
        after - before,
        after_writes - before_writes,
        proc.returncode,
        stdout,
        stderr,
    )
