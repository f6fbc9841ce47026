"""The project a run belongs to: its root folder, found as git finds a repository, and the
`.pm-sync/` folder pm-sync keeps there.

Nothing here imports the rest of pm-sync, so connectors and the sync engine can make the state
folder without import cycles.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

CONFIG_FILE = "pm-sync.toml"
STATE_DIR = ".pm-sync"

STATE_GITIGNORE = """\
# Made by pm-sync when it made this folder. Commit local.db: it is the embedded tracker's
# tickets, so every checkout sees the same ones. The rest is one machine's run state
# (locks/, inflight/, SQLite's side files) and stays out of git.
*
!.gitignore
!local.db
"""


@dataclass(frozen=True)
class Root:
    """Where a run's relative paths and `.pm-sync/` live, and why that folder."""

    path: Path
    reason: str


def find_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above `start` holding `pm-sync.toml` or `.pm-sync/`, looking no
    further than the repository root (a `.git`) or the file-system root; as git finds its repo."""
    found = _search(start)
    return found.path if found is not None and found.reason != "the repository root" else None


def project_root(start: Path | None = None) -> Root:
    """`find_root`, else the repository root (so the first run from a subfolder makes
    `.pm-sync/` where every later run finds it), else the working directory."""
    here = (start or Path.cwd()).resolve()
    return _search(here) or Root(here, "the working directory: no pm-sync.toml, .pm-sync/ or .git above it")


def _search(start: Path | None) -> Root | None:
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return Root(folder, f"it holds {CONFIG_FILE}")
        if (folder / STATE_DIR).is_dir():
            return Root(folder, f"it holds {STATE_DIR}/")
        if (folder / ".git").exists():
            return Root(folder, "the repository root")
    return None


def make_dirs(folder: Path) -> None:
    """`folder.mkdir(parents=True, exist_ok=True)`, and a `.pm-sync/` made on the way gets its
    `.gitignore`, so git shows the tracker's database and nothing else."""
    made = [p for p in (folder, *folder.parents) if p.name == STATE_DIR and not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    for state in made:
        with contextlib.suppress(OSError), (state / ".gitignore").open("x", encoding="utf-8") as out:
            out.write(STATE_GITIGNORE)
