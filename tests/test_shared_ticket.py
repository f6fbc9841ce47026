"""Two rows naming one ticket get the same verdict from every command: a located error, exit 1.

Lint has always called it an error (`duplicate-ticket`). Push and reconcile used to take it:
each run then rewrote the ticket with one row's text and then the other's, and the ticket of
the other row was never named again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import STANDARD_ROWS, local_tickets, postmortem_text, run_subprocess

ROWS = [(*r, "") for r in STANDARD_ROWS]
DOC = "postmortem-2024-01-15-payments.md"
MESSAGE = "ticket PM-1 is also named on line 14; each row needs its own ticket"


def shared_doc(root: Path) -> tuple[Path, str]:
    doc = root / DOC
    doc.write_text(postmortem_text(ROWS))
    assert run_subprocess(["push", DOC], root).returncode == 0
    text = doc.read_text().replace("| PM-2 |", "| PM-1 |")
    doc.write_text(text)
    return doc, text


@pytest.mark.parametrize("args", [["push"], ["push", "--dry-run"], ["reconcile"], ["reconcile", "--dry-run"]])
def test_two_rows_naming_one_ticket_is_a_located_error(tmp_path: Path, args: list[str]) -> None:
    doc, text = shared_doc(tmp_path)
    before = local_tickets(tmp_path)

    done = run_subprocess([*args, DOC], tmp_path)
    again = run_subprocess([*args, DOC, "--json"], tmp_path)

    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{DOC}:15: {MESSAGE}" in done.stdout
    [result] = json.loads(again.stdout)
    assert [(e["code"], e["line"]) for e in result["errors"]] == [("shared-ticket", 15)]
    assert doc.read_text() == text
    assert local_tickets(tmp_path) == before  # neither ticket took the other row's text


def test_lint_says_the_same(tmp_path: Path) -> None:
    shared_doc(tmp_path)

    done = run_subprocess(["lint", DOC], tmp_path)

    assert done.returncode == 1
    assert f"{DOC}:15: error duplicate-ticket ticket PM-1 is also used on line 14" in done.stdout


def test_other_postmortems_in_the_run_still_go_through(tmp_path: Path) -> None:
    shared_doc(tmp_path)
    other = tmp_path / "postmortem-2024-02-01-other.md"
    other.write_text(postmortem_text(ROWS, title="Other"))

    done = run_subprocess(["push", DOC, other.name], tmp_path)

    assert done.returncode == 1
    assert f"ok {other.name}: created 3" in done.stdout
