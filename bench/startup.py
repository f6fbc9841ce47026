"""Start-up: how much longer `pm-sync --help` and `pm-sync lint FILE` take than a bare
`python -c pass`, best of several runs (the machine's noise is mostly upward)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.workload import ROOT, postmortem

HELP_GOAL = 0.15
LINT_GOAL = 0.20


def _best(cmd: list[str], cwd: Path, repeat: int) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PM_SYNC_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH")) if p)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=False)
        best = min(best, time.perf_counter() - start)
    return best


def heavy_modules(args: list[str]) -> list[str]:
    """Which heavy libraries a command imports (they should load only where used)."""
    heavy = ("pydantic", "markdown_it", "yaml", "rich.progress", "jira", "github", "httpx")
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['pm-sync', *{args!r}]\n"
        "try:\n    runpy.run_module('pm_sync', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / "postmortem.md"
        doc.write_text(postmortem(1))
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        ).stdout.strip()
    return [m for m in out.splitlines()[-1].split(",") if m] if out else []


def run(repeat: int = 15) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        doc = work / "postmortem.md"
        doc.write_text(postmortem(1))
        bare = _best([sys.executable, "-c", "pass"], work, repeat)
        helped = _best([sys.executable, "-m", "pm_sync", "--help"], work, repeat)
        linted = _best([sys.executable, "-m", "pm_sync", "lint", str(doc)], work, repeat)
    return {"bare": bare, "help": helped - bare, "lint": linted - bare}
