"""Field-level three-way merge of the document, the tracker and the last synced baseline."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pm_sync.tracker.tickets import TicketFields


@dataclass
class Merge:
    push: dict[str, object] = field(default_factory=dict)
    pull: dict[str, object] = field(default_factory=dict)
    conflicts: list[tuple[str, object, object]] = field(default_factory=list)
    baseline: TicketFields = field(default_factory=TicketFields)


def merge(
    doc: TicketFields, tracker: TicketFields, base: TicketFields | None, fields: Iterable[str]
) -> Merge:
    """A change on one side flows to the other; a different change on both sides is a conflict.

    Without a baseline (a ticket pm-sync never synced) the document wins, as push does.
    """
    result = Merge()
    new_base = dict((base or TicketFields()).model_dump())
    for name in fields:
        d, t = getattr(doc, name), getattr(tracker, name)
        if base is None:
            if d != t:
                result.push[name] = d
            new_base[name] = d
            continue
        b = getattr(base, name)
        doc_changed, tracker_changed = d != b, t != b
        if d == t:
            new_base[name] = d
        elif doc_changed and not tracker_changed:
            result.push[name] = d
            new_base[name] = d
        elif tracker_changed and not doc_changed:
            result.pull[name] = t
            new_base[name] = t
        else:
            result.conflicts.append((name, d, t))
    result.baseline = TicketFields(**new_base)
    return result
