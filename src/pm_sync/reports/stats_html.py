"""The follow-up health report as one self-contained HTML page a team can publish with its docs.

Styles are inline, charts are inline SVG (`svg.py`), and there is no script and no reference to
anything outside the file, so it views the same offline, from a file share, or on a docs site.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from pm_sync import __version__
from pm_sync.reports import svg
from pm_sync.reports.stats import Group, StatsReport
from pm_sync.reports.stats_formats import days, share

DONE = "#2e7d32"
DROPPED = "#9e9e9e"
OPEN = "#e65100"
TO_TICKET = "#1565c0"
TO_DONE = "#6a1b9a"
BY_DUE = "#00838f"

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #2b2f36;
       background: #ffffff; margin: 0; }
main { max-width: 800px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 10px; border-bottom: 1px solid #e3e7ee; padding-bottom: 4px; }
.sub { color: #5d6573; margin: 0 0 20px; }
.kpis { display: flex; flex-wrap: wrap; gap: 10px; margin: 0 0 8px; }
.kpi { flex: 1 1 130px; border: 1px solid #e3e7ee; border-radius: 6px; padding: 10px 12px; }
.kpi b { display: block; font-size: 22px; }
.kpi span { color: #5d6573; font-size: 13px; }
figure.chart { display: block; margin: 14px 0; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 10px 0; }
th, td { text-align: right; padding: 4px 6px; border-bottom: 1px solid #eceff4; }
th:first-child, td:first-child { text-align: left; min-width: 5.5em; }
th { color: #5d6573; font-weight: 600; }
.notes { color: #5d6573; font-size: 13px; }
footer { color: #8a919e; font-size: 12px; margin-top: 40px; }
"""

_COLUMNS = (
    "items",
    "done",
    "dropped",
    "open",
    "median days incident → ticket",
    "median days ticket → done",
    "finished by due date",
    "late",
    "days late",
)


def _table(first: str, groups: Sequence[Group]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in (first, *_COLUMNS))
    rows = []
    for g in groups:
        cells = (
            g.label,
            g.items,
            g.done,
            g.dropped,
            g.open,
            days(g.median_days_to_ticket),
            days(g.median_days_to_done),
            share(g.finished_by_due),
            g.late,
            g.days_late,
        )
        rows.append("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _status_chart(title: str, groups: Sequence[Group]) -> str:
    return svg.stacked_bars(
        title,
        [g.label for g in groups],
        [
            svg.Series("done", DONE, [g.done for g in groups]),
            svg.Series("dropped", DROPPED, [g.dropped for g in groups]),
            svg.Series("open", OPEN, [g.open for g in groups]),
        ],
    )


def _figure(ident: str, chart: str) -> str:
    return f'<figure class="chart" id="{ident}">\n{chart}\n</figure>'


def _kpis(report: StatsReport) -> str:
    g = report.overall
    if g is None:
        return ""
    done_share = share(g.done / g.items) if g.items else "–"
    tiles = (
        (str(g.items), "action items"),
        (done_share, "done"),
        (str(g.open), "still open"),
        (days(g.median_days_to_ticket), "median days incident → ticket"),
        (days(g.median_days_to_done), "median days ticket → done"),
        (share(g.finished_by_due), "finished by the due date"),
    )
    return (
        '<section class="kpis">'
        + "".join(f'<div class="kpi"><b>{escape(v)}</b><span>{escape(k)}</span></div>' for v, k in tiles)
        + "</section>"
    )


def to_html(report: StatsReport) -> str:
    since = f", incidents since {report.since.isoformat()}" if report.since else ""
    quarters, prios = report.by_quarter, report.by_priority
    sections = [
        "<h2>By quarter of the incident</h2>",
        _figure("chart-status-quarter", _status_chart("Action items by quarter", quarters)),
        _figure(
            "chart-days-quarter",
            svg.grouped_bars(
                "Median days, by quarter",
                [g.label for g in quarters],
                [
                    svg.Series("incident → ticket", TO_TICKET, [g.median_days_to_ticket for g in quarters]),
                    svg.Series("ticket → done", TO_DONE, [g.median_days_to_done for g in quarters]),
                ],
            ),
        ),
        _figure(
            "chart-due-quarter",
            svg.grouped_bars(
                "Finished by the due date, by quarter",
                [g.label for g in quarters],
                [
                    svg.Series(
                        "finished by due date",
                        BY_DUE,
                        [None if g.finished_by_due is None else g.finished_by_due * 100 for g in quarters],
                    )
                ],
                unit="%",
                top=100,
            ),
        ),
        _table("quarter", quarters),
        "<h2>By priority</h2>",
        _figure("chart-status-priority", _status_chart("Action items by priority", prios)),
        _table("priority", prios),
        "<h2>Worst-lagging owners</h2>",
        _table("owner", report.owners) if report.owners else '<p class="notes">Nobody is late.</p>',
        "<h2>Worst-lagging postmortems</h2>",
        _table("postmortem", report.postmortems)
        if report.postmortems
        else '<p class="notes">No postmortem has late items.</p>',
        _method(),
    ]
    if report.warnings:
        items = "".join(f"<li>{escape(str(w))}</li>" for w in report.warnings)
        sections.append(
            f'<details class="notes"><summary>{len(report.warnings)} note(s) from reading the '
            f"postmortems and trackers</summary><ul>{items}</ul></details>"
        )
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en">',
            '<head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            "<title>Follow-up health</title>",
            f"<style>{STYLE}</style></head>",
            "<body><main>",
            "<h1>Follow-up health</h1>",
            f'<p class="sub">As of {report.as_of.isoformat()}: {report.files} postmortem(s), '
            f"{len(report.facts)} action item(s){escape(since)}.</p>",
            _kpis(report),
            *sections,
            f"<footer>Made by pm-sync {escape(__version__)} from the postmortems and their "
            "trackers.</footer>",
            "</main></body></html>",
            "",
        ]
    )


def _method() -> str:
    return (
        "<h2>How these numbers are made</h2>"
        '<p class="notes">Every action item counts once, in the quarter of its incident and in its '
        "priority. Done and dropped are what the tracker says; an item without a readable ticket "
        "counts by its Status column. Days incident → ticket run from the incident date to the "
        "ticket's creation; days ticket → done from creation to resolution, for done items. "
        "Finished by the due date counts the items with a due date that are done, or open past it; "
        "of those, the share resolved on or before it. Days late add up how long items were, or "
        "still are, past their due date.</p>"
    )
