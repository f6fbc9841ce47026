"""Ctrl-C: exit 130 with one line saying so; the file is untouched or has complete keys, and the
next run finishes the job with exactly one ticket per row (issue 11)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.jira_support import JiraEnv, jira_env

__all__ = ["jira_env"]


# `python -m pm_sync`, with Ctrl-C as a shell gives it: a suite started with SIGINT ignored
# (`nohup pytest &`) would otherwise pass that on to the child.
_AS_FROM_A_SHELL = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'pm-sync'; runpy.run_module('pm_sync', run_name='__main__', alter_sys=True)"
)


def start_push(env: JiraEnv, doc: Path) -> subprocess.Popen[str]:
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("PM_SYNC_")}
    return subprocess.Popen(
        [sys.executable, "-c", _AS_FROM_A_SHELL, "push", str(doc), "--json"],
        cwd=env.workdir,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the push never got that far"
        time.sleep(0.02)


def test_ctrl_c_during_a_slow_create_exits_130_and_leaves_the_file_whole(jira_env: JiraEnv) -> None:
    env = jira_env
    doc = env.write_doc()
    before = doc.read_bytes()
    env.fake.inject("POST", r"/issue/bulk$", delay=2.5)  # Jira takes its time, then creates
    child = start_push(env, doc)

    wait_for(lambda: env.fake.requests_to("POST", "issue/bulk"))
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)

    assert child.returncode == 130, err
    assert err.splitlines() == [
        "pm-sync: interrupted (no file was left half-written; run the command again to finish)"
    ]
    assert "Traceback" not in err and out == ""
    text = doc.read_bytes()
    rows = [line for line in text.decode().splitlines() if line.startswith("| P")]
    assert text == before or all(line.rstrip(" |").split("|")[-1].strip() for line in rows)

    wait_for(lambda: len(env.fake.issues) == 3)  # Jira finished the create after we left
    again = subprocess.run(
        [sys.executable, "-c", _AS_FROM_A_SHELL, "push", str(doc), "--json"],
        cwd=env.workdir,
        env={k: v for k, v in os.environ.items() if not k.startswith("PM_SYNC_")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(env.fake.issues) == 3  # found by their markers, not created twice
    keys = sorted(i["key"] for i in env.fake.issues)
    for key in keys:
        assert f"| {key} |" in doc.read_text()


def test_ctrl_c_during_a_slow_read_exits_130(jira_env: JiraEnv) -> None:
    env = jira_env
    doc = env.write_doc(keys=["OPS-1"])
    env.fake.inject("GET", r"/api/[23]/search(/jql)?$", delay=2.5, times=None)
    before = doc.read_bytes()
    child = start_push(env, doc)

    wait_for(lambda: env.fake.requests_to("GET", "search"))
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=30)

    assert child.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    assert len(err.splitlines()) == 1
    assert doc.read_bytes() == before
    locks = env.workdir / ".pm-sync" / "locks"
    assert not locks.exists() or not any(locks.iterdir())  # the run's lock went with it
