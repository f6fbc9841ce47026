"""Normalizing cell values; every function returns a value or raises ValueError with a message."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from pm_sync.document.model import ItemStatus, Priority

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

UNSET = {"", "-", "—", "–", "tbd", "tba", "n/a", "na", "none", "?"}

_PRIORITY_WORDS = {"critical": Priority.P0, "high": Priority.P1, "medium": Priority.P2, "low": Priority.P3}
_STATUS_WORDS: dict[str, ItemStatus] = {}
for _words, _status in (
    (
        "open|to do|todo|to-do|new|not started|planned|backlog|pending|not done|scheduled|queued",
        ItemStatus.OPEN,
    ),
    (
        "in progress|in-progress|in_progress|doing|wip|started|ongoing|in review|in-review|under review|"
        "blocked|investigating|in flight|in-flight|partially done|partially complete|partial",
        ItemStatus.IN_PROGRESS,
    ),
    (
        "done|completed|complete|fixed|resolved|closed|shipped|finished|merged|deployed|implemented|"
        "released|landed|addressed",
        ItemStatus.DONE,
    ),
    (
        "won't do|wont do|won't fix|wont fix|wontfix|wontdo|will not do|will not fix|dropped|cancelled|"
        "canceled|rejected|obsolete|not planned|abandoned|not needed|no longer needed|superseded",
        ItemStatus.DROPPED,
    ),
):
    for _w in _words.split("|"):
        _STATUS_WORDS[_w] = _status
_STATUS_EMOJI = {
    "✅": ItemStatus.DONE,
    "✔": ItemStatus.DONE,
    "☑": ItemStatus.DONE,
    "✓": ItemStatus.DONE,
    "🚧": ItemStatus.IN_PROGRESS,
    "⏳": ItemStatus.IN_PROGRESS,
    "🔄": ItemStatus.IN_PROGRESS,
    "☐": ItemStatus.OPEN,
    "⬜": ItemStatus.OPEN,
}
# Longest first, so "in progress" wins over "in" and "won't fix" over "won't".
STATUS_PHRASE = "|".join(
    re.escape(w).replace("'", "['’]").replace("\\ ", r"[\s_-]+")
    for w in sorted(_STATUS_WORDS, key=len, reverse=True)
)
_LEADING_STATUS = re.compile(rf"(?P<word>{STATUS_PHRASE})(?![\w'’-])(?P<rest>.*)", re.IGNORECASE | re.DOTALL)

STATUS_TEXT = {
    ItemStatus.OPEN: "Open",
    ItemStatus.IN_PROGRESS: "In progress",
    ItemStatus.DONE: "Done",
    ItemStatus.DROPPED: "Won't do",
}

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y")
_EMPHASIS = re.compile(r"^(\*\*|__|\*|_|~~|`)(.+)\1$")
_LINK = re.compile(r"^\[(?P<text>(?:\\.|[^\]\\])*)\](?:\((?P<url>[^)]*)\)|\[(?P<ref>[^\]]*)\])$")
_AUTOLINK = re.compile(r"^<(?P<url>[a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]*)>$")
_INLINE_SYNTAX = re.compile(r"[\\`*_\[\]<&~]")
"""Characters an inline rule can start at (escapes, code, emphasis, links, HTML, entities,
strikethrough); text without any of them is its own plain text."""


def has_inline_syntax(text: str) -> bool:
    return _INLINE_SYNTAX.search(text) is not None


@lru_cache(maxsize=1)
def inline_parser() -> MarkdownIt:
    """The inline Markdown parser, built on first use."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def strip_emphasis(text: str) -> str:
    """`**x**`, `_x_`, `` `x` ``, `~~x~~` (nested too) → `x`; `**a** and **b**` stays as is."""
    value = text.strip()
    while True:
        m = _EMPHASIS.match(value)
        if not m or m.group(1) in m.group(2):
            return value
        value = m.group(2).strip()


def is_unset(text: str) -> bool:
    return strip_emphasis(text).strip().casefold() in UNSET


SEVERITY_WORDS = ("critical", "major", "high", "medium", "moderate", "minor", "low")
_SEVERITY_LEVEL = re.compile(r"(?i)(?:sev(?:erity)?|s)[\s_-]?([0-5])")


def severity_name(text: str) -> str | None:
    """A severity as teams write it: `SEV2` (also `sev-2`, `Sev 2`, `S2`, giving `SEV2`) or a
    word such as `Major` (kept as written); None for anything else."""
    value = strip_emphasis(text.strip())
    level = _SEVERITY_LEVEL.fullmatch(value)
    if level:
        return f"SEV{level.group(1)}"
    return value if value.casefold() in SEVERITY_WORDS else None


def parse_priority(text: str) -> Priority | None:
    value = strip_emphasis(text)
    if is_unset(value):
        return None
    key = value.casefold()
    if re.fullmatch(r"p[0-4]", key):
        return Priority(key.upper())
    if key in _PRIORITY_WORDS:
        return _PRIORITY_WORDS[key]
    raise ValueError(f"priority {value!r} is not one of P0–P4 (or Critical, High, Medium, Low)")


def parse_due(text: str) -> dt.date | None:
    value = strip_emphasis(text)
    if is_unset(value):
        return None
    cleaned = " ".join(value.split())
    if _ISO_DATE.fullmatch(cleaned):
        try:
            return dt.date.fromisoformat(cleaned)
        except ValueError:
            pass  # e.g. 2024-02-30: the formats below refuse it too, with the message
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    raise ValueError(
        f"due date {value!r} is not a date pm-sync reads; write it as YYYY-MM-DD (e.g. 2024-01-22)"
    )


def status_word(text: str) -> ItemStatus | None:
    """The status a whole value names (`Done`, `✅ Done`, `**WIP**`), or None."""
    value = strip_emphasis(text).replace("’", "'")
    marks = "".join(ch for ch in value if ch in _STATUS_EMOJI)
    key = re.sub(r"[^\w' -]", "", value.replace("_", " ")).strip().casefold()
    key = " ".join(key.split())
    if key in _STATUS_WORDS:
        return _STATUS_WORDS[key]
    if not key and marks:
        return _STATUS_EMOJI[marks[0]]
    return None


def parse_status(text: str) -> ItemStatus | None:
    """A status word, alone or leading a remark: `Done (merged 2024-04-28)`, `✅ Complete (PR #1098)`,
    `In progress — blocked on vendor`. A question (`Done?`) is not a status."""
    value = strip_emphasis(text)
    if is_unset(value):
        return None
    found = status_word(value) or _leading_status(value)
    if found is not None:
        return found
    raise ValueError(f"status {value!r} is not recognized; use Open, In progress, Done or Won't do")


def _leading_status(value: str) -> ItemStatus | None:
    lead = re.match(r"[\s*_~`]*", value)
    start = lead.end() if lead else 0
    marks = ""
    while start < len(value) and (value[start] in _STATUS_EMOJI or not value[start].isalnum()):
        if value[start] in "\"'[(":
            break
        marks += value[start]
        start += 1
    m = _LEADING_STATUS.match(value, start)
    if m is None:
        found = [ch for ch in marks if ch in _STATUS_EMOJI]
        return _STATUS_EMOJI[found[0]] if found and value[start:].strip()[:1] in ("(", "") else None
    rest = m.group("rest").lstrip(" *_~`")
    if rest.startswith("?"):
        return None
    return _STATUS_WORDS[" ".join(m.group("word").casefold().replace("’", "'").replace("_", " ").split())]


def parse_ticket(text: str) -> str | None:
    value = strip_emphasis(text)
    if is_unset(value):
        return None
    m = _LINK.match(value)
    if m:
        inner = strip_emphasis(m.group("text").replace("\\", ""))
        if inner and is_unset(inner):
            return None  # `[TBD](...)`: a placeholder, whatever it links to
        return inner or (m.group("url") or "").strip() or None
    m = _AUTOLINK.match(value)
    if m:
        return m.group("url")
    return value


def parse_owner(text: str) -> str | None:
    """`@alice`, or the link text of `[@alice](https://github.com/alice)`."""
    value = strip_emphasis(text)
    m = _LINK.match(value)
    if m:
        value = strip_emphasis(m.group("text").replace("\\", ""))
    return parse_plain(value)


def parse_plain(text: str) -> str | None:
    value = text.strip()
    return None if is_unset(value) else value


@lru_cache(maxsize=8192)
def plain_text(markdown: str) -> str:
    """Markdown inline source to the plain text a tracker title should show.

    Cells, headings and actions repeat across a run, and most hold no inline syntax at all,
    so the Markdown parser runs only for text that may have some, once per distinct text."""
    if not has_inline_syntax(markdown):
        return " ".join(markdown.split())
    tokens = inline_parser().parseInline(markdown)
    parts: list[str] = []
    for tok in tokens:
        for child in tok.children or []:
            if child.type in ("text", "code_inline"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak") or (
                child.type == "html_inline" and child.content.lower().startswith("<br")
            ):
                parts.append(" ")
    return " ".join("".join(parts).split())


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"
