"""`pm-sync doctor`: run the setup checks, print each as passed or failed with its fix."""

from __future__ import annotations

import typer
from rich.markup import escape as esc

from pm_sync.cli import render
from pm_sync.cli.common import ConfigOpt, JsonOpt, PathsArg, VerboseOpt, command, print_json, show_where
from pm_sync.diagnostics import Severity

_MARK = {Severity.INFO: "[green]ok  [/]", Severity.WARNING: "[yellow]warn[/]", Severity.ERROR: "[red]FAIL[/]"}


def doctor(
    paths: PathsArg = None,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Check the config, each tracker's credentials, projects and fields, and every owner."""
    from pm_sync.doctor import doctor as run_doctor

    show_where(verbose, config, near=paths or ())
    report = run_doctor(paths or (), config_path=config)
    if as_json:
        print_json(report.public())
    else:
        for check in report.checks:
            where = f"{check.location}: " if check.location else ""
            render.console.print(f"{_MARK[check.severity]} {esc(check.code)}: {esc(where + check.message)}")
            if check.hint and check.severity is not Severity.INFO:
                render.console.print(f"       fix: {esc(check.hint)}")
        counts = report.counts()
        render.console.print(
            f"{counts['passed']} passed, {counts['warnings']} warning(s), {counts['failed']} failed"
        )
    raise typer.Exit(0 if report.ok else 1)


def register(app: typer.Typer) -> None:
    command(app, "doctor")(doctor)
