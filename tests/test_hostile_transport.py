"""Servers that hold a run or flood it: an answer trickled a few bytes at a time (each read
inside the timeout, the whole never done), a gzip body that inflates to hundreds of MB, a
redirect that would turn a create into a GET. Each is bounded, located, and creates nothing
twice. The real CLI runs in a subprocess behind the proxy.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from tests.fakes.proxy import Exchange, Proxy, Reply
from tests.hostile_support import (
    GitHubStage,
    JiraStage,
    github_fake,
    github_project,
    jira_fake,
    jira_project,
    one_line_errors,
)

SEARCH = r"/rest/api/\d/search(/jql)?$"
GH_ISSUES = r"^/repos/acme/app/issues$"
QUICK = {"timeout": 1, "connect_timeout": 0.5, "attempts": 1}  # the whole answer within 3.5 s


@pytest.fixture
def jira_quick(tmp_path: Path) -> Iterator[JiraStage]:
    with jira_fake("cloud") as fake, Proxy(fake.url) as proxy:
        (tmp_path / "jira").mkdir()
        yield JiraStage(fake, proxy, jira_project(tmp_path / "jira", fake, proxy.url, **QUICK))


@pytest.fixture
def github_quick(tmp_path: Path) -> Iterator[GitHubStage]:
    fake = github_fake()
    with fake, Proxy(fake.url) as proxy:
        (tmp_path / "github").mkdir()
        yield GitHubStage(fake, proxy, github_project(tmp_path / "github", proxy.url, **QUICK))


def padded(ex: Exchange, status: int, headers: dict[str, str], body: bytes) -> Reply:
    return status, headers, body + b" " * 2048


@cache
def gzip_bomb() -> bytes:
    """About 100 KB that inflate to 80 MB of JSON whitespace."""
    return gzip.compress(b"[" + b" " * (80 * 1024 * 1024) + b"]", compresslevel=9)


def test_jira_search_trickled_forever_is_cut_off(jira_quick: JiraStage) -> None:
    stage, project = jira_quick, jira_quick.project
    project.write_doc()
    before = project.doc.read_bytes()
    stage.proxy.rule("*", SEARCH, trickle=0.2, rewrite=padded, times=None)  # 2 KB at 80 bytes/s

    started = time.monotonic()
    result = project.push()

    assert time.monotonic() - started < 20
    assert result.code == 1, result.stdout
    one_line_errors(result)
    assert "did not answer in time" in result.stdout
    assert stage.fake.issues == [] and project.doc.read_bytes() == before


def test_github_create_trickled_after_github_acted_is_found_not_resent(github_quick: GitHubStage) -> None:
    stage, project = github_quick, github_quick.project
    project.write_doc()
    stage.proxy.rule("POST", GH_ISSUES, trickle=0.2)  # the first create's answer never finishes

    result = project.push()

    assert result.code == 0, result.stdout
    assert stage.creates() == 3 and len(stage.issues()) == 3
    assert project.cells() == ["#1", "#2", "#3"]


@pytest.mark.parametrize("where", ["jira", "github"])
def test_a_gzip_bomb_is_refused_not_inflated(
    jira_quick: JiraStage, github_quick: GitHubStage, where: str
) -> None:
    stage = jira_quick if where == "jira" else github_quick
    project = stage.project
    project.write_doc()
    before = project.doc.read_bytes()
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    stage.proxy.rule(
        "*" if where == "jira" else "GET",
        SEARCH if where == "jira" else GH_ISSUES,
        forward=False,
        status=200,
        headers=headers,
        body=gzip_bomb(),
        times=None,
    )

    result = project.push()

    assert result.code == 1, result.stdout
    one_line_errors(result)
    assert "more than 64 MB" in result.stdout
    assert project.doc.read_bytes() == before and stage.creates() == 0


@pytest.mark.parametrize("status", [302, 303])
def test_a_create_redirected_on_the_same_host_is_settled_by_marker(
    jira_quick: JiraStage, status: int
) -> None:
    """Followed, the redirect would turn the create into a GET of another page; the engine
    looks the marker up instead, and finds what Jira made before redirecting."""
    stage, project = jira_quick, jira_quick.project
    project.write_doc()
    stage.proxy.rule("POST", r"/issue/bulk$", status=status, headers={"Location": "/rest/api/2/serverInfo"})

    result = project.push()

    assert result.code == 0, result.stdout
    assert len(stage.fake.issues) == 3 and len(stage.fake.requests_to("POST", "issue/bulk")) == 1
    assert stage.fake.requests_to("GET", "serverInfo") == []
