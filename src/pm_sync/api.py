"""The Python API behind each CLI command, for scripts that prefer calling functions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pm_sync.config import load_config
from pm_sync.discover import expand
from pm_sync.models import Postmortem
from pm_sync.parse import parse_file
from pm_sync.push import push

if TYPE_CHECKING:
    from pm_sync_local import LocalStore

__all__ = ["local_store", "parse_paths", "push"]


def parse_paths(paths: Sequence[str]) -> list[Postmortem]:
    return [parse_file(p) for p in expand(paths)]


def local_store(config_path: str | None = None) -> LocalStore:
    from pm_sync_local import LocalConfig, LocalConnector, LocalStore

    config = load_config(config_path)
    cfg = config.tracker_config("local")
    assert isinstance(cfg, LocalConfig)
    base = config.base_dir if config.path else Path.cwd()
    return LocalStore(LocalConnector.db_path(cfg, base), cfg.key_prefix)
