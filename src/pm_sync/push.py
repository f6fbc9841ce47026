"""`pm-sync push` as a library call: per-postmortem lock, plan, apply, write-back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from pm_sync.apply import apply_plan
from pm_sync.config import Config, load_config
from pm_sync.discover import expand
from pm_sync.engine import plan_push
from pm_sync.errors import ConfigError, PmSyncError
from pm_sync.locking import postmortem_lock
from pm_sync.outcome import Outcome
from pm_sync.parse import parse_source
from pm_sync.plan import PlanError, Unchanged
from pm_sync.source import Source
from pm_sync.trackers import Trackers


class Progress(Protocol):
    """Told how many postmortems a run will handle, then about each one as it finishes."""

    def start(self, total: int) -> None: ...

    def done(self, path: Path, outcome: Outcome) -> None: ...


def push_file(
    path: Path, trackers: Trackers, *, dry_run: bool = False, force: bool = False
) -> Outcome:
    outcome = Outcome(file=str(path), dry_run=dry_run)
    try:
        if dry_run:
            return _push_locked(path, trackers, outcome, dry_run=True, force=force)
        with postmortem_lock(path):
            return _push_locked(path, trackers, outcome, dry_run=False, force=force)
    except ConfigError:
        raise
    except PmSyncError as exc:
        outcome.errors.append(PlanError(path=exc.path or str(path), line=exc.line,
                                        message=exc.message, hint=exc.hint))
        return outcome


def _push_locked(
    path: Path, trackers: Trackers, outcome: Outcome, *, dry_run: bool, force: bool
) -> Outcome:
    source = Source.read(path)
    pm = parse_source(source)
    plan = plan_push(pm, source.digest, trackers, force=force)
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
    cfg = config or load_config(config_path, env)
    files = expand(paths)
    trackers = Trackers(cfg, env)
    outcomes: list[Outcome] = []
    if progress:
        progress.start(len(files))
    try:
        for path in files:
            outcome = push_file(path, trackers, dry_run=dry_run, force=force)
            outcomes.append(outcome)
            if progress:
                progress.done(path, outcome)
    finally:
        trackers.close()
    return outcomes
