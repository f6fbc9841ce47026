"""Action-items tables: which column holds which field, and each row as an `ActionItem`.

Columns are found by name in any order. Real tables mix things: a status written in the
ticket cell (`Bug 5554823 **TODO**`), a status cell with a remark (`Done (merged ...)`), a
placeholder row (`... another item`), a header row left empty with the names in the first row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from markdown_it.token import Token

from pm_sync.diagnostics import Diagnostic, error
from pm_sync.document.model import ActionItem, Postmortem, TableLayout
from pm_sync.document.refs import is_key
from pm_sync.document.rows import split_row
from pm_sync.document.source import Source
from pm_sync.document.values import (
    STATUS_PHRASE,
    is_unset,
    parse_due,
    parse_owner,
    parse_plain,
    parse_priority,
    parse_status,
    parse_ticket,
    plain_text,
    status_word,
    strip_emphasis,
)

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
        "remediation",
        "corrective action",
        "preventive action",
        "preventative action",
        "measure",
        "improvement",
        "todo",
        "title",
        "summary",
        "fix",
        "change",
        "recommendation",
        "work item",
    ),
    "owner": ("owner", "owners", "owner(s)", "assignee", "who", "dri", "responsible", "assigned to"),
    "due": (
        "due",
        "due date",
        "deadline",
        "target date",
        "eta",
        "due by",
        "expected date",
        "target",
        "when",
        "expected completion",
        "target completion",
    ),
    "ticket": (
        "ticket",
        "issue",
        "jira",
        "bug",
        "bug #",
        "tracking bug",
        "tracker",
        "tracking",
        "tracking issue",
        "tracked in",
        "tracked",
        "issue / pr",
        "issue/pr",
        "pr / issue",
        "pr/issue",
        "pr",
        "reference",
        "ref",
        "link",
        "ticket #",
        "issue #",
    ),
    "status": ("status", "state"),
}
_HEADER_TO_FIELD = {name: f for f, names in COLUMN_SYNONYMS.items() for name in names}
_HEADER_RANK = {name: rank for names in COLUMN_SYNONYMS.values() for rank, name in enumerate(names)}
_PAREN = re.compile(r"\s*\([^()]*\)")

# `... another item`, `…`, `??`, `[Action item]`, `<describe the action>`, `add more rows as
# needed`: rows a template left for more items, never an action of their own.
_PLACEHOLDER_ACTION = re.compile(
    r"^(?:\.{3}|…)|^[?.…\s_*-]+$"
    r"|^\[[^\[\]]*[^\W\d_]{3}[^\[\]]*\]$|^<[^<>]*[^\W\d_]{3}[^<>]*>$"
    r"|^(?:add|insert)\s+(?:more|another|additional|further)\s+(?:action\s+)?(?:rows?|items?|actions?)"
    r"(?:\s+(?:as|if|here|below|above)\b[^.]*)?\.?$",
    re.IGNORECASE,
)
_MARK = r"(?:\*\*|__|\*|_)?"
_TICKET_STATUS = re.compile(
    rf"^(?P<ticket>.*?)(?P<suffix>(?:\s*[—–:,;]\s*|\s+-\s+|\s+)(?P<status>{_MARK}(?:{STATUS_PHRASE}){_MARK}"
    rf"\.?|\(\s*(?:{STATUS_PHRASE})\s*\)|[✅✔☑✓]️?))$",
    re.IGNORECASE,
)


# Header words that name a field inside longer names (`Jira ticket`, `Owner team`, `Completion ETA`).
_HEADER_WORDS = (
    ("action", re.compile(r"^(?!.*\b(?:type|id|date|status|owner|by)\b).*\b(?:action|task|remediation)s?\b")),
    ("ticket", re.compile(r"\b(?:ticket|issue|jira|bug|tracking|tracked|tracker)\b")),
    ("owner", re.compile(r"\b(?:owner|assignee|responsible)\b")),
    ("due", re.compile(r"\b(?:due|deadline|eta)\b")),
    ("status", re.compile(r"\bstatus\b")),
    ("priority", re.compile(r"\bpriority\b")),
)


def header_field(text: str) -> str | None:
    key = _header_key(text)
    exact = _HEADER_TO_FIELD.get(key) or _HEADER_TO_FIELD.get(_PAREN.sub("", key).strip())
    if exact or not key:
        return exact
    found = [name for name, rx in _HEADER_WORDS if rx.search(key)]
    return found[0] if len(found) == 1 else None


def _header_key(text: str) -> str:
    return " ".join(plain_text(strip_emphasis(text)).casefold().rstrip(":").split())


def columns_of(header: Sequence[str]) -> dict[str, int]:
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


def is_placeholder_action(text: str) -> bool:
    return bool(_PLACEHOLDER_ACTION.match(strip_emphasis(text)))


def split_ticket_cell(content: str) -> tuple[str, str]:
    """A ticket cell as (ticket part, status part with its separator).

    `Bug 5554823 **TODO**` → (`Bug 5554823`, ` **TODO**`); a status-only cell `DONE` →
    (``, `DONE`); a plain ticket → (ticket, ``). Write-back puts a new key into the first part
    and keeps the second byte for byte.
    """
    value = content.strip()
    if status_word(value) is not None and not re.search(r"\d", value):
        return "", value
    m = _TICKET_STATUS.match(value)
    if m is None or not m.group("ticket").strip():
        return value, ""
    status = m.group("status")
    emphasized = status[:1] in "*_(✅✔☑✓"
    separated = bool(m.group("suffix").strip(" ").removesuffix(status).strip())
    keyed = is_key(m.group("ticket").strip())  # `ENG-5 done`: a key, then a status word
    if not (emphasized or separated or keyed or status.rstrip(".").isupper()):
        return value, ""
    return m.group("ticket"), m.group("suffix")


def table_rows(tokens: Sequence[Token], start: int) -> list[tuple[int, list[str]]]:
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


def header_of(rows: list[tuple[int, list[str]]]) -> tuple[int, int]:
    """(index of the header row, its 0-based line): the first row, or the first body row when the
    header is left empty and the names sit in the row below (`| | | |` then `| **Action** | ...`)."""
    if len(rows) > 1 and all(not c.strip() for c in rows[0][1]) and columns_of(rows[1][1]):
        return 1, rows[1][0]
    return 0, rows[0][0]


def read_table(
    tokens: Sequence[Token], index: int, src: Source, pm: Postmortem, *, quiet: bool = False
) -> bool:
    """Add the table at `tokens[index]` to `pm` if it has an Action column; True if it did."""
    rows = table_rows(tokens, index)
    if not rows:
        return False
    first, header_line = header_of(rows)
    header = rows[first][1]
    columns = columns_of(header)
    if "action" not in columns:
        if columns and not quiet:
            pm.problems.append(
                error(
                    "bad-table",
                    "action-items table has no Action column; name one column 'Action'",
                    line=header_line + 1,
                )
            )
        return False
    table_index = len(pm.tables)
    body = rows[first + 1 :]
    pm.tables.append(
        TableLayout(
            header_line=rows[0][0] + 1,
            delimiter_line=rows[0][0] + 2,
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
        action = cells[columns["action"]] if columns["action"] < len(cells) else ""
        if is_placeholder_action(action):
            continue
        read_row(cells, columns, line + 1, table_index, pm)
    return True


PARSERS: dict[str, Callable[[str], object]] = {
    "priority": parse_priority,
    "due": parse_due,
    "status": parse_status,
    "ticket": parse_ticket,
    "owner": parse_owner,
    "action": parse_plain,
}


_BAD_VALUE = {"priority": "bad-priority", "due": "bad-date", "status": "bad-status"}


def parse_cells(cells: dict[str, str], line: int, problems: list[Diagnostic]) -> dict[str, object]:
    """Cell texts → field values; a value pm-sync cannot read is a located problem."""
    values: dict[str, object] = {}
    for name, raw in cells.items():
        try:
            values[name] = PARSERS[name](raw)
        except ValueError as exc:
            problems.append(error(_BAD_VALUE.get(name, "parse-problem"), str(exc), line=line))
    return values


def read_row(cells: list[str], columns: dict[str, int], line: int, table: int, pm: Postmortem) -> None:
    raw = {name: cells[col] if col < len(cells) else "" for name, col in columns.items()}
    ticket_status = ""
    if "ticket" in raw:
        raw["ticket"], ticket_status = split_ticket_cell(raw["ticket"])
    values = parse_cells(raw, line, pm.problems)
    if ticket_status and values.get("status") is None:
        values["status"] = status_word(ticket_status.strip(" —–-:,;()"))
    if not values.get("action"):
        pm.problems.append(
            error(
                "missing-action",
                "action item has no Action text; describe the action or delete the row",
                line=line,
            )
        )
        return
    pm.action_items.append(ActionItem(line=line, table=table, **values))  # type: ignore[arg-type]


_DELIMITER_ROW = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")


def table_without_delimiter(text: str, first_line: int) -> Diagnostic | None:
    """Pipe rows GFM reads as a paragraph because the header has no matching delimiter row: a
    located problem when the first row names an Action column, so no command reads the items as
    "none" while lint says the table is broken."""
    lines = text.split("\n")
    header = split_row(lines[0])
    cells = [c.content for c in header.cells]
    if (
        len(cells) < 2
        or not (header.leading_pipe or header.trailing_pipe)
        or "action" not in columns_of(cells)
    ):
        return None
    if len(lines) > 1 and _DELIMITER_ROW.match(lines[1]):
        found = len(split_row(lines[1]).cells)
        return error(
            "bad-table",
            f"action-items table's delimiter row has {found} cells but its header has {len(cells)}, "
            "so Markdown does not read it as a table; give both the same number of cells",
            line=first_line + 1,
        )
    return error(
        "bad-table",
        "action-items table has no delimiter row under its header, so Markdown does not read it "
        f"as a table; add |{'---|' * len(cells)} as the line after the header",
        line=first_line,
    )
