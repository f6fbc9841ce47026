"""The overdue report as a terminal view, Markdown, JSON, CSV, or a Slack message."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from itertools import groupby

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pm_sync.reports.overdue import CATEGORIES, FINALIZE_DAYS, Category, ItemRow, OverdueReport

FORMATS = ("table", "markdown", "json", "csv")

HEADINGS: dict[Category, str] = {
    "overdue": "Overdue",
    "due_soon": "Due soon",
    "unowned": "No owner or no due date",
}

CSV_COLUMNS = (
    "category",
    "path",
    "title",
    "line",
    "priority",
    "action",
    "owner",
    "due",
    "days_overdue",
    "ticket",
    "url",
    "tracker_status",
    "status",
    "tracker",
    "postmortem_status",
    "date",
    "days_since_incident",
)
SLACK_MAX_ROWS = 25
"""Rows per section in a Slack message; the rest is counted, so a post stays readable."""


def summary(report: OverdueReport) -> str:
    prios = ", ".join(p.value for p in report.priorities)
    drafts = len(report.stale_drafts)
    return (
        f"as of {report.as_of.isoformat()} ({prios}): {len(report.overdue)} overdue, "
        f"{len(report.due_soon)} due within {report.soon_days} days, "
        f"{len(report.unowned)} without owner or due date, "
        f"{drafts} stale draft{'' if drafts == 1 else 's'}"
    )


def _owner(row: ItemRow) -> str:
    return row.owner or "(no owner)"


def _by_owner(rows: Sequence[ItemRow]) -> Iterator[tuple[str, list[ItemRow]]]:
    """Rows arrive sorted by owner then postmortem; group them under each owner's name."""
    for _, group in groupby(rows, key=lambda r: _owner(r).lstrip("@").casefold()):
        members = list(group)
        yield _owner(members[0]), members


def _when(row: ItemRow) -> str:
    if row.due is None:
        return "no due date"
    days = row.days_overdue or 0
    if days > 0:
        return f"due {row.due.isoformat()}, {days} day{'s' if days != 1 else ''} overdue"
    if days == 0:
        return f"due {row.due.isoformat()}, today"
    return f"due {row.due.isoformat()}, in {-days} day{'s' if days != -1 else ''}"


def _shown_status(row: ItemRow) -> str:
    return row.tracker_status or f"{row.status} (document)"


# -- JSON and CSV -----------------------------------------------------------------------------


def to_json(report: OverdueReport) -> str:
    return json.dumps(report.public(), indent=2, ensure_ascii=False) + "\n"


def to_csv(report: OverdueReport) -> str:
    """One row per item and category (an ownerless overdue item is in two), then stale drafts."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for category in CATEGORIES:
        for row in report.rows(category):
            writer.writerow({"category": category, **row.public()})
    for draft in report.stale_drafts:
        data = draft.public()
        writer.writerow(
            {
                "category": "stale_drafts",
                "path": data["path"],
                "title": data["title"],
                "date": data["date"],
                "postmortem_status": data["status"],
                "days_since_incident": data["days_since_incident"],
            }
        )
    return out.getvalue()


# -- Markdown ---------------------------------------------------------------------------------


def md_cell(value: object) -> str:
    """A table cell that cannot break the table: pipes escaped, line breaks folded."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return text.replace("\\", "\\\\").replace("|", "\\|")


def _md_ticket(row: ItemRow) -> str:
    if row.ticket and row.url:
        label = md_cell(row.ticket).replace("]", "\\]")
        target = row.url.replace(">", "%3E").replace(" ", "%20")
        return f"[{label}](<{target}>)"
    return md_cell(row.ticket)


def _md_days(days: int | None, soon: bool) -> int | None:
    if days is None:
        return None
    return -days if soon else days


def to_markdown(report: OverdueReport) -> str:
    lines = [
        f"# Postmortem action items as of {report.as_of.isoformat()}",
        "",
        summary(report)[0].upper() + summary(report)[1:] + ".",
        "",
    ]
    for category in CATEGORIES:
        rows = report.rows(category)
        lines += [f"## {HEADINGS[category]} ({len(rows)})", ""]
        if not rows:
            lines += ["None.", ""]
            continue
        soon = category == "due_soon"
        for owner, group in _by_owner(rows):
            lines += [
                f"### {md_cell(owner)}",
                "",
                "| Postmortem | Line | Priority | Action | Due | "
                + ("Days left" if soon else "Days overdue")
                + " | Ticket | Status |",
                "|---|---:|---|---|---|---:|---|---|",
            ]
            for row in group:
                path = md_cell(row.path).replace("`", "'")
                pm = f"{md_cell(row.title or row.path)} (`{path}`)"
                cells = [
                    pm,
                    str(row.line),
                    md_cell(row.priority),
                    md_cell(row.action),
                    md_cell(row.due.isoformat() if row.due else ""),
                    md_cell(_md_days(row.days_overdue, soon)),
                    _md_ticket(row),
                    md_cell(_shown_status(row)),
                ]
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
    drafts = report.stale_drafts
    lines += [f"## Postmortems not Final after {FINALIZE_DAYS} days ({len(drafts)})", ""]
    if drafts:
        lines += [
            "| Postmortem | Path | Incident date | Status | Days since incident |",
            "|---|---|---|---|---:|",
        ]
        lines += [
            f"| {md_cell(d.title)} | {md_cell(d.path)} | {d.date.isoformat()} | "
            f"{md_cell(d.status or 'no status')} | {d.days_since_incident} |"
            for d in drafts
        ]
    else:
        lines.append("None.")
    lines.append("")
    if report.warnings:
        lines += ["## Problems" if report.has_errors else "## Warnings", ""]
        lines += [f"- {' '.join(str(w).split())}" for w in report.warnings]
        lines.append("")
    return "\n".join(lines)


# -- Terminal -----------------------------------------------------------------------------------


def print_report(report: OverdueReport, console: Console) -> None:
    """Rich tables on a terminal; plain, grep-able lines otherwise (cron mail)."""
    if console.is_terminal:
        _print_tables(report, console)
    else:
        _print_lines(report, console)


def _print_lines(report: OverdueReport, console: Console) -> None:
    out: list[str] = [summary(report)]
    for category in CATEGORIES:
        rows = report.rows(category)
        if not rows:
            continue
        out.append(f"{HEADINGS[category].lower()}:")
        for owner, group in _by_owner(rows):
            out.append(f"  {owner}")
            for row in group:
                ticket = f" {row.ticket}" if row.ticket else ""
                out.append(
                    f"    {row.path}:{row.line} {row.priority} {row.action} "
                    f"({_when(row)}){ticket} [{_shown_status(row)}]"
                )
    if report.stale_drafts:
        out.append("stale drafts:")
        out += [
            f"  {d.path}: {d.status or 'no status'}, incident {d.date.isoformat()}, "
            f"{d.days_since_incident} days ago"
            for d in report.stale_drafts
        ]
    for line in out:
        console.print(line, markup=False, highlight=False)


def _print_tables(report: OverdueReport, console: Console) -> None:
    console.print(Text(summary(report), style="bold"))
    for category in CATEGORIES:
        rows = report.rows(category)
        if not rows:
            continue
        table = Table(
            "owner",
            "postmortem",
            "line",
            "pri",
            "action",
            "due",
            "days",
            "ticket",
            "status",
            title=f"{HEADINGS[category]} ({len(rows)})",
        )
        for owner, group in _by_owner(rows):
            for i, row in enumerate(group):
                table.add_row(
                    *(
                        Text(v)
                        for v in (
                            owner if i == 0 else "",
                            row.title or row.path,
                            str(row.line),
                            row.priority or "",
                            row.action or "",
                            row.due.isoformat() if row.due else "",
                            "" if row.days_overdue is None else str(row.days_overdue),
                            row.ticket or "",
                            _shown_status(row),
                        )
                    ),
                    end_section=i == len(group) - 1,
                )
        console.print(table)
    if report.stale_drafts:
        table = Table(
            "postmortem",
            "path",
            "incident",
            "status",
            "days",
            title=f"Stale drafts ({len(report.stale_drafts)})",
        )
        for d in report.stale_drafts:
            table.add_row(
                *(
                    Text(v)
                    for v in (
                        d.title or "",
                        d.path,
                        d.date.isoformat(),
                        d.status or "",
                        str(d.days_since_incident),
                    )
                )
            )
        console.print(table)


# -- Slack --------------------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    """Slack's three control characters; everything else is literal in mrkdwn text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_ticket(row: ItemRow) -> str:
    if not row.ticket:
        return ""
    if row.url and "|" not in row.url and ">" not in row.url:
        return f" <{row.url}|{slack_escape(row.ticket)}>"
    return f" {slack_escape(row.ticket)}"


def slack_text(report: OverdueReport) -> str:
    """A chat-sized message in Slack mrkdwn: counts first, then the rows that need someone."""
    lines = [f"*Postmortem action items {slack_escape(summary(report))}*"]
    for category in CATEGORIES:
        rows = report.rows(category)
        if not rows:
            continue
        lines.append(f"\n*{HEADINGS[category]} ({len(rows)})*")
        for row in rows[:SLACK_MAX_ROWS]:
            lines.append(
                f"• {slack_escape(_owner(row))}: {slack_escape(row.priority or '')} "
                f"{slack_escape(row.action or '')} ({_when(row)}){_slack_ticket(row)} "
                f"— _{slack_escape(row.title or row.path)}_"
            )
        if len(rows) > SLACK_MAX_ROWS:
            lines.append(f"…and {len(rows) - SLACK_MAX_ROWS} more")
    if report.stale_drafts:
        lines.append(f"\n*Postmortems not Final after {FINALIZE_DAYS} days ({len(report.stale_drafts)})*")
        for d in report.stale_drafts[:SLACK_MAX_ROWS]:
            lines.append(
                f"• {slack_escape(d.title or d.path)} ({slack_escape(d.status or 'no status')}"
                f", incident {d.date.isoformat()}, {d.days_since_incident} days ago)"
            )
        if len(report.stale_drafts) > SLACK_MAX_ROWS:
            lines.append(f"…and {len(report.stale_drafts) - SLACK_MAX_ROWS} more")
    if report.warnings:
        title = "Problems" if report.has_errors else "Warnings"
        lines.append(f"\n*{title} ({len(report.warnings)})*")
        lines += [f"• {slack_escape(' '.join(str(w).split()))}" for w in report.warnings[:SLACK_MAX_ROWS]]
        if len(report.warnings) > SLACK_MAX_ROWS:
            lines.append(f"…and {len(report.warnings) - SLACK_MAX_ROWS} more")
    return "\n".join(lines)
