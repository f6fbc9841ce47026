"""Shared fixtures: a scratch working directory, postmortem builders and CLI runners."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pm_sync import clock
from pm_sync.cli import run

SkipClock = clock.SkipClock


def use_clock(monkeypatch: pytest.MonkeyPatch, fake: clock.Clock) -> None:
    """pm-sync's waits in this test go through `fake` (in-process runs only)."""
    monkeypatch.setattr(clock._Current, "clock", fake)


STANDARD_ROWS = [
    ("P0", "Integration test for connection pool", "@alice", "2024-01-22"),
    ("P0", "Lower DB alert threshold to 70%", "@bob", "2024-01-17"),
    ("P1", "Document connection management patterns", "@alice", "2024-01-29"),
]


def postmortem_text(
    rows: Sequence[Sequence[str]] = STANDARD_ROWS,
    *,
    status: str = "Final",
    header: str = "| Priority | Action | Owner | Due | Ticket |",
    delimiter: str = "|---|---|---|---|---|",
    row_format: Callable[[Sequence[str]], str] | None = None,
    title: str = "Payment API errors",
    extra: str = "",
) -> str:
    fmt = row_format or (lambda r: "| " + " | ".join(r) + " |")
    lines = [
        f"# Postmortem: {title}",
        "",
        "**Date**: 2024-01-15 | **Severity**: SEV2 | **Duration**: 47 min",
        f"**Authors**: @alice, @bob | **Status**: {status}",
        "",
        "## Executive Summary",
        "",
        "Connections ran out.",
        "",
        "## Action items",
        "",
        header,
        delimiter,
        *(fmt(r) for r in rows),
        "",
    ]
    return "\n".join(lines) + extra


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def one(self) -> Any:
        """The `--json` entry of a run over one postmortem (push and reconcile print a list)."""
        data = self.json()
        assert isinstance(data, list) and len(data) == 1, data
        return data[0]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder with no pm-sync config, as a new user has."""
    for var in ("PM_SYNC_CONFIG", "PM_SYNC_FAILPOINT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    def invoke(*args: str) -> CliResult:
        capsys.readouterr()
        code = run(list(args))
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return invoke


def run_subprocess(
    args: Sequence[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PM_SYNC_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pm_sync", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def local_tickets(workdir: Path) -> list[dict[str, Any]]:
    from pm_sync_local import LocalStore

    return [t.public() | {"marker": t.marker} for t in LocalStore(workdir / ".pm-sync" / "local.db").list()]
