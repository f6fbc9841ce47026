"""Never a duplicate ticket, with the real CLI against fake trackers behind a hostile proxy.

Issue 10, items 1, 2, 4, 5 and 6: a typo fixed while a push runs, creates answered 503/429
after the server acted, two clones pushing at once, search lag longer than `recovery_wait`, and
a rerun from another folder. Every story counts the tickets on the tracker.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.conftest import STANDARD_ROWS, local_tickets
from tests.fakes.proxy import Exchange
from tests.hostile_support import (
    DOC_NAME,
    GitHubStage,
    JiraStage,
    Project,
    github_stage,
    jira_stage,
)

__all__ = ["github_stage", "jira_stage"]

TYPO = "Lowr DB alert threshhold to 70%"
FIXED = "Lower DB alert threshold to 70%"
TYPO_ROWS = [(p, TYPO if a == FIXED else a, o, d, "") for p, a, o, d in STANDARD_ROWS]
SEARCH = r"/rest/api/\d/search(/jql)?$"
GH_CREATE = r"^/repos/acme/app/issues$"
GH_LIST = r"^/repos/acme/app/issues$"


def fix_typo(project: Project) -> None:
    text = project.doc.read_text()
    assert TYPO in text
    project.doc.write_text(text.replace(TYPO, FIXED))


def fix_typo_hold(project: Project) -> object:
    def hold(_: Exchange) -> None:
        fix_typo(project)

    return hold


# ------------------------------------------------------------------ 1. a typo fixed while pushing


def test_jira_typo_fixed_while_the_create_is_in_flight(jira_stage: JiraStage) -> None:
    stage, project = jira_stage, jira_stage.project
    project.write_doc(TYPO_ROWS)
    stage.proxy.rule("POST", r"/issue/bulk$", hold=fix_typo_hold(project))

    first = project.push()

    assert first.code == 0, first.stdout
    assert [w["code"] for w in first.one()["warnings"]] == ["row-edited"]
    assert project.cells() == ["OPS-1", "OPS-2", "OPS-3"]  # the key went to the edited row
    again = project.push()
    assert again.code == 0, again.stdout
    assert again.one()["updated"] == ["OPS-2"] and again.one()["created"] == []
    assert stage.summaries() == sorted(r[1] for r in STANDARD_ROWS)  # the summary follows the fix
    assert len(stage.fake.issues) == 3


def test_github_typo_fixed_while_the_create_is_in_flight(github_stage: GitHubStage) -> None:
    stage, project = github_stage, github_stage.project
    project.write_doc(TYPO_ROWS)
    stage.proxy.rule("POST", GH_CREATE, hold=fix_typo_hold(project))

    first = project.push()

    assert first.code == 0, first.stdout
    assert project.cells() == ["#1", "#2", "#3"]
    again = project.push()
    assert again.code == 0, again.stdout
    assert again.one()["created"] == [] and again.one()["updated"] == ["#2"]
    assert stage.titles() == sorted(r[1] for r in STANDARD_ROWS) and stage.creates() == 3


def killed_then_fixed(project: Project) -> list[str]:
    """Push killed between the creates and the write-back, the typo fixed, pushed again: the
    next run adopts the tickets by the document's marker and fixes the edited row's title."""
    project.write_doc(TYPO_ROWS)
    killed = project.run("push", DOC_NAME, env={"PM_SYNC_FAILPOINT": "after-create"})
    assert killed.code == -signal.SIGKILL, killed.stderr
    fix_typo(project)
    rerun = project.push()
    assert rerun.code == 0, rerun.stdout
    assert len(rerun.one()["recovered"]) == 3 and rerun.one()["created"] == []
    assert all(project.cells())
    return list(rerun.one()["updated"])


def test_jira_typo_fixed_after_a_killed_run(jira_stage: JiraStage) -> None:
    assert killed_then_fixed(jira_stage.project) == ["OPS-2"]
    assert jira_stage.summaries() == sorted(r[1] for r in STANDARD_ROWS)
    assert len(jira_stage.fake.issues) == 3


def test_github_typo_fixed_after_a_killed_run(github_stage: GitHubStage) -> None:
    assert killed_then_fixed(github_stage.project) == ["#2"]
    assert github_stage.titles() == sorted(r[1] for r in STANDARD_ROWS) and github_stage.creates() == 3


def test_local_typo_fixed_after_a_killed_run(tmp_path: Path) -> None:
    project = Project(tmp_path, "local", {}, {})
    project.write_config()
    assert killed_then_fixed(project) == ["PM-2"]
    tickets = local_tickets(project.root)
    assert sorted(t["summary"] for t in tickets) == sorted(r[1] for r in STANDARD_ROWS)


# ------------------------------------------------------------------ 2. 503/429 after the server acted


@pytest.mark.parametrize(
    ("status", "headers"),
    [(503, {"Retry-After": "0"}), (503, {}), (429, {"Retry-After": "1"})],
)
def test_jira_bulk_create_answered_after_jira_acted(
    jira_stage: JiraStage, status: int, headers: dict[str, str]
) -> None:
    stage, project = jira_stage, jira_stage.project
    project.write_doc()
    stage.proxy.rule("POST", r"/issue/bulk$", status=status, headers=headers)

    result = project.push()

    assert result.code == 0, result.stdout
    assert sorted(result.one()["created"]) == ["OPS-1", "OPS-2", "OPS-3"]
    assert len(stage.fake.issues) == 3 and len(stage.fake.requests_to("POST", "issue/bulk")) == 1
    assert project.cells() == ["OPS-1", "OPS-2", "OPS-3"]


@pytest.mark.parametrize("status", [503, 429])
def test_jira_single_creates_answered_after_jira_acted(jira_stage: JiraStage, status: int) -> None:
    """A Jira without bulk create: each `POST issue` answered 503/429 after it was stored."""
    stage, project = jira_stage, jira_stage.project
    project.write_doc()
    stage.proxy.rule(
        "POST", r"/issue/bulk$", forward=False, status=404, body={"errorMessages": []}, times=None
    )
    stage.proxy.rule("POST", r"/issue$", status=status, headers={"Retry-After": "0"}, times=None)

    result = project.push()

    assert result.code == 0, result.stdout
    assert len(stage.fake.issues) == 3 and len(stage.fake.requests_to("POST", "issue")) == 3
    assert sorted(project.cells()) == ["OPS-1", "OPS-2", "OPS-3"]


def test_jira_single_create_lost_stops_nothing_else(jira_stage: JiraStage) -> None:
    """One `POST issue` whose answer is lost is that row's problem: the other rows are created,
    and the lost one is found by its marker."""
    stage, project = jira_stage, jira_stage.project
    project.write_doc()
    stage.proxy.rule(
        "POST", r"/issue/bulk$", forward=False, status=404, body={"errorMessages": []}, times=None
    )
    stage.proxy.rule("POST", r"/issue$", drop=True)

    result = project.push()

    assert result.code == 0, result.stdout
    assert len(stage.fake.issues) == 3 and len(stage.fake.requests_to("POST", "issue")) == 3


def test_jira_single_create_rejected_is_that_rows_error(jira_stage: JiraStage) -> None:
    """Without bulk create, Jira refusing the third item names its row; the others are made."""
    stage, project = jira_stage, jira_stage.project
    project.write_doc()
    no_bulk = {"errorMessages": []}
    stage.proxy.rule("POST", r"/issue/bulk$", forward=False, status=404, body=no_bulk, times=None)
    stage.proxy.rule("POST", r"/issue$", times=2)  # passed through untouched
    refusal = {"errorMessages": [], "errors": {"assignee": "User 'alice' cannot be assigned issues."}}
    stage.proxy.rule("POST", r"/issue$", forward=False, status=400, body=refusal)

    result = project.push()

    assert result.code == 1, result.stdout
    [error] = result.one()["errors"]
    assert error["line"] == 16 and "assignee" in error["message"] and "cannot be assigned" in error["message"]
    assert result.one()["created"] == ["OPS-1", "OPS-2"] and project.cells() == ["OPS-1", "OPS-2", ""]
    again = project.push()  # the refusal is final: the next run tries that row once more
    assert again.code == 0 and len(stage.fake.issues) == 3


@pytest.mark.parametrize(
    ("status", "headers", "body"),
    [
        (503, {}, None),
        (429, {"Retry-After": "0"}, None),
        (403, {"Retry-After": "0"}, {"message": "You have exceeded a secondary rate limit."}),
    ],
)
def test_github_create_answered_after_github_acted(
    github_stage: GitHubStage, status: int, headers: dict[str, str], body: object
) -> None:
    stage, project = github_stage, github_stage.project
    project.write_doc()
    stage.proxy.rule("POST", GH_CREATE, status=status, headers=headers, body=body, times=None)

    result = project.push()

    assert result.code == 0, result.stdout
    assert stage.creates() == 3 and len(stage.issues()) == 3
    assert project.cells() == ["#1", "#2", "#3"]


def edit_second_row(project: Project) -> None:
    keyed = [(*r, k) for r, k in zip(STANDARD_ROWS, project.cells(), strict=True)]
    project.write_doc([(p, f"{a} now" if a == FIXED else a, o, d, k) for p, a, o, d, k in keyed])


def test_jira_update_answered_503_after_acting_is_applied_once(jira_stage: JiraStage) -> None:
    """PUT sets values, so sending it again is harmless: one ticket per row, nothing created."""
    project = jira_stage.project
    project.write_doc()
    assert project.push().code == 0
    edit_second_row(project)
    jira_stage.proxy.rule("PUT", r"/issue/OPS-2$", status=503, headers={"Retry-After": "0"})

    result = project.push()

    assert result.code == 0, result.stdout
    assert result.one()["updated"] == ["OPS-2"] and result.one()["created"] == []
    assert f"{FIXED} now" in jira_stage.summaries() and len(jira_stage.fake.issues) == 3


def test_github_update_answered_503_after_acting_is_applied_once(github_stage: GitHubStage) -> None:
    project = github_stage.project
    project.write_doc()
    assert project.push().code == 0
    edit_second_row(project)
    github_stage.proxy.rule("PATCH", r"/issues/2$", status=503, headers={"Retry-After": "0"})

    result = project.push()

    assert result.code == 0, result.stdout
    assert result.one()["updated"] == ["#2"] and result.one()["created"] == []
    assert f"{FIXED} now" in github_stage.titles() and github_stage.creates() == 3
