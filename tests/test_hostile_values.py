"""Hostile values from a tracker never split the table or plant content (issue 10, item 7); a
multi-owner cell is never rewritten to fewer owners (item 10); an owner mapped to an account
the tracker does not have is caught before anything is created.

The real CLI runs in a subprocess against fake trackers, some answers rewritten by the proxy.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.conftest import STANDARD_ROWS
from tests.fakes.proxy import Exchange, Reply
from tests.hostile_support import (
    DOC_NAME,
    GitHubStage,
    JiraStage,
    Project,
    github_stage,
    jira_ident,
    jira_stage,
    one_line_errors,
)

__all__ = ["github_stage", "jira_stage"]

PLANT = "\n\n## Injected\n\n| evil | row |\n|---|---|\n| x | y |\n"
SEARCH = r"/rest/api/\d/search(/jql)?$"
GH_LIST = r"^/repos/acme/app/issues$"
MALLORY = "[Mallory](https://evil.example/x) <img src=x onerror=alert(1)>"


def assert_table_intact(project: Project, rows: int = 3) -> list[dict[str, Any]]:
    """The document still has one table of `rows` items, no planted heading, no raw HTML."""
    text = project.doc.read_text()
    assert not re.search(r"^#+ Injected", text, re.MULTILINE), text
    assert not re.search(r"(?<!\\)<img", text) and "](https://evil" not in text, text
    assert "| evil | row |" not in text
    parsed = project.run("parse", DOC_NAME, "--json")
    [data] = json.loads(parsed.stdout)  # parse --json is a list, one entry per file
    assert data["problems"] == [] and len(data["action_items"]) == rows, data
    return list(data["action_items"])


def rows_with_keys(project: Project, owners: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    rows = [tuple(r) for r in STANDARD_ROWS]
    if owners:
        rows = [(p, a, owners[n] if n < len(owners) else o, d) for n, (p, a, o, d) in enumerate(rows)]
    return [(*r, k) for r, k in zip(rows, project.cells(), strict=True)]


# ------------------------------------------------------------------ keys outside the grammar


HOSTILE_KEYS = {
    "newlines and Markdown": lambda key: key + PLANT,
    "a pipe": lambda key: key + " | P0 |",
    "full-width digits": lambda key: key.split("-")[0] + "-\uff11\uff12",
    "a right-to-left override": lambda key: "\u202e" + key,
    "a link": lambda key: f"[{key}](https://evil.example)",
}


@pytest.mark.parametrize("mangle", list(HOSTILE_KEYS))
def test_jira_create_answered_with_a_hostile_key_writes_nothing(jira_stage: JiraStage, mangle: str) -> None:
    stage, project = jira_stage, jira_stage.project
    project.write_doc()
    before = project.doc.read_bytes()

    def plant(ex: Exchange, status: int, headers: dict[str, str], body: bytes) -> Reply:
        data = json.loads(body)
        for issue in data["issues"]:
            issue["key"] = HOSTILE_KEYS[mangle](issue["key"])
        return status, headers, json.dumps(data).encode()

    stage.proxy.rule("POST", r"/issue/bulk$", rewrite=plant)

    first = project.push()

    assert first.code == 1, first.stdout
    one_line_errors(first)
    assert set(first.codes()) == {"bad-key"} and project.doc.read_bytes() == before
    second = project.push()  # the tickets exist: found by their markers, not made again
    assert second.code == 0, second.stdout
    assert project.cells() == ["OPS-1", "OPS-2", "OPS-3"] and len(stage.fake.issues) == 3
    assert_table_intact(project)


def test_jira_search_answering_hostile_keys_writes_nothing(jira_stage: JiraStage) -> None:
    stage, project = jira_stage, jira_stage.project
    project.write_doc()
    assert project.push().code == 0
    stage.fake.edit_fields("OPS-1", summary="Retitled in Jira")
    before = project.doc.read_bytes()

    def plant(ex: Exchange, status: int, headers: dict[str, str], body: bytes) -> Reply:
        data = json.loads(body)
        for issue in data.get("issues", []):
            issue["key"] = issue["key"].replace("-", "-1\n\n## Injected\n| a | b |\nOPS-")
        return status, headers, json.dumps(data).encode()

    stage.proxy.rule("*", SEARCH, rewrite=plant, times=None)

    result = project.reconcile()

    assert result.code == 1, result.stdout
    one_line_errors(result)
    assert "bad-key" in result.codes() and project.doc.read_bytes() == before


def test_github_create_answered_from_another_repository_is_settled_by_marker(
    github_stage: GitHubStage,
) -> None:
    """Asked to create in acme/app, the answer claims acme/evil: not a key to write; the marker
    says where the issue really is."""
    stage, project = github_stage, github_stage.project
    project.write_doc()

    def elsewhere(ex: Exchange, status: int, headers: dict[str, str], body: bytes) -> Reply:
        data = json.loads(body)
        data["repository_url"] = data["repository_url"].replace("acme/app", "acme/evil")
        return status, headers, json.dumps(data).encode()

    stage.proxy.rule("POST", r"^/repos/acme/app/issues$", rewrite=elsewhere, times=None)

    result = project.push()

    assert result.code == 0, result.stdout
    assert project.cells() == ["#1", "#2", "#3"] and stage.creates() == 3 and len(stage.issues()) == 3


@pytest.mark.parametrize("where", ["create", "listing"])
def test_github_repository_url_with_a_newline_writes_nothing(github_stage: GitHubStage, where: str) -> None:
    stage, project = github_stage, github_stage.project
    project.write_doc()
    if where == "listing":
        assert project.push().code == 0
        stage.fake.edit_issue("acme/app", 1, title="Retitled on GitHub")
    before = project.doc.read_bytes()

    def plant(ex: Exchange, status: int, headers: dict[str, str], body: bytes) -> Reply:
        data = json.loads(body)
        for issue in data if isinstance(data, list) else [data]:
            issue["repository_url"] += PLANT
        return status, headers, json.dumps(data).encode()

    stage.proxy.rule(
        "POST" if where == "create" else "GET", r"^/repos/acme/app/issues", rewrite=plant, times=None
    )

    result = project.push() if where == "create" else project.reconcile()

    if where == "create":  # the key is the repository it was created in, never the answer's text
        assert result.code == 0, result.stdout
        assert project.cells() == ["#1", "#2", "#3"]
        assert_table_intact(project)
    else:  # the listing says issues live at no repository: nothing pulled
        assert result.code == 1, result.stdout
        one_line_errors(result)
        assert project.doc.read_bytes() == before
    stage.proxy.clear()
    again = project.push()
    assert again.code == 0, again.stdout
    assert project.cells() == ["#1", "#2", "#3"] and len(stage.issues()) == 3
    assert_table_intact(project)


# ------------------------------------------------------------------ titles pulled by reconcile

HOSTILE_TITLE = "Alert on pool saturation | P0 | @root |" + PLANT + "<img src=x onerror=alert(1)>"


def test_jira_title_with_a_planted_heading_is_pulled_as_one_line(jira_stage: JiraStage) -> None:
    stage, project = jira_stage, jira_stage.project
    project.write_doc()
    assert project.push().code == 0
    stage.fake.edit_fields("OPS-2", summary=HOSTILE_TITLE)  # Jira would refuse; a hostile one would not

    result = project.reconcile()

    assert result.code == 0, result.stdout
    assert "unsafe-value" in [w["code"] for w in result.one()["warnings"]]
    items = assert_table_intact(project)
    assert items[1]["action"].startswith("Alert on pool saturation | P0 | @root | ## Injected")
    assert [i["ticket"] for i in items] == ["OPS-1", "OPS-2", "OPS-3"]
    assert project.reconcile().code == 0  # and it stays in line


def test_github_title_with_a_planted_heading_is_pulled_as_one_line(github_stage: GitHubStage) -> None:
    stage, project = github_stage, github_stage.project
    project.write_doc()
    assert project.push().code == 0
    stage.fake.edit_issue("acme/app", 2, title=HOSTILE_TITLE)

    result = project.reconcile()

    assert result.code == 0, result.stdout
    assert "unsafe-value" in [w["code"] for w in result.one()["warnings"]]
    items = assert_table_intact(project)
    assert "## Injected" in items[1]["action"] and [i["owner"] for i in items] == ["@alice", "@bob", "@alice"]


# ------------------------------------------------------------------ owners pulled by reconcile


def test_jira_assignee_with_a_hostile_display_name_is_never_written(jira_stage: JiraStage) -> None:
    stage, project = jira_stage, jira_stage.project
    mallory = stage.fake.add_user(name="mallory", email=None, display_name=MALLORY)
    project.write_doc()
    assert project.push().code == 0
    stage.fake.edit_fields("OPS-1", assignee=mallory["accountId"])

    result = project.reconcile()

    assert result.code == 0, result.stdout
    items = assert_table_intact(project)
    if stage.cloud:  # only a display name: not a handle, so the cell stays and the run says why
        assert items[0]["owner"] == "@alice"
        assert "owner-not-pulled" in [w["code"] for w in result.one()["warnings"]]
    else:  # Data Center's username is a plain login
        assert items[0]["owner"] == "@mallory"
    assert "Mallory" not in project.doc.read_text()


def test_github_assignee_login_that_is_not_a_login_is_never_written(github_stage: GitHubStage) -> None:
    stage, project = github_stage, github_stage.project
    project.write_doc()
    assert project.push().code == 0
    stage.fake.add_collaborator("acme/app", "mallory")
    stage.fake.edit_issue("acme/app", 1, assignees=["mallory"])

    def hostile(ex: Exchange, status: int, headers: dict[str, str], body: bytes) -> Reply:
        data = json.loads(body)
        for issue in data:
            for person in [issue.get("assignee"), *(issue.get("assignees") or [])]:
                if person and person.get("login") == "mallory":
                    person["login"] = MALLORY
        return status, headers, json.dumps(data).encode()

    stage.proxy.rule("GET", GH_LIST, rewrite=hostile, times=None)

    result = project.reconcile()

    assert result.code == 0, result.stdout
    assert assert_table_intact(project)[0]["owner"] == "@alice"
    assert "owner-not-pulled" in [w["code"] for w in result.one()["warnings"]]


# ------------------------------------------------------------------ 10. several owners in one cell


@pytest.mark.parametrize("change", ["reassigned", "unassigned"])
def test_jira_multi_owner_cell_is_never_shortened(jira_stage: JiraStage, change: str) -> None:
    stage, project = jira_stage, jira_stage.project
    project.write_doc([(*r, "") for r in STANDARD_ROWS])
    assert project.push().code == 0
    project.write_doc(rows_with_keys(project, owners=("@alice, @bob",)))
    assert project.push().code == 0  # the first owner is the assignee
    stage.fake.edit_fields(
        "OPS-1", assignee=jira_ident(stage.fake, "bob") if change == "reassigned" else None
    )

    for _ in range(2):  # and the next night too: the baseline was left as it was
        result = project.reconcile()
        assert result.code == 0, result.stdout
        assert "owner-not-pulled" in [w["code"] for w in result.one()["warnings"]]
        assert project.cells(2)[0] == "@alice, @bob"


@pytest.mark.parametrize("change", ["reassigned", "unassigned"])
def test_github_multi_owner_cell_is_never_shortened(github_stage: GitHubStage, change: str) -> None:
    stage, project = github_stage, github_stage.project
    project.write_doc()
    assert project.push().code == 0
    project.write_doc(rows_with_keys(project, owners=("@alice, @bob",)))
    assert project.push().code == 0
    stage.fake.edit_issue("acme/app", 1, assignees=["bob"] if change == "reassigned" else [])

    for _ in range(2):
        result = project.reconcile()
        assert result.code == 0, result.stdout
        assert "owner-not-pulled" in [w["code"] for w in result.one()["warnings"]]
        assert project.cells(2)[0] == "@alice, @bob"


# ------------------------------------------------------------------ owners the tracker does not have

CAROL_ROWS = [
    (*STANDARD_ROWS[0], ""),
    (*STANDARD_ROWS[1], ""),
    ("P1", "Rotate the pager", "@carol", "2024-02-01", ""),
]


@pytest.mark.parametrize("account", ["missing", "deactivated"])
def test_jira_owner_mapped_to_an_account_jira_lacks_stops_every_create(
    jira_stage: JiraStage, account: str
) -> None:
    stage, project = jira_stage, jira_stage.project
    ident = "557058:dddddddd-0000-4000-8000-0000000ca401" if stage.cloud else "carol"
    if account == "deactivated":
        stage.fake.add_user(account_id=ident, name="carol", email="carol@example.com", active=False)
    project.owners["@carol"] = {"jira": ident}
    project.write_config()
    project.write_doc(CAROL_ROWS)
    before = project.doc.read_bytes()

    result = project.push()

    assert result.code == 1, result.stdout
    one_line_errors(result)
    [error] = result.one()["errors"]
    assert error["code"] == "owner-unknown" and error["line"] == 16 and "@carol" in error["message"]
    assert stage.fake.issues == [] and project.doc.read_bytes() == before
    project.top["unknown_owner"] = "unassigned"
    project.write_config()
    relaxed = project.push()
    assert relaxed.code == 0, relaxed.stdout
    assert len(stage.fake.issues) == 3 and stage.fake.get("OPS-3")["fields"]["assignee"] is None


def test_github_owner_mapped_to_a_login_that_cannot_be_assigned_stops_every_create(
    github_stage: GitHubStage,
) -> None:
    stage, project = github_stage, github_stage.project
    project.owners["@carol"] = {"github": "carol-left-the-company"}
    project.write_config()
    project.write_doc(CAROL_ROWS)
    before = project.doc.read_bytes()

    result = project.push()

    assert result.code == 1, result.stdout
    [error] = result.one()["errors"]
    assert error["code"] == "owner-unknown" and error["line"] == 16
    assert stage.issues() == [] and project.doc.read_bytes() == before
