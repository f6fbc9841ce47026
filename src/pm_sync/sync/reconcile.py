"""`pm-sync reconcile` as a library call: every finalized postmortem merged with its tickets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pm_sync.config import Config
from pm_sync.sync.engine import Options
from pm_sync.sync.result import Result
from pm_sync.sync.runner import Progress, Run, run

__all__ = ["Progress", "reconcile", "succeeded"]


def reconcile(
    paths: Sequence[str] = (),
    *,
    config: Config | None = None,
    config_path: str | None = None,
    env: Mapping[str, str] | None = None,
    dry_run: bool = False,
    recreate_missing: bool = False,
    retry_lost: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> list[Result]:
    """Reconcile the given paths, or `[docs] paths` from the config; skips non-Final documents."""
    options = Options(reconcile=True, force=force, recreate_missing=recreate_missing, retry_lost=retry_lost)
    spec = Run(options, dry_run=dry_run, skip_drafts=True)
    return run(
        paths,
        spec,
        config=config,
        config_path=config_path,
        env=env,
        progress=progress,
        use_default_paths=True,
    )


def succeeded(results: Sequence[Result]) -> bool:
    """Exit 0 only when everything is in line: nothing failed, conflicted or went missing."""
    return all(r.ok for r in results)
