"""Set-up for the hostile-tracker stories: a fake tracker behind the rewriting proxy, a project
folder whose pm-sync.toml points at the proxy, and the real CLI run in a subprocess.

Waits are real in a subprocess, so configs keep them short: `recovery_wait`, `attempts`,
`max_wait` and small `Retry-After` values keep each story to a few seconds.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STANDARD_ROWS, postmortem_text, run_subprocess
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_jira import FakeJira
from tests.fakes.proxy import Proxy

ALICE = "557058:aaaaaaaa-0000-4000-8000-00000000a11c"
BOB = "557058:bbbbbbbb-0000-4000-8000-000000000b0b"
JIRA_TOKEN_ENV = "PMSYNC_HOSTILE_JIRA_TOKEN"
GH_TOKEN_ENV = "PMSYNC_HOSTILE_GH_TOKEN"
GH_TOKEN = "ghp_H0stileTestToken/with+chars=="
JIRA_TOKEN = "jira-S3cret/t0ken+with=chars"
REPO = "acme/app"
NEW_ROWS = [(*r, "") for r in STANDARD_ROWS]
DOC_NAME = "postmortem-2024-01-15-payments.md"


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def results(self) -> list[dict[str, Any]]:
        data = json.loads(self.stdout)
        assert isinstance(data, list), data
        return data

    def one(self) -> dict[str, Any]:
        [result] = self.results()
        return result

    def codes(self) -> list[str]:
        return [e["code"] for r in self.results() for e in r["errors"]]


@dataclass
class Project:
    """A project folder with one postmortem and a pm-sync.toml for `tracker`."""

    root: Path
    tracker: str
    settings: dict[str, Any]
    env: dict[str, str]
    top: dict[str, Any] = field(default_factory=dict)
    owners: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def doc(self) -> Path:
        return self.root / DOC_NAME

    @property
    def config(self) -> Path:
        return self.root / "pm-sync.toml"

    def write_config(self, **changes: Any) -> None:
        self.settings.update(changes)
        lines = [f'tracker = "{self.tracker}"']
        lines += [f"{k} = {toml_value(v)}" for k, v in self.top.items()]
        lines += ["", f"[trackers.{self.tracker}]"]
        lines += [f"{k} = {toml_value(v)}" for k, v in self.settings.items() if v is not None]
        if self.owners:
            lines += ["", "[owners]"]
            lines += [f"{json.dumps(h)} = {toml_value(e)}" for h, e in self.owners.items()]
        self.config.write_text("\n".join(lines) + "\n")

    def write_doc(self, rows: Sequence[Sequence[str]] = NEW_ROWS, **kwargs: Any) -> Path:
        self.doc.write_text(postmortem_text(rows, **kwargs))
        return self.doc

    def run(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
        done: subprocess.CompletedProcess[str] = run_subprocess(
            list(args), cwd or self.root, {**self.env, **(env or {})}, timeout=120
        )
        assert "Traceback" not in done.stderr, done.stderr
        return Run(done.returncode, done.stdout, done.stderr)

    def push(self, *args: str, **kwargs: Any) -> Run:
        return self.run("push", DOC_NAME, "--json", *args, **kwargs)

    def reconcile(self, *args: str, **kwargs: Any) -> Run:
        return self.run("reconcile", DOC_NAME, "--json", *args, **kwargs)

    def cells(self, column: int = 4) -> list[str]:
        """One column (0 = Priority … 4 = Ticket) of every action row."""
        rows = [ln for ln in self.doc.read_text().splitlines() if re.match(r"\| P\d ", ln)]
        return [ln.strip().strip("|").split("|")[column].strip() for ln in rows]

    def files_text(self) -> str:
        """Every file pm-sync could have written in the project, as text."""
        out = []
        for path in sorted(self.root.rglob("*")):
            if path.is_file():
                out.append(path.read_bytes().decode("utf-8", "replace"))
        return "\n".join(out)


# ---------------------------------------------------------------------------- Jira


def jira_fake(mode: str, **kwargs: Any) -> FakeJira:
    fake = FakeJira(mode=mode, token=JIRA_TOKEN, **kwargs)
    fake.add_project("OPS", name="Operations", issue_types=["Task", "Bug"])
    fake.add_user(account_id=ALICE, name="alice", email="alice@example.com", display_name="Alice Adams")
    fake.add_user(account_id=BOB, name="bob", email="bob@example.com", display_name="Bob Brown")
    return fake


def jira_ident(fake: FakeJira, who: str) -> str:
    return {"alice": ALICE, "bob": BOB}[who] if fake.is_cloud else who


def jira_project(root: Path, fake: FakeJira, url: str, **settings: Any) -> Project:
    base: dict[str, Any] = {
        "url": url,
        "deployment": "cloud" if fake.is_cloud else "datacenter",
        "token_env": JIRA_TOKEN_ENV,
        "project": "OPS",
        "timeout": 5,
        "attempts": 2,
        "recovery_wait": 1,
        "max_wait": 5,
    }
    if fake.is_cloud:
        base["email"] = fake.email
    base.update(settings)
    owners = {"@alice": {"jira": jira_ident(fake, "alice")}, "@bob": {"jira": jira_ident(fake, "bob")}}
    project = Project(root, "jira", base, {JIRA_TOKEN_ENV: fake.token}, owners=owners)
    project.write_config()
    return project


@dataclass
class JiraStage:
    fake: FakeJira
    proxy: Proxy
    project: Project

    @property
    def cloud(self) -> bool:
        return self.fake.is_cloud

    def creates(self) -> int:
        return len(self.fake.requests_to("POST", "issue"))

    def summaries(self) -> list[str]:
        return sorted(i["fields"]["summary"] for i in self.fake.issues)


@pytest.fixture(params=["cloud", "datacenter"])
def jira_stage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JiraStage]:
    with jira_fake(request.param) as fake, Proxy(fake.url) as proxy:
        yield JiraStage(fake, proxy, jira_project(tmp_path, fake, proxy.url))


# ---------------------------------------------------------------------------- GitHub


def github_fake() -> FakeGitHub:
    fake = FakeGitHub(token=GH_TOKEN)
    fake.add_repo(REPO)
    fake.add_collaborator(REPO, "alice")
    fake.add_collaborator(REPO, "bob")
    return fake


def github_project(root: Path, api_url: str, **settings: Any) -> Project:
    base: dict[str, Any] = {
        "repo": REPO,
        "api_url": api_url,
        "token_env": GH_TOKEN_ENV,
        "timeout": 5,
        "attempts": 2,
        "seconds_between_writes": 0,
        "secondary_rate_wait": 1,
        "max_wait": 5,
    }
    base.update(settings)
    project = Project(root, "github", base, {GH_TOKEN_ENV: GH_TOKEN})
    project.write_config()
    return project


@dataclass
class GitHubStage:
    fake: FakeGitHub
    proxy: Proxy
    project: Project

    def issues(self) -> list[dict[str, Any]]:
        return self.fake.issues(REPO)

    def creates(self) -> int:
        return len(self.fake.requests_to("POST", r"^/repos/acme/app/issues$"))

    def titles(self) -> list[str]:
        return sorted(i["title"] for i in self.issues())


@pytest.fixture
def github_stage(tmp_path: Path) -> Iterator[GitHubStage]:
    fake = github_fake()
    with fake, Proxy(fake.url) as proxy:
        yield GitHubStage(fake, proxy, github_project(tmp_path, proxy.url))


# ---------------------------------------------------------------------------- assertions


def one_line_errors(run: Run, limit: int = 400) -> None:
    """Every error is one short located line: no page dumped, no traceback."""
    for result in run.results():
        for diag in result["errors"] + result["warnings"]:
            assert "\n" not in diag["message"], diag
            assert len(diag["message"]) <= limit, diag
            assert "<html" not in diag["message"].lower() and "<body" not in diag["message"].lower(), diag
            assert diag["path"], diag
