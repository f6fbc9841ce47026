"""`pm-sync stats` as a library call: do postmortem follow-ups actually get done?

Every action item of every postmortem (Drafts included, as in the overdue report) counts once,
in its priority and in the quarter of its incident. For each group:

- items, done, dropped, open (in progress counts as open): the tracker's status, read in one
  batched `read` per tracker; the Status column only when there is no ticket, it is gone, or its
  tracker cannot be read (each such fallback is a warning);
- median days from the incident to the ticket (the ticket's creation date) and from the ticket
  to done (its resolution date), from the trackers' own dates; items without them are left out;
- the share finished by the due date: of the items with a due date that are done, or still open
  past it, those resolved on or before it. Dropped items, items due later, and items marked done
  only in the document (no resolution date) are left out of that share;
- late and days late: items done after their due date (by how much) or open past it (by how
  long as of today), which rank the worst-lagging owners and postmortems.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pm_sync.config import load_config
from pm_sync.diagnostics import Diagnostic, Severity, from_exception, warning
from pm_sync.document.discover import expand
from pm_sync.document.model import ActionItem, ItemStatus, Postmortem, Priority
from pm_sync.document.parse import parse_file
from pm_sync.errors import PmSyncError
from pm_sync.reports.overdue import today_in
from pm_sync.sync.compare import first_owner
from pm_sync.sync.routing import Trackers
from pm_sync.tracker.tickets import TicketState

UNDATED = "undated"
NO_PRIORITY = "none"
TOP = 10
"""Owners and postmortems listed as lagging."""


@dataclass(frozen=True)
class ItemFacts:
    """One action item with what its tracker says about it."""

    path: str
    title: str | None
    line: int
    action: str | None
    priority: str
    owner: str | None
    incident: dt.date | None
    due: dt.date | None
    status: ItemStatus
    ticket: str | None
    created: dt.date | None
    resolved: dt.date | None

    @property
    def quarter(self) -> str:
        if self.incident is None:
            return UNDATED
        return f"{self.incident.year}-Q{(self.incident.month - 1) // 3 + 1}"

    @property
    def open(self) -> bool:
        return not self.status.closed

    def days_to_ticket(self) -> int | None:
        if self.incident is None or self.created is None:
            return None
        return (self.created - self.incident).days

    def days_to_done(self) -> int | None:
        if self.status is not ItemStatus.DONE or self.created is None or self.resolved is None:
            return None
        return (self.resolved - self.created).days

    def on_time(self, as_of: dt.date) -> bool | None:
        """Finished by the due date: True, False, or None when it cannot be told (yet)."""
        if self.due is None or self.status is ItemStatus.DROPPED:
            return None
        if self.status is ItemStatus.DONE:
            return None if self.resolved is None else self.resolved <= self.due
        return False if self.due < as_of else None

    def days_late(self, as_of: dt.date) -> int:
        if self.due is None or self.status is ItemStatus.DROPPED:
            return 0
        if self.status is ItemStatus.DONE:
            return max(0, (self.resolved - self.due).days) if self.resolved else 0
        return max(0, (as_of - self.due).days)


@dataclass(frozen=True)
class Group:
    """The numbers for one priority, quarter, owner or postmortem."""

    key: str
    label: str
    items: int
    done: int
    dropped: int
    open: int
    median_days_to_ticket: float | None
    median_days_to_done: float | None
    finished_by_due: float | None
    """Share (0-1) of the items whose due date has been decided that were finished by it."""
    due_decided: int
    late: int
    days_late: int

    def public(self) -> dict[str, object]:
        return {
            "key": self.key,
            "label": self.label,
            "items": self.items,
            "done": self.done,
            "dropped": self.dropped,
            "open": self.open,
            "median_days_to_ticket": self.median_days_to_ticket,
            "median_days_to_done": self.median_days_to_done,
            "finished_by_due": self.finished_by_due,
            "due_decided": self.due_decided,
            "late": self.late,
            "days_late": self.days_late,
        }


@dataclass
class StatsReport:
    as_of: dt.date
    since: dt.date | None = None
    files: int = 0
    facts: list[ItemFacts] = field(default_factory=list)
    overall: Group | None = None
    by_priority: list[Group] = field(default_factory=list)
    by_quarter: list[Group] = field(default_factory=list)
    owners: list[Group] = field(default_factory=list)
    postmortems: list[Group] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)

    def sections(self) -> dict[str, list[Group]]:
        return {
            "overall": [self.overall] if self.overall else [],
            "priority": self.by_priority,
            "quarter": self.by_quarter,
            "owner": self.owners,
            "postmortem": self.postmortems,
        }

    def public(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "files": self.files,
            "items": len(self.facts),
            "overall": self.overall.public() if self.overall else None,
            "by_priority": [g.public() for g in self.by_priority],
            "by_quarter": [g.public() for g in self.by_quarter],
            "lagging_owners": [g.public() for g in self.owners],
            "lagging_postmortems": [g.public() for g in self.postmortems],
            "warnings": [w.as_dict() for w in self.warnings],
        }


def stats_report(
    paths: Sequence[str] = (),
    *,
    config_path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    since: dt.date | None = None,
    as_of: dt.date | None = None,
) -> StatsReport:
    """Build the report for `paths` (files, folders, globs), else the config's `[docs] paths`;
    with `since`, only postmortems whose incident was on or after that date.

    Raises only for usage or configuration errors; unreadable postmortems and unreachable
    trackers become warnings and the report is built from what was read."""
    cfg = load_config(config_path, env, near=paths)
    report = StatsReport(as_of=as_of or today_in(cfg.timezone), since=since)
    files = expand(paths, cfg.docs.paths, base=cfg.root)
    if not files:
        report.warnings.append(
            warning(
                "no-postmortems",
                f"no postmortems found under {', '.join(cfg.docs.paths)}",
                hint="pass their paths, or set [docs] paths in pm-sync.toml",
            )
        )
    postmortems = _read_all(files, since, report)
    report.files = len(postmortems)
    items = [(pm, item) for pm in postmortems for item in pm.action_items]
    trackers = Trackers(cfg, env)
    try:
        tickets = _read_tickets(items, trackers, report)
    finally:
        trackers.close()
    report.facts = [_facts(pm, item, ticket) for (pm, item), ticket in zip(items, tickets, strict=True)]
    _summarize(report)
    report.warnings = list(dict.fromkeys(report.warnings))
    return report


def _read_all(files: Sequence[Path], since: dt.date | None, report: StatsReport) -> list[Postmortem]:
    out: list[Postmortem] = []
    for path in files:
        try:
            pm = parse_file(path)
        except PmSyncError as exc:
            report.warnings.append(replace(from_exception(exc, path=str(path)), severity=Severity.WARNING))
            continue
        if since is not None and (pm.date is None or pm.date < since):
            continue
        out.append(pm)
    return out


def _read_tickets(
    items: Sequence[tuple[Postmortem, ActionItem]], trackers: Trackers, report: StatsReport
) -> list[TicketState | None]:
    """Route every ticketed item, then read each tracker once with all of its keys."""
    routes: list[tuple[str, str] | None] = []
    by_tracker: dict[str, list[str]] = {}
    for pm, item in items:
        route = None
        if (item.ticket or "").strip():
            try:
                found = trackers.route(pm, item)
                if found.key is not None:
                    route = (found.tracker, found.key)
                    by_tracker.setdefault(found.tracker, []).append(found.key)
            except PmSyncError as exc:
                report.warnings.append(
                    warning("route", f"{exc.message}; using the Status column", path=pm.path, line=item.line)
                )
        routes.append(route)
    states: dict[tuple[str, str], TicketState | None] = {}
    for name, keys in by_tracker.items():
        unique = list(dict.fromkeys(keys))
        try:
            found_states = trackers.get(name).read(unique)
        except PmSyncError as exc:
            report.warnings.append(
                warning(
                    "tracker-unreadable",
                    f"tracker {name!r} could not be read ({exc.message}); used the Status column for "
                    f"its {len(unique)} ticket(s), without dates",
                    hint=exc.hint,
                )
            )
            continue
        states.update({(name, key): found_states.get(key) for key in unique})
    out: list[TicketState | None] = []
    for (pm, item), route in zip(items, routes, strict=True):
        state = states.get(route) if route else None
        if route is not None and route in states and state is None:
            report.warnings.append(
                warning(
                    "ticket-missing",
                    f"ticket {item.ticket} not found in {route[0]!r}; using the Status column",
                    path=pm.path,
                    line=item.line,
                )
            )
        out.append(state)
    return out


def _facts(pm: Postmortem, item: ActionItem, state: TicketState | None) -> ItemFacts:
    status = state.status if state else (item.status or ItemStatus.OPEN)
    return ItemFacts(
        path=pm.path,
        title=pm.title,
        line=item.line,
        action=item.action,
        priority=item.priority.value if item.priority else NO_PRIORITY,
        owner=first_owner(item.owner),
        incident=pm.date,
        due=item.due,
        status=status,
        ticket=state.key if state else item.ticket,
        created=state.created.date() if state and state.created else None,
        resolved=state.resolved.date() if state and state.resolved and status.closed else None,
    )


def group(key: str, label: str, facts: Sequence[ItemFacts], as_of: dt.date) -> Group:
    decided = [v for f in facts if (v := f.on_time(as_of)) is not None]
    late = [f.days_late(as_of) for f in facts]
    return Group(
        key=key,
        label=label,
        items=len(facts),
        done=sum(f.status is ItemStatus.DONE for f in facts),
        dropped=sum(f.status is ItemStatus.DROPPED for f in facts),
        open=sum(f.open for f in facts),
        median_days_to_ticket=_median(f.days_to_ticket() for f in facts),
        median_days_to_done=_median(f.days_to_done() for f in facts),
        finished_by_due=round(sum(decided) / len(decided), 3) if decided else None,
        due_decided=len(decided),
        late=sum(d > 0 for d in late),
        days_late=sum(late),
    )


def _median(values: Iterable[int | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(statistics.median(present)) if present else None


def _grouped(
    facts: Sequence[ItemFacts], key: Callable[[ItemFacts], str], label: Callable[[ItemFacts], str]
) -> dict[str, tuple[str, list[ItemFacts]]]:
    out: dict[str, tuple[str, list[ItemFacts]]] = {}
    for f in facts:
        out.setdefault(key(f), (label(f), []))[1].append(f)
    return out


def _summarize(report: StatsReport) -> None:
    facts, as_of = report.facts, report.as_of
    report.overall = group("all", "all items", facts, as_of)
    prio_order = [p.value for p in Priority] + [NO_PRIORITY]
    by_prio = _grouped(facts, lambda f: f.priority, lambda f: f.priority)
    report.by_priority = [group(k, by_prio[k][0], by_prio[k][1], as_of) for k in prio_order if k in by_prio]
    by_quarter = _grouped(facts, lambda f: f.quarter, lambda f: f.quarter)
    report.by_quarter = [
        group(k, k, by_quarter[k][1], as_of) for k in sorted(by_quarter, key=lambda q: (q == UNDATED, q))
    ]
    owned = [f for f in facts if f.owner]
    by_owner = _grouped(owned, lambda f: (f.owner or "").lstrip("@").casefold(), lambda f: f.owner or "")
    by_doc = _grouped(facts, lambda f: f.path, lambda f: f.title or f.path)
    report.owners = _lagging([group(k, label, fs, as_of) for k, (label, fs) in by_owner.items()])
    report.postmortems = _lagging([group(k, label, fs, as_of) for k, (label, fs) in by_doc.items()])


def _lagging(groups: Iterable[Group]) -> list[Group]:
    late = [g for g in groups if g.days_late > 0]
    return sorted(late, key=lambda g: (-g.days_late, -g.late, g.key))[:TOP]
