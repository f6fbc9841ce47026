"""The engine's one answer to a create whose outcome is unknown: look its marker up, and decide.

A connector never sends a create twice; it raises `AmbiguousWriteError`. The engine then asks
the tracker for the marker. Found: the ticket is adopted. Not found on a tracker whose lookups
are consistent (`search_lag=False`): the create did not land, and it is sent once more. Not found
on a tracker whose search lags: nothing is sent again; the marker stays in the journal and every
run waits for it (saying so) until it turns up or someone passes `--retry-lost`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pm_sync import clock
from pm_sync.diagnostics import Diagnostic, error
from pm_sync.tracker.contract import Connector, ConnectorConfig
from pm_sync.tracker.http import reply_shape
from pm_sync.tracker.tickets import TicketState

if TYPE_CHECKING:
    from pm_sync.sync.book import Book
    from pm_sync.sync.compare import PlanContext


def look_again(
    connector: Connector[ConnectorConfig], markers: Sequence[str], budget: float, projects: Sequence[str] = ()
) -> dict[str, TicketState]:
    """Ask again for markers a lagging search may not show yet: pauses of 1, 2, 4, … s,
    `budget` seconds in all, each long pause announced. Returns what turned up."""
    found: dict[str, TicketState] = {}
    pending = list(markers)
    delay, waited = 1.0, 0.0
    if pending and budget > 0:
        shown = ", ".join(pending[:3]) + (", …" if len(pending) > 3 else "")
        clock.say(
            f"waiting up to {budget:g} s for {len(pending)} ticket(s) whose create got no clear "
            f"answer to show up in {connector.name} ({shown})"
        )
    while pending and waited < budget:
        pause = min(delay, budget - waited)
        clock.wait(
            pause,
            f"{connector.name}'s search to show {len(pending)} ticket(s) created "
            f"earlier (up to {budget - waited:.0f} s more)",
        )
        waited += pause
        delay *= 2
        for state in connector.find(pending, list(projects)):
            if state.marker in pending and state.marker not in found:
                found[state.marker] = state
        pending = [m for m in pending if m not in found]
    return found


def recovery_wait(connector: Connector[ConnectorConfig]) -> float:
    return float(getattr(connector.config, "recovery_wait", 10.0))


def in_flight(
    ctx: PlanContext, markers: Sequence[str], book: Book, retry_lost: bool
) -> dict[str, Diagnostic]:
    """Rows about to be created whose create an earlier run sent and the tracker does not show:
    each gets a `create-in-flight` error instead of a second create."""
    journal = ctx.trackers.journal
    pending = journal.pending(markers)
    if not pending:
        return {}
    connector = ctx.connector
    if retry_lost or not connector.capabilities.search_lag:
        journal.clear(pending)  # a consistent lookup missed it, or a person says it is lost
        return {}
    with reply_shape(ctx.tracker, "looking up creates sent earlier"):
        found = look_again(connector, list(pending), recovery_wait(connector))
    book.add_states(ctx.tracker, connector, found.values())
    book.recovered.update(found)
    out: dict[str, Diagnostic] = {}
    for marker, entry in pending.items():
        if marker in found:
            continue
        ago = max(0.0, clock.now() - entry.sent_at)
        out[marker] = error(
            "create-in-flight",
            f"a create for this row was sent {_age(ago)} ago and {ctx.tracker} does not show its "
            f"ticket (marker {marker}) yet; pm-sync will not create it again until it does",
            path=ctx.pm.path,
            hint="run again later (search can lag for minutes); if you are sure the ticket was "
            "never created, run again with --retry-lost",
        )
    return out


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"
