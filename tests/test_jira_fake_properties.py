"""The fake Jira's issue entity properties, driven by the real `jira` client (both deployments)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from jira import JIRA, JIRAError

from tests.fakes.fake_jira import FakeJira


@pytest.fixture(params=["cloud", "datacenter"])
def client(request: pytest.FixtureRequest) -> Iterator[tuple[FakeJira, JIRA]]:
    with FakeJira(mode=request.param) as fake:
        fake.add_project("OPS")
        auth = {"basic_auth": (fake.email, fake.token)} if fake.is_cloud else {"token_auth": fake.token}
        yield fake, JIRA(server=fake.url, max_retries=0, timeout=5, **auth)


def test_set_read_list_delete_and_search(client: tuple[FakeJira, JIRA]) -> None:
    fake, jira = client
    key = jira.create_issue(project={"key": "OPS"}, issuetype={"name": "Task"}, summary="x").key

    created = jira.add_issue_property(key, "pm-sync", {"baseline": {"due": "2024-01-22"}})
    updated = jira.add_issue_property(key, "pm-sync", {"baseline": {"due": "2024-01-23"}})

    assert (created.status_code, updated.status_code) == (201, 200)
    assert jira.issue_property(key, "pm-sync").value.baseline.due == "2024-01-23"
    assert [p.key for p in jira.issue_properties(key)] == ["pm-sync"]
    assert jira.issue(key, fields="summary", properties="pm-sync").raw["properties"] == {
        "pm-sync": {"baseline": {"due": "2024-01-23"}}
    }
    assert "properties" not in jira.issue(key, fields="summary").raw
    search = jira.enhanced_search_issues if fake.is_cloud else jira.search_issues
    found = search(f"key = {key}", fields=["summary"], properties="pm-sync,other", json_result=True)
    if fake.is_cloud:
        assert found["issues"][0]["properties"] == {"pm-sync": {"baseline": {"due": "2024-01-23"}}}
    else:  # Data Center's search has no `properties` parameter: they are left out
        assert "properties" not in found["issues"][0]
    moved = fake.move_issue(key, "OPS")
    assert fake.properties(moved) == {"pm-sync": {"baseline": {"due": "2024-01-23"}}}

    jira._session.delete(jira._get_url(f"issue/{key}/properties/pm-sync"))
    with pytest.raises(JIRAError) as gone:
        jira.issue_property(key, "pm-sync")
    assert gone.value.status_code == 404


def test_property_writes_need_edit_permission(client: tuple[FakeJira, JIRA]) -> None:
    fake, jira = client
    key = jira.create_issue(project={"key": "OPS"}, issuetype={"name": "Task"}, summary="x").key
    fake.set_forbidden("OPS")
    with pytest.raises(JIRAError) as denied:
        jira.add_issue_property(key, "pm-sync", {"a": 1})
    assert denied.value.status_code == 403
