"""What every command shares: its options, JSON output, `--verbose`, and Ctrl-C handling.

A command module defines its functions and a `register(app)` that adds them with `command`;
`app.py` calls each module's `register`, so a new command group is one new module.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer

from pm_sync.cli import render

P = ParamSpec("P")
R = TypeVar("R")

INTERRUPTED = 130
"""128 + SIGINT, what shells report for a program stopped with Ctrl-C."""

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output (JSON) on stdout.")]
ConfigOpt = Annotated[
    str | None,
    typer.Option(
        "--config",
        metavar="PATH",
        help="Config file (default: pm-sync.toml found by searching upward, or $PM_SYNC_CONFIG).",
    ),
]
VerboseOpt = Annotated[
    bool,
    typer.Option("--verbose", "-v", help="Say which project root and config file this run uses (stderr)."),
]
FilesArg = Annotated[
    list[str], typer.Argument(metavar="FILE...", help="Postmortem files, folders or quoted globs.")
]
PathsArg = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="[PATH]...",
        help="Postmortem files, folders or quoted globs (default: the config's \\[docs] paths).",
        show_default=False,
    ),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Print the plan; touch nothing.")]
RetryLostOpt = Annotated[
    bool,
    typer.Option("--retry-lost", help="Create again the tickets whose earlier create never showed up."),
]


def command(app: typer.Typer, name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """`app.command(name)`, with Ctrl-C turned into one line on stderr and exit code 130."""

    def register(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return func(*args, **kwargs)
            except KeyboardInterrupt:
                interrupted()
                raise typer.Exit(INTERRUPTED) from None

        app.command(name)(guarded)
        return func

    return register


def interrupted() -> None:
    """Write-back replaces a file in one step, so a file is either untouched or has all its keys;
    tickets created before the interrupt are found again by their markers on the next run."""
    render.err_console.print(
        "pm-sync: interrupted (no file was left half-written; run the command again to finish)",
        markup=False,
        highlight=False,
    )


def print_json(data: Any) -> None:
    """Print the run's JSON; a reader that went away costs the output, never the exit code."""
    try:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        render.silence_closed_stream(sys.stdout)


def print_text(text: str) -> None:
    """Print a report as it is; a reader that went away costs the output, never the rest of the
    run (a Slack post) or its exit code."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        render.silence_closed_stream(sys.stdout)


def print_json_list(items: Iterable[Any]) -> None:
    """`print_json(list(items))`, byte for byte, written an item at a time: `parse --json` of
    thousands of postmortems never holds them all."""
    out = sys.stdout
    try:
        first = True
        for item in items:
            text = json.dumps(item, indent=2, ensure_ascii=False, default=str).replace("\n", "\n  ")
            out.write(("[\n  " if first else ",\n  ") + text)
            first = False
        out.write("[]\n" if first else "\n]\n")
        out.flush()
    except BrokenPipeError:
        render.silence_closed_stream(out)


def show_where(
    verbose: bool, config: str | None = None, *, uses_config: bool = True, near: Sequence[str] = ()
) -> None:
    """`--verbose`: the project root (where `.pm-sync/` and relative `[docs] paths` live) and
    the config file, each with the reason it was chosen."""
    if not verbose:
        return
    from pm_sync.config import locate

    where = locate(config, near=near)
    lines = [f"pm-sync: project root {where.root.path} ({where.root.reason})"]
    if not uses_config:
        lines.append("pm-sync: config not read by this command")
    elif where.config is None:
        lines.append(f"pm-sync: config {where.config_reason}")
    else:
        lines.append(f"pm-sync: config {where.config} ({where.config_reason})")
    for line in lines:
        render.err_console.print(line, markup=False, highlight=False)


def shown_path(path: Path) -> str:
    """A path as the user would type it from here: relative when it is below the working folder."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def date_option(value: str | None, flag: str, example: str) -> dt.date | None:
    """A YYYY-MM-DD option's value; anything else is a usage error naming the flag."""
    from pm_sync.errors import UsageError

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(
            f"{flag} {value!r} is not a date", hint=f"write it as YYYY-MM-DD, for example {flag} {example}"
        ) from None
