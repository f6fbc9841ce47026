"""`pm-sync config ...`: the config file as editors and scripts see it."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from pm_sync.cli import render

config_app = typer.Typer(no_args_is_help=True, help="The config file (pm-sync.toml).")


@config_app.command("schema")
def schema(
    as_json: Annotated[bool, typer.Option("--json", help="Accepted for symmetry: it is JSON.")] = False,
) -> None:
    """Print pm-sync.toml's JSON Schema (every installed tracker's table included) for editors."""
    from pm_sync.config_schema import config_schema

    try:
        sys.stdout.write(json.dumps(config_schema(), indent=2, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        render.silence_closed_stream(sys.stdout)
