"""`pm-sync stats`: parse the arguments, build the follow-up health report, write it out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pm_sync.cli import render
from pm_sync.cli.common import ConfigOpt, PathsArg, VerboseOpt, command, date_option, print_text, show_where
from pm_sync.cli.overdue import parse_as_of
from pm_sync.errors import UsageError

if TYPE_CHECKING:
    from pm_sync.reports.stats import StatsReport

FORMAT_HELP = "Output: table (terminal), json (scripts), csv (spreadsheet), html (one page with charts)."


def stats(
    paths: PathsArg = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="YYYY-MM-DD", help="Only incidents on or after this date."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="YYYY-MM-DD", help="Report date (default: today in the configured time zone)."
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help=FORMAT_HELP)] = "table",
    output: Annotated[
        Path | None,
        typer.Option("--output", metavar="FILE", help="Write the report to this file instead of stdout."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    config: ConfigOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Follow-up health over time: done, dropped, open, days to ticket and to done, who lags."""
    show_where(verbose, config, near=paths or ())
    from pm_sync.reports import stats_formats
    from pm_sync.reports.stats import stats_report

    fmt = "json" if as_json else fmt.strip().lower()
    if fmt not in stats_formats.FORMATS:
        raise UsageError(f"--format {fmt!r} is not one of {', '.join(stats_formats.FORMATS)}")
    report = stats_report(
        paths or (),
        config_path=config,
        since=date_option(since, "--since", "2024-01-01"),
        as_of=parse_as_of(as_of),
    )
    if fmt == "table" and output is None:
        stats_formats.print_report(report, render.console)
    elif output is None:
        print_text(_text(report, fmt))
    else:
        _write(output, _text(report, fmt))
        render.err_console.print(f"wrote {output}", markup=False, highlight=False)
    for warning in report.warnings:
        render.err_console.print(f"warning: {warning}", markup=False, highlight=False)


def _text(report: StatsReport, fmt: str) -> str:
    from pm_sync.reports import stats_formats

    if fmt == "html":
        from pm_sync.reports.stats_html import to_html

        return to_html(report)
    if fmt == "table":
        import io

        from rich.console import Console

        buffer = io.StringIO()
        stats_formats.print_report(report, Console(file=buffer, width=160, force_terminal=False))
        return buffer.getvalue()
    return stats_formats.to_json(report) if fmt == "json" else stats_formats.to_csv(report)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"cannot write {path}: {exc.strerror or exc}", hint="pass --output a path in a writable folder"
        ) from None


def register(app: typer.Typer) -> None:
    command(app, "stats")(stats)
