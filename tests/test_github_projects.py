"""Stories: issues land on a Projects v2 board with their due date and priority (GraphQL).

REST goes through PyGithub to FakeGitHub, GraphQL to the same fake's `/graphql` endpoint, which
keeps the board (errors arrive with HTTP 200, as GitHub sends them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakes.fake_github import FakeGitHub, LoggedRequest, fake_ghes, fake_github
from tests.github_env import BOARD, REPO, configure, ticket_cells, write_doc

__all__ = ["fake_ghes", "fake_github"]  # fixtures re-exported for pytest

PRIORITIES = ["P0", "P1", "P2", "P3", "P4"]


def board_fields(fake: FakeGitHub) -> None:
    fake.add_project("acme", 5, fields={"Due date": None, "Priority": PRIORITIES})


def graphql_calls(fake: FakeGitHub) -> list[LoggedRequest]:
    return fake.requests_to("POST", r"^/graphql$")


def mutations(fake: FakeGitHub) -> list[str]:
    """The mutation fields each GraphQL mutation request carried, one list per request."""
    out = []
    for r in graphql_calls(fake):
        query = str((r.json or {}).get("query"))
        if query.lstrip().startswith("mutation"):
            out.append(
                [
                    name
                    for name in (
                        "addProjectV2ItemById",
                        "updateProjectV2ItemFieldValue",
                        "clearProjectV2ItemFieldValue",
                    )
                    for _ in range(query.count(name + "("))
                ]
            )
    return out


def on_board(fake: FakeGitHub, number: int, owner: str = "acme") -> dict[str, Any] | None:
    node = fake.get_issue(REPO, number)
    assert node is not None
    return fake.graphql.item_values(owner, 5, node["node_id"])


def test_new_issues_are_added_to_the_board_with_due_date_and_priority(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch, extra=BOARD)
    board_fields(fake_github)
    doc = write_doc(workdir)

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert on_board(fake_github, 1) == {"Due date": "2024-01-22", "Priority": "P0"}
    assert on_board(fake_github, 2) == {"Due date": "2024-01-17", "Priority": "P0"}
    assert on_board(fake_github, 3) == {"Due date": "2024-01-29", "Priority": "P1"}
    calls = graphql_calls(fake_github)
    # the board looked up once; the three issues join it in one request, their six fields
    # are set in one more (aliased mutations), not one request per field
    assert len(calls) == 3
    assert "organization(login: $owner)" in calls[0].json["query"]
    assert calls[0].json["variables"] == {"owner": "acme", "number": 5}
    assert mutations(fake_github) == [["addProjectV2ItemById"] * 3, ["updateProjectV2ItemFieldValue"] * 6]
    assert calls[0].headers["authorization"] == "Bearer <redacted>"


def test_changed_due_date_updates_only_that_board_field(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch, extra=BOARD)
    board_fields(fake_github)
    doc = write_doc(workdir)
    assert cli("push", str(doc)).code == 0
    fake_github.clear_log()
    doc.write_text(doc.read_text().replace("@bob | 2024-01-17", "@bob | 2024-02-02"))

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert result.one()["updated"] == ["#2"]
    assert mutations(fake_github) == [["addProjectV2ItemById"], ["updateProjectV2ItemFieldValue"]]
    assert on_board(fake_github, 2) == {"Due date": "2024-02-02", "Priority": "P0"}

    fake_github.clear_log()
    assert cli("push", str(doc), "--json").one()["unchanged"] == ["#1", "#2", "#3"]
    assert mutations(fake_github) == []  # nothing changed: the board is not touched


def test_a_cleared_due_date_clears_the_board_field(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch, extra=BOARD)
    board_fields(fake_github)
    doc = write_doc(workdir)
    assert cli("push", str(doc)).code == 0
    doc.write_text(doc.read_text().replace("@bob | 2024-01-17", "@bob | TBD"))

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert on_board(fake_github, 2) == {"Priority": "P0"}


def test_graphql_errors_with_http_200_become_a_clear_error(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch, extra=BOARD)
    board_fields(fake_github)
    fake_github.graphql.fail_next(
        "updateProjectV2ItemFieldValue",
        "NOT_FOUND",
        "Could not resolve to a node with the global id of 'PVTF_x'",
    )
    doc = write_doc(workdir, [("P0", "Integration test for connection pool", "@alice", "2024-01-22", "")])

    result = cli("push", str(doc), "--json")

    assert result.code == 1
    [error] = result.one()["errors"]
    assert error["line"] == 14
    assert "Could not resolve to a node" in error["message"] and "#1" in error["message"]
    assert "trackers.github" in error["hint"]
    assert len(fake_github.issues(REPO)) == 1

    again = cli("push", str(doc), "--json")  # the issue is found by its marker, not recreated
    assert again.one()["recovered"] == ["#1"] and ticket_cells(doc) == ["#1"]
    assert len(fake_github.issues(REPO)) == 1
    assert on_board(fake_github, 1) == {"Due date": "2024-01-22", "Priority": "P0"}


def test_one_issue_failing_on_the_board_leaves_the_others_created_and_written(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch, extra=BOARD)
    board_fields(fake_github)
    fake_github.graphql.fail_next("addProjectV2ItemById", "NOT_FOUND", "Could not resolve to a node")
    doc = write_doc(workdir)

    result = cli("push", str(doc), "--json")

    assert result.code == 1
    [error] = result.one()["errors"]
    assert "created #1 but" in error["message"] and "next run puts it on the board" in error["message"]
    assert ticket_cells(doc) == ["", "#2", "#3"]
    assert on_board(fake_github, 1) is None and on_board(fake_github, 3) is not None

    again = cli("push", str(doc), "--json")
    assert again.one()["recovered"] == ["#1"] and ticket_cells(doc) == ["#1", "#2", "#3"]
    assert on_board(fake_github, 1) == {"Due date": "2024-01-22", "Priority": "P0"}


def test_unknown_board_field_names_the_config_key(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(
        workdir,
        fake_github,
        monkeypatch,
        extra=BOARD.replace('due_field = "Due date"', 'due_field = "Deadline"'),
    )
    board_fields(fake_github)
    doc = write_doc(workdir, [("P0", "Integration test for connection pool", "@alice", "2024-01-22", "")])

    result = cli("push", str(doc), "--json")

    [error] = result.one()["errors"]
    assert "'Deadline'" in error["message"] and "trackers.github.due_field" in error["hint"]
    assert "Due date" in error["hint"]


def test_user_board_on_github_enterprise(
    workdir: Path, cli, fake_ghes: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(
        workdir,
        fake_ghes,
        monkeypatch,
        extra=BOARD.replace("number = 5 }", 'number = 5, owner_type = "user" }'),
    )
    fake_ghes.add_project("acme", 5, owner_type="user", fields={"Due date": None, "Priority": PRIORITIES})
    doc = write_doc(workdir, [("P1", "Integration test for connection pool", "@alice", "2024-01-22", "")])

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    calls = graphql_calls(fake_ghes)
    assert all(c.path == "/api/graphql" for c in calls)  # GHES serves GraphQL beside /api/v3
    assert "user(login: $owner)" in calls[0].json["query"]
    assert mutations(fake_ghes) == [["addProjectV2ItemById"], ["updateProjectV2ItemFieldValue"] * 2]
    node = fake_ghes.get_issue(REPO, 1)
    assert node is not None
    assert fake_ghes.graphql.item_values("acme", 5, node["node_id"]) == {
        "Due date": "2024-01-22",
        "Priority": "P1",
    }


def test_new_rows_fill_the_board_in_a_few_requests_whatever_their_number(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch, extra=BOARD)
    board_fields(fake_github)
    rows = [("P2", f"Follow-up task number {n}", "@alice", "2024-02-01", "") for n in range(60)]
    doc = write_doc(workdir, rows)

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    # 60 issues: the board query, then adds and fields in two requests per 50 issues
    assert len(graphql_calls(fake_github)) == 1 + 2 + 2
    assert all(on_board(fake_github, n) == {"Due date": "2024-02-01", "Priority": "P2"} for n in range(1, 61))
