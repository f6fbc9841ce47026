"""The embedded tracker's SQLite store: one table, one transaction per write.

The marker column is UNIQUE, so even two runs racing past their lookups cannot both insert
a ticket for the same action item.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pm_sync.clock import ANNOUNCE_AFTER, say
from pm_sync.errors import NotFoundError, TrackerError
from pm_sync.project import make_dirs

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
BUSY_TIMEOUT = 10.0
_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 3, 5, 6, 8
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 10, 11, 14, 26


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


def _prepare(conn: sqlite3.Connection, write: bool) -> None:
    conn.executescript(SCHEMA)
    have = {r[1] for r in conn.execute("PRAGMA table_info(tickets)")}
    for name, kind in COLUMNS_ADDED.items():
        if name not in have:
            conn.execute(f"ALTER TABLE tickets ADD COLUMN {name} {kind}")
    if write:
        conn.execute("BEGIN IMMEDIATE")


def _primary(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _busy(exc: sqlite3.Error) -> bool:
    return _primary(exc) in (_SQLITE_BUSY, _SQLITE_LOCKED)


class LocalStore:
    """`busy_timeout`: how long a write waits for another process's transaction to end."""

    def __init__(self, path: Path, prefix: str = "PM", busy_timeout: float = BUSY_TIMEOUT) -> None:
        self.path = path
        self.prefix = prefix
        self.busy_timeout = busy_timeout

    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection whose every failure is a TrackerError naming the database file."""
        if not write and not self.path.exists():
            conn = sqlite3.connect(":memory:")
        else:
            try:
                make_dirs(self.path.parent)
                first = min(self.busy_timeout, ANNOUNCE_AFTER)
                conn = sqlite3.connect(self.path, timeout=first, isolation_level=None)
            except OSError as exc:
                raise self._os_error(exc) from None
            except sqlite3.Error as exc:
                raise self._db_error(exc) from None
        conn.row_factory = sqlite3.Row
        try:
            self._open(conn, write)
            yield conn
            if write:
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback(conn, write)
            raise self._db_error(exc) from None
        except BaseException:
            self._rollback(conn, write)
            raise
        finally:
            conn.close()

    def _open(self, conn: sqlite3.Connection, write: bool) -> None:
        """Schema, then the write lock. A database another process holds is waited on for
        `busy_timeout` in all, and a wait long enough to notice is said on stderr first."""
        try:
            _prepare(conn, write)
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")  # for the writes
        except sqlite3.OperationalError as exc:
            rest = self.busy_timeout - ANNOUNCE_AFTER
            if not _busy(exc) or rest <= 0:
                raise
            say(
                f"waiting up to {rest:.0f} s more: the local tracker database {self.path} "
                "is locked by another process"
            )
            conn.execute(f"PRAGMA busy_timeout = {int(rest * 1000)}")
            _prepare(conn, write)

    @staticmethod
    def _rollback(conn: sqlite3.Connection, write: bool) -> None:
        if write and conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")

    def _os_error(self, exc: OSError) -> TrackerError:
        return TrackerError(
            f"cannot open local tracker database: {exc.strerror or exc}",
            path=str(self.path),
            hint=f"make {self.path.parent} a writable folder (or set trackers.local.path)",
        )

    def _db_error(self, exc: sqlite3.Error) -> TrackerError:
        primary = _primary(exc)
        if _busy(exc):
            return TrackerError(
                f"the local tracker database stayed locked by another process for over "
                f"{self.busy_timeout:.0f}s",
                path=str(self.path),
                hint="wait for the other pm-sync run (or the program holding the database) to finish, "
                "then run again",
            )
        if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
            return TrackerError(
                f"the local tracker database is damaged ({exc})",
                path=str(self.path),
                hint="restore it from a backup (or try `sqlite3 FILE .recover`); "
                "nothing was created while it is damaged",
            )
        if primary == _SQLITE_CANTOPEN:
            return TrackerError(
                f"cannot open local tracker database ({exc})",
                path=str(self.path),
                hint=f"the path must be a database file, not a folder, and {self.path.parent} must be "
                "writable by this account",
            )
        if primary in (_SQLITE_READONLY, _SQLITE_PERM, _SQLITE_IOERR):
            return TrackerError(
                f"cannot write the local tracker database ({exc})",
                path=str(self.path),
                hint=f"make the file and its folder {self.path.parent} writable by this account",
            )
        return TrackerError(
            f"local tracker database error: {exc}",
            path=str(self.path),
            hint="check the file; restore it from a backup if it was damaged",
        )

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
