"""Postmortems in shapes the rest of the suite never wrote: a QA pass against issues 2 and 3.

Each test is one story: a document as a real team would write it (Google SRE book, PagerDuty,
Atlassian, GitLab handbook, the house template), run through the CLI, and exact expectations.
Every bug this pass found is fixed; its test stays here as a regression test.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from tests.conftest import local_tickets


def doc(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def item(line: int, action: str, **values: object) -> dict[str, object]:
    base: dict[str, object] = {
        "line": line,
        "priority": None,
        "action": action,
        "owner": None,
        "due": None,
        "ticket": None,
        "status": None,
        "source": "table",
    }
    base.update(values)
    return base


def findings(result: Any, *rules: str) -> list[tuple[int | None, str]]:
    return [(f["line"], f["code"]) for f in result.json() if not rules or f["code"] in rules]


FINAL_HEAD = """\
# Postmortem: {title}

**Date**: 2024-01-15 | **Severity**: SEV2 | **Duration**: 4 min
**Authors**: @a | **Status**: Final

"""

# Sections every standard postmortem needs, so lint findings below are only the ones under test.
GOOD_BODY = """\
## Executive Summary

Payments failed for a few minutes.

## Timeline (UTC)

| Time | Event |
|---|---|
| 10:00 | Alert |

## Root Cause Analysis

- Why did it fail? → pool exhausted
- Why exhausted? → connection per request
- Why per request? → no shared helper

"""


# --- parse: real-world shapes that already work (regression tests) -----------------------


SRE_BOOK = doc("""
    ---
    title: "Shakespeare Sonnet++ Postmortem (incident #465)"
    date: 2024-03-02
    severity: SEV1
    status: Final
    duration: 66 min
    authors:
      - jennifer
      - martym
    ---

    # Shakespeare Sonnet++ Postmortem (incident #465)

    ## Summary

    Shakespeare Search down for 66 minutes.

    ## Action Items

    | Action Item | Type | Owner | Bug |
    |---|---|---|---|
    | Update playbook for cascading failure | mitigate | jennifer | N/A |
    | Fix file descriptor leak | prevent | agoogler | [Bug 5554825](https://bugs.example.com/5554825) |

    ## Lessons Learned

    | Worked | Didn't |
    |---|---|
    | Monitoring | Load shedding |
""")


def test_sre_book_shape_front_matter_type_column_and_linked_bug(workdir: Path, cli) -> None:
    path = workdir / "postmortem-2024-03-02-sonnet.md"
    path.write_text(SRE_BOOK)

    result = cli("parse", str(path), "--json")

    assert result.code == 0, result.stderr
    assert result.one() == {
        "path": str(path),
        "title": "Shakespeare Sonnet++ Postmortem (incident #465)",
        "date": "2024-03-02",
        "severity": "SEV1",
        "duration": "66 min",
        "authors": ["jennifer", "martym"],
        "status": "Final",
        "action_items": [
            item(22, "Update playbook for cascading failure", owner="jennifer"),
            item(23, "Fix file descriptor leak", owner="agoogler", ticket="Bug 5554825"),
        ],
        "problems": [],
    }


PAGERDUTY = doc("""
    Postmortem: Checkout latency spike
    ==================================

    **Date**: April 10, 2024 | **Severity**: SEV2
    **Duration**: 1h 12m
    **Authors**: @erin, @frank
    **Status**: Final

    Summary
    -------

    Checkout p99 latency went above 5 s.

    ## 5. Action Items

    ### Prevent

    | # | Priority | Task | Assignee | Due Date | Jira | Notes |
    |--:|:--------:|:-----|:---------|:--------:|------|-------|
    | 1 | High | Add index on `orders.created_at` | @erin | Apr 17, 2024 | | migration |
    | 2 | critical | Alert on p99 > 2 s | @frank | 17 Apr 2024 | [OPS-12](https://jira.test/OPS-12) | |

    ### Mitigate

    | # | Priority | Task | Assignee | Due Date | Jira |
    |---|---|---|---|---|---|
    | 3 | Medium | Load-shed `/checkout` | @frank | April 30, 2024 |
    | 4 | low | Runbook: slow queries | @erin | 2024/05/15 | OPS-14 |

    ## 6. Appendix

    | Priority | Action | Owner | Due |
    |---|---|---|---|
    | P0 | Decoy after the section | @nobody | 2024-01-01 |
""")


def test_pagerduty_shape_setext_numbered_split_subsections(workdir: Path, cli) -> None:
    path = workdir / "postmortem-2024-04-10-checkout.md"
    path.write_text(PAGERDUTY)

    data = cli("parse", str(path), "--json").one()

    assert (data["title"], data["date"], data["duration"], data["authors"], data["status"]) == (
        "Checkout latency spike",
        "2024-04-10",
        "1h 12m",
        ["@erin", "@frank"],
        "Final",
    )
    assert data["action_items"] == [
        item(20, "Add index on `orders.created_at`", priority="P1", owner="@erin", due="2024-04-17"),
        item(21, "Alert on p99 > 2 s", priority="P0", owner="@frank", due="2024-04-17", ticket="OPS-12"),
        item(27, "Load-shed `/checkout`", priority="P2", owner="@frank", due="2024-04-30"),
        item(28, "Runbook: slow queries", priority="P3", owner="@erin", due="2024-05-15", ticket="OPS-14"),
    ]
    assert data["problems"] == []


ATLASSIAN = doc("""
    # Postmortem: Confluence search degraded

    **Date**: 2024-05-20 | **Severity**: SEV2 | **Duration**: 3 h
    **Authors**: @gina | **Status**: Final

    ## Timeline

    ```
    | Priority | Action | Owner | Due |
    |---|---|---|---|
    | P0 | Not a real row (code fence) | @x | 2024-01-01 |
    ```

    ## Corrective and Preventative Measures:

    **Priority** | **Description** | **Responsible** | **Target date** | **Tracking bug** | **State**
    :---|:---|:---|---|---|---
    Critical | Make index rebuild incremental | @gina | 2024-06-01 | SRCH-1 | In progress
    High | Alert when index lag > 5 min | @hal | 2024-06-15 | | Completed
    Medium | Run rebuild off-peak (`cron \\| at`) | @gina | TBD | N/A | Won't fix
    Low | Document `a\\|b` pattern | @hal
""")


def test_atlassian_shape_no_outer_pipes_bold_headers_placeholders(workdir: Path, cli) -> None:
    path = workdir / "postmortem-2024-05-20-search.md"
    path.write_text(ATLASSIAN)

    data = cli("parse", str(path), "--json").one()

    assert data["action_items"] == [
        item(
            18,
            "Make index rebuild incremental",
            priority="P0",
            owner="@gina",
            due="2024-06-01",
            ticket="SRCH-1",
            status="in_progress",
        ),
        item(
            19, "Alert when index lag > 5 min", priority="P1", owner="@hal", due="2024-06-15", status="done"
        ),
        item(20, "Run rebuild off-peak (`cron | at`)", priority="P2", owner="@gina", status="dropped"),
        item(21, "Document `a|b` pattern", priority="P3", owner="@hal"),
    ]
    assert data["problems"] == []


DECOYS = doc("""
    # Postmortem: Queue backlog

    ## Action items

    <!--
    | Priority | Action | Owner | Due |
    |---|---|---|---|
    | P0 | commented-out row | @x | 2024-01-01 |
    -->

    <details>
    <summary>Old items</summary>

    | Priority | Action | Owner | Due |
    |---|---|---|---|
    | P0 | details row | @x | 2024-01-01 |

    </details>

    ~~~markdown
    | Priority | Action | Owner | Due |
    |---|---|---|---|
    | P0 | tilde fence row | @x | 2024-01-01 |
    ~~~

        | Priority | Action | Owner | Due |
        |---|---|---|---|
        | P0 | indented code row | @x | 2024-01-01 |

    | Priority | Action | Owner | Due |
    |---|---|---|---|
    | P1 | The real one | @ivan | 2024-07-11 |
""")


def test_decoys_in_comment_details_tilde_fence_and_indented_code(workdir: Path, cli) -> None:
    path = workdir / "pm.md"
    path.write_text(DECOYS)

    data = cli("parse", str(path), "--json").one()

    assert data["action_items"] == [item(32, "The real one", priority="P1", owner="@ivan", due="2024-07-11")]
    assert data["problems"] == []


# --- push: byte-exact write-back on unusual files (regression tests) -----------------------


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


def test_dry_run_and_draft_touch_nothing(workdir: Path, cli) -> None:
    text = FINAL_HEAD.format(title="X") + doc("""
        ## Action items

        | Priority | Action | Owner | Due |
        |---|---|---|---|
        | P1 | x | @a | 2024-01-22 |
    """)
    path = workdir / "postmortem-2024-01-15-x.md"
    path.write_text(text)
    assert cli("push", str(path), "--dry-run", "--json").code == 0
    assert path.read_text() == text and not (workdir / ".pm-sync").exists()

    path.write_text(text.replace("**Status**: Final", "**Status**: Draft"))
    draft = cli("push", str(path), "--json")
    assert draft.code == 1
    assert path.read_text() == text.replace("**Status**: Final", "**Status**: Draft")


# --- bugs --------------------------------------------------------------------------------


SURPLUS = FINAL_HEAD.format(title="Surplus") + doc("""
    ## Action items

    | Priority | Action | Owner | Due |
    |---|---|---|---|
    | P1 | Fine row | @a | 2024-01-22 |
    | P1 | Row with a surplus cell | @a | 2024-01-23 | surplus |
""")


def test_row_with_surplus_cells_fails_before_any_ticket_is_created(workdir: Path, cli) -> None:
    path = workdir / "postmortem-2024-01-15-surplus.md"
    path.write_text(SURPLUS)

    result = cli("push", str(path), "--json")

    assert result.code == 1
    assert [e["line"] for e in result.one()["errors"]] == [11]
    assert result.one()["created"] == []
    assert path.read_text() == SURPLUS
    db = workdir / ".pm-sync" / "local.db"
    assert not db.exists() or local_tickets(workdir) == []


def test_dry_run_reports_the_surplus_cell_row(workdir: Path, cli) -> None:
    path = workdir / "postmortem-2024-01-15-surplus.md"
    path.write_text(SURPLUS)

    result = cli("push", str(path), "--dry-run", "--json")

    assert result.code == 1
    assert [e["line"] for e in result.one()["errors"]] == [11]


GITLAB = doc("""
    ---
    title: "Database replication lag on the primary cluster"
    date: 2024-10-01
    severity: SEV2
    status: Final
    duration: 2h 5m
    authors: ["@mo", "@nia"]
    ---

    # Summary

    Replication lag reached 40 minutes; writes were paused for 2 hours.

    # Timeline

    - 08:00 lag alert fires
    - 10:05 writes resumed

    # Root Cause Analysis

    1. Why were writes paused? Lag exceeded the safety threshold.
    2. Why did lag grow? A long-running vacuum held locks.
    3. Why was vacuum long-running? Autovacuum thresholds were too high.

    # Corrective actions

    | Priority | Action | DRI | Due date | Issue |
    |---|---|---|---|---|
    | P1 | Tune autovacuum thresholds | @mo | 2024-10-08 | #123 |
""")


def test_gitlab_h1_sections_parse(workdir: Path, cli) -> None:
    path = workdir / "postmortem-2024-10-01-replication-lag.md"
    path.write_text(GITLAB)

    data = cli("parse", str(path), "--json").one()

    assert data["title"] == "Database replication lag on the primary cluster"
    assert data["action_items"] == [
        item(29, "Tune autovacuum thresholds", priority="P1", owner="@mo", due="2024-10-08", ticket="#123")
    ]


def test_lint_sees_h1_sections_when_the_title_is_in_front_matter(workdir: Path, cli) -> None:
    path = workdir / "postmortem-2024-10-01-replication-lag.md"
    path.write_text(GITLAB)

    result = cli("lint", str(path), "--json")

    assert findings(result) == []
    assert result.code == 0


def test_lint_does_not_call_two_project_hints_a_duplicate_ticket(workdir: Path, cli) -> None:
    path = workdir / "postmortem-2024-01-15-hints.md"
    path.write_text(
        FINAL_HEAD.format(title="Hints")
        + GOOD_BODY
        + doc("""
        ## Action items

        | Priority | Action | Owner | Due | Ticket |
        |---|---|---|---|---|
        | P1 | First | @a | 2024-01-22 | OPS-? |
        | P2 | Second | @a | 2024-01-23 | OPS-? |
    """)
    )

    result = cli("lint", str(path), "--json")

    assert findings(result, "duplicate-ticket") == []


def test_same_file_name_in_two_folders_gets_two_tickets(workdir: Path, cli) -> None:
    paths = []
    for team, owner, due in (("payments", "@a", "2024-01-21"), ("search", "@b", "2024-01-22")):
        folder = workdir / "docs" / team
        folder.mkdir(parents=True)
        path = folder / "postmortem-2024-01-15-outage.md"
        path.write_text(
            FINAL_HEAD.format(title=f"{team} outage")
            + doc(f"""
            ## Action items

            | Priority | Action | Owner | Due |
            |---|---|---|---|
            | P1 | Add alerting | {owner} | {due} |
        """)
        )
        paths.append(path)

    first = cli("push", str(paths[0]), "--json").one()
    second = cli("push", str(paths[1]), "--json").one()

    assert first["created"] == ["PM-1"]
    assert second["created"] == ["PM-2"]
    assert [(t["key"], t["owner"], t["due"]) for t in local_tickets(workdir)] == [
        ("PM-1", "@a", "2024-01-21"),
        ("PM-2", "@b", "2024-01-22"),
    ]


def test_link_whose_text_is_a_placeholder_is_an_unset_ticket(workdir: Path, cli) -> None:
    path = workdir / "pm.md"
    path.write_text(
        doc("""
        ## Action items

        | Priority | Action | Owner | Due | Ticket |
        |---|---|---|---|---|
        | P1 | File the ticket later | @a | 2024-01-22 | [TBD](https://jira.example.com/new) |
    """)
    )

    data = cli("parse", str(path), "--json").one()

    assert data["action_items"] == [
        item(5, "File the ticket later", priority="P1", owner="@a", due="2024-01-22")
    ]


def test_human_error_ruled_out_is_not_flagged(workdir: Path, cli) -> None:
    path = workdir / "postmortem-2024-01-15-ruled-out.md"
    path.write_text(
        FINAL_HEAD.format(title="Ruled out")
        + GOOD_BODY.replace(
            "- Why per request? → no shared helper\n",
            "- Why per request? → no shared helper\n\n"
            "Human error was ruled out as a root cause; the missing helper is the gap.\n",
        )
        + doc("""
        ## Action items

        | Priority | Action | Owner | Due |
        |---|---|---|---|
        | P1 | Add a shared pool helper | @a | 2024-01-22 |
    """)
    )

    result = cli("lint", str(path), "--json")

    assert findings(result, "human-error-root-cause") == []


def test_nobody_is_to_blame_is_not_blame_language(workdir: Path, cli) -> None:
    path = workdir / "postmortem-2024-01-15-nobody.md"
    path.write_text(
        FINAL_HEAD.format(title="Nobody")
        + GOOD_BODY.replace(
            "Payments failed for a few minutes.",
            "Payments failed for a few minutes. Nobody is to blame; the pool had no guard.",
        )
        + doc("""
        ## Action items

        | Priority | Action | Owner | Due |
        |---|---|---|---|
        | P1 | Add a pool guard | @a | 2024-01-22 |
    """)
    )

    result = cli("lint", str(path), "--json")

    assert findings(result, "blame-language") == []


def test_push_then_reconcile_keeps_done_and_wont_fix_rows(workdir: Path, cli) -> None:
    path = workdir / "postmortem-2024-01-15-statuses.md"
    path.write_text(
        FINAL_HEAD.format(title="Statuses")
        + doc("""
        ## Action items

        | Priority | Action | Owner | Due | Status | Ticket |
        |---|---|---|---|---|---|
        | P1 | Done during the incident | @a | 2024-01-22 | Done | |
        | P2 | Not worth it | @a | 2024-01-23 | Won't fix | |
    """)
    )
    assert cli("push", str(path)).code == 0
    pushed = path.read_text()

    cli("reconcile", str(path), "--json")

    assert path.read_text() == pushed


def test_table_nested_in_a_list_item_under_the_heading_counts(workdir: Path, cli) -> None:
    path = workdir / "pm.md"
    path.write_text(
        doc("""
        ## Follow-ups

        - Short term:

          | Priority | Action | Owner | Due |
          |---|---|---|---|
          | P1 | Add the alert | @a | 2024-01-22 |
    """)
    )

    data = cli("parse", str(path), "--json").one()

    assert data["action_items"] == [item(7, "Add the alert", priority="P1", owner="@a", due="2024-01-22")]
