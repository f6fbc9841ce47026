"""Values from a tracker made safe for one cell of a GFM table.

A tracker is not trusted to send table-shaped text: a title may hold `\\n\\n## Injected`, a
display name `<img onerror=…>`, a key a pipe. `safe_cell` turns any string into one line of
cell content that reads back as itself, and says what it had to change so the caller can warn
or refuse. `cell_source` is the last step, done by write-back: the bytes that go between the
pipes, escaped as `rows.split_row` and markdown-it split rows, and guarded where the cell
starts the line.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pm_sync.document.rows import escape_pipes

EMPTY_AT_ROW_EDGE = "—"

# Line and paragraph separators Python, CommonMark or an editor may break a line at.
_LINE_BREAKS = "\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_BREAK_RUN = re.compile(f"[ \t]*[{_LINE_BREAKS}][{_LINE_BREAKS} \t]*")
# Direction overrides and isolates reorder what a reader sees (Trojan Source), BOMs hide.
_INVISIBLE = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
# `<` that would open raw HTML (a tag, comment, declaration or processing instruction),
# unless an odd run of backslashes already escapes it.
_HTML_OPEN = re.compile(r"(?<!\\)((?:\\\\)*)<(?=[A-Za-z/!?])")
# What makes a line stop being a table row when it starts it: a heading, quote, list item,
# thematic break, fence or HTML block (markdown-it's table terminators).
_BLOCK_START = re.compile(
    r"""^(?:
        \#{1,6}(?=[ \t]|$)
      | >
      | [-+*](?=[ \t]|$)
      | (?:[-*_][ \t]*){3,}$
      | `{3,} | ~{3,}
      | <
    )""",
    re.VERBOSE,
)
_ORDERED_ITEM = re.compile(r"^(\d{1,9})([.)])(?=[ \t]|$)")


@dataclass(frozen=True)
class CellText:
    """`text` is what the parser reads back from the cell; `changes` say what was altered."""

    text: str
    changes: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def safe_cell(value: str) -> CellText:
    """One line of cell content, whatever `value` holds; pipes are left to `cell_source`."""
    changes: list[str] = []
    text = value
    folded = _BREAK_RUN.sub(" ", text)
    if folded != text:
        changes.append("line breaks folded into spaces")
    text = folded
    kept = "".join(ch for ch in text if not _is_control(ch))
    if kept != text:
        changes.append("control characters removed")
    text = kept.strip()
    escaped = _HTML_OPEN.sub(r"\1\\<", text)
    if escaped != text:
        changes.append("HTML tags escaped so they show as text")
    return CellText(escaped, tuple(changes))


def _is_control(ch: str) -> bool:
    return ch in _INVISIBLE or (ch != "\t" and unicodedata.category(ch) == "Cc")


def cell_source(content: str, *, line_start: bool = False, line_end: bool = False) -> str:
    """The text to put between a cell's pipes so that it reads back as `content`.

    Pipes are escaped; a trailing backslash gets a space after it unless the cell ends the
    line, or it would escape the cell's closing pipe. `line_start` is for the first cell of a
    row with no leading pipe: there a heading, quote, list, fence or HTML opener would end the
    table, so it is backslash-escaped. An empty cell there would shift every column left, and
    an empty last cell of a row with no trailing pipe (`line_end`) would turn the pipe before
    it into the row's end, so such a cell reads `—` instead, which pm-sync reads as "not set".
    """
    text = escape_pipes(content)
    if not text and (line_start or line_end):
        return EMPTY_AT_ROW_EDGE
    if line_start:
        text = _escape_block_start(text)
    if text.endswith("\\") and not line_end:
        text += " "
    return text


def _escape_block_start(text: str) -> str:
    ordered = _ORDERED_ITEM.match(text)
    if ordered:
        return f"{ordered.group(1)}\\{text[len(ordered.group(1)) :]}"
    if _BLOCK_START.match(text):
        return "\\" + text
    return text
