"""The `pm-sync` program: the typer app, the command modules it is built from, and `run`.

Each command module (documents, migrate, runs, overdue, stats, doctor, local, config_cmd) has a
`register(app)`; add a
module to `COMMAND_MODULES` to add its commands. Commands parse arguments, call one library
function and render the result.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Annotated

import typer

from pm_sync.cli import config_cmd, doctor, documents, local, migrate, overdue, render, runs, stats
from pm_sync.cli.common import INTERRUPTED, interrupted
from pm_sync.errors import PmSyncError

COMMAND_MODULES: tuple[ModuleType, ...] = (
    documents,
    migrate,
    runs,
    overdue,
    stats,
    doctor,
    local,
    config_cmd,
)

app = typer.Typer(
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
    help="Postmortem action items become tracked tickets, and stay that way.",
)


def _version(value: bool) -> None:
    if value:
        from pm_sync import __version__

        render.console.print(f"pm-sync {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Postmortem action items become tracked tickets, and stay that way."""


for _module in COMMAND_MODULES:
    _module.register(app)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; PmSyncError becomes a located message on stderr."""
    try:
        app(args=argv, prog_name="pm-sync")
    except PmSyncError as exc:
        render.error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        interrupted()
        return INTERRUPTED
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
