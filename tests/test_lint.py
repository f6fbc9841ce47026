"""`pm-sync lint`: each rule fires on the shape it exists for, and a good postmortem is clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from pm_sync.diagnostics import Diagnostic
from pm_sync.document.parse import parse_source
from pm_sync.document.source import Source
from pm_sync.errors import DocumentError
from pm_sync.linting import RULES, has_errors, lint_file, lint_postmortem

NAME = "postmortem-2024-01-15-payment-api-outage.md"

# The seed's standard template, filled in the way the house rules ask for.
CLEAN = """\
# Postmortem: Payment API outage
**Date**: 2024-01-15 | **Severity**: SEV2 | **Duration**: 47 min
**Authors**: @alice, @bob | **Status**: Final

## Executive Summary
Payments failed for 47 minutes after v2.3.4 opened a new DB connection per request and
exhausted the pool. Rolling back restored service.

**Impact**: 1,200 customers, 47 minutes, about $8k delayed revenue, no data loss

## Timeline (UTC)
| Time | Event |
|-------|-------|
| 14:23 | v2.3.4 deployed to production |
| 14:31 | Alert: payment_error_rate > 5% |
| 14:33 | On-call @alice acknowledges |
| 14:45 | Root cause identified: DB connections |
| 14:52 | Decision to rollback |
| 15:10 | Rollback complete, error rate normalizing |
| 15:18 | Service recovered |

## Root Cause Analysis
### What happened
Each payment request opened a new database connection instead of borrowing one from the pool,
so the database hit its connection limit and new connections failed to open.

### 5 Whys
- Why did service fail? → DB connections exhausted
- Why exhausted? → Each request opened new connection
- Why new connections? → Code bypassed connection pool
- Why bypassed? → Developer unfamiliar with DB patterns
- Why unfamiliar? → No documentation on connection management

### Contributing factors
- Code review missed the infrastructure change
- No integration tests for connection pool behavior
- Staging traffic too low to expose the issue
- Alert threshold too high (90%, should be 70%)

## What worked / what didn't
| Worked | Didn't work |
|---|---|
| Alert fired within 8 min | Took 10 min to correlate with deployment |
| Clear Grafana dashboard | No deployment-correlated alerting |
| Fast rollback decision | No canary deployment |

## Action items
| Priority | Action | Owner | Due | Ticket |
|---|---|---|---|---|
| P0 | Integration test for connection pool | @alice | 2024-01-22 | ENG-1234 |
| P0 | Lower DB alert threshold to 70% | @bob | 2024-01-17 | OPS-567 |
| P1 | Document connection management patterns | @alice | 2024-01-29 | DOC-89 |
| P2 | Evaluate canary deployment | @charlie | 2024-02-15 | ENG-1235 |
"""

QUICK = """\
# Quick Postmortem: Cache stampede
**Date**: 2024-03-02 | **Duration**: 12 min | **Severity**: SEV3
**Authors**: @dana | **Status**: Final

**What happened**: Cache flush caused thundering herd — all requests missed cache simultaneously.

**Timeline**: 10:00 flush → 10:02 alerts → 10:05 identified → 10:08 warming enabled → 10:12 normal

**Root cause**: Full flush used for minor config update.

**Fixes**: Immediate: enabled warming. Long-term: partial invalidation (ENG-999).

**Lesson**: Never full-flush production cache; use targeted invalidation.
"""


def lint(tmp_path: Path, text: str, name: str = NAME) -> list[Diagnostic]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return lint_file(path)


def summary(findings: list[Diagnostic]) -> list[tuple[str, int | None, str]]:
    return [(f.code, f.line, f.severity) for f in findings]


def edit(old: str, new: str, text: str = CLEAN) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# --- the good documents ---------------------------------------------------------------------


def test_filled_in_standard_template_has_no_findings(tmp_path: Path) -> None:
    assert lint(tmp_path, CLEAN) == []


def test_seed_quick_template_filled_in_has_no_findings(tmp_path: Path) -> None:
    assert lint(tmp_path, QUICK, "postmortem-2024-03-02-cache-stampede.md") == []


def test_crlf_and_bom_do_not_change_the_result(tmp_path: Path) -> None:
    path = tmp_path / NAME
    path.write_bytes(b"\xef\xbb\xbf" + CLEAN.replace("\n", "\r\n").encode())
    assert lint_file(path) == []


def test_finding_as_dict_has_exactly_the_public_keys(tmp_path: Path) -> None:
    findings = lint(tmp_path, edit("| @bob | 2024-01-17 |", "|  | 2024-01-17 |"))
    assert [f.as_dict() for f in findings] == [
        {
            "code": "missing-owner",
            "severity": "error",
            "path": str(tmp_path / NAME),
            "line": 51,
            "message": "action item has no owner; name one person (e.g. @alice)",
            "hint": None,
        }
    ]
    assert has_errors(findings)


def test_registry_lists_every_rule_with_a_reason() -> None:
    severities = {name: r.severity for name, r in RULES.items()}
    assert severities == {
        "missing-metadata": "error",
        "bad-severity": "error",
        "missing-section": "error",
        "no-action-items": "error",
        "list-action-items": "warning",
        "too-many-action-items": "warning",
        "missing-owner": "error",
        "missing-due": "error",
        "bad-priority": "error",
        "bad-date": "error",
        "bad-status": "error",
        "bad-table": "error",
        "missing-action": "error",
        "bad-front-matter": "error",
        "parse-problem": "error",
        "duplicate-ticket": "error",
        "shallow-whys": "warning",
        "human-error-root-cause": "error",
        "blame-language": "warning",
        "filename": "error",
        "placeholder": "warning",
    }
    assert all(r.doc for r in RULES.values())


def test_lint_postmortem_works_on_text_that_is_not_a_file() -> None:
    src = Source.from_bytes(CLEAN.encode(), "<stdin>")
    assert lint_postmortem(parse_source(src), src) == []


def test_unreadable_file_raises_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError) as info:
        lint_file(tmp_path / "nope.md")
    assert info.value.path == str(tmp_path / "nope.md")


# --- metadata and sections ------------------------------------------------------------------


def test_missing_and_empty_metadata(tmp_path: Path) -> None:
    text = edit("**Authors**: @alice, @bob | **Status**: Final", "**Status**: Final")
    text = edit(" | **Duration**: 47 min", " | **Duration**: TBD", text)
    findings = lint(tmp_path, text)
    assert summary(findings) == [
        ("missing-metadata", 2, "error"),
        ("missing-metadata", 2, "error"),
    ]
    assert [f.message for f in findings] == [
        "Duration is empty; fill it in",
        "no Authors metadata; add `**Authors**: ...` under the title",
    ]


def test_quick_postmortems_need_the_quick_templates_metadata(tmp_path: Path) -> None:
    """The quick template's line is Date | Duration | Severity: no Authors or Status line."""
    name = "postmortem-2024-03-02-cache-stampede.md"
    without_people = "\n".join(line for line in QUICK.splitlines() if not line.startswith("**Authors**"))
    assert lint(tmp_path, without_people, name) == []
    no_duration = QUICK.replace("**Duration**: 12 min | ", "")
    assert [(f.code, f.severity, f.message) for f in lint(tmp_path, no_duration, name)] == [
        ("missing-metadata", "error", "no Duration metadata; add `**Duration**: ...` under the title")
    ]


def test_unreadable_document_date_is_bad_date_not_missing(tmp_path: Path) -> None:
    text = edit("**Date**: 2024-01-15", "**Date**: the 15th")
    assert summary(lint(tmp_path, text)) == [("bad-date", 2, "error")]


def test_missing_standard_sections_point_at_the_title(tmp_path: Path) -> None:
    text = edit("## Executive Summary", "## Background")
    text = edit("## Timeline (UTC)", "## Events", text)
    findings = lint(tmp_path, text)
    assert summary(findings) == [("missing-section", 1, "error"), ("missing-section", 1, "error")]
    assert [f.message for f in findings] == ["no 'Summary' section", "no 'Timeline' section"]


def test_section_headings_match_loosely(tmp_path: Path) -> None:
    text = edit("## Executive Summary", "## 1. Summary:")
    text = edit("## Timeline (UTC)", "## Timeline", text)
    text = edit("## Root Cause Analysis", "## Root causes", text)
    text = edit("## Action items", "## Corrective and preventative measures", text)
    assert lint(tmp_path, text) == []


def test_missing_quick_sections(tmp_path: Path) -> None:
    text = QUICK.replace("**Lesson**:", "**Takeaway**:").replace("**Fixes**:", "Fixes:")
    findings = lint(tmp_path, text, "postmortem-2024-03-02-cache-stampede.md")
    assert summary(findings) == [("missing-section", 1, "error"), ("missing-section", 1, "error")]
    assert [f.message for f in findings] == ["no 'Fixes' section", "no 'Lesson' section"]


def test_no_h1_points_missing_sections_at_line_1(tmp_path: Path) -> None:
    text = edit("# Postmortem: Payment API outage\n", "")
    text = edit("## Timeline (UTC)", "## Events", text)
    assert summary(lint(tmp_path, text)) == [("missing-section", 1, "error")]


# --- action items ---------------------------------------------------------------------------


def test_action_section_without_rows(tmp_path: Path) -> None:
    text = CLEAN.split("| P0 | Integration", maxsplit=1)[0]
    assert summary(lint(tmp_path, text)) == [("no-action-items", 47, "error")]


def test_no_action_section_is_only_a_missing_section(tmp_path: Path) -> None:
    text = CLEAN.split("## Action items", maxsplit=1)[0]
    assert summary(lint(tmp_path, text)) == [("missing-section", 1, "error")]


def test_more_than_five_action_items_is_a_warning_at_the_sixth(tmp_path: Path) -> None:
    extra = "".join(f"| P3 | Follow-up {n} | @dana | 2024-03-0{n} |  |\n" for n in range(1, 4))
    findings = lint(tmp_path, CLEAN + extra)
    assert summary(findings) == [("too-many-action-items", 55, "warning")]
    assert findings[0].message.startswith("7 action items; the template allows at most 5")


def test_dropped_items_do_not_count_towards_the_cap(tmp_path: Path) -> None:
    text = edit(
        "| Priority | Action | Owner | Due | Ticket |",
        "| Priority | Action | Owner | Due | Ticket | Status |",
    )
    text = edit("|---|---|---|---|---|", "|---|---|---|---|---|---|", text)
    text += "| P3 | Rewrite the ORM |  |  |  | Won't do |\n" * 2
    assert lint(tmp_path, text) == []


def test_missing_owner_and_due_on_open_items(tmp_path: Path) -> None:
    text = edit(
        "| P1 | Document connection management patterns | @alice | 2024-01-29 |",
        "| P1 | Document connection management patterns | TBD | - |",
    )
    assert summary(lint(tmp_path, text)) == [
        ("missing-owner", 52, "error"),
        ("missing-due", 52, "error"),
    ]


def test_bad_priority_and_status_come_from_the_parser(tmp_path: Path) -> None:
    text = edit("| P2 | Evaluate canary", "| urgent | Evaluate canary")
    findings = lint(tmp_path, text)
    assert summary(findings) == [("bad-priority", 53, "error")]
    assert "'urgent'" in findings[0].message


def test_bad_due_date_is_not_also_missing(tmp_path: Path) -> None:
    text = edit("| @bob | 2024-01-17 |", "| @bob | next sprint |")
    assert summary(lint(tmp_path, text)) == [("bad-date", 51, "error")]


def test_bad_status_and_missing_action_text(tmp_path: Path) -> None:
    text = edit(
        "| Priority | Action | Owner | Due | Ticket |",
        "| Priority | Action | Owner | Due | Ticket | Status |",
    )
    text = edit("|---|---|---|---|---|", "|---|---|---|---|---|---|", text)
    text += "| P3 |  | @dana | 2024-02-01 |  | someday |\n"
    assert summary(lint(tmp_path, text)) == [
        ("bad-status", 54, "error"),
        ("missing-action", 54, "error"),
    ]


def test_action_table_without_action_column(tmp_path: Path) -> None:
    text = edit("| Priority | Action | Owner |", "| Priority | What | Owner |")
    assert (
        summary(lint(tmp_path, text))
        == [
            ("bad-table", 48, "error"),
            ("no-action-items", 47, "error"),
        ][::-1]
    )


def test_duplicate_ticket_points_at_the_second_row(tmp_path: Path) -> None:
    text = edit("| DOC-89 |", "| [eng-1234](https://jira.example/browse/ENG-1234) |")
    findings = lint(tmp_path, text)
    assert summary(findings) == [("duplicate-ticket", 52, "error")]
    assert findings[0].message == "ticket eng-1234 is also used on line 50"


# --- analysis quality -----------------------------------------------------------------------


def test_one_why_is_shallow(tmp_path: Path) -> None:
    whys = CLEAN[CLEAN.index("- Why exhausted?") : CLEAN.index("### Contributing")]
    findings = lint(tmp_path, edit(whys, "\n"))
    assert summary(findings) == [("shallow-whys", 27, "warning")]
    assert findings[0].message.startswith("only 1 'why' step;")


def test_root_cause_without_a_whys_heading_counts_whys_there(tmp_path: Path) -> None:
    start = CLEAN.index("### 5 Whys")
    text = CLEAN[:start] + CLEAN[CLEAN.index("### Contributing") :]
    assert summary(lint(tmp_path, text)) == [("shallow-whys", 22, "warning")]


def test_numbered_and_bold_whys_count(tmp_path: Path) -> None:
    text = edit("- Why did service fail?", "1. **Why did service fail?**")
    text = edit("- Why exhausted?", "2. Why exhausted?", text)
    text = edit("- Why new connections?", "| 3 | Why new connections? |", text)
    assert lint(tmp_path, text) == []


@pytest.mark.parametrize(
    "phrase",
    [
        "Human error: the operator ran the wrong script.",
        "Root cause was operator error.",
        "Someone forgot to enable the pool.",
        "Classic PEBKAC.",
        "@bob fat-fingered the config.",
        "Human error caused this; it was not the first time.",
        "Operator error, and the runbook was not the problem.",
    ],
)
def test_human_error_as_root_cause(tmp_path: Path, phrase: str) -> None:
    text = edit("Each payment request opened", f"{phrase}\nEach payment request opened")
    findings = lint(tmp_path, text)
    assert ("human-error-root-cause", 24, "error") in summary(findings)


@pytest.mark.parametrize(
    "phrase",
    [
        "This was not human error: nothing stopped the deploy.",
        'We avoid "human error" as a root cause.',
        "The user error rate stayed flat.",
        "Human error was ruled out as a root cause.",
        "Human error is a symptom, not the cause.",
    ],
)
def test_human_error_mentions_that_are_fine(tmp_path: Path, phrase: str) -> None:
    text = edit("Each payment request opened", f"{phrase}\nEach payment request opened")
    assert lint(tmp_path, text) == []


def test_human_error_outside_root_cause_is_not_that_rule(tmp_path: Path) -> None:
    text = edit(
        "Rolling back restored service.",
        "Rolling back restored service. No human error involved, and human error is never a root cause here.",
    )
    assert lint(tmp_path, text) == []


def test_quick_root_cause_paragraph_is_checked(tmp_path: Path) -> None:
    text = QUICK.replace("Full flush used for minor config update.", "Human error.")
    assert summary(lint(tmp_path, text, "postmortem-2024-03-02-cache-stampede.md")) == [
        ("human-error-root-cause", 9, "error"),
    ]


@pytest.mark.parametrize(
    "phrase",
    [
        "@bob caused the outage.",
        "It was the fault of @carol.",
        "That was @dave's fault.",
        "The on-call engineer should have known better.",
        "A careless deploy on Friday.",
        "The operator was negligent.",
        "@erin failed to review the diff.",
        "The engineer forgot to run the migration.",
    ],
)
def test_blame_language_is_a_warning(tmp_path: Path, phrase: str) -> None:
    text = edit("Rolling back restored service.", f"Rolling back restored service.\n{phrase}")
    findings = lint(tmp_path, text)
    assert summary(findings) == [("blame-language", 8, "warning")]


@pytest.mark.parametrize(
    "phrase",
    [
        "The connection failed to open.",
        "v2.3.4 caused the outage.",
        "The alert should have fired earlier.",
        "We use lazy loading and caught the fault of the disk controller.",
        "Mail ops@example.com failed to deliver.",
        "`@bob failed to` appears only in code.",
    ],
)
def test_blame_language_avoids_false_positives(tmp_path: Path, phrase: str) -> None:
    text = edit("Rolling back restored service.", f"Rolling back restored service.\n{phrase}")
    assert lint(tmp_path, text) == []


def test_blame_in_code_blocks_and_comments_is_ignored(tmp_path: Path) -> None:
    text = edit(
        "Rolling back restored service.",
        "Rolling back restored service.\n\n"
        "```\n@bob caused the outage\n```\n<!-- @bob caused the outage -->\n",
    )
    assert lint(tmp_path, text) == []


# --- file name and placeholders -------------------------------------------------------------


def test_file_name_date_must_match_the_document(tmp_path: Path) -> None:
    findings = lint(tmp_path, CLEAN, "postmortem-2024-01-16-payment-api-outage.md")
    assert summary(findings) == [("filename", 2, "error")]
    assert findings[0].message == ("file name date 2024-01-16 does not match the document date 2024-01-15")


@pytest.mark.parametrize(
    "name",
    [
        "2024-01-15-payment.md",
        "postmortem-2024-01-15-Payment_API.md",
        "postmortem-2024-01-15.md",
        "postmortem-2024-1-15-payment.md",
        "postmortem-2024-01-15-x-.md",
    ],
)
def test_file_name_shape(tmp_path: Path, name: str) -> None:
    assert summary(lint(tmp_path, CLEAN, name)) == [("filename", None, "error")]


def test_leftover_template_placeholders(tmp_path: Path) -> None:
    text = edit(
        "Payments failed for 47 minutes", "[2-3 sentences: what broke] Payments failed for 47 minutes"
    )
    text = edit("# Postmortem: Payment API outage", "# Postmortem: [Title]", text)
    findings = lint(tmp_path, text)
    assert summary(findings) == [("placeholder", 1, "warning"), ("placeholder", 6, "warning")]


def test_links_checkboxes_and_references_are_not_placeholders(tmp_path: Path) -> None:
    text = edit(
        "Rolling back restored service.",
        "Rolling back restored service. See "
        "[the runbook](https://x.example/rb), [the dashboard][dash], [ ] and [x].\n\n"
        "[dash]: https://grafana.example\n",
    )
    assert lint(tmp_path, text) == []


FRONT_MATTER = """\
---
title: Queue backlog
date: 2024-05-01
severity: SEV2
status: Draft
authors: [alice]
---

Queue backlog
=============

## TL;DR
Workers stalled behind one lock.

## Timeline
- 10:00 stall

## Root cause
1. Why did workers stall? Lock contention.
2. Why contention? Shared mutex.
3. Why shared? Legacy design.

## 5. Next Steps
```
| Action | Owner |
|---|---|
| decoy |  |
```

| Action | Owner | Due |
|---|---|---|
| Split mutex | alice | May 20, 2024 |
"""


def test_front_matter_document_in_other_real_world_shapes(tmp_path: Path) -> None:
    findings = lint(tmp_path, FRONT_MATTER, "postmortem-2024-05-01-queue-backlog.md")
    assert [(f.code, f.line, f.severity, f.message) for f in findings] == [
        ("missing-metadata", 2, "error", "no Duration metadata; add `duration: ...` to the front matter"),
    ]


def test_broken_front_matter(tmp_path: Path) -> None:
    text = FRONT_MATTER.replace("authors: [alice]", "authors: [alice")
    findings = lint(tmp_path, text, "postmortem-2024-05-01-queue-backlog.md")
    assert (findings[0].code, findings[0].severity) == ("bad-front-matter", "error")
    assert findings[0].line is not None
