"""`pm-sync migrate` (issue 12): list-style action items become the template's table.

A diff by default, a write only with --write, every byte outside the converted lists kept, and
the converted document reads as the same items (a property over generated documents).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pm_sync.document.migrate import migrate_source
from pm_sync.document.model import FIELDS, Postmortem, field_text
from pm_sync.document.parse import parse_source
from pm_sync.document.source import Source
from tests.conftest import CliResult, local_tickets

LIST_DOC = """\
# Postmortem: Queue backlog

**Date**: 2024-01-15 | **Severity**: SEV2 | **Duration**: 40 min
**Authors**: @amy | **Status**: Final

## Summary

Workers stalled behind one lock.

## Action items

- [x] Add a pool limit (@bob, due 2024-01-22)
- [ ] P1: Alert on queue depth — @amy
  - Ticket: OPS-7
- Write a runbook
  - Owner: @carol
  - Due: 2024-02-01

## Lessons learned

- Locks need timeouts.
"""

TABLE = """\
| Priority | Action | Owner | Due | Ticket | Status |
|---|---|---|---|---|---|
|  | Add a pool limit | @bob | 2024-01-22 |  | Done |
| P1 | Alert on queue depth | @amy |  | OPS-7 | Open |
|  | Write a runbook | @carol | 2024-02-01 |  |  |"""


def doc(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def same_items(a: Postmortem, b: Postmortem) -> bool:
    def rows(pm: Postmortem) -> list[list[str | None]]:
        return [[field_text(i, f) for f in FIELDS] for i in pm.action_items]

    return rows(a) == rows(b)


def test_default_prints_a_diff_and_touches_nothing(workdir: Path, cli: Callable[..., CliResult]) -> None:
    path = workdir / "postmortem-2024-01-15-queue.md"
    path.write_text(LIST_DOC)

    result = cli("migrate", str(path))

    assert result.code == 0, result.stderr
    assert path.read_text() == LIST_DOC
    name = str(path).lstrip("/")
    assert result.stdout.startswith(f"--- a/{name}\n+++ b/{name}\n@@ ")
    removed = [line[1:] for line in result.stdout.splitlines() if line.startswith("-") and line[1:3] != "--"]
    added = [line[1:] for line in result.stdout.splitlines() if line.startswith("+") and line[1:3] != "++"]
    assert removed == LIST_DOC.split("\n")[11:17]
    assert added == TABLE.split("\n")


def test_write_converts_only_the_list_and_reads_the_same(
    workdir: Path, cli: Callable[..., CliResult]
) -> None:
    path = workdir / "postmortem-2024-01-15-queue.md"
    path.write_text(LIST_DOC)
    before = parse_source(Source.read(path))

    result = cli("migrate", str(path), "--write")

    assert result.code == 0, result.stderr
    assert result.stdout == f"{path}: 3 action items now in a table\n"
    lines = LIST_DOC.split("\n")
    assert path.read_text() == "\n".join([*lines[:11], TABLE, *lines[17:]])
    after = parse_source(Source.read(path))
    assert same_items(before, after)
    assert [i.source for i in after.action_items] == ["table"] * 3
    assert not list(workdir.glob(".*.tmp"))


def test_a_second_run_has_nothing_to_do(workdir: Path, cli: Callable[..., CliResult]) -> None:
    path = workdir / "postmortem-2024-01-15-queue.md"
    path.write_text(LIST_DOC)
    cli("migrate", str(path), "--write")
    written = path.read_bytes()

    again = cli("migrate", str(path), "--write")

    assert again.code == 0
    assert "nothing to migrate (its action items are already a table)" in again.stderr
    assert path.read_bytes() == written


def test_a_document_without_list_items_is_left_alone(workdir: Path, cli: Callable[..., CliResult]) -> None:
    path = workdir / "postmortem-2024-01-15-none.md"
    path.write_text("# Postmortem: X\n\n## Summary\n\n- not an action item\n")

    result = cli("migrate", str(path))

    assert (result.code, result.stdout) == (0, "")
    assert "nothing to migrate (no list-style action items found)" in result.stderr


def test_an_item_holding_a_code_block_is_refused_with_its_line(
    workdir: Path, cli: Callable[..., CliResult]
) -> None:
    path = workdir / "postmortem-2024-01-15-code.md"
    text = "# P\n\n## Action items\n\n- Add a check:\n\n  ```sh\n  make check\n  ```\n- Another\n"
    path.write_text(text)

    result = cli("migrate", str(path), "--write")

    assert result.code == 1
    assert f"{path}:7: an action item holds a code block" in result.stderr
    assert "move it out of the list" in result.stderr
    assert path.read_text() == text


def test_crlf_bom_and_the_rest_of_the_file_are_kept_byte_for_byte(
    workdir: Path, cli: Callable[..., CliResult]
) -> None:
    path = workdir / "postmortem-2024-01-15-crlf.md"
    text = (
        "# P\r\n\r\n## Follow-ups\r\n- Rotate the key (@kim)\r\n- Add an alert\r\n"
        "\r\n## Timeline\r\n\r\n- 10:00 x"
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())

    cli("migrate", str(path), "--write")

    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf# P\r\n\r\n## Follow-ups\r\n\r\n| Priority | Action |")
    assert data.endswith(b"|  | Add an alert |  |  |  |\r\n\r\n## Timeline\r\n\r\n- 10:00 x")
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_categories_keep_their_headings_and_bold_labels(workdir: Path, cli: Callable[..., CliResult]) -> None:
    path = workdir / "postmortem-2024-01-15-groups.md"
    path.write_text(
        doc("""
        # P

        ## Action items

        ### Completed

        - Rolled back

        ### Next

        1. **Short-term:**
           - Add a canary
        2. **Long-term:**
           - Move to managed Postgres
        """)
    )
    before = parse_source(Source.read(path))

    cli("migrate", str(path), "--write")

    assert path.read_text() == doc("""
        # P

        ## Action items

        ### Completed

        | Priority | Action | Owner | Due | Ticket | Status |
        |---|---|---|---|---|---|
        |  | Rolled back |  |  |  | Done |

        ### Next

        **Short-term:**

        | Priority | Action | Owner | Due | Ticket | Status |
        |---|---|---|---|---|---|
        |  | Add a canary |  |  |  |  |

        **Long-term:**

        | Priority | Action | Owner | Due | Ticket | Status |
        |---|---|---|---|---|---|
        |  | Move to managed Postgres |  |  |  |  |
        """)
    assert same_items(before, parse_source(Source.read(path)))


def test_migrated_items_can_be_pushed(workdir: Path, cli: Callable[..., CliResult]) -> None:
    path = workdir / "postmortem-2024-01-15-queue.md"
    path.write_text(LIST_DOC.replace("  - Ticket: OPS-7\n", ""))
    cli("migrate", str(path), "--write")

    result = cli("push", str(path))

    assert result.code == 0, result.stderr
    assert [t["summary"] for t in local_tickets(workdir)] == [
        "Add a pool limit",
        "Alert on queue depth",
        "Write a runbook",
    ]
    table = [line for line in path.read_text().splitlines() if line.startswith("| ")]
    assert [line.split("|")[5].strip() for line in table[1:]] == ["PM-1", "PM-2", "PM-3"]


# --- the round-trip property --------------------------------------------------------------

WORD = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéüß日本0123456789", min_size=1, max_size=8
)
PUNCT = st.sampled_from(
    ["", ",", ".", ":", ";", "!", "?", " -", " &", " |", " /", " (x)", " `code`", " *em*"]
)
TEXT = st.lists(st.tuples(WORD, PUNCT), min_size=1, max_size=6).map(
    lambda ws: "Do " + " ".join(w + p for w, p in ws)
)
OWNER = st.sampled_from(["@amy", "@bob.k", "Jane Doe", "[@cy](https://github.com/cy)"])
DUE = st.sampled_from(["2024-01-22", "Jan 22, 2024", "22 March 2024", "next sprint"])
TICKET = st.sampled_from(
    [
        "ENG-12",
        "#7",
        "acme/api#9",
        "https://github.com/acme/api/issues/5",
        "[OPS-3](https://j.example/browse/OPS-3)",
    ]
)
PRIORITY = st.sampled_from(["P0", "P1", "P3", "high", "Low"])
STATUS = st.sampled_from(["done", "in progress", "won't do", "open"])


@st.composite
def list_item(draw: st.DrawFn, marker: str) -> list[str]:
    text = draw(TEXT)
    box = draw(st.sampled_from(["", "[ ] ", "[x] ", "[X] "]))
    inline: list[str] = []
    subs: list[str] = []
    for name, values in (
        ("owner", OWNER),
        ("due", DUE),
        ("ticket", TICKET),
        ("priority", PRIORITY),
        ("status", STATUS),
    ):
        how = draw(st.sampled_from(["none", "inline", "sub"]))
        value = draw(values)
        if how == "sub" or (
            how == "inline" and name in ("due", "status") and value in ("next sprint", "open")
        ):
            subs.append(f"{name.capitalize()}: {value}")
        elif how == "inline":
            inline.append(
                {
                    "owner": f"(Owner: {value})",
                    "due": f"due {value}",
                    "ticket": f"({value})",
                    "priority": f"[{value.upper() if value.startswith('P') else value}]",
                    "status": f"({value})",
                }[name]
            )
    extra = draw(st.lists(TEXT, max_size=2))
    first = f"{marker} {box}{text}" + "".join(" " + part for part in draw(st.permutations(inline)))
    pad = " " * (len(marker) + 1)
    return [first, *(f"{pad}- {s}" for s in [*subs, *extra])]


@st.composite
def list_document(draw: st.DrawFn) -> str:
    parts = ["# Postmortem: Generated", "", "**Date**: 2024-01-15", "", "## Action items", ""]
    for group in range(draw(st.integers(1, 3))):
        if group or draw(st.booleans()):
            parts += [f"### {draw(st.sampled_from(['Process', 'Completed', 'Open', 'Detection']))}", ""]
        marker = draw(st.sampled_from(["-", "*", "+", "1.", "1)"]))
        for item in draw(st.lists(list_item(marker), min_size=1, max_size=4)):
            parts += item
        parts.append("")
    parts += ["## Lessons learned", "", "- keep this list as it is", ""]
    return draw(st.sampled_from(["\n", "\r\n"])).join(parts)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(list_document())
def test_a_migrated_document_reads_as_the_same_items(text: str) -> None:
    src = Source.from_bytes(text.encode(), "generated.md")
    before = parse_source(src)
    assert before.action_items and {i.source for i in before.action_items} == {"list"}

    migration = migrate_source(src)
    after = parse_source(Source.from_bytes(migration.new.encode(), "generated.md"))

    assert {i.source for i in after.action_items} == {"table"}
    assert same_items(before, after)
    assert [p.message for p in after.problems] == [p.message for p in before.problems]
    head = text[: text.index("## Action items")]
    tail = text[text.index("## Lessons learned") :]
    assert migration.new.startswith(head) and migration.new.endswith(tail)


@pytest.mark.parametrize("text", ["- [P1] Fix it (@a, due 2024-01-22, ENG-1)", "1) ✅ Fixed it DONE"])
def test_migrate_source_on_single_items(text: str) -> None:
    src = Source.from_bytes(f"## Action items\n\n{text}\n".encode(), "x.md")
    assert same_items(
        parse_source(src), parse_source(Source.from_bytes(migrate_source(src).new.encode(), "x.md"))
    )
