"""When Jira says no: every error class is located, names what to fix, and never shows the token."""

from __future__ import annotations

import pytest

from tests.conftest import postmortem_text
from tests.jira_support import ROW_LINES, TOKEN_ENV, JiraEnv, jira_env

__all__ = ["jira_env"]


def failed(result) -> list[dict]:
    assert result.code == 1, result.stdout + result.stderr
    return result.one()["errors"]


def assert_nothing_created(env: JiraEnv, before: str) -> None:
    assert env.fake.issues == [] and not env.fake.requests_to("POST", "issue")
    assert env.doc.read_text() == before


def test_unknown_priority_name_fails_the_whole_postmortem_up_front(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    env.write_config(priorities={"P0": "Urgent"})
    doc = env.write_doc()
    before = doc.read_text()

    errors = failed(cli("push", str(doc), "--json"))

    assert [e["line"] for e in errors] == [ROW_LINES[0], ROW_LINES[1]]  # the two P0 rows
    assert "priority P0" in errors[0]["message"] and "'Urgent'" in errors[0]["message"]
    assert "trackers.jira.priorities" in errors[0]["message"]
    assert_nothing_created(env, before)


def test_required_field_pm_sync_does_not_fill_is_named_before_creating(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    env.fake.add_project("REQ", required_fields=[{"id": "customfield_10050", "name": "Postmortem ID"}])
    env.write_config(project="REQ")
    doc = env.write_doc()
    before = doc.read_text()

    errors = failed(cli("push", str(doc), "--json"))

    assert [e["line"] for e in errors] == list(ROW_LINES)
    assert "'Postmortem ID' (customfield_10050)" in errors[0]["message"]
    assert_nothing_created(env, before)


def test_required_due_date_missing_on_one_row(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    env.fake.add_project("DUE", required_fields=["duedate"])
    env.write_config(project="DUE")
    doc = env.write_doc([("P1", "Has a due date", "@alice", "2024-02-01"), ("P2", "Has none", "@bob", "")])
    before = doc.read_text()

    errors = failed(cli("push", str(doc), "--json"))

    [error] = errors
    assert error["line"] == ROW_LINES[1] and "due date" in error["message"]
    assert_nothing_created(env, before)


def test_unknown_issue_type(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    env.write_config(issue_type="Incident")
    doc = env.write_doc()

    errors = failed(cli("push", str(doc), "--json"))

    assert len(errors) == 3 and "no issue type 'Incident'" in errors[0]["message"]
    assert "Task, Bug" in errors[0]["message"]
    assert_nothing_created(env, doc.read_text())


def test_missing_project_is_named(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    env.write_config(project="NOPE")
    doc = env.write_doc()

    errors = failed(cli("push", str(doc), "--json"))

    assert "Jira project NOPE does not exist" in errors[0]["message"]
    assert_nothing_created(env, doc.read_text())


def test_owner_mapped_to_a_missing_jira_user_is_caught_before_creating(jira_env: JiraEnv, cli) -> None:
    """Issue 10: the owner map names a user Jira does not have; with unknown_owner = "error"
    nothing is created (it used to create bob's row and fail alice's two)."""
    env = jira_env
    env.write_config(owners={"@alice": "ghost"})  # Jira has no such user
    doc = env.write_doc()
    before = doc.read_text()

    result = cli("push", str(doc), "--json")

    errors = failed(result)
    assert [e["line"] for e in errors] == [ROW_LINES[0], ROW_LINES[2]]
    assert {e["code"] for e in errors} == {"owner-unknown"} and "ghost" in errors[0]["message"]
    assert result.one()["created"] == []
    assert_nothing_created(env, before)


@pytest.mark.parametrize("as_json", [False, True])
def test_rejected_token_names_the_variable_and_never_shows_the_token(
    jira_env: JiraEnv, cli, monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    env = jira_env
    secret = "s3cr3t-wrong-token-value"
    monkeypatch.setenv(TOKEN_ENV, secret)
    doc = env.write_doc()

    result = cli("push", str(doc), *(["--json"] if as_json else []))

    assert result.code == 1
    output = result.stdout + result.stderr
    assert secret not in output and env.fake.token not in output
    assert "401" in output and TOKEN_ENV in output and "trackers.jira.token_env" in output
    assert env.fake.issues == []


def test_missing_token_variable(jira_env: JiraEnv, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    env = jira_env
    monkeypatch.delenv(TOKEN_ENV)
    doc = env.write_doc()

    result = cli("push", str(doc), "--json")

    assert result.code == 2  # a config error: the run stops, naming the file and the key
    assert TOKEN_ENV in result.stderr and "trackers.jira.token_env" in result.stderr
    assert "pm-sync.toml" in result.stderr
    assert env.fake.request_log == []


def test_forbidden_project(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    env.fake.set_forbidden("OPS")
    doc = env.write_doc()

    result = cli("push", str(doc), "--json")

    errors = failed(result)
    assert [e["line"] for e in errors] == list(ROW_LINES)
    assert "permission to create issues" in errors[0]["message"]
    assert TOKEN_ENV in errors[0]["hint"]
    assert env.fake.issues == [] and env.fake.token not in result.stdout


def test_forbidden_search(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    doc = env.write_doc()
    env.fake.inject(
        "GET", r"/api/2/search(/jql)?$", status=403, body={"errorMessages": ["Forbidden"], "errors": {}}
    )

    [error] = failed(cli("push", str(doc), "--json"))

    assert "HTTP 403" in error["message"] and "trackers.jira.token_env" in error["hint"]


def test_rate_limited_create_is_looked_up_not_resent(jira_env: JiraEnv, cli) -> None:
    """A 429 to a create may come after Jira acted: pm-sync waits the Retry-After, looks the
    markers up, and (Jira's search lagging) sends nothing again until told the creates were lost."""
    env = jira_env
    doc = env.write_doc()
    env.fake.rate_limit("POST", r"/issue/bulk$", retry_after=3)

    result = cli("push", str(doc), "--json")

    assert result.code == 1, result.stdout
    assert {e["code"] for e in result.one()["errors"]} == {"create-in-flight"}
    assert len(env.fake.requests_to("POST", "issue/bulk")) == 1 and env.fake.issues == []
    assert env.slept[0] == 3  # the Retry-After, before the first look
    assert sum(env.slept[1:]) <= 10  # then the search-lag looks, bounded by recovery_wait
    assert "waiting 3 s" in result.stderr
    retried = cli("push", str(doc), "--retry-lost", "--json")
    assert retried.code == 0, retried.stdout
    assert len(env.fake.requests_to("POST", "issue/bulk")) == 2 and len(env.fake.issues) == 3


def test_unavailable_search_with_retry_after_is_retried(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    doc = env.write_doc()
    env.fake.service_unavailable("GET", r"/api/2/search(/jql)?$", retry_after=1)
    env.fake.rate_limit("GET", r"/createmeta", retry_after=1)

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert len(env.slept) == 2 and len(env.fake.issues) == 3


def test_endless_rate_limit_gives_up_after_bounded_retries(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    env.write_config(attempts=3)
    doc = env.write_doc(keys=["OPS-1"])
    env.fake.rate_limit("GET", r"/api/2/search(/jql)?$", retry_after=30, times=100)

    [error] = failed(cli("push", str(doc), "--json"))

    assert error["code"] == "tracker-failed" and "rate limit" in error["message"]
    assert env.slept == [30, 30]
    searches = [r for r in env.fake.request_log if r.api_path in ("search", "search/jql")]
    assert len(searches) == 3


def test_slow_jira_times_out_with_a_clear_message(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    env.write_config(timeout=0.3)
    doc = env.write_doc()
    env.fake.inject("GET", r"/api/2/search(/jql)?$", delay=2, times=None)

    [error] = failed(cli("push", str(doc), "--json"))

    assert "did not answer in time" in error["message"] and "4 times" in error["message"]
    assert env.fake.issues == []


def test_config_errors_name_the_key(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    env.write_config(url="ftp://jira", labels=["has space"])
    doc = env.write_doc()

    result = cli("push", str(doc), "--json")

    assert result.code in (1, 2)
    assert "trackers.jira.url" in result.stdout + result.stderr


def test_cloud_without_email_is_a_config_error(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    if not env.cloud:
        pytest.skip("Data Center uses a bearer token alone")
    env.write_config(email=None)
    doc = env.write_doc(keys=["OPS-1"])
    doc.write_text(postmortem_text([("P1", "x", "@alice", "2024-02-01", "OPS-1")]))

    result = cli("push", str(doc), "--json")

    assert result.code == 2  # a config error stops the run, for every postmortem
    assert "trackers.jira.email" in result.stderr
