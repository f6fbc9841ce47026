"""One exception hierarchy, so the CLI can turn any failure into a located, actionable message."""

from __future__ import annotations

from pathlib import Path


class PmSyncError(Exception):
    """Base of every error pm-sync raises on purpose.

    Carries where the problem is (file and line) and what the user can do, because an
    error that only says *what* leaves the reader guessing.
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.hint = hint

    @property
    def location(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        return f"{text} ({self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "message": self.message, "hint": self.hint}


class UsageError(PmSyncError):
    """Bad command-line usage: exit code 2, like click's own usage errors."""

    exit_code = 2


class ConfigError(PmSyncError):
    """Invalid or unreadable configuration; nothing is touched when this is raised."""

    exit_code = 2


class DocumentError(PmSyncError):
    """A postmortem file cannot be read or has problems that block syncing it."""


class WriteBackError(PmSyncError):
    """Ticket keys could not be written into the Markdown file."""


class TrackerError(PmSyncError):
    """A tracker refused or failed a request; the message never contains credentials."""


class AuthError(TrackerError):
    """Credentials were rejected: the hint names the config key and environment variable."""


class NotFoundError(TrackerError):
    """A project, repository or ticket does not exist (or is not visible)."""


class RateLimitedError(TrackerError):
    """The tracker kept rate limiting after the bounded retries ran out."""


class LockError(PmSyncError):
    """Another pm-sync run holds the lock on this postmortem."""
