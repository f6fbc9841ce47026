"""`pm-sync doctor` for the embedded tracker: can the database be read, or made where it belongs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from pm_sync.diagnostics import Diagnostic, error, info
from pm_sync.errors import PmSyncError
from pm_sync_local.store import LocalStore


def _nearest_existing(path: Path) -> Path:
    for folder in path.parents:
        if folder.exists():
            return folder
    return Path(path.anchor or ".")


def checks(store: LocalStore, owners: Sequence[str]) -> list[Diagnostic]:
    path = store.path
    out: list[Diagnostic] = []
    if path.exists():
        try:
            count = len(store.list())
        except PmSyncError as exc:
            return [error("local-database", exc.message, hint=exc.hint)]
        if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
            out.append(
                error(
                    "local-database",
                    f"the local tracker database {path} can be read but not written",
                    hint=f"make the file and its folder {path.parent} writable by this account",
                )
            )
        else:
            out.append(info("local-database", f"the local tracker database {path} holds {count} ticket(s)"))
    else:
        base = _nearest_existing(path)
        if base.is_dir() and os.access(base, os.W_OK | os.X_OK):
            out.append(info("local-database", f"the local tracker database {path} is made on the first push"))
        else:
            out.append(
                error(
                    "local-database",
                    f"the local tracker database {path} cannot be made: {base} is not a writable folder",
                    hint="make it writable by this account, or set trackers.local.path",
                )
            )
    who = f"{len(owners)} owner(s)" if owners else "owners"
    out.append(info("local-owners", f"the local tracker takes any owner handle ({who} in the postmortems)"))
    return out
