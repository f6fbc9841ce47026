"""`pm-sync overdue`: parse the arguments, build the report, print it, maybe post it to Slack."""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import Annotated

import typer

from pm_sync.cli import render
from pm_sync.document.model import Priority
from pm_sync.errors import UsageError

FORMAT_HELP = "Output: table (terminal), markdown (wiki or chat), json (scripts), csv (spreadsheet)."


def parse_as_of(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(
            f"--as-of {value!r} is not a date", hint="write it as YYYY-MM-DD, for example --as-of 2024-01-25"
        ) from None


def parse_priorities(value: str) -> tuple[Priority, ...]:
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
    return url


def overdue(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Postmortem files, folders or globs (default: [docs] paths in the config)."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Report date, YYYY-MM-DD (default: today in the configured time zone)."),
    ] = None,
    priorities: Annotated[
        str, typer.Option("--priorities", help="Comma-separated priorities to report on.")
    ] = "P0,P1",
    fmt: Annotated[str, typer.Option("--format", help=FORMAT_HELP)] = "table",
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
    config: Annotated[str | None, typer.Option("--config", help="Config file (pm-sync.toml).")] = None,
) -> None:
    """Overdue, due-soon and ownerless action items, and Drafts past Day 7."""
    from pm_sync.reports import formats as report_format
    from pm_sync.reports.overdue import overdue_report

    fmt = fmt.strip().lower()
    if fmt not in report_format.FORMATS:
        raise UsageError(f"--format {fmt!r} is not one of {', '.join(report_format.FORMATS)}")
    date = parse_as_of(as_of)
    wanted = parse_priorities(priorities)
    url = webhook_url(slack_webhook_env)

    report = overdue_report(paths or (), config_path=config, as_of=date, priorities=wanted)

    if fmt == "table":
        report_format.print_report(report, render.console)
    else:
        writer = {
            "markdown": report_format.to_markdown,
            "json": report_format.to_json,
            "csv": report_format.to_csv,
        }[fmt]
        sys.stdout.write(writer(report))
        sys.stdout.flush()
    for warning in report.warnings:
        render.err_console.print(f"warning: {warning}", markup=False, highlight=False)
    if url is not None:
        from pm_sync.reports.slack import post_message

        post_message(url, report_format.slack_text(report), source=f"${slack_webhook_env}")
        render.err_console.print(
            f"posted the report to Slack (${slack_webhook_env})", markup=False, highlight=False
        )
    raise typer.Exit(1 if fail_on_overdue and report.has_overdue else 0)
