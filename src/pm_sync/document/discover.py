"""Turn the FILE/folder/glob arguments (or `[docs] paths`) into postmortem files."""

from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path

from pm_sync.errors import UsageError

FOLDER_PATTERN = "postmortem*.md"


def _relative(path: Path) -> Path:
    """Config-derived paths read best relative to the working directory (typed ones stay as typed)."""
    if not path.is_absolute():
        return path
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def expand(args: Sequence[str], defaults: Sequence[str] = (), base: Path | None = None) -> list[Path]:
    """Files as given; folders by the template's naming (`postmortem*.md`, recursively); globs.

    A path typed on the command line that does not exist is a usage error (exit 2) before
    anything runs, as a typo must not pass for "nothing to do" in CI; config paths that match
    nothing are only nothing."""
    root = base or Path.cwd()
    found: list[Path] = []
    for arg in args or defaults:
        path = Path(arg) if Path(arg).is_absolute() or args else root / arg
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob(FOLDER_PATTERN) if p.is_file()))
        elif glob.has_magic(str(path)) and not path.exists():
            matches = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
            found.extend(p for p in matches if p.is_file())
        elif path.exists() or path.is_symlink():
            found.append(path)
        elif args:
            raise UsageError(
                "no such file or folder", path=arg, hint="check the path, or quote a glob: 'docs/*.md'"
            )
    unique = list(dict.fromkeys(found if args else (_relative(p) for p in found)))
    if args and not unique:
        raise UsageError(
            f"no postmortem files match {', '.join(args)}", hint="pass files, folders or quoted globs"
        )
    return unique
