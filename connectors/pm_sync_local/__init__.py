"""The embedded local tracker: tickets in SQLite under `.pm-sync/`, so pm-sync works offline."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

from pm_sync import failpoints
from pm_sync.document.model import ItemStatus, Priority
from pm_sync.tracker.contract import (
    Capabilities,
    Connector,
    ConnectorConfig,
    ConnectorContext,
    CreateResult,
    TicketChanges,
    TicketDraft,
    TicketFields,
    TicketState,
)
from pm_sync_local.store import LocalStore, Ticket

__all__ = ["LocalConfig", "LocalConnector", "LocalStore", "Ticket"]


class LocalConfig(ConnectorConfig):
    path: str = ".pm-sync/local.db"
    key_prefix: str = "PM"


class LocalConnector(Connector):
    name = "local"
    config_model = LocalConfig
    capabilities = Capabilities(bulk_create=True)

    def __init__(self, config: ConnectorConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        assert isinstance(config, LocalConfig)
        self.cfg = config
        self.store = LocalStore(self.db_path(config, context.base_dir), config.key_prefix)

    @staticmethod
    def db_path(config: LocalConfig, base_dir: Path) -> Path:
        path = Path(config.path)
        return path if path.is_absolute() else base_dir / path

    def owns_key(self, key: str) -> bool:
        return re.fullmatch(rf"{re.escape(self.cfg.key_prefix)}-\d+", key.strip(), re.IGNORECASE) is not None

    def canonical_key(self, ref: str, project: str | None) -> str:
        return ref.strip().upper()

    def is_project_hint(self, ref: str) -> str | None:
        value = ref.strip().upper()
        prefix = self.cfg.key_prefix.upper()
        return prefix if value in (prefix, f"{prefix}-?", f"{prefix}-") else None

    def _state(self, ticket: Ticket, requested: str | None = None) -> TicketState:
        base = TicketFields.model_validate(ticket.baseline) if ticket.baseline else None
        return TicketState(
            key=ticket.key,
            url=None,
            summary=ticket.summary,
            status=ItemStatus(ticket.status),
            priority=Priority(ticket.priority) if ticket.priority else None,
            assignee=ticket.owner,
            due=dt.date.fromisoformat(ticket.due) if ticket.due else None,
            marker=ticket.marker,
            baseline=base,
            requested_key=requested,
        )

    def find_by_markers(self, markers: Sequence[str], project: str | None) -> dict[str, TicketState]:
        return {m: self._state(t) for m, t in self.store.by_markers(markers).items()}

    def read(self, keys: Sequence[str]) -> dict[str, TicketState | None]:
        found = self.store.get_many([k.upper() for k in keys])
        return {k: (self._state(found[k.upper()], k) if k.upper() in found else None) for k in keys}

    def create(self, drafts: Sequence[TicketDraft]) -> list[CreateResult]:
        results = []
        for draft in drafts:
            ticket = self.store.insert(
                {
                    "summary": draft.summary,
                    "description": draft.description,
                    "priority": draft.priority.value if draft.priority else None,
                    "owner": draft.assignee,
                    "due": draft.due.isoformat() if draft.due else None,
                    "postmortem": draft.postmortem.path,
                    "marker": draft.marker,
                    "baseline": draft.owned().model_dump(mode="json"),
                }
            )
            results.append(CreateResult(uid=draft.uid, state=self._state(ticket)))
            failpoints.hit("after-create-item")
        return results

    def update(self, key: str, changes: TicketChanges, baseline: TicketFields) -> TicketState:
        fields: dict[str, object] = {"baseline": baseline.model_dump(mode="json")}
        for name in changes.model_fields_set:
            value = getattr(changes, name)
            column = "owner" if name == "assignee" else name
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, Priority):
                value = value.value
            fields[column] = value
        return self._state(self.store.update(key, fields))
