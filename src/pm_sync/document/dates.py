"""The incident date as real postmortems write it, and where they write it.

Due dates stay strict (`values.parse_due`); an incident date may also be a range
(`December 22-23, 2023` → its start), carry a time or weekday, or an ordinal (`March 5th, 2025`);
a numeric `04/20/2024` or `20/04/2024` is read only when its day is over 12 (never a guess).
It is looked for, in order, in metadata-like places (`Date:` lines, `**Date of incident**:`,
2-column metadata tables, a `## Date` section), then the title, then the first dated line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from markdown_it.token import Token

from pm_sync.document.values import parse_due, plain_text, strip_emphasis

DATE_KEYS = {
    "date",
    "dates",
    "date(s)",
    "incident date",
    "date of incident",
    "date of the incident",
    "incident date(s)",
    "date and time",
    "date/time",
    "date & time",
    "when",
    "occurred",
    "incident start",
    "start",
    "start date",
    "start time",
    "started",
}
_MONTHS = {
    m: n
    for n, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for m in names
}
_MONTH = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<d>\d{1,2})(?:st|nd|rd|th)?"
_RANGE_END = (
    r"(?:\s*[-–—]\s*\d{1,2}(?:st|nd|rd|th)?|\s*(?:-|–|—|to|and)\s*" + _MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?)?"
)
_PATTERNS = (
    re.compile(r"(?<!\d)(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)"),
    re.compile(rf"(?<![\w])(?P<mon>{_MONTH})\s+{_DAY}{_RANGE_END},?\s+(?P<y>\d{{4}})(?!\d)", re.IGNORECASE),
    re.compile(
        rf"(?<![\w]){_DAY}(?:\s*[-–—]\s*\d{{1,2}}(?:st|nd|rd|th)?)?(?:\s+of)?\s+(?P<mon>{_MONTH}),?\s+(?P<y>\d{{4}})(?!\d)",
        re.IGNORECASE,
    ),
    # `04/20/2024` or `20/04/2024`: read only when one side is over 12, so never a guess
    re.compile(r"(?<![\d/.-])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})(?![\d/])"),
)
_WEEKDAY = re.compile(
    r"^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday)?\.?,?\s+", re.IGNORECASE
)
_LINE_KEY = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?\s*(?P<key>[A-Za-z][A-Za-z ()/&]{0,30}?)\s*"
    r"(?:(?:\*\*|__)\s*:|:\s*(?:\*\*|__)?)\s*(?P<value>.*)$"
)
_NOT_INCIDENT = re.compile(
    r"\b(?:updated|published|revised|modified|reviewed|written|report|postmortem)\b", re.I
)


def find_date(text: str, *, at_start: bool = False) -> dt.date | None:
    """The first date in `text` (the start of a range); with `at_start`, only a leading one."""
    value = _WEEKDAY.sub("", strip_emphasis(text).strip())
    best: tuple[int, dt.date] | None = None
    for rx in _PATTERNS:
        for m in rx.finditer(value):
            if at_start and value[: m.start()].strip(" *_([~"):
                break
            day = _to_date(m)
            if day is not None:
                if best is None or m.start() < best[0]:
                    best = (m.start(), day)
                break
    return best[1] if best else None


def _to_date(m: re.Match[str]) -> dt.date | None:
    groups = m.groupdict()
    if groups.get("a"):
        a, b = int(groups["a"]), int(groups["b"])
        if (a > 12) == (b > 12):
            return None  # `04/05/2024`: April 5 or May 4
        groups = {"y": groups["y"], "m": str(min(a, b)), "d": str(max(a, b))}
    month = _MONTHS[groups["mon"].rstrip(".").casefold()] if groups.get("mon") else int(groups["m"])
    try:
        return dt.date(int(groups["y"]), month, int(groups["d"]))
    except ValueError:
        return None


def incident_date(text: str) -> dt.date | None:
    """A metadata date value; raises ValueError for a value that is not one (never a guess)."""
    try:
        return parse_due(text)
    except ValueError:
        day = find_date(text, at_start=True)
        if day is None:
            raise
        return day


def date_key(text: str) -> bool:
    return " ".join(plain_text(strip_emphasis(text)).casefold().rstrip(":").split()) in DATE_KEYS


def keyed_line_date(content: str) -> dt.date | None:
    """`Date: 2024-04-20`, `- **Date of incident**: ...` on one line of a paragraph or list item."""
    for raw in content.split("\n"):
        m = _LINE_KEY.match(raw)
        if m and date_key(m.group("key")):
            day = find_date(m.group("value"), at_start=True)
            if day is not None:
                return day
    return None


def table_date(rows: Sequence[tuple[int, list[str]]]) -> tuple[int, dt.date] | None:
    """(0-based line, date) from a key/value metadata table: `| Date | 2024-04-20 |`."""
    for line, cells in rows:
        for n in range(0, len(cells) - 1, 2):
            if date_key(cells[n]):
                day = find_date(cells[n + 1], at_start=True)
                if day is not None:
                    return line, day
    return None


def prose_date(tokens: Sequence[Token], skip: set[int]) -> tuple[int, dt.date] | None:
    """(1-based line, date): the first dated line of the document, outside `skip` token indexes."""
    for i, tok in enumerate(tokens):
        if tok.type != "inline" or i in skip or not tok.map:
            continue
        for offset, raw in enumerate(tok.content.split("\n")):
            if _NOT_INCIDENT.search(raw):
                continue
            day = find_date(raw)
            if day is not None:
                return tok.map[0] + offset + 1, day
    return None
