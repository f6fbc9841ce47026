"""Stories: GitHub tickets the run's listing does not hold are read by number, 100 per GraphQL
query, never one GET each; what GraphQL cannot resolve falls back to REST, which tells a gone
issue, a moved one and a pull request apart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STANDARD_ROWS
from tests.fakes.fake_github import FakeGitHub, fake_github
from tests.github_env import REPO, configure, write_doc
from tests.sync_support import GH_TOKEN, GH_TOKEN_ENV, Cli, fresh_doc, ticket_cells, write_gh_config
from tests.tracker_stories import gh_graphql_reads, gh_issue_gets, gh_listings

__all__ = ["fake_github"]  # fixture re-exported for pytest


def numbers_asked(fake: FakeGitHub) -> list[list[object]]:
    return [[v for k, v in q.items() if k[1:].isdigit()] for q in gh_graphql_reads(fake)]


def test_hand_made_issues_in_ticket_cells_are_read_by_number_in_one_query(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    made = [fake_github.add_issue(REPO, f"Filed by hand {n}", assignees=["alice"]) for n in range(3)]
    rows = [("P1", f"Filed by hand {n}", "@alice", "2024-02-01", f"#{num}") for n, num in enumerate(made)]
    doc = write_doc(workdir, rows)
    fake_github.clear_log()

    result = cli("reconcile", str(doc), "--json")

    assert result.code == 0, result.stdout
    # the labelled listing finds none of them (no label, no marker): one query reads all three
    assert gh_listings(fake_github) == ["/repos/acme/app/issues"]
    assert numbers_asked(fake_github) == [made]
    assert gh_issue_gets(fake_github) == []


def test_more_than_a_hundred_keys_take_one_query_per_hundred(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    made = [fake_github.add_issue(REPO, f"Old task {n}") for n in range(150)]
    rows = [("P1", f"Old task {n}", "@alice", "2024-02-01", f"#{num}") for n, num in enumerate(made)]
    doc = write_doc(workdir, rows)
    fake_github.clear_log()

    report = cli("overdue", str(doc), "--as-of", "2024-03-01", "--format", "json")

    assert report.code == 0, report.stdout + report.stderr
    assert [len(q) for q in numbers_asked(fake_github)] == [100, 50]
    assert gh_issue_gets(fake_github) == []
    assert len(report.json()["overdue"]) == 150


def test_a_gone_issue_and_a_missing_repository_are_missing_tickets_not_a_failed_run(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    kept = fake_github.add_issue(REPO, "Still here", assignees=["alice"])
    gone = fake_github.add_issue(REPO, "Deleted later")
    fake_github.delete_issue(REPO, gone)
    rows = [
        ("P1", "Still here", "@alice", "2024-02-01", f"#{kept}"),
        ("P1", "Deleted later", "@alice", "2024-02-01", f"#{gone}"),
        ("P2", "In a repository that does not exist", "@alice", "2024-02-01", "acme/nope#4"),
    ]
    doc = write_doc(workdir, rows)
    fake_github.clear_log()

    result = cli("reconcile", str(doc), "--json")

    out = result.one()
    assert out["missing"] == [f"#{gone}", "acme/nope#4"]
    assert [e["code"] for e in out["errors"]] == ["missing-ticket", "missing-ticket"]
    assert f"#{kept}" in out["updated"]  # read by number, and brought in line with its row
    # GraphQL could not resolve those two; REST was asked once each, and said gone (410 / 404)
    assert sorted(gh_issue_gets(fake_github)) == sorted(
        [f"/repos/acme/app/issues/{gone}", "/repos/acme/nope/issues/4"]
    )


def test_a_pull_request_in_a_ticket_cell_is_refused_after_one_rest_look(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    pr = fake_github.add_pull_request(REPO, "Fix pool sizing")
    doc = write_doc(workdir, [("P1", "Fix pool sizing", "@alice", "2024-02-01", f"#{pr}")])
    fake_github.clear_log()

    result = cli("reconcile", str(doc), "--json")

    assert result.code == 1
    assert "pull request" in " ".join(e["message"] for e in result.one()["errors"])
    assert gh_issue_gets(fake_github) == [f"/repos/acme/app/issues/{pr}"]


class _GitHubWithoutStateReason(FakeGitHub):
    """Older GHES: closed issues carry no `state_reason`, and no rate-limit headers are sent."""

    def _issue_json(self, iss: Any) -> dict[str, Any]:
        data = super()._issue_json(iss)
        data.pop("state_reason", None)
        return data


def test_github_double_without_state_reason_reads_closed_as_done(
    workdir: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _GitHubWithoutStateReason(token=GH_TOKEN) as fake:
        fake.add_repo("acme/app")
        fake.add_collaborator("acme/app", "alice")
        fake.add_collaborator("acme/app", "bob")
        monkeypatch.setenv(GH_TOKEN_ENV, GH_TOKEN)
        write_gh_config(workdir, fake)
        doc = fresh_doc(workdir, STANDARD_ROWS)
        assert cli("push", str(doc)).code == 0
        cells = ticket_cells(doc)
        fake.add_pull_request("acme/app", "An unrelated PR", labels=["postmortem", "P0"])
        fake.close_issue("acme/app", int(cells[1].lstrip("#")))

        report = cli("overdue", str(doc), "--as-of", "2024-02-01", "--format", "json")

        overdue = [r["ticket"] for r in report.json()["overdue"]]
        assert cells[1] not in overdue and cells[0] in overdue
