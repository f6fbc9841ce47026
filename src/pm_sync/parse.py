"""File → `Postmortem`: metadata, action-items tables and located problems.

markdown-it decides what is a heading, a table, a code block or HTML, so decoy tables in
fences and `<details>` never count; our own row splitter only adds cell positions.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from pm_sync.metadata import Metadata, from_bold_line, from_front_matter, strip_title_prefix
from pm_sync.models import ActionItem, Postmortem, Problem, TableLayout, item_uid
from pm_sync.rows import split_row
from pm_sync.source import Source
from pm_sync.values import (
    parse_due,
    parse_priority,
    parse_status,
    parse_plain,
    parse_ticket,
    strip_emphasis,
)

ACTION_HEADINGS = {
    "action items", "action item", "action items & follow-ups", "action items and follow-ups",
    "action items & follow ups", "follow-ups", "follow ups", "followups", "follow-up actions",
    "follow up actions", "corrective actions", "corrective and preventative measures",
    "corrective and preventative actions", "corrective and preventive measures",
    "corrective and preventive actions", "remediation", "remediation items", "next steps",
}

COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "priority": ("priority", "pri", "p", "prio"),
    "action": ("action", "action item", "action items", "action item description", "item",
               "task", "description", "follow-up", "follow up", "followup"),
    "owner": ("owner", "owners", "assignee", "who", "dri", "responsible"),
    "due": ("due", "due date", "deadline", "target date", "eta"),
    "ticket": ("ticket", "issue", "jira", "bug", "bug #", "tracking bug", "tracker", "tracking",
               "link", "ticket #", "issue #"),
    "status": ("status", "state"),
}
_HEADER_TO_FIELD = {name: f for f, names in COLUMN_SYNONYMS.items() for name in names}

_md = (
    MarkdownIt("commonmark", {"html": True})
    .enable(["table", "strikethrough"])
    .use(front_matter_plugin)
)


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
    value = text.strip().casefold().replace("’", "'")
    value = re.sub(r"^(?:\d+[.)]?)+(?:\d+)?\s*", "", value)
    value = re.sub(r"^[ivx]+[.)]\s+", "", value)
    value = re.sub(r"\([^)]*\)", " ", value)
    value = re.sub(r"\[[^\]]*\]", " ", value)
    value = " ".join(value.split()).rstrip(":").strip()
    return " ".join(value.replace(" & ", " & ").split())


def is_action_heading(text: str) -> bool:
    norm = normalize_heading(text)
    return norm in ACTION_HEADINGS or norm.replace("&", "and") in ACTION_HEADINGS


def header_field(text: str) -> str | None:
    key = " ".join(strip_emphasis(text).casefold().rstrip(":").split())
    return _HEADER_TO_FIELD.get(key)


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
    section_level: int | None = None
    for i, tok in enumerate(tokens):
        if tok.type == "front_matter" and tok.map:
            from_front_matter(tok.content, tok.map[0] + 1, meta)
        elif tok.type in ("html_block", "html_inline") or (tok.type == "inline" and tok.children):
            details_depth = max(0, details_depth + _details_delta(tok))
        if tok.type == "heading_open" and tok.map:
            level = int(tok.tag[1])
            text = inline_plain(tokens[i + 1])
            line = tok.map[0] + 1
            pm.headings.append((line, level, text))
            if level == 1 and h1 is None:
                h1 = text
            if level >= 2 and first_h2_line is None:
                first_h2_line = line
            if section_level is not None and level <= section_level:
                section_level = None
            if section_level is None and details_depth == 0 and is_action_heading(text):
                section_level = level
        elif tok.type == "paragraph_open" and tok.map and tok.level == 0:
            if first_h2_line is None:
                _bold_metadata(tokens[i + 1], tok.map[0], src, meta)
        elif tok.type == "table_open" and tok.map and section_level is not None:
            if details_depth == 0 and tok.level == 0:
                _read_table(tokens, i, src, pm)
    pm.title = meta.title or (strip_title_prefix(h1) if h1 else None)
    pm.quick = bool(h1 and re.match(r"\s*quick\s+post", h1, re.IGNORECASE))
    for key in ("date", "severity", "duration", "status", "tracker", "project"):
        setattr(pm, key, getattr(meta, key))
    pm.authors = meta.authors
    pm.metadata_lines = meta.lines
    pm.doc_id = meta.doc_id or Path(src.path).name
    pm.problems = sorted(meta.problems + pm.problems, key=lambda p: p.line or 0)
    _assign_uids(pm)
    return pm


def _details_delta(tok: Token) -> int:
    content = tok.content if tok.type != "inline" else "".join(
        c.content for c in tok.children or [] if c.type == "html_inline"
    )
    lowered = content.lower()
    return len(re.findall(r"<details\b", lowered)) - len(re.findall(r"</details\s*>", lowered))


def _bold_metadata(inline: Token, first_line: int, src: Source, meta: Metadata) -> None:
    for offset, raw in enumerate(inline.content.split("\n")):
        from_bold_line(raw, first_line + offset + 1, meta)


def _cell_tokens(tokens: Sequence[Token], start: int, kind: str) -> list[tuple[int, list[str]]]:
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
    return rows if kind == "all" else rows


def _read_table(tokens: Sequence[Token], index: int, src: Source, pm: Postmortem) -> None:
    rows = _cell_tokens(tokens, index, "all")
    if not rows:
        return
    header_line, header = rows[0]
    columns: dict[str, int] = {}
    for col, text in enumerate(header):
        name = header_field(text)
        if name and name not in columns:
            columns[name] = col
    if "action" not in columns:
        if columns:
            pm.problems.append(Problem(
                line=header_line + 1,
                message="action-items table has no Action column; name one column 'Action'",
            ))
        return
    table_index = len(pm.tables)
    body = rows[1:]
    pm.tables.append(TableLayout(
        header_line=header_line + 1,
        delimiter_line=header_line + 2,
        row_lines=tuple(line + 1 for line, _ in body),
        columns=columns,
        width=len(header),
    ))
    for line, cells in body:
        if len(split_row(src.line(line)).cells) == 0 or all(not c.strip() for c in cells):
            continue
        _read_row(cells, columns, line + 1, table_index, pm)


_PARSERS: dict[str, Callable[[str], object]] = {
    "priority": parse_priority,
    "due": parse_due,
    "status": parse_status,
    "ticket": parse_ticket,
    "owner": lambda s: parse_plain(strip_emphasis(s)),
    "action": parse_plain,
}


def _read_row(
    cells: list[str], columns: dict[str, int], line: int, table: int, pm: Postmortem
) -> None:
    values: dict[str, object] = {}
    for name, col in columns.items():
        raw = cells[col] if col < len(cells) else ""
        try:
            values[name] = _PARSERS[name](raw)
        except ValueError as exc:
            pm.problems.append(Problem(line=line, message=str(exc)))
    if not values.get("action"):
        pm.problems.append(Problem(line=line, message="action item has no Action text"))
    pm.action_items.append(ActionItem(line=line, table=table, **values))  # type: ignore[arg-type]


def _assign_uids(pm: Postmortem) -> None:
    seen: Counter[str] = Counter()
    for item in pm.action_items:
        norm = " ".join((item.action or "").split()).casefold()
        item.uid = item_uid(pm.doc_id, norm, seen[norm])
        seen[norm] += 1
