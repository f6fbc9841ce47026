"""Write values into the cells pm-sync owns, and leave every other byte of the file alone.

Edits address items by `uid`, not by line, so when someone saved the file while we were
talking to a tracker we re-read it, find the same rows again and re-apply — never clobber.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pm_sync.document.atomic import remove_stale_temps, replace_if_unchanged
from pm_sync.document.cells import cell_source
from pm_sync.document.model import Postmortem, TableLayout, field_text
from pm_sync.document.parse import parse_source
from pm_sync.document.rows import Row, escape_pipes, replace_cell, split_row, unescape_pipes
from pm_sync.document.source import Source
from pm_sync.document.tables import split_ticket_cell
from pm_sync.errors import WriteBackError

TICKET_HEADER = "Ticket"
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class CellEdit:
    """Set `field` of the item `uid` to `value` (already rendered as cell text).

    With `check`, the cell must still read `expected` (as `field_text` spells it): a value
    someone typed there while pm-sync worked is kept, and the edit is reported as stale.
    """

    uid: str
    field: str
    value: str
    check: bool = False
    expected: str | None = None


@dataclass
class WriteResult:
    path: str
    changed: bool
    applied: list[CellEdit] = field(default_factory=list)
    missing: list[CellEdit] = field(default_factory=list)
    stale: list[CellEdit] = field(default_factory=list)


def render(source: Source, pm: Postmortem, edits: Iterable[CellEdit]) -> tuple[str, WriteResult]:
    """Pure part of write-back: the new text, and which edits found their row."""
    result = WriteResult(path=source.path, changed=False)
    by_uid = {item.uid: item for item in pm.action_items}
    new_lines: dict[int, str] = {}
    append_ticket: dict[int, dict[int, str]] = {}
    for edit in edits:
        item = by_uid.get(edit.uid)
        if item is None or item.source != "table":
            result.missing.append(edit)  # list items are never written back: `migrate` first
            continue
        if edit.check and field_text(item, edit.field) != edit.expected:
            result.stale.append(edit)
            continue
        layout = pm.tables[item.table]
        idx = item.line - 1
        if edit.field not in layout.columns:
            if edit.field != "ticket":
                result.missing.append(edit)
                continue
            append_ticket.setdefault(item.table, {})[item.line] = edit.value
            result.applied.append(edit)
            continue
        row = split_row(new_lines.get(idx, source.line(idx)))
        column = layout.columns[edit.field]
        text = cell_source(
            edit.value,
            line_start=column == 0 and not row.leading_pipe,
            line_end=column == len(row.cells) - 1 and not row.trailing_pipe,
        )
        if edit.field == "ticket" and column < len(row.cells):
            text = _keep_status(row.cells[column].raw.strip(), text)
        aligned = _aligned(source, layout, column, row)
        new_lines[idx] = set_cell(
            row, column, text, layout.width, where=(source.path, item.line), keep_width=aligned
        )
        result.applied.append(edit)
    for table_index, values in append_ticket.items():
        layout = pm.tables[table_index]
        new_lines.update(_append_column(source, layout, values, new_lines))
    text = _splice(source, new_lines)
    result.changed = text != source.text
    return text, result


def _keep_status(cell: str, key: str) -> str:
    """A ticket cell that also holds a status (`Bug 5554823 **TODO**`, `DONE`) keeps it."""
    _, status = split_ticket_cell(unescape_pipes(cell))
    if not status:
        return key
    status = escape_pipes(status)
    return key + (status if status[:1].isspace() or status[:1] in "—–:,;" else " " + status)


def _aligned(source: Source, layout: TableLayout, column: int, row: Row) -> bool:
    """The column is laid out to one width: its header, delimiter and this row's cell agree."""
    if column >= len(row.cells):
        return False
    width = len(row.cells[column].raw)
    for number in (layout.header_line, layout.delimiter_line):
        cells = split_row(source.line(number - 1)).cells
        if column >= len(cells) or len(cells[column].raw) != width:
            return False
    return True


def set_cell(
    row: Row, index: int, value: str, width: int, *, where: tuple[str, int], keep_width: bool = True
) -> str:
    if index < len(row.cells):
        return replace_cell(row, index, value, keep_width=keep_width)
    if len(row.cells) > width:
        raise WriteBackError(
            "row has more cells than its table header",
            path=where[0],
            line=where[1],
            hint="remove the extra cells, then run again",
        )
    missing = ["  "] * (index - len(row.cells)) + [f" {value} "]
    return _extend(row, missing)


def _extend(row: Row, cells: Sequence[str]) -> str:
    """Append raw cells after the row's last cell, keeping the outer-pipe style."""
    line = row.line
    body_end = len(line.rstrip(" \t"))
    tail = line[body_end:]
    added = "|".join(cells)
    if row.trailing_pipe:
        return line[:body_end] + added + "|" + tail
    if not row.cells:
        return line[:body_end] + "|" + added + tail
    sep = "" if line[:body_end].endswith(" ") else " "
    return line[:body_end] + sep + "|" + added + tail


def _append_column(
    source: Source, layout: TableLayout, values: dict[int, str], pending: dict[int, str]
) -> dict[int, str]:
    cells = {line: cell_source(v) for line, v in values.items()}
    width = max([len(TICKET_HEADER), *(len(v) for v in cells.values())])
    out: dict[int, str] = {}

    def line_of(number: int) -> Row:
        return split_row(pending.get(number - 1, source.line(number - 1)))

    header = line_of(layout.header_line)
    out[layout.header_line - 1] = _extend(
        header, [*_padded_short(header, layout.width), f" {TICKET_HEADER.ljust(width)} "]
    )
    delim = line_of(layout.delimiter_line)
    spaced = bool(delim.cells) and delim.cells[-1].raw.startswith(" ")
    rule = f" {'-' * width} " if spaced else "-" * (width + 2)
    out[layout.delimiter_line - 1] = _extend(delim, [rule])
    for number in layout.row_lines:
        row = line_of(number)
        if len(row.cells) > layout.width:
            raise WriteBackError(
                "row has more cells than its table header, so a Ticket column cannot be added",
                path=source.path,
                line=number,
                hint="remove the extra cells, then run again",
            )
        value = cells.get(number, "")
        out[number - 1] = _extend(row, [*_padded_short(row, layout.width), f" {value.ljust(width)} "])
    return out


def _padded_short(row: Row, width: int) -> list[str]:
    return ["  "] * max(0, width - len(row.cells))


def _splice(source: Source, new_lines: dict[int, str]) -> str:
    if not new_lines:
        return source.text
    parts: list[str] = []
    pos = 0
    for idx in sorted(new_lines):
        start, end = source.line_span(idx)
        parts.append(source.text[pos:start])
        parts.append(new_lines[idx])
        pos = end
    parts.append(source.text[pos:])
    return "".join(parts)


def write_back(path: Path | str, edits: Sequence[CellEdit]) -> WriteResult:
    """Apply edits atomically to the file as it is now (rows found by uid); if someone saves it
    before our new text is in place, their save stays and we re-read and re-apply."""
    target = Path(path)
    remove_stale_temps(target)
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            time.sleep(random.uniform(0.001, 0.004) * attempt)
        source = Source.read(target)
        text, result = render(source, parse_source(source), edits)
        if not result.changed:
            return result
        try:
            if replace_if_unchanged(target, source.digest, source.encode(text)):
                return result
        except FileNotFoundError:
            continue  # a save that deletes before it writes: read the file again
        except OSError as exc:
            raise WriteBackError(
                f"cannot write the file: {exc.strerror or exc}",
                path=str(target),
                hint="check the file's and its folder's permissions and free space",
            ) from None
    raise WriteBackError(
        f"file kept changing while pm-sync wrote to it ({MAX_ATTEMPTS} attempts)",
        path=str(target),
        hint="run again once nobody is editing it",
    )
