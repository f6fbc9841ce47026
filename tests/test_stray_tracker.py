"""A `.pm-sync/` left in a subfolder by an older pm-sync (which made one wherever it ran) is the
first one the upward search finds, so a reconcile there sees an empty tracker. Every ticket is
then missing: the run says to check the project root before `--recreate-missing` would make a
second set of tickets in the stray tracker."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import STANDARD_ROWS, postmortem_text, run_subprocess

ROWS = [(*r, "") for r in STANDARD_ROWS]
DOC = "postmortem-2024-01-15-payments.md"


def test_an_empty_stray_tracker_in_a_subfolder_is_named_as_the_likely_cause(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    sub = tmp_path / "docs" / "technical"
    sub.mkdir(parents=True)
    (sub / DOC).write_text(postmortem_text(ROWS))
    assert run_subprocess(["push", f"docs/technical/{DOC}"], tmp_path).returncode == 0
    (sub / ".pm-sync").mkdir()
    sqlite3.connect(sub / ".pm-sync" / "local.db").close()
    before = (sub / DOC).read_bytes()

    done = run_subprocess(["reconcile", DOC, "-v"], sub)

    assert done.returncode == 1
    assert f"pm-sync: project root {sub} (it holds .pm-sync/)" in done.stderr
    assert done.stdout.count("none of this postmortem's 3 tickets exists in local") == 3
    assert "check that this is the project root and tracker you meant (run with -v)" in done.stdout
    assert (sub / DOC).read_bytes() == before


def test_one_deleted_ticket_gets_the_plain_hint(tmp_path: Path) -> None:
    (tmp_path / DOC).write_text(postmortem_text(ROWS))
    assert run_subprocess(["push", DOC], tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / ".pm-sync" / "local.db") as db:
        db.execute("DELETE FROM tickets WHERE key = 'PM-2'")

    done = run_subprocess(["reconcile", DOC], tmp_path)

    assert done.returncode == 1
    assert "ticket PM-2 no longer exists in local (fix the Ticket cell" in done.stdout
    assert "none of this postmortem" not in done.stdout
