"""Serialize runs on the same postmortem across processes and accounts.

The lock lives with the project, under `<project root>/.pm-sync/locks/`, not in the system
temp folder: cron jobs and systemd units get their own TMPDIR or private /tmp, and a lock
there serializes nothing. Whoever creates the folder makes it writable by everyone with the
sticky bit (as /tmp is), so a teammate's or a service account's run can add its own lock
files; a lock file someone else created is opened read-only, which is all `flock` needs.
A run removes the lock file it made when it is done, so no file stays behind in the repo.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pm_sync import clock
from pm_sync.errors import LockError
from pm_sync.project import make_dirs

DEFAULT_TIMEOUT = 300.0
LOCKS_FOLDER = Path(".pm-sync") / "locks"
FOLDER_MODE = 0o1777
FILE_MODE = 0o666
_POLL = 0.05


def lock_path(path: Path, root: Path) -> Path:
    """One lock per postmortem file, whichever name (or link) it was reached by."""
    digest = hashlib.sha256(os.path.realpath(path).encode()).hexdigest()[:24]
    return root / LOCKS_FOLDER / f"{digest}.lock"


@contextmanager
def postmortem_lock(path: Path, root: Path, timeout: float = DEFAULT_TIMEOUT) -> Iterator[None]:
    """Hold the postmortem's lock; the lock file is removed again when this run made it.

    Removing a lock file is safe only with care: a waiter may already hold the old file open.
    So the file is unlinked while still locked, and whoever gets a lock checks that the file
    it locked is still the one at the lock path, else it starts over with the new file.
    """
    target = lock_path(path, root)
    deadline = time.monotonic() + timeout
    while True:
        fd = _open(target, path)
        try:
            _acquire(fd, path, timeout, deadline)
        except BaseException:
            os.close(fd)
            raise
        if _still_at(target, fd):
            break
        os.close(fd)  # unlinked by its last holder while we waited: lock the new one
    try:
        yield
    finally:
        if os.fstat(fd).st_uid == os.geteuid():
            with contextlib.suppress(OSError):
                target.unlink()
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _still_at(target: Path, fd: int) -> bool:
    try:
        linked = os.stat(target, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return os.path.samestat(linked, os.fstat(fd))


def _acquire(fd: int, path: Path, timeout: float, deadline: float) -> None:
    """Wait for the lock; a wait long enough to notice is said once, as every wait is."""
    said = False
    started = time.monotonic()
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        now = time.monotonic()
        if not said and now - started >= clock.ANNOUNCE_AFTER:
            said = True
            clock.say(f"waiting up to {deadline - now:.0f} s: another pm-sync run is working on {path}")
        if now >= deadline:
            raise LockError(
                f"another pm-sync run has held this postmortem for over {timeout:.0f}s",
                path=str(path),
                hint="wait for it to finish, then run again",
            )
        time.sleep(_POLL)


def _open(target: Path, path: Path) -> int:
    """The lock file's descriptor: created if need be, else opened as it is."""
    _make_folder(target.parent, path)
    flags = os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK
    try:
        fd = os.open(target, os.O_RDWR | os.O_CREAT | flags, FILE_MODE)
    except PermissionError:
        fd = _open_existing(target, path, flags)
    except OSError as exc:
        raise _error(target, path, exc) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise _bad_kind(target, path)
    if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) != FILE_MODE:
        with contextlib.suppress(OSError):
            os.fchmod(fd, FILE_MODE)  # umask trimmed it; other accounts need to open it too
    return fd


def _open_existing(target: Path, path: Path, flags: int) -> int:
    """Another account's lock file (or a folder we cannot add to): read access is enough."""
    try:
        return os.open(target, os.O_RDONLY | flags)
    except FileNotFoundError:
        raise LockError(
            f"cannot create lock file {target}: its folder is not writable",
            path=str(path),
            hint=f"make {target.parent} writable by everyone who runs pm-sync (chmod 1777)",
        ) from None
    except OSError as exc:
        raise _error(target, path, exc) from None


def _make_folder(folder: Path, path: Path) -> None:
    if folder.is_dir():
        return
    for part in (folder.parent, folder):
        if part.exists() and not part.is_dir():
            raise LockError(
                f"{part} is not a folder, so pm-sync cannot keep its lock files in {folder}",
                path=str(path),
                hint=f"remove or rename {part}",
            )
    try:
        make_dirs(folder.parent)
        folder.mkdir()
        os.chmod(folder, FOLDER_MODE)
    except FileExistsError:
        pass  # another run made it a moment ago
    except OSError as exc:
        raise LockError(
            f"cannot create lock folder {folder}: {exc.strerror}",
            path=str(path),
            hint=f"make {folder.parent} writable, or create {folder} with mode 1777",
        ) from None


def _bad_kind(target: Path, path: Path) -> LockError:
    return LockError(
        f"lock path {target} is not a regular file",
        path=str(path),
        hint=f"remove {target}; pm-sync creates it again",
    )


def _error(target: Path, path: Path, exc: OSError) -> LockError:
    if exc.errno in (errno.EISDIR, errno.ELOOP, errno.ENXIO, errno.ENOTDIR):
        return _bad_kind(target, path)
    return LockError(
        f"cannot open lock file {target}: {exc.strerror}",
        path=str(path),
        hint=f"check the permissions of {target.parent}",
    )
