"""What push and reconcile share: one postmortem at a time, locked, failures kept per file."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from pm_sync.config import Config, load_config
from pm_sync.document.atomic import check_writable
from pm_sync.document.discover import expand
from pm_sync.errors import ConfigError, PmSyncError
from pm_sync.sync.lock import postmortem_lock
from pm_sync.sync.outcome import Outcome
from pm_sync.sync.plan import PlanError
from pm_sync.sync.routing import Trackers

FileJob = Callable[[Path, Trackers, Outcome], Outcome]


class Progress(Protocol):
    """Told how many postmortems a run will handle, then about each one as it finishes."""

    def start(self, total: int) -> None: ...

    def done(self, path: Path, outcome: Outcome) -> None: ...


def run_file(path: Path, trackers: Trackers, job: FileJob, *, dry_run: bool) -> Outcome:
    """Run `job` under the postmortem's lock (dry runs read only, so they take none).

    A file whose ticket keys could not be written back is refused before anything is created.

    A config error stops the whole run (exit 2); any other pm-sync error stays with this file.
    """
    outcome = Outcome(file=str(path), dry_run=dry_run)
    try:
        if dry_run:
            return job(path, trackers, outcome)
        check_writable(path)
        with postmortem_lock(path, trackers.config.root):
            return job(path, trackers, outcome)
    except ConfigError:
        raise
    except PmSyncError as exc:
        outcome.errors.append(
            PlanError(path=exc.path or str(path), line=exc.line, message=exc.message, hint=exc.hint)
        )
        return outcome


def run_files(
    paths: Sequence[str],
    job: FileJob,
    *,
    dry_run: bool,
    config: Config | None,
    config_path: str | None,
    env: Mapping[str, str] | None,
    progress: Progress | None,
    use_default_paths: bool = False,
) -> list[Outcome]:
    cfg = config or load_config(config_path, env)
    for name in dict.fromkeys([cfg.tracker, *cfg.routes.values()]):
        cfg.tracker_config(name)  # a bad tracker table is exit 2 before any lock file is made
    files = expand(paths, cfg.docs.paths if use_default_paths else (), cfg.root)
    trackers = Trackers(cfg, env)
    outcomes: list[Outcome] = []
    if progress:
        progress.start(len(files))
    try:
        for path in files:
            outcome = run_file(path, trackers, job, dry_run=dry_run)
            outcomes.append(outcome)
            if progress:
                progress.done(path, outcome)
    finally:
        trackers.close()
    return outcomes
