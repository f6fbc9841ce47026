"""Whatever a tracker sends, a value written into a cell cannot damage the table or the file.

Property: for any string, `safe_cell` then write-back into any cell (first or last, rows with
or without outer pipes, padded or tight) keeps the table's row and column counts, every other
cell, every other line and every line ending, and the cell reads back as `safe_cell` said.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from pm_sync.document.cells import EMPTY_AT_ROW_EDGE, safe_cell
from pm_sync.document.parse import parse_source
from pm_sync.document.rows import split_row
from pm_sync.document.source import Source
from pm_sync.document.writeback import CellEdit, render, write_back
from tests.conftest import local_tickets, postmortem_text, run_subprocess

_md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

HOSTILE = [
    "|",
    "\\",
    "\\|",
    "||",
    "\n",
    "\r\n",
    "\r",
    "\n\n## Injected\n",
    "\u2028",
    "\u2029",
    "\x85",
    "\x0b",
    "\x0c",
    "\x00",
    "\x1b[31m",
    "\u202e",
    "\ufeff",
    "\t",
    " ",
    "#",
    "# ",
    "> ",
    "- ",
    "* ",
    "+ ",
    "1. ",
    "2) ",
    "---",
    "***",
    "___",
    "```",
    "~~~",
    "<",
    "<img src=x onerror=alert(1)>",
    "<!--",
    "<div>",
    "</table>",
    "<br>",
    "\\<b>",
    "[@bob](https://evil.example/x)",
    "**",
    "`",
    "&#10;",
    "a",
    "é",
    "日本",
    "🙂",
]
values = st.one_of(
    st.text(),
    st.lists(st.sampled_from(HOSTILE) | st.text(max_size=3), max_size=12).map("".join),
)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, str, int]:
    """A postmortem with one action-items table in a random style; returns text, field, row."""
    columns = draw(st.permutations(["Action", "Owner", "Due", "Ticket"]))
    leading = draw(st.booleans())
    trailing = draw(st.booleans())
    pad = draw(st.sampled_from(["", " ", "  "]))

    def row(cells: list[str]) -> str:
        body = "|".join(f"{pad}{c}{pad}" for c in cells)
        return ("|" if leading else "") + body + ("|" if trailing else "")

    n_rows = draw(st.integers(min_value=1, max_value=4))
    lines = ["# Postmortem: Generated", "", "**Status**: Final", "", "## Action items", ""]
    lines.append(row(columns))
    lines.append(row(["---"] * len(columns)))
    for i in range(n_rows):
        cells = {"Action": f"Do thing {i}", "Owner": "@ann", "Due": "2024-01-0" + str(i + 1), "Ticket": "TBD"}
        lines.append(row([cells[c] for c in columns]))
    lines += ["", "## After the table", "", "Text | with a pipe.", ""]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    field = draw(st.sampled_from([c.lower() for c in columns if c != "Action"]))
    return newline.join(lines), field, draw(st.integers(min_value=0, max_value=n_rows - 1))


def _blocks(text: str) -> list[tuple[str, object]]:
    """Block structure as markdown-it sees it: every token but the inline contents."""
    return [(t.type, t.map) for t in _md.parse(text)]


def _cells(text: str) -> list[list[str]]:
    rows: list[list[str]] = []
    for tok in _md.parse(text):
        if tok.type == "tr_open":
            rows.append([])
        elif tok.type == "inline" and rows and tok.map and tok.map[0] >= 6:
            rows[-1].append(tok.content)
    return rows


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), values)
def test_any_value_written_into_any_cell_keeps_the_table_and_every_other_byte(
    doc: tuple[str, str, int], value: str
) -> None:
    text, field, pick = doc
    source = Source.from_bytes(text.encode(), "pm.md")
    pm = parse_source(source)
    item = pm.action_items[pick]
    safe = safe_cell(value)

    new_text, result = render(source, pm, [CellEdit(item.uid, field, safe.text)])

    assert result.applied
    new_source = Source.from_bytes(new_text.encode(), "pm.md")
    assert new_source.line_count == source.line_count
    for n in range(source.line_count):
        if n != item.line - 1:
            assert new_source.line(n) == source.line(n)
        old_end = source.line_starts[n + 1] if n + 1 < source.line_count else len(source.text)
        new_end = new_source.line_starts[n + 1] if n + 1 < new_source.line_count else len(new_source.text)
        assert (
            source.text[source.line_span(n)[1] : old_end]
            == new_source.text[new_source.line_span(n)[1] : new_end]
        )
    col = pm.tables[0].columns[field]
    old_row, new_row = split_row(source.line(item.line - 1)), split_row(new_source.line(item.line - 1))
    assert len(new_row.cells) == len(old_row.cells)
    assert new_row.line[: new_row.cells[col].start] == old_row.line[: old_row.cells[col].start]
    assert new_row.line[new_row.cells[col].end :] == old_row.line[old_row.cells[col].end :]
    assert _blocks(new_text) == _blocks(text), "the block structure changed"
    before, after = _cells(text), _cells(new_text)
    assert len(after) == len(before) and all(len(a) == len(b) for a, b in zip(after, before, strict=True))
    at_line_start = col == 0 and not old_row.leading_pipe
    at_line_end = col == len(old_row.cells) - 1 and not old_row.trailing_pipe
    expected = EMPTY_AT_ROW_EDGE if (at_line_start or at_line_end) and not safe.text else safe.text
    if not at_line_start:
        assert after[pick + 1][col] == expected
        assert new_row.cells[col].content == expected
    after[pick + 1][col] = before[pick + 1][col]
    assert after == before, "another cell changed"
    again = parse_source(new_source)
    assert [i.uid for i in again.action_items] == [i.uid for i in pm.action_items]
    assert again.tables[0].row_lines == pm.tables[0].row_lines
    assert again.tables[0].width == pm.tables[0].width


@settings(max_examples=400, deadline=None)
@given(values)
def test_safe_cell_is_one_line_says_when_it_changed_something_and_is_stable(value: str) -> None:
    safe = safe_cell(value)
    assert len(safe.text.splitlines()) <= 1
    assert "\n" not in safe.text and "\r" not in safe.text
    assert safe.text == safe.text.strip()
    if not safe.changed:
        assert safe.text == value.strip()
    again = safe_cell(safe.text)
    assert again.text == safe.text and not again.changed


def test_ordinary_values_pass_unchanged() -> None:
    for value in ["PM-12", "ENG-4", "@alice", "2024-01-22", "In progress", "Won't do", "-", "P1", "a < b"]:
        assert safe_cell(value) == safe_cell(value) and not safe_cell(value).changed, value
        assert safe_cell(value).text == value


def test_the_attacks_of_issue_10_are_folded_and_reported() -> None:
    title = safe_cell("Fix pool\n\n## Injected\n\n| a | b |")
    assert title.text == "Fix pool ## Injected | a | b |"
    assert "line breaks folded into spaces" in title.changes
    name = safe_cell('[Bob](https://evil.example) <img src=x onerror="alert(1)">')
    assert name.text == '[Bob](https://evil.example) \\<img src=x onerror="alert(1)">'
    assert name.changes == ("HTML tags escaped so they show as text",)
    assert safe_cell("ENG-1\u202e\x00").text == "ENG-1"


def test_hostile_owner_and_title_written_back_leave_the_file_intact(tmp_path: Path) -> None:
    """Write-back on disk, then the real CLI reads the file and pushes it: one table, three
    items, the heading after the table still a heading, nothing planted."""
    doc = tmp_path / "pm.md"
    text = postmortem_text([(*r, "") for r in [("P0", "Fix pool", "@alice", "2024-01-22")]])
    doc.write_text(text + "\n## Lessons\n\nKeep going.\n")
    pm = parse_source(Source.read(doc))
    uid = pm.action_items[0].uid
    hostile_owner = safe_cell("@alice\n\n## Injected <img src=x onerror=alert(1)> | @mallory")
    hostile_key = safe_cell("PM-1\n| x | y |\n")

    write_back(doc, [CellEdit(uid, "owner", hostile_owner.text), CellEdit(uid, "ticket", hostile_key.text)])

    after = doc.read_text()
    assert after.count("\n") == (text + "\n## Lessons\n\nKeep going.\n").count("\n")
    tokens = _md.parse(after)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == [
        "Postmortem: Payment API errors",
        "Executive Summary",
        "Action items",
        "Lessons",
    ]
    again = parse_source(Source.read(doc))
    assert len(again.action_items) == 1 and again.action_items[0].ticket == "PM-1 | x | y |"
    result = run_subprocess(["parse", "pm.md", "--json"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "<img" not in result.stdout.replace("\\\\<img", "")
    assert local_tickets(tmp_path) == []
