"""Action items written as a list: bullets, numbers, GFM checkboxes, category groups.

Each top-level list item under an action heading is one item; its continuation lines and
sub-bullets belong to it (`Owner:`/`Due:`/`Ticket:` sub-bullets fill its fields, others are
kept in its Action text). A bold label with a colon (`1. **Short-term:**`) whose sub-bullets
are not fields is a category: its sub-bullets are the items. Every item becomes the cell texts
the template's table would hold, so `migrate` can write exactly what was read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from markdown_it.token import Token

from pm_sync.document.fields import extract
from pm_sync.document.headings import heading_priority, heading_status
from pm_sync.document.model import FIELDS, ItemStatus, Priority
from pm_sync.document.source import Source
from pm_sync.document.tables import is_placeholder_action
from pm_sync.document.values import STATUS_TEXT, is_unset

_LIST_OPEN = ("bullet_list_open", "ordered_list_open")
_LIST_CLOSE = ("bullet_list_close", "ordered_list_close")
_CATEGORY = re.compile(r"^\s*(?:\*\*|__)(?P<label>[^*_]{1,60}?):?\s*(?:\*\*|__)\s*:?\s*$")
_PLAIN_CATEGORY = re.compile(
    r"^(?P<label>(?:immediate|short[- ]term|medium[- ]term|long[- ]term|process|detection|prevention"
    r"|mitigation|monitoring|documentation|testing|tooling|communication|completed|done|in progress"
    r"|open|pending|to do|todo|follow[- ]?ups?|improvements(?: and fixes)?|fixes|tasks)"
    r"(?: (?:fixes|actions|items|tasks|improvements))?):\s*$",
    re.IGNORECASE,
)


@dataclass
class Entry:
    """One list item as table cells (field → cell text), `line` 1-based."""

    line: int
    cells: dict[str, str]


@dataclass
class Group:
    label: str | None
    entries: list[Entry] = field(default_factory=list)


@dataclass
class ListBlock:
    """A list in an action section: its lines (0-based, end exclusive) and what it holds."""

    start: int
    end: int
    groups: list[Group] = field(default_factory=list)
    unsupported: int | None = None  # 1-based line of a block (code, table...) a cell cannot hold

    @property
    def entries(self) -> list[Entry]:
        return [e for g in self.groups for e in g.entries]


@dataclass
class _Item:
    line: int
    texts: list[str] = field(default_factory=list)  # its own paragraphs
    children: list[_Item] = field(default_factory=list)
    other_block: int | None = None


def read_list(
    tokens: Sequence[Token],
    index: int,
    src: Source,
    status: ItemStatus | None = None,
    priority: Priority | None = None,
) -> ListBlock:
    """The list opening at `tokens[index]`; `status`/`priority` come from its subheading or label."""
    items, _ = _items(tokens, index)
    first = tokens[index].map or [0, 0]
    end = first[1]
    while end > first[0] + 1 and not src.line(end - 1).strip():
        end -= 1
    block = ListBlock(start=first[0], end=end)
    current = Group(label=None)
    block.groups.append(current)
    for item in items:
        label = _category(item)
        if label is not None:
            current = Group(label=item.texts[0].strip())
            block.groups.append(current)
            sub_status = heading_status(label) or status
            sub_priority = heading_priority(label) or priority
            for child in item.children:
                _add(current, child, sub_status, sub_priority, block)
            current = Group(label=None)
            block.groups.append(current)
        else:
            _add(current, item, status, priority, block)
    block.groups = [g for g in block.groups if g.entries or g.label is not None]
    return block


def _add(
    group: Group, item: _Item, status: ItemStatus | None, priority: Priority | None, block: ListBlock
) -> None:
    if item.other_block is not None and block.unsupported is None:
        block.unsupported = item.other_block
    entry = _entry(item, status, priority)
    if entry is not None:
        group.entries.append(entry)


def _category(item: _Item) -> str | None:
    if not item.children or len(item.texts) != 1:
        return None
    text = " ".join(item.texts[0].split())
    m = _CATEGORY.match(text) or _PLAIN_CATEGORY.match(text)
    if m is None:
        return None
    if all(extract(_flat(child)).only_fields for child in item.children):
        return None  # `**Add alerting:**` with only `Owner:`/`Due:` below is one item
    return m.group("label")


def _flat(item: _Item) -> str:
    parts = [" ".join(t.split()) for t in item.texts]
    parts += [_flat(child) for child in item.children]
    return "; ".join(p for p in parts if p)


def _entry(item: _Item, status: ItemStatus | None, priority: Priority | None) -> Entry | None:
    if not item.texts:
        return None
    main = extract(item.texts[0])
    cells = dict(main.cells)
    details: list[str] = []
    for extra in [*item.texts[1:], *(_flat(c) for c in item.children)]:
        got = extract(extra)
        if got.only_fields and not set(got.cells) & set(cells):
            cells.update(got.cells)
        elif extra.strip():
            details.append(" ".join(extra.split()))
    action = main.action
    for part in details:
        action = (
            f"{action}{' ' if action.endswith(('.', ';', ':', '!', '?')) else '; '}{part}" if action else part
        )
    if not action.strip() or is_unset(action.rstrip(".")) or is_placeholder_action(action):
        return None  # `- None`, `- TBD`, `- ...`: no item
    if status is not None and "status" not in cells:
        cells["status"] = STATUS_TEXT[status]
    if priority is not None and "priority" not in cells:
        cells["priority"] = priority.value
    ordered: dict[str, str] = {"action": action}
    ordered.update((name, cells[name]) for name in FIELDS if name in cells and name != "action")
    return Entry(line=item.line, cells=ordered)


def _items(tokens: Sequence[Token], index: int) -> tuple[list[_Item], int]:
    """Items of the list opening at `index`, and the index of its closing token."""
    items: list[_Item] = []
    depth = tokens[index].level
    i = index + 1
    current: _Item | None = None
    while i < len(tokens):
        tok = tokens[i]
        if tok.type in _LIST_CLOSE and tok.level == depth:
            return items, i
        if tok.type == "list_item_open" and tok.level == depth + 1:
            current = _Item(line=(tok.map[0] if tok.map else 0) + 1)
            items.append(current)
        elif current is not None and tok.type in _LIST_OPEN:
            children, i = _items(tokens, i)
            current.children.extend(children)
            inner = next((c.other_block for c in children if c.other_block is not None), None)
            current.other_block = current.other_block or inner
        elif current is not None and tok.type == "inline" and tok.level == depth + 3:
            current.texts.append(_source_lines(tok.content))
        elif (
            current is not None
            and tok.level == depth + 2
            and tok.type in _OTHER_BLOCKS
            and current.other_block is None
        ):
            current.other_block = (tok.map[0] if tok.map else 0) + 1
        i += 1
    return items, i


_OTHER_BLOCKS = ("fence", "code_block", "table_open", "blockquote_open", "html_block", "heading_open", "hr")


def _source_lines(content: str) -> str:
    """A paragraph's lines joined with spaces, hard-break markers dropped."""
    lines = [re.sub(r"(?:\\|\s{2,})$", "", line.rstrip("\n")) for line in content.split("\n")]
    return " ".join(line.strip() for line in lines if line.strip())
