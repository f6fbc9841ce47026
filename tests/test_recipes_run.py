"""Stories: the recipes run for real — the action's script as GitHub runs it, the cron scripts
against a git remote, the pre-commit hook's entry — with the local tracker, FakeJira and a
Slack webhook on 127.0.0.1. Nothing reaches the network."""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.conftest import postmortem_text
from tests.jira_support import JiraEnv, jira_env
from tests.recipes_support import ACTION, PRE_COMMIT_HOOKS, RECIPES, load_yaml
from tests.tracker_stories import FOUR_ROWS, status_doc, table_rows

__all__ = ["jira_env"]  # fixture re-exported for pytest

BIN = str(Path(sys.executable).parent)  # this venv's pm-sync and python
EXAMPLE = (
    Path(__file__).resolve().parent.parent / "examples" / "postmortem-2024-01-15-payments-db-connections.md"
)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PM_SYNC")}
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def action_script() -> str:
    return next(s["run"] for s in load_yaml(ACTION)["runs"]["steps"] if s.get("id") == "run")


def run_action(cwd: Path, tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess[str], str]:
    """The action's run step as GitHub runs a `shell: bash` step, inputs in the environment."""
    script = tmp_path / "action-run.sh"
    script.write_text(action_script())
    output = tmp_path / "github-output"
    output.write_text("")
    env = clean_env(GITHUB_OUTPUT=str(output))
    env.update({"PM_SYNC_ACTION_" + k.upper(): v for k, v in inputs.items()})
    for name, default in (
        ("JIRA_TOKEN_ENV", "JIRA_API_TOKEN"),
        ("GITHUB_TOKEN_ENV", "GITHUB_TOKEN"),
        ("SLACK_WEBHOOK_ENV", "SLACK_WEBHOOK_URL"),
    ):
        env.setdefault("PM_SYNC_ACTION_" + name, default)
    for name in ("PATHS", "FINAL_ONLY", "ARGS", "CONFIG", "JIRA_TOKEN", "GITHUB_TOKEN", "SLACK_WEBHOOK"):
        env.setdefault("PM_SYNC_ACTION_" + name, "")
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done, output.read_text()


def docs_repo(root: Path) -> tuple[Path, Path]:
    """A Final and a Draft postmortem under docs/technical/ of a fresh folder."""
    final = status_doc(root / "docs" / "technical" / "postmortem-2024-01-15-payments.md", FOUR_ROWS[:2])
    draft = root / "docs" / "technical" / "postmortem-2024-02-01-cache.md"
    draft.write_text(postmortem_text(status="Draft", title="Cache stampede"))
    return final, draft


# --------------------------------------------------------------------------- the action


def test_action_push_final_only_skips_the_draft_and_writes_keys(workdir: Path, tmp_path: Path) -> None:
    final, draft = docs_repo(workdir)
    draft_before = draft.read_bytes()

    done, output = run_action(
        workdir,
        tmp_path,
        command="push",
        paths=f"{final.relative_to(workdir)}\n{draft.relative_to(workdir)}",
        final_only="true",
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert output == "exit-code=0\n"
    assert [row.split("|")[5].strip() for row in table_rows(final)] == ["PM-1", "PM-2"]
    assert draft.read_bytes() == draft_before


def test_action_push_without_a_final_postmortem_does_nothing(workdir: Path, tmp_path: Path) -> None:
    _, draft = docs_repo(workdir)

    done, output = run_action(workdir, tmp_path, command="push", paths=str(draft), final_only="true")

    assert done.returncode == 0 and "nothing to push" in done.stdout
    assert output == "exit-code=0\n" and not (workdir / ".pm-sync").exists()


def test_action_reports_pm_syncs_exit_code(workdir: Path, tmp_path: Path) -> None:
    _, draft = docs_repo(workdir)

    done, output = run_action(workdir, tmp_path, command="push", paths=str(draft))  # Drafts fail push

    assert done.returncode == 1 and output == "exit-code=1\n"
    assert "Draft" in done.stdout + done.stderr


def test_action_refuses_an_unknown_command(workdir: Path, tmp_path: Path) -> None:
    done, output = run_action(workdir, tmp_path, command="rm -rf /")

    assert done.returncode == 2 and "::error::" in done.stdout and output == ""


def test_action_hands_the_jira_token_over_under_the_configured_name(
    jira_env: JiraEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jira_env.write_doc()
    token = jira_env.fake.token
    monkeypatch.delenv("PMSYNC_TEST_JIRA_TOKEN")

    done, output = run_action(
        jira_env.workdir,
        tmp_path,
        command="doctor",
        jira_token=token,
        jira_token_env="PMSYNC_TEST_JIRA_TOKEN",
        config="pm-sync.toml",
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "signed in as PM Sync Bot" in done.stdout and output == "exit-code=0\n"
    assert token not in done.stdout + done.stderr


class Slack(BaseHTTPRequestHandler):
    posts: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Slack.posts.append({"path": self.path, "json": json.loads(body)})
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def slack() -> Iterator[str]:
    """An incoming-webhook URL on 127.0.0.1 that records what is posted to it."""
    Slack.posts = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Slack)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/secretpart123"
    finally:
        server.shutdown()
        server.server_close()


def test_action_posts_the_overdue_report_to_slack(workdir: Path, tmp_path: Path, slack: str) -> None:
    docs_repo(workdir)

    done, output = run_action(
        workdir,
        tmp_path,
        command="overdue",
        args="--as-of 2024-02-10 --priorities P0,P1",
        slack_webhook=slack,
    )

    assert done.returncode == 0 and output == "exit-code=0\n", done.stdout + done.stderr
    (post,) = Slack.posts
    assert post["path"].endswith("secretpart123")
    assert "overdue" in post["json"]["text"] and "@bob" in post["json"]["text"]
    assert "posted the report to Slack ($SLACK_WEBHOOK_URL)" in done.stderr
    assert "secretpart123" not in done.stdout + done.stderr


# --------------------------------------------------------------------------- cron scripts


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture
def remote(tmp_path: Path) -> tuple[Path, Path]:
    """A bare remote holding the docs, and the clone only pm-sync uses."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(bare), str(seed))
    docs_repo(seed)
    git(seed, "add", ".")
    git(seed, "commit", "-q", "-m", "postmortems")
    git(seed, "push", "-q", "origin", "main")
    clone = tmp_path / "pm-sync-docs"
    git(tmp_path, "clone", "-q", str(bare), str(clone))
    return bare, clone


def script(name: str, clone: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(RECIPES / "scripts" / name), *args],
        env=clean_env(PM_SYNC_DOCS=str(clone), **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def remote_file(bare: Path, ref: str, path: str = "docs/technical/postmortem-2024-01-15-payments.md") -> str:
    return git(bare, "show", f"{ref}:{path}")


def local_due(clone: Path, key: str) -> str:
    with sqlite3.connect(clone / ".pm-sync" / "local.db") as conn:
        row = conn.execute("SELECT due FROM tickets WHERE key = ?", (key,)).fetchone()
    return str(row[0])


def test_cron_push_commits_keys_of_final_postmortems_to_main(remote: tuple[Path, Path]) -> None:
    bare, clone = remote

    done = script("pm-sync-push.sh", clone)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "| PM-1 |" in remote_file(bare, "main") and "| PM-2 |" in remote_file(bare, "main")
    assert (
        git(bare, "log", "--format=%s", "-1", "main").strip() == "pm-sync: ticket keys for Final postmortems"
    )
    assert "PM-" not in remote_file(bare, "main", "docs/technical/postmortem-2024-02-01-cache.md")

    again = script("pm-sync-push.sh", clone)  # nothing new: no second commit
    assert again.returncode == 0
    assert len(git(bare, "log", "--format=%s", "main").splitlines()) == 2


def test_cron_reconcile_proposes_a_branch_and_builds_on_it_until_merged(remote: tuple[Path, Path]) -> None:
    bare, clone = remote
    assert script("pm-sync-push.sh", clone).returncode == 0
    subprocess.run(
        [
            f"{BIN}/python",
            "-c",
            "from pm_sync_local import LocalStore; from pathlib import Path; "
            "LocalStore(Path('.pm-sync/local.db')).update('PM-1', {'due': '2024-03-01'})",
        ],
        cwd=clone,
        check=True,
    )  # someone moves the due date in the tracker

    first = script("pm-sync-reconcile.sh", clone)

    assert first.returncode == 0, first.stdout + first.stderr
    assert "pushed pm-sync/reconcile" in first.stdout
    assert "2024-03-01" in remote_file(bare, "pm-sync/reconcile")
    assert "2024-03-01" not in remote_file(bare, "main")  # proposed, not pushed to main

    second = script("pm-sync-reconcile.sh", clone)  # the proposal is not merged yet

    assert second.returncode == 0, second.stdout + second.stderr
    assert local_due(clone, "PM-1") == "2024-03-01"  # the tracker keeps its change

    # without building on the open branch, main's older value would be pushed back
    control = script("pm-sync-reconcile.sh", clone, PM_SYNC_PR_BRANCH="pm-sync/other")
    assert control.returncode == 0
    assert local_due(clone, "PM-1") == "2024-01-22"


def test_cron_overdue_prints_the_report_without_a_webhook(remote: tuple[Path, Path]) -> None:
    _, clone = remote

    done = script("pm-sync-overdue.sh", clone, "--as-of", "2024-02-10")

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("as of 2024-02-10 (P0, P1):")


# --------------------------------------------------------------------------- pre-commit


def test_pre_commit_entry_passes_a_good_postmortem_and_blocks_a_blaming_one(workdir: Path) -> None:
    (hook,) = load_yaml(PRE_COMMIT_HOOKS)
    good = workdir / "docs" / "technical" / EXAMPLE.name
    good.parent.mkdir(parents=True)
    good.write_text(EXAMPLE.read_text())
    bad = good.with_name("postmortem-2024-01-16-blame.md")
    bad.write_text(
        EXAMPLE.read_text().replace(
            "There is no documented, enforced way to get a connection", "Human error by the developer"
        )
    )

    def entry(*files: Path) -> subprocess.CompletedProcess[str]:
        # pre-commit runs the entry with the staged files appended
        words = shlex.split(hook["entry"])
        return subprocess.run(
            [*words, *map(str, files)],
            cwd=workdir,
            env=clean_env(),
            capture_output=True,
            text=True,
            check=False,
        )

    assert entry(good).returncode == 0
    blocked = entry(good, bad)
    assert blocked.returncode == 1
    assert "human-error-root-cause" in blocked.stdout and bad.name in blocked.stdout
