"""A team pushes a finalized postmortem to Jira (Cloud and Data Center), through the real `jira`
client against the fake Jira: creation, write-back, re-push, drift, crash recovery, moves."""

from __future__ import annotations

import json

from tests.conftest import STANDARD_ROWS, postmortem_text
from tests.jira_support import BOB, ROW_LINES, JiraEnv, jira_env

__all__ = ["jira_env"]

KEYS = ["OPS-1", "OPS-2", "OPS-3"]


def test_push_creates_every_field_in_one_bulk_request(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    doc = env.write_doc()

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout + result.stderr
    out = result.one()
    assert out["created"] == KEYS and out["errors"] == []
    assert doc.read_text() == postmortem_text([(*r, k) for r, k in zip(STANDARD_ROWS, KEYS, strict=True)])
    issue = env.issue("OPS-1")["fields"]
    assert issue["summary"] == "Integration test for connection pool"
    assert issue["priority"]["name"] == "Highest"
    assert issue["duedate"] == "2024-01-22"
    assignee = issue["assignee"]
    assert (assignee.get("accountId") if env.cloud else assignee.get("name")) == env.ident("alice")
    assert issue["issuetype"]["name"] == "Task"
    labels = issue["labels"]
    assert labels[0] == "postmortem" and len(labels) == 3  # ours, the row's marker, the document's
    assert labels[1].startswith("pm-sync-") and len(labels[1]) == len("pm-sync-") + 12
    assert labels[2].startswith("pm-sync-doc-") and len(labels[2]) == len("pm-sync-doc-") + 12
    description = issue["description"]
    for text in (
        "Integration test for connection pool",
        "Payment API errors",
        "2024-01-15",
        "SEV2",
        "docs/technical/postmortem-2024-01-15-payments.md",
        "@alice",
        "2024-01-22",
    ):
        assert text in description
    third = env.issue("OPS-3")["fields"]
    assert third["priority"]["name"] == "High"
    bob = env.issue("OPS-2")["fields"]["assignee"]  # owner map gives bob's email: looked up
    assert (bob.get("accountId") if env.cloud else bob.get("name")) == (BOB if env.cloud else "bob")
    assert env.fake.properties("OPS-2")["pm-sync"]["baseline"] == {
        "action": "Lower DB alert threshold to 70%",
        "priority": "P0",
        "owner": env.ident("bob"),
        "due": "2024-01-17",
        "status": "open",
    }

    bulk = env.fake.requests_to("POST", "issue/bulk")
    assert len(bulk) == 1 and len(bulk[0].json["issueUpdates"]) == 3
    assert not env.fake.requests_to("POST", "issue/") or all(
        r.api_path == "issue/bulk" for r in env.fake.requests_to("POST", "issue")
    )
    assert [r.method for r in env.writes()] == ["POST"]  # one bulk create, baselines inside it
    paths = {r.path for r in env.fake.request_log}
    if env.cloud:
        assert "/rest/api/2/search" not in paths  # removed from Cloud (CHANGE-2046)
        assert "/rest/api/2/search/jql" in paths
    else:
        assert "/rest/api/2/search/jql" not in paths
    for req in env.fake.request_log:  # fields limited on every search
        if req.api_path in ("search", "search/jql"):
            assert "*all" not in req.query_multi.get("fields", [])
            assert req.query.get("properties") == "pm-sync"


def test_second_push_only_reads(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    doc = env.write_doc()
    assert cli("push", str(doc)).code == 0
    before = doc.read_bytes()
    env.fake.clear_log()

    result = cli("push", str(doc), "--json")

    assert result.code == 0
    assert result.one()["unchanged"] == KEYS and result.one()["created"] == []
    assert env.writes() == []
    searches = [r for r in env.fake.request_log if r.api_path in ("search", "search/jql")]
    assert len(searches) == 1  # every ticket of the postmortem, by its document marker
    assert "labels in" in searches[0].query["jql"]
    assert doc.read_bytes() == before
    assert len(env.fake.issues) == 3


def test_drifted_fields_are_updated_with_only_what_changed(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    doc = env.write_doc()
    assert cli("push", str(doc)).code == 0
    doc.write_text(doc.read_text().replace("| @bob | 2024-01-17 |", "| @alice | 2024-01-19 |"))
    env.fake.edit_fields("OPS-3", summary="Someone retitled this")
    env.fake.clear_log()

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert sorted(result.one()["updated"]) == ["OPS-2", "OPS-3"]
    edits = {
        r.api_path: {"fields": r.json["fields"]}
        for r in env.fake.requests_to("PUT", "issue/")
        if "/properties/" not in (r.api_path or "") and "fields" in r.json
    }
    assignee = {"accountId": env.ident("alice")} if env.cloud else {"name": "alice"}
    assert edits == {
        "issue/OPS-2": {"fields": {"duedate": "2024-01-19", "assignee": assignee}},
        "issue/OPS-3": {"fields": {"summary": "Document connection management patterns"}},
    }
    assert env.issue("OPS-2")["fields"]["duedate"] == "2024-01-19"
    assert env.fake.properties("OPS-2")["pm-sync"]["baseline"]["due"] == "2024-01-19"
    assert not env.fake.requests_to("POST", "")  # never a create or a transition
    again = cli("push", str(doc), "--json")
    assert again.one()["updated"] == []


def test_lost_answer_to_the_bulk_create_is_recovered_by_marker(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    doc = env.write_doc()
    env.fake.inject("POST", r"/issue/bulk$", drop=True, after=True)  # stored, answer lost

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout + result.stderr
    assert sorted(result.one()["created"]) == KEYS
    assert len(env.fake.issues) == 3  # no duplicates: the markers were looked up first
    assert len(env.fake.requests_to("POST", "issue/bulk")) == 1
    lookups = [r.query["jql"] for r in env.fake.request_log if r.api_path in ("search", "search/jql")]
    assert sum("labels in" in q for q in lookups) == 2  # before planning, after the lost answer
    assert "OPS-1" in doc.read_text() and "OPS-3" in doc.read_text()
    assert all(env.fake.properties(k).get("pm-sync") for k in KEYS)
    rerun = cli("push", str(doc), "--json")
    assert rerun.one()["created"] == [] and len(env.fake.issues) == 3


def test_timed_out_create_is_looked_up_not_resent(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    env.write_config(timeout=0.5)
    doc = env.write_doc()
    env.fake.inject("POST", r"/issue/bulk$", delay=1.5, after=True)  # stored, answered too late

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout + result.stderr
    assert sorted(result.one()["created"]) == KEYS and len(env.fake.issues) == 3
    assert len(env.fake.requests_to("POST", "issue/bulk")) == 1


def test_partly_lost_create_only_creates_what_is_missing(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    doc = env.write_doc()
    env.fake.inject("POST", r"/issue/bulk$", drop=True)  # dropped before Jira stored anything

    result = cli("push", str(doc), "--json")

    # Jira's search lags: a miss right after proves nothing, so nothing is sent twice; the rows
    # wait for their markers until a person says the creates were lost
    assert result.code == 1
    assert {e["code"] for e in result.one()["errors"]} == {"create-in-flight"}
    assert "--retry-lost" in result.one()["errors"][0]["hint"]
    assert env.fake.issues == [] and len(env.fake.requests_to("POST", "issue/bulk")) == 1
    assert "waiting" in result.stderr  # the wait for the search said what it waits for
    again = cli("push", str(doc), "--json")
    assert again.code == 1 and len(env.fake.requests_to("POST", "issue/bulk")) == 1
    lost = cli("push", str(doc), "--retry-lost", "--json")
    assert lost.code == 0, lost.stdout
    assert len(env.fake.issues) == 3 and len(env.fake.requests_to("POST", "issue/bulk")) == 2


def test_killed_run_is_adopted_by_marker_on_rerun(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    doc = env.write_doc()
    env.fake.inject("POST", r"/issue/bulk$", drop=True, after=True, times=None)  # every answer lost
    first = cli("push", str(doc), "--json")  # recovers what Jira stored despite the silence
    assert len(env.fake.issues) == 3
    doc.write_text(postmortem_text([(*r, "") for r in STANDARD_ROWS]))  # as if never written
    env.fake.clear_injections()

    rerun = cli("push", str(doc), "--json")

    assert first.code == 0
    assert rerun.code == 0 and sorted(rerun.one()["recovered"]) == KEYS
    assert len(env.fake.issues) == 3 and not env.fake.requests_to("POST", "issue/bulk")[1:]


def test_moved_issue_gets_its_new_key_written_back(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    doc = env.write_doc()
    assert cli("push", str(doc)).code == 0
    new_key = env.fake.move_issue("OPS-2", "SEC")

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert result.one()["moved"] == [{"from": "OPS-2", "to": new_key}]
    assert f"| 2024-01-17 | {new_key} |" in doc.read_text()
    assert env.writes() and not [r for r in env.writes() if r.method == "POST"][1:]
    again = cli("push", str(doc), "--json")
    assert again.one()["unchanged"] == ["OPS-1", new_key, "OPS-3"]


def test_deleted_issue_is_reported_on_its_row(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    doc = env.write_doc()
    assert cli("push", str(doc)).code == 0
    env.fake.delete_issue("OPS-2")

    result = cli("push", str(doc), "--json")

    assert result.code == 1
    [error] = result.one()["errors"]
    assert error["line"] == ROW_LINES[1] and "OPS-2 does not exist" in error["message"]


def test_several_moved_and_deleted_issues_in_one_read(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    env.fake.unknown_jql_keys = "empty"  # some Cloud sites answer no match instead of a 400
    doc = env.write_doc()
    assert cli("push", str(doc)).code == 0
    first = env.fake.move_issue("OPS-1", "SEC")
    third = env.fake.move_issue("OPS-3", "SEC")

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert result.one()["moved"] == [{"from": "OPS-1", "to": first}, {"from": "OPS-3", "to": third}]
    env.fake.delete_issue(first)
    [error] = cli("push", str(doc), "--json").one()["errors"]
    assert error["line"] == ROW_LINES[0] and f"{first} does not exist" in error["message"]


def test_dry_run_writes_nothing(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    doc = env.write_doc()
    before = doc.read_bytes()

    result = cli("push", str(doc), "--dry-run", "--json")

    assert result.code == 0, result.stdout
    assert [p["kind"] for p in result.one()["plan"]] == ["create"] * 3
    assert env.writes() == [] and env.fake.issues == [] and doc.read_bytes() == before


def test_many_items_are_created_in_bulk_chunks_and_read_in_one_query(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    rows = [("P2", f"Follow-up number {n}", "@alice", "2024-02-01") for n in range(60)]
    doc = env.write_doc(rows)

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert len(result.one()["created"]) == 60
    sizes = [len(r.json["issueUpdates"]) for r in env.fake.requests_to("POST", "issue/bulk")]
    assert sizes == [50, 10]
    env.fake.clear_log()
    assert cli("push", str(doc)).code == 0
    assert len([r for r in env.fake.request_log if r.api_path in ("search", "search/jql")]) == 1


def test_api_push_with_auto_deployment(jira_env: JiraEnv) -> None:
    """The Python API, with the deployment read from serverInfo (DC answers "Server")."""
    from pm_sync import push

    env = jira_env
    env.write_config(deployment="auto")
    doc = env.write_doc()

    [outcome] = push([str(doc)])

    assert outcome.ok and outcome.created == KEYS
    assert len(env.fake.requests_to("GET", "serverInfo")) == 1
    search = "search/jql" if env.cloud else "search"
    assert env.fake.requests_to("GET", search)
    assert json.loads(json.dumps(outcome.as_json()))["created"] == KEYS


def test_owner_map_email_is_used_when_no_jira_identity_is_given(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    config = (env.workdir / "pm-sync.toml").read_text()
    config += '"@robert" = { github = "bobby", email = "bob@example.com" }\n'
    (env.workdir / "pm-sync.toml").write_text(config)
    doc = env.write_doc([("P0", "Lower DB alert threshold to 70%", "@robert", "2024-01-17")])

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assignee = env.issue("OPS-1")["fields"]["assignee"]
    assert (assignee.get("accountId") if env.cloud else assignee.get("name")) == env.ident("bob")


def test_jira_without_bulk_create_gets_one_create_per_item(jira_env: JiraEnv, cli) -> None:
    """Some Jira servers and proxies do not offer issue/bulk: fall back, still one per item."""
    env = jira_env
    env.fake.inject(
        "POST",
        r"issue/bulk$",
        status=404,
        times=None,
        body={"errorMessages": ["null for uri: issue/bulk"], "errors": {}},
    )
    doc = env.write_doc([*STANDARD_ROWS, ("P1", "x", "@bob", "2024-02-01")])
    env.write_config(labels=["postmortem"])

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    out = result.one()
    assert out["created"] == [*KEYS, "OPS-4"]
    assert len(env.fake.requests_to("POST", "issue/bulk")) == 1
    singles = [r for r in env.fake.request_log if r.method == "POST" and r.api_path == "issue"]
    assert len(singles) == 4
    assert sorted(i["key"] for i in env.fake.issues) == [*KEYS, "OPS-4"]


def test_run_killed_after_create_waits_out_search_lag_on_rerun(jira_env: JiraEnv) -> None:
    """Jira's search lags behind writes. A run SIGKILLed right after its create leaves a note
    of the markers in flight; the rerun asks again, with backoff, instead of creating twice."""
    import signal

    from tests.conftest import run_subprocess
    from tests.jira_support import TOKEN_ENV

    env = jira_env
    doc = env.write_doc()
    env.fake.search_lag = 1.5
    killed = run_subprocess(
        ["push", str(doc)], env.workdir, {TOKEN_ENV: env.fake.token, "PM_SYNC_FAILPOINT": "after-create"}
    )
    assert killed.returncode == -signal.SIGKILL
    assert len(env.fake.issues) == 3 and doc.read_text().count("| OPS-") == 0

    rerun = run_subprocess(["push", str(doc), "--json"], env.workdir, {TOKEN_ENV: env.fake.token})

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert sorted(json.loads(rerun.stdout)[0]["recovered"]) == KEYS
    assert len(env.fake.issues) == 3
    assert not list((env.workdir / ".pm-sync" / "inflight").iterdir())
