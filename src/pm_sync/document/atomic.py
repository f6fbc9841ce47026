"""Put new bytes in place of a postmortem without ever losing a save someone made meanwhile.

An editor may save the file at any moment while pm-sync writes it back. Comparing a digest
and then renaming leaves a window in which that save is replaced. On Linux the window is
closed with `renameat2(RENAME_EXCHANGE)`: our temp file and the postmortem swap names in one
step, we then read what we swapped out, and if it is not exactly the text our edit was based
on (someone saved in between) we swap it back and tell the caller to re-read and re-apply.
Where the kernel, libc or filesystem has no exchange (EINVAL, ENOSYS, EOPNOTSUPP, non-Linux),
we fall back to digest-check-then-`os.replace`, which still never clobbers a save made before
the check but keeps the few-microsecond window between check and rename.

The file is written through a symbolic link to its target (the link stays a link), with the
target's mode and ownership, fsynced, and its folder fsynced after the rename.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import hashlib
import os
import stat
import sys
import tempfile
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

from pm_sync import failpoints
from pm_sync.document.source import check_regular
from pm_sync.errors import DocumentError, WriteBackError

TEMP_SUFFIX = ".pm-sync.tmp"
MAX_SWAPS = 8
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP}

Exchange = Callable[[bytes, bytes], int]


def real_path(path: Path) -> Path:
    """The file a write really lands in: symbolic links followed, so the link stays a link."""
    return Path(os.path.realpath(path))


def temp_pattern(target: Path) -> str:
    return f".{target.name}.*{TEMP_SUFFIX}"


def remove_stale_temps(target: Path) -> None:
    """A run killed between writing its temp file and renaming it leaves the temp behind."""
    real = real_path(target)
    for stale in real.parent.glob(temp_pattern(real)):
        with contextlib.suppress(OSError):
            stale.unlink()


def check_writable(path: Path | str) -> None:
    """Refuse, before any ticket is made, a postmortem whose keys could not be written back.

    Write-back renames a new file over the old one, so the folder must take new files, the
    file itself must not be read-only (root ignores permission bits, so for root a file or
    folder with no write bit at all counts as read-only), and pm-sync must be able to give the
    new file the old one's owner and group.
    """
    shown = str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise DocumentError("file not found", path=shown, hint="check the path") from None
    except OSError as exc:
        raise DocumentError(f"cannot read file: {exc.strerror}", path=shown) from None
    check_regular(st, shown)
    real = real_path(Path(path))
    via = f" (the link's target {real})" if os.path.islink(path) else ""
    if not _may_write(real, st):
        raise WriteBackError(
            f"file is read-only (mode {stat.S_IMODE(st.st_mode):04o}){via}; pm-sync would have "
            "nowhere to write the ticket keys",
            path=shown,
            hint=f"make it writable (chmod u+w {real}) or run with --dry-run to see the plan",
        )
    _check_folder(real, shown)
    if not _can_keep_owner(st):
        raise WriteBackError(
            f"file belongs to uid {st.st_uid} gid {st.st_gid}{via}; written back by this account "
            "it would change owner",
            path=shown,
            hint="run pm-sync as the file's owner (or as root), so the file keeps its owner and group",
        )


def _may_write(real: Path, st: os.stat_result) -> bool:
    if os.geteuid() == 0:
        return bool(st.st_mode & 0o222)
    return os.access(real, os.W_OK, effective_ids=os.access in os.supports_effective_ids)


def _check_folder(real: Path, shown: str) -> None:
    """access(2) rather than a probe file: it sees permission bits, ACLs, a read-only mount
    and an immutable folder, and creates nothing an editor's file watcher would notice."""
    folder = real.parent
    hint = (
        f"pm-sync writes a new file next to the postmortem and renames it into place; make {folder} writable"
    )
    if os.geteuid() == 0 and not folder.stat().st_mode & 0o222:
        raise WriteBackError(f"folder {folder} is read-only", path=shown, hint=hint)
    if not os.access(folder, os.W_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids):
        raise WriteBackError(f"folder {folder} is not writable by this account", path=shown, hint=hint)


def _can_keep_owner(st: os.stat_result) -> bool:
    if os.geteuid() == 0:
        return True
    groups = {os.getegid(), *os.getgroups()}
    return st.st_uid == os.geteuid() and st.st_gid in groups


def digest_of(path: Path) -> str:
    """sha256 of a regular file; something else put in its place (a FIFO) is never read."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return f"not a regular file: {st.st_ino}"
        digest = hashlib.sha256()
        while chunk := os.read(fd, 1 << 20):
            digest.update(chunk)
        return digest.hexdigest()
    finally:
        os.close(fd)


def replace_if_unchanged(target: Path, base_digest: str, data: bytes) -> bool:
    """Put `data` at `target` if the file still holds the bytes whose sha256 is `base_digest`.

    False means someone saved the file in between: their save is in place, ours is not, and
    the caller should re-read the file and re-apply its edits.
    """
    real = real_path(target)
    tmp = _write_temp(real, data)
    try:
        failpoints.hit("writeback-before-rename")
        swapped = _exchange(tmp, real)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    if swapped:
        # From here `tmp` may hold someone's save: never delete it unread.
        return _settle(tmp, real, base_digest, hashlib.sha256(data).hexdigest())
    try:
        if digest_of(real) != base_digest:
            tmp.unlink()
            return False
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_dir(real.parent)
    return True


def _write_temp(real: Path, data: bytes) -> Path:
    """A temp file beside the target with its bytes, mode, owner and group, already on disk."""
    st = os.stat(real)
    fd, name = tempfile.mkstemp(prefix=f".{real.name}.", suffix=TEMP_SUFFIX, dir=real.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            mine = os.fstat(handle.fileno())
            if (mine.st_uid, mine.st_gid) != (st.st_uid, st.st_gid):
                try:
                    os.fchown(handle.fileno(), st.st_uid, st.st_gid)
                except PermissionError:
                    raise WriteBackError(
                        f"cannot give the new file owner uid {st.st_uid} gid {st.st_gid}",
                        path=str(real),
                        hint="run pm-sync as the file's owner (or as root)",
                    ) from None
            os.fchmod(handle.fileno(), stat.S_IMODE(st.st_mode))
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return tmp


def _settle(tmp: Path, real: Path, base_digest: str, ours: str) -> bool:
    """After the swap `tmp` holds what was at the target: keep the swap only if that was our base."""
    if digest_of(tmp) == base_digest:
        tmp.unlink()
        fsync_dir(real.parent)
        return True
    _give_back(tmp, real, ours)
    return False


def _give_back(tmp: Path, real: Path, at_target: str) -> None:
    """Swap a save we displaced back into place.

    Each swap must take out exactly what we last put in; if it takes out something else,
    that is a newer save made after our swap, so it goes back in on the next turn.
    """
    for _ in range(MAX_SWAPS):
        putting = digest_of(tmp)
        _exchange(tmp, real)
        if digest_of(tmp) == at_target:
            tmp.unlink()
            fsync_dir(real.parent)
            return
        at_target = putting
        time.sleep(0.001)
    kept = real.with_name(f"{real.name}.concurrent-save-{int(time.time())}")
    os.replace(tmp, kept)
    raise WriteBackError(
        "file kept changing while pm-sync put a concurrent save back in place",
        path=str(real),
        hint=f"compare it with {kept} (another save made meanwhile) and keep the right one",
    )


def _exchange(a: Path, b: Path) -> bool:
    """Swap two names atomically; False where this system cannot (then nothing was swapped)."""
    fn = _renameat2()
    if fn is None:
        return False
    if fn(os.fsencode(a), os.fsencode(b)) == 0:
        return True
    err = ctypes.get_errno()
    if err in _UNSUPPORTED:
        return False
    raise OSError(err, os.strerror(err), str(b))


@cache
def _renameat2() -> Exchange | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        raw = libc.renameat2
    except (OSError, AttributeError):
        return None
    raw.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    raw.restype = ctypes.c_int

    def swap(a: bytes, b: bytes) -> int:
        return int(raw(_AT_FDCWD, a, _AT_FDCWD, b, _RENAME_EXCHANGE))

    return swap


def fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
