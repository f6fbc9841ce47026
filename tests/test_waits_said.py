"""Every wait long enough to notice is said on stderr, once, with what pm-sync waits for and
for how long, and never in the `--json` output: a run is never a silent minute.

Two waits used to be silent: a run waiting (up to 300 s) for another run's lock on the same
postmortem, and a read that got no answer (each try waited the whole read timeout, and only a
backoff of 3 s or more was said).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_subprocess
from tests.fakes.proxy import Exchange
from tests.hostile_support import DOC_NAME, JIRA_TOKEN, JiraStage, jira_fake, jira_project, jira_stage

__all__ = ["jira_stage"]


def test_waiting_for_another_runs_lock_is_said(jira_stage: JiraStage) -> None:
    stage, project = jira_stage, jira_stage.project
    project.write_doc()
    started = threading.Event()

    def slow(ex: Exchange) -> None:
        started.set()
        time.sleep(5)

    stage.proxy.rule("POST", r"/issue(/bulk)?$", hold=slow)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PM_SYNC_")},
        **project.env,
    }
    first = subprocess.Popen(
        [sys.executable, "-m", "pm_sync", "push", DOC_NAME],
        cwd=project.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert started.wait(30)

    second = project.push()

    first.communicate(timeout=60)
    assert first.returncode == 0
    assert second.code == 0, second.output
    assert second.one()["unchanged"] == ["OPS-1", "OPS-2", "OPS-3"]
    [line] = [ln for ln in second.stderr.splitlines() if "another pm-sync run" in ln]
    assert line.startswith("pm-sync: waiting up to 29") and line.endswith(
        f"s: another pm-sync run is working on {DOC_NAME}"
    ), line


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()


def test_a_server_that_never_answers_is_said_after_each_try(tmp_path: Path, silent_server: str) -> None:
    with jira_fake("cloud") as fake:  # only for its users and token; pm-sync talks to the silent one
        project = jira_project(tmp_path, fake, silent_server, timeout=3, attempts=2)
    project.write_doc()

    started = time.monotonic()
    done = run_subprocess(["push", DOC_NAME, "--json"], tmp_path, project.env, timeout=120)
    took = time.monotonic() - started

    assert done.returncode == 1
    [result] = json.loads(done.stdout)  # the waits never reach the JSON
    assert "did not answer in time" in result["errors"][0]["message"]
    said = [ln for ln in done.stderr.splitlines() if ln.startswith("pm-sync: waiting")]
    assert said == [
        "pm-sync: waiting 1 s: Jira did not answer GET /rest/api/2/search/jql within 3 s (try 1 of 2)"
    ]
    assert took < 30
    assert JIRA_TOKEN not in done.stdout + done.stderr
