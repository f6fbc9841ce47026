"""Split a GFM table row into cells with their exact offsets.

markdown-it gives cell contents but not their positions; write-back needs positions to change
one cell and keep every other byte. The splitting rule mirrors markdown-it's `escapedSplit`,
so cell counts always agree with the parser.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CellSpan:
    """Offsets are relative to the row's line; `start:end` is the raw cell including padding."""

    start: int
    end: int
    raw: str

    @property
    def content(self) -> str:
        """The cell value as GFM sees it: `\\|` unescaped, then trimmed."""
        return unescape_pipes(self.raw).strip()


@dataclass(frozen=True)
class Row:
    line: str
    cells: tuple[CellSpan, ...]
    leading_pipe: bool
    trailing_pipe: bool


def unescape_pipes(text: str) -> str:
    out: list[str] = []
    prev_backslash = False
    for ch in text:
        if ch == "|" and prev_backslash:
            out[-1] = "|"
        else:
            out.append(ch)
        prev_backslash = ch == "\\"
    return "".join(out)


def escape_pipes(text: str) -> str:
    return text.replace("|", "\\|")


def split_row(line: str) -> Row:
    """Cells of a row, with or without outer pipes."""
    stripped_left = len(line) - len(line.lstrip(" \t"))
    stripped_right = len(line.rstrip(" \t"))
    body_start, body_end = stripped_left, stripped_right
    leading = body_start < body_end and line[body_start] == "|"
    if leading:
        body_start += 1
    trailing = False
    if body_end > body_start and line[body_end - 1] == "|" and not _escaped(line, body_end - 1):
        trailing = True
        body_end -= 1
    cells: list[CellSpan] = []
    cell_start = body_start
    prev_backslash = False
    for pos in range(body_start, body_end):
        ch = line[pos]
        if ch == "|" and not prev_backslash:
            cells.append(CellSpan(cell_start, pos, line[cell_start:pos]))
            cell_start = pos + 1
        prev_backslash = ch == "\\"
    cells.append(CellSpan(cell_start, body_end, line[cell_start:body_end]))
    if not leading and not trailing and len(cells) == 1 and not cells[0].raw.strip():
        cells = []
    return Row(line=line, cells=tuple(cells), leading_pipe=leading, trailing_pipe=trailing)


def _escaped(line: str, pos: int) -> bool:
    return pos > 0 and line[pos - 1] == "\\"


def replace_cell(row: Row, index: int, value: str, *, keep_width: bool = True) -> str:
    """The row's line with one cell's content replaced. With `keep_width` (the column is aligned)
    a shorter value is padded to the cell's old width; otherwise the cell keeps only the spaces
    around its old content, so `| Won't do |` becomes `| Open |`, not `| Open     |`."""
    cell = row.cells[index]
    raw = cell.raw
    stripped = raw.strip()
    lead = raw[: len(raw) - len(raw.lstrip())]
    trail = raw[len(raw.rstrip()) :]
    last_open = index == len(row.cells) - 1 and not row.trailing_pipe
    if not stripped:
        body = f" {value} "
        width = len(raw) if keep_width and not last_open else 0
        new_raw = body + " " * max(0, width - len(body))
    elif keep_width and not last_open:
        body = (lead or " ") + value
        new_raw = body + " " * max(len(raw) - len(body), 1 if trail else 0)
    else:
        new_raw = lead + value + trail
    return row.line[: cell.start] + new_raw + row.line[cell.end :]
