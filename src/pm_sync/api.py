"""The Python API behind each CLI command, for scripts that prefer calling functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pm_sync.diagnostics import Diagnostic, error
from pm_sync.document.discover import expand
from pm_sync.document.model import Postmortem
from pm_sync.document.parse import parse_file
from pm_sync.errors import DocumentError, UsageError

if TYPE_CHECKING:
    from pm_sync.document.migrate import Migration
    from pm_sync_local import LocalStore

__all__ = ["iter_parse", "lint_paths", "local_store", "migrate_paths", "new_postmortem", "parse_paths"]


def parse_paths(paths: Sequence[str]) -> list[Postmortem]:
    """One result per file; a file that cannot be read is a result with that problem, so the
    other files still come through."""
    return list(iter_parse(paths))


def iter_parse(paths: Sequence[str]) -> Iterator[Postmortem]:
    """`parse_paths` one file at a time, for callers that need not hold every result at once."""
    for path in expand(paths):
        try:
            yield parse_file(path)
        except DocumentError as exc:
            yield Postmortem(
                path=str(path),
                unreadable=True,
                problems=[_unreadable(str(path), exc)],
            )


def lint_paths(paths: Sequence[str]) -> list[Diagnostic]:
    from pm_sync.linting import lint_file

    findings: list[Diagnostic] = []
    for path in expand(paths):
        try:
            findings.extend(lint_file(path))
        except DocumentError as exc:
            findings.append(_unreadable(str(path), exc))
    return findings


def _unreadable(path: str, exc: DocumentError) -> Diagnostic:
    return error("unreadable", exc.message, path=path, line=exc.line, hint=exc.hint)


def new_postmortem(
    title: str,
    *,
    severity: str | None = None,
    date: str | dt.date | None = None,
    quick: bool = False,
    directory: Path | None = None,
    authors: Sequence[str] | None = None,
) -> Path:
    """A new Draft; severity defaults to the template's (SEV2, quick SEV3), the folder to
    `docs/technical` under the project root, so `new` from a subfolder lands where the others are."""
    from pm_sync.document import scaffold
    from pm_sync.project import project_root

    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date)
        except ValueError:
            raise UsageError(
                f"--date {date!r} is not YYYY-MM-DD", hint="for example --date 2024-01-15"
            ) from None
    return scaffold.new_postmortem(
        title,
        severity=severity,
        date=date,
        quick=quick,
        directory=directory if directory is not None else project_root().path / "docs" / "technical",
        authors=list(authors) if authors else None,
    )


def local_store(config_path: str | None = None) -> LocalStore:
    from pm_sync.config import load_config
    from pm_sync_local import LocalConfig, LocalConnector, LocalStore

    config = load_config(config_path)
    cfg = config.tracker_config("local")
    assert isinstance(cfg, LocalConfig)
    return LocalStore(LocalConnector.db_path(cfg, config.root), cfg.key_prefix)


def migrate_paths(paths: Sequence[str], *, write: bool = False) -> list[Migration]:
    """Each list-style postmortem converted to the template's table: the new text (and a diff)
    always, the file rewritten only with `write`."""
    from pm_sync.document.migrate import migrate_file, write_migration

    return [write_migration(p) if write else migrate_file(p) for p in expand(paths)]
