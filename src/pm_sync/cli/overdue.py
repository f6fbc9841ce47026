"""`pm-sync overdue`: parse the arguments, build the report, print it, maybe post it to Slack."""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer

from pm_sync.cli import render
from pm_sync.cli.common import (
    ConfigOpt,
    JsonOpt,
    PathsArg,
    VerboseOpt,
    command,
    date_option,
    print_text,
    show_where,
)
from pm_sync.errors import ConfigError, SlackError, UsageError

if TYPE_CHECKING:
    from pm_sync.document.model import Priority

FORMAT_HELP = (
    "Output: table (terminal, the default), markdown (wiki or chat), json (scripts; same as --json), "
    "csv (spreadsheet)."
)


def parse_as_of(value: str | None) -> dt.date | None:
    return date_option(value, "--as-of", "2024-01-25")


def parse_priorities(value: str) -> tuple[Priority, ...]:
    from pm_sync.document.model import Priority  # loaded when the command runs, not for --help

    wanted: list[Priority] = []
    for part in value.split(","):
        name = part.strip().upper()
        if not name:
            continue
        try:
            wanted.append(Priority(name))
        except ValueError:
            raise UsageError(
                f"--priorities: {part.strip()!r} is not one of P0-P4", hint="for example --priorities P0,P1"
            ) from None
    if not wanted:
        raise UsageError("--priorities names no priority", hint="for example --priorities P0,P1")
    return tuple(dict.fromkeys(wanted))


def webhook_url(var: str | None) -> str | None:
    """The webhook URL from the named variable; only the variable's name is ever shown."""
    if var is None:
        return None
    url = os.environ.get(var, "").strip()
    if not url:
        raise UsageError(
            f"environment variable {var} (--slack-webhook-env) is not set or empty",
            hint="export it with the Slack incoming-webhook URL",
        )
    from pm_sync.reports.slack import check_url

    try:
        check_url(url, f"${var}")
        parts = urlsplit(url)
        usable = parts.scheme in ("https", "http") and bool(parts.hostname)
    except (SlackError, ValueError):
        usable = False
    if not usable:
        raise ConfigError(
            f"environment variable {var} (--slack-webhook-env) does not hold an http(s) URL",
            hint="set it to the full https://hooks.slack.com/services/... URL of an incoming webhook",
        )
    return url


def output_format(fmt: str | None, as_json: bool, known: tuple[str, ...]) -> str:
    """`--json` is `--format json`, as every command takes `--json`."""
    name = (fmt or ("json" if as_json else "table")).strip().lower()
    if name not in known:
        raise UsageError(f"--format {name!r} is not one of {', '.join(known)}")
    if as_json and name != "json":
        raise UsageError(f"--json and --format {name} ask for two formats", hint="pass one of them")
    return name


def overdue(
    paths: PathsArg = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="Report date (default: today in the configured time zone).",
            show_default=False,
        ),
    ] = None,
    priorities: Annotated[
        str, typer.Option("--priorities", metavar="P0,P1", help="Comma-separated priorities to report on.")
    ] = "P0,P1",
    fmt: Annotated[
        str | None,
        typer.Option("--format", metavar="table|markdown|json|csv", help=FORMAT_HELP, show_default=False),
    ] = None,
    fail_on_overdue: Annotated[
        bool, typer.Option("--fail-on-overdue", help="Exit 1 when any item is overdue (for CI alerting).")
    ] = False,
    slack_webhook_env: Annotated[
        str | None,
        typer.Option(
            "--slack-webhook-env",
            metavar="VAR",
            help="Also post the report to the Slack incoming webhook whose URL is in VAR.",
        ),
    ] = None,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Overdue, due-soon and ownerless action items, and Drafts past Day 7."""
    from pm_sync.reports import formats as report_format
    from pm_sync.reports.overdue import overdue_report

    chosen = output_format(fmt, as_json, report_format.FORMATS)
    show_where(verbose, config, near=paths or ())
    date = parse_as_of(as_of)
    wanted = parse_priorities(priorities)
    url = webhook_url(slack_webhook_env)

    report = overdue_report(paths or (), config_path=config, as_of=date, priorities=wanted)

    if chosen == "table":
        report_format.print_report(report, render.console)
    else:
        writer = {
            "markdown": report_format.to_markdown,
            "json": report_format.to_json,
            "csv": report_format.to_csv,
        }[chosen]
        print_text(writer(report))
    for problem in report.warnings:
        render.err_console.print(f"{problem.severity.value}: {problem}", markup=False, highlight=False)
    if url is not None:
        from pm_sync.reports.slack import post_message

        post_message(url, report_format.slack_text(report), source=f"${slack_webhook_env}")
        render.err_console.print(
            f"posted the report to Slack (${slack_webhook_env})", markup=False, highlight=False
        )
    raise typer.Exit(1 if report.has_errors or (fail_on_overdue and report.has_overdue) else 0)


def register(app: typer.Typer) -> None:
    command(app, "overdue")(overdue)
