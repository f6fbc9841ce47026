"""Human output with rich; plain lines when not on a terminal. JSON never goes through here."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console
from rich.markup import escape as esc
from rich.table import Table

from pm_sync.diagnostics import Diagnostic, Severity
from pm_sync.errors import PmSyncError

if TYPE_CHECKING:  # loaded by the commands that produce them, not for `--help`
    from rich.progress import Progress, TaskID

    from pm_sync.document.model import Postmortem
    from pm_sync.sync.result import Result


def _status_not_written() -> str:
    from pm_sync.sync.compare import STATUS_NOT_WRITTEN  # the sync engine loads for runs only

    return STATUS_NOT_WRITTEN


def silence_closed_stream(stream: TextIO) -> None:
    """The reader went away (`pm-sync push *.md | head -1`): send the rest of the output to
    /dev/null so the run carries on with every file and ends with its own exit code."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError):
        return  # not a real file (a test's capture buffer): nothing to redirect
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


class RunConsole(Console):
    """rich's console, except that a closed pipe does not end the run.

    rich's own `on_broken_pipe` raises SystemExit(1), which would stop pm-sync halfway through
    its files with a code that is not the run's; this one only stops printing.
    """

    def on_broken_pipe(self) -> None:
        self.quiet = True
        silence_closed_stream(sys.stderr if self.stderr else sys.stdout)


console = RunConsole(highlight=False, soft_wrap=True)
err_console = RunConsole(stderr=True, highlight=False, soft_wrap=True)
if not console.is_terminal:
    console.width = 160


def error(exc: PmSyncError) -> None:
    err_console.print(f"[bold red]error:[/] {esc(str(exc))}")


def postmortem(pm: Postmortem) -> None:
    console.print(f"[bold]{esc(pm.title or pm.path)}[/]  ({esc(pm.path)})")
    meta = [
        f"{k}: {v}"
        for k, v in (
            ("date", pm.date),
            ("severity", pm.severity),
            ("duration", pm.duration),
            ("status", pm.status),
        )
        if v
    ]
    if pm.authors:
        meta.append("authors: " + ", ".join(pm.authors))
    if meta:
        console.print("  " + esc(" · ".join(str(m) for m in meta)))
    columns = ("line", "priority", "action", "owner", "due", "ticket", "status")
    rows_table("", columns, [[item.public()[k] for k in columns] for item in pm.action_items])
    for problem in pm.problems:
        text = f"{problem.message} ({problem.hint})" if problem.hint else problem.message
        console.print(f"  [yellow]{esc(problem.location)}[/]: {esc(text)}")


def diagnostic(diag: Diagnostic, indent: str = "  ") -> None:
    colour = {"error": "red", "warning": "yellow"}.get(diag.severity.value, "cyan")
    console.print(f"{indent}[{colour}]{diag.severity.value}:[/] {esc(str(diag))}")


def outcome(result: Result) -> None:
    """One postmortem's result: a plan table on dry runs, then a one-line summary and diagnostics."""
    plan = result.plan
    if result.dry_run and plan is not None and plan.changes:
        table = Table("line", "change", "action", "detail", title=f"plan for {esc(result.file)}")
        for change in plan.changes:
            table.add_row(str(change.line), change.kind, esc(change.action[:50]), esc(change.describe()))
        console.print(table)
    parts = []
    for label, values in (
        ("created", result.created),
        ("recovered", result.recovered),
        ("updated", result.updated),
        ("unchanged", result.unchanged),
    ):
        if values:
            parts.append(f"{label} {len(values)} ({', '.join(values)})")
    for label, entries in (
        ("moved", result.moved),
        ("pulled", result.pulled),
        ("conflicts", result.conflicts),
    ):
        if entries:
            parts.append(f"{label} {len(entries)}")
    would = result.would() if result.dry_run else {}
    if would:
        keys = {"missing": result.missing}
        parts = [
            ", ".join(
                f"{n} {verb}" + (f" ({', '.join(keys[verb])})" if keys.get(verb) else "")
                for verb, n in would.items()
            )
        ]
    elif result.missing:
        parts.append(f"missing {len(result.missing)} ({', '.join(result.missing)})")
    if result.orphaned:
        parts.append(f"orphaned {len(result.orphaned)} ({', '.join(result.orphaned)})")
    status = "[cyan]dry run[/]" if result.dry_run else "[green]ok[/]"
    if result.errors:
        status = "[red]FAILED[/]"
    if result.skipped:
        parts = [result.skipped]
        status = "[dim]skipped[/]"
    summary = "; ".join(parts) or ("" if result.errors else "nothing to do")
    console.print(f"{status} {esc(result.file)}" + (f": {esc(summary)}" if summary else ""))
    for diag in result.diagnostics:
        if diag.severity is not Severity.ERROR and diag.code != _status_not_written():
            diagnostic(diag)
    for diag in result.errors:
        diagnostic(diag)


def notes_once(results: Sequence[Result]) -> None:
    """What holds for many postmortems is said once, after the run, not once per file."""
    unwritten = [d for r in results for d in r.diagnostics if d.code == _status_not_written()]
    if len(unwritten) == 1:
        diagnostic(unwritten[0], indent="")
    elif unwritten:
        files = ", ".join(str(d.path) for d in unwritten)
        console.print(
            f"[yellow]warning:[/] ticket status was not written back into {len(unwritten)} postmortems "
            f"({esc(files)}): their action-items tables have no Status column (add one, its cells "
            "may start empty, and reconcile again)"
        )


def summary_table(results: Sequence[Result], title: str) -> None:
    """On a terminal, one row per postmortem after a run; cron mail keeps the plain lines."""
    if not console.is_terminal or len(results) < 2:
        return
    table = Table(
        "postmortem",
        "created",
        "updated",
        "pulled",
        "conflicts",
        "missing",
        "orphaned",
        "result",
        title=title,
    )
    for r in results:
        verdict = "[red]failed[/]" if r.errors else "[dim]skipped[/]" if r.skipped else "[green]ok[/]"
        table.add_row(
            esc(r.file),
            str(len(r.created) + len(r.recovered)),
            str(len(r.updated)),
            str(len(r.pulled)),
            str(len(r.conflicts)),
            str(len(r.missing)),
            str(len(r.orphaned)),
            verdict,
        )
    console.print(table)


def findings(items: Sequence[Diagnostic]) -> None:
    """Lint's lines: `path:line: severity code message`, grep-able, then the counts."""
    for f in items:
        colour = "red" if f.is_error else "yellow"
        text = f"{f.message} ({f.hint})" if f.hint else f.message
        console.print(f"{esc(f.location)}: [{colour}]{f.severity.value}[/] [bold]{f.code}[/] {esc(text)}")
    errors = sum(1 for f in items if f.is_error)
    console.print(f"{errors} error(s), {len(items) - errors} warning(s)")


def rows_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A rich table on a terminal; tab-separated plain lines for cron mail and pipes."""
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    if not console.is_terminal:
        for line in [list(columns), *cells]:
            console.print("\t".join(line), markup=False, highlight=False)
        return
    table = Table(*columns, title=title or None)
    for row in cells:
        table.add_row(*(esc(v) for v in row))
    console.print(table)


class RunProgress:
    """A bar on a terminal, one plain line per postmortem otherwise; results print as they come."""

    def __init__(self, label: str, quiet: bool) -> None:
        self.label = label
        self.quiet = quiet
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def start(self, total: int) -> None:
        if self.quiet or total < 2 or not err_console.is_terminal:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.bar = Progress(
            TextColumn(self.label),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=err_console,
            transient=True,
        )
        self.bar.start()
        self.task = self.bar.add_task("", total=total)

    def done(self, path: Path, result: Result) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, advance=1, description=path.name)
        if not self.quiet:
            outcome(result)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@contextmanager
def run_progress(label: str, *, quiet: bool) -> Iterator[RunProgress]:
    tracker = RunProgress(label, quiet)
    try:
        yield tracker
    finally:
        tracker.close()
