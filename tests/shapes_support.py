"""Postmortem text in the shapes teams write, for stories across parse, push and lint: a
standard head and body that lint finds clean, so each story sees only the finding it is about."""

from __future__ import annotations

import textwrap
from typing import Any


def doc(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def item(line: int, action: str | None, **values: object) -> dict[str, object]:
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
