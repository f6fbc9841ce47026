"""`pm-sync reconcile` as a library call: every finalized postmortem merged with its tickets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path

from pm_sync.config import Config
from pm_sync.document.parse import parse_source
from pm_sync.document.source import Source
from pm_sync.sync.apply import apply_plan
from pm_sync.sync.engine import plan_postmortem
from pm_sync.sync.outcome import Outcome
from pm_sync.sync.plan import Conflict, Missing, Plan, Pull, Unchanged
from pm_sync.sync.routing import Trackers
from pm_sync.sync.runner import Progress, run_file, run_files


def reconcile_file(
    path: Path, trackers: Trackers, *, dry_run: bool = False, recreate_missing: bool = False
) -> Outcome:
    return run_file(
        path, trackers, partial(_reconcile, dry_run=dry_run, recreate=recreate_missing), dry_run=dry_run
    )


def _reconcile(path: Path, trackers: Trackers, outcome: Outcome, *, dry_run: bool, recreate: bool) -> Outcome:
    source = Source.read(path)
    pm = parse_source(source)
    if not pm.is_final:
        outcome.skipped = f"status is {pm.status or 'not set'}, not Final"
        return outcome
    plan = plan_postmortem(pm, trackers, reconcile=True, recreate_missing=recreate)
    _report(plan, outcome)
    if dry_run:
        outcome.errors.extend(plan.errors)
        return outcome
    return apply_plan(plan, trackers, outcome)


def _report(plan: Plan, outcome: Outcome) -> None:
    """The parts of the plan that are reports rather than actions."""
    outcome.warnings.extend(plan.warnings)
    outcome.plan = plan.rows()
    for change in plan.changes:
        if isinstance(change, Unchanged):
            outcome.unchanged.append(change.display)
        elif isinstance(change, Pull):
            outcome.pulled.append(
                {
                    "key": change.display,
                    "field": change.field,
                    "value": change.value,
                    "line": str(change.line),
                }
            )
        elif isinstance(change, Conflict):
            outcome.conflicts.append(
                {
                    "key": change.display,
                    "line": change.line,
                    "field": change.field,
                    "document": change.document,
                    "tracker": change.tracker_value,
                    "detail": f"{plan.path}:{change.line}: {change.describe()}",
                }
            )
        elif isinstance(change, Missing):
            outcome.missing.append(change.display)


def reconcile(
    paths: Sequence[str] = (),
    *,
    config: Config | None = None,
    config_path: str | None = None,
    env: Mapping[str, str] | None = None,
    dry_run: bool = False,
    recreate_missing: bool = False,
    progress: Progress | None = None,
) -> list[Outcome]:
    """Reconcile the given paths, or `[docs] paths` from the config; skips non-Final documents."""
    return run_files(
        paths,
        partial(_reconcile, dry_run=dry_run, recreate=recreate_missing),
        dry_run=dry_run,
        config=config,
        config_path=config_path,
        env=env,
        progress=progress,
        use_default_paths=True,
    )


def succeeded(outcomes: Sequence[Outcome]) -> bool:
    """Exit 0 only when nothing failed and nothing is in conflict."""
    return all(o.ok and not o.conflicts for o in outcomes)
