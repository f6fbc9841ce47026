"""The Jira connector reads in batches of a hundred: `find` with 250 markers is exactly three
searches, each a `labels in (...)` list of at most 100, and finds tickets from every batch."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from pm_sync.tracker import ConnectorContext, TicketDraft
from pm_sync.tracker.tickets import PostmortemRef
from pm_sync_jira import JiraConfig, JiraConnector
from tests.fakes.fake_jira import FakeJira

TOKEN_ENV = "PMSYNC_TEST_JIRA_TOKEN"


@pytest.fixture(params=["cloud", "datacenter"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeJira]:
    with FakeJira(mode=request.param) as jira:
        jira.add_project("OPS", name="Operations", issue_types=["Task", "Bug"])
        yield jira


def connector(fake: FakeJira, root: Path) -> JiraConnector:
    table = {
        "url": fake.url,
        "deployment": "cloud" if fake.is_cloud else "datacenter",
        "token_env": TOKEN_ENV,
        "project": "OPS",
        "timeout": 5,
    }
    if fake.is_cloud:
        table["email"] = fake.email
    return JiraConnector(
        JiraConfig.model_validate(table), ConnectorContext(env={TOKEN_ENV: fake.token}, root=root)
    )


def draft(marker: str, n: int) -> TicketDraft:
    return TicketDraft(
        uid=f"u{n}",
        marker=marker,
        document="pm-sync-doc-0123456789ab",
        line=10 + n,
        action=f"Action {n}",
        description="made by the batch story",
        project="OPS",
        postmortem=PostmortemRef(path="docs/pm.md"),
    )


def test_find_with_250_markers_is_three_searches_of_at_most_a_hundred(fake: FakeJira, tmp_path: Path) -> None:
    markers = [f"pm-sync-{n:04d}cafe{n:04x}" for n in range(250)]
    jira = connector(fake, tmp_path)
    try:
        made = jira.create_batch([draft(markers[n], n) for n in (0, 150, 249)])
        assert all(not isinstance(m, Exception) for m in made), made
        fake.clear_log()

        found = jira.find(markers, ["OPS"])

        searches = fake.requests_to("GET", "search")
        assert len(searches) == 3, [r.api_path for r in fake.request_log]
        asked = [re.findall(r'"([^"]+)"', r.query["jql"]) for r in searches]
        assert sorted(len(a) for a in asked) == [50, 100, 100]
        assert sorted(m for a in asked for m in a) == markers
        assert sorted(s.marker or "" for s in found) == [markers[0], markers[150], markers[249]]
        assert len(fake.request_log) == 3  # nothing else: no field list, no per-ticket read
    finally:
        jira.close()
