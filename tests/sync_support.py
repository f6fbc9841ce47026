"""Fixtures and helpers for push / reconcile / overdue stories through the real CLI on the
local tracker, FakeJira (`make_jira`, any subclass and options) and FakeGitHub (`gh`).

A test module that uses a fixture imports it and names it in `__all__`, so pytest finds it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STANDARD_ROWS, CliResult, postmortem_text
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_jira import FakeJira
from tests.jira_support import ALICE, BOB, TOKEN_ENV, JiraEnv

Cli = Callable[..., CliResult]

FIVE_ROWS = [
    *STANDARD_ROWS,
    ("P2", "Evaluate canary deployment", "@alice", "2024-02-15"),
    ("P3", "Add deploy markers to dashboards", "@bob", "2024-02-20"),
]
PUSH_KEYS = {"file", "created", "updated", "unchanged", "errors"}
RECONCILE_KEYS = PUSH_KEYS | {"pulled", "conflicts", "missing"}
OVERDUE_KEYS = {"as_of", "overdue", "due_soon", "unowned", "stale_drafts"}
GH_TOKEN = "ghp_blackbox_SECRET_0123456789abcdef"
GH_TOKEN_ENV = "PMSYNC_BLACKBOX_GH_TOKEN"


def ticket_cells(doc: Path) -> list[str]:
    rows = [
        ln for ln in doc.read_text().splitlines() if ln.startswith("| P") and not ln.startswith("| Priority")
    ]
    return [ln.strip("|").split("|")[4].strip() for ln in rows]


def fresh_doc(
    folder: Path, rows: Any = FIVE_ROWS, name: str = "postmortem-2024-01-15-payments.md", **kw: Any
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    doc = folder / name
    doc.write_text(postmortem_text([(*r[:4], "") for r in rows], **kw))
    return doc


def start_jira(cls: type[FakeJira] = FakeJira, mode: str = "cloud", **kw: Any) -> FakeJira:
    fake = cls(mode=mode, **kw).start()
    fake.add_project("OPS", name="Operations", issue_types=["Task", "Bug"])
    fake.add_project("SEC", name="Security")
    fake.add_user(account_id=ALICE, name="alice", email="alice@example.com", display_name="Alice Adams")
    fake.add_user(account_id=BOB, name="bob", email="bob@example.com", display_name="Bob Brown")
    return fake


@pytest.fixture
def make_jira(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., JiraEnv]]:
    """Like tests.jira_support.jira_env, but for any FakeJira subclass and constructor options."""
    started: list[FakeJira] = []
    slept: list[float] = []
    monkeypatch.setattr("jira.resilientsession.time.sleep", slept.append)

    def make(cls: type[FakeJira] = FakeJira, mode: str = "cloud", **kw: Any) -> JiraEnv:
        fake = start_jira(cls, mode, **kw)
        started.append(fake)
        monkeypatch.setenv(TOKEN_ENV, fake.token)
        env = JiraEnv(fake, workdir, slept)
        env.write_config(owners={"@bob": env.ident("bob")})
        return env

    yield make
    for fake in started:
        fake.stop()


@pytest.fixture
def gh(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    """A FakeGitHub repo acme/app where alice and bob are assignable, and a config for it."""
    with FakeGitHub(token=GH_TOKEN) as fake:
        fake.add_repo("acme/app")
        fake.add_collaborator("acme/app", "alice")
        fake.add_collaborator("acme/app", "bob")
        monkeypatch.setenv(GH_TOKEN_ENV, GH_TOKEN)
        write_gh_config(workdir, fake)
        yield fake


def write_gh_config(workdir: Path, fake: FakeGitHub, top: str = "") -> None:
    (workdir / "pm-sync.toml").write_text(
        f'tracker = "github"\n{top}\n[trackers.github]\nrepo = "acme/app"\n'
        f'api_url = "{fake.api_url}"\ntoken_env = "{GH_TOKEN_ENV}"\ntimeout = 5\n'
        "seconds_between_writes = 0\n"
    )


def scan_for(secret: str, result: CliResult | subprocess.CompletedProcess[str], folder: Path) -> list[str]:
    """Every place the secret shows up: stdout, stderr, any file under the folder."""
    out = getattr(result, "stdout", "") or ""
    err = getattr(result, "stderr", "") or ""
    where = [name for name, text in (("stdout", out), ("stderr", err)) if secret in text]
    for path in folder.rglob("*"):
        if path.is_file() and secret.encode() in path.read_bytes():
            where.append(str(path.relative_to(folder)))
    return where
