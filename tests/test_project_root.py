"""pm-sync finds its project as git finds a repository, says which one with --verbose, and
keeps only the tracker's database visible to git (issue 11)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STANDARD_ROWS, local_tickets, postmortem_text

EXAMPLE = Path(__file__).parent.parent / "examples" / "postmortem-2024-01-15-payments-db-connections.md"
ROWS = [(*r, "") for r in STANDARD_ROWS]


def docs_repo(root: Path) -> Path:
    """A docs repository with one Final postmortem under docs/technical; returns the file."""
    (root / ".git").mkdir(parents=True)
    doc = root / "docs" / "technical" / "postmortem-2024-01-15-payments.md"
    doc.parent.mkdir(parents=True)
    doc.write_text(postmortem_text(ROWS))
    return doc


def test_reconcile_from_a_subfolder_uses_the_project_tracker(
    workdir: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = docs_repo(workdir)
    assert cli("push", str(doc.relative_to(workdir))).code == 0
    monkeypatch.chdir(doc.parent)

    result = cli("reconcile", doc.name, "--json")

    assert result.code == 0, result.stdout + result.stderr
    assert result.one()["unchanged"] == ["PM-1", "PM-2", "PM-3"] and result.one()["missing"] == []
    assert not (doc.parent / ".pm-sync").exists()


def test_the_first_run_from_a_subfolder_keeps_its_state_at_the_repository_root(
    workdir: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = docs_repo(workdir)
    monkeypatch.chdir(doc.parent)

    assert cli("push", doc.name).code == 0

    assert (workdir / ".pm-sync" / "local.db").is_file()
    assert not (doc.parent / ".pm-sync").exists()
    monkeypatch.chdir(workdir)
    assert [t["key"] for t in local_tickets(workdir)] == ["PM-1", "PM-2", "PM-3"]


def test_the_search_stops_at_the_repository_root(
    workdir: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `.pm-sync/` or `pm-sync.toml` above the repository belongs to something else."""
    (workdir / ".pm-sync").mkdir()
    (workdir / "pm-sync.toml").write_text('tracker = "github"\n')
    repo = workdir / "repo"
    doc = docs_repo(repo)
    monkeypatch.chdir(doc.parent)

    result = cli("push", doc.name, "--verbose")

    assert result.code == 0, result.stderr
    assert f"pm-sync: project root {repo} (the repository root)" in result.stderr
    assert (repo / ".pm-sync" / "local.db").is_file()
    assert list((workdir / ".pm-sync").iterdir()) == []


def test_config_found_upward_gives_the_default_paths_relative_to_it(
    workdir: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = docs_repo(workdir)
    (workdir / "pm-sync.toml").write_text('[docs]\npaths = ["docs/technical/postmortem-*.md"]\n')
    deep = workdir / "docs" / "technical" / "drafts"
    deep.mkdir()
    monkeypatch.chdir(deep)

    result = cli("reconcile", "--json", "-v")

    assert result.code == 0, result.stderr
    assert [r["created"] for r in result.json()] == [["PM-1", "PM-2", "PM-3"]]
    assert f"pm-sync: project root {workdir} (the config file's folder)" in result.stderr
    assert f"pm-sync: config {workdir / 'pm-sync.toml'} (found by searching upward)" in result.stderr
    assert "| PM-1 |" in doc.read_text()


VERBOSE_COMMANDS = [
    ["parse", "{doc}", "--json"],
    ["lint", "{doc}", "--json"],
    ["migrate", "{doc}", "--json"],
    ["new", "DNS blip", "--date", "2024-03-02", "--json"],
    ["push", "{doc}", "--json"],
    ["push", "--dry-run", "{doc}", "--json"],
    ["reconcile", "--json"],
    ["overdue", "--as-of", "2024-02-01", "--json"],
    ["local", "list", "--json"],
    ["local", "close", "PM-1", "--json"],
    ["local", "reopen", "PM-1", "--json"],
]


@pytest.mark.parametrize("args", VERBOSE_COMMANDS, ids=lambda a: " ".join(a[:2]))
@pytest.mark.parametrize("flag", ["--verbose", "-v"])
def test_every_command_says_which_root_and_config_it_uses(
    workdir: Path, cli: Any, monkeypatch: pytest.MonkeyPatch, args: list[str], flag: str
) -> None:
    doc = docs_repo(workdir)
    (workdir / "pm-sync.toml").write_text('tracker = "local"\n')
    assert cli("push", str(doc)).code == 0
    monkeypatch.chdir(doc.parent)

    result = cli(*(a.format(doc=doc.name) for a in args), flag)

    assert result.code == (1 if args[0] == "lint" else 0), result.stdout + result.stderr  # lint: no Timeline
    json.loads(result.stdout)  # stdout is the JSON alone
    lines = result.stderr.splitlines()
    assert lines[0] == f"pm-sync: project root {workdir} (the config file's folder)"
    if args[0] in ("parse", "lint", "migrate", "new"):
        assert lines[1] == "pm-sync: config not read by this command"
    else:
        assert lines[1] == f"pm-sync: config {workdir / 'pm-sync.toml'} (found by searching upward)"


def test_verbose_without_any_config(workdir: Path, cli: Any) -> None:
    doc = workdir / "postmortem-2024-01-15-payments.md"
    doc.write_text(postmortem_text(ROWS))

    result = cli("push", str(doc), "--dry-run", "-v")

    assert result.stderr.splitlines()[:2] == [
        f"pm-sync: project root {workdir} "
        "(the working directory: no pm-sync.toml, .pm-sync/ or .git above it)",
        "pm-sync: config none found: defaults, embedded local tracker",
    ]


def test_new_from_a_subfolder_writes_where_the_other_postmortems_are(
    workdir: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = docs_repo(workdir)
    monkeypatch.chdir(doc.parent)

    result = cli("new", "DNS blip", "--date", "2024-03-02")

    assert result.code == 0, result.stderr
    assert result.stdout == "postmortem-2024-03-02-dns-blip.md\n"
    assert (doc.parent / "postmortem-2024-03-02-dns-blip.md").is_file()


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, timeout=30
    ).stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_sees_the_tracker_database_and_none_of_the_run_state(workdir: Path, cli: Any) -> None:
    git(workdir, "init", "-q")
    doc = workdir / "docs" / "technical" / "postmortem-2024-01-15-payments.md"
    doc.parent.mkdir(parents=True)
    doc.write_text(postmortem_text(ROWS))

    assert cli("push", str(doc.relative_to(workdir))).code == 0
    state = workdir / ".pm-sync"
    (state / "inflight").mkdir(exist_ok=True)
    (state / "inflight" / "pm-sync-abc.json").write_text("{}")  # as a killed run leaves them
    (state / "locks").mkdir(exist_ok=True)
    (state / "locks" / "0123.lock").write_text("")
    (state / "local.db-journal").write_text("")

    untracked = git(workdir, "status", "--porcelain", "--untracked-files=all").splitlines()

    assert sorted(untracked) == [
        "?? .pm-sync/.gitignore",
        "?? .pm-sync/local.db",
        "?? docs/technical/postmortem-2024-01-15-payments.md",
    ]


def test_an_existing_state_folder_is_left_as_the_team_made_it(workdir: Path, cli: Any) -> None:
    (workdir / ".pm-sync").mkdir()
    doc = workdir / "postmortem-2024-01-15-payments.md"
    doc.write_text(postmortem_text(ROWS))

    assert cli("push", str(doc)).code == 0

    assert not (workdir / ".pm-sync" / ".gitignore").exists()


def plain_project(root: Path) -> Path:
    """A folder of postmortems with no git and no config: the user's first try."""
    doc = root / "postmortem-2024-01-15-payments.md"
    root.mkdir(parents=True)
    doc.write_text(postmortem_text(ROWS))
    return doc


def test_a_run_from_a_folder_in_no_project_uses_the_postmortems_project(
    workdir: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, `cd elsewhere && pm-sync reconcile ../proj/pm.md` made an empty tracker in
    `elsewhere` and reported every ticket missing."""
    doc = plain_project(workdir / "proj")
    monkeypatch.chdir(doc.parent)
    assert cli("push", doc.name).code == 0
    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    result = cli("reconcile", str(doc), "--json", "--verbose")

    assert result.code == 0, result.stdout + result.stderr
    assert result.one()["unchanged"] == ["PM-1", "PM-2", "PM-3"] and result.one()["missing"] == []
    assert f"project root {doc.parent} (it holds .pm-sync/, found from the postmortems given" in result.stderr
    assert not (elsewhere / ".pm-sync").exists()


def test_the_first_run_from_outside_keeps_its_state_with_the_postmortems(
    workdir: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = plain_project(workdir / "proj")
    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    assert cli("push", str(doc)).code == 0

    assert not (elsewhere / ".pm-sync").exists()
    monkeypatch.chdir(doc.parent)
    result = cli("reconcile", doc.name, "--json")
    assert result.code == 0 and result.one()["unchanged"] == ["PM-1", "PM-2", "PM-3"]


def test_postmortems_of_two_projects_in_one_run_are_a_usage_error(
    workdir: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = plain_project(workdir / "one"), plain_project(workdir / "two")
    for doc in (one, two):
        (doc.parent / ".pm-sync").mkdir()
    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    result = cli("push", str(one), str(two))

    assert result.code == 2
    assert "more than one project" in result.stderr and "once per project" in result.stderr
    assert "PM-" not in one.read_text() + two.read_text()


def test_postmortems_in_several_folders_outside_any_project_keep_the_working_directory(
    workdir: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No `.pm-sync/` is made at a common ancestor the user never chose (once it was `/`)."""
    one, two = plain_project(workdir / "a" / "one"), plain_project(workdir / "b" / "two")
    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    assert cli("push", str(one), str(two)).code == 0

    assert (elsewhere / ".pm-sync" / "local.db").is_file()
    assert not [p for p in workdir.rglob(".pm-sync") if p.parent != elsewhere]
