"""Issues read by number over GraphQL: up to 100 a request, each an aliased `issue(number:)` of
one repository, instead of one REST GET per issue.

The replies are turned into the REST issue shape the rest of the connector reads (`state.py`),
with only the fields pm-sync uses. An issue GraphQL does not resolve (a pull request, one that
moved or was deleted) comes back as None, for the caller to ask REST, which tells those apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pm_sync.tracker.http import require
from pm_sync_github.graphql import GraphQL, error_path
from pm_sync_github.state import check_issue

JSON = dict[str, Any]
PER_QUERY = 100
ISSUE_FIELDS = """
    id number title body state stateReason url createdAt closedAt
    labels(first: 100) { nodes { name } }
    assignees(first: 20) { nodes { login } }
    repository { nameWithOwner }
"""


def query_text(count: int) -> str:
    fields = " ".join(ISSUE_FIELDS.split())
    aliases = "\n".join(f"  i{n}: issue(number: $n{n}) {{ {fields} }}" for n in range(count))
    params = ", ".join(f"$n{n}: Int!" for n in range(count))
    return (
        f"query($owner: String!, $name: String!, {params}) {{\n"
        f" repository(owner: $owner, name: $name) {{\n{aliases}\n }}\n}}\n"
    )


def read(gql: GraphQL, api_url: str, repo: str, numbers: Sequence[int]) -> dict[int, JSON | None]:
    """The issues `numbers` of `repo` in REST shape, None for those GraphQL does not resolve."""
    out: dict[int, JSON | None] = {}
    owner, name = repo.split("/", 1)
    wanted = list(dict.fromkeys(numbers))
    for start in range(0, len(wanted), PER_QUERY):
        chunk = wanted[start : start + PER_QUERY]
        what = f"reading {len(chunk)} issue{'s' * (len(chunk) != 1)} of {repo}"
        variables: JSON = {"owner": owner, "name": name} | {f"n{n}": num for n, num in enumerate(chunk)}
        data, errors = gql.partial(query_text(len(chunk)), variables, what)
        paths = [error_path(e) for e in errors]
        if any(path == ["repository"] for path in paths) and data.get("repository") is None:
            out.update(dict.fromkeys(chunk))  # no such repository (or not visible): REST says which
            continue
        if any(len(path) != 2 or path[0] != "repository" for path in paths):
            raise gql.refused(
                errors, what, f"check trackers.github.repo and the Ticket cells ({repo})", "repo"
            )
        found = data.get("repository")
        require(isinstance(found, dict), "GitHub", what, "no repository")
        assert isinstance(found, dict)
        for n, number in enumerate(chunk):
            node = found.get(f"i{n}")
            if node is None:
                out[number] = None
                continue
            out[number] = rest_shape(node, api_url, what)
    return out


def rest_shape(node: Any, api_url: str, what: str) -> JSON:
    """A GraphQL Issue as the REST issue JSON fields pm-sync reads."""
    require(isinstance(node, dict), "GitHub", what, f"a {type(node).__name__} where an issue belongs")
    assert isinstance(node, dict)
    repo = (node.get("repository") or {}).get("nameWithOwner")
    reason = node.get("stateReason")
    return check_issue(
        {
            "number": node.get("number"),
            "title": node.get("title"),
            "body": node.get("body"),
            "state": str(node.get("state") or "").lower(),
            "state_reason": reason.lower() if isinstance(reason, str) else None,
            "html_url": node.get("url"),
            "node_id": node.get("id"),
            "labels": [{"name": lb.get("name")} for lb in _nodes(node.get("labels"))],
            "assignees": [{"login": a.get("login")} for a in _nodes(node.get("assignees"))],
            "repository_url": f"{api_url}/repos/{repo}" if isinstance(repo, str) else None,
            "created_at": node.get("createdAt"),
            "closed_at": node.get("closedAt"),
        },
        what,
    )


def _nodes(connection: Any) -> list[JSON]:
    nodes = connection.get("nodes") if isinstance(connection, dict) else None
    return [n for n in nodes or [] if isinstance(n, dict)]
