"""A new user pushes a finalized postmortem to the embedded local tracker."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import STANDARD_ROWS, local_tickets, postmortem_text
from tests.shapes_support import FINAL_HEAD, doc
from tests.sync_support import Cli, fresh_doc, ticket_cells


def with_keys(text: str, keys: list[str]) -> str:
    out = text
    for row, key in zip(STANDARD_ROWS, keys, strict=False):
        before = "| " + " | ".join(row) + " |"
        out = out.replace(before, "| " + " | ".join((*row, key)) + " |", 1)
    return out


def test_push_creates_one_ticket_per_item_and_writes_keys(workdir: Path, cli) -> None:
    doc = workdir / "postmortem-2024-01-15-payments.md"
    rows = [(*r, "") for r in STANDARD_ROWS]
    doc.write_text(postmortem_text(rows))

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stderr
    assert result.json() == [
        {
            "file": str(doc),
            "ok": True,
            "created": ["PM-1", "PM-2", "PM-3"],
            "recovered": [],
            "updated": [],
            "unchanged": [],
            "moved": [],
            "pulled": [],
            "conflicts": [],
            "missing": [],
            "orphaned": [],
            "duplicates": [],
            "errors": [],
            "warnings": [],
            "skipped": None,
        }
    ]
    expected = postmortem_text(
        [(*r, k) for r, k in zip(STANDARD_ROWS, ["PM-1", "PM-2", "PM-3"], strict=True)]
    )
    assert doc.read_text() == expected
    tickets = local_tickets(workdir)
    assert [(t["key"], t["summary"], t["priority"], t["owner"], t["due"], t["status"]) for t in tickets] == [
        ("PM-1", "Integration test for connection pool", "P0", "@alice", "2024-01-22", "open"),
        ("PM-2", "Lower DB alert threshold to 70%", "P0", "@bob", "2024-01-17", "open"),
        ("PM-3", "Document connection management patterns", "P1", "@alice", "2024-01-29", "open"),
    ]
    assert all(t["postmortem"] == doc.name for t in tickets)
    assert len({t["marker"] for t in tickets}) == 3


def test_second_push_changes_nothing(workdir: Path, cli) -> None:
    doc = workdir / "pm.md"
    doc.write_text(postmortem_text([(*r, "") for r in STANDARD_ROWS]))
    assert cli("push", str(doc)).code == 0
    after_first = doc.read_bytes()
    mtime = doc.stat().st_mtime_ns

    result = cli("push", str(doc), "--json")

    assert result.code == 0
    assert result.one()["created"] == [] and result.one()["updated"] == []
    assert result.one()["unchanged"] == ["PM-1", "PM-2", "PM-3"]
    assert doc.read_bytes() == after_first
    assert doc.stat().st_mtime_ns == mtime
    assert len(local_tickets(workdir)) == 3


def test_crlf_and_bom_survive_write_back(workdir: Path, cli) -> None:
    doc = workdir / "pm.md"
    text = postmortem_text([(*r, "") for r in STANDARD_ROWS])
    doc.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())

    assert cli("push", str(doc)).code == 0

    expected = with_keys(
        postmortem_text(STANDARD_ROWS, header="| Priority | Action | Owner | Due | Ticket |"), []
    )
    expected = postmortem_text(
        [(*r, k) for r, k in zip(STANDARD_ROWS, ["PM-1", "PM-2", "PM-3"], strict=True)]
    )
    assert doc.read_bytes() == b"\xef\xbb\xbf" + expected.replace("\n", "\r\n").encode()


def test_table_without_outer_pipes(workdir: Path, cli) -> None:
    doc = workdir / "pm.md"
    doc.write_text(
        postmortem_text(
            [(*r, "") for r in STANDARD_ROWS[:2]],
            header="Priority | Action | Owner | Due | Ticket",
            delimiter="--- | --- | --- | --- | ---",
            row_format=lambda r: " | ".join(r).rstrip(),
        )
    )
    assert cli("push", str(doc)).code == 0
    lines = doc.read_text().splitlines()
    assert "P0 | Integration test for connection pool | @alice | 2024-01-22 | PM-1 |" in lines
    assert "P0 | Lower DB alert threshold to 70% | @bob | 2024-01-17 | PM-2 |" in lines
    assert "Priority | Action | Owner | Due | Ticket" in lines


def test_table_without_ticket_column_gets_one(workdir: Path, cli) -> None:
    doc = workdir / "pm.md"
    original = postmortem_text(
        [r[:4] for r in STANDARD_ROWS[:2]],
        header="| Priority | Action | Owner | Due |",
        delimiter="|:--|---|---|--:|",
        extra="\nTrailing text stays.\n",
    )
    doc.write_text(original)

    assert cli("push", str(doc)).code == 0

    text = doc.read_text()
    assert "| Priority | Action | Owner | Due | Ticket |" in text
    assert "|:--|---|---|--:|--------|" in text
    assert "| P0 | Integration test for connection pool | @alice | 2024-01-22 | PM-1   |" in text
    assert "| P0 | Lower DB alert threshold to 70% | @bob | 2024-01-17 | PM-2   |" in text
    before, after = original.split("| Priority", 1)[0], original.split("2024-01-17 |", 1)[1]
    assert text.startswith(before) and text.endswith(after)


def test_draft_is_refused_and_nothing_is_touched(workdir: Path, cli) -> None:
    doc = workdir / "pm.md"
    doc.write_text(postmortem_text([(*r, "") for r in STANDARD_ROWS], status="Draft"))
    before = doc.read_bytes()

    result = cli("push", str(doc), "--json")

    assert result.code == 1
    [error] = result.one()["errors"]
    assert error["line"] == 4 and "Draft" in error["message"] and "--force" in error["hint"]
    assert doc.read_bytes() == before
    assert not (workdir / ".pm-sync" / "local.db").exists()

    forced = cli("push", str(doc), "--force", "--json")
    assert forced.code == 0 and forced.one()["created"] == ["PM-1", "PM-2", "PM-3"]


def test_dry_run_prints_plan_and_touches_nothing(workdir: Path, cli) -> None:
    doc = workdir / "pm.md"
    doc.write_text(postmortem_text([(*r, "") for r in STANDARD_ROWS]))
    before = doc.read_bytes()

    result = cli("push", str(doc), "--dry-run", "--json")

    assert result.code == 0
    data = result.one()
    assert data["created"] == [] and data["dry_run"] is True
    assert [(p["line"], p["kind"]) for p in data["plan"]] == [(14, "create"), (15, "create"), (16, "create")]
    assert doc.read_bytes() == before
    assert not (workdir / ".pm-sync").exists()
    human = cli("push", str(doc), "--dry-run")
    assert "3 to create" in human.stdout


def test_bad_row_blocks_that_postmortem_only(workdir: Path, cli) -> None:
    bad = workdir / "bad.md"
    bad.write_text(
        postmortem_text(
            [("P0", "Fix it", "@alice", "next week", ""), ("P9", "Other", "@bob", "2024-01-02", "")]
        )
    )
    good = workdir / "good.md"
    good.write_text(postmortem_text([(*STANDARD_ROWS[0], "")]))
    bad_before = bad.read_bytes()

    result = cli("push", str(bad), str(good), "--json")

    assert result.code == 1
    bad_out, good_out = result.json()
    assert [(e["line"], e["path"]) for e in bad_out["errors"]] == [(14, str(bad)), (15, str(bad))]
    assert "next week" in bad_out["errors"][0]["message"]
    assert "P9" in bad_out["errors"][1]["message"]
    assert bad.read_bytes() == bad_before
    assert good_out["created"] == ["PM-1"]
    assert [t["postmortem"] for t in local_tickets(workdir)] == ["good.md"]


def test_edited_table_updates_only_changed_fields(workdir: Path, cli) -> None:
    doc = workdir / "pm.md"
    doc.write_text(postmortem_text([(*r, "") for r in STANDARD_ROWS]))
    assert cli("push", str(doc)).code == 0
    text = doc.read_text().replace(
        "| P0 | Lower DB alert threshold to 70% | @bob | 2024-01-17 |",
        "| P1 | Lower DB alert threshold to 70% | @carol | 2024-02-01 |",
    )
    doc.write_text(text)

    result = cli("push", str(doc), "--json")

    assert result.code == 0
    assert result.one()["updated"] == ["PM-2"]
    assert result.one()["unchanged"] == ["PM-1", "PM-3"]
    pm2 = next(t for t in local_tickets(workdir) if t["key"] == "PM-2")
    assert (pm2["priority"], pm2["owner"], pm2["due"]) == ("P1", "@carol", "2024-02-01")
    assert doc.read_text() == text


def test_project_hint_routes_to_tracker_and_unknown_key_is_located(workdir: Path, cli) -> None:
    doc = workdir / "pm.md"
    doc.write_text(
        postmortem_text(
            [
                ("P0", "Hinted", "@alice", "2024-01-22", "PM-?"),
                ("P1", "Foreign", "@bob", "2024-01-22", "ZZ-12"),
            ]
        )
    )
    result = cli("push", str(doc), "--json")
    assert result.code == 1
    [error] = result.one()["errors"]
    assert error["line"] == 15 and "ZZ-12" in error["message"] and "[routes]" in error["hint"]
    assert local_tickets(workdir) == []

    doc.write_text(postmortem_text([("P0", "Hinted", "@alice", "2024-01-22", "PM-?")]))
    assert cli("push", str(doc)).code == 0
    assert "| P0 | Hinted | @alice | 2024-01-22 | PM-1 |" in doc.read_text()


def test_config_error_exits_2_naming_file_and_key(workdir: Path, cli) -> None:
    (workdir / "pm-sync.toml").write_text('tracker = "local"\nunknown_owner = "ignore"\n')
    doc = workdir / "pm.md"
    doc.write_text(postmortem_text())
    result = cli("push", str(doc))
    assert result.code == 2
    assert "pm-sync.toml" in result.stderr and "unknown_owner" in result.stderr


def test_local_close_and_reopen(workdir: Path, cli) -> None:
    doc = workdir / "pm.md"
    doc.write_text(postmortem_text([(*STANDARD_ROWS[0], "")]))
    assert cli("push", str(doc)).code == 0
    assert cli("local", "close", "pm-1").code == 0
    assert cli("local", "list", "--json").json()[0]["status"] == "done"
    assert cli("local", "close", "PM-1", "--wont-do").code == 0
    assert cli("local", "list", "--json").json()[0]["status"] == "dropped"
    assert cli("local", "reopen", "PM-1").code == 0
    listed = cli("local", "list", "--json").json()
    assert listed == [
        {
            "key": "PM-1",
            "summary": "Integration test for connection pool",
            "status": "open",
            "priority": "P0",
            "owner": "@alice",
            "due": "2024-01-22",
            "postmortem": "pm.md",
        }
    ]
    missing = cli("local", "close", "PM-9")
    assert missing.code == 1 and "PM-9" in missing.stderr


def test_human_output_keeps_bracketed_hints(workdir: Path, cli) -> None:
    """Hints name config tables like [routes]; rich must not swallow them as markup."""
    doc = workdir / "pm.md"
    doc.write_text(postmortem_text([("P1", "Fix [the] thing", "@bob", "2024-01-22", "ZZ-12")]))
    result = cli("push", str(doc))
    assert result.code == 1
    assert "add a [routes] entry" in result.stdout
    assert f"{doc}:14" in result.stdout


def test_parse_and_lint_report_an_unreadable_file_and_go_on(workdir: Path, cli) -> None:
    good = workdir / "pm.md"
    good.write_text(postmortem_text())
    bad = workdir / "latin1.md"
    bad.write_bytes("# Postmortem: caf\xe9\n".encode("latin-1"))

    parsed = cli("parse", str(good), str(bad), "--json")
    assert parsed.code == 1
    ok, broken = parsed.json()
    assert len(ok["action_items"]) == 3 and ok["problems"] == []
    assert broken["path"] == str(bad)
    assert broken["problems"] == [
        {
            "code": "unreadable",
            "severity": "error",
            "path": str(bad),
            "line": 1,
            "message": "file is not valid UTF-8",
            "hint": "save the postmortem as UTF-8",
        }
    ]

    linted = cli("lint", str(bad), "--json")
    assert linted.code == 1
    assert linted.json() == [
        {
            "code": "unreadable",
            "severity": "error",
            "path": str(bad),
            "line": 1,
            "message": "file is not valid UTF-8",
            "hint": "save the postmortem as UTF-8",
        }
    ]


def test_markers_depend_on_the_document_not_on_where_the_command_runs(tmp_path: Path) -> None:
    """Inside a repository the id is the path in it (two folders, two postmortems); outside one
    it is the path inside the project root, whatever the working directory; front matter `id`
    wins over both."""
    from pm_sync.document.parse import parse_file
    from pm_sync.sync.identity import Identity

    table = "# P\n\n## Action items\n\n| Action |\n|---|\n| Same |\n"
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    for rel in ("docs/a.md", "docs/b.md", "team/a.md"):
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(table)
    ids = {rel: Identity(parse_file(repo / rel), tmp_path) for rel in ("docs/a.md", "docs/b.md", "team/a.md")}
    assert [i.doc_id for i in ids.values()] == ["docs/a.md", "docs/b.md", "team/a.md"]
    assert len({next(iter(i.items.values())) for i in ids.values()}) == 3
    assert len({i.document for i in ids.values()}) == 3
    project = tmp_path / "project"
    (project / "pm").mkdir(parents=True)
    (project / "pm" / "a.md").write_text(table)
    here = Identity(parse_file(project / "pm" / "a.md"), project)
    elsewhere = Identity(parse_file(str(project / "pm" / "a.md")), project)
    assert here.doc_id == elsewhere.doc_id == "pm/a.md"
    (project / "pm" / "c.md").write_text("---\nid: INC-42\n---\n" + table)
    assert Identity(parse_file(project / "pm" / "c.md"), project).doc_id == "INC-42"


def test_dry_run_and_draft_touch_nothing(workdir: Path, cli) -> None:
    text = FINAL_HEAD.format(title="X") + doc("""
        ## Action items

        | Priority | Action | Owner | Due |
        |---|---|---|---|
        | P1 | x | @a | 2024-01-22 |
    """)
    path = workdir / "postmortem-2024-01-15-x.md"
    path.write_text(text)
    assert cli("push", str(path), "--dry-run", "--json").code == 0
    assert path.read_text() == text and not (workdir / ".pm-sync").exists()

    path.write_text(text.replace("**Status**: Final", "**Status**: Draft"))
    draft = cli("push", str(path), "--json")
    assert draft.code == 1
    assert path.read_text() == text.replace("**Status**: Final", "**Status**: Draft")


SURPLUS = FINAL_HEAD.format(title="Surplus") + doc("""
    ## Action items

    | Priority | Action | Owner | Due |
    |---|---|---|---|
    | P1 | Fine row | @a | 2024-01-22 |
    | P1 | Row with a surplus cell | @a | 2024-01-23 | surplus |
""")


def test_row_with_surplus_cells_fails_before_any_ticket_is_created(workdir: Path, cli) -> None:
    path = workdir / "postmortem-2024-01-15-surplus.md"
    path.write_text(SURPLUS)

    result = cli("push", str(path), "--json")

    assert result.code == 1
    assert [e["line"] for e in result.one()["errors"]] == [11]
    assert result.one()["created"] == []
    assert path.read_text() == SURPLUS
    db = workdir / ".pm-sync" / "local.db"
    assert not db.exists() or local_tickets(workdir) == []


def test_dry_run_reports_the_surplus_cell_row(workdir: Path, cli) -> None:
    path = workdir / "postmortem-2024-01-15-surplus.md"
    path.write_text(SURPLUS)

    result = cli("push", str(path), "--dry-run", "--json")

    assert result.code == 1
    assert [e["line"] for e in result.one()["errors"]] == [11]


def test_same_file_name_in_two_folders_gets_two_tickets(workdir: Path, cli) -> None:
    paths = []
    for team, owner, due in (("payments", "@a", "2024-01-21"), ("search", "@b", "2024-01-22")):
        folder = workdir / "docs" / team
        folder.mkdir(parents=True)
        path = folder / "postmortem-2024-01-15-outage.md"
        path.write_text(
            FINAL_HEAD.format(title=f"{team} outage")
            + doc(f"""
            ## Action items

            | Priority | Action | Owner | Due |
            |---|---|---|---|
            | P1 | Add alerting | {owner} | {due} |
        """)
        )
        paths.append(path)

    first = cli("push", str(paths[0]), "--json").one()
    second = cli("push", str(paths[1]), "--json").one()

    assert first["created"] == ["PM-1"]
    assert second["created"] == ["PM-2"]
    assert [(t["key"], t["owner"], t["due"]) for t in local_tickets(workdir)] == [
        ("PM-1", "@a", "2024-01-21"),
        ("PM-2", "@b", "2024-01-22"),
    ]


def test_same_file_name_in_two_folders_gets_its_own_tickets(workdir: Path, cli: Cli) -> None:
    rows = [("P1", "Add runbook link to the alert", "@alice", "2024-02-01")]
    a = fresh_doc(workdir / "payments", rows, name="postmortem-2024-01-15-outage.md", title="Payments outage")
    b = fresh_doc(workdir / "search", rows, name="postmortem-2024-01-15-outage.md", title="Search outage")

    result = cli("push", str(a), str(b), "--json")

    assert result.code == 0
    assert len(local_tickets(workdir)) == 2
    assert ticket_cells(a) != ticket_cells(b)
