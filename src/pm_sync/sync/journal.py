"""Creates in flight, so a run killed mid-create waits out the tracker's search lag on rerun.

Trackers' searches are eventually consistent (Jira says so outright): right after a create, the
marker lookup may not see the new ticket yet. A marker is recorded here before its create is
sent and removed once its key is in the file; a rerun that finds a recorded marker missing asks
the tracker again, with backoff, before creating anything.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from pathlib import Path

from pm_sync.errors import PmSyncError

STALE_AFTER = 3600.0


class Journal:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, marker: str) -> Path:
        return self.folder / marker

    def record(self, markers: Iterable[str]) -> None:
        """Before any create is sent: a folder that cannot be written stops the file here."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for marker in markers:
                self._path(marker).touch()
        except OSError as exc:
            raise PmSyncError(
                f"cannot record the creates in flight in {self.folder}: {exc.strerror or exc}",
                path=str(self.folder),
                hint=f"make {self.folder.parent} writable by this account; nothing was created",
            ) from None

    def clear(self, markers: Iterable[str]) -> None:
        for marker in markers:
            with contextlib.suppress(OSError):  # a leftover only costs a wait, within the hour
                self._path(marker).unlink()

    def pending(self, markers: Iterable[str]) -> list[str]:
        """Markers whose create may have reached the tracker in the last hour."""
        now = time.time()
        out = []
        for marker in markers:
            try:
                age = now - self._path(marker).stat().st_mtime
            except FileNotFoundError:
                continue
            if age < STALE_AFTER:
                out.append(marker)
            else:
                self.clear([marker])
        return out
