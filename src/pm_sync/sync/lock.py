"""Serialize runs on the same postmortem across processes, without leaving files in the repo."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from pm_sync.errors import LockError

DEFAULT_TIMEOUT = 300.0


def lock_path(path: Path) -> Path:
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24]
    folder = Path(tempfile.gettempdir()) / "pm-sync-locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{digest}.lock"


@contextmanager
def postmortem_lock(path: Path, timeout: float = DEFAULT_TIMEOUT) -> Iterator[None]:
    lock = FileLock(str(lock_path(path)), timeout=timeout)
    try:
        with lock:
            yield
    except Timeout:
        raise LockError(
            f"another pm-sync run has held this postmortem for over {timeout:.0f}s",
            path=str(path),
            hint="wait for it to finish, then run again",
        ) from None
