"""Run pm-sync as another account (`nobody`), the way a teammate or a service account would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

NOBODY = 65534
root_only = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root to set owners and to drop to another uid"
)


def as_user(uid: int, argv: list[str]) -> list[str]:
    """`argv` run under another uid (and its own group only), through util-linux's setpriv."""
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *argv]


def can_run_as(uid: int, cwd: Path) -> bool:
    try:
        probe = subprocess.run(
            as_user(uid, [sys.executable, "-c", "import pm_sync"]), cwd=cwd, capture_output=True, check=False
        )
    except OSError:
        return False
    return probe.returncode == 0


def run_as(uid: int, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PM_SYNC_")}
    return subprocess.run(
        as_user(uid, [sys.executable, "-m", "pm_sync", *args]),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@contextmanager
def open_folder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project folder `nobody` can reach (pytest's tmp folders are root-only); skips the test
    where the Python running it cannot be executed by `nobody`."""
    folder = Path(tempfile.mkdtemp(prefix="pm-sync-other-account-"))
    try:
        os.chmod(folder, 0o755)
        if not can_run_as(NOBODY, folder):
            pytest.skip("the Python running the tests cannot be executed by uid 65534 here")
        monkeypatch.chdir(folder)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
