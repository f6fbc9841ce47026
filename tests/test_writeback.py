"""Write-back changes only the Ticket cells (or appends a Ticket column) and nothing else."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pm_sync.document import atomic
from pm_sync.document.parse import parse_source
from pm_sync.document.rows import split_row
from pm_sync.document.source import Source
from pm_sync.document.writeback import CellEdit, render, write_back
from tests.shapes_support import FINAL_HEAD, doc

CELL_ALPHABET = st.sampled_from([*list("abcXYZ019 -_.:/@#`*é✓日本"), "\\|", "🙂"])
cell_text = (
    st.lists(CELL_ALPHABET, min_size=1, max_size=12)
    .map("".join)
    .map(str.strip)
    .filter(
        lambda s: (
            s
            and s[0].isalpha()
            and s.casefold() not in {"-", "?", "tbd", "tba", "n/a", "na", "none"}
            and not s.endswith("\\")
            and not s.startswith(("*", "`", "_"))
            and not s.endswith(("*", "`"))
        )
    )
)


@st.composite
def documents(draw: st.DrawFn) -> tuple[bytes, list[int], bool]:
    with_ticket = draw(st.booleans())
    columns = ["Action", "Owner"] + (["Ticket"] if with_ticket else [])
    columns = draw(st.permutations(columns))
    if draw(st.booleans()):
        columns = [*columns, "Notes"]
    outer = draw(st.booleans()) or len(columns) == 1 or columns[0] == "Ticket"
    pad = draw(st.sampled_from(["", " ", "  "]))
    n_rows = draw(st.integers(min_value=1, max_value=5))

    def row(cells: list[str]) -> str:
        body = "|".join(f"{pad}{c}{pad}" if c else pad * 2 for c in cells)
        return f"|{body}|" if outer else body.strip() if pad else body

    lines = ["# Postmortem: Generated", "", "**Status**: Final", "", "## Action items", ""]
    lines.append(row(columns))
    lines.append(row(["---"] * len(columns)))
    for i in range(n_rows):
        cells = []
        for col in columns:
            if col == "Action":
                cells.append(f"{draw(cell_text)} {i}")
            elif col == "Ticket":
                cells.append(draw(st.sampled_from(["", "", "OPS-?"])))
            else:
                cells.append(draw(cell_text))
        lines.append(row(cells))
    lines += ["", "Trailing *text* | with a pipe.", ""]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines)
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    data = text.encode()
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    picks = draw(st.lists(st.integers(min_value=0, max_value=n_rows - 1), unique=True, min_size=1))
    return data, picks, with_ticket


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_write_back_changes_only_ticket_cells(doc: tuple[bytes, list[int], bool]) -> None:
    data, picks, with_ticket = doc
    source = Source.from_bytes(data, "pm.md")
    pm = parse_source(source)
    assert not pm.problems, pm.problems
    keys = {pm.action_items[i].uid: f"ENG-{100 + i}" for i in picks}

    text, result = render(source, pm, [CellEdit(uid, "ticket", key) for uid, key in keys.items()])

    assert not result.missing
    new_source = Source.from_bytes(source.encode(text), "pm.md")
    assert new_source.bom == source.bom
    after = parse_source(new_source)
    assert [i.action for i in after.action_items] == [i.action for i in pm.action_items]
    assert [i.owner for i in after.action_items] == [i.owner for i in pm.action_items]
    for old, new in zip(pm.action_items, after.action_items, strict=True):
        assert new.ticket == keys.get(old.uid, old.ticket)
        assert new.line == old.line
    table = pm.tables[0]
    table_lines = {table.header_line, table.delimiter_line, *table.row_lines}
    assert new_source.line_count == source.line_count
    for n in range(source.line_count):
        old_line, new_line = source.line(n), new_source.line(n)
        old_end = source.line_starts[n + 1] if n + 1 < source.line_count else len(source.text)
        new_end = new_source.line_starts[n + 1] if n + 1 < new_source.line_count else len(new_source.text)
        assert (
            source.text[source.line_span(n)[1] : old_end]
            == new_source.text[new_source.line_span(n)[1] : new_end]
        ), "line ending changed"
        if n + 1 not in table_lines:
            assert new_line == old_line
            continue
        if with_ticket:
            col = table.columns["ticket"]
            old_cells, new_cells = split_row(old_line).cells, split_row(new_line).cells
            if col >= len(old_cells):
                assert new_line.startswith(old_line.rstrip(" |"))
                continue
            assert new_line[: new_cells[col].start] == old_line[: old_cells[col].start]
            assert new_line[new_cells[col].end :] == old_line[old_cells[col].end :]
        else:
            kept = old_line.rstrip(" \t")
            assert new_line.startswith(kept), (old_line, new_line)


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2-exchange", "fallback-replace"])
def test_file_changed_underneath_is_not_clobbered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    if not exchange:  # as on a system without RENAME_EXCHANGE
        monkeypatch.setattr(atomic, "_renameat2", lambda: None)
    doc = tmp_path / "pm.md"
    doc.write_text("# P\n\n## Action items\n\n| Action | Ticket |\n|---|---|\n| Fix it |  |\n")
    source = Source.read(doc)
    pm = parse_source(source)
    text, _ = render(source, pm, [CellEdit(pm.action_items[0].uid, "ticket", "ENG-1")])
    edited = doc.read_text() + "\nAdded by a colleague.\n"
    doc.write_text(edited)

    assert atomic.replace_if_unchanged(doc, source.digest, source.encode(text)) is False
    assert doc.read_text() == edited
    assert not list(tmp_path.glob(".*.tmp"))

    result = write_back(doc, [CellEdit(pm.action_items[0].uid, "ticket", "ENG-1")])
    assert result.changed
    assert doc.read_text() == edited.replace("| Fix it |  |", "| Fix it | ENG-1 |")


def test_mode_bits_are_kept_and_rows_found_by_identity(tmp_path: Path) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text("## Action items\n\n| Action | Ticket |\n|---|---|\n| A |  |\n| B |  |\n")
    os.chmod(doc, 0o640)
    pm = parse_source(Source.read(doc))
    uid_b = pm.action_items[1].uid
    doc.write_text("Intro added later.\n\n" + doc.read_text().replace("| A |  |\n", ""))
    os.chmod(doc, 0o640)

    result = write_back(
        doc, [CellEdit(uid_b, "ticket", "ENG-2"), CellEdit(pm.action_items[0].uid, "ticket", "ENG-1")]
    )

    assert doc.read_text() == (
        "Intro added later.\n\n## Action items\n\n| Action | Ticket |\n|---|---|\n| B | ENG-2 |\n"
    )
    assert [e.value for e in result.missing] == ["ENG-1"]
    assert stat.S_IMODE(doc.stat().st_mode) == 0o640


def test_pipes_in_values_are_escaped(tmp_path: Path) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text("## Action items\n\n| Action | Status |\n|---|---|\n| A | Open |\n")
    pm = parse_source(Source.read(doc))
    write_back(doc, [CellEdit(pm.action_items[0].uid, "action", "Fix a|b")])
    assert "| Fix a\\|b | Open |" in doc.read_text()
    again = parse_source(Source.read(doc))
    assert again.action_items[0].action == "Fix a|b"


def test_push_crlf_bom_no_newline_no_outer_pipes_appends_ticket_column(workdir: Path, cli) -> None:
    text = (
        FINAL_HEAD.format(title="CRLF BOM") + "## Action items\n\n"
        "Priority | Action | Owner | Due\n"
        ":--|:--|:--:|--:\n"
        "P1 | Fix `a \\| b` | @kim | 2024-08-08\n"
        "P2 | Unicode — ünïcode | @kim | Aug 9, 2024"
    )
    path = workdir / "postmortem-2024-01-15-crlf.md"
    original = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()
    path.write_bytes(original)

    result = cli("push", str(path), "--json")

    assert result.code == 0, result.stdout
    assert result.one()["created"] == ["PM-1", "PM-2"]
    after = path.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf") and not after.endswith(b"\n")
    old_lines, new_lines = original.split(b"\r\n"), after.split(b"\r\n")
    assert len(old_lines) == len(new_lines)
    changed = [(o, n) for o, n in zip(old_lines, new_lines, strict=True) if o != n]
    assert len(changed) == 4  # header, delimiter, two rows: each only gains a suffix
    assert all(n.startswith(o) for o, n in changed)
    data = cli("parse", str(path), "--json").one()
    assert [(i["action"], i["ticket"]) for i in data["action_items"]] == [
        ("Fix `a | b`", "PM-1"),
        ("Unicode — ünïcode", "PM-2"),
    ]

    again = cli("push", str(path), "--json")
    assert again.one()["unchanged"] == ["PM-1", "PM-2"] and again.one()["created"] == []
    assert path.read_bytes() == after


def test_push_split_tables_fill_ticket_cell_in_one_and_append_column_in_other(workdir: Path, cli) -> None:
    text = FINAL_HEAD.format(title="Split") + doc("""
        ## 5. Action Items

        ### Short term

        | # | Priority | Action | Owner | Due | Ticket | Notes |
        |--:|:-:|:--|---|---|:-:|---|
        | 1 | P0 | Short one | @kim | 2024-08-09 |  | keep me |
        | 2 | P1 | Missing trailing | @kim | 2024-08-10

        ### Long term

        | Priority | Action | Owner | Due | Status |
        | --- | --- | --- | --- | --- |
        | P3 | Long two \\| pipes | @kim | 2024-09-02 |
    """)
    path = workdir / "postmortem-2024-01-15-split.md"
    path.write_text(text)

    result = cli("push", str(path), "--json")

    assert result.code == 0, result.stdout
    assert path.read_text() == text.replace(
        "| 2024-08-09 |  | keep me |", "| 2024-08-09 | PM-1 | keep me |"
    ).replace("| 2024-08-10\n", "| 2024-08-10 | PM-2 \n").replace(
        "| Status |\n| --- | --- | --- | --- | --- |\n",
        "| Status | Ticket |\n| --- | --- | --- | --- | --- | ------ |\n",
    ).replace("| 2024-09-02 |\n", "| 2024-09-02 |  | PM-3   |\n")
