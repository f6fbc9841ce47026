"""`pm-sync.toml`: validated settings, secrets only by environment-variable name."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pm_sync.config_errors import from_validation, located
from pm_sync.errors import ConfigError, UsageError
from pm_sync.project import CONFIG_FILE, STATE_DIR, Root, find_root, project_root
from pm_sync.tracker.contract import ConnectorConfig, find_owner_entry
from pm_sync.tracker.registry import installed_names, load_connector

__all__ = ["CONFIG_ENV", "CONFIG_FILE", "STATE_DIR", "Config", "find_root", "load_config", "locate"]

CONFIG_ENV = "PM_SYNC_CONFIG"
DEFAULT_DOC_PATHS = ["docs/technical/postmortem-*.md"]


class DocsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paths: list[str] = Field(default_factory=lambda: list(DEFAULT_DOC_PATHS))


class SafetyConfig(BaseModel):
    """Brakes on a run that would change far more tickets than usual (see `--force`)."""

    model_config = ConfigDict(extra="forbid")

    max_creates: int = Field(default=100, ge=0)
    max_updates: int = Field(default=100, ge=0)


class Config(BaseModel):
    """The whole file; tracker tables stay raw until the tracker is used, so plugins can add keys."""

    model_config = ConfigDict(extra="forbid")

    tracker: str = "local"
    project: str | None = None
    unknown_owner: Literal["error", "unassigned"] = "error"
    labels: list[str] = Field(default_factory=list)
    timezone: str = "UTC"
    routes: dict[str, str] = Field(default_factory=dict, description="project or key prefix -> tracker name")
    owners: dict[str, dict[str, str]] = Field(default_factory=dict)
    docs: DocsConfig = Field(default_factory=DocsConfig)
    safety: SafetyConfig = Field(default_factory=SafetyConfig)
    trackers: dict[str, dict[str, Any]] = Field(default_factory=dict)

    path: str | None = Field(default=None, exclude=True)
    base_dir: Path | None = Field(default=None, exclude=True)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def root(self) -> Path:
        """The project root, where relative paths and `.pm-sync/` live: the config file's folder,
        else the nearest folder above holding `.pm-sync/`, else the repository root, else the
        working directory."""
        if self.base_dir is None:
            self.base_dir = project_root().path
        return self.base_dir

    def owner_entry(self, handle: str) -> Mapping[str, str]:
        """Owner-map entry for a table's owner cell; `@alice`, `alice` and `@Alice` are one person."""
        return find_owner_entry(self.owners, handle)

    def tracker_config(self, name: str) -> ConnectorConfig:
        cls = load_connector(name)
        raw = dict(self.trackers.get(name, {}))
        if "project" not in raw and self.project and name == self.tracker:
            raw["project"] = self.project
        try:
            return cls.config_model.model_validate(raw)
        except ValidationError as exc:
            raise from_validation(exc, self.path, cls.config_model, prefix=("trackers", name)) from None


def find_config_path(
    explicit: str | Path | None, env: Mapping[str, str] | None = None, near: Sequence[str | Path] = ()
) -> Path | None:
    environ = os.environ if env is None else env
    if explicit:
        return Path(explicit)
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    candidate = root_of(near).path / CONFIG_FILE
    return candidate if candidate.is_file() else None


def root_of(near: Sequence[str | Path] = ()) -> Root:
    """The project root for a run over `near` (the paths it was given), as `project_root`."""
    try:
        return project_root(near=near)
    except ValueError as exc:
        raise UsageError(
            f"the postmortems given belong to more than one project ({exc})",
            hint="run pm-sync once per project, from inside it, or pass --config",
        ) from None


@dataclass(frozen=True)
class Location:
    """Which project root and config file a run uses, and why (`--verbose` prints it)."""

    root: Root
    config: Path | None
    config_reason: str


def locate(
    explicit: str | Path | None = None, env: Mapping[str, str] | None = None, near: Sequence[str | Path] = ()
) -> Location:
    environ = os.environ if env is None else env
    path = find_config_path(explicit, env, near)
    if path is None:
        return Location(root_of(near), None, "none found: defaults, embedded local tracker")
    reason = (
        "--config"
        if explicit
        else f"${CONFIG_ENV}"
        if environ.get(CONFIG_ENV)
        else "found by searching upward"
    )
    folder = path.resolve().parent
    return Location(Root(folder, "the config file's folder"), path, reason)


def load_config(
    explicit: str | Path | None = None, env: Mapping[str, str] | None = None, near: Sequence[str | Path] = ()
) -> Config:
    """No file at all is fine: the defaults use the embedded local tracker. `near`, the paths
    a run was given, finds the project when the working directory is in none."""
    path = find_config_path(explicit, env, near)
    if path is None:
        return Config(base_dir=root_of(near).path) if near else Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(
            "config file not found", path=str(path), hint=f"create it, or unset {CONFIG_ENV} / --config"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"\(at line (\d+), column \d+\)$", str(exc))
        line = int(where.group(1)) if where else None
        if line is None and str(exc).endswith("(at end of document)"):
            line = max(1, len(path.read_text(encoding="utf-8-sig").splitlines()))
        raise ConfigError(
            f"config is not valid TOML: {str(exc).split(' (at ')[0]}",
            path=str(path),
            line=line,
            hint="see config.example.toml for the syntax",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config: {exc}", path=str(path)) from None
    _reject_inline_secrets(data, str(path))
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise from_validation(exc, str(path), Config) from None
    config.path = str(path)
    config.base_dir = path.resolve().parent
    _check_tracker_names(config)
    return config


def _check_tracker_names(config: Config) -> None:
    """A misspelt tracker is a config error naming its key, not a failure on first use."""
    installed = installed_names()
    named = [("tracker", config.tracker)]
    named += [(f"routes.{prefix}", name) for prefix, name in config.routes.items()]
    for key, name in named:
        if name not in installed:
            near = difflib.get_close_matches(name, installed, n=1, cutoff=0.6)
            raise located(
                f"invalid value for {key!r}: unknown tracker {name!r}",
                config.path,
                tuple(key.split(".", 1)),
                hint=(f"did you mean {near[0]!r}? " if near else "")
                + f"use one of: {', '.join(installed)}, or install the plugin that adds it",
            )


_SECRET_KEYS = {"token", "password", "api_token", "secret", "webhook", "webhook_url", "pat"}


def _reject_inline_secrets(data: Mapping[str, Any], path: str, prefix: tuple[str, ...] = ()) -> None:
    for key, value in data.items():
        dotted = ".".join((*prefix, str(key)))
        if isinstance(value, Mapping):
            _reject_inline_secrets(value, path, (*prefix, str(key)))
        elif str(key).lower() in _SECRET_KEYS:
            raise located(
                f"config key {dotted!r} holds a secret inline",
                path,
                (*prefix, str(key)),
                hint=f"put the secret in an environment variable and set '{key}_env' instead",
            )
