"""Postmortem metadata, from YAML front matter or the template's bold `**Key**: value` lines."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from pm_sync.diagnostics import Diagnostic, error
from pm_sync.document.dates import DATE_KEYS, incident_date
from pm_sync.document.values import is_unset, strip_emphasis

KEYS = {
    "date": "date",
    "incident date": "date",
    "date of incident": "date",
    "date of the incident": "date",
    "severity": "severity",
    "sev": "severity",
    "duration": "duration",
    "authors": "authors",
    "author": "authors",
    "author(s)": "authors",
    "status": "status",
}
_TITLE_PREFIX = re.compile(r"^\s*(?:quick\s+)?post[- ]?mortem\s*[:\-–—]\s*", re.IGNORECASE)


@dataclass
class Metadata:
    title: str | None = None
    date: dt.date | None = None
    severity: str | None = None
    duration: str | None = None
    authors: list[str] = field(default_factory=list)
    status: str | None = None
    tracker: str | None = None
    project: str | None = None
    doc_id: str | None = None
    lines: dict[str, int] = field(default_factory=dict)
    problems: list[Diagnostic] = field(default_factory=list)


def strip_title_prefix(title: str) -> str:
    return _TITLE_PREFIX.sub("", title).strip()


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return None if is_unset(text) else text


def _authors(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    text = _as_text(value)
    if not text:
        return []
    return [part.strip() for part in re.split(r"[,;]|\band\b", text) if part.strip()]


def _date(value: Any, line: int, meta: Metadata) -> None:
    if isinstance(value, dt.datetime):
        meta.date = value.date()
    elif isinstance(value, dt.date):
        meta.date = value
    elif value is not None:
        try:
            meta.date = incident_date(str(value))
        except ValueError:
            meta.problems.append(
                error("bad-date", f"date {str(value)!r} is not a date; use YYYY-MM-DD", line=line)
            )


def from_front_matter(content: str, first_line: int, meta: Metadata) -> None:
    """`first_line` is the 1-based line of the opening `---`."""
    import yaml  # only documents with front matter need it

    try:
        data = yaml.safe_load(content) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + 1 + (mark.line if mark is not None else 0)
        meta.problems.append(error("bad-front-matter", f"front matter is not valid YAML: {exc}", line=line))
        return
    if not isinstance(data, dict):
        meta.problems.append(error("bad-front-matter", "front matter is not a mapping", line=first_line))
        return
    lines = {str(k).lower(): first_line for k in data}
    for idx, raw in enumerate(content.split("\n")):
        m = re.match(r"^([A-Za-z_][\w-]*)\s*:", raw)
        if m:
            lines[m.group(1).lower()] = first_line + 1 + idx
    norm = {str(k).lower(): v for k, v in data.items()}
    for key in ("title", "severity", "duration", "status", "tracker", "project"):
        if key in norm:
            setattr(meta, key, _as_text(norm[key]))
            meta.lines[key] = lines[key]
    if "id" in norm and _as_text(norm["id"]):
        meta.doc_id = _as_text(norm["id"])
    if "date" in norm:
        meta.lines["date"] = lines["date"]
        _date(norm["date"], lines["date"], meta)
    for key in ("authors", "author"):
        if key in norm:
            meta.authors = _authors(norm[key])
            meta.lines["authors"] = lines[key]
            break


_TABLE_KEYS = {
    *KEYS,
    *("incident id", "id", "incident", "impact", "incident commander", "commander", "reporter"),
    *("reported", "detected", "service", "services", "affected services", "start", "end"),
    *("start time", "end time", "owner", "owners", "team", "environment", "author", "reviewers"),
}


def is_metadata_table(rows: list[tuple[int, list[str]]]) -> bool:
    """A key/value table of incident facts (`| Date | 2024-04-20 |`, `| **Severity** | SEV2 |`)."""
    if not rows or len(rows[0][1]) not in (2, 4):
        return False
    keys = [" ".join(strip_emphasis(cells[0]).casefold().rstrip(":").split()) for _, cells in rows]
    found = sum(1 for key in keys if key in _TABLE_KEYS or key in DATE_KEYS)
    return found >= min(2, len(keys))


_BOLD_KEY = re.compile(
    r"(?:\*\*|__)\s*(?P<key>[A-Za-z][A-Za-z ()]{0,30}?)\s*(?::\s*(?:\*\*|__)|(?:\*\*|__)\s*:)"
)
_SEPARATORS = " \t|·•;,–—"


def from_bold_line(text: str, line: int, meta: Metadata) -> None:
    """Read `**Date**: 2024-01-15 | **Severity**: SEV2` pairs; keys already set are kept.

    Each value runs to the next bold key, so `|`, `·` or any other separator works."""
    keys = list(_BOLD_KEY.finditer(text))
    for n, m in enumerate(keys):
        end = keys[n + 1].start() if n + 1 < len(keys) else len(text)
        key = KEYS.get(" ".join(m.group("key").lower().split()))
        if key is None or key in meta.lines:
            continue
        raw = text[m.end() : end].strip().rstrip("\\").strip()
        if n + 1 < len(keys):
            raw = raw.rstrip(_SEPARATORS)
        value = strip_emphasis(raw)
        meta.lines[key] = line
        if key == "date":
            _date(_as_text(value), line, meta)
        elif key == "authors":
            meta.authors = _authors(value)
        else:
            setattr(meta, key, _as_text(value))
