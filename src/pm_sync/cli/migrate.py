"""`pm-sync migrate`: show (or, with --write, save) list-style action items as the template's table."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from pm_sync.cli import render
from pm_sync.errors import PmSyncError


def migrate(
    files: Annotated[list[str], typer.Argument(help="Postmortem files, folders or globs.")],
    write: Annotated[
        bool, typer.Option("--write", help="Save the converted files (atomically); default: print a diff.")
    ] = False,
) -> None:
    """Convert list-style action items into the template's table; prints a unified diff, writes
    only with --write, and leaves everything outside the action items byte for byte."""
    from pm_sync.document.discover import expand
    from pm_sync.document.migrate import migrate_file, write_migration

    failed = False
    for path in expand(files):
        try:
            result = write_migration(path) if write else migrate_file(path)
        except PmSyncError as exc:
            render.error(exc)
            failed = True
            continue
        if not result.changed:
            render.err_console.print(f"{path}: nothing to migrate ({result.reason})", markup=False)
        elif write:
            render.console.print(f"{path}: {result.items} action items now in a table", markup=False)
        else:
            sys.stdout.write(result.diff())
    raise typer.Exit(1 if failed else 0)
