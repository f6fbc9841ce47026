"""Stories: issues land on a Projects v2 board with their due date and priority (GraphQL).

REST goes through PyGithub to FakeGitHub; the GraphQL endpoint is mocked with respx using
GitHub's documented request and response shapes (errors arrive with HTTP 200).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from tests.fakes.fake_github import FakeGitHub, fake_ghes, fake_github
from tests.github_env import BOARD, OPTIONS, PROJECT, REPO, TOKEN, configure, ticket_cells, write_doc

__all__ = ["fake_ghes", "fake_github"]  # fixtures re-exported for pytest


class GraphQL:
    """A Projects v2 endpoint: answers the board query and the two mutations, records calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], httpx.Request]] = []
        self.fail: dict[str, Any] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        query, variables = payload["query"], payload.get("variables") or {}
        name = next(
            n
            for n in (
                "projectV2",
                "addProjectV2ItemById",
                "updateProjectV2ItemFieldValue",
                "clearProjectV2ItemFieldValue",
            )
            if n + "(" in query
        )
        self.calls.append((name, variables, request))
        if self.fail is not None and self.fail["when"] == name:
            return httpx.Response(200, json=self.fail["reply"])
        if name == "projectV2":
            return httpx.Response(200, json={"data": {"organization": {"projectV2": PROJECT}}})
        if name == "addProjectV2ItemById":
            item = "PVTI_" + variables["content"]
            return httpx.Response(200, json={"data": {name: {"item": {"id": item}}}})
        return httpx.Response(200, json={"data": {name: {"projectV2Item": {"id": variables["item"]}}}})

    def named(self, name: str) -> list[dict[str, Any]]:
        return [v for n, v, _ in self.calls if n == name]


@pytest.fixture
def graphql(fake_github: FakeGitHub) -> Iterator[GraphQL]:
    handler = GraphQL()
    with respx.mock(assert_all_called=False) as router:
        router.post(fake_github.api_url + "/graphql").mock(side_effect=handler)
        yield handler


def test_new_issues_are_added_to_the_board_with_due_date_and_priority(
    workdir: Path,
    cli,
    fake_github: FakeGitHub,
    graphql: GraphQL,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure(workdir, fake_github, monkeypatch, extra=BOARD)
    doc = write_doc(workdir)

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    issues = fake_github.issues(REPO)
    assert len(graphql.named("projectV2")) == 1  # fields and options looked up once per run
    assert graphql.named("projectV2")[0] == {"owner": "acme", "number": 5}
    assert graphql.named("addProjectV2ItemById") == [
        {"project": PROJECT["id"], "content": i["node_id"]} for i in issues
    ]
    sets = graphql.named("updateProjectV2ItemFieldValue")
    assert sets == [
        {
            "project": PROJECT["id"],
            "item": "PVTI_" + issues[0]["node_id"],
            "field": "PVTF_due",
            "value": {"date": "2024-01-22"},
        },
        {
            "project": PROJECT["id"],
            "item": "PVTI_" + issues[0]["node_id"],
            "field": "PVTSSF_prio",
            "value": {"singleSelectOptionId": OPTIONS["P0"]},
        },
        {
            "project": PROJECT["id"],
            "item": "PVTI_" + issues[1]["node_id"],
            "field": "PVTF_due",
            "value": {"date": "2024-01-17"},
        },
        {
            "project": PROJECT["id"],
            "item": "PVTI_" + issues[1]["node_id"],
            "field": "PVTSSF_prio",
            "value": {"singleSelectOptionId": OPTIONS["P0"]},
        },
        {
            "project": PROJECT["id"],
            "item": "PVTI_" + issues[2]["node_id"],
            "field": "PVTF_due",
            "value": {"date": "2024-01-29"},
        },
        {
            "project": PROJECT["id"],
            "item": "PVTI_" + issues[2]["node_id"],
            "field": "PVTSSF_prio",
            "value": {"singleSelectOptionId": OPTIONS["P1"]},
        },
    ]
    request = graphql.calls[0][2]
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert "organization(login: $owner)" in json.loads(request.content)["query"]


def test_changed_due_date_updates_only_that_board_field(
    workdir: Path,
    cli,
    fake_github: FakeGitHub,
    graphql: GraphQL,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure(workdir, fake_github, monkeypatch, extra=BOARD)
    doc = write_doc(workdir)
    assert cli("push", str(doc)).code == 0
    graphql.calls.clear()
    doc.write_text(doc.read_text().replace("@bob | 2024-01-17", "@bob | 2024-02-02"))

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert result.one()["updated"] == ["#2"]
    node = fake_github.issues(REPO)[1]["node_id"]
    assert graphql.named("addProjectV2ItemById") == [{"project": PROJECT["id"], "content": node}]
    assert graphql.named("updateProjectV2ItemFieldValue") == [
        {
            "project": PROJECT["id"],
            "item": "PVTI_" + node,
            "field": "PVTF_due",
            "value": {"date": "2024-02-02"},
        }
    ]

    graphql.calls.clear()
    assert cli("push", str(doc), "--json").one()["unchanged"] == ["#1", "#2", "#3"]
    assert graphql.calls == []  # nothing changed: GraphQL is not even asked


def test_graphql_errors_with_http_200_become_a_clear_error(
    workdir: Path,
    cli,
    fake_github: FakeGitHub,
    graphql: GraphQL,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure(workdir, fake_github, monkeypatch, extra=BOARD)
    graphql.fail = {
        "when": "updateProjectV2ItemFieldValue",
        "reply": {
            "data": {"updateProjectV2ItemFieldValue": None},
            "errors": [
                {
                    "type": "NOT_FOUND",
                    "path": ["updateProjectV2ItemFieldValue"],
                    "locations": [{"line": 2, "column": 3}],
                    "message": "Could not resolve to a node with the global id of 'PVTF_x'",
                }
            ],
        },
    }
    doc = write_doc(workdir, [("P0", "Integration test for connection pool", "@alice", "2024-01-22", "")])

    result = cli("push", str(doc), "--json")

    assert result.code == 1
    [error] = result.one()["errors"]
    assert error["line"] == 14
    assert "Could not resolve to a node" in error["message"] and "#1" in error["message"]
    assert "trackers.github" in error["hint"]
    assert len(fake_github.issues(REPO)) == 1

    graphql.fail = None
    again = cli("push", str(doc), "--json")  # the issue is found by its marker, not recreated
    assert again.one()["recovered"] == ["#1"] and ticket_cells(doc) == ["#1"]
    assert len(fake_github.issues(REPO)) == 1


def test_unknown_board_field_names_the_config_key(
    workdir: Path,
    cli,
    fake_github: FakeGitHub,
    graphql: GraphQL,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure(
        workdir,
        fake_github,
        monkeypatch,
        extra=BOARD.replace('due_field = "Due date"', 'due_field = "Deadline"'),
    )
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
    handler = GraphQL()
    doc = write_doc(workdir, [("P1", "Integration test for connection pool", "@alice", "2024-01-22", "")])

    def user_board(request: httpx.Request) -> httpx.Response:
        reply = handler(request)
        body = json.loads(reply.content)
        if "organization" in body.get("data", {}):
            body["data"] = {"user": body["data"]["organization"]}
        return httpx.Response(200, json=body)

    with respx.mock(assert_all_called=True) as router:
        router.post(fake_ghes.url + "/api/graphql").mock(side_effect=user_board)
        result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert [n for n, _, _ in handler.calls] == [
        "projectV2",
        "addProjectV2ItemById",
        "updateProjectV2ItemFieldValue",
        "updateProjectV2ItemFieldValue",
    ]
    assert "user(login: $owner)" in json.loads(handler.calls[0][2].content)["query"]
