"""Which tracker and project each action item goes to, with connectors made once per run."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pm_sync.config import Config
from pm_sync.document.model import ActionItem, Postmortem
from pm_sync.errors import ConfigError, PmSyncError
from pm_sync.sync.journal import Journal
from pm_sync.tracker.contract import Connector, ConnectorContext, load_connector


@dataclass(frozen=True)
class Route:
    """Where an item lives: tracker name, project, and its key in the tracker's own spelling."""

    tracker: str
    project: str | None
    key: str | None


class Trackers:
    """Connectors for one run, created on first use so an unused tracker needs no credentials."""

    def __init__(self, config: Config, env: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.env = dict(os.environ if env is None else env)
        self._made: dict[str, Connector] = {}

    @property
    def base_dir(self) -> Path:
        return self.config.root

    @property
    def journal(self) -> Journal:
        return Journal(self.base_dir / ".pm-sync" / "inflight")

    def get(self, name: str) -> Connector:
        if name not in self._made:
            cls = load_connector(name)
            context = ConnectorContext(
                env=self.env, base_dir=self.base_dir, config_path=self.config.path, owners=self.config.owners
            )
            self._made[name] = cls(self.config.tracker_config(name), context)
        return self._made[name]

    def candidates(self, pm: Postmortem) -> list[str]:
        """Trackers an existing key may belong to: the default, the configured ones, and the
        embedded tracker (tickets made before a team moved to Jira or GitHub stay there)."""
        default = pm.tracker or self.config.tracker
        return list(dict.fromkeys([default, *self.config.trackers, "local"]))

    def default_project(self, pm: Postmortem, tracker: str) -> str | None:
        if pm.project:
            return pm.project
        connector = self.get(tracker)
        return connector.config.project

    def route(self, pm: Postmortem, item: ActionItem) -> Route:
        """Route by front matter, project hint, `[routes]` prefix, then by which tracker owns the key."""
        default = pm.tracker or self.config.tracker
        ref = (item.ticket or "").strip()
        if not ref:
            return Route(default, self.default_project(pm, default), None)
        routed = self._route_by_prefix(ref)
        names = ([routed] if routed else []) + self.candidates(pm)
        for name in dict.fromkeys(names):
            connector = self.get(name)
            hint = connector.is_project_hint(ref)
            if hint is not None:
                return Route(name, hint, None)
        for claim in ("is_native_key", "owns_key"):
            for name in dict.fromkeys(names):
                connector = self.get(name)
                if getattr(connector, claim)(ref):
                    project = self.default_project(pm, name)
                    return Route(name, project, connector.canonical_key(ref, project))
        raise PmSyncError(
            f"cannot tell which tracker ticket {ref!r} belongs to",
            path=pm.path,
            line=item.line,
            hint="add a [routes] entry for its prefix in pm-sync.toml, or fix the Ticket cell",
        )

    def _route_by_prefix(self, ref: str) -> str | None:
        upper = ref.upper()
        for prefix, tracker in sorted(self.config.routes.items(), key=lambda kv: -len(kv[0])):
            p = prefix.upper()
            if upper == p or upper.startswith((p + "-", p + "#")) or upper == p + "-?":
                if tracker not in self.candidates_all():
                    raise ConfigError(
                        f"route {prefix!r} names unknown tracker {tracker!r}",
                        path=self.config.path,
                        hint="define it under [trackers.NAME]",
                    )
                return tracker
        return None

    def candidates_all(self) -> set[str]:
        return {self.config.tracker, "local", *self.config.trackers}

    def close(self) -> None:
        for connector in self._made.values():
            connector.close()
        self._made.clear()
