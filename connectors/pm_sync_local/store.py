"""The embedded tracker's SQLite store: one table, one transaction per write.

The marker column is UNIQUE, so even two runs racing past their lookups cannot both insert
a ticket for the same action item.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pm_sync.errors import NotFoundError, TrackerError

SCHEMA = """
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT UNIQUE,
    summary TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',
    priority TEXT,
    owner TEXT,
    due TEXT,
    postmortem TEXT,
    marker TEXT UNIQUE,
    baseline TEXT,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
"""
COLUMNS_ADDED = {"document": "TEXT", "resolved": "TEXT"}
"""Columns later versions added; older databases get them on first use."""
STATUSES = ("open", "in_progress", "done", "dropped")


@dataclass(frozen=True)
class Ticket:
    key: str
    summary: str
    description: str
    status: str
    priority: str | None
    owner: str | None
    due: str | None
    postmortem: str | None
    marker: str | None
    baseline: dict[str, object] | None
    document: str | None = None
    created: str | None = None
    resolved: str | None = None

    def public(self) -> dict[str, object]:
        return {
            "key": self.key,
            "summary": self.summary,
            "status": self.status,
            "priority": self.priority,
            "owner": self.owner,
            "due": self.due,
            "postmortem": self.postmortem,
        }


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class LocalStore:
    def __init__(self, path: Path, prefix: str = "PM") -> None:
        self.path = path
        self.prefix = prefix

    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        if not write and not self.path.exists():
            conn = sqlite3.connect(":memory:")
        else:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            except (OSError, sqlite3.Error) as exc:
                raise TrackerError(f"cannot open local tracker database: {exc}", path=str(self.path)) from exc
        conn.row_factory = sqlite3.Row
        try:
            conn.executescript(SCHEMA)
            have = {r[1] for r in conn.execute("PRAGMA table_info(tickets)")}
            for name, kind in COLUMNS_ADDED.items():
                if name not in have:
                    conn.execute(f"ALTER TABLE tickets ADD COLUMN {name} {kind}")
            if write:
                conn.execute("BEGIN IMMEDIATE")
            yield conn
            if write:
                conn.execute("COMMIT")
        except BaseException:
            if write and conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    def _row(self, row: sqlite3.Row) -> Ticket:
        return Ticket(
            key=row["key"],
            summary=row["summary"],
            description=row["description"],
            status=row["status"],
            priority=row["priority"],
            owner=row["owner"],
            due=row["due"],
            postmortem=row["postmortem"],
            marker=row["marker"],
            baseline=json.loads(row["baseline"]) if row["baseline"] else None,
            document=row["document"],
            created=row["created"],
            resolved=row["resolved"],
        )

    def list(self) -> list[Ticket]:
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM tickets ORDER BY id").fetchall()
        return [self._row(r) for r in rows]

    def get_many(self, keys: Sequence[str]) -> dict[str, Ticket]:
        return self._select("key", keys)

    def by_markers(self, markers: Sequence[str]) -> Sequence[Ticket]:
        """Tickets carrying any of `markers` as their item or document marker."""
        found = self._select("marker", markers)
        found.update(self._select("document", markers))
        return list(found.values())

    def _select(self, column: str, values: Sequence[str]) -> dict[str, Ticket]:
        found: dict[str, Ticket] = {}
        if not values:
            return found
        with self._connect() as conn:
            for start in range(0, len(values), 500):
                chunk = list(values[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(f"SELECT * FROM tickets WHERE {column} IN ({marks})", chunk).fetchall()
                for r in rows:
                    ticket = self._row(r)
                    found[ticket.key] = ticket
        return found

    def insert(self, fields: dict[str, object]) -> Ticket:
        """Create a ticket, or return the one that already carries this marker."""
        with self._connect(write=True) as conn:
            existing = conn.execute("SELECT * FROM tickets WHERE marker = ?", (fields["marker"],)).fetchone()
            if existing is not None:
                return self._row(existing)
            now = _now()
            cur = conn.execute(
                "INSERT INTO tickets (summary, description, status, priority, owner, due,"
                " postmortem, marker, baseline, created, updated, document)"
                " VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    fields["summary"],
                    fields["description"],
                    fields["priority"],
                    fields["owner"],
                    fields["due"],
                    fields["postmortem"],
                    fields["marker"],
                    json.dumps(fields["baseline"]),
                    now,
                    now,
                    fields.get("document"),
                ),
            )
            key = f"{self.prefix}-{cur.lastrowid}"
            conn.execute("UPDATE tickets SET key = ? WHERE id = ?", (key, cur.lastrowid))
            row = conn.execute("SELECT * FROM tickets WHERE id = ?", (cur.lastrowid,)).fetchone()
        return self._row(row)

    def update(self, key: str, fields: dict[str, object]) -> Ticket:
        allowed = {"summary", "priority", "owner", "due", "status", "baseline", "resolved"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        with self._connect(write=True) as conn:
            values = {k: json.dumps(v) if k == "baseline" else v for k, v in fields.items()}
            sets = ", ".join(f"{k} = ?" for k in values)
            cur = conn.execute(
                f"UPDATE tickets SET {sets}, updated = ? WHERE key = ?",
                (*values.values(), _now(), key),
            )
            if cur.rowcount == 0:
                raise NotFoundError(
                    f"local ticket {key} does not exist", hint="run `pm-sync local list` to see the tickets"
                )
            row = conn.execute("SELECT * FROM tickets WHERE key = ?", (key,)).fetchone()
        return self._row(row)

    def set_status(self, key: str, status: str) -> Ticket:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        resolved = _now() if status in ("done", "dropped") else None
        return self.update(key.strip().upper(), {"status": status, "resolved": resolved})

    def delete(self, key: str) -> None:
        with self._connect(write=True) as conn:
            conn.execute("DELETE FROM tickets WHERE key = ?", (key,))
