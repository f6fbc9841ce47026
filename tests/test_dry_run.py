"""`--dry-run` shows the plan and changes nothing: no write reaches the tracker (checked in its
request log) and the postmortem keeps every byte."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import STANDARD_ROWS
from tests.fakes.fake_github import FakeGitHub
from tests.jira_support import JiraEnv
from tests.sync_support import FIVE_ROWS, Cli, fresh_doc, gh, make_jira

__all__ = ["gh", "make_jira"]  # fixtures re-exported for pytest


@pytest.mark.parametrize("mode", ["cloud", "datacenter"])
def test_dry_runs_send_no_writes_to_jira_and_leave_bytes_alone(
    make_jira: Callable[..., JiraEnv], workdir: Path, cli: Cli, mode: str
) -> None:
    env = make_jira(mode=mode)
    doc = env.write_doc(FIVE_ROWS[:3])
    assert cli("push", str(doc)).code == 0
    doc.write_text(doc.read_text().replace("| @bob | 2024-01-17 |", "| @alice | 2024-01-19 |"))
    before = doc.read_bytes()
    env.fake.clear_log()

    for command in ("push", "reconcile"):
        result = cli(command, str(doc), "--dry-run", "--json")
        assert result.code == 0, result.stdout

    assert env.writes() == []
    assert doc.read_bytes() == before
    files = sorted(str(p.relative_to(workdir)) for p in workdir.rglob("*") if p.is_file())
    assert files == [".pm-sync/.gitignore", str(doc.relative_to(workdir)), "pm-sync.toml"]


def test_dry_runs_send_no_writes_to_github(workdir: Path, cli: Cli, gh: FakeGitHub) -> None:
    doc = fresh_doc(workdir, STANDARD_ROWS)
    assert cli("push", str(doc)).code == 0
    doc.write_text(
        doc.read_text()
        .replace("| @bob | 2024-01-17 |", "| @alice | 2024-01-19 |")
        .replace("Document connection", "Write down connection")
    )
    before = doc.read_bytes()
    gh.clear_log()

    for command in ("push", "reconcile"):
        assert cli(command, str(doc), "--dry-run", "--json").code == 0

    assert [r for r in gh.request_log if not r.is_read] == []
    assert doc.read_bytes() == before
