"""Jira deployments that answer differently from our fake, as one written by someone else from
the public docs might: a lost bulk-create answer while search lags, JQL that rejects a moved
issue's old key, a search that leaves entity properties out, and Cloud answering unknown keys
with no match instead of an error."""

from __future__ import annotations

import collections
import re
from collections.abc import Callable
from typing import Any

import pytest

import tests.fakes.fake_jira as fake_jira_module
from tests.fakes.fake_jira import FakeJira
from tests.jira_support import JiraEnv
from tests.sync_support import Cli, make_jira, ticket_cells

__all__ = ["make_jira"]  # fixtures re-exported for pytest


@pytest.mark.parametrize("mode", ["cloud", "datacenter"])
def test_lost_bulk_create_answer_with_search_lag_makes_no_duplicates(
    make_jira: Callable[..., JiraEnv], cli: Cli, mode: str
) -> None:
    env = make_jira(mode=mode, search_lag=2.0)
    doc = env.write_doc()
    env.fake.inject("POST", r"issue/bulk", drop=True, after=True)

    cli("push", str(doc), "--json")

    summaries = collections.Counter(i["fields"]["summary"] for i in env.fake.issues)
    assert max(summaries.values()) == 1, summaries


class _JqlWithoutKeyHistory(FakeJira):
    """A Jira double whose JQL does not know historical keys: a moved issue's old key is an
    unknown key (400), while GET issue/{old key} still answers with the moved issue."""

    def _run_jql(self, jql: str, cloud: bool, validate: bool, reconcile: set[Any] | None = None) -> Any:
        for key in re.findall(r"\b([A-Z][A-Z0-9_]*-\d+)\b", jql):
            iid = self._key_index.get(key)
            if iid is not None and self._issues[iid]["key"] != key:
                raise fake_jira_module._Reply(
                    400, fake_jira_module._err([f"An issue with key '{key}' does not exist for field 'key'."])
                )
        return super()._run_jql(jql, cloud, validate, reconcile)


@pytest.mark.parametrize("mode", ["cloud", "datacenter"])
def test_moved_issue_is_followed_when_jql_rejects_its_old_key(
    make_jira: Callable[..., JiraEnv], cli: Cli, mode: str
) -> None:
    env = make_jira(_JqlWithoutKeyHistory, mode=mode)
    doc = env.write_doc()
    assert cli("push", str(doc)).code == 0
    new_key = env.fake.move_issue("OPS-2", "SEC")

    result = cli("reconcile", str(doc), "--json")

    assert result.json()[0]["missing"] == []
    assert ticket_cells(doc) == ["OPS-1", new_key, "OPS-3"]


class _SearchWithoutProperties(FakeJira):
    """A Jira double whose searches ignore the `properties` parameter (entity properties are
    still stored and readable through GET issue/{key}/properties/{name})."""

    def _h_search(self, req: Any) -> Any:
        req.query.pop("properties", None)
        if isinstance(req.body, dict):
            req.body.pop("properties", None)
        return super()._h_search(req)

    def _h_search_jql(self, req: Any) -> Any:
        req.query.pop("properties", None)
        if isinstance(req.body, dict):
            req.body.pop("properties", None)
        return super()._h_search_jql(req)


@pytest.mark.parametrize("mode", ["cloud", "datacenter"])
def test_tracker_side_change_is_pulled_when_search_omits_properties(
    make_jira: Callable[..., JiraEnv], cli: Cli, mode: str
) -> None:
    env = make_jira(_SearchWithoutProperties, mode=mode)
    doc = env.write_doc()
    assert cli("push", str(doc)).code == 0
    assert env.fake.properties("OPS-2")  # the baseline is stored with the ticket
    env.fake.edit_fields("OPS-2", duedate="2024-03-01")

    result = cli("reconcile", str(doc), "--json")

    assert result.code == 0
    assert env.issue("OPS-2")["fields"]["duedate"] == "2024-03-01"
    assert "| @bob | 2024-03-01 | OPS-2 |" in doc.read_text()


def test_jira_cloud_that_answers_unknown_keys_with_no_match(
    make_jira: Callable[..., JiraEnv], cli: Cli
) -> None:
    """Cloud's search/jql may return nothing instead of 400 for a deleted key."""
    env = make_jira(unknown_jql_keys="empty")
    doc = env.write_doc()
    assert cli("push", str(doc)).code == 0
    env.fake.delete_issue("OPS-3")
    new_key = env.fake.move_issue("OPS-2", "SEC")

    result = cli("reconcile", str(doc), "--json")

    out = result.json()[0]
    assert out["missing"] == ["OPS-3"]
    assert out["moved"] == [{"from": "OPS-2", "to": new_key}]
    assert ticket_cells(doc) == ["OPS-1", new_key, "OPS-3"]
