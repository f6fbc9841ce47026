"""The nightly reconcile end to end against Jira (Cloud and Data Center) and GitHub Issues.

Only the trackers are fakes (FakeJira, FakeGitHub on 127.0.0.1); the CLI, the engine, the jira
library and PyGithub really run. Each story checks the Markdown file byte for byte, the fake
tracker's state, and its request log.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.fake_github import FakeGitHub, fake_github
from tests.github_env import REPO, configure, patch_sleep
from tests.jira_support import JiraEnv, jira_env
from tests.tracker_stories import (
    FIRST_ROW_LINE,
    FOUR_ROWS,
    gh_issue_gets,
    gh_listings,
    gh_ticket_writes,
    gh_writes,
    jira_field_edits,
    jira_issue_gets,
    jira_searches,
    jira_ticket_writes,
    jira_writes,
    jql_of,
    replace_once,
    status_doc,
    table_rows,
)

__all__ = ["fake_github", "jira_env"]  # fixtures re-exported for pytest

ROW = {name: FIRST_ROW_LINE + n for n, name in enumerate(("pool", "alert", "docs", "dash"))}


# =============================================================================== Jira


@pytest.fixture
def jira(jira_env: JiraEnv, cli: Any) -> JiraEnv:
    """Four items pushed to OPS-1..OPS-4 from a table with a Status column; log cleared."""
    status_doc(jira_env.doc, FOUR_ROWS)
    result = cli("push", str(jira_env.doc), "--json")
    assert result.code == 0, result.stdout + result.stderr
    assert result.one()["created"] == ["OPS-1", "OPS-2", "OPS-3", "OPS-4"]
    jira_env.fake.clear_log()
    return jira_env


def reconcile_json(cli: Any, doc: Path, *extra: str, code: int = 0) -> dict[str, Any]:
    result = cli("reconcile", str(doc), "--json", *extra)
    assert result.code == code, result.stdout + result.stderr
    [out] = result.json()
    assert isinstance(out, dict)
    return out


def test_jira_reads_are_one_search_for_every_ticket(jira: JiraEnv, cli: Any) -> None:
    before = jira.doc.read_bytes()

    out = reconcile_json(cli, jira.doc)

    assert out["unchanged"] == ["OPS-1", "OPS-2", "OPS-3", "OPS-4"]
    assert out["pulled"] == [] and out["updated"] == [] and out["conflicts"] == []
    [search] = jira_searches(jira.fake)
    expected_path = "search/jql" if jira.cloud else "search"
    assert search.api_path == expected_path
    # every ticket of the postmortem carries its document marker: one search finds them all
    assert re.fullmatch(r'labels in \("pm-sync-doc-[0-9a-f]{12}"\) ORDER BY created ASC', jql_of(search))
    assert jira_issue_gets(jira.fake) == []  # never one GET per ticket
    assert jira_writes(jira.fake) == []
    assert jira.doc.read_bytes() == before


def test_jira_moved_issue_gets_its_new_key_written_back(jira: JiraEnv, cli: Any) -> None:
    before = jira.doc.read_text()
    new_key = jira.fake.move_issue("OPS-2", "SEC")
    assert new_key == "SEC-1"

    out = reconcile_json(cli, jira.doc)

    assert out["moved"] == [{"from": "OPS-2", "to": "SEC-1"}]
    assert out["missing"] == [] and out["updated"] == [] and out["pulled"] == []
    assert jira.doc.read_text() == before.replace("| OPS-2 |", "| SEC-1 |")
    assert (
        table_rows(jira.doc)[1]
        == "| P0 | Lower DB alert threshold to 70% | @bob | 2024-01-17 | SEC-1 | Open |"
    )
    assert jira_writes(jira.fake) == []  # following a move changes nothing in Jira
    # the postmortem's tickets by document marker, then the one key that search did not name
    assert [jql_of(s)[:9] for s in jira_searches(jira.fake)] == ["labels in", 'key in ("']

    jira.fake.clear_log()
    again = reconcile_json(cli, jira.doc)
    assert again["moved"] == []
    assert again["unchanged"] == ["OPS-1", "SEC-1", "OPS-3", "OPS-4"]
    assert jira_writes(jira.fake) == []


def test_jira_two_moved_issues_in_one_batch_are_both_followed(jira: JiraEnv, cli: Any) -> None:
    before = jira.doc.read_text()
    jira.fake.move_issue("OPS-1", "SEC")
    jira.fake.move_issue("OPS-3", "SEC")

    out = reconcile_json(cli, jira.doc)

    assert sorted((m["from"], m["to"]) for m in out["moved"]) == [("OPS-1", "SEC-1"), ("OPS-3", "SEC-2")]
    assert jira.doc.read_text() == before.replace("| OPS-1 |", "| SEC-1 |").replace("| OPS-3 |", "| SEC-2 |")
    assert jira_writes(jira.fake) == []


def test_jira_moved_issue_takes_document_edits_and_gives_status_under_its_new_key(
    jira: JiraEnv, cli: Any
) -> None:
    before = jira.doc.read_text()
    jira.fake.move_issue("OPS-2", "SEC")
    jira.fake.set_status("SEC-1", "Done")
    replace_once(jira.doc, "| @bob | 2024-01-17 |", "| @bob | 2024-01-19 |")

    out = reconcile_json(cli, jira.doc)

    assert out["moved"] == [{"from": "OPS-2", "to": "SEC-1"}]
    assert out["updated"] == ["SEC-1"]
    assert out["pulled"] == [{"key": "SEC-1", "field": "status", "value": "Done", "line": str(ROW["alert"])}]
    assert jira.doc.read_text() == before.replace(
        "| @bob | 2024-01-17 | OPS-2 | Open |", "| @bob | 2024-01-19 | SEC-1 | Done |"
    )
    assert [(r.api_path, {"fields": r.json["fields"]}) for r in jira_field_edits(jira.fake)] == [
        ("issue/SEC-1", {"fields": {"duedate": "2024-01-19"}})
    ]
    assert jira.issue("SEC-1")["fields"]["duedate"] == "2024-01-19"
    assert jira.fake.properties("SEC-1")["pm-sync"]["baseline"]["due"] == "2024-01-19"


def test_jira_deleted_and_moved_issues_in_one_batch(jira: JiraEnv, cli: Any) -> None:
    before = jira.doc.read_text()
    jira.fake.move_issue("OPS-2", "SEC")
    jira.fake.delete_issue("OPS-3")

    out = reconcile_json(cli, jira.doc, code=1)

    assert out["moved"] == [{"from": "OPS-2", "to": "SEC-1"}]
    assert out["missing"] == ["OPS-3"]
    assert out["unchanged"] == ["OPS-1", "SEC-1", "OPS-4"]
    assert jira.doc.read_text() == before.replace("| OPS-2 |", "| SEC-1 |")
    # Jira rejects the whole JQL for the unknown key (400); it is asked again without it
    # the postmortem's tickets by document marker; then the two keys it did not name, where
    # Jira rejects the whole JQL for the unknown key (400) and is asked again without it
    assert [r.status for r in jira_searches(jira.fake)] == [200, 400, 200]
    # a key JQL calls unknown is checked once directly (an old key can still resolve there)
    assert [(r.api_path, r.status) for r in jira_issue_gets(jira.fake)] == [("issue/OPS-3", 404)]
    assert jira_writes(jira.fake) == []


def test_jira_tracker_edits_are_pulled_into_the_table(jira: JiraEnv, cli: Any) -> None:
    before = jira.doc.read_text()
    jira.fake.edit_fields("OPS-2", duedate="2024-02-01")
    jira.fake.edit_fields("OPS-3", priority="Highest")

    out = reconcile_json(cli, jira.doc)

    pulled = {(p["key"], p["field"], p["value"], p["line"]) for p in out["pulled"]}
    assert pulled == {
        ("OPS-2", "due", "2024-02-01", str(ROW["alert"])),
        ("OPS-3", "priority", "P0", str(ROW["docs"])),
    }
    expected = before.replace(
        "| P0 | Lower DB alert threshold to 70% | @bob | 2024-01-17 |",
        "| P0 | Lower DB alert threshold to 70% | @bob | 2024-02-01 |",
    ).replace(
        "| P1 | Document connection management patterns |", "| P0 | Document connection management patterns |"
    )
    assert jira.doc.read_text() == expected
    assert jira_field_edits(jira.fake) == []  # Jira's values are not pushed back over
    assert jira.fake.properties("OPS-2")["pm-sync"]["baseline"]["due"] == "2024-02-01"
    assert jira.fake.properties("OPS-3")["pm-sync"]["baseline"]["priority"] == "P0"
    assert jira.issue("OPS-2")["fields"]["duedate"] == "2024-02-01"

    jira.fake.clear_log()
    again = reconcile_json(cli, jira.doc)
    assert again["pulled"] == [] and again["updated"] == []
    assert jira_writes(jira.fake) == []


def test_jira_document_edit_is_pushed_field_by_field(jira: JiraEnv, cli: Any) -> None:
    edited = replace_once(jira.doc, "| @alice | 2024-01-22 |", "| @alice | 2024-01-26 |")

    out = reconcile_json(cli, jira.doc)

    assert out["updated"] == ["OPS-1"] and out["pulled"] == [] and out["conflicts"] == []
    assert jira.doc.read_text() == edited  # pushing never rewrites the document
    [edit] = jira_field_edits(jira.fake)
    assert edit.api_path == "issue/OPS-1"
    assert edit.json["fields"] == {"duedate": "2024-01-26"}  # only what changed
    assert jira.issue("OPS-1")["fields"]["duedate"] == "2024-01-26"
    assert jira.fake.properties("OPS-1")["pm-sync"]["baseline"]["due"] == "2024-01-26"
    # one write on Cloud and Data Center alike: the baseline rides in the edit's `properties`
    assert [r.api_path for r in jira_writes(jira.fake)] == ["issue/OPS-1"]

    jira.fake.clear_log()
    again = reconcile_json(cli, jira.doc)
    assert again["updated"] == [] and jira_writes(jira.fake) == []


def test_jira_change_on_both_sides_is_a_conflict_and_nothing_moves(jira: JiraEnv, cli: Any) -> None:
    jira.fake.edit_fields("OPS-4", priority="Highest")  # P1 -> P0 in Jira
    edited = replace_once(
        jira.doc, "| P1 | Add pool saturation dashboard |", "| P2 | Add pool saturation dashboard |"
    )

    result = cli("reconcile", str(jira.doc), "--json")

    assert result.code == 1, result.stdout
    [out] = result.json()
    [conflict] = out["conflicts"]
    assert (conflict["key"], conflict["field"], conflict["line"]) == ("OPS-4", "priority", ROW["dash"])
    assert (conflict["document"], conflict["tracker"]) == ("P2", "P0")
    assert out["updated"] == [] and out["pulled"] == []
    assert jira.doc.read_text() == edited
    assert jira.issue("OPS-4")["fields"]["priority"]["name"] == "Highest"
    assert jira.fake.properties("OPS-4")["pm-sync"]["baseline"]["priority"] == "P1"
    assert jira_writes(jira.fake) == []

    human = cli("reconcile", str(jira.doc))
    assert human.code == 1
    assert f"{jira.doc}:{ROW['dash']}: conflict on priority of OPS-4" in human.stdout
    assert jira.doc.read_text() == edited


def test_jira_status_and_resolution_flow_into_the_status_column(jira: JiraEnv, cli: Any) -> None:
    before = jira.doc.read_text()
    jira.fake.set_status("OPS-1", "Done", resolution="Done")
    jira.fake.set_status("OPS-2", "Done", resolution="Won't Do")
    jira.fake.set_status("OPS-3", "In Progress")

    out = reconcile_json(cli, jira.doc)

    assert {(p["key"], p["value"]) for p in out["pulled"]} == {
        ("OPS-1", "Done"),
        ("OPS-2", "Won't do"),
        ("OPS-3", "In progress"),
    }
    expected = (
        before.replace("| OPS-1 | Open |", "| OPS-1 | Done |")
        .replace("| OPS-2 | Open |", "| OPS-2 | Won't do |")
        .replace("| OPS-3 | Open |", "| OPS-3 | In progress |")
    )
    assert jira.doc.read_text() == expected
    # status is pulled, never transitioned: the only writes record the new baseline
    assert jira_ticket_writes(jira.fake) == []
    assert len(jira_writes(jira.fake)) == 3 and {r.method for r in jira_writes(jira.fake)} == {"PUT"}


def test_jira_deleted_issue_is_missing_until_recreate_is_asked(jira: JiraEnv, cli: Any) -> None:
    before = jira.doc.read_bytes()
    jira.fake.delete_issue("OPS-3")

    out = reconcile_json(cli, jira.doc, code=1)

    assert out["missing"] == ["OPS-3"]
    assert out["unchanged"] == ["OPS-1", "OPS-2", "OPS-4"] and out["created"] == []
    assert jira.doc.read_bytes() == before
    assert jira_writes(jira.fake) == []
    assert len(jira.fake.issues) == 3

    jira.fake.clear_log()
    again = reconcile_json(cli, jira.doc, "--recreate-missing")

    assert again["created"] == ["OPS-5"] and again["missing"] == []
    assert jira.doc.read_bytes() == before.replace(b"| OPS-3 |", b"| OPS-5 |")
    issue = jira.issue("OPS-5")["fields"]
    assert issue["summary"] == "Document connection management patterns"
    assert issue["duedate"] == "2024-01-29" and issue["priority"]["name"] == "High"
    assert len(jira.fake.requests_to("POST", "issue/bulk")) == 1
    assert len(jira.fake.issues) == 4

    jira.fake.clear_log()
    settled = reconcile_json(cli, jira.doc)
    assert settled["unchanged"] == ["OPS-1", "OPS-2", "OPS-5", "OPS-4"]
    assert jira_writes(jira.fake) == []


# ============================================================================= GitHub


@pytest.fixture
def gh(workdir: Path, cli: Any, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Four items pushed to acme/app#1..#4 from a table with a Status column; log cleared."""
    configure(workdir, fake_github, monkeypatch)
    patch_sleep(monkeypatch, fake_github)
    doc = status_doc(workdir / "docs" / "technical" / "postmortem-2024-01-15-payments.md", FOUR_ROWS)
    result = cli("push", str(doc), "--json")
    assert result.code == 0, result.stdout + result.stderr
    assert result.one()["created"] == ["#1", "#2", "#3", "#4"]
    fake_github.clear_log()
    return doc


def gh_meta(issue: dict[str, Any]) -> dict[str, Any]:
    found = re.findall(r"<!-- pm-sync: (\{.*?\}) -->", str(issue["body"]))
    assert found, issue["body"]
    data: dict[str, Any] = json.loads(found[-1])
    return data


def test_github_reads_are_one_listing_not_a_get_per_issue(
    gh: Path, cli: Any, fake_github: FakeGitHub
) -> None:
    before = gh.read_bytes()

    out = reconcile_json(cli, gh)

    assert out["unchanged"] == ["#1", "#2", "#3", "#4"]
    assert gh_listings(fake_github) == ["/repos/acme/app/issues"]
    assert gh_issue_gets(fake_github) == []
    assert gh_writes(fake_github) == []
    assert gh.read_bytes() == before


def test_github_transferred_issue_gets_owner_repo_number_written_back(
    gh: Path, cli: Any, fake_github: FakeGitHub
) -> None:
    fake_github.add_repo("acme/infra", labels=["postmortem", "P0", "P1"])
    fake_github.add_collaborator("acme/infra", "bob")
    before = gh.read_text()
    number = fake_github.transfer_issue(REPO, 2, "acme/infra")

    out = reconcile_json(cli, gh)

    assert out["moved"] == [{"from": "#2", "to": f"acme/infra#{number}"}]
    assert out["missing"] == [] and out["pulled"] == [] and out["conflicts"] == []
    assert gh.read_text() == before.replace("| #2 |", f"| acme/infra#{number} |")
    assert gh_writes(fake_github) == []

    fake_github.clear_log()
    again = reconcile_json(cli, gh)
    assert again["moved"] == []
    assert again["unchanged"] == ["#1", f"acme/infra#{number}", "#3", "#4"]
    assert gh_writes(fake_github) == []


def test_github_transferred_and_closed_issue_gets_both_key_and_status(
    gh: Path, cli: Any, fake_github: FakeGitHub
) -> None:
    fake_github.add_repo("acme/infra", labels=["postmortem", "P0", "P1"])
    fake_github.add_collaborator("acme/infra", "alice")
    before = gh.read_text()
    number = fake_github.transfer_issue(REPO, 3, "acme/infra")
    fake_github.close_issue("acme/infra", number, reason="not_planned")

    out = reconcile_json(cli, gh)

    ref = f"acme/infra#{number}"
    assert out["moved"] == [{"from": "#3", "to": ref}]
    assert out["pulled"] == [{"key": ref, "field": "status", "value": "Won't do", "line": str(ROW["docs"])}]
    assert gh.read_text() == before.replace("| #3 | Open |", f"| {ref} | Won't do |")
    assert gh_ticket_writes(fake_github) == []  # only the baseline comment is refreshed


def test_github_transfer_that_drops_labels_and_assignee_keeps_the_row_intact(
    gh: Path, cli: Any, fake_github: FakeGitHub
) -> None:
    fake_github.add_repo("acme/infra")  # no P0 label there, bob cannot be assigned there
    number = fake_github.transfer_issue(REPO, 2, "acme/infra")

    result = cli("reconcile", str(gh), "--json")

    [out] = result.json()
    assert out["moved"] == [{"from": "#2", "to": f"acme/infra#{number}"}]
    assert [p["field"] for p in out["pulled"]] == []
    assert table_rows(gh)[1] == (
        f"| P0 | Lower DB alert threshold to 70% | @bob | 2024-01-17 | acme/infra#{number} | Open |"
    )
    # the priority label goes back on; the owner who cannot follow the issue is reported
    moved = fake_github.get_issue("acme/infra", number)
    assert "P0" in [label["name"] for label in moved["labels"]]
    assert moved["assignees"] == []
    [error] = out["errors"]
    assert error["line"] == 15 and "bob cannot be assigned issues in acme/infra" in error["message"]
    assert result.code == 1
    # the next night: same report, the row still intact, nothing blanked
    again = cli("reconcile", str(gh), "--json")
    assert again.code == 1 and again.json()[0]["pulled"] == []
    assert "bob cannot be assigned" in again.json()[0]["errors"][0]["message"]
    assert table_rows(gh)[1].startswith("| P0 | Lower DB alert threshold to 70% | @bob |")


def test_github_closed_issues_read_as_done_or_wont_do(gh: Path, cli: Any, fake_github: FakeGitHub) -> None:
    before = gh.read_text()
    fake_github.close_issue(REPO, 1, reason="completed")
    fake_github.close_issue(REPO, 3, reason="not_planned")

    out = reconcile_json(cli, gh)

    assert out["pulled"] == [
        {"key": "#1", "field": "status", "value": "Done", "line": str(ROW["pool"])},
        {"key": "#3", "field": "status", "value": "Won't do", "line": str(ROW["docs"])},
    ]
    assert gh.read_text() == before.replace("| #1 | Open |", "| #1 | Done |").replace(
        "| #3 | Open |", "| #3 | Won't do |"
    )
    assert gh_ticket_writes(fake_github) == []  # status is pulled, never written to GitHub
    assert len(gh_writes(fake_github)) == 2  # the two baseline comments

    fake_github.reopen_issue(REPO, 1)
    assert reconcile_json(cli, gh)["pulled"] == [
        {"key": "#1", "field": "status", "value": "Open", "line": str(ROW["pool"])}
    ]
    assert table_rows(gh)[0].endswith("| #1 | Open |")


def test_github_title_edit_is_pulled_into_the_action_cell(
    gh: Path, cli: Any, fake_github: FakeGitHub
) -> None:
    before = gh.read_text()
    fake_github.edit_issue(REPO, 4, title="Add a pool saturation dashboard to Grafana")

    out = reconcile_json(cli, gh)

    assert out["pulled"] == [
        {
            "key": "#4",
            "field": "action",
            "value": "Add a pool saturation dashboard to Grafana",
            "line": str(ROW["dash"]),
        }
    ]
    assert gh.read_text() == before.replace(
        "| Add pool saturation dashboard |", "| Add a pool saturation dashboard to Grafana |"
    )
    # only the baseline in the hidden comment moved; the title stays as GitHub has it
    patches = fake_github.requests_to("PATCH")
    assert [(r.route, sorted(r.json)) for r in patches] == [("/repos/acme/app/issues/4", ["body"])]
    issue = fake_github.get_issue(REPO, 4)
    assert issue is not None
    assert issue["title"] == "Add a pool saturation dashboard to Grafana"
    assert gh_meta(issue)["baseline"]["action"] == issue["title"]

    fake_github.clear_log()
    again = reconcile_json(cli, gh)
    assert again["pulled"] == [] and gh_writes(fake_github) == []


def test_github_title_with_a_pipe_is_escaped_in_the_cell(gh: Path, cli: Any, fake_github: FakeGitHub) -> None:
    fake_github.edit_issue(REPO, 4, title="Alert on p99 | p999 latency")

    out = reconcile_json(cli, gh)

    assert [p["value"] for p in out["pulled"]] == ["Alert on p99 | p999 latency"]
    assert re.fullmatch(
        r"\| P1 \| Alert on p99 \\\| p999 latency +\| @bob \| 2024-02-05 "
        r"\| #4 \| Open \|",
        table_rows(gh)[3],
    )
    parsed = cli("parse", str(gh), "--json").one()
    assert parsed["action_items"][3]["action"] == "Alert on p99 | p999 latency"
    fake_github.clear_log()
    again = reconcile_json(cli, gh)
    assert again["unchanged"] == ["#1", "#2", "#3", "#4"] and gh_writes(fake_github) == []


def test_github_document_edit_is_pushed(gh: Path, cli: Any, fake_github: FakeGitHub) -> None:
    edited = replace_once(gh, "| P1 | Document connection", "| P0 | Document connection")

    out = reconcile_json(cli, gh)

    assert out["updated"] == ["#3"] and out["pulled"] == []
    assert gh.read_text() == edited
    [patch] = fake_github.requests_to("PATCH")
    assert patch.route == "/repos/acme/app/issues/3"
    assert sorted(patch.json) == ["body", "labels"]  # no title, no assignees
    issue = fake_github.get_issue(REPO, 3)
    assert issue is not None
    assert sorted(lb["name"] for lb in issue["labels"]) == ["P0", "postmortem"]


def test_github_change_on_both_sides_is_a_conflict(gh: Path, cli: Any, fake_github: FakeGitHub) -> None:
    fake_github.edit_issue(REPO, 2, title="Lower DB alert threshold to 60%")
    edited = replace_once(gh, "| Lower DB alert threshold to 70% |", "| Lower DB alert threshold to 75% |")

    result = cli("reconcile", str(gh), "--json")

    assert result.code == 1, result.stdout
    [out] = result.json()
    [conflict] = out["conflicts"]
    assert (conflict["key"], conflict["field"], conflict["line"]) == ("#2", "action", ROW["alert"])
    assert conflict["document"] == "Lower DB alert threshold to 75%"
    assert conflict["tracker"] == "Lower DB alert threshold to 60%"
    assert gh.read_text() == edited
    issue = fake_github.get_issue(REPO, 2)
    assert issue is not None and issue["title"] == "Lower DB alert threshold to 60%"
    assert gh_meta(issue)["baseline"]["action"] == ("Lower DB alert threshold to 70%")
    assert gh_writes(fake_github) == []


def test_github_deleted_issue_is_missing_until_recreate_is_asked(
    gh: Path, cli: Any, fake_github: FakeGitHub
) -> None:
    before = gh.read_bytes()
    fake_github.delete_issue(REPO, 2)

    out = reconcile_json(cli, gh, code=1)

    assert out["missing"] == ["#2"] and out["created"] == []
    assert gh.read_bytes() == before
    assert gh_writes(fake_github) == []

    again = reconcile_json(cli, gh, "--recreate-missing")
    assert again["created"] == ["#5"]
    assert gh.read_bytes() == before.replace(b"| #2 |", b"| #5 |")
    assert [i["number"] for i in fake_github.issues(REPO)] == [1, 3, 4, 5]
