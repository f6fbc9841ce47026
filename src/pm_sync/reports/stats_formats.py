"""The follow-up health report as a terminal view, JSON or CSV (HTML lives in `stats_html`)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape as esc
from rich.table import Table

from pm_sync.reports.stats import Group, StatsReport

FORMATS = ("table", "json", "csv", "html")
CSV_COLUMNS = (
    "section",
    "key",
    "label",
    "items",
    "done",
    "dropped",
    "open",
    "median_days_to_ticket",
    "median_days_to_done",
    "finished_by_due",
    "due_decided",
    "late",
    "days_late",
)


def days(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def headline(report: StatsReport) -> str:
    g = report.overall
    since = f" since {report.since.isoformat()}" if report.since else ""
    if g is None or not g.items:
        return f"as of {report.as_of.isoformat()}{since}: no action items in {report.files} postmortem(s)"
    return (
        f"as of {report.as_of.isoformat()}{since}: {g.items} action items in {report.files} postmortem(s); "
        f"{g.done} done, {g.dropped} dropped, {g.open} open; median {days(g.median_days_to_ticket)} days "
        f"incident → ticket, {days(g.median_days_to_done)} days ticket → done; "
        f"{share(g.finished_by_due)} finished by the due date"
    )


def to_json(report: StatsReport) -> str:
    return json.dumps(report.public(), indent=2, ensure_ascii=False) + "\n"


def to_csv(report: StatsReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for section, groups in report.sections().items():
        for g in groups:
            data = g.public()
            writer.writerow([section, *("" if data[c] is None else data[c] for c in CSV_COLUMNS[1:])])
    return out.getvalue()


def _rows(groups: Sequence[Group]) -> list[list[str]]:
    return [
        [
            g.label,
            str(g.items),
            str(g.done),
            str(g.dropped),
            str(g.open),
            days(g.median_days_to_ticket),
            days(g.median_days_to_done),
            share(g.finished_by_due),
            str(g.late),
            str(g.days_late),
        ]
        for g in groups
    ]


def _aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Plain columns for cron mail and pipes: two spaces apart, the first left-aligned."""
    widths = [max(len(row[n]) for row in rows) for n in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(widths[0]) if n == 0 else cell.rjust(widths[n]) for n, cell in enumerate(row))
        for row in rows
    ]


COLUMNS = (
    "",
    "items",
    "done",
    "dropped",
    "open",
    "days to ticket",
    "days to done",
    "by due date",
    "late",
    "days late",
)


def print_report(report: StatsReport, console: Console) -> None:
    """Rich tables on a terminal; tab-separated lines in cron mail and pipes."""
    console.print(esc(headline(report)))
    for title, first, groups in (
        ("by priority", "priority", report.by_priority),
        ("by quarter of the incident", "quarter", report.by_quarter),
        ("worst-lagging owners", "owner", report.owners),
        ("worst-lagging postmortems", "postmortem", report.postmortems),
    ):
        if not groups:
            continue
        header = (first, *COLUMNS[1:])
        if not console.is_terminal:
            console.print(title + ":", markup=False, highlight=False)
            for line in _aligned([list(header), *_rows(groups)]):
                console.print(line, markup=False, highlight=False)
            continue
        table = Table(*header, title=title)
        for row in _rows(groups):
            table.add_row(*(esc(cell) for cell in row))
        console.print(table)
