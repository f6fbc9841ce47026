"""How trackers are found: the `pm_sync.connectors` entry-point group.

Built-in trackers register exactly as a third-party package would, so the engine never
special-cases one of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points

from pm_sync.errors import ConfigError
from pm_sync.tracker.contract import Connector

ENTRY_POINT_GROUP = "pm_sync.connectors"
_registered: dict[str, type[Connector]] = {}  # type: ignore[type-arg]


@contextmanager
def registered(name: str, cls: type[Connector]) -> Iterator[None]:  # type: ignore[type-arg]
    """A tracker known for the duration, as if a package had registered it (tests, notebooks)."""
    before = _registered.get(name)
    _registered[name] = cls
    try:
        yield
    finally:
        if before is None:
            _registered.pop(name, None)
        else:
            _registered[name] = before


def installed_names() -> list[str]:
    return sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)} | set(_registered))


def available_connectors() -> dict[str, type[Connector]]:  # type: ignore[type-arg]
    """Installed trackers that import cleanly (a broken plugin is reported when it is used)."""
    found: dict[str, type[Connector]] = {}  # type: ignore[type-arg]
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found.setdefault(ep.name, load_connector(ep.name))
        except ConfigError:
            continue
    return found


def load_connector(name: str) -> type[Connector]:  # type: ignore[type-arg]
    if name in _registered:
        return _registered[name]
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=name):
        try:
            cls = ep.load()
        except ImportError as exc:
            raise ConfigError(
                f"tracker {name!r} is registered by {ep.value!r} but cannot be imported: {exc}",
                hint="reinstall the package that provides it",
            ) from exc
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise ConfigError(
                f"entry point {ep.value!r} for tracker {name!r} is not a pm_sync Connector",
                hint="check the plugin package that registers it",
            )
        return cls
    names = ", ".join(installed_names())
    raise ConfigError(
        f"unknown tracker {name!r}",
        hint=f"use one of: {names or 'none installed'}, or install a plugin that provides it",
    )
