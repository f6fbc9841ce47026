"""`pm-sync push` as a library call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pm_sync.config import Config
from pm_sync.sync.engine import Options
from pm_sync.sync.result import Result
from pm_sync.sync.runner import Progress, Run, run

__all__ = ["Progress", "push"]


def push(
    paths: Sequence[str],
    *,
    config: Config | None = None,
    config_path: str | None = None,
    env: Mapping[str, str] | None = None,
    dry_run: bool = False,
    force: bool = False,
    retry_lost: bool = False,
    progress: Progress | None = None,
) -> list[Result]:
    """Create or update one ticket per action item and write the keys into each table; one
    postmortem failing never stops the others."""
    spec = Run(Options(force=force, retry_lost=retry_lost), dry_run=dry_run)
    return run(paths, spec, config=config, config_path=config_path, env=env, progress=progress)
