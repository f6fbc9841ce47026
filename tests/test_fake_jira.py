"""Drives the real ``jira`` client against tests/fakes/fake_jira.py in Cloud and Data Center mode."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from jira import JIRA, JIRAError

from tests.fakes import fake_jira as _fake_jira
from tests.fakes.fake_jira import REMOVED_SEARCH_MSG, FakeJira

fake_jira_cloud = _fake_jira.fake_jira_cloud  # fixtures (a conftest may import them instead)
fake_jira_dc = _fake_jira.fake_jira_dc

ANN_CLOUD = "557058:aaaaaaaa-0000-4000-8000-00000000a11e"
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")


def make_client(fake: FakeJira, **kw: Any) -> JIRA:
    kw.setdefault("max_retries", 0)
    kw.setdefault("timeout", 5)
    auth = {"basic_auth": (fake.email, fake.token)} if fake.is_cloud else {"token_auth": fake.token}
    return JIRA(server=fake.url, get_server_info=True, **auth, **kw)


def seed(fake: FakeJira) -> FakeJira:
    fake.add_project("OPS", name="Operations", issue_types=["Task", "Bug"])
    fake.add_project("SEC", name="Security")
    fake.add_project(
        "PM", name="Postmortems", required_fields=[{"id": "customfield_10050", "name": "Postmortem ID"}]
    )
    fake.add_user(account_id=ANN_CLOUD, name="ann", email="ann@example.com", display_name="Ann Example")
    return fake


@pytest.fixture(params=["cloud", "datacenter"])
def env(request: pytest.FixtureRequest) -> SimpleNamespace:
    fake = request.getfixturevalue("fake_jira_cloud" if request.param == "cloud" else "fake_jira_dc")
    seed(fake)
    ann = {"accountId": ANN_CLOUD} if fake.is_cloud else {"name": "ann"}
    return SimpleNamespace(fake=fake, jira=make_client(fake), ann=ann)


@pytest.fixture
def cloud(fake_jira_cloud: FakeJira) -> SimpleNamespace:
    return SimpleNamespace(fake=seed(fake_jira_cloud), jira=make_client(fake_jira_cloud))


@pytest.fixture
def dc(fake_jira_dc: FakeJira) -> SimpleNamespace:
    return SimpleNamespace(fake=seed(fake_jira_dc), jira=make_client(fake_jira_dc))


def task(**extra: Any) -> dict[str, Any]:
    return {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "Rotate runbook", **extra}


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The jira client sleeps via time.sleep in jira/resilientsession.py; record instead."""
    slept: list[float] = []
    monkeypatch.setattr("jira.resilientsession.time.sleep", slept.append)
    return slept


# ----------------------------------------------------------------- server info & auth
def test_server_info_and_construction(env: SimpleNamespace) -> None:
    fake = env.fake
    assert env.jira._is_cloud is fake.is_cloud
    assert len(fake.requests_to("GET", "serverInfo")) == 1
    info = env.jira.server_info()
    assert info["deploymentType"] == ("Cloud" if fake.is_cloud else "Server")
    assert (
        info["baseUrl"] == fake.url and info["versionNumbers"] and info["buildNumber"] and info["serverTitle"]
    )
    r = requests.get(f"{fake.url}/rest/api/2/serverInfo")  # anonymous read allowed
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json;charset=UTF-8"
    me = env.jira.myself()
    assert (me["accountId"] if fake.is_cloud else me["name"]) in (
        fake.myself["accountId"],
        fake.myself["name"],
    )


def test_bad_credentials_are_401(fake_jira_cloud: FakeJira, fake_jira_dc: FakeJira) -> None:
    with pytest.raises(JIRAError) as e:
        JIRA(
            server=fake_jira_cloud.url, basic_auth=(fake_jira_cloud.email, "wrong"), timeout=5, max_retries=0
        )
    assert (
        e.value.status_code == 401 and e.value.text == "Client must be authenticated to access this resource."
    )
    with pytest.raises(JIRAError) as e:
        JIRA(server=fake_jira_dc.url, token_auth="wrong", timeout=5, max_retries=0)
    assert e.value.status_code == 401
    with pytest.raises(JIRAError):  # Cloud does not take the API token as a Bearer PAT
        JIRA(server=fake_jira_cloud.url, token_auth=fake_jira_cloud.token, timeout=5, max_retries=0)
    assert requests.get(f"{fake_jira_dc.url}/rest/api/2/myself").status_code == 401
    assert requests.get(f"{fake_jira_dc.url}/rest/api/3/serverInfo").status_code == 404  # DC has no v3


# ------------------------------------------------------------------------- create/get
def test_create_issue_stores_every_field(env: SimpleNamespace) -> None:
    fake, jira = env.fake, env.jira
    iss = jira.create_issue(
        fields=task(
            labels=["postmortem", "pm-1"],
            priority={"name": "High"},
            duedate="2025-01-31",
            assignee=env.ann,
            description="Do it",
        )
    )
    assert iss.key == "OPS-1"
    assert [r.method + " " + r.api_path for r in fake.request_log[-2:]] == ["POST issue", "GET issue/OPS-1"]
    assert fake.request_log[-2].status == 201
    f = iss.fields
    assert (f.summary, f.labels, f.priority.name, f.duedate) == (
        "Rotate runbook",
        ["postmortem", "pm-1"],
        "High",
        "2025-01-31",
    )
    assert (
        f.status.name == "To Do" and f.status.statusCategory.key == "new" and f.status.statusCategory.id == 2
    )
    assert f.resolution is None and f.resolutiondate is None
    assert f.assignee.displayName == "Ann Example" and f.reporter.displayName == "PM Sync Bot"
    assert TS_RE.match(f.created) and TS_RE.match(f.updated)
    bare = jira.create_issue(fields=task())
    for name in (
        "duedate",
        "assignee",
        "description",
        "resolution",
        "labels",
        "priority",
        "customfield_10050",
    ):
        assert name in bare.raw["fields"]
    assert bare.fields.duedate is None and bare.fields.assignee is None and bare.fields.labels == []
    assert bare.fields.priority.name == "Medium"  # Jira's default priority
    assert bare.self.startswith(fake.url) and bare.raw["fields"]["status"]["self"].startswith(fake.url)
    assert fake.get("OPS-2")["fields"]["summary"] == "Rotate runbook" and len(fake.issues) == 2


def test_create_with_string_project_and_type(env: SimpleNamespace) -> None:
    iss = env.jira.create_issue(project="OPS", issuetype="Bug", summary="x")
    assert iss.fields.issuetype.name == "Bug" and iss.fields.project.key == "OPS"
    paths = [r.api_path for r in env.fake.requests_to("GET", "project/")]
    assert paths == ["project/OPS", "project/10000"]
    assert env.fake.requests_to("GET", "project/10000")[0].query["expand"] == "issueTypes"


CLOUD, DC = "cloud", "datacenter"
VALIDATION = [  # (id, fields, expected text per mode)
    (
        "unknown-project",
        task(project={"key": "NOPE"}),
        {CLOUD: "Specify a valid project ID or key", DC: "valid project is required"},
    ),
    (
        "unknown-type",
        task(issuetype={"name": "Epic"}),
        {CLOUD: "Specify a valid issue type", DC: "valid issue type is required"},
    ),
    ("missing-summary", task(summary=""), "You must specify a summary of the issue."),
    ("long-summary", task(summary="x" * 256), "Summary must be less than 255 characters."),
    ("priority-name", task(priority={"name": "Urgent"}), "The priority selected is invalid."),
    ("priority-id", task(priority={"id": "99"}), "The priority selected is invalid."),
    ("bad-duedate", task(duedate="31/01/2025"), "Error parsing date string: 31/01/2025"),
    (
        "unknown-assignee-cloud",
        task(assignee={"accountId": "nope"}),
        {CLOUD: "Account ID nope does not exist.", DC: "expected Object containing a 'name' property"},
    ),
    (
        "unknown-assignee-dc",
        task(assignee={"name": "nope"}),
        {CLOUD: "expected Object containing a 'accountId' property", DC: "User 'nope' does not exist."},
    ),
    (
        "label-space",
        task(labels=["needs triage"]),
        "The label 'needs triage' contains spaces which is invalid.",
    ),
    ("required-custom", task(project={"key": "PM"}), "Postmortem ID is required."),
    (
        "not-on-screen",
        task(environment="prod"),
        "Field 'environment' cannot be set. It is not on the appropriate screen, or unknown.",
    ),
]


@pytest.mark.parametrize("fields,expected", [v[1:] for v in VALIDATION], ids=[v[0] for v in VALIDATION])
def test_create_validation_errors(env: SimpleNamespace, fields: dict[str, Any], expected: Any) -> None:
    expected = expected[env.fake.mode] if isinstance(expected, dict) else expected
    with pytest.raises(JIRAError) as e:
        env.jira.create_issue(fields=fields)
    assert e.value.status_code == 400 and e.value.text == expected
    assert env.fake.issues == [] and len(env.fake.requests_to("POST", "issue")) == 1  # no retry on 400
    assert e.value.response is not None
    body = e.value.response.json()
    assert body["errorMessages"] == [] and expected in body["errors"].values()


def test_multiple_field_errors_are_joined(env: SimpleNamespace) -> None:
    with pytest.raises(JIRAError) as e:
        env.jira.create_issue(fields=task(duedate="tomorrow", priority={"name": "Urgent"}))
    assert set(str(e.value.text).split(", ")) == {
        "Error parsing date string: tomorrow",
        "The priority selected is invalid.",
    }


def test_forbidden_project(env: SimpleNamespace) -> None:
    env.fake.set_forbidden("SEC")
    with pytest.raises(JIRAError) as e:
        env.jira.create_issue(fields=task(project={"key": "SEC"}))
    assert e.value.status_code == 403 and "permission" in str(e.value.text)


def test_get_issue_field_filter_and_404(env: SimpleNamespace) -> None:
    key = env.jira.create_issue(fields=task(labels=["a"])).key
    raw = env.jira.issue(key, fields="summary,labels").raw
    assert set(raw["fields"]) == {"summary", "labels"} and raw["key"] == key
    assert "names" in env.jira.issue(key, expand="names").raw
    with pytest.raises(JIRAError) as e:
        env.jira.issue("OPS-999")
    assert e.value.status_code == 404
    assert e.value.text == "Issue does not exist or you do not have permission to see it."


# ---------------------------------------------------------------------------- bulk
def test_bulk_create_partial_and_total_failure(env: SimpleNamespace) -> None:
    fake, jira = env.fake, env.jira
    out = jira.create_issues([task(summary="one"), task(summary=""), task(summary="three", labels=["x"])])
    assert [o["status"] for o in out] == ["Success", "Error", "Success"]
    assert out[1]["error"] == {"summary": "You must specify a summary of the issue."}
    assert [o["issue"].key for o in out if o["issue"]] == ["OPS-1", "OPS-2"]
    first = fake.requests_to("POST", "issue/bulk")[0]
    assert first.status == 201 and len(first.json["issueUpdates"]) == 3
    out = jira.create_issues([task(summary=""), task(priority={"name": "Nope"})])
    assert [o["status"] for o in out] == ["Error", "Error"]
    assert fake.requests_to("POST", "issue/bulk")[1].status == 400
    r = requests.post(
        f"{fake.url}/rest/api/2/issue/bulk",
        json={"issueUpdates": [{"fields": task(summary="")}]},
        headers=jira._session.headers,
        auth=jira._session.auth,
    )
    assert r.json()["errors"][0] == {
        "status": 400,
        "failedElementNumber": 0,
        "elementErrors": {
            "errorMessages": [],
            "errors": {"summary": "You must specify a summary of the issue."},
        },
    }
    assert r.json()["issues"] == []


# --------------------------------------------------------------------------- edit
def test_update_fields_and_label_ops(env: SimpleNamespace) -> None:
    iss = env.jira.create_issue(fields=task(labels=["a"]))
    iss.update(fields={"summary": "renamed", "duedate": "2025-02-01"})
    assert iss.fields.summary == "renamed" and iss.fields.duedate == "2025-02-01"
    put = env.fake.requests_to("PUT", "issue/")[-1]
    assert put.status == 204 and put.json == {
        "fields": {"summary": "renamed", "duedate": "2025-02-01"},
        "update": {},
    }
    iss.update(labels=[{"add": "b"}, {"remove": "a"}], notify=False)
    assert iss.fields.labels == ["b"]
    assert env.fake.requests_to("PUT", "issue/")[-1].query == {"notifyUsers": "false"}
    iss.update(fields={"assignee": env.ann})
    assert iss.fields.assignee.displayName == "Ann Example"
    with pytest.raises(JIRAError) as e:
        iss.update(fields={"status": {"name": "Done"}})
    assert e.value.text == "Field 'status' cannot be set. It is not on the appropriate screen, or unknown."
    with pytest.raises(JIRAError) as e:
        iss.update(fields={"summary": "x" * 300})
    assert e.value.text == "Summary must be less than 255 characters."


def test_transitions_and_comments(env: SimpleNamespace) -> None:
    iss = env.jira.create_issue(fields=task())
    assert {t["name"]: t["id"] for t in env.jira.transitions(iss)} == {"In Progress": "21", "Done": "31"}
    env.jira.transition_issue(iss, "Done", fields={"resolution": {"name": "Won't Do"}}, comment="closing")
    got = env.jira.issue(iss.key)
    assert got.fields.status.statusCategory.key == "done" and got.fields.resolution.name == "Won't Do"
    assert got.fields.resolutiondate and env.fake.comments(iss.key)[0]["body"] == "closing"
    assert env.jira.add_comment(iss.key, "hello").body == "hello"


# ------------------------------------------------------------------------- search
def test_cloud_enhanced_search_pages_with_next_page_token(cloud: SimpleNamespace) -> None:
    fake, jira = cloud.fake, cloud.jira
    for n in range(3):  # 120 issues through 3 bulk requests of 40
        jira.create_issues([task(summary=f"s{n}-{i}", labels=["pm"]) for i in range(40)], prefetch=False)
    everything = jira.enhanced_search_issues("labels = pm ORDER BY key ASC", maxResults=0)
    assert len(everything) == 120 and everything[0].key == "OPS-1" and everything[-1].key == "OPS-120"
    calls = fake.requests_to("GET", "search/jql")
    assert [c.query.get("nextPageToken") is None for c in calls] == [True, False]
    assert all(c.query["maxResults"] == "100" and c.query_multi["fields"] == ["*all"] for c in calls)
    fake.clear_log()
    page = jira.enhanced_search_issues("labels = pm", maxResults=150, json_result=True)
    assert len(page["issues"]) == 100 and page["isLast"] is False and "total" not in page  # capped at 100
    nxt = jira.enhanced_search_issues(
        "labels = pm", nextPageToken=page["nextPageToken"], maxResults=50, json_result=True
    )
    assert len(nxt["issues"]) == 20 and nxt["isLast"] is True and "nextPageToken" not in nxt
    ids = jira.enhanced_search_issues("labels = pm", fields=["id"], maxResults=500, json_result=True)
    assert len(ids["issues"]) == 120 and "summary" not in ids["issues"][0].get(
        "fields", {}
    )  # id-only: bigger page
    assert fake.requests_to("GET", "search/jql")[-1].query_multi["fields"] == [
        "issuekey"
    ]  # client maps id->issuekey
    post = jira.enhanced_search_issues("labels = pm", maxResults=5, use_post=True)
    assert len(post) == 5 and fake.requests_to("POST", "search/jql")[0].json["maxResults"] == 5


def test_dc_search_pages_with_start_at(dc: SimpleNamespace) -> None:
    fake, jira = dc.fake, dc.jira
    for n in range(3):
        jira.create_issues([task(summary=f"s{n}-{i}") for i in range(40)], prefetch=False)
    res = jira.search_issues("project = OPS", maxResults=0)
    assert len(res) == 120 and res.total == 120
    starts = [int(c.query.get("startAt", 0)) for c in fake.requests_to("GET", "search")]
    assert starts[0] == 0 and len(starts) >= 2 and starts == sorted(set(starts))
    page = jira.search_issues("project = OPS ORDER BY key ASC", startAt=100, maxResults=50)
    assert len(page) == 20 and page.total == 120 and page[0].key == "OPS-101"
    assert jira.enhanced_search_issues("project = OPS") is None  # Cloud-only in the client
    r = requests.get(
        f"{fake.url}/rest/api/2/search/jql",
        params={"jql": "project = OPS"},
        headers={"Authorization": f"Bearer {fake.token}"},
    )
    assert r.status_code == 404


def test_cloud_legacy_search_is_gone(cloud: SimpleNamespace) -> None:
    s = cloud.jira._session
    for method, ver in (("GET", "2"), ("POST", "2"), ("GET", "3"), ("GET", "latest")):
        r = requests.request(
            method,
            f"{cloud.fake.url}/rest/api/{ver}/search",
            params={"jql": "project = OPS"},
            json={"jql": "project = OPS"} if method == "POST" else None,
            auth=s.auth,
        )
        assert r.status_code == 410
        assert r.json() == {"errorMessages": [REMOVED_SEARCH_MSG], "errors": {}}
    with pytest.raises(JIRAError, match="deprecated in Jira Cloud"):
        cloud.jira.search_issues("project = OPS", startAt=5)


def test_jql_subset(env: SimpleNamespace) -> None:
    fake, jira = env.fake, env.jira
    keys = [
        jira.create_issue(fields=task(summary=f"t{i}", labels=labels)).key
        for i, labels in enumerate([["pm-1"], ["pm-2", "x"], [], ["pm-1"]])
    ]
    sec = jira.create_issue(fields=task(project={"key": "SEC"})).key
    fake.set_status(keys[3], "Done")

    def find(jql: str) -> list[str]:
        res = jira.search_issues(jql, maxResults=0)
        return [i.key for i in res]

    assert find('key in (OPS-1, "OPS-2") ORDER BY key ASC') == ["OPS-1", "OPS-2"]
    assert find("issuekey = OPS-3") == ["OPS-3"]
    assert find("labels = pm-1 ORDER BY key DESC") == ["OPS-4", "OPS-1"]
    assert find("labels in (pm-2, x) AND project = OPS") == ["OPS-2"]
    assert find("project in (OPS, SEC) AND statusCategory != Done ORDER BY key ASC") == [*keys[:3], sec]
    assert find("statusCategory = Done") == ["OPS-4"]
    assert find("labels = pm-1 AND statusCategory = Done OR key = SEC-1 ORDER BY key ASC") == ["OPS-4", sec]
    assert find("labels is EMPTY AND project = OPS") == ["OPS-3"]
    assert find("labels != pm-1 AND project = OPS") == ["OPS-2"]  # != never matches empty fields
    assert find('summary ~ "t2"') == ["OPS-3"]
    assert find("project = OPS AND created >= -1d ORDER BY created DESC")[0] == "OPS-4"
    bad = {
        "key in (OPS-1, OPS-999)": "An issue with key 'OPS-999' does not exist for field 'key'.",
        "key = ZZZ-1": "An issue with key 'ZZZ-1' does not exist for field 'key'.",
        "key = banana": "The issue key 'banana' for field 'key' is invalid.",
        "project = NOPE": "The value 'NOPE' does not exist for the field 'project'.",
        "nosuchfield = 1": "Field 'nosuchfield' does not exist or you do not have permission to view it.",
    }
    for jql, msg in bad.items():
        with pytest.raises(JIRAError) as e:
            jira.search_issues(jql)
        assert e.value.status_code == 400 and e.value.text == msg, jql
    for jql in ("project = ", "labels in (a", "project = OPS AND AND"):
        with pytest.raises(JIRAError) as e:
            jira.search_issues(jql)
        assert e.value.status_code == 400 and str(e.value.text).startswith("Error in the JQL Query:"), jql


def test_cloud_rejects_unbounded_jql_and_can_be_lenient_on_keys(cloud: SimpleNamespace) -> None:
    with pytest.raises(JIRAError, match="Unbounded JQL queries are not allowed here"):
        cloud.jira.search_issues("ORDER BY created DESC")
    cloud.fake.unknown_jql_keys = "empty"
    assert cloud.jira.search_issues("key in (OPS-404)") == []


def test_search_lag_and_reconcile(fake_jira_cloud: FakeJira) -> None:
    fake = seed(fake_jira_cloud)
    fake.search_lag = 30.0
    jira = make_client(fake)
    iss = jira.create_issue(fields=task(labels=["pm-9"]))
    assert jira.search_issues("labels = pm-9") == []  # not indexed yet
    found = jira.enhanced_search_issues("labels = pm-9", reconcileIssues=[int(iss.id)])
    assert [i.key for i in found] == [iss.key]


# ------------------------------------------------------------------ tracker-side state
def test_moved_issue_keeps_resolving(env: SimpleNamespace) -> None:
    fake, jira = env.fake, env.jira
    old = jira.create_issue(fields=task(labels=["pm-7"])).key
    new = fake.move_issue(old, "SEC")
    assert new == "SEC-1"
    got = jira.issue(old)
    assert got.key == "SEC-1" and got.fields.project.key == "SEC"
    assert [i.key for i in jira.search_issues(f"key in ({old})")] == ["SEC-1"]
    got.update(fields={"summary": "still editable"})
    assert fake.get(old)["key"] == "SEC-1" and fake.get(new)["fields"]["summary"] == "still editable"


def test_human_edits_and_delete(env: SimpleNamespace) -> None:
    fake, jira = env.fake, env.jira
    key = jira.create_issue(fields=task()).key
    fake.set_status(key, "Done", resolution="Won't Do")
    fake.edit_fields(key, priority="Lowest", labels=["triaged"], assignee="ann", duedate="2030-01-01")
    iss = jira.issue(key)
    assert (iss.fields.resolution.name, iss.fields.status.statusCategory.name) == ("Won't Do", "Done")
    assert (iss.fields.priority.name, iss.fields.labels, iss.fields.duedate) == (
        "Lowest",
        ["triaged"],
        "2030-01-01",
    )
    assert iss.fields.assignee.displayName == "Ann Example"
    fake.set_status(key, "In Progress")
    assert jira.issue(key).fields.resolution is None
    fake.delete_issue(key)
    with pytest.raises(JIRAError) as e:
        jira.issue(key)
    assert e.value.status_code == 404
    other = jira.create_issue(fields=task())
    other.delete()  # REST DELETE -> 204
    assert fake.requests_to("DELETE", "issue/")[-1].status == 204 and fake.issues == []


def test_users_by_mode(cloud: SimpleNamespace, dc: SimpleNamespace) -> None:
    found = cloud.jira.search_users(query="ann@exa")
    assert [u.accountId for u in found] == [ANN_CLOUD] and cloud.jira.user(
        ANN_CLOUD
    ).displayName == "Ann Example"
    assert cloud.jira.search_users(query="Example")[0].accountId == ANN_CLOUD
    with pytest.raises(JIRAError):  # GDPR strict mode: no username on Cloud
        cloud.jira.search_users(user="ann")
    key = cloud.jira.create_issue(fields=task()).key
    cloud.jira.assign_issue(key, "ann@example.com")
    put = cloud.fake.requests_to("PUT", "/rest/api/latest/issue/")[-1]
    assert (
        put.json == {"accountId": ANN_CLOUD} and cloud.jira.issue(key).fields.assignee.accountId == ANN_CLOUD
    )
    assert [u.name for u in dc.jira.search_users(user="ann")] == ["ann"]
    assert dc.fake.requests_to("GET", "user/search")[-1].query["username"] == "ann"
    key = dc.jira.create_issue(fields=task()).key
    dc.jira.assign_issue(key, "ann")
    assert dc.fake.requests_to("PUT", "/rest/api/latest/issue/")[-1].json == {"name": "ann"}
    assert dc.jira.issue(key).fields.assignee.name == "ann"
    assert dc.jira.user("ann").key.startswith("JIRAUSER")


def test_createmeta_shapes(cloud: SimpleNamespace, dc: SimpleNamespace) -> None:
    types = dc.jira.project_issue_types("OPS")
    fields = {f.fieldId: f for f in dc.jira.project_issue_fields("PM", types[0].id)}
    assert (
        fields["customfield_10050"].required and fields["summary"].required and not fields["duedate"].required
    )
    assert [p["name"] for p in fields["priority"].raw["allowedValues"]][:2] == ["Highest", "High"]
    s = cloud.jira._session
    r = requests.get(f"{cloud.fake.url}/rest/api/3/issue/createmeta/OPS/issuetypes", auth=s.auth).json()
    assert [t["name"] for t in r["issueTypes"]] == ["Task", "Bug"] and r["total"] == 2
    r = requests.get(f"{cloud.fake.url}/rest/api/3/issue/createmeta/PM/issuetypes/10002", auth=s.auth).json()
    assert {f["key"] for f in r["fields"] if f["required"]} == {
        "summary",
        "issuetype",
        "project",
        "customfield_10050",
    }
    assert any(f["clauseNames"] for f in cloud.jira.fields())


def test_remote_link_upsert_by_global_id(env: SimpleNamespace) -> None:
    key = env.jira.create_issue(fields=task()).key
    with pytest.warns(
        Warning
    ):  # the client probes /rest/applinks first; the fake answers 404 like a bare Jira
        for title in ("first", "second"):
            env.jira.add_remote_link(key, {"url": "https://pm.example/1", "title": title}, globalId="pm:1")
    links = env.fake.remote_links(key)
    assert len(links) == 1 and links[0]["object"]["title"] == "second"


# ------------------------------------------------------------------ faults & observability
def test_rate_limit_is_retried(env: SimpleNamespace, no_sleep: list[float]) -> None:
    fake = env.fake
    jira = make_client(fake, max_retries=3)
    fake.rate_limit("POST", r"/issue$", retry_after=0, times=2)
    iss = jira.create_issue(fields=task())
    assert [r.status for r in fake.requests_to("POST", "issue")] == [429, 429, 201]
    assert (
        len(no_sleep) == 2
        and all(0 < s <= 2 for s in no_sleep)
        and len(fake.issues) == 1
        and iss.key == "OPS-1"
    )
    fake.rate_limit("GET", r"/myself$", retry_after=3)
    r = requests.get(f"{fake.url}/rest/api/2/myself")
    assert (
        r.status_code == 429 and r.headers["Retry-After"] == "3" and r.headers["X-RateLimit-Remaining"] == "0"
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ", r.headers["X-RateLimit-Reset"])
    assert r.headers["RateLimit-Reason"] == "jira-burst-based"


def test_503_with_retry_after_is_retried_but_500_is_not(env: SimpleNamespace, no_sleep: list[float]) -> None:
    jira = make_client(env.fake, max_retries=2)
    env.fake.service_unavailable("GET", r"/issue/OPS-1$", retry_after=1)
    key = jira.create_issue(fields=task()).key  # the prefetch GET hits the 503 once
    assert [r.status for r in env.fake.requests_to("GET", "issue/OPS-1")] == [503, 200] and key == "OPS-1"
    env.fake.inject("GET", r"/issue/OPS-1$", status=500)
    with pytest.raises(JIRAError) as e:
        jira.issue("OPS-1")
    assert e.value.status_code == 500 and len(no_sleep) == 1


def test_dropped_connection_after_create_leaves_issue_stored(env: SimpleNamespace) -> None:
    fake = env.fake
    rule = fake.inject("POST", r"/issue$", drop=True, after=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        env.jira.create_issue(fields=task(labels=["pm-42"]))
    assert rule.hits == 1 and len(fake.issues) == 1
    rec = fake.requests_to("POST", "issue")[0]
    assert rec.dropped and rec.status == 201 and rec.injected == "after-drop"
    assert [i.key for i in env.jira.search_issues("labels = pm-42")] == [
        "OPS-1"
    ]  # find-before-recreate works
    env.fake.inject("POST", r"/issue$", status=500, after=True)  # stored, but the reply says 500
    with pytest.raises(JIRAError) as e:
        env.jira.create_issue(fields=task(labels=["pm-43"]))
    assert e.value.status_code == 500 and [i["key"] for i in fake.issues] == ["OPS-1", "OPS-2"]


def test_timeout_after_create_leaves_issue_stored(env: SimpleNamespace) -> None:
    jira = make_client(env.fake, timeout=0.3)
    env.fake.inject("POST", r"/issue$", delay=1.0, after=True)
    with pytest.raises(
        requests.exceptions.ReadTimeout
    ):  # not a ConnectionError: the client does not retry it
        jira.create_issue(fields=task())
    assert len(env.fake.issues) == 1


def test_drop_before_processing_is_retried_and_duplicates_nothing(
    env: SimpleNamespace, no_sleep: list[float]
) -> None:
    jira = make_client(env.fake, max_retries=1)
    env.fake.inject("POST", r"/issue$", drop=True)
    assert jira.create_issue(fields=task()).key == "OPS-1"
    assert (
        len(env.fake.requests_to("POST", "issue")) == 2 and len(env.fake.issues) == 1 and len(no_sleep) == 1
    )


def test_request_log_and_latency(env: SimpleNamespace) -> None:
    fake, jira = env.fake, env.jira
    fake.clear_log()
    key = jira.create_issue(fields=task()).key
    jira.issue(key)
    assert len(fake.requests_to("GET", f"issue/{key}")) == 2 and len(fake.requests_to("POST", "issue")) == 1
    assert len(fake.requests_to(None, "/rest/api/2/")) == 3
    rec = fake.requests_to("POST", "issue")[0]
    assert rec.json["fields"]["summary"] == "Rotate runbook" and rec.api_version == "2"
    auth = {k.lower(): v for k, v in rec.headers.items()}["authorization"]
    assert auth in ("Basic <redacted>", "Bearer <redacted>") and fake.token not in str(rec.headers)
    fake.latency = 0.2
    import time

    t0 = time.monotonic()
    jira.issue(key)
    assert time.monotonic() - t0 >= 0.2
