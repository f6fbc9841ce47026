"""A table inside a blockquote under an action heading is a located warning, not a silent
"nothing to do" (issue 10); a table quoted elsewhere, or a real table next to it, changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from pm_sync.document.parse import parse_text
from tests.conftest import postmortem_text, run_subprocess

QUOTED = """\
> | Priority | Action | Owner | Due | Ticket |
> |---|---|---|---|---|
> | P0 | Add a pool limit | @alice | 2024-01-22 | |
"""


def quoted_doc(extra_rows: list[tuple[str, ...]] | None = None) -> str:
    text = postmortem_text(extra_rows or [])
    if not extra_rows:
        head, _, _ = text.partition("| Priority")
        return head + QUOTED
    return text + "\n" + QUOTED


def test_push_warns_about_a_quoted_table_with_its_line(workdir: Path) -> None:
    doc = workdir / "postmortem-2024-01-15-quoted.md"
    doc.write_text(quoted_doc())
    before = doc.read_bytes()

    result = run_subprocess(["push", doc.name, "--json"], workdir)

    assert result.returncode == 0, result.stderr
    [out] = json.loads(result.stdout)
    [warning] = out["warnings"]
    assert warning["code"] == "quoted-table" and warning["line"] == 12 and warning["path"] == doc.name
    assert "quote" in warning["message"] and out["created"] == []
    human = run_subprocess(["push", doc.name], workdir)
    assert f"{doc.name}:12" in human.stdout and "quote" in human.stdout
    assert doc.read_bytes() == before


def test_a_real_table_still_syncs_and_the_quoted_one_is_named(workdir: Path) -> None:
    doc = workdir / "postmortem-2024-01-15-quoted.md"
    doc.write_text(quoted_doc([("P1", "Write the runbook", "@bob", "2024-02-01", "")]))

    result = run_subprocess(["push", doc.name, "--json"], workdir)

    [out] = json.loads(result.stdout)
    assert result.returncode == 0 and out["created"] == ["PM-1"]
    assert [w["code"] for w in out["warnings"]] == ["quoted-table"]


def test_a_quote_outside_the_action_section_is_not_reported() -> None:
    text = postmortem_text([("P1", "Write the runbook", "@bob", "2024-02-01", "")]).replace(
        "## Executive Summary\n", "## Executive Summary\n\n" + QUOTED + "\n"
    )

    pm = parse_text(text)

    assert pm.warnings == [] and len(pm.action_items) == 1
