"""`pm-sync overdue` as a library call: which action items slipped, are about to, or have no owner.

The tracker owns status, so an item's "done" is read from its tracker (one batched `read` per
tracker) and the table's Status column is only the fallback when there is no ticket, the ticket
is gone, or the tracker cannot be reached; every fallback of that kind is a report warning.

Every postmortem with action items contributes, Drafts included: a P0 fix is often due before
the document is finalized, and a Draft that stalls is exactly where follow-up gets lost. Each
row carries `postmortem_status` so a reader can tell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pm_sync.config import Config, load_config
from pm_sync.diagnostics import Diagnostic, error, warning
from pm_sync.document.discover import expand
from pm_sync.document.model import ActionItem, ItemStatus, Postmortem, Priority
from pm_sync.document.parse import parse_file
from pm_sync.errors import ConfigError, PmSyncError
from pm_sync.sync.book import safe_key
from pm_sync.sync.routing import Trackers
from pm_sync.tracker.http import reply_shape
from pm_sync.tracker.tickets import TicketState

DEFAULT_PRIORITIES: tuple[Priority, ...] = (Priority.P0, Priority.P1)
SOON_DAYS = 7
FINALIZE_DAYS = 7
"""The template's timeline: Day 0 incident → Day 5-7 finalize; a Draft after Day 7 is stale."""

Category = Literal["overdue", "due_soon", "unowned"]
CATEGORIES: tuple[Category, ...] = ("overdue", "due_soon", "unowned")


@dataclass(frozen=True)
class ItemRow:
    """One action item in one category of the report."""

    path: str
    title: str | None
    line: int
    priority: str | None
    action: str | None
    owner: str | None
    due: dt.date | None
    days_overdue: int | None
    """`as_of - due` in days: positive when overdue, 0 or negative (days left) when due soon."""
    ticket: str | None
    url: str | None
    tracker_status: str | None
    """What the tracker says now; None when it was not asked (no ticket, or unreachable)."""
    status: str
    """The status the report went by: the tracker's, else the Status column's, else `open`."""
    tracker: str | None
    postmortem_status: str | None

    def public(self) -> dict[str, object]:
        data = asdict(self)
        data["due"] = self.due.isoformat() if self.due else None
        return data


@dataclass(frozen=True)
class StaleDraft:
    """A postmortem still not Final more than seven days after its incident."""

    path: str
    title: str | None
    date: dt.date
    status: str | None
    days_since_incident: int

    def public(self) -> dict[str, object]:
        data = asdict(self)
        data["date"] = self.date.isoformat()
        return data


@dataclass
class OverdueReport:
    as_of: dt.date
    priorities: tuple[Priority, ...]
    soon_days: int = SOON_DAYS
    overdue: list[ItemRow] = field(default_factory=list)
    due_soon: list[ItemRow] = field(default_factory=list)
    unowned: list[ItemRow] = field(default_factory=list)
    stale_drafts: list[StaleDraft] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    files: int = 0

    def rows(self, category: Category) -> list[ItemRow]:
        rows: list[ItemRow] = getattr(self, category)
        return rows

    @property
    def has_overdue(self) -> bool:
        return bool(self.overdue)

    @property
    def has_errors(self) -> bool:
        """A postmortem that could not be read, or whose table holds an error, may hide overdue
        items: the report is still built from the rest, but it cannot say all is well."""
        return any(w.is_error for w in self.warnings)

    def public(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "priorities": [p.value for p in self.priorities],
            "overdue": [r.public() for r in self.overdue],
            "due_soon": [r.public() for r in self.due_soon],
            "unowned": [r.public() for r in self.unowned],
            "stale_drafts": [d.public() for d in self.stale_drafts],
            "warnings": [w.as_dict() for w in self.warnings],
        }


@dataclass
class _Ticket:
    tracker: str | None = None
    key: str | None = None
    display: str | None = None
    state: TicketState | None = None


def today_in(zone: str) -> dt.date:
    """Today's date where the team is (`timezone` in the config), not where cron runs."""
    return dt.datetime.now(ZoneInfo(zone)).date()


def overdue_report(
    paths: Sequence[str] = (),
    *,
    config: Config | None = None,
    config_path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    as_of: dt.date | None = None,
    priorities: Sequence[Priority] = DEFAULT_PRIORITIES,
    soon_days: int = SOON_DAYS,
) -> OverdueReport:
    """Build the report for `paths` (files, folders, globs), else the config's `[docs] paths`.

    Raises only for usage or configuration errors; unreadable postmortems and parse problems
    become `Diagnostic`s of their own severity (`has_errors`), unreachable trackers warnings, and
    the report is still built from what was read.
    """
    cfg = config or load_config(config_path, env, near=paths)
    wanted = tuple(dict.fromkeys(Priority(p) for p in priorities))
    report = OverdueReport(as_of=as_of or today_in(cfg.timezone), priorities=wanted, soon_days=soon_days)
    files = expand(paths, cfg.docs.paths, base=cfg.root)
    if not files:
        report.warnings.append(
            warning(
                "no-postmortems",
                f"no postmortems found under {', '.join(cfg.docs.paths)}",
                hint="pass their paths, or set [docs] paths in pm-sync.toml",
            )
        )
    report.files = len(files)
    postmortems = _read_all(files, report)
    items = [(pm, item) for pm in postmortems for item in pm.action_items if item.priority in wanted]
    trackers = Trackers(cfg, env)
    try:
        tickets = _read_tickets(items, trackers, report)
    finally:
        trackers.close()
    for (pm, item), ticket in zip(items, tickets, strict=True):
        _classify(pm, item, ticket, report)
    for category in CATEGORIES:
        report.rows(category).sort(key=_group_key)
    report.stale_drafts = _stale_drafts(postmortems, report)
    report.warnings = list(dict.fromkeys(report.warnings))
    return report


def _read_all(files: Sequence[Path], report: OverdueReport) -> list[Postmortem]:
    postmortems: list[Postmortem] = []
    for path in files:
        try:
            pm = parse_file(path)
        except PmSyncError as exc:
            report.warnings.append(
                error("unreadable", f"skipped: {exc.message}", path=str(path), line=exc.line, hint=exc.hint)
            )
            continue
        report.warnings += pm.problems
        postmortems.append(pm)
    return postmortems


def _read_tickets(
    items: Sequence[tuple[Postmortem, ActionItem]], trackers: Trackers, report: OverdueReport
) -> list[_Ticket]:
    """Route every ticketed item, then read each tracker once with all of its keys."""
    tickets: list[_Ticket] = []
    by_tracker: dict[str, list[str]] = {}
    for pm, item in items:
        ticket = _Ticket()
        tickets.append(ticket)
        if not (item.ticket or "").strip():
            continue
        try:
            route = trackers.route(pm, item)
            if route.key is None:  # a project hint such as `OPS-?`: no ticket yet
                continue
            connector = trackers.get(route.tracker)
            ticket.display = connector.display_key(route.key, route.project)
        except ConfigError:
            raise  # a token no request can carry is the config's fault, not the tracker's
        except PmSyncError as exc:
            report.warnings.append(
                warning("route", f"{exc.message}; using the Status column", path=pm.path, line=item.line)
            )
            ticket.display = item.ticket
            continue
        ticket.tracker, ticket.key = route.tracker, route.key
        by_tracker.setdefault(route.tracker, []).append(route.key)
    states: dict[tuple[str, str], TicketState | None] = {}
    unreachable: set[str] = set()
    for name, keys in by_tracker.items():
        unique = list(dict.fromkeys(keys))
        try:
            with reply_shape(name, "reading tickets"):
                found = trackers.get(name).read(unique)
        except ConfigError:
            raise
        except PmSyncError as exc:
            unreachable.add(name)
            report.warnings.append(
                warning(
                    "tracker-unreadable",
                    f"tracker {name!r} could not be read ({exc}); "
                    f"used the Status column for its {len(unique)} ticket(s)",
                )
            )
            continue
        states.update({(name, key): found.get(key) for key in unique})
    for (pm, item), ticket in zip(items, tickets, strict=True):
        if ticket.tracker is None or ticket.key is None or ticket.tracker in unreachable:
            continue
        ticket.state = states.get((ticket.tracker, ticket.key))
        if ticket.state is not None and ticket.state.key.casefold() != ticket.key.casefold():
            # moved: report where it lives now, if the tracker's answer is a key of its own
            moved = safe_key(trackers.get(ticket.tracker), ticket.state.key, None)
            if moved is None:
                ticket.state = None
            else:
                ticket.display = moved
        if ticket.state is None:
            report.warnings.append(
                warning(
                    "ticket-missing",
                    f"ticket {ticket.display} not found in {ticket.tracker!r}; using the Status column",
                    path=pm.path,
                    line=item.line,
                )
            )
    return tickets


def _classify(pm: Postmortem, item: ActionItem, ticket: _Ticket, report: OverdueReport) -> None:
    status = ticket.state.status if ticket.state else (item.status or ItemStatus.OPEN)
    if status.closed:
        return
    days = (report.as_of - item.due).days if item.due else None
    row = ItemRow(
        path=pm.path,
        title=pm.title,
        line=item.line,
        priority=item.priority.value if item.priority else None,
        action=item.action,
        owner=item.owner,
        due=item.due,
        days_overdue=days,
        ticket=ticket.display,
        url=ticket.state.url if ticket.state else None,
        tracker_status=ticket.state.status.value if ticket.state else None,
        status=status.value,
        tracker=ticket.tracker,
        postmortem_status=pm.status,
    )
    if days is not None and days > 0:
        report.overdue.append(row)
    elif days is not None and -report.soon_days <= days <= 0:
        report.due_soon.append(row)
    if item.due is None or not item.owner:
        report.unowned.append(row)


def _group_key(row: ItemRow) -> tuple[bool, str, str, int]:
    owner = (row.owner or "").strip().lstrip("@").casefold()
    return (not owner, owner, row.path, row.line)


def _stale_drafts(postmortems: Sequence[Postmortem], report: OverdueReport) -> list[StaleDraft]:
    stale: list[StaleDraft] = []
    for pm in postmortems:
        if pm.is_final:
            continue
        if pm.date is None:
            report.warnings.append(
                warning(
                    "no-incident-date",
                    "not Final and has no incident date, so pm-sync "
                    "cannot tell whether it is overdue for finalizing",
                    path=pm.path,
                )
            )
            continue
        days = (report.as_of - pm.date).days
        if days > FINALIZE_DAYS:
            stale.append(
                StaleDraft(
                    path=pm.path, title=pm.title, date=pm.date, status=pm.status, days_since_incident=days
                )
            )
    stale.sort(key=lambda d: (d.date, d.path))
    return stale
