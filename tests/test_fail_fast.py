"""A wrong Jira URL fails within seconds, and a long wait says what it waits for (issue 11).

These runs use the real clock: a retry with backoff would really sleep, and the time limits
below would catch it.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from pm_sync import clock
from tests.conftest import postmortem_text
from tests.jira_support import TOKEN_ENV, JiraEnv, jira_env

__all__ = ["jira_env"]

FAST = 5.0
"""Seconds a run against a host that cannot be reached may take, start to exit."""

UNRESOLVABLE = "jira.pm-sync-test.invalid"
ROWS = [
    ("P0", "Integration test for connection pool", "@alice", "2024-01-22", "OPS-1"),
    ("P1", "Lower DB alert threshold to 70%", "@alice", "2024-01-17", ""),
]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def jira_project(workdir: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(TOKEN_ENV, "not-a-real-token")
    (workdir / "pm-sync.toml").write_text(
        'tracker = "jira"\n[trackers.jira]\n'
        f'url = "{url}"\ndeployment = "cloud"\nemail = "bot@example.com"\n'
        f'token_env = "{TOKEN_ENV}"\nproject = "OPS"\n'
    )
    doc = workdir / "docs" / "technical" / "postmortem-2024-01-15-payments.md"
    doc.parent.mkdir(parents=True)
    doc.write_text(postmortem_text(ROWS))
    return doc


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """The resolver says the test host does not exist, as it would; no query leaves the machine."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, bytes):
            host = host.decode()
        if host == UNRESOLVABLE:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


COMMANDS = [
    ("push", "{doc}", "--json"),
    ("push", "--dry-run", "{doc}", "--json"),
    ("reconcile", "--json"),
    ("overdue", "--as-of", "2024-02-01", "--json"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]).replace(" {doc}", ""))
@pytest.mark.parametrize("host", ["closed port", "unresolvable host"])
def test_an_unreachable_jira_fails_within_seconds(
    workdir: Path,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    no_dns: None,
    host: str,
    command: tuple[str, ...],
) -> None:
    url = f"http://127.0.0.1:{closed_port()}" if host == "closed port" else f"https://{UNRESOLVABLE}"
    doc = jira_project(workdir, url, monkeypatch)
    before = doc.read_bytes()

    started = time.monotonic()
    result = cli(*(a.format(doc=doc) for a in command))
    took = time.monotonic() - started

    assert took < FAST, f"{' '.join(command)} took {took:.1f} s"
    assert "waiting" not in result.stderr  # nothing was retried
    data = json.loads(result.stdout)
    if command[0] == "overdue":
        assert result.code == 0  # the report still comes, from the Status column, with a warning
        [warning] = data["warnings"]
        assert warning["code"] == "tracker-unreadable"
        assert warning["message"].startswith("tracker 'jira' could not be read (")
        assert "used the Status column" in warning["message"]
    else:
        assert result.code == 1
        [out] = data
        why = "connection refused" if host == "closed port" else "the host name does not resolve"
        assert out["errors"] and all(
            e["message"].startswith("cannot connect to Jira at ") and e["message"].endswith(f"({why})")
            for e in out["errors"]
        ), out["errors"]
        assert out["created"] == []
    assert doc.read_bytes() == before


def test_a_long_wait_is_announced_on_stderr_and_json_stays_pure(jira_env: JiraEnv, cli: Any) -> None:
    """A rate limit longer than `clock.ANNOUNCE_AFTER` gets one line on stderr saying what is
    waited for and how long; stdout holds the JSON and nothing else."""
    env = jira_env
    doc = env.write_doc(keys=["", "", ""])
    env.fake.rate_limit("GET", r"/createmeta", retry_after=int(clock.ANNOUNCE_AFTER) + 4)

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)  # the whole of stdout is one JSON document
    assert [len(r["created"]) for r in data] == [3]
    wait = int(clock.ANNOUNCE_AFTER) + 4
    assert env.slept == [wait]
    announced = [line for line in result.stderr.splitlines() if "waiting" in line]
    assert len(announced) == 1, result.stderr
    assert announced[0].startswith(f"pm-sync: waiting {wait} s: Jira rate limit (GET /rest/api/")


def test_a_short_wait_is_not_announced(jira_env: JiraEnv, cli: Any) -> None:
    env = jira_env
    doc = env.write_doc()
    env.fake.rate_limit("GET", r"/createmeta", retry_after=1)

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout
    assert env.slept == [1] and "waiting" not in result.stderr
