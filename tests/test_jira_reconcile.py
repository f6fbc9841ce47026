"""The nightly reconcile against Jira: status pulled by category, edits both ways, conflicts; the
baseline lives on the issue (entity property), so a fresh checkout merges the same way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.jira_support import ROW_LINES, JiraEnv, jira_env

__all__ = ["jira_env"]


@pytest.fixture
def pushed(jira_env: JiraEnv, cli) -> JiraEnv:
    doc = jira_env.write_doc(status=True)
    assert cli("push", str(doc)).code == 0
    jira_env.fake.clear_log()
    return jira_env


def fresh_checkout(env: JiraEnv) -> None:
    """Nothing but the document and the config survive: no local state."""
    for path in env.workdir.iterdir():
        if path.name not in ("docs", "pm-sync.toml"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def field_edits(env: JiraEnv) -> list[str]:
    """PUTs that change an issue's fields (not only pm-sync's baseline property)."""
    return [
        r.api_path or ""
        for r in env.fake.requests_to("PUT", "issue/")
        if "/properties/" not in (r.api_path or "") and isinstance(r.json, dict) and r.json.get("fields")
    ]


def test_in_sync_reconcile_only_reads(pushed: JiraEnv, cli) -> None:
    before = pushed.doc.read_bytes()
    result = cli("reconcile", str(pushed.doc), "--json")
    assert result.code == 0, result.stdout
    assert result.json()[0]["unchanged"] == ["OPS-1", "OPS-2", "OPS-3"]
    assert pushed.writes() == [] and pushed.doc.read_bytes() == before


def test_status_category_and_resolution_flow_into_the_status_column(pushed: JiraEnv, cli) -> None:
    env = pushed
    env.fake.set_status("OPS-1", "Done")
    env.fake.set_status("OPS-2", "In Progress")
    env.fake.set_status("OPS-3", "Done", resolution="Won't Do")

    result = cli("reconcile", str(env.doc), "--json")

    assert result.code == 0, result.stdout
    text = env.doc.read_text()
    assert "| 2024-01-22 | OPS-1 | Done |" in text
    assert "| 2024-01-17 | OPS-2 | In progress |" in text
    assert "| 2024-01-29 | OPS-3 | Won't do |" in text
    # pulling status never transitions: the only writes record each ticket's new baseline
    # (in the edit's `properties` on Cloud, the property resource on Data Center)
    assert len(env.writes()) == 3 and all(r.method == "PUT" for r in env.writes())
    assert field_edits(env) == [] and not env.fake.requests_to("POST", "")
    assert [env.fake.properties(f"OPS-{n}")["pm-sync"]["baseline"]["status"] for n in (1, 2, 3)] == [
        "done",
        "in_progress",
        "dropped",
    ]
    env.fake.set_status("OPS-1", "To Do")  # reopened in Jira
    assert cli("reconcile", str(env.doc)).code == 0
    assert "| 2024-01-22 | OPS-1 | Open |" in env.doc.read_text()


def test_tracker_side_edit_is_pulled_even_from_a_fresh_checkout(pushed: JiraEnv, cli) -> None:
    env = pushed
    env.fake.edit_fields("OPS-2", duedate="2024-02-01", assignee="alice")
    fresh_checkout(env)

    result = cli("reconcile", str(env.doc), "--json")

    assert result.code == 0, result.stdout
    pulled = {(p["key"], p["field"], p["value"]) for p in result.json()[0]["pulled"]}
    assert pulled == {("OPS-2", "due", "2024-02-01"), ("OPS-2", "owner", "@alice")}
    assert "| P0 | Lower DB alert threshold to 70% | @alice | 2024-02-01 | OPS-2 |" in env.doc.read_text()
    assert field_edits(env) == []  # Jira's values were not pushed back over
    baseline = env.fake.properties("OPS-2")["pm-sync"]["baseline"]
    assert baseline["due"] == "2024-02-01" and baseline["owner"] == env.ident("alice")
    again = cli("reconcile", str(env.doc), "--json")
    assert again.json()[0]["pulled"] == [] and again.json()[0]["updated"] == []


def test_document_edit_is_pushed(pushed: JiraEnv, cli) -> None:
    env = pushed
    env.doc.write_text(env.doc.read_text().replace("| P1 | Document", "| P0 | Document"))

    result = cli("reconcile", str(env.doc), "--json")

    assert result.code == 0 and result.json()[0]["updated"] == ["OPS-3"]
    [edit] = [r for r in env.fake.requests_to("PUT", "issue/OPS-3") if r.api_path == "issue/OPS-3"]
    assert edit.json["fields"] == {"priority": {"name": "Highest"}}


def test_change_on_both_sides_is_a_conflict(pushed: JiraEnv, cli) -> None:
    env = pushed
    env.fake.edit_fields("OPS-1", duedate="2024-03-01")
    edited = env.doc.read_text().replace("| @alice | 2024-01-22 |", "| @alice | 2024-02-15 |")
    env.doc.write_text(edited)
    fresh_checkout(env)

    result = cli("reconcile", str(env.doc), "--json")

    assert result.code == 1
    [conflict] = result.json()[0]["conflicts"]
    assert (conflict["key"], conflict["field"], conflict["line"]) == ("OPS-1", "due", ROW_LINES[0])
    assert conflict["document"] == "2024-02-15" and conflict["tracker"] == "2024-03-01"
    assert env.doc.read_text() == edited
    assert env.issue("OPS-1")["fields"]["duedate"] == "2024-03-01"
    assert field_edits(env) == []


def test_deleted_issue_is_reported_missing(pushed: JiraEnv, cli) -> None:
    env = pushed
    env.fake.delete_issue("OPS-3")

    result = cli("reconcile", str(env.doc), "--json")

    assert result.json()[0]["missing"] == ["OPS-3"]
    assert result.json()[0]["unchanged"] == ["OPS-1", "OPS-2"]


def test_tracker_assignee_outside_the_owner_map_is_written_as_a_handle(pushed: JiraEnv, cli) -> None:
    env = pushed
    env.fake.add_user(
        account_id="557058:cccc", name="carol", email="carol@example.com", display_name="Carol Chen"
    )
    env.fake.edit_fields("OPS-3", assignee="carol")

    result = cli("reconcile", str(env.doc), "--json")

    assert result.code == 0, result.stdout
    assert "| P1 | Document connection management patterns | @carol |" in env.doc.read_text()


def test_reconcile_dry_run_writes_nothing(pushed: JiraEnv, cli) -> None:
    env = pushed
    env.fake.edit_fields("OPS-2", duedate="2024-02-01")
    env.doc.write_text(env.doc.read_text().replace("| P1 | Document", "| P0 | Document"))
    before = env.doc.read_bytes()

    result = cli("reconcile", str(env.doc), "--dry-run", "--json")

    assert result.code == 0, result.stdout
    assert env.writes() == [] and env.doc.read_bytes() == before


def test_rows_without_a_priority_leave_jiras_default_alone(jira_env: JiraEnv, cli) -> None:
    env = jira_env
    doc = env.write_doc([("", "Write the runbook", "@alice", "2024-02-01")])
    assert cli("push", str(doc)).code == 0, doc.read_text()
    assert env.issue("OPS-1")["fields"]["priority"]["name"] == "Medium"  # Jira's default
    env.fake.clear_log()

    assert cli("push", str(doc), "--json").one()["unchanged"] == ["OPS-1"]
    assert cli("reconcile", str(doc), "--json").json()[0]["pulled"] == []
    assert env.writes() == []
    assert Path(doc).read_text().count("| Write the runbook |") == 1
