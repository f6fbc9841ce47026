"""Shared set-up for the GitHub connector stories: a FakeGitHub repo and a pm-sync.toml for it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import STANDARD_ROWS, SkipClock, postmortem_text, use_clock
from tests.fakes.fake_github import FakeGitHub

TOKEN = "ghp_test"
TOKEN_ENV = "PMSYNC_TEST_GH_TOKEN"
REPO = "acme/app"
NEW_ROWS = [(*r, "") for r in STANDARD_ROWS]


def configure(
    workdir: Path,
    fake: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    *,
    extra: str = "",
    top: str = "",
    token: str = TOKEN,
) -> Path:
    """A repo where alice and bob can be assigned, and a config pointing pm-sync at it."""
    fake.add_repo(REPO)
    fake.add_collaborator(REPO, "alice")
    fake.add_collaborator(REPO, "bob")
    monkeypatch.setenv(TOKEN_ENV, token)
    config = workdir / "pm-sync.toml"
    config.write_text(
        f'tracker = "github"\n{top}\n'
        "[trackers.github]\n"
        f'repo = "{REPO}"\n'
        f'api_url = "{fake.api_url}"\n'
        f'token_env = "{TOKEN_ENV}"\n'
        "timeout = 5\n"
        "seconds_between_writes = 0\n"
        f"{extra}\n"
    )
    return config


def write_doc(
    workdir: Path, rows: list[tuple[str, ...]] | None = None, name: str = "pm.md", front_matter: str = ""
) -> Path:
    doc = workdir / name
    doc.write_text(front_matter + postmortem_text(rows if rows is not None else NEW_ROWS))
    return doc


def writes(fake: FakeGitHub) -> list[tuple[str, str]]:
    return [(r.method, r.route) for r in fake.request_log if not r.is_read]


def ticket_cells(doc: Path) -> list[str]:
    lines = [ln for ln in doc.read_text().splitlines() if re.match(r"\| P\d ", ln)]
    return [ln.strip("|").split("|")[4].strip() for ln in lines]


class FakeGitHubClock(SkipClock):
    """pm-sync's clock as the fake GitHub sees it: each wait moves the fake's time too."""

    def __init__(self, fake: FakeGitHub) -> None:
        super().__init__(on_sleep=fake.advance)
        self.fake = fake

    def now(self) -> float:
        return self.fake.now()


def patch_sleep(monkeypatch: pytest.MonkeyPatch, fake: FakeGitHub) -> list[float]:
    """Every pm-sync wait is recorded and moves the fake's clock instead of sleeping."""
    waits = FakeGitHubClock(fake)
    use_clock(monkeypatch, waits)
    return waits.slept


Cli = Callable[..., object]


# The `[trackers.github]` keys for a Projects v2 board (FakeGitHub serves one with `add_project`).
BOARD = """
project = { owner = "acme", number = 5 }
due_field = "Due date"
priority_field = "Priority"
"""
