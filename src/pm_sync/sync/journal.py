"""Creates in flight: a marker is noted here before its create is sent and removed once the
ticket is known (its key in the file, or the create certainly refused).

A tracker whose search lags behind its writes (Jira says so outright) may not show a ticket
created moments ago. A marker still noted here is therefore never created again on a miss: the
run waits for it, and a later run looks again, until the ticket turns up or a person says it is
lost (`--retry-lost`). Entries do not expire on their own.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from pm_sync import clock
from pm_sync.errors import PmSyncError
from pm_sync.project import make_dirs


@dataclass(frozen=True)
class Entry:
    marker: str
    tracker: str
    path: str
    line: int
    action: str
    sent_at: float


class Journal:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, marker: str) -> Path:
        return self.folder / f"{marker}.json"

    def record(self, entries: Iterable[Entry]) -> None:
        """Before any create is sent: a folder that cannot be written stops the file here."""
        entries = list(entries)
        if not entries:
            return
        try:
            make_dirs(self.folder)
            for entry in entries:
                tmp = self.folder / f".{entry.marker}.{os.getpid()}.tmp"
                tmp.write_text(json.dumps(asdict(entry)), encoding="utf-8")
                os.replace(tmp, self._path(entry.marker))
        except OSError as exc:
            raise PmSyncError(
                f"cannot record the creates in flight in {self.folder}: {exc.strerror or exc}",
                path=str(self.folder),
                hint=f"make {self.folder.parent} writable by this account; nothing was created",
            ) from None

    def clear(self, markers: Iterable[str]) -> None:
        for marker in markers:
            with contextlib.suppress(OSError):  # a leftover only costs a look-up
                self._path(marker).unlink()
            with contextlib.suppress(FileNotFoundError):
                (self.folder / marker).unlink()  # written by pm-sync before 0.2

    def pending(self, markers: Iterable[str]) -> dict[str, Entry]:
        """The markers among `markers` whose create may have reached the tracker."""
        out: dict[str, Entry] = {}
        if not self.folder.is_dir():
            return out
        for marker in markers:
            entry = self._read(marker)
            if entry is not None:
                out[marker] = entry
        return out

    def _read(self, marker: str) -> Entry | None:
        path = self._path(marker)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Entry(**data)
        except FileNotFoundError:
            legacy = self.folder / marker
            if legacy.is_file():
                return Entry(marker, "", "", 0, "", legacy.stat().st_mtime)
            return None
        except (OSError, ValueError, TypeError):
            return Entry(marker, "", "", 0, "", clock.now())
