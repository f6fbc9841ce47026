"""The document-side data model every other module speaks.

Plain dataclasses: the parser fills them with values it has already checked, and commands that
only read documents (`parse`, `lint`) then never load pydantic.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from pm_sync.diagnostics import Diagnostic

Field_ = Literal["priority", "action", "owner", "due", "ticket", "status"]
FIELDS: tuple[Field_, ...] = ("priority", "action", "owner", "due", "ticket", "status")


class Priority(StrEnum):
    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class ItemStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"

    @property
    def closed(self) -> bool:
        return self in (ItemStatus.DONE, ItemStatus.DROPPED)


@dataclass(frozen=True)
class TableLayout:
    """Where an action-items table sits, so write-back can touch only its cells."""

    header_line: int
    delimiter_line: int
    row_lines: tuple[int, ...]
    columns: dict[str, int]
    width: int
    overfull_lines: tuple[int, ...] = ()


@dataclass(kw_only=True)
class ActionItem:
    """One action item, values normalized, line 1-based: a table row, or a list item in a
    postmortem with no action-items table (`source="list"`; those are never written back)."""

    line: int
    priority: Priority | None = None
    action: str | None = None
    owner: str | None = None
    due: dt.date | None = None
    ticket: str | None = None
    status: ItemStatus | None = None
    uid: str = ""
    """the row's identity inside its document"""
    occurrence: int = 0
    """how many earlier rows have the same action"""
    table: int = 0
    """index into Postmortem.tables (-1 for a list item)"""
    source: Literal["table", "list"] = "table"

    def public(self) -> dict[str, object]:
        return {
            "line": self.line,
            "priority": self.priority.value if self.priority else None,
            "action": self.action,
            "owner": self.owner,
            "due": self.due.isoformat() if self.due else None,
            "ticket": self.ticket,
            "status": self.status.value if self.status else None,
            "source": self.source,
        }


@dataclass(kw_only=True)
class Postmortem:
    """A parsed postmortem: metadata, action items and the problems found while reading."""

    path: str
    title: str | None = None
    date: dt.date | None = None
    severity: str | None = None
    duration: str | None = None
    authors: list[str] = field(default_factory=list)
    status: str | None = None
    tracker: str | None = None
    project: str | None = None
    doc_id: str = ""
    """the front matter's `id`, when it declares one"""
    action_items: list[ActionItem] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)
    """errors found while reading: they block syncing this postmortem"""
    warnings: list[Diagnostic] = field(default_factory=list)
    """located findings that do not block syncing (a quoted table)"""
    tables: list[TableLayout] = field(default_factory=list)
    headings: list[tuple[int, int, str]] = field(default_factory=list)
    """(line, level, plain text) of every heading"""
    quick: bool = False
    metadata_lines: dict[str, int] = field(default_factory=dict)
    unreadable: bool = False
    """the file could not be read at all"""

    @property
    def is_final(self) -> bool:
        """Only `Status: Final` is pushed (emphasis and case aside)."""
        return (self.status or "").strip().strip("*_").strip().casefold() == "final"

    def public(self) -> dict[str, object]:
        return {
            "path": self.path,
            "title": self.title,
            "date": self.date.isoformat() if self.date else None,
            "severity": self.severity,
            "duration": self.duration,
            "authors": list(self.authors),
            "status": self.status,
            "action_items": [item.public() for item in self.action_items],
            "problems": [p.as_dict() for p in self.problems],
        }


def item_uid(action: str, occurrence: int) -> str:
    """A row's identity inside its document: the action text (plus a counter for repeats), so
    write-back finds the row again after someone reordered or edited the table meanwhile.
    Markers on tickets add the document's identity (`pm_sync.sync.identity`)."""
    norm = " ".join(action.split()).casefold()
    return hashlib.sha256(f"{norm}\n{occurrence}".encode()).hexdigest()[:12]


def field_text(item: ActionItem, name: str) -> str | None:
    """A parsed cell value in one comparable spelling (enum value, ISO date, or text)."""
    value = getattr(item, name)
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return str(value)
