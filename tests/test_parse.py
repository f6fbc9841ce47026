"""Parsing postmortems: the "Parsing" section of issue 2, one user story per test.

Documents are written inline with `doc()` (dedented, first line is line 1) so every expected
`line` can be checked by eye against the text right above it.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from pm_sync.document.model import ItemStatus, Postmortem, Priority
from pm_sync.document.parse import (
    header_field,
    inline_plain,
    is_action_heading,
    normalize_heading,
    parse_file,
    parse_source,
    parse_text,
)
from pm_sync.document.source import Source
from pm_sync.document.tables import is_placeholder_action
from pm_sync.document.values import is_unset
from pm_sync.errors import DocumentError
from tests.shapes_support import item

DATA = Path(__file__).parent / "data" / "parse"


def doc(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def parse(text: str) -> Postmortem:
    return parse_text(doc(text))


def rows(pm: Postmortem) -> list[dict[str, object]]:
    return [item.public() for item in pm.action_items]


def actions(pm: Postmortem) -> list[str | None]:
    return [item.action for item in pm.action_items]


def problems(pm: Postmortem) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in pm.problems]


def one_table(header: str, *body: str, heading: str = "## Action items") -> str:
    """A document whose action table header is on line 3 and first body row on line 5."""
    return "\n".join([heading, "", header, "|" + "---|" * max(1, header.count("|") - 1), *body])


# --- the house template -------------------------------------------------------------------


def test_standard_template_gives_the_documented_json() -> None:
    pm = parse_file(DATA / "standard.md")
    assert pm.public() == {
        "path": str(DATA / "standard.md"),
        "title": "Payment API outage",
        "date": "2024-01-15",
        "severity": "SEV2",
        "duration": "47 min",
        "authors": ["@alice", "@bob"],
        "status": "Draft",
        "action_items": [
            item(
                43,
                "Integration test for connection pool",
                priority="P0",
                owner="@alice",
                due="2024-01-22",
                ticket="ENG-1234",
            ),
            item(
                44,
                "Lower DB alert threshold to 70%",
                priority="P0",
                owner="@bob",
                due="2024-01-17",
                ticket="OPS-567",
            ),
            item(
                45,
                "Document connection management patterns",
                priority="P1",
                owner="@alice",
                due="2024-01-29",
                ticket="DOC-89",
            ),
            item(
                46,
                "Evaluate canary deployment",
                priority="P2",
                owner="@charlie",
                due="2024-02-15",
                ticket="ENG-1235",
            ),
        ],
        "problems": [],
    }
    json.dumps(pm.public())  # the --json shape is plain JSON
    assert pm.metadata_lines == {
        "date": 3,
        "severity": 3,
        "duration": 3,
        "authors": 4,
        "status": 4,
    }
    assert pm.quick is False
    assert len(pm.tables) == 1
    assert pm.tables[0].header_line == 41
    assert pm.tables[0].delimiter_line == 42
    assert pm.tables[0].row_lines == (43, 44, 45, 46)
    assert pm.tables[0].columns == {
        "priority": 0,
        "action": 1,
        "owner": 2,
        "due": 3,
        "ticket": 4,
    }


def test_quick_template_reads_title_and_metadata_and_has_no_items() -> None:
    pm = parse_file(DATA / "quick.md")
    assert pm.title == "Cache stampede"
    assert pm.quick is True
    assert (pm.date, pm.duration, pm.severity) == (dt.date(2024, 3, 2), "12 min", "SEV3")
    assert pm.status is None
    assert pm.authors == []
    assert pm.action_items == []
    assert pm.problems == []


# --- metadata -----------------------------------------------------------------------------


def test_front_matter_supplies_every_metadata_field_with_its_line() -> None:
    pm = parse("""
        ---
        title: Checkout latency
        date: 2024-02-03
        severity: SEV1
        status: Final
        duration: 2h 5m
        authors:
          - "@dana"
          - "@eve"
        ---
        # Postmortem: Ignored because front matter has a title

        **Date**: 2023-12-31 | **Severity**: SEV4
        """)
    assert pm.title == "Checkout latency"
    assert pm.date == dt.date(2024, 2, 3)
    assert (pm.severity, pm.status, pm.duration) == ("SEV1", "Final", "2h 5m")
    assert pm.authors == ["@dana", "@eve"]
    assert pm.metadata_lines == {
        "title": 2,
        "severity": 4,
        "status": 5,
        "duration": 6,
        "date": 3,
        "authors": 7,
    }
    assert pm.problems == []


def test_front_matter_authors_may_be_one_string_and_date_a_quoted_string() -> None:
    pm = parse("""
        ---
        date: "Jan 5, 2024"
        authors: "@a, @b and @c"
        ---
        # Postmortem: Disk full
        """)
    assert pm.date == dt.date(2024, 1, 5)
    assert pm.authors == ["@a", "@b", "@c"]
    assert pm.title == "Disk full"


def test_front_matter_with_a_bad_date_is_a_located_problem() -> None:
    pm = parse("""
        ---
        title: X
        date: next tuesday
        ---
        """)
    assert pm.date is None
    assert problems(pm) == [(3, "date 'next tuesday' is not a date; use YYYY-MM-DD")]


def test_invalid_yaml_front_matter_is_a_located_problem() -> None:
    pm = parse("""
        ---
        title: [unclosed
        ---
        # Postmortem: Still parsed
        """)
    assert pm.title == "Still parsed"
    assert len(pm.problems) == 1
    assert pm.problems[0].line is not None and pm.problems[0].line >= 2
    assert pm.problems[0].message.startswith("front matter is not valid YAML")


def test_bold_metadata_over_several_lines_and_paragraphs() -> None:
    pm = parse("""
        # Postmortem: Queue backlog

        **Date:** 2024-04-01 | **Severity:** SEV2
        **Duration**: 3 hours\\
        __Authors__: @kim; @lee

        **Status**: *In review*

        ## Summary

        **Status**: Final
        """)
    assert pm.date == dt.date(2024, 4, 1)
    assert (pm.severity, pm.duration, pm.status) == ("SEV2", "3 hours", "In review")
    assert pm.authors == ["@kim", "@lee"]
    assert pm.metadata_lines == {
        "date": 3,
        "severity": 3,
        "duration": 4,
        "authors": 5,
        "status": 7,
    }


@pytest.mark.parametrize(
    ("line", "field", "value"),
    [
        ("**Date**: 2024-01-15", "date", dt.date(2024, 1, 15)),
        ("**Date:** 2024-01-15", "date", dt.date(2024, 1, 15)),
        ("__Date__: January 15, 2024", "date", dt.date(2024, 1, 15)),
        ("**Date**:2024/01/15", "date", dt.date(2024, 1, 15)),
        ("**Incident date**: 15 Jan 2024", "date", dt.date(2024, 1, 15)),
        ("**Sev**: SEV1", "severity", "SEV1"),
        ("**Severity**: **SEV1**", "severity", "SEV1"),
        ("**Author(s)**: @a, @b", "authors", ["@a", "@b"]),
        ("**Author**: @a", "authors", ["@a"]),
        ("**Duration**: 47 min  ", "duration", "47 min"),
        ("**Status**: Draft", "status", "Draft"),
    ],
)
def test_bold_metadata_key_spellings(line: str, field: str, value: object) -> None:
    pm = parse_text(f"# Postmortem: X\n\n{line}\n")
    assert getattr(pm, field) == value
    assert pm.metadata_lines == {field: 3}


def test_front_matter_wins_over_bold_lines() -> None:
    pm = parse("""
        ---
        severity: SEV1
        ---
        # Postmortem: X

        **Date**: 2024-01-02 | **Severity**: SEV3
        """)
    assert pm.severity == "SEV1"
    assert pm.date == dt.date(2024, 1, 2)
    assert pm.metadata_lines == {"severity": 2, "date": 6}


def test_bold_date_that_is_not_a_date_is_a_located_problem_never_a_guess() -> None:
    pm = parse("""
        # Postmortem: X

        **Date**: 01/02/2024 | **Severity**: SEV2
        """)
    assert pm.date is None
    assert pm.severity == "SEV2"
    assert problems(pm) == [(3, "date '01/02/2024' is not a date; use YYYY-MM-DD")]


def test_unset_metadata_values_are_none() -> None:
    pm = parse("""
        # Postmortem: X

        **Date**: TBD | **Severity**: — | **Duration**: ? | **Authors**: N/A | **Status**:
        """)
    assert (pm.date, pm.severity, pm.duration, pm.status) == (None, None, None, None)
    assert pm.authors == []
    assert pm.problems == []


@pytest.mark.parametrize(
    ("heading", "title"),
    [
        ("# Postmortem: Payment outage", "Payment outage"),
        ("# Quick Postmortem: Cache flush", "Cache flush"),
        ("# postmortem:   Lowercase prefix", "Lowercase prefix"),
        ("# Post-mortem - Hyphenated", "Hyphenated"),
        ("# QUICK POSTMORTEM: Shouting", "Shouting"),
        ("# Payment outage", "Payment outage"),
        ("# Postmortem: *Payment* outage in [EU](https://x)", "Payment outage in EU"),
        ("# Postmortem: Café ☕ outage", "Café ☕ outage"),
        ("Postmortem: Setext title\n=========", "Setext title"),
        ("# The postmortem: not a prefix", "The postmortem: not a prefix"),
    ],
)
def test_title_is_first_h1_without_postmortem_prefix(heading: str, title: str) -> None:
    pm = parse_text(heading + "\n\n# Postmortem: Second H1\n")
    assert pm.title == title


def test_title_comes_from_the_first_h1_even_after_other_headings() -> None:
    pm = parse("""
        ## Draft notes

        # Postmortem: Real title
        """)
    assert pm.title == "Real title"


def test_no_h1_means_no_title() -> None:
    assert parse("## Action items\n").title is None


# --- which headings start an action-items section ------------------------------------------


ACTION_HEADINGS = [
    "Action items",
    "Action Items",
    "ACTION ITEMS",
    "Action item",
    "Action items & follow-ups",
    "Action Items and Follow-ups",
    "Action items & follow ups",
    "Action items / Follow-ups",
    "Action Items + Followups",
    "Follow-ups",
    "Follow ups",
    "Followups",
    "Follow-up actions",
    "Corrective actions",
    "Corrective and preventative measures",
    "Corrective and Preventative Actions",
    "Corrective and preventive measures",
    "Remediation",
    "Remediation items",
    "Next steps",
    "5. Action items",
    "5) Action items",
    "2.3 Next steps",
    "IV. Remediation",
    "Action items:",
    "Action Items (owner: SRE):",
    "5. Action Items (owner: SRE):",
    "Action items (as of 2024-01-20)",
    "**Action items**",
    "_Action items_",
    "[Action items](#action-items)",
    "**5. Action items:**",
    "`Action items`",
    "✅ Action items",
    "Action items ##",
]


@pytest.mark.parametrize("heading", ACTION_HEADINGS)
def test_heading_variants_start_an_action_items_section(heading: str) -> None:
    pm = parse_text(one_table("| Action |", "| Do it |", heading=f"## {heading}"))
    assert rows(pm) == [item(5, "Do it")]
    assert is_action_heading(heading)


@pytest.mark.parametrize(
    "heading",
    [
        "Timeline",
        "What worked / what didn't",
        "Action items review",
        "Actions taken",
        "Lessons learned",
        "Remediation timeline",
        "Open action items and owners",
        "Items",
        "Next step forward",
    ],
)
def test_other_headings_do_not(heading: str) -> None:
    pm = parse_text(one_table("| Action |", "| Do it |", heading=f"## {heading}"))
    assert pm.action_items == []
    assert not is_action_heading(heading)


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("5. Action Items (owner: SRE):", "action items"),
        ("**Action items**", "action items"),
        ("[Action items](#x)", "action items"),
        ("Action Items & Follow-ups", "action items & follow-ups"),
        ("  Next   Steps :", "next steps"),
        ("🔥 Remediation 🔥", "remediation"),
    ],
)
def test_normalize_heading(raw: str, norm: str) -> None:
    assert normalize_heading(raw) == norm


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5, 6])
def test_action_heading_at_any_atx_level(level: int) -> None:
    pm = parse_text(one_table("| Action |", "| Do it |", heading="#" * level + " Action items"))
    assert actions(pm) == ["Do it"]


@pytest.mark.parametrize("underline", ["============", "------------", "="])
def test_setext_action_heading(underline: str) -> None:
    pm = parse_text(f"Action items\n{underline}\n\n| Action |\n|---|\n| Do it |\n")
    assert rows(pm) == [item(6, "Do it")]


def test_section_includes_subsections_and_ends_at_next_same_level_heading() -> None:
    pm = parse("""
        # Postmortem: Split tables

        ## Action items

        ### Prevent

        | Priority | Action | Owner |
        |---|---|---|
        | P0 | Add pool limit | @a |

        #### Notes

        | Action | Owner |
        |---|---|
        | Deep subsection item | @b |

        ### Detect

        | Action | Due |
        |---|---|
        | Alert on saturation | 2024-05-01 |

        ## Lessons learned

        | Action | Owner |
        |---|---|
        | Not an action item | @z |

        # Appendix

        | Action |
        |---|
        | Also not |
        """)
    assert rows(pm) == [
        item(9, "Add pool limit", priority="P0", owner="@a"),
        item(15, "Deep subsection item", owner="@b"),
        item(21, "Alert on saturation", due="2024-05-01"),
    ]
    assert [t.header_line for t in pm.tables] == [7, 13, 19]
    assert [i.table for i in pm.action_items] == [0, 1, 2]


def test_section_under_h3_ends_at_an_h2() -> None:
    pm = parse("""
        ## Follow-up

        ### Next steps

        | Action |
        |---|
        | In |

        ## Other

        | Action |
        |---|
        | Out |
        """)
    assert actions(pm) == ["In"]


def test_two_action_sections_both_count() -> None:
    pm = parse("""
        ## Action items

        | Action |
        |---|
        | First |

        ## Timeline

        | Action |
        |---|
        | Decoy |

        ## Follow-ups

        | Task |
        |---|
        | Second |
        """)
    assert rows(pm) == [item(5, "First"), item(17, "Second")]


def test_a_nested_action_heading_does_not_shorten_the_outer_section() -> None:
    pm = parse("""
        ## Action items

        ### Follow-ups

        | Action |
        |---|
        | A |

        ### Prevent

        | Action |
        |---|
        | B |
        """)
    assert actions(pm) == ["A", "B"]


# --- decoy tables -------------------------------------------------------------------------


def test_tables_outside_action_sections_never_count() -> None:
    pm = parse("""
        | Action | Owner |
        |---|---|
        | Before any heading | @x |

        # Postmortem: X

        | Action | Owner |
        |---|---|
        | Under the title | @x |

        ## Timeline (UTC)

        | Time | Event |
        |---|---|
        | 14:23 | deployed |

        ## What worked / what didn't

        | Worked | Didn't work |
        |---|---|
        | Alert fired | No canary |
        """)
    assert pm.action_items == []
    assert pm.tables == []
    assert pm.problems == []


def test_tables_in_code_blocks_inside_the_section_never_count() -> None:
    pm = parse("""
        ## Action items

        ```markdown
        | Action | Owner |
        |---|---|
        | In a backtick fence | @x |
        ```

        ~~~
        | Action |
        |---|
        | In a tilde fence |
        ~~~

            | Action |
            |---|
            | In indented code |

        | Action |
        |---|
        | Real |
        """)
    assert rows(pm) == [item(21, "Real")]


def test_tables_in_html_blocks_never_count() -> None:
    pm = parse("""
        ## Action items

        <div class="old">
        | Action |
        |---|
        | In a div |
        </div>

        <!--
        | Action |
        |---|

        | In a comment, even across a blank line |
        -->

        <table><tr><td>HTML table</td></tr></table>

        | Action |
        |---|
        | Real |
        """)
    assert rows(pm) == [item(20, "Real")]


def test_tables_in_details_never_count_even_with_blank_lines_inside() -> None:
    pm = parse("""
        ## Action items

        <details>
        <summary>Superseded items</summary>

        | Action | Owner |
        |---|---|
        | Hidden | @x |

        </details>

        | Action | Owner |
        |---|---|
        | Visible | @y |

        <details><summary>More</summary>

        | Action |
        |---|
        | Also hidden |

        <details>

        | Action |
        |---|
        | Nested hidden |

        </details>

        | Action |
        |---|
        | Still inside the outer details |

        </details>

        | Action |
        |---|
        | Visible again |
        """)
    assert rows(pm) == [item(14, "Visible", owner="@y"), item(38, "Visible again")]


def test_headings_inside_details_neither_start_nor_end_a_section() -> None:
    pm = parse("""
        # Postmortem: X

        <details>

        ## Action items

        </details>

        | Action |
        |---|
        | Not in a section |

        ## Action items

        <details>

        ## Archive

        </details>

        | Action |
        |---|
        | Still in the section |
        """)
    assert rows(pm) == [item(23, "Still in the section")]


def test_details_mentioned_in_a_table_cell_or_code_span_does_not_hide_what_follows() -> None:
    pm = parse("""
        ## Action items

        Wrap old items in `<details>` please.

        | Action |
        |---|
        | Stop using <details> for tables |
        | Next one |

        | Action |
        |---|
        | Later table |
        """)
    assert actions(pm) == ["Stop using <details> for tables", "Next one", "Later table"]


# --- columns ------------------------------------------------------------------------------


SYNONYMS = {
    "priority": ["Priority", "Pri", "P"],
    "action": [
        "Action",
        "Action item",
        "Action item description",
        "Item",
        "Task",
        "Description",
        "Follow-up",
    ],
    "owner": ["Owner", "Assignee", "Who", "DRI", "Responsible"],
    "due": ["Due", "Due date", "Deadline", "Target date", "ETA"],
    "ticket": ["Ticket", "Issue", "Jira", "Bug", "Bug #", "Tracking bug", "Tracker", "Tracking", "Link"],
    "status": ["Status", "State"],
}
SAMPLE = {
    "priority": ("P1", "P1"),
    "owner": ("@ann", "@ann"),
    "due": ("2024-06-30", "2024-06-30"),
    "ticket": ("ENG-7", "ENG-7"),
    "status": ("Done", "done"),
}


@pytest.mark.parametrize(("field", "name"), [(f, n) for f, names in SYNONYMS.items() for n in names])
def test_column_synonyms(field: str, name: str) -> None:
    assert header_field(name) == field
    assert header_field(name.upper()) == field
    assert header_field(f"**{name}**") == field
    if field == "action":
        pm = parse_text(one_table(f"| {name} |", "| Fix it |"))
        assert rows(pm) == [item(5, "Fix it")]
    else:
        cell, value = SAMPLE[field]
        pm = parse_text(one_table(f"| Action | {name} |", f"| Fix it | {cell} |"))
        assert rows(pm) == [item(5, "Fix it", **{field: value})]


def test_columns_in_any_order_bold_headers_and_extra_columns_ignored() -> None:
    pm = parse("""
        ## Action items

        | # | **Ticket** | Type | __Owner__ | *Due date* | **Action item** | Notes | Pri | State |
        |:-:|---|---|---|---|---|---|---|---|
        | 1 | OPS-1 | Prevent | @ann | 2024-07-01 | Add canary | see doc | P2 | In progress |
        """)
    assert rows(pm) == [
        item(
            5,
            "Add canary",
            priority="P2",
            owner="@ann",
            due="2024-07-01",
            ticket="OPS-1",
            status="in_progress",
        ),
    ]
    assert pm.tables[0].columns == {
        "ticket": 1,
        "owner": 3,
        "due": 4,
        "action": 5,
        "priority": 7,
        "status": 8,
    }
    assert pm.tables[0].width == 9


def test_header_trailing_colon_and_parenthetical_unit() -> None:
    pm = parse_text(one_table("| Action: | Due (UTC) | Owner(s) |", "| A | 2024-01-02 | @x |"))
    assert rows(pm) == [item(5, "A", due="2024-01-02", owner="@x")]


def test_when_two_columns_name_one_field_the_plainer_name_wins() -> None:
    pm = parse_text(
        one_table(
            "| Description | Action | Link | Ticket |",
            "| Long detail | Short action | https://doc | ENG-9 |",
        )
    )
    assert rows(pm) == [item(5, "Short action", ticket="ENG-9")]


def test_table_without_an_action_column_in_the_section_is_a_located_problem() -> None:
    pm = parse_text(one_table("| Owner | Due |", "| @x | 2024-01-01 |"))
    assert pm.action_items == []
    assert problems(pm) == [
        (3, "action-items table has no Action column; name one column 'Action'"),
    ]


def test_table_with_no_known_columns_in_the_section_is_ignored_quietly() -> None:
    pm = parse_text(one_table("| Metric | Before | After |", "| p99 | 2s | 200ms |"))
    assert pm.action_items == []
    assert pm.problems == []


# --- rows ---------------------------------------------------------------------------------


def test_rows_with_missing_trailing_cells_are_valid() -> None:
    pm = parse("""
        ## Action items

        | Action | Owner | Due | Ticket |
        |---|---|---|---|
        | Only action |
        | With owner | @a
        | With due | @b | 2024-01-05 |
        """)
    assert rows(pm) == [
        item(5, "Only action"),
        item(6, "With owner", owner="@a"),
        item(7, "With due", owner="@b", due="2024-01-05"),
    ]
    assert pm.problems == []


def test_cells_beyond_the_header_are_dropped() -> None:
    pm = parse_text(one_table("| Action | Owner |", "| A | @a | extra | more |"))
    assert rows(pm) == [item(5, "A", owner="@a")]


def test_empty_and_placeholder_only_rows_are_skipped() -> None:
    pm = parse("""
        ## Action items

        | Priority | Action | Owner | Due |
        |---|---|---|---|
        | | | | |
        | - | TBD | — | N/A |
        | P1 | Real | @a | |
        ||||
        """)
    assert rows(pm) == [item(7, "Real", priority="P1", owner="@a")]
    assert pm.problems == []


def test_row_without_action_but_other_cells_set_is_a_located_problem() -> None:
    pm = parse("""
        ## Action items

        | Priority | Action | Owner |
        |---|---|---|
        | P1 | | @a |
        | P2 | TBD | @b |
        | P3 | Real | @c |
        """)
    assert rows(pm) == [item(7, "Real", priority="P3", owner="@c")]
    message = "action item has no Action text; describe the action or delete the row"
    assert problems(pm) == [(5, message), (6, message)]


def test_tables_without_outer_pipes_and_any_alignment_row() -> None:
    pm = parse("""
        ## Action items

        Action | Owner | Due
        :--- | ---: | :-:
        No pipes | @a | 2024-01-02
        Second | @b

        | Action | Owner |
        |-|:-|
        | Short delimiters | @c |

        Action | Owner |
        ---|---
        Mixed | @d
        """)
    assert rows(pm) == [
        item(5, "No pipes", owner="@a", due="2024-01-02"),
        item(6, "Second", owner="@b"),
        item(10, "Short delimiters", owner="@c"),
        item(14, "Mixed", owner="@d"),
    ]


def test_escaped_pipes_are_unescaped_including_inside_code_spans() -> None:
    pm = parse(r"""
        ## Action items

        | Action | Owner | Ticket |
        |---|---|---|
        | Split on a \| b and `grep a\|b` | @a \| @b | ENG-1 |
        """)
    assert rows(pm) == [
        item(5, "Split on a | b and `grep a|b`", owner="@a | @b", ticket="ENG-1"),
    ]


def test_action_is_the_cells_markdown_source_trimmed() -> None:
    pm = parse_text(
        one_table(
            "| Action |",
            "|    **Add** [runbook](https://wiki/x) for `pgbouncer` <br> and *alerts*   |",
        )
    )
    assert actions(pm) == [
        "**Add** [runbook](https://wiki/x) for `pgbouncer` <br> and *alerts*",
    ]


def test_a_row_line_is_its_one_based_line_in_the_file() -> None:
    pm = parse("""
        ---
        title: Lines
        ---

        # Postmortem: Lines

        ## Action items

        Some intro text.

        | Action |
        |---|
        | First |
        | Second |

        | Action |
        |:--|
        | Third |
        """)
    assert [i.line for i in pm.action_items] == [13, 14, 18]


# --- cell values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "marker",
    ["", "-", "—", "–", "TBD", "tbd", "TBA", "N/A", "n/a", "none", "None", "?", "*TBD*", "**N/A**"],
)
def test_unset_markers_mean_not_set(marker: str) -> None:
    pm = parse_text(
        one_table(
            "| Priority | Action | Owner | Due | Ticket | Status |",
            f"| {marker} | Act | {marker} | {marker} | {marker} | {marker} |",
        )
    )
    assert rows(pm) == [item(5, "Act")]
    assert pm.problems == []


@pytest.mark.parametrize(
    ("cell", "status"),
    [
        ("Open", "open"),
        ("To do", "open"),
        ("TODO", "open"),
        ("Not started", "open"),
        ("In progress", "in_progress"),
        ("In Progress", "in_progress"),
        ("in-progress", "in_progress"),
        ("WIP", "in_progress"),
        ("Blocked", "in_progress"),
        ("Done", "done"),
        ("DONE", "done"),
        ("Completed", "done"),
        ("Complete", "done"),
        ("Fixed", "done"),
        ("Resolved", "done"),
        ("Closed", "done"),
        ("✅ Done", "done"),
        ("**Done**", "done"),
        ("Won't do", "dropped"),
        ("Won’t do", "dropped"),
        ("Won't fix", "dropped"),
        ("Wontfix", "dropped"),
        ("Dropped", "dropped"),
        ("Cancelled", "dropped"),
    ],
)
def test_status_values_normalize(cell: str, status: str) -> None:
    pm = parse_text(one_table("| Action | Status |", f"| A | {cell} |"))
    assert rows(pm) == [item(5, "A", status=status)]


def test_unknown_status_is_a_located_problem_and_the_item_stays() -> None:
    pm = parse_text(one_table("| Action | Status |", "| A | Half-baked |"))
    assert rows(pm) == [item(5, "A")]
    assert problems(pm) == [
        (5, "status 'Half-baked' is not recognized; use Open, In progress, Done or Won't do"),
    ]


@pytest.mark.parametrize(
    ("cell", "priority"),
    [
        ("P0", "P0"),
        ("p0", "P0"),
        ("P1", "P1"),
        ("p2", "P2"),
        ("P3", "P3"),
        ("P4", "P4"),
        ("**P0**", "P0"),
        ("Critical", "P0"),
        ("critical", "P0"),
        ("High", "P1"),
        ("HIGH", "P1"),
        ("Medium", "P2"),
        ("Low", "P3"),
    ],
)
def test_priority_values(cell: str, priority: str) -> None:
    pm = parse_text(one_table("| Priority | Action |", f"| {cell} | A |"))
    assert rows(pm) == [item(5, "A", priority=priority)]


@pytest.mark.parametrize("cell", ["P5", "Urgent", "1", "P0/P1"])
def test_unknown_priority_is_a_located_problem(cell: str) -> None:
    pm = parse_text(one_table("| Priority | Action |", "| x | A |", f"| {cell} | B |"))
    assert problems(pm)[-1] == (
        6,
        f"priority {cell!r} is not one of P0–P4 (or Critical, High, Medium, Low)",
    )
    assert pm.action_items[1].priority is None


@pytest.mark.parametrize(
    "cell",
    [
        "2024-01-22",
        "2024/01/22",
        "Jan 22, 2024",
        "January 22, 2024",
        "22 Jan 2024",
        "22 January 2024",
        "jan 22, 2024",
        "**2024-01-22**",
        "  2024-01-22  ",
    ],
)
def test_due_date_formats_normalize_to_iso(cell: str) -> None:
    pm = parse_text(one_table("| Action | Due |", f"| A | {cell} |"))
    assert rows(pm) == [item(5, "A", due="2024-01-22")]
    assert pm.problems == []


@pytest.mark.parametrize(
    "cell",
    [
        "01/02/2024",
        "22/01/2024",
        "1/22/2024",
        "next week",
        "Q1 2024",
        "2024-13-01",
        "2024-02-30",
        "Jan 2024",
        "22.01.2024",
        "2024-01-22 (moved)",
        "EOW",
    ],
)
def test_bad_due_date_is_a_located_problem_never_a_guess(cell: str) -> None:
    pm = parse(f"""
        # Postmortem: X

        ## Action items

        | Action | Due |
        |---|---|
        | Fine | 2024-01-22 |
        | Vague | {cell} |
        """)
    assert rows(pm) == [item(7, "Fine", due="2024-01-22"), item(8, "Vague")]
    assert problems(pm) == [
        (8, f"due date {cell!r} is not a date pm-sync reads; write it as YYYY-MM-DD (e.g. 2024-01-22)"),
    ]


@pytest.mark.parametrize(
    ("cell", "ticket"),
    [
        ("ENG-1234", "ENG-1234"),
        ("[ENG-1234](https://jira.example.com/browse/ENG-1234)", "ENG-1234"),
        ("[**OPS-9**](https://jira/OPS-9)", "OPS-9"),
        ("#12", "#12"),
        ("[#12](https://github.com/org/repo/issues/12)", "#12"),
        ("org/repo#12", "org/repo#12"),
        ("`ENG-5`", "ENG-5"),
        ("<https://tracker.example.com/T-1>", "https://tracker.example.com/T-1"),
        ("https://github.com/org/repo/issues/3", "https://github.com/org/repo/issues/3"),
    ],
)
def test_ticket_is_link_text_or_cell_text(cell: str, ticket: str) -> None:
    pm = parse_text(one_table("| Action | Ticket |", f"| A | {cell} |"))
    assert rows(pm) == [item(5, "A", ticket=ticket)]


def test_owner_emphasis_is_dropped_but_handles_kept() -> None:
    pm = parse_text(
        one_table(
            "| Action | Owner |",
            "| A | **@alice** |",
            "| B | Bob Smith |",
            "| C | **@a** and **@b** |",
        )
    )
    assert [i.owner for i in pm.action_items] == ["@alice", "Bob Smith", "**@a** and **@b**"]


def test_problems_come_sorted_by_line() -> None:
    pm = parse("""
        # Postmortem: X

        **Date**: someday

        ## Action items

        | Priority | Action | Due |
        |---|---|---|
        | P9 | A | soon |
        """)
    assert [line for line, _ in problems(pm)] == [3, 9, 9]


# --- encodings and line endings -----------------------------------------------------------


STORY = (
    "---\n"
    "title: Bytes\n"
    "date: 2024-01-15\n"
    "---\n"
    "# Postmortem: Ignored\n"
    "\n"
    "## Action items\n"
    "\n"
    "| Action | Owner | Due |\n"
    "|---|---|---|\n"
    "| Réparer le cache | @zoë | 22 Jan 2024 |\n"
    "| 日本語のテスト 🚀 | @太郎 | — |"
)
STORY_ITEMS = [
    item(11, "Réparer le cache", owner="@zoë", due="2024-01-22"),
    item(12, "日本語のテスト 🚀", owner="@太郎"),
]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("lf-no-final-newline", STORY.encode()),
        ("lf", (STORY + "\n").encode()),
        ("crlf", STORY.replace("\n", "\r\n").encode()),
        ("crlf-final", (STORY + "\n").replace("\n", "\r\n").encode()),
        ("bom", b"\xef\xbb\xbf" + STORY.encode()),
        ("bom-crlf", b"\xef\xbb\xbf" + STORY.replace("\n", "\r\n").encode() + b"\r\n"),
        ("lone-cr", STORY.replace("\n", "\r").encode()),
        ("mixed", STORY.replace("\n", "\r\n", 5).encode()),
    ],
)
def test_bom_line_endings_non_ascii_and_missing_final_newline(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / f"postmortem-2024-01-15-{name}.md"
    path.write_bytes(data)
    pm = parse_file(path)
    assert pm.title == "Bytes"
    assert pm.date == dt.date(2024, 1, 15)
    assert rows(pm) == STORY_ITEMS
    assert pm.problems == []
    assert pm.path == str(path)


def test_parse_text_and_parse_source_agree_with_parse_file(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text(STORY, encoding="utf-8")
    by_file = parse_file(path)
    by_text = parse_text("\ufeff" + STORY, path=str(path))
    by_source = parse_source(Source.from_bytes(STORY.encode(), str(path)))
    assert by_file.public() == by_text.public() == by_source.public()
    assert [i.uid for i in by_file.action_items] == [i.uid for i in by_text.action_items]


def test_parse_file_on_a_missing_file_raises_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError):
        parse_file(tmp_path / "nope.md")


def test_non_utf8_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.md"
    path.write_bytes("# Postmortem: Caf\xe9\n".encode("latin-1"))
    with pytest.raises(DocumentError):
        parse_file(path)


def test_empty_document() -> None:
    pm = parse_text("")
    assert pm.public() == {
        "path": "<text>",
        "title": None,
        "date": None,
        "severity": None,
        "duration": None,
        "authors": [],
        "status": None,
        "action_items": [],
        "problems": [],
    }


# --- identity -----------------------------------------------------------------------------


def test_uids_are_stable_distinct_for_duplicates_and_survive_reordering() -> None:
    first = parse_text(one_table("| Action | Owner |", "| Same | @a |", "| Same | @b |", "| Other | @c |"))
    again = parse_text(one_table("| Action | Owner |", "| Same | @a |", "| Same | @b |", "| Other | @c |"))
    uids = [i.uid for i in first.action_items]
    assert uids == [i.uid for i in again.action_items]
    assert len(set(uids)) == 3
    assert all(len(u) == 12 for u in uids)
    moved = parse_text(one_table("| Action | Owner |", "| Other | @c |", "| Same | @a |"))
    assert [i.uid for i in moved.action_items] == [uids[2], uids[0]]
    respaced = parse_text(one_table("| Action |", "|   other  |"))
    assert respaced.action_items[0].uid == uids[2]


# --- small helpers ------------------------------------------------------------------------


def test_inline_plain_drops_markup() -> None:
    tokens = MarkdownIt().parseInline("**Bold** [link](x) `code`  and\nmore")
    assert inline_plain(tokens[0]) == "Bold link code and more"
    assert inline_plain(None) == ""


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("Owner:", "owner"),
        ("  due  date ", "due"),
        ("Notes", None),
        ("#", None),
        ("Type", None),
        ("", None),
        ("Due (UTC)", "due"),
    ],
)
def test_header_field(text: str, field: str | None) -> None:
    assert header_field(text) == field


def test_item_enums_are_model_types() -> None:
    pm = parse_text(one_table("| Pri | Action | Status | Due |", "| P1 | A | done | 2024-01-02 |"))
    it = pm.action_items[0]
    assert it.priority is Priority.P1
    assert it.status is ItemStatus.DONE
    assert it.due == dt.date(2024, 1, 2)


def test_table_right_under_the_heading_or_interrupting_a_paragraph() -> None:
    pm = parse("""
        ## Action items
        | Action |
        |---|
        | Tight |

        We agreed on:
        | Action | Owner |
        |---|---|
        | After a paragraph line | @a |
        """)
    assert rows(pm) == [item(4, "Tight"), item(9, "After a paragraph line", owner="@a")]


# --- property: whatever the cells say, the parsed values round-trip -----------------------

SAFE = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "
    ".,:;!?'\"/()[]{}#@&%+=~^$<>*_`-|éüßñçØ日本語テスト中文한국어🚀✅€→"
)
PRIORITY_CELLS = {
    "P0": "P0",
    "p1": "P1",
    "P2": "P2",
    "p3": "P3",
    "P4": "P4",
    "Critical": "P0",
    "high": "P1",
    "Medium": "P2",
    "LOW": "P3",
    "": None,
    "TBD": None,
    "-": None,
}
STATUS_CELLS = {
    "Open": "open",
    "In progress": "in_progress",
    "Done": "done",
    "Completed": "done",
    "Fixed": "done",
    "Won't do": "dropped",
    "Won't fix": "dropped",
    "Dropped": "dropped",
    "": None,
    "N/A": None,
}
DUE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


action_text = (
    st.text(alphabet=SAFE, min_size=1, max_size=40)
    .map(str.strip)
    .filter(lambda s: bool(s) and not is_unset(s) and not is_placeholder_action(s))
)
owner_text = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéü日本.-", min_size=1, max_size=12).map(
    lambda s: "@" + s
)
ticket_cell = st.one_of(
    st.from_regex(r"[A-Z]{2,5}-[1-9][0-9]{0,4}", fullmatch=True).map(lambda k: (k, k)),
    st.integers(1, 99999).map(lambda n: (f"#{n}", f"#{n}")),
    st.integers(1, 999).map(lambda n: (f"org/repo#{n}", f"org/repo#{n}")),
    st.from_regex(r"[A-Z]{2,5}-[1-9][0-9]{0,3}", fullmatch=True).map(
        lambda k: (f"[{k}](https://tracker.example/browse/{k})", k)
    ),
    st.just(("", None)),
)
due_cell = st.one_of(
    st.tuples(st.dates(dt.date(1990, 1, 1), dt.date(2099, 12, 31)), st.sampled_from(DUE_FORMATS)).map(
        lambda df: (df[0].strftime(df[1]), df[0].isoformat())
    ),
    st.just(("TBD", None)),
)
row_strategy = st.fixed_dictionaries(
    {
        "priority": st.sampled_from(sorted(PRIORITY_CELLS.items())),
        "action": action_text.map(lambda a: (_cell(a), a)),
        "owner": st.one_of(owner_text.map(lambda o: (o, o)), st.just(("—", None))),
        "due": due_cell,
        "ticket": ticket_cell.map(lambda t: (_cell(t[0]), t[1])),
        "status": st.sampled_from(sorted(STATUS_CELLS.items())),
        "notes": st.text(alphabet=SAFE, max_size=20).map(lambda n: (_cell(n.strip()), None)),
    }
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(
    body=st.lists(row_strategy, min_size=1, max_size=6),
    order=st.permutations(["priority", "action", "owner", "due", "ticket", "status", "notes"]),
    bold=st.booleans(),
    pad=st.integers(0, 3),
    newline=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
    preamble=st.integers(0, 3),
)
def test_generated_tables_round_trip(
    body: list[dict[str, tuple[str, str | None]]],
    order: list[str],
    bold: bool,
    pad: int,
    newline: str,
    bom: bool,
    preamble: int,
) -> None:
    names = {
        "priority": "Priority",
        "action": "Action",
        "owner": "Owner",
        "due": "Due",
        "ticket": "Ticket",
        "status": "Status",
        "notes": "Notes",
    }
    space = " " * pad

    def line(cells: list[str]) -> str:
        return "|" + "|".join(f"{space}{c}{space}" for c in cells) + "|"

    header = [f"**{names[k]}**" if bold else names[k] for k in order]
    lines = [
        "# Postmortem: Generated",
        *(["Some text."] * preamble),
        "",
        "## Action items",
        "",
        line(header),
        line(["---"] * len(order)),
    ]
    first_row = len(lines) + 1
    for row in body:
        lines.append(line([row[k][0] for k in order]))
    lines += [
        "",
        "## Lessons",
        "",
        line(header),
        line(["---"] * len(order)),
        line([body[0][k][0] for k in order]),
    ]
    data = newline.join(lines).encode()
    pm = parse_source(Source.from_bytes((b"\xef\xbb\xbf" if bom else b"") + data, "g.md"))
    expected = [
        {
            "line": first_row + n,
            "priority": PRIORITY_CELLS[row["priority"][0]],
            "action": row["action"][1],
            "owner": row["owner"][1],
            "due": row["due"][1],
            "ticket": row["ticket"][1],
            "status": STATUS_CELLS[row["status"][0]],
            "source": "table",
        }
        for n, row in enumerate(body)
    ]
    assert rows(pm) == expected
    assert pm.problems == []
    assert pm.title == "Generated"
    assert len({i.uid for i in pm.action_items}) == len(body)


def test_metadata_pairs_split_on_any_separator() -> None:
    pm = parse_text(
        "# Postmortem: X\n\n**Date**: 2024-01-15 · **Severity**: SEV2 · "
        "**Status**: Final\n**Authors:** @a, @b; **Duration:** 9 min\n"
    )
    assert (pm.date, pm.severity, pm.status, pm.duration, pm.authors, pm.problems) == (
        dt.date(2024, 1, 15),
        "SEV2",
        "Final",
        "9 min",
        ["@a", "@b"],
        [],
    )


def test_owner_written_as_a_link_is_its_link_text() -> None:
    pm = parse_text(one_table("| Action | Owner |", "| Fix | [@alice](https://github.com/alice) |"))
    assert pm.action_items[0].owner == "@alice"


@pytest.mark.parametrize(
    ("status", "final"),
    [
        ("Final", True),
        ("final", True),
        ("**Final**", True),
        ("Published", False),
        ("Finalized", False),
        ("Draft", False),
        ("In review", False),
    ],
)
def test_only_final_is_final(status: str, final: bool) -> None:
    assert parse_text(f"# P\n\n**Status**: {status}\n").is_final is final
