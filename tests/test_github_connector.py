"""Stories: a team pushes postmortems to GitHub Issues, through real PyGithub and a fake GitHub.

The engine, the CLI and PyGithub all really run; only GitHub is played by FakeGitHub on
127.0.0.1.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import STANDARD_ROWS
from tests.fakes.fake_github import FakeGitHub, fake_ghes, fake_github
from tests.github_env import NEW_ROWS, REPO, configure, ticket_cells, write_doc, writes

__all__ = ["fake_ghes", "fake_github"]  # fixtures re-exported for pytest


def meta(issue: dict[str, object]) -> dict[str, object]:
    found = re.findall(r"<!-- pm-sync: (\{.*?\}) -->", str(issue["body"]))
    assert found, issue["body"]
    data: dict[str, object] = json.loads(found[-1])
    return data


def test_push_creates_labelled_assigned_issues_and_writes_keys(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    doc = write_doc(workdir)

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout + result.stderr
    assert result.one()["created"] == ["#1", "#2", "#3"]
    assert result.one()["errors"] == []
    assert ticket_cells(doc) == ["#1", "#2", "#3"]
    issues = fake_github.issues(REPO)
    assert [
        (i["title"], sorted(lab["name"] for lab in i["labels"]), [a["login"] for a in i["assignees"]])
        for i in issues
    ] == [
        ("Integration test for connection pool", ["P0", "postmortem"], ["alice"]),
        ("Lower DB alert threshold to 70%", ["P0", "postmortem"], ["bob"]),
        ("Document connection management patterns", ["P1", "postmortem"], ["alice"]),
    ]
    first = issues[0]
    assert "Postmortem: Payment API errors" in first["body"]
    assert "Due: 2024-01-22" in first["body"] and "SEV2" in first["body"]
    m = meta(first)
    assert str(m["marker"]).startswith("pm-sync-")
    assert m["due"] == "2024-01-22"
    assert str(m["document"]).startswith("pm-sync-doc-")
    assert m["baseline"] == {
        "action": "Integration test for connection pool",
        "priority": "P0",
        "owner": "alice",
        "due": "2024-01-22",
        "status": "open",
    }
    assert len({meta(i)["marker"] for i in issues}) == 3
    # the priority labels were made with colours, not left for GitHub to create grey
    made = [r.json["name"] for r in fake_github.requests_to("POST", r"/labels$")]
    assert sorted(made) == ["P0", "P1", "postmortem"]
    # creations one at a time, and the issue list was read once for the markers
    assert len(fake_github.requests_to("POST", r"/issues$")) == 3
    assert len(fake_github.requests_to("GET", r"^/repos/acme/app/issues$")) == 1


def test_second_push_is_a_no_op(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    doc = write_doc(workdir)
    assert cli("push", str(doc)).code == 0
    before = doc.read_bytes()
    fake_github.clear_log()

    result = cli("push", str(doc), "--json")

    assert result.code == 0
    assert result.one()["unchanged"] == ["#1", "#2", "#3"]
    assert result.one()["created"] == [] and result.one()["updated"] == []
    assert doc.read_bytes() == before
    assert writes(fake_github) == []
    # one listing for all three issues; the owners are assigned there already, so their
    # assignability needs no check of its own
    listing = fake_github.requests_to("GET", r"^/repos/acme/app/issues$")
    assert len(listing) == 1
    assert listing[0].query["labels"] == "postmortem" and listing[0].query["state"] == "all"
    assert listing[0].query["per_page"] == "100"
    assert fake_github.requests_to("GET", r"/issues/\d+$") == []
    assert len(fake_github.request_log) == 1


def test_drifted_fields_are_updated_and_other_labels_kept(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    doc = write_doc(workdir)
    assert cli("push", str(doc)).code == 0
    # someone renames issue 3 on GitHub and adds their own label to issue 1
    fake_github.edit_issue(REPO, 3, title="Docs (renamed on GitHub)")
    fake_github.edit_issue(REPO, 1, labels=["postmortem", "P0", "customer-facing"])
    # the table changes: priority of row 1, due date of row 2, owner of row 3
    text = doc.read_text()
    text = text.replace(
        "| P0 | Integration test for connection pool |", "| P2 | Integration test for connection pool |"
    )
    text = text.replace("@bob | 2024-01-17", "@bob | 2024-02-01")
    text = text.replace("patterns | @alice", "patterns | @bob")
    doc.write_text(text)
    fake_github.clear_log()

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert sorted(result.one()["updated"]) == ["#1", "#2", "#3"]
    one, two, three = fake_github.issues(REPO)
    assert sorted(lab["name"] for lab in one["labels"]) == ["P2", "customer-facing", "postmortem"]
    assert meta(one)["baseline"]["priority"] == "P2"  # type: ignore[index]
    assert meta(two)["due"] == "2024-02-01"
    assert "Due: 2024-02-01" in two["body"] and "2024-01-17" not in two["body"].split("<!--")[0]
    assert [a["login"] for a in three["assignees"]] == ["bob"]
    assert three["title"] == "Document connection management patterns"
    patches = fake_github.requests_to("PATCH")
    assert len(patches) == 3
    assert set(patches[1].json) == {"body"}  # only what changed is sent
    assert writes(fake_github).count(("POST", "/repos/acme/app/issues")) == 0

    fake_github.clear_log()
    again = cli("push", str(doc), "--json")
    assert again.one()["unchanged"] == ["#1", "#2", "#3"]
    assert writes(fake_github) == []


def test_item_routed_to_another_repo_by_ticket_cell_hint(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    fake_github.add_repo("acme/other")
    fake_github.add_collaborator("acme/other", "alice")
    rows = [*NEW_ROWS[:2], (*STANDARD_ROWS[2], "acme/other#?")]
    doc = write_doc(workdir, rows)

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert result.one()["created"] == ["#1", "#2", "acme/other#1"]
    assert ticket_cells(doc) == ["#1", "#2", "acme/other#1"]
    assert [i["title"] for i in fake_github.issues("acme/other")] == [
        "Document connection management patterns"
    ]
    assert len(fake_github.issues(REPO)) == 2

    fake_github.clear_log()
    again = cli("push", str(doc), "--json")
    assert again.one()["unchanged"] == ["#1", "#2", "acme/other#1"]
    assert writes(fake_github) == []


def test_front_matter_project_sends_the_postmortem_to_its_repo(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    fake_github.add_repo("acme/payments")
    for login in ("alice", "bob"):
        fake_github.add_collaborator("acme/payments", login)
    doc = write_doc(workdir, NEW_ROWS[:2], front_matter="---\nproject: acme/payments\n---\n")

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert result.one()["created"] == ["acme/payments#1", "acme/payments#2"]
    assert len(fake_github.issues("acme/payments")) == 2 and fake_github.issues(REPO) == []
    fake_github.clear_log()
    assert cli("push", str(doc), "--json").one()["unchanged"] == ["acme/payments#1", "acme/payments#2"]
    assert writes(fake_github) == []


def test_existing_references_in_every_spelling(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    # issues someone opened by hand, without pm-sync's label or marker
    for row in STANDARD_ROWS:
        fake_github.add_issue(REPO, row[1], assignees=["alice"])
    url = f"{fake_github.url}/acme/app/issues/3"
    doc = write_doc(
        workdir, [(*STANDARD_ROWS[0], "#1"), (*STANDARD_ROWS[1], "acme/app#2"), (*STANDARD_ROWS[2], url)]
    )

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert sorted(result.one()["updated"]) == ["#1", "#2", "#3"]
    one, two, _ = fake_github.issues(REPO)
    assert [a["login"] for a in two["assignees"]] == ["bob"]
    assert "P0" in [lab["name"] for lab in one["labels"]]
    assert meta(one)["marker"] is None and meta(one)["due"] == "2024-01-22"
    assert ticket_cells(doc)[2] == url  # an unmoved reference is left as written


def test_dry_run_writes_nothing(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    doc = write_doc(workdir)
    before = doc.read_bytes()

    result = cli("push", str(doc), "--dry-run", "--json")

    assert result.code == 0, result.stdout
    assert [row["kind"] for row in result.one()["plan"]] == ["create"] * 3
    assert writes(fake_github) == []
    assert fake_github.issues(REPO) == [] and doc.read_bytes() == before


def test_github_enterprise_server_base_url(
    workdir: Path, cli, fake_ghes: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_ghes, monkeypatch)
    assert fake_ghes.api_url.endswith("/api/v3")
    doc = write_doc(workdir)

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert result.one()["created"] == ["#1", "#2", "#3"]
    assert len(fake_ghes.issues(REPO)) == 3
    assert all(r.path.startswith("/api/v3/") for r in fake_ghes.request_log)
    assert all(r.status is not None and r.status < 400 for r in fake_ghes.request_log)


def test_unassignable_owner_stops_everything_before_a_create(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    fake_github.remove_collaborator(REPO, "bob")
    doc = write_doc(workdir)
    before = doc.read_bytes()

    result = cli("push", str(doc), "--json")

    assert result.code == 1
    [error] = result.one()["errors"]
    assert error["line"] == 15 and "@bob" in error["message"]
    assert "cannot be assigned" in error["message"] and "unknown_owner" in error["hint"]
    assert writes(fake_github) == [] and doc.read_bytes() == before


def test_unassignable_owner_with_unassigned_policy_creates_unassigned(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch, top='unknown_owner = "unassigned"')
    fake_github.remove_collaborator(REPO, "bob")
    doc = write_doc(workdir)

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    [warning] = result.one()["warnings"]
    assert warning["code"] == "owner-unknown"
    assert "@bob" in warning["message"] and "unassigned" in warning["message"]
    assert [[a["login"] for a in i["assignees"]] for i in fake_github.issues(REPO)] == [
        ["alice"],
        [],
        ["alice"],
    ]
    fake_github.clear_log()
    assert cli("push", str(doc), "--json").one()["unchanged"] == ["#1", "#2", "#3"]
    assert writes(fake_github) == []


def test_owner_map_names_the_github_login(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch, top='[owners]\n"@alice" = { github = "alice-gh" }\n')
    fake_github.add_collaborator(REPO, "alice-gh")
    doc = write_doc(workdir, NEW_ROWS[:1])

    assert cli("push", str(doc)).code == 0

    [issue] = fake_github.issues(REPO)
    assert [a["login"] for a in issue["assignees"]] == ["alice-gh"]
    assert fake_github.requests_to("GET", r"/assignees/alice-gh$")


def test_reconcile_pulls_github_side_changes_using_the_baseline_in_the_body(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    doc = write_doc(workdir, [(*r, "", "Open") for r in STANDARD_ROWS])
    doc.write_text(
        doc.read_text()
        .replace(
            "| Priority | Action | Owner | Due | Ticket |",
            "| Priority | Action | Owner | Due | Ticket | Status |",
        )
        .replace("|---|---|---|---|---|", "|---|---|---|---|---|---|")
    )
    assert cli("push", str(doc)).code == 0
    # on GitHub: #1 closed as completed, #2 closed as not planned, #3 re-prioritised
    fake_github.close_issue(REPO, 1, reason="completed")
    fake_github.close_issue(REPO, 2, reason="not_planned")
    fake_github.edit_issue(REPO, 3, labels=["postmortem", "P0"])
    # pm-sync keeps no local state for GitHub: the baseline comes from the issue bodies
    assert not (workdir / ".pm-sync" / "local.db").exists()

    result = cli("reconcile", str(doc), "--json")

    assert result.code == 0, result.stdout
    pulled = {(p["key"], p["field"], p["value"]) for p in result.json()[0]["pulled"]}
    assert pulled == {("#1", "status", "Done"), ("#2", "status", "Won't do"), ("#3", "priority", "P0")}
    rows = [ln for ln in doc.read_text().splitlines() if ln.startswith("| P")][1:]
    assert rows[0].endswith("| Done |") and rows[1].endswith("| Won't do |")
    assert rows[2].startswith("| P0 | Document")
    assert meta(fake_github.issues(REPO)[2])["baseline"]["priority"] == "P0"  # type: ignore[index]


def test_many_issues_are_paged_and_pull_requests_never_count(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    for n in range(150):  # older postmortems' issues
        fake_github.add_issue(
            REPO, f"Old item {n}", labels=["postmortem"], created_at=fake_github.now() - 86400 + n
        )
    fake_github.add_pull_request(REPO, "A PR with the label", labels=["postmortem"])
    doc = write_doc(workdir, NEW_ROWS[:1])

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert result.one()["created"] == ["#152"]  # the PR never counts as a ticket
    # one listing (two pages) finds every ticket of the postmortem by its markers
    assert len(fake_github.requests_to("GET", r"^/(repos/acme/app|repositories/\d+)/issues$")) == 2
    for n in range(150):
        fake_github.add_issue(REPO, f"Newer item {n}", labels=["postmortem"])
    fake_github.clear_log()

    again = cli("push", str(doc), "--json")

    assert again.one()["unchanged"] == ["#152"]
    gets = [r.route for r in fake_github.request_log if "assignees" not in r.route]
    # the listing that looks for duplicates of the postmortem's tickets also reads its ticket
    assert {g.split("?")[0] for g in gets} <= {"/repos/acme/app/issues", "/repositories/1002/issues"}
    assert writes(fake_github) == [] and not fake_github.requests_to("GET", r"/issues/\d+$")


def test_owner_not_assignable_in_the_hinted_repo_is_caught_before_creating(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    fake_github.add_repo("acme/other")  # alice and bob are not collaborators there
    doc = write_doc(workdir, [NEW_ROWS[0], (*STANDARD_ROWS[1], "acme/other#?")])

    result = cli("push", str(doc), "--json")

    assert result.code == 1
    [error] = result.one()["errors"]
    assert error["line"] == 15 and "cannot be assigned issues in acme/other" in error["message"]
    assert writes(fake_github) == []


def test_tricky_action_text_round_trips_through_the_hidden_comment(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    action = 'Fail over `db-a` --> `db-b` and test "<!-- pm-sync: {} -->" parsing'
    doc = write_doc(workdir, [("P1", action, "@alice", "2024-01-22", "")])

    assert cli("push", str(doc)).code == 0
    [issue] = fake_github.issues(REPO)
    assert issue["title"] == 'Fail over db-a --> db-b and test "" parsing'  # plain text
    assert "<!-- pm-sync: {} -->" in issue["body"]  # the action, verbatim, in the body
    assert meta(issue)["baseline"]["action"] == issue["title"]  # type: ignore[index]
    fake_github.clear_log()

    again = cli("push", str(doc), "--json")
    assert again.one()["unchanged"] == ["#1"] and writes(fake_github) == []
