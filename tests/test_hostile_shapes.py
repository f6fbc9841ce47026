"""Fields of the wrong type in a tracker's answer: a located error, never a traceback, and
never "no ticket found" (which would create a second one).

Each story leaves tickets on the tracker whose keys never reached the file (a run killed
between create and write-back), then answers the next run's look-up with one field of the
wrong type: the run fails with one located error and creates nothing; once the answers are
right again, it adopts the tickets. The real CLI runs in a subprocess behind the proxy.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.proxy import Exchange, Proxy, Reply
from tests.hostile_support import (
    DOC_NAME,
    GitHubStage,
    JiraStage,
    Project,
    Run,
    github_stage,
    jira_fake,
    jira_project,
    one_line_errors,
)

__all__ = ["github_stage"]

Corrupt = Callable[[dict[str, Any]], None]


def setter(path: tuple[str, ...], value: Any) -> Corrupt:
    def corrupt(issue: dict[str, Any]) -> None:
        target = issue
        for name in path[:-1]:
            target = target[name]
        target[path[-1]] = value

    return corrupt


def killed_after_create(project: Project) -> None:
    project.write_doc()
    killed = project.run("push", DOC_NAME, env={"PM_SYNC_FAILPOINT": "after-create"})
    assert killed.code == -signal.SIGKILL, killed.stderr
    assert project.cells() == ["", "", ""]


def assert_refused_then_adopted(project: Project, proxy: Proxy, first: Run, count: Callable[[], int]) -> None:
    assert first.code == 1, first.stdout
    one_line_errors(first)
    assert first.one()["created"] == [] and first.one()["recovered"] == []
    assert count() == 3 and project.cells() == ["", "", ""]
    proxy.clear()
    second = project.push()
    assert second.code == 0, second.stdout
    assert len(second.one()["recovered"]) == 3 and count() == 3


JIRA_CORRUPTIONS: dict[str, Corrupt] = {
    "labels as one string": setter(("fields", "labels"), "pm-sync postmortem"),
    "labels as a number": setter(("fields", "labels"), 7),
    "labels missing": setter(("fields", "labels"), None),
    "fields as a list": setter(("fields",), []),
    "key as a number": setter(("key",), 10001),
    "status as a string": setter(("fields", "status"), "Done"),
    "assignee as a string": setter(("fields", "assignee"), "alice"),
    "properties as a list": setter(("properties",), ["pm-sync"]),
}
JIRA_HARMLESS = {"status as a string", "assignee as a string"}


@pytest.fixture
def jira_cloud(tmp_path: Path) -> Iterator[JiraStage]:
    with jira_fake("cloud") as fake, Proxy(fake.url) as proxy:
        yield JiraStage(fake, proxy, jira_project(tmp_path, fake, proxy.url))


@pytest.mark.parametrize("corruption", list(JIRA_CORRUPTIONS))
def test_jira_search_answer_with_a_field_of_the_wrong_type(jira_cloud: JiraStage, corruption: str) -> None:
    stage, project = jira_cloud, jira_cloud.project
    killed_after_create(project)
    corrupt = JIRA_CORRUPTIONS[corruption]

    def rewrite(ex: Exchange, status: int, headers: dict[str, str], body: bytes) -> Reply:
        data = json.loads(body)
        for issue in data.get("issues", []):
            corrupt(issue)
        return status, headers, json.dumps(data).encode()

    stage.proxy.rule("*", r"/search/jql$", rewrite=rewrite, times=None)

    first = project.push()

    if corruption in JIRA_HARMLESS:  # read as "no status", "unassigned": the tickets are adopted
        assert first.code == 0, first.stdout
        assert len(first.one()["recovered"]) == 3 and len(stage.fake.issues) == 3
        return
    assert_refused_then_adopted(project, stage.proxy, first, lambda: len(stage.fake.issues))


GITHUB_CORRUPTIONS: dict[str, Corrupt] = {
    "number as a string": setter(("number",), "1"),
    "number as null": setter(("number",), None),
    "assignees as a number": setter(("assignees",), 3),
    "labels as a string": setter(("labels",), "postmortem"),
    "user as a list": setter(("user",), []),
}
GITHUB_HARMLESS = {"labels as a string", "user as a list"}


@pytest.mark.parametrize("corruption", list(GITHUB_CORRUPTIONS))
def test_github_listing_with_a_field_of_the_wrong_type(github_stage: GitHubStage, corruption: str) -> None:
    stage, project = github_stage, github_stage.project
    killed_after_create(project)
    corrupt = GITHUB_CORRUPTIONS[corruption]

    def rewrite(ex: Exchange, status: int, headers: dict[str, str], body: bytes) -> Reply:
        data = json.loads(body)
        for issue in data:
            corrupt(issue)
        return status, headers, json.dumps(data).encode()

    stage.proxy.rule("GET", r"^/repos/acme/app/issues$", rewrite=rewrite, times=None)

    first = project.push()

    if corruption in GITHUB_HARMLESS:  # fields the look-up does not use
        assert first.code == 0, first.stdout
        assert len(first.one()["recovered"]) == 3 and len(stage.issues()) == 3
        return
    assert_refused_then_adopted(project, stage.proxy, first, lambda: len(stage.issues()))


def test_a_tracker_answering_nonsense_fails_its_postmortems_only(github_stage: GitHubStage) -> None:
    """Two postmortems in one run: the one on GitHub gets a located error, the one on the
    embedded tracker (front matter `tracker: local`) is pushed as usual."""
    stage, project = github_stage, github_stage.project
    project.write_doc()
    other = project.root / "postmortem-2024-02-01-local.md"
    other.write_text("---\ntracker: local\n---\n" + project.doc.read_text())
    stage.proxy.rule("GET", r"^/repos/acme/app/issues$", forward=False, status=200, body=[1, 2], times=None)

    result = project.run("push", DOC_NAME, other.name, "--json")

    assert result.code == 1, result.stdout
    on_github, on_local = result.results()
    assert on_github["errors"] and on_github["created"] == []
    assert on_local["ok"] and on_local["created"] == ["PM-1", "PM-2", "PM-3"]
    assert stage.issues() == []
