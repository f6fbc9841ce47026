"""Never a duplicate ticket across runs: two clones pushing at once (issue 10, item 4), search
lag longer than `recovery_wait` (item 5), a rerun from another folder (item 6).

The real CLI runs in subprocesses against fake trackers behind the rewriting proxy; the fake
Jira's clock is moved by the test, so "the search catches up later" takes no real time.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import local_tickets
from tests.fakes.fake_jira import FakeJira
from tests.fakes.proxy import Barrier, Proxy
from tests.hostile_support import (
    DOC_NAME,
    Project,
    Run,
    github_fake,
    github_project,
    jira_fake,
    jira_project,
)

SEARCH = r"/rest/api/\d/search(/jql)?$"
GH_LIST = r"^/repos/acme/app/issues$"


def push_at_once(projects: list[Project]) -> list[Run]:
    """Start every push before waiting for any."""
    procs = []
    for project in projects:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PM_SYNC_")} | project.env
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "pm_sync", "push", DOC_NAME, "--json"],
                cwd=project.root,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    runs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert "Traceback" not in err, err
        runs.append(Run(proc.returncode, out, err))
    return runs


def clones(tmp_path: Path, make: object) -> list[Project]:
    """Two clones of one docs repository: same postmortem, same path inside the repository."""
    out = []
    for name in ("clone-a", "clone-b"):
        root = tmp_path / name
        (root / ".git").mkdir(parents=True)
        project = make(root)  # type: ignore[operator]
        project.write_doc()
        out.append(project)
    return out


def assert_duplicates_reported(run: Run, keys: set[str]) -> list[tuple[str, list[str]]]:
    assert run.code == 1, run.stdout
    result = run.one()
    assert {e["code"] for e in result["errors"]} == {"duplicate-ticket"}
    assert len(result["errors"]) == 3 and len(result["duplicates"]) == 3
    named = " ".join(e["message"] for e in result["errors"])
    assert all(key in named for key in keys), named  # every ticket of the pair is named
    return sorted((d["kept"], d["others"]) for d in result["duplicates"])


def assert_same_advice(advice: list[list[tuple[str, list[str]]]]) -> None:
    """Each clone's row names its own ticket; both must still keep the same, older one, or
    following both runs' advice would close both tickets."""
    first, second = advice
    assert first == second
    for kept, others in first:
        assert all(number(kept) < number(other) for other in others), (kept, others)


def number(key: str) -> int:
    return int(re.findall(r"\d+", key)[-1])


# ------------------------------------------------------------------ 4. two clones at once


@pytest.mark.parametrize("mode", ["cloud", "datacenter"])
def test_two_jira_clones_pushing_at_once_then_duplicates_are_reported(tmp_path: Path, mode: str) -> None:
    with jira_fake(mode) as fake, Proxy(fake.url) as proxy:
        projects = clones(tmp_path, lambda root: jira_project(root, fake, proxy.url))
        proxy.rule("*", SEARCH, hold=Barrier(2), times=2)  # both look up before either creates

        first = push_at_once(projects)

        assert [r.code for r in first] == [0, 0]
        assert len(fake.issues) == 6  # two clones cannot be serialized locally
        keys = {i["key"] for i in fake.issues}
        assert_same_advice([assert_duplicates_reported(project.push(), keys) for project in projects])
        assert len(fake.issues) == 6


def test_two_github_clones_pushing_at_once_then_duplicates_are_reported(tmp_path: Path) -> None:
    fake = github_fake()
    with fake, Proxy(fake.url) as proxy:
        projects = clones(tmp_path, lambda root: github_project(root, proxy.url))
        proxy.rule("GET", GH_LIST, hold=Barrier(2), times=2)

        first = push_at_once(projects)

        assert [r.code for r in first] == [0, 0]
        issues = fake.issues("acme/app")
        assert len(issues) == 6
        keys = {f"#{i['number']}" for i in issues}
        assert_same_advice([assert_duplicates_reported(project.push(), keys) for project in projects])
        assert len(fake.issues("acme/app")) == 6


# ------------------------------------------------------------------ 5. search lag


class Lagging:
    """A FakeJira whose search shows new issues only after the test moves its clock on."""

    def __init__(self, mode: str) -> None:
        self.offset = 0.0
        self.fake: FakeJira = jira_fake(mode, search_lag=3600)
        self.fake.monotonic = lambda: time.monotonic() + self.offset

    def catch_up(self) -> None:
        self.offset += 7200


@pytest.fixture(params=["cloud", "datacenter"])
def lagging(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Lagging, Proxy, Project]]:
    lag = Lagging(request.param)
    with lag.fake, Proxy(lag.fake.url) as proxy:
        yield lag, proxy, jira_project(tmp_path, lag.fake, proxy.url, recovery_wait=1)


def assert_waits(run: Run) -> None:
    assert run.code == 1, run.stdout
    assert run.codes() == ["create-in-flight"] * 3
    assert run.one()["created"] == [] and run.one()["recovered"] == []


def test_search_lag_longer_than_recovery_wait_never_creates_twice(
    lagging: tuple[Lagging, Proxy, Project],
) -> None:
    lag, proxy, project = lagging
    project.write_doc()
    before = project.doc.read_bytes()
    proxy.rule("POST", r"/issue/bulk$", drop=True)  # Jira stores the issues; the answer is lost

    first = project.push()
    assert_waits(first)
    assert len(lag.fake.issues) == 3
    again = project.run("push", DOC_NAME)  # a rerun, still before the search shows them

    assert again.code == 1
    assert len(lag.fake.requests_to("POST", "issue/bulk")) == 1 and len(lag.fake.issues) == 3
    assert (
        "for 3 ticket(s) whose create got no clear answer to show up in jira" in again.stderr
    )  # says what it waits for
    assert "--retry-lost" in again.stdout
    assert project.doc.read_bytes() == before
    lag.catch_up()
    last = project.push()
    assert last.code == 0, last.stdout
    assert sorted(last.one()["recovered"]) == ["OPS-1", "OPS-2", "OPS-3"]
    assert project.cells() == ["OPS-1", "OPS-2", "OPS-3"] and len(lag.fake.issues) == 3


def test_a_create_that_never_arrived_is_sent_again_only_with_retry_lost(
    lagging: tuple[Lagging, Proxy, Project],
) -> None:
    lag, proxy, project = lagging
    project.write_doc()
    proxy.rule("POST", r"/issue/bulk$", forward=False, drop=True)  # lost on the way to Jira

    assert_waits(project.push())
    assert_waits(project.push())
    assert lag.fake.issues == []
    retried = project.push("--retry-lost")

    assert retried.code == 0, retried.stdout
    assert len(lag.fake.issues) == 3 and project.cells() == ["OPS-1", "OPS-2", "OPS-3"]


# ------------------------------------------------------------------ 6. another working folder


def killed_after_create(project: Project) -> None:
    killed = project.run("push", DOC_NAME, env={"PM_SYNC_FAILPOINT": "after-create"})
    assert killed.code == -signal.SIGKILL, killed.stderr


@pytest.mark.parametrize("how", ["--config", "PM_SYNC_CONFIG", "a subfolder"])
def test_rerun_from_another_folder_adopts_instead_of_creating(tmp_path: Path, how: str) -> None:
    """No git repository: the project root (the config's folder) anchors the document's id."""
    project = Project(tmp_path / "project", "local", {}, {})
    project.root.mkdir()
    project.write_config()
    project.write_doc()
    killed_after_create(project)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project.root / "sub").mkdir()
    if how == "--config":
        rerun = project.run(
            "push", str(project.doc), "--json", "--config", "../project/pm-sync.toml", cwd=elsewhere
        )
    elif how == "PM_SYNC_CONFIG":
        rerun = project.run(
            "push", str(project.doc), "--json", cwd=elsewhere, env={"PM_SYNC_CONFIG": str(project.config)}
        )
    else:
        rerun = project.run("push", f"../{DOC_NAME}", "--json", cwd=project.root / "sub")

    assert rerun.code == 0, rerun.stdout + rerun.stderr
    assert sorted(rerun.one()["recovered"]) == ["PM-1", "PM-2", "PM-3"]
    assert len(local_tickets(project.root)) == 3 and not (elsewhere / ".pm-sync").exists()


def test_jira_rerun_from_another_folder_adopts_instead_of_creating(tmp_path: Path) -> None:
    with jira_fake("cloud") as fake:
        (tmp_path / "project").mkdir()
        project = jira_project(tmp_path / "project", fake, fake.url)
        project.write_doc()
        killed_after_create(project)
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()

        rerun = project.run(
            "push", str(project.doc), "--json", "--config", str(project.config), cwd=elsewhere
        )

        assert rerun.code == 0, rerun.stdout
        assert sorted(rerun.one()["recovered"]) == ["OPS-1", "OPS-2", "OPS-3"]
        assert len(fake.issues) == 3
