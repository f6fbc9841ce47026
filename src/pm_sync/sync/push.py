"""`pm-sync push` as a library call: per-postmortem lock, plan, apply, write-back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path

from pm_sync.config import Config
from pm_sync.document.parse import parse_source
from pm_sync.document.source import Source
from pm_sync.sync.apply import apply_plan
from pm_sync.sync.engine import plan_push
from pm_sync.sync.outcome import Outcome
from pm_sync.sync.plan import Unchanged
from pm_sync.sync.routing import Trackers
from pm_sync.sync.runner import Progress, run_file, run_files

__all__ = ["Progress", "push", "push_file"]


def push_file(path: Path, trackers: Trackers, *, dry_run: bool = False, force: bool = False) -> Outcome:
    return run_file(path, trackers, partial(_push, dry_run=dry_run, force=force), dry_run=dry_run)


def _push(path: Path, trackers: Trackers, outcome: Outcome, *, dry_run: bool, force: bool) -> Outcome:
    source = Source.read(path)
    pm = parse_source(source)
    plan = plan_push(pm, trackers, force=force)
    outcome.warnings.extend(plan.warnings)
    outcome.plan = plan.rows()
    outcome.unchanged = [c.display for c in plan.changes if isinstance(c, Unchanged)]
    if dry_run:
        outcome.errors.extend(plan.errors)
        return outcome
    return apply_plan(plan, trackers, outcome)


def push(
    paths: Sequence[str],
    *,
    config: Config | None = None,
    config_path: str | None = None,
    env: Mapping[str, str] | None = None,
    dry_run: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> list[Outcome]:
    """Push each postmortem; one failing never stops the others."""
    return run_files(
        paths,
        partial(_push, dry_run=dry_run, force=force),
        dry_run=dry_run,
        config=config,
        config_path=config_path,
        env=env,
        progress=progress,
    )
