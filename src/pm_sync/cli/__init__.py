"""The command line: each command parses its arguments, calls one library function, renders."""

from pm_sync.cli.app import app, main, run

__all__ = ["app", "main", "run"]
