"""`pm-sync migrate`: turn list-style action items into the template's table.

Only the lines of the lists pm-sync read as action items change; every other byte of the
file stays as it was. The new text must parse to the same items as the old one, or nothing
is written: a table pm-sync would read differently is worse than the list it replaces.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pm_sync.document.atomic import replace_if_unchanged
from pm_sync.document.lists import Entry, Group, ListBlock
from pm_sync.document.model import FIELDS, ActionItem, ItemStatus, Priority, field_text
from pm_sync.document.parse import read_document
from pm_sync.document.rows import escape_pipes
from pm_sync.document.source import Source
from pm_sync.document.tables import PARSERS
from pm_sync.document.values import STATUS_TEXT
from pm_sync.errors import DocumentError, WriteBackError

HEADERS = {
    "priority": "Priority",
    "action": "Action",
    "owner": "Owner",
    "due": "Due",
    "ticket": "Ticket",
    "status": "Status",
}
MAX_ATTEMPTS = 5
_BLOCKS = "a code block, table, quote, heading or HTML"


@dataclass
class Migration:
    path: str
    old: str
    new: str
    items: int = 0
    reason: str = ""  # why nothing changed

    @property
    def changed(self) -> bool:
        return self.new != self.old

    def diff(self) -> str:
        name = self.path.lstrip("/")
        return "".join(
            difflib.unified_diff(
                self.old.splitlines(keepends=True),
                self.new.splitlines(keepends=True),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
            )
        )


def migrate_source(src: Source) -> Migration:
    """The migrated text of one postmortem (unchanged, with a reason, when there is nothing to do)."""
    doc = read_document(src)
    if doc.pm.tables:
        return Migration(src.path, src.text, src.text, reason="its action items are already a table")
    if not doc.lists:
        return Migration(src.path, src.text, src.text, reason="no list-style action items found")
    for block in doc.lists:
        if block.unsupported is not None:
            raise DocumentError(
                f"an action item holds {_BLOCKS}, which a table cell cannot hold",
                path=src.path,
                line=block.unsupported,
                hint="move it out of the list (below it, say), then run migrate again",
            )
    with_status = any("status" in e.cells for b in doc.lists for e in b.entries)
    columns = [name for name in FIELDS if name != "status" or with_status]
    newline = _newline(src)
    blocks = _coalesce(src, doc.lists)
    new = _splice(src, {b.start: (b, _render(src, b, columns)) for b in blocks}, newline)
    _check_same_items(src, doc.pm.action_items, new)
    return Migration(src.path, src.text, new, items=len(doc.pm.action_items))


def migrate_file(path: Path | str) -> Migration:
    return migrate_source(Source.read(path))


def write_migration(path: Path | str) -> Migration:
    """Migrate and save atomically (same guarantees as write-back: temp file, fsync, rename, and
    a re-read if someone saved the file meanwhile)."""
    target = Path(path)
    for _ in range(MAX_ATTEMPTS):
        src = Source.read(target)
        result = migrate_source(src)
        if not result.changed or _replace(target, src, src.encode(result.new)):
            return result
    raise WriteBackError(
        f"file kept changing while pm-sync wrote to it ({MAX_ATTEMPTS} attempts)",
        path=str(target),
        hint="run again once nobody is editing it",
    )


def _replace(target: Path, src: Source, data: bytes) -> bool:
    """Write-back's atomic replacement; False when the file changed since `src` was read."""
    return replace_if_unchanged(target, src.digest, data)


def _newline(src: Source) -> str:
    for n in range(min(src.line_count - 1, 50)):
        end = src.line_span(n)[1]
        ending = src.text[end : src.line_starts[n + 1]]
        if ending:
            return ending
    return "\n"


def _coalesce(src: Source, blocks: list[ListBlock]) -> list[ListBlock]:
    """Lists next to each other (a marker change starts a new list) become one table."""
    out: list[ListBlock] = []
    for block in blocks:
        prev = out[-1] if out else None
        if prev is not None and all(not src.line(n).strip() for n in range(prev.end, block.start)):
            groups = list(prev.groups)
            for group in block.groups:
                if groups and groups[-1].label is None and group.label is None:
                    groups[-1] = Group(None, [*groups[-1].entries, *group.entries])
                else:
                    groups.append(group)
            out[-1] = ListBlock(start=prev.start, end=block.end, groups=groups)
        else:
            out.append(block)
    return out


def _render(src: Source, block: ListBlock, columns: Sequence[str]) -> list[str]:
    lines: list[str] = []
    if block.start > 0 and src.line(block.start - 1).strip():
        lines.append("")
    for n, group in enumerate(block.groups):
        if n:
            lines.append("")
        lines.extend(_group(group, columns))
    if block.end < src.line_count and src.line(block.end).strip():
        lines.append("")
    return lines


def _group(group: Group, columns: Sequence[str]) -> list[str]:
    lines = [group.label, ""] if group.label is not None else []
    if not group.entries:
        return lines[:-1]
    lines.append("| " + " | ".join(HEADERS[c] for c in columns) + " |")
    lines.append("|" + "|".join("---" for _ in columns) + "|")
    lines.extend("| " + " | ".join(_cell(e, c) for c in columns) + " |" for e in group.entries)
    return lines


def _cell(entry: Entry, name: str) -> str:
    raw = entry.cells.get(name, "")
    try:
        value = PARSERS[name](raw)
    except ValueError:
        return escape_pipes(raw)  # unreadable as written: the table shows the same problem
    if value is None:
        return ""
    if isinstance(value, Priority):
        return value.value
    if isinstance(value, ItemStatus):
        return STATUS_TEXT[value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return escape_pipes(raw)


def _splice(src: Source, blocks: dict[int, tuple[ListBlock, list[str]]], newline: str) -> str:
    parts: list[str] = []
    pos = 0
    for start in sorted(blocks):
        block, lines = blocks[start]
        begin = src.line_starts[block.start]
        end = src.line_span(block.end - 1)[1]
        parts.append(src.text[pos:begin])
        parts.append(newline.join(lines))
        pos = end
    parts.append(src.text[pos:])
    return "".join(parts)


def _check_same_items(src: Source, before: list[ActionItem], new: str) -> None:
    after = read_document(Source.from_bytes(src.encode(new), src.path)).pm.action_items
    for old, now in zip(before, after, strict=False):
        if [field_text(old, f) for f in FIELDS] != [field_text(now, f) for f in FIELDS]:
            raise DocumentError(
                "the table would read differently from the list, so the file was left as it is",
                path=src.path,
                line=old.line,
                hint="simplify this item's text (or convert it by hand) and run migrate again",
            )
    if len(before) != len(after):
        raise DocumentError(
            f"the table would hold {len(after)} items where the list holds {len(before)}",
            path=src.path,
            hint="convert this section by hand",
        )
