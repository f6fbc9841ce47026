"""Stories: an identity in the owner map is confirmed by Jira before pm-sync assigns it, and
costs nothing once a ticket of the run shows it as an active assignee (a nightly reconcile with
twenty mapped owners asks no user look-ups at all). Cloud asks for several owners in one
`GET user/bulk`; Data Center, which has no bulk user read, one `GET user` each. A user record
about someone else confirms nothing.

The real CLI runs in a subprocess against FakeJira, some answers rewritten by the proxy.
"""

from __future__ import annotations

import json

from tests.conftest import STANDARD_ROWS
from tests.fakes.proxy import Exchange, Reply
from tests.hostile_support import JiraStage, jira_stage, one_line_errors

__all__ = ["jira_stage"]

CAROL = "557058:cccccccc-0000-4000-8000-0000000ca401"
MALLORY = "557058:dddddddd-0000-4000-8000-00000000ba11"


def user_lookups(stage: JiraStage) -> dict[str, int]:
    return {
        "user": len([r for r in stage.fake.requests_to("GET", "user") if r.api_path == "user"]),
        "user/bulk": len(stage.fake.requests_to("GET", "user/bulk")),
    }


def test_mapped_owners_are_asked_about_once_then_trusted_from_their_tickets(jira_stage: JiraStage) -> None:
    stage, project = jira_stage, jira_stage.project
    project.write_doc()

    assert project.push().code == 0
    if stage.cloud:  # @alice and @bob in one request
        assert user_lookups(stage) == {"user": 0, "user/bulk": 1}
        [bulk] = stage.fake.requests_to("GET", "user/bulk")
        assert sorted(bulk.query_multi["accountId"]) == sorted(
            project.owners[h]["jira"] for h in ("@alice", "@bob")
        )
    else:
        assert user_lookups(stage) == {"user": 2, "user/bulk": 0}

    stage.fake.clear_log()
    assert project.reconcile().code == 0  # every owner is its tickets' active assignee
    keys = project.cells()
    project.write_doc(
        [
            *[(*r, k) for r, k in zip(STANDARD_ROWS, keys, strict=True)],
            ("P2", "Add a runbook", "@bob", "2024-02-05", ""),
        ]
    )
    assert project.push().code == 0  # a new row for @bob, whom OPS-2 shows assigned
    assert user_lookups(stage) == {"user": 0, "user/bulk": 0}
    assert len(stage.fake.issues) == 4


def test_an_owner_whose_tickets_show_them_deactivated_is_asked_again(jira_stage: JiraStage) -> None:
    stage, project = jira_stage, jira_stage.project
    project.write_doc()
    assert project.push().code == 0
    stage.fake._user_by_any("bob")["active"] = False  # bob left; OPS-2 still names him
    keys = project.cells()
    project.write_doc(
        [
            *[(*r, k) for r, k in zip(STANDARD_ROWS, keys, strict=True)],
            ("P2", "Add a runbook", "@bob", "2024-02-05", ""),
        ]
    )
    stage.fake.clear_log()

    result = project.push()

    assert result.code == 1, result.stdout
    one_line_errors(result)
    assert [e["code"] for e in result.one()["errors"]] == ["owner-unknown"] * 2  # both @bob rows
    assert "deactivated" in result.one()["errors"][0]["message"]
    assert sum(user_lookups(stage).values()) == 1 and len(stage.fake.issues) == 3


def test_a_user_record_about_someone_else_confirms_nothing(jira_stage: JiraStage) -> None:
    stage, project = jira_stage, jira_stage.project
    mallory = stage.fake.add_user(account_id=MALLORY, name="mallory", email="mallory@example.com")
    ident = CAROL if stage.cloud else "carol"
    project.owners["@carol"] = {"jira": ident}
    project.write_config()
    project.write_doc(
        [*[(*r, "") for r in STANDARD_ROWS[:2]], ("P1", "Rotate the pager", "@carol", "2024-02-01", "")]
    )
    record = {
        "self": f"{stage.fake.url}/rest/api/2/user?accountId={MALLORY}",
        "accountId": MALLORY,
        "name": "mallory",
        "key": "mallory",
        "displayName": mallory["displayName"],
        "active": True,
    }

    def someone_else(ex: Exchange, status: int, headers: dict[str, str], body: bytes) -> Reply:
        if "carol" not in ex.query and CAROL not in ex.query.replace("%3A", ":"):
            return status, headers, body
        if ex.path.endswith("/user/bulk"):
            page = json.loads(body)
            page["values"] = [*page["values"], record]
            return 200, {**headers, "Content-Type": "application/json"}, json.dumps(page).encode()
        return 200, {**headers, "Content-Type": "application/json"}, json.dumps(record).encode()

    stage.proxy.rule("GET", r"/rest/api/2/user(/bulk)?$", rewrite=someone_else, times=None)

    result = project.push()

    assert result.code == 1, result.stdout
    [error] = result.one()["errors"]
    assert error["code"] == "owner-unknown" and "@carol" in error["message"] and ident in error["message"]
    assert stage.fake.issues == []
    assert stage.proxy.seen("GET", r"/rest/api/2/user(/bulk)?$")  # it was asked, and said someone else
