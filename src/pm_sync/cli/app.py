"""Command line: parse arguments, call one library function, render the result."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from pm_sync.cli import render
from pm_sync.cli.config_cmd import config_app
from pm_sync.cli.doctor import doctor
from pm_sync.cli.migrate import migrate
from pm_sync.cli.overdue import overdue
from pm_sync.cli.stats import stats
from pm_sync.errors import PmSyncError

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    help="Postmortem action items become tracked tickets, and stay that way.",
)
local_app = typer.Typer(no_args_is_help=True, help="The embedded local tracker.")
app.add_typer(local_app, name="local")


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


JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
ConfigOpt = Annotated[str | None, typer.Option("--config", help="Config file (pm-sync.toml).")]
RetryLostOpt = Annotated[
    bool,
    typer.Option("--retry-lost", help="Create again the tickets whose earlier create never showed up."),
]
FilesArg = Annotated[list[str], typer.Argument(help="Postmortem files, folders or globs.")]


def _print_json(data: Any) -> None:
    """Print the run's JSON; a reader that went away costs the output, never the exit code."""
    try:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        render.silence_closed_stream(sys.stdout)


def _one_or_many(items: list[Any]) -> Any:
    return items[0] if len(items) == 1 else items


@app.command()
def parse(files: FilesArg, as_json: JsonOpt = False) -> None:
    """Show what pm-sync reads from postmortems: metadata, action items, problems."""
    from pm_sync.api import parse_paths

    results = parse_paths(files)
    if as_json:
        _print_json(_one_or_many([pm.public() for pm in results]))
    else:
        for pm in results:
            render.postmortem(pm)
    raise typer.Exit(1 if any(pm.unreadable for pm in results) else 0)


@app.command()
def push(
    files: FilesArg,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; touch nothing.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Push even if not Status: Final, and past the safety limits.")
    ] = False,
    retry_lost: RetryLostOpt = False,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Create or update one ticket per action item and write the keys into the table."""
    from pm_sync.sync.push import push as run_push

    with render.run_progress("push", quiet=as_json) as progress:
        results = run_push(
            files, config_path=config, dry_run=dry_run, force=force, retry_lost=retry_lost, progress=progress
        )
    if as_json:
        _print_json([r.as_json() for r in results])
    raise typer.Exit(0 if all(r.ok for r in results) else 1)


@app.command()
def reconcile(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Postmortems, folders or globs (default: [docs] paths).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; touch nothing.")] = False,
    recreate_missing: Annotated[
        bool, typer.Option("--recreate-missing", help="Create a new ticket for one that no longer exists.")
    ] = False,
    retry_lost: RetryLostOpt = False,
    force: Annotated[bool, typer.Option("--force", help="Go past the safety limits.")] = False,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Nightly: bring every finalized postmortem and its tickets back in line."""
    from pm_sync.sync.reconcile import reconcile as run_reconcile
    from pm_sync.sync.reconcile import succeeded

    with render.run_progress("reconcile", quiet=as_json) as progress:
        outcomes = run_reconcile(
            paths or [],
            config_path=config,
            dry_run=dry_run,
            recreate_missing=recreate_missing,
            retry_lost=retry_lost,
            force=force,
            progress=progress,
        )
    if not outcomes:
        render.err_console.print(
            "warning: no postmortems found (check the paths, or [docs] paths in pm-sync.toml)", markup=False
        )
    if as_json:
        _print_json([o.as_json() for o in outcomes])
    else:
        render.summary_table(outcomes, "reconcile")
    raise typer.Exit(0 if succeeded(outcomes) else 1)


@app.command()
def lint(files: FilesArg, as_json: JsonOpt = False) -> None:
    """Check postmortems against the template's rules; exit 1 on any error."""
    from pm_sync.api import lint_paths
    from pm_sync.document.lint import has_errors

    findings = lint_paths(files)
    if as_json:
        _print_json([f.as_dict() for f in findings])
    else:
        render.findings(findings)
    raise typer.Exit(1 if has_errors(findings) else 0)


@app.command()
def new(
    title: Annotated[str, typer.Argument(help="Incident title.")],
    severity: Annotated[str, typer.Option(help="SEV1, SEV2, SEV3...")] = "SEV2",
    date: Annotated[str | None, typer.Option(help="Incident date, YYYY-MM-DD (default today).")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="Quick template (SEV3, < 30 min).")] = False,
    directory: Annotated[Path, typer.Option("--dir", help="Where postmortems live.")] = Path(
        "docs/technical"
    ),
    author: Annotated[list[str] | None, typer.Option("--author", help="Author handle; repeat.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Scaffold a new Draft postmortem from the house template."""
    from pm_sync.api import new_postmortem

    path = new_postmortem(
        title, severity=severity, date=date, quick=quick, directory=directory, authors=author
    )
    if as_json:
        _print_json({"path": str(path)})
    else:
        render.console.print(str(path))


app.command("overdue")(overdue)
app.command("migrate")(migrate)
app.command("doctor")(doctor)
app.command("stats")(stats)
app.add_typer(config_app, name="config")


@local_app.command("list")
def local_list(as_json: JsonOpt = False, config: ConfigOpt = None) -> None:
    """List the local tracker's tickets."""
    from pm_sync.api import local_store

    tickets = [t.public() for t in local_store(config).list()]
    if as_json:
        _print_json(tickets)
        return
    cols = ["key", "summary", "status", "priority", "owner", "due", "postmortem"]
    render.rows_table("local tickets", cols, [[t[c] for c in cols] for t in tickets])


@local_app.command("close")
def local_close(
    key: str,
    wont_do: Annotated[bool, typer.Option("--wont-do", help="Close as dropped, not done.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Mark a local ticket done (or dropped with --wont-do)."""
    from pm_sync.api import local_store

    ticket = local_store(config).set_status(key, "dropped" if wont_do else "done")
    render.console.print(f"{ticket.key} is now {ticket.status}")


@local_app.command("reopen")
def local_reopen(key: str, config: ConfigOpt = None) -> None:
    """Reopen a local ticket."""
    from pm_sync.api import local_store

    ticket = local_store(config).set_status(key, "open")
    render.console.print(f"{ticket.key} is now {ticket.status}")


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; PmSyncError becomes a located message on stderr."""
    try:
        app(args=argv, prog_name="pm-sync")
    except PmSyncError as exc:
        render.error(exc)
        return exc.exit_code
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
