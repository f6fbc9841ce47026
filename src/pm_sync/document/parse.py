"""File → `Postmortem`: metadata, action items (tables, else lists) and located problems.

markdown-it decides what is a heading, a table, a list, a code block or HTML, so decoys in
fences and `<details>` never count; our own row splitter only adds cell positions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from pm_sync.diagnostics import warning
from pm_sync.document.dates import find_date, keyed_line_date, prose_date, table_date
from pm_sync.document.headings import (
    ACTION_HEADINGS,
    heading_priority,
    heading_status,
    is_action_heading,
    is_other_section,
    normalize_heading,
)
from pm_sync.document.lists import ListBlock, read_list
from pm_sync.document.metadata import (
    Metadata,
    from_bold_line,
    from_front_matter,
    is_metadata_table,
    strip_title_prefix,
)
from pm_sync.document.model import ActionItem, ItemStatus, Postmortem, Priority, item_uid
from pm_sync.document.source import Source
from pm_sync.document.tables import (
    COLUMN_SYNONYMS,
    columns_of,
    header_field,
    header_of,
    parse_cells,
    read_table,
    table_rows,
    table_without_delimiter,
)
from pm_sync.document.values import has_inline_syntax

__all__ = [
    "ACTION_HEADINGS",
    "COLUMN_SYNONYMS",
    "header_field",
    "inline_plain",
    "is_action_heading",
    "normalize_heading",
    "parse_file",
    "parse_source",
    "parse_text",
    "read_document",
]

_md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).use(front_matter_plugin)
_md.disable("inline")  # inline content is parsed only where it is read (`inline_children`)
_LIST_OPEN = ("bullet_list_open", "ordered_list_open")
_LIST_CLOSE = ("bullet_list_close", "ordered_list_close")
PSEUDO_LEVEL = 7  # a bold label such as `**Corrective and Preventative Measures:**` opens a section
# that any heading ends


def inline_children(token: Token, env: dict[str, Any] | None = None) -> list[Token]:
    """An inline token's children, parsed on first use: the block pass leaves inline content
    raw, since most of a postmortem's prose is never looked at token by token."""
    if not token.meta.get("pm_sync_inline"):
        children: list[Token] = []
        _md.inline.parse(token.content, _md, env if env is not None else {}, children)
        token.children = children
        token.meta["pm_sync_inline"] = True
    return token.children or []


def inline_plain(token: Token | None, env: dict[str, Any] | None = None) -> str:
    """Visible text of an inline token: emphasis and link syntax dropped."""
    if token is None:
        return ""
    if not has_inline_syntax(token.content):
        return " ".join(token.content.split())
    parts: list[str] = []
    for child in inline_children(token, env):
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).split())


def parse_file(path: Path | str) -> Postmortem:
    return parse_source(Source.read(path))


def parse_text(text: str, path: str = "<text>") -> Postmortem:
    return parse_source(Source.from_bytes(text.encode("utf-8"), path))


def parse_source(src: Source) -> Postmortem:
    return read_document(src).pm


@dataclass
class Document:
    """A parse plus the list blocks its list-style items came from (what `migrate` rewrites)."""

    pm: Postmortem
    lists: list[ListBlock] = field(default_factory=list)


@dataclass
class _Walk:
    """Where the walk over the token stream is."""

    meta: Metadata = field(default_factory=Metadata)
    h1: str | None = None
    first_h2_line: int | None = None
    details_depth: int = 0
    in_table: bool = False
    quote_depth: int = 0
    list_depth: int = 0
    section_level: int | None = None
    seen_action_section: bool = False
    groups: list[tuple[int, ItemStatus | None, Priority | None]] = field(default_factory=list)
    lists: list[ListBlock] = field(default_factory=list)
    loose_tables: list[int] = field(default_factory=list)  # token indexes of tables outside sections
    table_date: tuple[int, dt.date] | None = None  # (1-based line, date) from a metadata table
    meta_end: int = 0  # last line of a key/value metadata table
    skip_for_date: set[int] = field(default_factory=set)
    env: dict[str, Any] = field(default_factory=dict)  # link reference definitions


def read_document(src: Source) -> Document:
    w = _Walk()
    tokens = _md.parse(src.parser_text(), w.env)
    pm = Postmortem(path=src.path)
    for i, tok in enumerate(tokens):
        _track_depths(w, tok)
        if tok.type == "inline" and w.section_level is not None:
            w.skip_for_date.add(i)  # due dates are not the incident's date
        if tok.type == "front_matter" and tok.map:
            from_front_matter(tok.content, tok.map[0] + 1, w.meta)
        elif tok.type == "heading_open" and tok.map:
            _heading(w, tokens, i, pm)
        elif tok.type == "paragraph_open" and tok.map and w.details_depth == 0:
            _paragraph(w, tokens, i, pm)
        elif tok.type == "hr" and w.section_level == PSEUDO_LEVEL:
            w.section_level = None
        elif tok.type == "table_open" and tok.map and w.details_depth == 0 and w.quote_depth == 0:
            _table(w, tokens, i, src, pm)
        elif tok.type == "table_open" and tok.map and w.details_depth == 0 and w.section_level is not None:
            pm.warnings.append(
                warning(
                    "quoted-table",
                    "this table is inside a quote (`>`) under an action-items heading, so "
                    "its rows are not read as action items; take it out of the quote to sync them",
                    line=tok.map[0] + 1,
                )
            )
        if tok.type in _LIST_OPEN:
            if w.list_depth == 0 and _in_section(w):
                status, priority = _group_context(w, tokens, i)
                w.lists.append(read_list(tokens, i, src, status, priority))
            w.list_depth += 1
        elif tok.type in _LIST_CLOSE:
            w.list_depth -= 1
    if not w.seen_action_section:
        _fallback_table(w, tokens, src, pm)
    lists = _list_items(w, pm)
    _metadata(w, tokens, pm, src)
    _assign_uids(pm)
    return Document(pm=pm, lists=lists)


def _track_depths(w: _Walk, tok: Token) -> None:
    if tok.type in ("blockquote_open", "blockquote_close"):
        w.quote_depth += 1 if tok.type == "blockquote_open" else -1
    if tok.type in ("table_open", "table_close"):
        w.in_table = tok.type == "table_open"
    elif tok.type == "html_block" or (tok.type == "inline" and not w.in_table):
        # `<details>` as its own HTML block, or inline in a paragraph such as
        # `<details><summary>More</summary>`; a blank line inside ends the HTML block,
        # so the depth is carried across the Markdown between opening and closing tag.
        w.details_depth = max(0, w.details_depth + _details_delta(tok, w.env))


def _in_section(w: _Walk) -> bool:
    return w.section_level is not None and w.details_depth == 0 and w.quote_depth == 0


def _heading(w: _Walk, tokens: Sequence[Token], i: int, pm: Postmortem) -> None:
    tok = tokens[i]
    level = int(tok.tag[1])
    text = inline_plain(tokens[i + 1], w.env)
    line = (tok.map or [0])[0] + 1
    pm.headings.append((line, level, text))
    if level == 1 and w.h1 is None and w.details_depth == 0:
        w.h1 = text
    if level >= 2 and w.first_h2_line is None:
        w.first_h2_line = line
    if w.details_depth:
        return  # collapsed content neither starts nor ends a section
    if w.section_level is not None and level <= w.section_level:
        w.section_level = None
    if w.section_level is None and (is_action_heading(text) or is_action_heading(tokens[i + 1].content)):
        w.section_level, w.seen_action_section, w.groups = level, True, []
    elif w.section_level is not None:
        w.groups = [g for g in w.groups if g[0] < level]
        w.groups.append((level, heading_status(text), heading_priority(text)))


def _paragraph(w: _Walk, tokens: Sequence[Token], i: int, pm: Postmortem) -> None:
    tok, inline = tokens[i], tokens[i + 1]
    if w.section_level is not None and tok.level == 0 and not w.quote_depth and tok.map:
        broken = table_without_delimiter(inline.content, tok.map[0] + 1)
        if broken is not None:
            pm.problems.append(broken)
            return
    if w.first_h2_line is None:
        for offset, raw in enumerate(inline.content.split("\n")):
            from_bold_line(raw, (tok.map or [0])[0] + offset + 1, w.meta)
    if tok.level != 0 or w.quote_depth or "\n" in inline.content.strip():
        return
    label = inline.content.strip()
    if w.section_level is None and is_action_heading(label):
        w.section_level, w.seen_action_section, w.groups = PSEUDO_LEVEL, True, []
    elif w.section_level == PSEUDO_LEVEL and _is_label(label) and is_other_section(label):
        w.section_level = None


def _is_label(text: str) -> bool:
    return bool(re.fullmatch(r"(?:\*\*|__)[^*_]+(?:\*\*|__):?|[^.!?]{1,60}:?", text))


def _group_context(w: _Walk, tokens: Sequence[Token], i: int) -> tuple[ItemStatus | None, Priority | None]:
    """Status/priority a list inherits from its subheadings or a label line right above it."""
    status = next((s for _, s, _ in reversed(w.groups) if s is not None), None)
    priority = next((p for _, _, p in reversed(w.groups) if p is not None), None)
    if i >= 2 and tokens[i - 1].type == "paragraph_close" and tokens[i - 2].type == "inline":
        label = tokens[i - 2].content.strip().split("\n")[-1]
        if _is_label(label):
            status = heading_status(label) or status
            priority = heading_priority(label) or priority
    return status, priority


def _table(w: _Walk, tokens: Sequence[Token], i: int, src: Source, pm: Postmortem) -> None:
    if w.section_level is not None:
        read_table(tokens, i, src, pm)
        return
    rows = table_rows(tokens, i)
    found = table_date(rows)
    if found is not None and w.table_date is None:
        w.table_date = (found[0] + 1, found[1])
    if rows and is_metadata_table(rows):
        w.meta_end = max(w.meta_end, rows[-1][0] + 1)
    else:
        w.loose_tables.append(i)


def _fallback_table(w: _Walk, tokens: Sequence[Token], src: Source, pm: Postmortem) -> None:
    """No action section at all: the first table after the metadata, when it has an action-like
    column and at least one other item column and no other section's heading stands between."""
    meta_end = max([*w.meta.lines.values(), *([w.table_date[0]] if w.table_date else []), w.meta_end])
    if not meta_end:
        return
    for i in w.loose_tables:
        start = (tokens[i].map or [0])[0] + 1
        if start <= meta_end:
            continue
        if any(meta_end < line < start and is_other_section(text) for line, _, text in pm.headings):
            return
        rows = table_rows(tokens, i)
        columns = columns_of(rows[header_of(rows)[0]][1]) if rows else {}
        if "action" in columns and len(columns) > 1:
            read_table(tokens, i, src, pm, quiet=True)
        return


def _list_items(w: _Walk, pm: Postmortem) -> list[ListBlock]:
    """List items count only when the document has no action-items table."""
    if pm.tables or not w.lists:
        return []
    for block in w.lists:
        for entry in block.entries:
            values = parse_cells(entry.cells, entry.line, pm.problems)
            pm.action_items.append(
                ActionItem(line=entry.line, table=-1, source="list", **values)  # type: ignore[arg-type]
            )
    return [b for b in w.lists if b.entries]


def _metadata(w: _Walk, tokens: Sequence[Token], pm: Postmortem, src: Source) -> None:
    meta = w.meta
    if meta.date is None and "date" not in meta.lines:
        found = _keyed_date(tokens, w)
        if found is not None:
            meta.date, meta.lines["date"] = found[1], found[0]
    pm.title = meta.title or (strip_title_prefix(w.h1) or None if w.h1 else None)
    pm.quick = bool(w.h1 and re.match(r"\s*quick\s+post", w.h1, re.IGNORECASE))
    for key in ("date", "severity", "duration", "status", "tracker", "project"):
        setattr(pm, key, getattr(meta, key))
    if pm.date is None and "date" not in meta.lines:
        title_date = find_date(w.h1 or meta.title or "")
        inferred = prose_date(tokens, w.skip_for_date)
        pm.date = title_date or (inferred[1] if inferred else None)
    pm.authors = meta.authors
    pm.metadata_lines = meta.lines
    pm.doc_id = meta.doc_id or ""
    pm.problems = sorted((p.at(pm.path) for p in meta.problems + pm.problems), key=lambda p: p.line or 0)
    pm.warnings = [w.at(pm.path) for w in pm.warnings]


def _keyed_date(tokens: Sequence[Token], w: _Walk) -> tuple[int, dt.date] | None:
    """`Date: ...` lines, a `## Date` section or a metadata table, whichever comes first."""
    found: list[tuple[int, dt.date]] = [w.table_date] if w.table_date else []
    for i, tok in enumerate(tokens):
        if tok.type != "inline" or not tok.map or i in w.skip_for_date:
            continue
        if tokens[i - 1].type == "heading_open" and normalize_heading(tok.content) in (
            "date",
            "incident date",
        ):
            nxt = next((t for t in tokens[i + 1 :] if t.type == "inline"), None)
            day = find_date(nxt.content) if nxt is not None and nxt.map else None
            if day is not None and nxt is not None and nxt.map:
                found.append((nxt.map[0] + 1, day))
                break
        if tokens[i - 1].type in ("paragraph_open", "th_open", "td_open"):
            day = keyed_line_date(tok.content)
            if day is not None:
                line = tok.map[0] + next(
                    (n for n, raw in enumerate(tok.content.split("\n")) if keyed_line_date(raw)), 0
                )
                found.append((line + 1, day))
                break
    return min(found, key=lambda f: f[0]) if found else None


def _details_delta(tok: Token, env: dict[str, Any]) -> int:
    if "details" not in tok.content.lower():
        return 0
    if tok.type == "inline":
        content = "".join(c.content for c in inline_children(tok, env) if c.type == "html_inline")
    else:
        content = tok.content
    lowered = content.lower()
    return len(re.findall(r"<details\b", lowered)) - len(re.findall(r"</details\s*>", lowered))


def _assign_uids(pm: Postmortem) -> None:
    seen: Counter[str] = Counter()
    for item in pm.action_items:
        norm = " ".join((item.action or "").split()).casefold()
        item.uid = item_uid(norm, seen[norm])
        item.occurrence = seen[norm]
        seen[norm] += 1
