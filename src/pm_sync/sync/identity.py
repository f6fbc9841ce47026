"""Which postmortem and which row a ticket belongs to: the markers every ticket carries.

A ticket carries two markers: its item's (`pm-sync-<12 hex>`, from the document's identity and
the row's action text) and its document's (`pm-sync-doc-<12 hex>`). The item marker finds a
ticket an interrupted run created; the document marker finds every ticket of a postmortem, so a
row whose text was edited can adopt its ticket, and a deleted row's ticket is reported.

The document's identity never depends on where the command is run from: front matter `id`,
else its path inside its git repository, else its path inside the project root (the config
file's folder), else its file name.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from pm_sync.document.model import ActionItem, Postmortem

MARKER_PREFIX = "pm-sync-"
DOC_PREFIX = "pm-sync-doc-"


@lru_cache(maxsize=1024)
def _git_root(folder: Path) -> Path | None:
    if (folder / ".git").exists():
        return folder
    parent = folder.parent
    return None if parent == folder else _git_root(parent)


def document_id(path: str | Path, root: Path, declared: str | None = None) -> str:
    if declared:
        return declared
    try:
        resolved = Path(os.path.abspath(path))
        resolved = resolved.resolve()
    except OSError:
        return Path(path).name
    git = _git_root(resolved.parent)
    if git is not None:
        return resolved.relative_to(git).as_posix()
    try:
        base = root.resolve()
    except OSError:
        base = root
    if resolved.is_relative_to(base):
        return resolved.relative_to(base).as_posix()
    return resolved.name


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def document_marker(doc_id: str) -> str:
    return DOC_PREFIX + _digest(doc_id)


def item_marker(doc_id: str, item: ActionItem) -> str:
    norm = " ".join((item.action or "").split()).casefold()
    return MARKER_PREFIX + _digest(f"{doc_id}\n{norm}\n{item.occurrence}")


class Identity:
    """A postmortem's markers, computed once per run."""

    def __init__(self, pm: Postmortem, root: Path) -> None:
        self.doc_id = document_id(pm.path, root, pm.doc_id or None)
        self.document = document_marker(self.doc_id)
        self.items = {item.uid: item_marker(self.doc_id, item) for item in pm.action_items}

    def marker(self, item: ActionItem) -> str:
        return self.items[item.uid]
