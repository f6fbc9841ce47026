"""The library API is the commands as functions, under the names the commands have."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pm_sync
from tests.conftest import STANDARD_ROWS, postmortem_text


def test_the_public_names_are_the_commands() -> None:
    assert pm_sync.__all__ == [
        "PmSyncError",
        "lint",
        "migrate",
        "new",
        "overdue",
        "parse",
        "push",
        "reconcile",
    ]
    for name in pm_sync.__all__:
        assert callable(getattr(pm_sync, name)), name


def test_importing_pm_sync_loads_no_heavy_library() -> None:
    code = (
        "import sys, pm_sync; heavy = {'pydantic', 'markdown_it', 'yaml', 'rich', 'jira', 'github', "
        "'httpx', 'typer'}; print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_api_runs_a_whole_cycle(workdir: Path) -> None:
    doc = workdir / "postmortem-2024-01-15-payments.md"
    doc.write_text(postmortem_text([(*r, "") for r in STANDARD_ROWS]))

    [pm] = pm_sync.parse([str(doc)])
    assert pm.action_items[0].action == "Integration test for connection pool"
    assert {f.code for f in pm_sync.lint([str(doc)])} >= {"missing-section"}  # no root cause yet
    [pushed] = pm_sync.push([str(doc)])
    assert pushed.ok and pushed.created == ["PM-1", "PM-2", "PM-3"]
    [merged] = pm_sync.reconcile([str(doc)])
    assert merged.ok and merged.unchanged == ["PM-1", "PM-2", "PM-3"]
    import datetime as dt

    report = pm_sync.overdue([str(doc)], as_of=dt.date(2024, 2, 1))
    assert sorted(r.ticket for r in report.overdue) == ["PM-1", "PM-2", "PM-3"]  # grouped by owner
    new = pm_sync.new("Cache stampede", directory=workdir / "docs", date="2024-02-02")
    assert new.name == "postmortem-2024-02-02-cache-stampede.md"
    [migration] = pm_sync.migrate([str(doc)])
    assert not migration.changed
