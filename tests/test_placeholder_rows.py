"""Rows a template left behind (`[Action item]`, `<describe the action>`, `add more rows as
needed`) never become tickets; real actions that merely start like them still do."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import local_tickets, postmortem_text

REAL = ("P1", "Alert on cache evictions", "@ana", "2024-02-01", "")
PLACEHOLDERS = [
    ("P2", "[Action item]", "", "", ""),
    ("P2", "<describe the action>", "@owner", "2024-02-01", ""),
    ("", "_add more rows as needed_", "", "", ""),
    ("", "Add another item", "", "", ""),
]


def test_template_rows_get_no_ticket_and_stay_as_written(workdir: Path, cli) -> None:
    doc = workdir / "postmortem-2024-01-15-cache.md"
    text = postmortem_text([REAL, *PLACEHOLDERS])
    doc.write_text(text)

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stderr
    assert result.one()["created"] == ["PM-1"]
    assert [t["summary"] for t in local_tickets(workdir)] == ["Alert on cache evictions"]
    assert doc.read_text() == text.replace("| 2024-02-01 |  |", "| 2024-02-01 | PM-1 |", 1)


@pytest.mark.parametrize(
    "action",
    [
        "Add more actions to the runbook",
        "Add more alerts for queue items",
        "[Fix DNS TTL](https://example.com/runbook)",
        "Investigate [TBD] retry budget",
    ],
)
def test_real_actions_that_look_alike_are_items(workdir: Path, cli, action: str) -> None:
    doc = workdir / "postmortem-2024-01-15-cache.md"
    doc.write_text(postmortem_text([("P1", action, "@ana", "2024-02-01", "")]))

    result = cli("parse", str(doc), "--json")

    assert result.code == 0, result.stderr
    assert len(result.one()["action_items"]) == 1
