"""The embedded local tracker: tickets in SQLite under `.pm-sync/`, so pm-sync works offline."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from pm_sync import failpoints
from pm_sync.diagnostics import Diagnostic
from pm_sync.document.model import ItemStatus, Priority
from pm_sync.tracker import (
    Capabilities,
    Connector,
    ConnectorConfig,
    ConnectorContext,
    TicketChanges,
    TicketDraft,
    TicketFields,
    TicketRef,
    TicketState,
)
from pm_sync_local.store import LocalStore, Ticket

__all__ = ["LocalConfig", "LocalConnector", "LocalStore", "Ticket"]

_COLUMN = {"action": "summary", "owner": "owner", "priority": "priority", "due": "due"}


class LocalConfig(ConnectorConfig):
    path: str = ".pm-sync/local.db"
    key_prefix: str = "PM"


def _time(value: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


class LocalConnector(Connector[LocalConfig]):
    name = "local"
    config_model = LocalConfig
    capabilities = Capabilities()

    def __init__(self, config: LocalConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self.store = LocalStore(self.db_path(config, context.root), config.key_prefix)
        self._key = re.compile(rf"{re.escape(config.key_prefix)}-\d+", re.IGNORECASE)

    @staticmethod
    def db_path(config: LocalConfig, root: Path) -> Path:
        path = Path(config.path)
        return path if path.is_absolute() else root / path

    def parse_ref(self, ref: str) -> TicketRef | None:
        value = ref.strip().upper()
        prefix = self.config.key_prefix.upper()
        if value in (prefix, f"{prefix}-?", f"{prefix}-"):
            return TicketRef(key=None, project=prefix, native=True)
        if self._key.fullmatch(value) and value == ref.upper():
            return TicketRef(key=value, project=None, native=True)
        return None

    def _state(self, ticket: Ticket) -> TicketState:
        base = TicketFields.model_validate(ticket.baseline) if ticket.baseline else None
        return TicketState(
            key=ticket.key,
            action=ticket.summary,
            status=ItemStatus(ticket.status),
            priority=Priority(ticket.priority) if ticket.priority else None,
            owner=ticket.owner,
            due=dt.date.fromisoformat(ticket.due) if ticket.due else None,
            marker=ticket.marker,
            document=ticket.document,
            baseline=base,
            created=_time(ticket.created),
            resolved=_time(ticket.resolved),
        )

    def find(self, markers: Sequence[str], projects: Sequence[str]) -> list[TicketState]:
        return [self._state(t) for t in self.store.by_markers(markers)]

    def read(self, keys: Sequence[str]) -> Mapping[str, TicketState | None]:
        found = self.store.get_many([k.upper() for k in keys])
        return {k: (self._state(found[k.upper()]) if k.upper() in found else None) for k in keys}

    def create(self, draft: TicketDraft) -> TicketState:
        ticket = self.store.insert(
            {
                "summary": draft.action,
                "description": draft.description,
                "priority": draft.priority.value if draft.priority else None,
                "owner": draft.owner,
                "due": draft.due.isoformat() if draft.due else None,
                "postmortem": draft.postmortem.path,
                "marker": draft.marker,
                "document": draft.document,
                "baseline": draft.fields().model_dump(mode="json"),
            }
        )
        failpoints.hit("after-create-item")
        return self._state(ticket)

    def update(self, key: str, changes: TicketChanges, baseline: TicketFields) -> None:
        fields: dict[str, object] = {"baseline": baseline.model_dump(mode="json")}
        for name in changes.names():
            value = getattr(changes, name)
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, Priority):
                value = value.value
            fields[_COLUMN[name]] = value
        self.store.update(key, fields)

    def owner_handle(self, identity: str) -> str | None:
        return identity if identity.startswith("@") else None

    def doctor(self, owners: Sequence[str], projects: Sequence[str]) -> list[Diagnostic]:
        from pm_sync_local.doctor import checks

        return checks(self.store, owners)
