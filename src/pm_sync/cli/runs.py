"""Commands that sync postmortems with their trackers: `push` and `reconcile`."""

from __future__ import annotations

from typing import Annotated

import typer

from pm_sync.cli import render
from pm_sync.cli.common import (
    ConfigOpt,
    DryRunOpt,
    FilesArg,
    JsonOpt,
    PathsArg,
    RetryLostOpt,
    VerboseOpt,
    command,
    print_json,
    show_where,
)


def push(
    files: FilesArg,
    dry_run: DryRunOpt = False,
    force: Annotated[
        bool, typer.Option("--force", help="Push even if not Status: Final, and past the safety limits.")
    ] = False,
    retry_lost: RetryLostOpt = False,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Create or update one ticket per action item and write the keys into the table."""
    from pm_sync.sync.push import push as run_push

    show_where(verbose, config, near=files)
    with render.run_progress("push", quiet=as_json) as progress:
        results = run_push(
            files, config_path=config, dry_run=dry_run, force=force, retry_lost=retry_lost, progress=progress
        )
    if as_json:
        print_json([r.as_json() for r in results])
    else:
        render.notes_once(results)
    raise typer.Exit(0 if all(r.ok for r in results) else 1)


def reconcile(
    paths: PathsArg = None,
    dry_run: DryRunOpt = False,
    recreate_missing: Annotated[
        bool, typer.Option("--recreate-missing", help="Create a new ticket for one that no longer exists.")
    ] = False,
    retry_lost: RetryLostOpt = False,
    force: Annotated[bool, typer.Option("--force", help="Go past the safety limits.")] = False,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Nightly: bring every finalized postmortem and its tickets back in line.

    Exits 1 when a postmortem failed, has conflicts or names tickets that no longer exist."""
    from pm_sync.sync.reconcile import reconcile as run_reconcile
    from pm_sync.sync.reconcile import succeeded

    show_where(verbose, config, near=paths or ())
    with render.run_progress("reconcile", quiet=as_json) as progress:
        outcomes = run_reconcile(
            paths or [],
            config_path=config,
            dry_run=dry_run,
            recreate_missing=recreate_missing,
            retry_lost=retry_lost,
            force=force,
            progress=progress,
        )
    if not outcomes:
        render.err_console.print(
            "warning: no postmortems found (check the paths, or [docs] paths in pm-sync.toml)", markup=False
        )
    if as_json:
        print_json([o.as_json() for o in outcomes])
    else:
        render.summary_table(outcomes, "reconcile")
        render.notes_once(outcomes)
    raise typer.Exit(0 if succeeded(outcomes) else 1)


def register(app: typer.Typer) -> None:
    command(app, "push")(push)
    command(app, "reconcile")(reconcile)
