"""Which tracker and project each action item goes to, with connectors made once per run."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pm_sync.config import Config
from pm_sync.document.model import ActionItem, Postmortem
from pm_sync.errors import DocumentError
from pm_sync.sync.journal import Journal
from pm_sync.tracker.contract import Connector, ConnectorConfig, ConnectorContext
from pm_sync.tracker.registry import load_connector
from pm_sync.tracker.tickets import TicketRef


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
        self._made: dict[str, Connector[ConnectorConfig]] = {}
        self.journal = Journal(self.root / ".pm-sync" / "inflight")

    @property
    def root(self) -> Path:
        return self.config.root

    def get(self, name: str) -> Connector[ConnectorConfig]:
        if name not in self._made:
            cls = load_connector(name)
            context = ConnectorContext(
                env=self.env, root=self.root, config_path=self.config.path, owners=self.config.owners
            )
            self._made[name] = cls(self.config.tracker_config(name), context)
        return self._made[name]

    def made(self) -> dict[str, Connector[ConnectorConfig]]:
        return dict(self._made)

    def candidates(self, pm: Postmortem) -> list[str]:
        """Trackers an existing key may belong to: the default, the configured ones, and the
        embedded tracker (tickets made before a team moved to Jira or GitHub stay there)."""
        default = pm.tracker or self.config.tracker
        return list(dict.fromkeys([default, *self.config.trackers, "local"]))

    def default_project(self, pm: Postmortem, tracker: str) -> str | None:
        if pm.project:
            return pm.project
        return self.get(tracker).config.project

    def route(self, pm: Postmortem, item: ActionItem) -> Route:
        """By front matter, project hint, `[routes]` prefix, then by which tracker reads the key:
        one that claims it as its own (its project, its prefix) wins over a mere shape match."""
        default = pm.tracker or self.config.tracker
        ref = (item.ticket or "").strip()
        if not ref:
            return Route(default, self.default_project(pm, default), None)
        routed = self._route_by_prefix(ref)
        names = list(dict.fromkeys(([routed] if routed else []) + self.candidates(pm)))
        claims: list[tuple[str, TicketRef]] = []
        for name in names:
            claim = self.get(name).parse_ref(ref)
            if claim is not None:
                claims.append((name, claim))
        for name, claim in claims:
            if claim.key is None:
                return Route(name, claim.project or self.default_project(pm, name), None)
        for native in (True, False):
            for name, claim in claims:
                if claim.native == native and claim.key is not None:
                    return Route(name, claim.project or self.default_project(pm, name), claim.key)
        raise DocumentError(
            f"cannot tell which tracker ticket {ref!r} belongs to",
            path=pm.path,
            line=item.line,
            hint="add a [routes] entry for its prefix in pm-sync.toml, or fix the Ticket cell",
        )

    def _route_by_prefix(self, ref: str) -> str | None:
        upper = ref.upper()
        for prefix, tracker in sorted(self.config.routes.items(), key=lambda kv: -len(kv[0])):
            p = prefix.upper()
            if upper == p or upper.startswith((p + "-", p + "#")):
                return tracker
        return None

    def close(self) -> None:
        for connector in self._made.values():
            connector.close()
        self._made.clear()
