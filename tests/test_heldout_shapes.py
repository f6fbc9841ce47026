"""Issue 12 checked on documents its work never saw: an acceptance audit's own postmortems.

`tests/data/heldout/` holds 25 postmortems written for this audit in the shapes issue 12 names
(list markers, numbering, checklists, category subheadings, continuation lines, inline fields
in each listed form, Completed subheadings; table headings, columns, status remarks, metadata
and date variants), worded, ordered and spaced unlike `tests/data/corpus/`, some with CRLF line
ends or a BOM. `expected.json` holds what pm-sync must read from each. Each is read, linted,
migrated (the round trip) and, where Final, pushed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pm_sync.document.fields import extract
from pm_sync.document.migrate import migrate_source
from pm_sync.document.model import FIELDS, Postmortem, field_text
from pm_sync.document.parse import parse_file, parse_source, parse_text, read_document
from pm_sync.document.source import Source
from pm_sync.linting import lint_file
from tests.conftest import CliResult, local_tickets

HELDOUT = Path(__file__).parent / "data" / "heldout"
EXPECTED: dict[str, dict[str, Any]] = json.loads((HELDOUT / "expected.json").read_text())
COLUMNS = ("line", "priority", "action", "owner", "due", "ticket", "status")
LISTS = sorted(n for n, w in EXPECTED.items() if w["source"] == "list")


def rows(pm: Postmortem) -> list[list[str | None]]:
    return [[field_text(i, f) for f in FIELDS] for i in pm.action_items]


def test_every_heldout_document_has_expectations() -> None:
    assert sorted(p.name for p in HELDOUT.glob("*.md")) == sorted(EXPECTED)
    assert HELDOUT.joinpath("hl01-plus-bullets-crlf.md").read_bytes().count(b"\r\n") > 10
    assert HELDOUT.joinpath("hl02-numbered-paren-subfields-bom.md").read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_heldout_document_reads_as_expected(name: str) -> None:
    want = EXPECTED[name]
    pm = parse_file(HELDOUT / name)
    assert [[item.public()[f] for f in COLUMNS] for item in pm.action_items] == want["items"]
    assert {item.source for item in pm.action_items} == {want["source"]}
    assert (pm.date.isoformat() if pm.date else None) == want["date"]
    assert pm.problems == []


def test_heldout_counts(capsys: pytest.CaptureFixture[str]) -> None:
    tables = [n for n, w in EXPECTED.items() if w["source"] == "table"]
    read_tables = [n for n in tables if parse_file(HELDOUT / n).action_items]
    read_lists = [n for n in LISTS if parse_file(HELDOUT / n).action_items]
    dated = [n for n in EXPECTED if parse_file(HELDOUT / n).date is not None]
    with capsys.disabled():
        print(
            f"\nheld out: tables {len(read_tables)}/{len(tables)}, lists {len(read_lists)}/{len(LISTS)}, "
            f"dates {len(dated)}/{len(EXPECTED)}"
        )
    assert (len(read_tables), len(read_lists), len(dated)) == (len(tables), len(LISTS), len(EXPECTED))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_heldout_lints_without_false_alarms(name: str) -> None:
    rules = {f.code for f in lint_file(HELDOUT / name)}
    assert not rules & {"placeholder", "bad-status", "bad-date", "parse-problem", "bad-table"}
    assert ("list-action-items" in rules) == (EXPECTED[name]["source"] == "list")


@pytest.mark.parametrize("name", LISTS)
def test_migrating_keeps_the_items_and_every_byte_outside_the_lists(name: str) -> None:
    src = Source.read(HELDOUT / name)
    migration = migrate_source(src)
    assert migration.changed
    new = Source.from_bytes(migration.new.encode("utf-8"), str(HELDOUT / name))
    before, after = parse_source(src), parse_source(new)
    assert rows(after) == rows(before)
    assert {i.source for i in after.action_items} == {"table"}
    assert after.date == before.date
    blocks = read_document(src).lists
    old, lines = migration.old.splitlines(keepends=True), migration.new.splitlines(keepends=True)
    tail = len(old) - blocks[-1].end
    assert lines[: blocks[0].start] == old[: blocks[0].start]
    assert lines[len(lines) - tail :] == old[blocks[-1].end :]
    assert migrate_source(new).changed is False


def test_migrate_write_keeps_crlf_and_bom(workdir: Path, cli: Callable[..., CliResult]) -> None:
    for name in ("hl01-plus-bullets-crlf.md", "hl02-numbered-paren-subfields-bom.md"):
        shutil.copy(HELDOUT / name, workdir / name)

    result = cli("migrate", "--write", "hl01-plus-bullets-crlf.md", "hl02-numbered-paren-subfields-bom.md")

    assert result.code == 0, result.stderr
    crlf = (workdir / "hl01-plus-bullets-crlf.md").read_bytes()
    assert crlf.count(b"\n") == crlf.count(b"\r\n")
    assert (
        b"| P0 | Pin the consumer group's session timeout to 45 s | Mira Castell | 2024-03-08 |  |\r\n"
        in crlf
    )
    bom = (workdir / "hl02-numbered-paren-subfields-bom.md").read_bytes()
    assert bom.startswith(b"\xef\xbb\xbf# Image resizer") and bom.count(b"\xef\xbb\xbf") == 1


@pytest.mark.parametrize("command", ["push", "reconcile"])
def test_a_list_style_postmortem_is_refused_with_its_line_and_migrate(
    workdir: Path, cli: Callable[..., CliResult], command: str
) -> None:
    shutil.copy(HELDOUT / "hl13-dashed-trailing-fields.md", workdir / "hl13-dashed-trailing-fields.md")
    before = (workdir / "hl13-dashed-trailing-fields.md").read_bytes()

    result = cli(command, "hl13-dashed-trailing-fields.md", "--json")

    assert result.code == 1
    error = result.one()["errors"][0]  # (PAY-88, a key no route claims, is the next one)
    assert (error["code"], error["line"]) == ("list-action-items", 7)
    assert "pm-sync migrate --write hl13-dashed-trailing-fields.md" in error["hint"]
    assert (workdir / "hl13-dashed-trailing-fields.md").read_bytes() == before
    assert local_tickets(workdir) == []


def test_migrated_heldout_postmortems_push(workdir: Path, cli: Callable[..., CliResult]) -> None:
    names = ["hl10-numbered-term-categories.md", "hl13-dashed-trailing-fields.md"]
    for name in names:
        text = (
            (HELDOUT / name)
            .read_text()
            .replace("  - **Ticket:** [PAY-88](https://acme.atlassian.net/browse/PAY-88)\n", "")
        )
        (workdir / name).write_text(text)
    assert cli("migrate", "--write", *names).code == 0

    result = cli("push", *names)

    assert result.code == 0, result.stdout + result.stderr
    assert [t["summary"] for t in local_tickets(workdir)] == [
        "Rebuild the suggestion index with the visibility filter",
        "Notify the owners of affected projects",
        "Share one query builder between search and suggestions",
        "Add a test that private projects never appear in suggestions",
        "Make the charge call idempotent",
        "Reconcile duplicate charges nightly",
        "Refund every duplicate charge",
        "Add a retry budget to the payments client",
    ]
    hl13 = (workdir / names[1]).read_text()
    assert "| **Make the charge call idempotent** | @imke | 2024-11-27 | PM-5 |  |" in hl13
    assert "| Refund every duplicate charge |  |  | PM-7 | Done |" in hl13
    assert cli("reconcile", *names).code == 0


# --- the inline-field shapes the held-out documents caught ---------------------------------


@pytest.mark.parametrize(
    ("text", "action", "cells"),
    [
        (
            "Add alerting; Ticket: [ENG-12](https://acme.atlassian.net/browse/ENG-12); Owner: @bob",
            "Add alerting",
            {"ticket": "[ENG-12](https://acme.atlassian.net/browse/ENG-12)", "owner": "@bob"},
        ),
        (
            "Pin the timeout Owner: Mira Castell by Mar 8, 2024",
            "Pin the timeout",
            {"owner": "Mira Castell", "due": "Mar 8, 2024"},
        ),
        (
            "Ticket: ENG-1 due 2024-01-22 Add alerting",
            "Add alerting",
            {"ticket": "ENG-1", "due": "2024-01-22"},
        ),
        ("Drop the old `warm()` helper - done", "Drop the old `warm()` helper", {"status": "Done"}),
        ("Reconcile charges — In progress", "Reconcile charges", {"status": "In progress"}),
        (
            "**Make it idempotent** — @imke — 2024-11-27",
            "**Make it idempotent**",
            {"owner": "@imke", "due": "2024-11-27"},
        ),
        (
            "Make the send idempotent. Owner: Dana W. Due: May 2, 2024.",
            "Make the send idempotent.",
            {"owner": "Dana W", "due": "May 2, 2024"},
        ),
        (
            "Add a canary stage: owner @ben, due 2024-08-30, ticket ENG-77, priority P1",
            "Add a canary stage",
            {"due": "2024-08-30", "owner": "@ben", "ticket": "ENG-77", "priority": "P1"},
        ),
        (
            "Add alerts — [link](https://linear.app/acme/issue/ACM-12/add-alerts)",
            "Add alerts",
            {"ticket": "[ACM-12](https://linear.app/acme/issue/ACM-12/add-alerts)"},
        ),
        (
            "**P1** — Pin analyzer versions. _Owner: @mika_. _Due: 2024-09-20_.",
            "Pin analyzer versions.",
            {"owner": "@mika", "due": "2024-09-20", "priority": "P1"},
        ),
    ],
)
def test_inline_fields(text: str, action: str, cells: dict[str, str]) -> None:
    got = extract(text)
    assert (got.action, got.cells) == (action, cells)


@pytest.mark.parametrize(
    "text",
    ["Keep the queue open", "Run cd .. then rebuild", "Clean up the TODO", "Review the plan for 2024-01-22"],
)
def test_words_that_only_look_like_fields_stay_in_the_action(text: str) -> None:
    got = extract(text)
    assert (got.action, got.cells) == (text, {})


def test_a_ticket_sub_bullet_holding_a_link_fills_the_ticket() -> None:
    pm = parse_text(
        "# T\n\nDate: 2024-03-18\n\n## Next steps\n\n"
        "* Check the row count\n  - Ticket: [web#9](https://gitlab.com/acme/web/-/issues/9)\n"
        "  - Ticket link reviewed by the team\n"
    )
    (item,) = pm.action_items
    assert item.action == "Check the row count; Ticket link reviewed by the team"
    assert item.public()["ticket"] == "web#9"
    assert (
        "[web#9](https://gitlab.com/acme/web/-/issues/9)"
        in migrate_source(
            Source.from_bytes(
                b"## Next steps\n\n* Check\n  - Ticket: [web#9](https://gitlab.com/acme/web/-/issues/9)\n",
                "x.md",
            )
        ).new
    )


def test_a_tracked_in_column_is_the_ticket_column() -> None:
    pm = parse_text(
        "# T\n\nDate: 2024-03-18\n\n## Follow-up tasks\n\n"
        "| Task | Owner | PR / Issue |\n|---|---|---|\n| Fix it | @a | acme/web#3 |\n\n"
        "## Action items\n\n| Task | Tracked in |\n|---|---|\n| Fix more | ENG-4 |\n"
    )
    assert [field_text(i, "ticket") for i in pm.action_items] == ["acme/web#3", "ENG-4"]


def test_a_none_item_under_a_category_label_is_no_item() -> None:
    pm = parse_text(
        "# T\n\nDate: 2024-08-07\n\n## Action items\n\n**Detection**\n- None.\n\n"
        "**Process**\n- n/a\n\n**Tooling**\n- Add a dry run\n"
    )
    assert [i.action for i in pm.action_items] == ["Add a dry run"]


@pytest.mark.parametrize(
    ("line", "date"),
    [
        ("Date: 04/20/2024", "2024-04-20"),
        ("| Date | 20/04/2024 |\n|---|---|", "2024-04-20"),
        ("Date: 04/05/2024", None),
    ],
)
def test_a_numeric_incident_date_is_read_only_when_it_cannot_be_misread(line: str, date: str | None) -> None:
    pm = parse_text(f"# Outage\n\n{line}\n")
    assert (pm.date.isoformat() if pm.date else None) == date


def test_a_key_then_a_plain_status_word_in_the_ticket_cell_splits() -> None:
    pm = parse_text(
        "# X\n\nDate: 2024-02-02\n\n## Action items\n\n| Action | Ticket |\n|---|---|\n"
        "| One | ENG-5 done |\n| Two | acme/web#5 fixed |\n| Three | Bug 5554823 done |\n"
    )
    assert [(i.public()["ticket"], i.public()["status"]) for i in pm.action_items] == [
        ("ENG-5", "done"),
        ("acme/web#5", "done"),
        ("Bug 5554823 done", None),  # not a key: the words stay the ticket text
    ]


@pytest.mark.parametrize(
    "heading",
    ["Next Actions", "Remediation Plan", "Corrective Action Plan", "Action points", "Future improvements"],
)
def test_more_action_headings_of_the_same_lineage(heading: str) -> None:
    pm = parse_text(f"# X\n\nDate: 2024-02-02\n\n## {heading}\n\n- Add a canary @ana\n")
    assert [i.action for i in pm.action_items] == ["Add a canary"]


def test_a_mitigation_section_is_not_action_items() -> None:
    pm = parse_text("# X\n\nDate: 2024-02-02\n\n## Mitigations\n\n- Rolled back the deploy\n")
    assert pm.action_items == []
