"""File → `Postmortem`: metadata, action-items tables and located problems.

markdown-it decides what is a heading, a table, a code block or HTML, so decoy tables in
fences and `<details>` never count; our own row splitter only adds cell positions.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from pm_sync.document.metadata import Metadata, from_bold_line, from_front_matter, strip_title_prefix
from pm_sync.document.model import ActionItem, Postmortem, Problem, TableLayout, item_uid
from pm_sync.document.rows import split_row
from pm_sync.document.source import Source
from pm_sync.document.values import (
    is_unset,
    parse_due,
    parse_owner,
    parse_plain,
    parse_priority,
    parse_status,
    parse_ticket,
    plain_text,
    strip_emphasis,
)

# Canonical forms after `_canonical_heading`: `&`, `+`, `/` → "and", follow-up spellings → "followups".
ACTION_HEADINGS = {
    "action items",
    "action item",
    "action items and followups",
    "action item and followups",
    "followups",
    "followup actions",
    "corrective actions",
    "corrective and preventative measures",
    "corrective and preventative actions",
    "corrective and preventive measures",
    "corrective and preventive actions",
    "remediation",
    "remediation items",
    "next steps",
}

COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "priority": ("priority", "pri", "p", "prio"),
    "action": (
        "action",
        "action item",
        "action items",
        "action item description",
        "item",
        "task",
        "description",
        "follow-up",
        "follow up",
        "followup",
    ),
    "owner": ("owner", "owners", "owner(s)", "assignee", "who", "dri", "responsible"),
    "due": ("due", "due date", "deadline", "target date", "eta", "due by"),
    "ticket": (
        "ticket",
        "issue",
        "jira",
        "bug",
        "bug #",
        "tracking bug",
        "tracker",
        "tracking",
        "link",
        "ticket #",
        "issue #",
    ),
    "status": ("status", "state"),
}
_HEADER_TO_FIELD = {name: f for f, names in COLUMN_SYNONYMS.items() for name in names}
_HEADER_RANK = {name: rank for names in COLUMN_SYNONYMS.values() for rank, name in enumerate(names)}

_NUMBERING = re.compile(r"^(?:(?:\d+[.)]?)+\s+|\d+(?:\.\d+)*[.)]\s*|[ivxlc]+[.)]\s+|[a-z][.)]\s+)")
_PAREN = re.compile(r"\s*\([^()]*\)")
_FOLLOWUP = re.compile(r"\bfollow[\s-]?ups?\b")

_md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).use(front_matter_plugin)


def inline_plain(token: Token | None) -> str:
    """Visible text of an inline token: emphasis and link syntax dropped."""
    if token is None:
        return ""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).split())


def normalize_heading(text: str) -> str:
    """Heading text (Markdown or plain) reduced to the form `ACTION_HEADINGS` is written in.

    Drops emphasis and link syntax, leading numbering (`5.`, `2.1`, `IV.`), parenthetical
    remarks, a trailing colon, decorations such as emoji, and case.
    """
    value = plain_text(text).casefold().replace("’", "'")
    value = _strip_symbols(value)
    value = _NUMBERING.sub("", value)
    value = _PAREN.sub(" ", value)
    value = _strip_symbols(value.rstrip().rstrip(":"))
    return " ".join(value.split())


def _strip_symbols(text: str) -> str:
    """Drop emoji, dashes and other decoration around a heading (`✅ Action items`)."""

    def deco(ch: str) -> bool:
        return ch.isspace() or unicodedata.category(ch)[0] == "S" or ch in "-–—*_#~"

    start, end = 0, len(text)
    while start < end and deco(text[start]):
        start += 1
    while end > start and deco(text[end - 1]):
        end -= 1
    return text[start:end]


def _canonical_heading(norm: str) -> str:
    value = re.sub(r"\s*(?:&|\+|/)\s*", " and ", norm)
    value = _FOLLOWUP.sub(lambda m: "followups" if m.group(0).endswith("s") else "followup", value)
    return " ".join(value.split())


def is_action_heading(text: str) -> bool:
    return _canonical_heading(normalize_heading(text)) in ACTION_HEADINGS


def header_field(text: str) -> str | None:
    key = _header_key(text)
    return _HEADER_TO_FIELD.get(key) or _HEADER_TO_FIELD.get(_PAREN.sub("", key).strip())


def _header_key(text: str) -> str:
    return " ".join(plain_text(strip_emphasis(text)).casefold().rstrip(":").split())


def _columns(header: Sequence[str]) -> dict[str, int]:
    """Field → column index; when two columns name one field, the plainer synonym wins."""
    best: dict[str, tuple[int, int]] = {}
    for col, text in enumerate(header):
        name = header_field(text)
        if name is None:
            continue
        key = _header_key(text)
        rank = _HEADER_RANK.get(key, _HEADER_RANK.get(_PAREN.sub("", key).strip(), 99))
        if name not in best or rank < best[name][0]:
            best[name] = (rank, col)
    return {name: col for name, (_, col) in sorted(best.items(), key=lambda kv: kv[1][1])}


def parse_file(path: Path | str) -> Postmortem:
    return parse_source(Source.read(path))


def parse_text(text: str, path: str = "<text>") -> Postmortem:
    return parse_source(Source.from_bytes(text.encode("utf-8"), path))


def parse_source(src: Source) -> Postmortem:
    tokens = _md.parse(src.parser_text())
    meta = Metadata()
    pm = Postmortem(path=src.path)
    h1: str | None = None
    first_h2_line: int | None = None
    details_depth = 0
    in_table = False
    quote_depth = 0
    section_level: int | None = None
    for i, tok in enumerate(tokens):
        if tok.type in ("blockquote_open", "blockquote_close"):
            quote_depth += 1 if tok.type == "blockquote_open" else -1
        if tok.type == "front_matter" and tok.map:
            from_front_matter(tok.content, tok.map[0] + 1, meta)
        elif tok.type in ("table_open", "table_close"):
            in_table = tok.type == "table_open"
        elif tok.type == "html_block" or (tok.type == "inline" and not in_table):
            # `<details>` as its own HTML block, or inline in a paragraph such as
            # `<details><summary>More</summary>`; a blank line inside ends the HTML block,
            # so the depth is carried across the Markdown between opening and closing tag.
            details_depth = max(0, details_depth + _details_delta(tok))
        if tok.type == "heading_open" and tok.map:
            level = int(tok.tag[1])
            text = inline_plain(tokens[i + 1])
            line = tok.map[0] + 1
            pm.headings.append((line, level, text))
            if level == 1 and h1 is None and details_depth == 0:
                h1 = text
            if level >= 2 and first_h2_line is None:
                first_h2_line = line
            if details_depth:
                continue  # collapsed content neither starts nor ends a section
            if section_level is not None and level <= section_level:
                section_level = None
            if section_level is None and (
                is_action_heading(text) or is_action_heading(tokens[i + 1].content)
            ):
                section_level = level
        elif tok.type == "paragraph_open" and tok.map and details_depth == 0:
            if first_h2_line is None:
                _bold_metadata(tokens[i + 1], tok.map[0], meta)
        elif (
            tok.type == "table_open"
            and tok.map
            and section_level is not None
            and details_depth == 0
            and quote_depth == 0  # a list item's table counts too
        ):
            _read_table(tokens, i, src, pm)
    pm.title = meta.title or (strip_title_prefix(h1) or None if h1 else None)
    pm.quick = bool(h1 and re.match(r"\s*quick\s+post", h1, re.IGNORECASE))
    for key in ("date", "severity", "duration", "status", "tracker", "project"):
        setattr(pm, key, getattr(meta, key))
    pm.authors = meta.authors
    pm.metadata_lines = meta.lines
    pm.doc_id = meta.doc_id or ""
    pm.problems = sorted(meta.problems + pm.problems, key=lambda p: p.line or 0)
    _assign_uids(pm)
    return pm


def _details_delta(tok: Token) -> int:
    if tok.type == "inline":
        content = "".join(c.content for c in tok.children or [] if c.type == "html_inline")
    else:
        content = tok.content
    lowered = content.lower()
    return len(re.findall(r"<details\b", lowered)) - len(re.findall(r"</details\s*>", lowered))


def _bold_metadata(inline: Token, first_line: int, meta: Metadata) -> None:
    for offset, raw in enumerate(inline.content.split("\n")):
        from_bold_line(raw, first_line + offset + 1, meta)


def _table_rows(tokens: Sequence[Token], start: int) -> list[tuple[int, list[str]]]:
    """(0-based line, cell contents) of each row; GFM pads short rows and drops extra cells."""
    rows: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    line = 0
    for tok in tokens[start:]:
        if tok.type == "table_close":
            break
        if tok.type == "tr_open" and tok.map:
            current, line = [], tok.map[0]
        elif tok.type == "inline" and current is not None:
            current.append(tok.content)
        elif tok.type == "tr_close" and current is not None:
            rows.append((line, current))
            current = None
    return rows


def _read_table(tokens: Sequence[Token], index: int, src: Source, pm: Postmortem) -> None:
    rows = _table_rows(tokens, index)
    if not rows:
        return
    header_line, header = rows[0]
    columns = _columns(header)
    if "action" not in columns:
        if columns:
            pm.problems.append(
                Problem(
                    line=header_line + 1,
                    message="action-items table has no Action column; name one column 'Action'",
                )
            )
        return
    table_index = len(pm.tables)
    body = rows[1:]
    pm.tables.append(
        TableLayout(
            header_line=header_line + 1,
            delimiter_line=header_line + 2,
            row_lines=tuple(line + 1 for line, _ in body),
            columns=columns,
            width=len(header),
            overfull_lines=tuple(
                line + 1 for line, _ in body if len(split_row(src.line(line)).cells) > len(header)
            ),
        )
    )
    for line, cells in body:
        known = [cells[col] if col < len(cells) else "" for col in columns.values()]
        if not split_row(src.line(line)).cells or all(is_unset(c) for c in known):
            continue  # an empty or placeholder-only row (`| | | |`, `| - | - | - |`)
        _read_row(cells, columns, line + 1, table_index, pm)


_PARSERS: dict[str, Callable[[str], object]] = {
    "priority": parse_priority,
    "due": parse_due,
    "status": parse_status,
    "ticket": parse_ticket,
    "owner": parse_owner,
    "action": parse_plain,
}


def _read_row(cells: list[str], columns: dict[str, int], line: int, table: int, pm: Postmortem) -> None:
    values: dict[str, object] = {}
    for name, col in columns.items():
        raw = cells[col] if col < len(cells) else ""
        try:
            values[name] = _PARSERS[name](raw)
        except ValueError as exc:
            pm.problems.append(Problem(line=line, message=str(exc)))
    if not values.get("action"):
        pm.problems.append(
            Problem(
                line=line,
                message="action item has no Action text; describe the action or delete the row",
            )
        )
        return
    pm.action_items.append(ActionItem(line=line, table=table, **values))  # type: ignore[arg-type]


def _assign_uids(pm: Postmortem) -> None:
    seen: Counter[str] = Counter()
    for item in pm.action_items:
        norm = " ".join((item.action or "").split()).casefold()
        item.uid = item_uid(norm, seen[norm])
        item.occurrence = seen[norm]
        seen[norm] += 1
