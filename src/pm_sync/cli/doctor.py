"""`pm-sync doctor`: run the setup checks, print each as passed or failed with its fix."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.markup import escape as esc

from pm_sync.cli import render
from pm_sync.diagnostics import Severity

_MARK = {Severity.INFO: "[green]ok  [/]", Severity.WARNING: "[yellow]warn[/]", Severity.ERROR: "[red]FAIL[/]"}


def doctor(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Postmortems whose owners to check (default: the config's docs paths)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    config: Annotated[str | None, typer.Option("--config", help="Config file (pm-sync.toml).")] = None,
) -> None:
    """Check the config, each tracker's credentials, projects and fields, and every owner."""
    from pm_sync.doctor import doctor as run_doctor

    report = run_doctor(paths or (), config_path=config)
    if as_json:
        try:
            sys.stdout.write(json.dumps(report.public(), indent=2, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        except BrokenPipeError:
            render.silence_closed_stream(sys.stdout)
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
