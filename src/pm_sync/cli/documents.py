"""Commands that only read or write postmortem files: `parse`, `lint`, `new`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pm_sync.cli import render
from pm_sync.cli.common import (
    FilesArg,
    JsonOpt,
    VerboseOpt,
    command,
    print_json,
    print_json_list,
    show_where,
    shown_path,
)

if TYPE_CHECKING:
    from pm_sync.document.model import Postmortem


def parse(files: FilesArg, as_json: JsonOpt = False, verbose: VerboseOpt = False) -> None:
    """Show what pm-sync reads from postmortems: metadata, action items, problems.

    Exits 1 when a file cannot be read or has a problem that would stop push."""
    from pm_sync.api import iter_parse

    show_where(verbose, uses_config=False)
    failed: list[str] = []

    def each() -> Iterator[Postmortem]:  # one at a time: results are printed, never all kept
        for pm in iter_parse(files):
            if pm.unreadable or pm.problems:
                failed.append(pm.path)
            yield pm

    if as_json:
        print_json_list(pm.public() for pm in each())
    else:
        for pm in each():
            render.postmortem(pm)
    raise typer.Exit(1 if failed else 0)


def lint(files: FilesArg, as_json: JsonOpt = False, verbose: VerboseOpt = False) -> None:
    """Check postmortems against the template's rules; exit 1 on any error."""
    from pm_sync.api import lint_paths
    from pm_sync.linting import has_errors

    show_where(verbose, uses_config=False)
    findings = lint_paths(files)
    if as_json:
        print_json([f.as_dict() for f in findings])
    else:
        render.findings(findings)
    raise typer.Exit(1 if has_errors(findings) else 0)


def new(
    title: Annotated[str, typer.Argument(metavar="TITLE", help="Incident title, quoted.")],
    severity: Annotated[
        str | None,
        typer.Option(
            "--severity",
            metavar="SEV",
            help="SEV1 (worst) to SEV5 (default: SEV2, or SEV3 with --quick).",
            show_default=False,
        ),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date", metavar="YYYY-MM-DD", help="Incident date (default: today).", show_default=False
        ),
    ] = None,
    quick: Annotated[
        bool, typer.Option("--quick", help="The quick template, for a SEV3 fixed in under 30 minutes.")
    ] = False,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            metavar="FOLDER",
            help="Where postmortems live (default: docs/technical under the project root).",
            show_default=False,
        ),
    ] = None,
    author: Annotated[
        list[str] | None,
        typer.Option("--author", metavar="HANDLE", help="Author handle, e.g. @alice; repeat for more."),
    ] = None,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Scaffold a new Draft postmortem from the house template; prints its path, never overwrites."""
    from pm_sync.api import new_postmortem

    show_where(verbose, uses_config=False)
    path = new_postmortem(
        title, severity=severity, date=date, quick=quick, directory=directory, authors=author
    )
    if as_json:
        print_json({"path": shown_path(path)})
    else:
        render.console.print(shown_path(path), markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    command(app, "parse")(parse)
    command(app, "lint")(lint)
    command(app, "new")(new)
