"""Answers that would send a reader round forever or down too deep: a read redirected to itself
and JSON nested deeper than the decoder goes. Each is one located error, nothing created, the
file untouched, never a traceback (requests' TooManyRedirects, the decoder's RecursionError)."""

from __future__ import annotations

from tests.hostile_support import GitHubStage, JiraStage, github_stage, jira_stage, one_line_errors

__all__ = ["github_stage", "jira_stage"]

SEARCH = r"/rest/api/\d/search(/jql)?$"
GH_LIST = r"^/repos/acme/app/issues$"
DEEP = ("[" * 100_000 + "]" * 100_000).encode()


def test_jira_search_redirected_to_itself(jira_stage: JiraStage) -> None:
    stage, project = jira_stage, jira_stage.project
    before = project.write_doc().read_bytes()
    where = f"{stage.proxy.url}/rest/api/{3 if stage.cloud else 2}/search"
    stage.proxy.rule(
        "GET", SEARCH, status=302, headers={"Location": where}, body=b"", forward=False, times=None
    )

    result = project.push()

    assert result.code == 1, result.output
    one_line_errors(result)
    assert "redirected more than 5 times" in result.one()["errors"][0]["message"]
    assert len(stage.proxy.seen("GET", SEARCH)) <= 6
    assert stage.fake.issues == [] and project.doc.read_bytes() == before


def test_jira_search_answered_with_json_nested_too_deep(jira_stage: JiraStage) -> None:
    stage, project = jira_stage, jira_stage.project
    before = project.write_doc().read_bytes()
    stage.proxy.rule(
        "*", SEARCH, status=200, body=DEEP, content_type="application/json", forward=False, times=None
    )

    result = project.push()

    assert result.code == 1, result.output
    one_line_errors(result)
    assert "RecursionError" in result.one()["errors"][0]["message"]
    assert stage.fake.issues == [] and project.doc.read_bytes() == before


def test_github_listing_answered_with_json_nested_too_deep(github_stage: GitHubStage) -> None:
    stage, project = github_stage, github_stage.project
    before = project.write_doc().read_bytes()
    stage.proxy.rule(
        "GET", GH_LIST, status=200, body=DEEP, content_type="application/json", forward=False, times=None
    )

    result = project.push()

    assert result.code == 1, result.output
    one_line_errors(result)
    assert stage.issues() == [] and project.doc.read_bytes() == before
