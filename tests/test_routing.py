"""Which tracker, project and assignee each row gets: project hints (`OPS-?`, `SEC-?`,
`acme/other#?`) route a row, keys keep routing to the tracker that made them after the default
changes, and an owner the tracker does not know follows `unknown_owner` before anything is made."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import STANDARD_ROWS, postmortem_text
from tests.fakes.fake_github import FakeGitHub
from tests.jira_support import JiraEnv
from tests.sync_support import (
    FIVE_ROWS,
    GH_TOKEN,
    GH_TOKEN_ENV,
    Cli,
    fresh_doc,
    gh,
    make_jira,
    ticket_cells,
    write_gh_config,
)

__all__ = ["gh", "make_jira"]  # fixtures re-exported for pytest


def test_project_hints_route_each_row(
    make_jira: Callable[..., JiraEnv], workdir: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`OPS`, `SEC-?`, `acme/other#?`, `#?` and an empty cell, with jira as the default."""
    env = make_jira()
    with FakeGitHub(token=GH_TOKEN) as fake:
        for repo in ("acme/app", "acme/other"):
            fake.add_repo(repo)
            fake.add_collaborator(repo, "alice")
            fake.add_collaborator(repo, "bob")
        monkeypatch.setenv(GH_TOKEN_ENV, GH_TOKEN)
        config = (workdir / "pm-sync.toml").read_text().split("[owners]")
        (workdir / "pm-sync.toml").write_text(
            config[0] + f'[trackers.github]\nrepo = "acme/app"\napi_url = "{fake.api_url}"\n'
            f'token_env = "{GH_TOKEN_ENV}"\ntimeout = 5\nseconds_between_writes = 0\n\n'
            "[owners]\n"
            f'"@alice" = {{ jira = "{env.ident("alice")}", github = "alice" }}\n'
            f'"@bob" = {{ jira = "{env.ident("bob")}", github = "bob" }}\n'
        )
        cells = ["", "OPS", "SEC-?", "acme/other#?", "#?"]
        doc = workdir / "postmortem-2024-01-15-routing.md"
        doc.write_text(postmortem_text([(*r[:4], c) for r, c in zip(FIVE_ROWS, cells, strict=True)]))

        result = cli("push", str(doc), "--json")

        assert result.code == 0, result.stdout
        assert ticket_cells(doc) == ["OPS-1", "OPS-2", "SEC-1", "acme/other#1", "#1"]
        assert [i["title"] for i in fake.issues("acme/other")] == [FIVE_ROWS[3][1]]


def test_local_keys_keep_routing_to_local_after_switching_to_github(
    workdir: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = fresh_doc(workdir, STANDARD_ROWS)
    assert cli("push", str(doc)).code == 0  # offline first, as the README's quick start does
    with FakeGitHub(token=GH_TOKEN) as fake:
        fake.add_repo("acme/app")
        fake.add_collaborator("acme/app", "alice")
        monkeypatch.setenv(GH_TOKEN_ENV, GH_TOKEN)
        write_gh_config(workdir, fake)
        doc.write_text(doc.read_text() + "| P2 | A new follow-up | @alice | 2024-03-01 |  |\n")

        result = cli("push", str(doc), "--json")

        assert result.code == 0, result.stdout
        assert ticket_cells(doc) == ["PM-1", "PM-2", "PM-3", "#1"]


@pytest.mark.parametrize("policy", ["error", "unassigned"])
def test_unknown_owner_policy_on_github(workdir: Path, cli: Cli, gh: FakeGitHub, policy: str) -> None:
    write_gh_config(workdir, gh, top=f'unknown_owner = "{policy}"')
    rows = [("P0", "Fix A", "@alice", "2024-02-01"), ("P1", "Fix B", "@zed", "2024-02-02")]
    doc = fresh_doc(workdir, rows)

    result = cli("push", str(doc), "--json")

    if policy == "error":
        assert result.code == 1
        assert [e["line"] for e in result.one()["errors"]] == [15]
        assert gh.issues("acme/app") == []
    else:
        assert result.code == 0
        assert any("@zed" in w["message"] for w in result.one()["warnings"])
        assert [[a["login"] for a in i["assignees"]] for i in gh.issues("acme/app")] == [["alice"], []]


@pytest.mark.parametrize("mode", ["cloud", "datacenter"])
def test_unknown_owner_is_an_error_before_anything_is_created_in_jira(
    make_jira: Callable[..., JiraEnv], cli: Cli, mode: str
) -> None:
    env = make_jira(mode=mode)
    doc = env.write_doc([("P0", "Fix A", "@alice", "2024-02-01"), ("P1", "Fix B", "@zed", "2024-02-02")])

    result = cli("push", str(doc), "--json")

    assert result.code == 1
    assert [e["line"] for e in result.one()["errors"]] == [15]
    assert env.fake.issues == []
