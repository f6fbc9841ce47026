"""Action items written as lists (issue 12): bullets, numbers, checklists, categories, sub-bullets,
inline fields and status markers, read through the CLI as a user would."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from pm_sync.document.parse import parse_text
from pm_sync.document.source import Source
from pm_sync.document.writeback import CellEdit, render
from tests.conftest import CliResult

HEAD = """\
# Postmortem: Queue backlog

**Date**: 2024-01-15 | **Severity**: SEV2 | **Duration**: 40 min
**Authors**: @a | **Status**: Final

## Action items

"""


def doc(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def items(body: str) -> list[dict[str, object]]:
    """What `parse --json` shows for each item, without the line."""
    pm = parse_text(HEAD + doc(body))
    return [{k: v for k, v in i.public().items() if k != "line" and v is not None} for i in pm.action_items]


def test_parse_json_reports_list_items_with_their_source(
    workdir: Path, cli: Callable[..., CliResult]
) -> None:
    path = workdir / "postmortem-2024-01-15-queue.md"
    path.write_text(HEAD + "- [x] Add a pool limit (@bob, due 2024-01-22)\n- [ ] Alert on queue depth @amy\n")

    result = cli("parse", str(path), "--json")

    assert result.code == 0, result.stderr
    assert result.one()["action_items"] == [
        {
            "line": 8,
            "priority": None,
            "action": "Add a pool limit",
            "owner": "@bob",
            "due": "2024-01-22",
            "ticket": None,
            "status": "done",
            "source": "list",
        },
        {
            "line": 9,
            "priority": None,
            "action": "Alert on queue depth",
            "owner": "@amy",
            "due": None,
            "ticket": None,
            "status": "open",
            "source": "list",
        },
    ]


@pytest.mark.parametrize("marker", ["-", "*", "+", "1.", "1)"])
def test_every_list_marker(marker: str) -> None:
    body = f"{marker} First thing\n{marker.replace('1', '2')} Second thing\n"
    assert [i["action"] for i in items(body)] == ["First thing", "Second thing"]


@pytest.mark.parametrize(
    ("box", "status"), [("[ ]", "open"), ("[x]", "done"), ("[X]", "done"), ("[]", "open")]
)
def test_checklist_boxes(box: str, status: str) -> None:
    assert items(f"- {box} Rotate the key\n") == [
        {"action": "Rotate the key", "status": status, "source": "list"}
    ]


def test_continuation_lines_and_sub_bullets_belong_to_their_item() -> None:
    body = """
        1. Write a failover runbook
           for the primary database.
           - Owner: @carol
           - Due: 2024-02-01
           - Ticket: OPS-7
           - Priority: P1
           - cover the read replicas too
        2. Second item
        """
    assert items(body) == [
        {
            "priority": "P1",
            "action": "Write a failover runbook for the primary database. cover the read replicas too",
            "owner": "@carol",
            "due": "2024-02-01",
            "ticket": "OPS-7",
            "source": "list",
        },
        {"action": "Second item", "source": "list"},
    ]


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("P1 Add alerting", {"priority": "P1"}),
        ("[P0] Add alerting", {"priority": "P0"}),
        ("Add alerting (P2)", {"priority": "P2"}),
        ("Priority: high - Add alerting", {"priority": "P1"}),
        ("Add alerting @alice", {"owner": "@alice"}),
        ("Add alerting — @alice", {"owner": "@alice"}),
        ("Add alerting (Owner: Jane Doe)", {"owner": "Jane Doe"}),
        ("Add alerting, due 2024-01-22", {"due": "2024-01-22"}),
        ("Add alerting by Jan 22, 2024", {"due": "2024-01-22"}),
        ("Add alerting (ENG-12)", {"ticket": "ENG-12"}),
        ("Add alerting (#12)", {"ticket": "#12"}),
        ("Add alerting, tracked in org/repo#12", {"ticket": "org/repo#12"}),
        ("Add alerting https://github.com/org/repo/issues/12", {"ticket": "org/repo#12"}),
        ("Add alerting ([ENG-12](https://jira.example.com/browse/ENG-12))", {"ticket": "ENG-12"}),
        ("Add alerting (done)", {"status": "done"}),
        ("Add alerting DONE", {"status": "done"}),
        ("✅ Add alerting", {"status": "done"}),
        ("Add alerting [WIP]", {"status": "in_progress"}),
        ("#12 Add alerting", {"ticket": "#12"}),
        ("Add alerting ENG-12", {"ticket": "ENG-12"}),
        ("ENG-12: Add alerting", {"ticket": "ENG-12"}),
        ("Add alerting *(owner: Rafael, target: 2024-03-29)*", {"owner": "Rafael", "due": "2024-03-29"}),
        (
            "**Action**: Add alerting. **Owner**: @kai. **Due**: 2024-08-01",
            {"owner": "@kai", "due": "2024-08-01"},
        ),
    ],
)
def test_inline_fields(text: str, fields: dict[str, str]) -> None:
    got = items(f"- {text}\n")
    assert [{**i, "action": str(i["action"]).rstrip(".")} for i in got] == [
        {"action": "Add alerting", **fields, "source": "list"}
    ]


def test_an_item_that_is_only_a_ticket_reference() -> None:
    assert items("- [ ] #1234\n") == [
        {"action": "#1234", "ticket": "#1234", "status": "open", "source": "list"}
    ]


def test_text_that_only_looks_like_a_field_stays_in_the_action() -> None:
    body = """
        - Fix the issue: connections leak
        - Upgrade TLS-1 handling to SHA-256
        - Share the runbook with @support
        - Add a `#123` test case
        - Upgrade to PG-15
        - Clean up the TODO
        """
    assert [i["action"] for i in items(body)] == [
        "Fix the issue: connections leak",
        "Upgrade TLS-1 handling to SHA-256",
        "Share the runbook with @support",
        "Add a `#123` test case",
        "Upgrade to PG-15",
        "Clean up the TODO",
    ]
    assert all(set(i) == {"action", "source"} for i in items(body))


def test_a_link_to_a_tracker_is_the_ticket() -> None:
    body = "- [Add retries to the uploader](https://github.com/acme/api/issues/512)\n"
    assert items(body) == [
        {
            "action": "[Add retries to the uploader](https://github.com/acme/api/issues/512)",
            "ticket": "acme/api#512",
            "source": "list",
        }
    ]


def test_category_subheadings_group_items_and_a_none_category_has_none() -> None:
    body = """
        ### Process

        - Review disabled jobs weekly

        ### Detection

        None.

        ### Completed

        - Restored the DKIM record

        #### Follow-up from the review

        - Re-sent the verification emails

        ### Open

        - Alert on DMARC failures
        """
    assert items(body) == [
        {"action": "Review disabled jobs weekly", "source": "list"},
        {"action": "Restored the DKIM record", "status": "done", "source": "list"},
        {"action": "Re-sent the verification emails", "status": "done", "source": "list"},
        {"action": "Alert on DMARC failures", "status": "open", "source": "list"},
    ]


def test_bold_category_items_hold_their_sub_bullets_as_items() -> None:
    body = """
        1. **Immediate fixes:**
           - Restore the table from backup
           - Notify customers
        2. **Long-term:**
           - Map reference data by stable keys
        3. **Add alerting:**
           - Owner: @kim
        """
    assert [i["action"] for i in items(body)] == [
        "Restore the table from backup",
        "Notify customers",
        "Map reference data by stable keys",
        "**Add alerting:**",
    ]


def test_a_label_line_above_a_list_gives_its_status() -> None:
    body = """
        Done:
        - Rolled back the deploy

        Still open:
        - Add a canary stage
        """
    assert items(body) == [
        {"action": "Rolled back the deploy", "status": "done", "source": "list"},
        {"action": "Add a canary stage", "status": "open", "source": "list"},
    ]


def test_unset_items_and_lists_elsewhere_are_not_items() -> None:
    text = doc("""
        # Postmortem: X

        ## Lessons learned

        - Not an action

        ## Action items

        - None
        - N/A
        - Real one

        <details>

        - Hidden one

        </details>

        > - Quoted one
        """)
    assert [i.action for i in parse_text(text).action_items] == ["Real one"]


def test_a_table_in_the_section_wins_over_lists() -> None:
    body = """
        Notes from the meeting:

        - we talked a lot

        | Action | Owner |
        |---|---|
        | Table item | @a |
        """
    assert items(body) == [{"action": "Table item", "owner": "@a", "source": "table"}]


def test_an_unreadable_explicit_due_date_is_a_located_problem() -> None:
    pm = parse_text(HEAD + "- Add alerting\n  - Due: next sprint\n")
    assert [(i.action, i.due) for i in pm.action_items] == [("Add alerting", None)]
    assert [(p.line, p.message) for p in pm.problems] == [
        (8, "due date 'next sprint' is not a date pm-sync reads; write it as YYYY-MM-DD (e.g. 2024-01-22)")
    ]


def test_lint_points_list_items_at_migrate(workdir: Path, cli: Callable[..., CliResult]) -> None:
    path = workdir / "postmortem-2024-01-15-queue.md"
    path.write_text(HEAD + "- Add a pool limit (@bob, due 2024-01-22)\n")

    result = cli("lint", str(path), "--json")

    found = [f for f in result.json() if f["code"] == "list-action-items"]
    assert [(f["line"], f["severity"]) for f in found] == [(8, "warning")]
    assert f"pm-sync migrate {path}" in found[0]["message"]


def test_list_items_are_never_written_back() -> None:
    text = HEAD + "- Add a pool limit (@bob)\n"
    src = Source.from_bytes(text.encode(), "x.md")
    pm = parse_text(text, "x.md")

    new, result = render(src, pm, [CellEdit(pm.action_items[0].uid, "ticket", "PM-1")])

    assert new == text
    assert [e.value for e in result.missing] == ["PM-1"]
