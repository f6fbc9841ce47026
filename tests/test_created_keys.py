"""A create answered with a key it cannot have is settled by the marker, never written.

A tracker (or whatever sits in front of it) that answers a create with the key of a ticket
another row already names, with one key for two creates, or with a key outside the project the
create was sent to, would have two rows name one ticket: each run then overwrites that ticket
with the other row's text, and the ticket really made is never named. The engine looks those
creates up by their markers instead, as it does for a create that got no answer.
"""

from __future__ import annotations

import json
import re

from tests.fakes.proxy import Exchange, Reply
from tests.hostile_support import (
    NEW_ROWS,
    REPO,
    GitHubStage,
    JiraStage,
    github_stage,
    jira_stage,
)

__all__ = ["github_stage", "jira_stage"]

JIRA_CREATE = r"/issue(/bulk)?$"
GH_CREATE = r"^/repos/acme/app/issues$"


def answer_jira_with(key: str, which: int = 0) -> object:
    """Rewrite a Jira create answer: the `which`-th issue gets `key`."""

    def rewrite(ex: Exchange, status: int, headers: dict[str, str], body: bytes) -> Reply:
        data = json.loads(body)
        if isinstance(data.get("issues"), list):
            data["issues"][which]["key"] = key
        else:
            data["key"] = key
        return status, headers, json.dumps(data).encode()

    return rewrite


def answer_github_with(number: int) -> object:
    def rewrite(ex: Exchange, status: int, headers: dict[str, str], body: bytes) -> Reply:
        data = json.loads(body)
        for name in ("url", "html_url"):
            data[name] = re.sub(r"/\d+$", f"/{number}", data[name])
        data["number"] = number
        return status, headers, json.dumps(data).encode()

    return rewrite


def keyed_rows(project_cells: list[str]) -> list[tuple[str, ...]]:
    """The first two rows with the keys a first push gave them, the third new."""
    return [(*NEW_ROWS[0][:4], project_cells[0]), (*NEW_ROWS[1][:4], project_cells[1]), NEW_ROWS[2]]


def test_jira_create_answered_with_another_rows_key(jira_stage: JiraStage) -> None:
    stage, project = jira_stage, jira_stage.project
    project.write_doc(NEW_ROWS[:2])
    assert project.push().code == 0
    project.write_doc(keyed_rows(project.cells()))
    stage.proxy.rule("POST", JIRA_CREATE, rewrite=answer_jira_with("OPS-1"))

    result = project.push()

    assert result.code == 0, result.stdout
    assert result.one()["created"] == ["OPS-3"]
    assert project.cells() == ["OPS-1", "OPS-2", "OPS-3"]
    assert len(stage.fake.issues) == 3
    again = project.push()
    assert again.one()["updated"] == [] and again.one()["unchanged"] == ["OPS-1", "OPS-2", "OPS-3"]
    assert stage.summaries() == sorted(r[1] for r in NEW_ROWS)


def test_jira_bulk_create_answered_with_one_key_twice(jira_stage: JiraStage) -> None:
    stage, project = jira_stage, jira_stage.project
    project.write_doc()
    stage.proxy.rule("POST", JIRA_CREATE, rewrite=answer_jira_with("OPS-2", which=0))

    result = project.push()

    assert project.cells() == ["OPS-1", "OPS-2", "OPS-3"]
    assert sorted(result.one()["created"] + result.one()["recovered"]) == ["OPS-1", "OPS-2", "OPS-3"]
    assert len(stage.fake.issues) == 3
    assert project.push().one()["unchanged"] == ["OPS-1", "OPS-2", "OPS-3"]


def test_jira_create_answered_with_a_key_of_another_project(jira_stage: JiraStage) -> None:
    stage, project = jira_stage, jira_stage.project
    project.write_doc()
    stage.proxy.rule("POST", JIRA_CREATE, rewrite=answer_jira_with("EVIL-1"))

    result = project.push()

    assert result.code == 0, result.stdout
    assert project.cells() == ["OPS-1", "OPS-2", "OPS-3"]
    assert "EVIL" not in project.doc.read_text()
    assert len(stage.fake.issues) == 3
    assert project.push().code == 0


def test_github_create_answered_with_another_rows_number(github_stage: GitHubStage) -> None:
    stage, project = github_stage, github_stage.project
    project.write_doc(NEW_ROWS[:2])
    assert project.push().code == 0
    project.write_doc(keyed_rows(project.cells()))
    stage.proxy.rule("POST", GH_CREATE, rewrite=answer_github_with(1))

    result = project.push()

    assert result.code == 0, result.stdout
    assert project.cells() == ["#1", "#2", "#3"]
    assert len(stage.fake.issues(REPO)) == 3
    again = project.push()
    assert again.one()["updated"] == [] and again.one()["unchanged"] == ["#1", "#2", "#3"]
    assert stage.titles() == sorted(r[1] for r in NEW_ROWS)


def test_nothing_is_written_twice_into_the_document(github_stage: GitHubStage) -> None:
    """However the creates are answered, no key ends up in two rows."""
    stage, project = github_stage, github_stage.project
    project.write_doc()
    stage.proxy.rule("POST", GH_CREATE, rewrite=answer_github_with(1), times=None)

    project.push()

    cells = [c for c in project.cells() if c]
    assert len(cells) == len(set(cells)), project.doc.read_text()
