"""A Jira search page that says more issues follow but brings none is an error, never the end.

Cloud's enhanced search pages with `nextPageToken`; Data Center's with `startAt` and `total`.
An empty page that still names a next page (Cloud), or an empty page short of the `total` it
announces (Data Center), is no answer the API sends: read as "that is all", the marker look-up
found nothing and every ticket was made again.
"""

from __future__ import annotations

import json

from tests.fakes.proxy import Exchange, Reply
from tests.hostile_support import JiraStage, jira_stage, one_line_errors

__all__ = ["jira_stage"]

SEARCH = r"/rest/api/\d/search(/jql)?$"


def empty_page_saying_more(cloud: bool) -> object:
    def rewrite(ex: Exchange, status: int, headers: dict[str, str], body: bytes) -> Reply:
        page = json.loads(body)
        page["issues"] = []
        if cloud:
            page["nextPageToken"] = "eyJvIjogNTB9"
            page["isLast"] = False
        else:
            page["total"] = 3
        return status, headers, json.dumps(page).encode()

    return rewrite


def test_an_empty_page_that_says_more_follow_creates_nothing(jira_stage: JiraStage) -> None:
    stage, project = jira_stage, jira_stage.project
    original = project.write_doc().read_text()
    assert project.push().code == 0
    project.doc.write_text(original)  # the keys were lost (a checkout of the old file)
    stage.proxy.rule("*", SEARCH, rewrite=empty_page_saying_more(stage.cloud), times=None)

    result = project.push()

    assert result.code == 1, result.stdout
    one_line_errors(result)
    assert "pagination loops" in " ".join(e["message"] for e in result.one()["errors"])
    assert len(stage.fake.issues) == 3
    assert project.doc.read_text() == original


def test_the_same_search_answered_right_adopts_the_tickets(jira_stage: JiraStage) -> None:
    stage, project = jira_stage, jira_stage.project
    original = project.write_doc().read_text()
    assert project.push().code == 0
    project.doc.write_text(original)

    result = project.push()

    assert result.code == 0, result.stdout
    assert sorted(result.one()["recovered"]) == ["OPS-1", "OPS-2", "OPS-3"]
    assert len(stage.fake.issues) == 3
