"""`pm-sync push *.md | head -1`: the reader goes away, the run goes on.

Every postmortem is still pushed and gets its keys, and the exit code is the run's, not a
traceback or the 1 that a broken pipe used to force.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STANDARD_ROWS, local_tickets, postmortem_text

ROWS = [(*r, "") for r in STANDARD_ROWS]
NAMES = [f"postmortem-{n}.md" for n in ("alpha", "bravo", "charlie", "delta")]


def _docs(workdir: Path) -> list[Path]:
    paths = []
    for name in NAMES:
        path = workdir / name
        path.write_text(postmortem_text(ROWS, title=name))
        paths.append(path)
    return paths


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PM_SYNC_")}


def _with_closed_pipe(
    workdir: Path, args: list[str], *, close_stderr: bool = False, env: dict[str, str] | None = None
) -> tuple[int, str]:
    """Run with stdout (and maybe stderr) a pipe whose reader has already gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    err_read, err_write = os.pipe()
    if close_stderr:
        os.close(err_read)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pm_sync", *args],
            cwd=workdir,
            env={**_env(), **(env or {})},
            stdout=write_end,
            stderr=err_write,
        )
    finally:
        os.close(write_end)
        os.close(err_write)
    if close_stderr:
        return proc.wait(60), ""
    with os.fdopen(err_read, "rb") as err:
        stderr = err.read().decode()
    return proc.wait(60), stderr


def _all_keyed(paths: list[Path]) -> bool:
    return all(path.read_text().count("| PM-") == 3 for path in paths)


@pytest.mark.parametrize("output", ["text", "json"])
def test_push_to_a_closed_pipe_processes_every_file_and_exits_0(workdir: Path, output: str) -> None:
    paths = _docs(workdir)

    code, stderr = _with_closed_pipe(workdir, ["push", *NAMES, *(["--json"] if output == "json" else [])])

    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    assert code == 0
    assert _all_keyed(paths)
    assert len(local_tickets(workdir)) == 12


@pytest.mark.parametrize("output", ["text", "json"])
def test_a_failing_file_still_gives_exit_1_through_a_closed_pipe(workdir: Path, output: str) -> None:
    paths = _docs(workdir)
    os.chmod(paths[1], 0o444)

    code, _ = _with_closed_pipe(
        workdir, ["push", *NAMES, *(["--json"] if output == "json" else [])], close_stderr=True
    )

    assert code == 1
    assert _all_keyed([p for i, p in enumerate(paths) if i != 1])
    assert "| PM-" not in paths[1].read_text()


def test_reconcile_json_to_a_closed_pipe_exits_with_the_runs_code(workdir: Path) -> None:
    paths = _docs(workdir)
    assert _with_closed_pipe(workdir, ["push", *NAMES])[0] == 0

    code, stderr = _with_closed_pipe(workdir, ["reconcile", *NAMES, "--json"])

    assert code == 0 and "Traceback" not in stderr, stderr
    assert _all_keyed(paths)


def test_push_piped_into_head_dash_1(workdir: Path) -> None:
    """The real pipeline: head prints the first line and exits while pm-sync is still working."""
    paths = _docs(workdir)
    push = subprocess.Popen(
        [sys.executable, "-m", "pm_sync", "push", *NAMES],
        cwd=workdir,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert push.stdout is not None
    head = subprocess.Popen(["head", "-1"], stdin=push.stdout, stdout=subprocess.PIPE)
    push.stdout.close()
    first_line, _ = head.communicate(timeout=60)
    _, stderr = push.communicate(timeout=60)

    assert first_line.decode().startswith(f"ok {NAMES[0]}: created 3")
    assert push.returncode == 0 and b"Traceback" not in stderr, stderr
    assert _all_keyed(paths)


# --- reports: overdue, stats, migrate ---------------------------------------------------------


class _Slack(BaseHTTPRequestHandler):
    posts: list[bytes]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.posts.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


@pytest.fixture
def slack() -> Iterator[tuple[str, list[bytes]]]:
    """A Slack incoming webhook on 127.0.0.1 that keeps what it is sent."""
    posts: list[bytes] = []
    handler = type("Hook", (_Slack,), {"posts": posts})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/services/T0/B0/hook", posts
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown"])
def test_overdue_to_a_closed_pipe_still_posts_to_slack_and_exits_0(
    workdir: Path, fmt: str, slack: tuple[str, list[bytes]]
) -> None:
    """`pm-sync overdue --json --slack-webhook-env VAR | head -0` in a weekly job: the report
    the pipe did not take still goes to Slack, and the job stays green."""
    url, posts = slack
    _docs(workdir)

    code, stderr = _with_closed_pipe(
        workdir,
        ["overdue", *NAMES, "--as-of", "2024-01-25", "--format", fmt, "--slack-webhook-env", "PMS_HOOK"],
        env={"PMS_HOOK": url},
    )

    assert code == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    assert len(posts) == 1 and b"Integration test for connection pool" in posts[0]
    assert "posted the report to Slack ($PMS_HOOK)" in stderr


def test_overdue_fail_on_overdue_keeps_its_exit_1_through_a_closed_pipe(workdir: Path) -> None:
    _docs(workdir)

    code, stderr = _with_closed_pipe(
        workdir, ["overdue", *NAMES, "--as-of", "2024-01-25", "--json", "--fail-on-overdue"]
    )

    assert code == 1 and "Traceback" not in stderr, stderr


@pytest.mark.parametrize(
    "args", [["stats", "--json"], ["stats", "--format", "html"], ["stats", "--format", "csv"]]
)
def test_stats_to_a_closed_pipe_exits_0(workdir: Path, args: list[str]) -> None:
    _docs(workdir)

    code, stderr = _with_closed_pipe(workdir, [*args, *NAMES])

    assert code == 0 and "Traceback" not in stderr, stderr


def test_migrate_diffs_to_a_closed_pipe_exit_0_and_touch_nothing(workdir: Path) -> None:
    listed = "## Action items\n\n- [ ] P1: Alert on batch size — @bob, due 2024-02-20\n"
    paths = []
    for name in NAMES:
        path = workdir / name
        path.write_text(postmortem_text(ROWS, title=name).split("## Action items")[0] + listed)
        paths.append(path)
    before = [p.read_bytes() for p in paths]

    code, stderr = _with_closed_pipe(workdir, ["migrate", *NAMES])

    assert code == 0 and "Traceback" not in stderr, stderr
    assert [p.read_bytes() for p in paths] == before
