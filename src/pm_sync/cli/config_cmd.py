"""`pm-sync config ...`: the config file as editors and scripts see it."""

from __future__ import annotations

from typing import Annotated

import typer

from pm_sync.cli.common import VerboseOpt, command, print_json, show_where


def schema(
    as_json: Annotated[bool, typer.Option("--json", help="Accepted for symmetry: it is JSON.")] = False,
    verbose: VerboseOpt = False,
) -> None:
    """Print pm-sync.toml's JSON Schema (every installed tracker's table included) for editors."""
    from pm_sync.config_schema import config_schema

    show_where(verbose, uses_config=False)
    print_json(config_schema())


def register(app: typer.Typer) -> None:
    config_app = typer.Typer(no_args_is_help=True, help="The config file (pm-sync.toml).")
    command(config_app, "schema")(schema)
    app.add_typer(config_app, name="config")
