"""The project a run belongs to: its root folder, found as git finds a repository, and the
`.pm-sync/` folder pm-sync keeps there.

Nothing here imports the rest of pm-sync, so connectors and the sync engine can make the state
folder without import cycles.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
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


def project_root(start: Path | None = None, near: Sequence[str | Path] = ()) -> Root:
    """`find_root`, else the repository root (so the first run from a subfolder makes
    `.pm-sync/` where every later run finds it), else the project of the postmortems given
    (`near`), as ruff finds its config from the file; else the working directory, or the
    postmortems' folder when they all lie in one folder outside it (never a file-system root:
    postmortems spread over the disk get no `.pm-sync/` at `/`).

    Without that third step, `pm-sync push ../docs/pm.md` from a folder in no project made a
    fresh, empty tracker in that folder, and a later run from the project found every ticket
    missing. Postmortems of two projects at once are a `ValueError`: run once per project."""
    here = (start or Path.cwd()).resolve()
    found = _search(here)
    if found is not None:
        return found
    theirs = {r.path: r for r in (_search(_folder(p)) for p in near) if r is not None}
    if len(theirs) > 1:
        raise ValueError(" and ".join(str(p) for p in sorted(theirs)))
    if theirs:
        (root,) = theirs.values()
        why = f"{root.reason}, found from the postmortems given (the working directory is in none)"
        return Root(root.path, why)
    folders = {_folder(p) for p in near}
    if len(folders) == 1:
        (only,) = folders
        if not only.is_relative_to(here) and only != Path(only.anchor):
            return Root(only, "the postmortems' folder: no project above it or the working directory")
    return Root(here, "the working directory: no pm-sync.toml, .pm-sync/ or .git above it")


def _folder(path: str | Path) -> Path:
    p = Path(path).expanduser()
    while not p.exists() and p != p.parent:  # a glob or a missing file: its nearest real folder
        p = p.parent
    return (p if p.is_dir() else p.parent).resolve()


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
