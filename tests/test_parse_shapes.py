"""`pm-sync parse` on whole documents in the shapes teams publish them: an SRE-book style
front matter with a Type column and a linked bug, PagerDuty's setext headings and split
subsections, Atlassian's tables without outer pipes, GitLab's H1 sections, decoys in comments,
`<details>` and code, a placeholder link as a Ticket, a table nested in a list item.

Each test is one story: the document written whole, run through the CLI, exact expectations.
"""

from __future__ import annotations

from pathlib import Path

from tests.shapes_support import GITLAB, doc, item

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


def test_gitlab_h1_sections_parse(workdir: Path, cli) -> None:
    path = workdir / "postmortem-2024-10-01-replication-lag.md"
    path.write_text(GITLAB)

    data = cli("parse", str(path), "--json").one()

    assert data["title"] == "Database replication lag on the primary cluster"
    assert data["action_items"] == [
        item(29, "Tune autovacuum thresholds", priority="P1", owner="@mo", due="2024-10-08", ticket="#123")
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
