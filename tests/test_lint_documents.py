"""`pm-sync lint` on whole documents in real-world shapes: good documents are clean (no false
alarm on ordinary engineering text, 5 whys in the shapes people write them, H1 sections, project
hints), and each bad variant trips the right rule on the right line.

Stories, not unit tests: each writes a whole document under the name the template asks for
(`postmortem-YYYY-MM-DD-slug.md`) and lints it as a user would; the good documents live in
`tests/lint_samples.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pm_sync.linting import lint_file
from tests.conftest import CliResult
from tests.lint_samples import GOOD
from tests.shapes_support import FINAL_HEAD, GITLAB, GOOD_BODY, doc, findings

STANDARD = "postmortem-2024-01-15-payment-api-outage.md"
BASE = GOOD[STANDARD]
Summary = list[tuple[str, int | None, str]]


def lint(tmp_path: Path, text: str, name: str = STANDARD) -> Summary:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return [(f.code, f.line, f.severity) for f in lint_file(path)]


def edit(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# --- good documents are clean ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_postmortem_in_a_real_world_shape_has_no_findings(tmp_path: Path, name: str) -> None:
    assert lint(tmp_path, GOOD[name], name) == []


def test_good_postmortems_pass_the_cli_together(workdir: Path, cli: Callable[..., CliResult]) -> None:
    for name, text in GOOD.items():
        (workdir / name).write_text(text, encoding="utf-8")
    result = cli("lint", *sorted(GOOD), "--json")
    assert (result.code, result.json()) == (0, [])


# --- ordinary engineering text is not blame -------------------------------------------------

NEUTRAL_LINE = "- Staging traffic too low to expose the issue"


@pytest.mark.parametrize(
    "phrase",
    [
        "The deploy failed to roll out.",
        "The alert should have fired at 70%.",
        "The engineer on call paged the DB team.",
        "It was caused by a race condition.",
        "The Kubernetes operator failed to reconcile the deployment.",
        "The author's PR description was unclear.",
    ],
)
def test_ordinary_engineering_text_is_not_blame(tmp_path: Path, phrase: str) -> None:
    assert lint(tmp_path, edit(NEUTRAL_LINE, f"- {phrase}")) == []


@pytest.mark.parametrize(
    "phrase",
    [
        "The admin API failed to respond within 5s.",
        "The developer portal failed to load.",
        "The SRE dashboard failed to refresh.",
        "The reviewer bot ignored the generated file.",
        "The developer tools change caused the regression.",
        "The operator upgrade caused the outage.",
        "A race condition was to blame.",
        "A stale DNS cache is to blame for the errors.",
        "Replicas lost their fault tolerance when the zone went down.",
        "Pods were spread across their fault domains.",
        "Cassandra used a sloppy quorum, so reads were stale.",
    ],
)
def test_technical_phrases_that_look_like_blame_are_not_blame(tmp_path: Path, phrase: str) -> None:
    assert lint(tmp_path, edit(NEUTRAL_LINE, f"- {phrase}")) == []


@pytest.mark.parametrize(
    "phrase",
    [
        "The on-call engineer ignored the alert.",
        "@bob failed to check the config.",
        "Someone should have caught this in review.",
    ],
)
def test_blame_phrasing_is_a_warning_on_its_line(tmp_path: Path, phrase: str) -> None:
    text = edit(NEUTRAL_LINE, f"- {phrase}")
    assert lint(tmp_path, text) == [("blame-language", line_of(text, phrase), "warning")]


def test_blame_in_a_timeline_table_row_points_at_the_row(tmp_path: Path) -> None:
    text = edit(
        "| 14:33 | The engineer on call paged the DB team |",
        "| 14:33 | @alice failed to acknowledge the page |",
    )
    assert lint(tmp_path, text) == [("blame-language", line_of(text, "@alice failed"), "warning")]


# --- 5 whys in the shapes people write them -------------------------------------------------

WHYS = BASE[BASE.index("### 5 Whys") : BASE.index("### Contributing factors")]


def with_whys(body: str) -> str:
    return edit(WHYS, f"### 5 Whys\n\n{body}\n\n")


@pytest.mark.parametrize(
    "body",
    [
        "Why 1: DB exhausted\nWhy 2: new connections\nWhy 3: bypassed the pool",
        "1. **Why** did it fail? DB\n2. **Why?** connections\n3. *Why?* pool",
        "> Why did it fail? DB\n> Why? connections\n> Why? pool",
        "- **Why #1:** DB\n- **Why #2:** connections\n- **Why #3:** pool",
        "| # | Why | Because |\n|---|---|---|\n| 1 | Why did it fail? | DB |\n"
        "| 2 | Why exhausted? | connections |\n| 3 | Why? | pool |",
    ],
)
def test_three_whys_in_common_shapes_are_deep_enough(tmp_path: Path, body: str) -> None:
    assert lint(tmp_path, with_whys(body)) == []


def test_why_because_prose_in_one_paragraph_counts_every_why(tmp_path: Path) -> None:
    body = (
        "Why did the service fail? Because DB connections were exhausted. Why? Because "
        "each request opened a new connection. Why? Because the code bypassed the pool."
    )
    assert lint(tmp_path, with_whys(body)) == []


def test_two_whys_are_shallow_at_the_whys_heading(tmp_path: Path) -> None:
    text = with_whys("1. Why did it fail?\n   - DB exhausted\n2. Why?\n   - connections")
    assert lint(tmp_path, text) == [("shallow-whys", line_of(text, "### 5 Whys"), "warning")]


# --- one defect per rule: the right rule on the right line ----------------------------------

ROW = "| P1 | Document connection management patterns | @alice | 2024-01-29 | DOC-89 |"
ROW_LINE = line_of(BASE, ROW)


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        ("| P1 | Document patterns | | 2024-01-29 | DOC-89 |", "missing-owner"),
        ("| P1 | Document patterns | @alice | TBD | DOC-89 |", "missing-due"),
        ("| P1 | Document patterns | @alice | | DOC-89 |", "missing-due"),
        ("| Urgent | Document patterns | @alice | 2024-01-29 | DOC-89 |", "bad-priority"),
        ("| P5 | Document patterns | @alice | 2024-01-29 | DOC-89 |", "bad-priority"),
        ("| P1 | Document patterns | @alice | next week | DOC-89 |", "bad-date"),
        ("| P1 | Document patterns | @alice | 2024-02-30 | DOC-89 |", "bad-date"),
        ("| P1 | Document patterns | @alice | 01/29/2024 | DOC-89 |", "bad-date"),
        ("| P1 | Document patterns | @alice | 2024-01-29 | ENG-1234 |", "duplicate-ticket"),
        ("| P1 | Document patterns | @alice | 2024-01-29 | eng-1234 |", "duplicate-ticket"),
        (
            "| P1 | Document patterns | @alice | 2024-01-29 | [ENG-1234](https://jira/ENG-1234) |",
            "duplicate-ticket",
        ),
    ],
)
def test_one_bad_row_is_one_error_on_that_row(tmp_path: Path, row: str, rule: str) -> None:
    assert lint(tmp_path, edit(ROW, row)) == [(rule, ROW_LINE, "error")]


def test_a_sixth_item_warns_on_the_sixth_row(tmp_path: Path) -> None:
    extra = "\n".join(f"| P2 | Extra {i} | @bob | 2024-02-0{i} | X-{i} |" for i in (1, 2, 3))
    text = edit(ROW, f"{ROW}\n{extra}")
    assert lint(tmp_path, text) == [("too-many-action-items", line_of(text, "Extra 3"), "warning")]


def test_action_items_heading_without_rows(tmp_path: Path) -> None:
    table = BASE[BASE.index("| Priority | Action |") :]
    text = edit(table, "")
    assert lint(tmp_path, text) == [("no-action-items", line_of(text, "## Action items"), "error")]


@pytest.mark.parametrize(
    ("old", "new", "line", "rule"),
    [
        ("**Authors**: @alice, @bob | ", "", 3, "missing-metadata"),
        ("**Authors**: @alice, @bob", "**Authors**:", 4, "missing-metadata"),
        ("## Timeline (UTC)", "## Events", 1, "missing-section"),
        ("## Executive Summary", "## Background", 1, "missing-section"),
        ("**Date**: 2024-01-15", "**Date**: 2024-01-16", 3, "filename"),
    ],
)
def test_document_level_defects(tmp_path: Path, old: str, new: str, line: int, rule: str) -> None:
    assert lint(tmp_path, edit(old, new)) == [(rule, line, "error")]


def test_no_root_cause_section_at_the_title(tmp_path: Path) -> None:
    text = edit("## Root Cause Analysis", "## Analysis")
    assert lint(tmp_path, text) == [("missing-section", 1, "error")]


@pytest.mark.parametrize(
    "name",
    [
        "Postmortem-2024-01-15-payment.md",
        "postmortem_2024-01-15_payment.md",
        "2024-01-15-payment.md",
        "postmortem-2024-01-15-payment.markdown",
    ],
)
def test_badly_shaped_file_name_is_a_file_level_error(tmp_path: Path, name: str) -> None:
    assert lint(tmp_path, BASE, name) == [("filename", None, "error")]


@pytest.mark.parametrize(
    "cause", ["- Why bypassed? → Human error", "- Why bypassed? → Operator error during the deploy"]
)
def test_human_error_in_the_whys_is_an_error_on_that_line(tmp_path: Path, cause: str) -> None:
    text = edit("- Why bypassed? → Pool API was undocumented", cause)
    assert lint(tmp_path, text) == [("human-error-root-cause", line_of(text, cause), "error")]


FRONT = "postmortem-2024-03-02-dns-outage.md"


@pytest.mark.parametrize(
    ("old", "new", "found"),
    [
        ("authors: [carol, dave]\n", "", ("missing-metadata", 2, "error")),
        ("duration: 2h 5m", "duration:", ("missing-metadata", 6, "error")),
        ("date: 2024-03-02", "date: 2024-03-05", ("filename", 3, "error")),
    ],
)
def test_front_matter_defects(tmp_path: Path, old: str, new: str, found: tuple[str, int, str]) -> None:
    assert lint(tmp_path, edit(old, new, GOOD[FRONT]), FRONT) == [found]


QUICK = "postmortem-2024-02-10-cache-flush.md"


@pytest.mark.parametrize(
    ("old", "new", "found"),
    [
        (
            "**Root cause**: Full flush used for minor config update.",
            "**Root cause**: Operator error.",
            ("human-error-root-cause", 9, "error"),
        ),
        (
            "**Lesson**: Never full-flush production cache; use targeted invalidation.\n",
            "",
            ("missing-section", 1, "error"),
        ),
        (" | **Severity**: SEV3", "", ("missing-metadata", 3, "error")),
    ],
)
def test_quick_template_defects(tmp_path: Path, old: str, new: str, found: tuple[str, int, str]) -> None:
    assert lint(tmp_path, edit(old, new, GOOD[QUICK]), QUICK) == [found]


def test_bad_document_fails_the_cli_with_the_finding(workdir: Path, cli: Callable[..., CliResult]) -> None:
    (workdir / STANDARD).write_text(
        edit(ROW, "| P1 | Document patterns | | 2024-01-29 | D-1 |"), encoding="utf-8"
    )
    result = cli("lint", STANDARD, "--json")
    assert result.code == 1
    assert [(f["code"], f["line"], f["severity"], f["path"]) for f in result.json()] == [
        ("missing-owner", ROW_LINE, "error", STANDARD)
    ]


@pytest.mark.parametrize(
    "phrase",
    [
        "The engineer also failed to check the config.",
        "@bob then caused the outage by restarting the primary.",
        "The on-call engineer ignored the page.",
        "@carol was to blame for the missed alert.",
        "It was their fault the rollback was late.",
        "A sloppy review let the change through.",
    ],
)
def test_blame_aimed_at_people_still_warns(tmp_path: Path, phrase: str) -> None:
    findings = lint(tmp_path, edit(NEUTRAL_LINE, f"- {phrase}"))
    assert [(rule, severity) for rule, _, severity in findings] == [("blame-language", "warning")]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("## Root Cause Analysis", "## What went wrong"),
        ("## Root Cause Analysis", "## Causes"),
        ("## Timeline (UTC)", "## Sequence of events"),
        ("## Timeline (UTC)", "## Chronology"),
    ],
)
def test_common_section_names_are_recognised(tmp_path: Path, old: str, new: str) -> None:
    assert lint(tmp_path, edit(old, new)) == []


def test_a_user_error_response_is_not_human_error(tmp_path: Path) -> None:
    text = edit(
        "### Contributing factors",
        "Clients received a user error response (HTTP 400).\n\n### Contributing factors",
    )
    assert lint(tmp_path, text) == []


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
