"""FakeGitHub's GraphQL endpoint answers as GitHub documents it (tracker-apis.md §3): aliases and
variables, partial data with errors at their paths (HTTP 200), connection bounds, 100 node ids
at most, one value per field mutation, and GHES's `/api/graphql`."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fakes.fake_github import FakeGitHub, fake_ghes, fake_github

__all__ = ["fake_ghes", "fake_github"]  # fixtures re-exported for pytest

TOKEN = "ghp_test"


def ask(fake: FakeGitHub, query: str, variables: dict[str, Any] | None = None) -> tuple[int, Any]:
    reply = httpx.post(
        fake.graphql_url,
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    return reply.status_code, reply.json()


def test_aliased_issues_by_number_with_one_missing_answer_the_rest(fake_github: FakeGitHub) -> None:
    fake_github.add_repo("acme/app")
    one = fake_github.add_issue("acme/app", "First", body="text", labels=["postmortem"], assignees=[])
    fake_github.close_issue("acme/app", one, reason="not_planned")
    query = """
    query($owner: String!, $name: String!, $a: Int!) {
      repository(owner: $owner, name: $name) {
        nameWithOwner
        x: issue(number: $a) { number title body state stateReason labels(first: 5) { nodes { name } } }
        y: issue(number: 99) { number }
      }
    }"""

    status, body = ask(fake_github, query, {"owner": "acme", "name": "app", "a": one})

    assert status == 200
    repo = body["data"]["repository"]
    assert repo["nameWithOwner"] == "acme/app"
    assert repo["x"] == {
        "number": one,
        "title": "First",
        "body": "text",
        "state": "CLOSED",
        "stateReason": "NOT_PLANNED",
        "labels": {"nodes": [{"name": "postmortem"}]},
    }
    assert repo["y"] is None
    [error] = body["errors"]
    assert error["type"] == "NOT_FOUND" and error["path"] == ["repository", "y"]
    assert error["message"] == "Could not resolve to an Issue with the number of 99."


def test_a_pull_request_is_no_issue_and_a_missing_repository_is_null(fake_github: FakeGitHub) -> None:
    fake_github.add_repo("acme/app")
    pr = fake_github.add_pull_request("acme/app", "A change")

    _, body = ask(
        fake_github, f'{{ repository(owner: "acme", name: "app") {{ issue(number: {pr}) {{ id }} }} }}'
    )
    assert body["data"]["repository"]["issue"] is None and body["errors"][0]["type"] == "NOT_FOUND"

    _, body = ask(fake_github, '{ repository(owner: "acme", name: "nope") { nameWithOwner } }')
    assert body["data"] == {"repository": None}
    assert body["errors"][0]["path"] == ["repository"]


def test_connections_need_bounds_and_nodes_take_at_most_a_hundred_ids(fake_github: FakeGitHub) -> None:
    fake_github.add_repo("acme/app")
    number = fake_github.add_issue("acme/app", "First")

    unbounded = f"issue(number: {number}) {{ labels {{ nodes {{ name }} }} }}"
    _, body = ask(fake_github, f'{{ repository(owner: "acme", name: "app") {{ {unbounded} }} }}')
    assert body["errors"][0]["type"] == "MISSING_PAGINATION_BOUNDARIES"

    ids = ", ".join(f'"I_{n}"' for n in range(101))
    _, body = ask(fake_github, f"{{ nodes(ids: [{ids}]) {{ id }} }}")
    assert "You may not provide more than 100 node ids" in body["errors"][0]["message"]


def test_board_mutations_one_value_each_and_adding_twice_returns_the_same_item(
    fake_github: FakeGitHub,
) -> None:
    fake_github.add_repo("acme/app")
    project = fake_github.add_project("acme", 5, fields={"Due": None, "Priority": ["P0", "P1"]})
    node = fake_github.get_issue("acme/app", fake_github.add_issue("acme/app", "First"))["node_id"]  # type: ignore[index]
    one = "addProjectV2ItemById(input: {projectId: $p, contentId: $c}) { item { id } }"
    add = f"mutation($p: ID!, $c: ID!) {{ a: {one} b: {one} }}"

    _, body = ask(fake_github, add, {"p": project.id, "c": node})

    item = body["data"]["a"]["item"]["id"]
    assert body["data"]["b"]["item"]["id"] == item and "errors" not in body
    due = next(f["id"] for f in project.fields if f["name"] == "Due")
    setter = (
        "mutation($p: ID!, $i: ID!, $f: ID!, $v: ProjectV2FieldValue!) { updateProjectV2ItemFieldValue("
        "input: {projectId: $p, itemId: $i, fieldId: $f, value: $v}) { projectV2Item { id } } }"
    )
    _, body = ask(
        fake_github, setter, {"p": project.id, "i": item, "f": due, "v": {"date": "2024-01-22", "text": "x"}}
    )
    assert body["errors"][0]["type"] == "INVALID"
    _, body = ask(fake_github, setter, {"p": project.id, "i": item, "f": due, "v": {"date": "2024-01-22"}})
    assert "errors" not in body
    assert fake_github.graphql.item_values("acme", 5, node) == {"Due": "2024-01-22"}


def test_enterprise_serves_graphql_beside_the_rest_api(fake_ghes: FakeGitHub) -> None:
    fake_ghes.add_repo("acme/app")
    assert fake_ghes.graphql_url.endswith("/api/graphql")

    status, body = ask(fake_ghes, '{ repository(owner: "acme", name: "app") { nameWithOwner } }')

    assert status == 200 and body == {"data": {"repository": {"nameWithOwner": "acme/app"}}}
    bad = httpx.post(
        fake_ghes.graphql_url, json={"query": "{ viewer { login } }"}, headers={"Authorization": "Bearer no"}
    )
    assert bad.status_code == 401
