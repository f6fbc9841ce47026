"""`pm-sync migrate`: show (or, with --write, save) list-style action items as the template's table."""

from __future__ import annotations

from typing import Annotated

import typer

from pm_sync.cli import render
from pm_sync.cli.common import FilesArg, JsonOpt, VerboseOpt, command, print_json, print_text, show_where
from pm_sync.errors import PmSyncError


def migrate(
    files: FilesArg,
    write: Annotated[
        bool, typer.Option("--write", help="Save the converted files (atomically); default: print a diff.")
    ] = False,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Convert list-style action items into the template's table.

    Prints a unified diff, writes only with --write, and leaves everything outside the action
    items byte for byte."""
    from pm_sync.document.discover import expand
    from pm_sync.document.migrate import migrate_file, write_migration

    show_where(verbose, uses_config=False)
    failed = False
    done: list[dict[str, object]] = []
    for path in expand(files):
        try:
            result = write_migration(path) if write else migrate_file(path)
        except PmSyncError as exc:
            render.error(exc)
            failed = True
            done.append({"file": str(path), "error": exc.as_dict()})
            continue
        if as_json:
            done.append(
                {
                    "file": str(path),
                    "changed": result.changed,
                    "written": write and result.changed,
                    "items": result.items,
                    "reason": None if result.changed else result.reason,
                    "diff": result.diff() if result.changed else "",
                }
            )
        elif not result.changed:
            render.err_console.print(f"{path}: nothing to migrate ({result.reason})", markup=False)
        elif write:
            render.console.print(f"{path}: {result.items} action items now in a table", markup=False)
        else:
            print_text(result.diff())
    if as_json:
        print_json(done)
    raise typer.Exit(1 if failed else 0)


def register(app: typer.Typer) -> None:
    command(app, "migrate")(migrate)
