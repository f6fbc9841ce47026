"""`pm-sync local`: look at and close tickets of the embedded tracker, to play the whole
workflow offline."""

from __future__ import annotations

from typing import Annotated

import typer

from pm_sync.cli import render
from pm_sync.cli.common import ConfigOpt, JsonOpt, VerboseOpt, command, print_json, show_where

KeyArg = Annotated[str, typer.Argument(metavar="KEY", help="Ticket key, e.g. PM-2.")]


def local_list(as_json: JsonOpt = False, config: ConfigOpt = None, verbose: VerboseOpt = False) -> None:
    """List the local tracker's tickets."""
    from pm_sync.api import local_store

    show_where(verbose, config)
    tickets = [t.public() for t in local_store(config).list()]
    if as_json:
        print_json(tickets)
        return
    cols = ["key", "summary", "status", "priority", "owner", "due", "postmortem"]
    render.rows_table("local tickets", cols, [[t[c] for c in cols] for t in tickets])


def local_close(
    key: KeyArg,
    wont_do: Annotated[bool, typer.Option("--wont-do", help="Close as dropped, not done.")] = False,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Mark a local ticket done (or dropped with --wont-do)."""
    _set_status(key, "dropped" if wont_do else "done", as_json, config, verbose)


def local_reopen(
    key: KeyArg, as_json: JsonOpt = False, config: ConfigOpt = None, verbose: VerboseOpt = False
) -> None:
    """Reopen a local ticket."""
    _set_status(key, "open", as_json, config, verbose)


def _set_status(key: str, status: str, as_json: bool, config: str | None, verbose: bool) -> None:
    from pm_sync.api import local_store

    show_where(verbose, config)
    ticket = local_store(config).set_status(key, status)
    if as_json:
        print_json(ticket.public())
    else:
        render.console.print(f"{ticket.key} is now {ticket.status}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    local_app = typer.Typer(no_args_is_help=True, help="The embedded local tracker.")
    command(local_app, "list")(local_list)
    command(local_app, "close")(local_close)
    command(local_app, "reopen")(local_reopen)
    app.add_typer(local_app, name="local")
