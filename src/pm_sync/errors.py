"""Every exception pm-sync raises on purpose, so the CLI can turn any failure into a located,
actionable message and the right exit code.

    PmSyncError                 exit 1; carries path, line and a hint saying what to do
    ├── UsageError              exit 2: bad command-line arguments
    ├── ConfigError             exit 2: pm-sync.toml, environment variables, tokens
    ├── DocumentError           a postmortem cannot be read or synced
    │   ├── WriteBackError      keys could not be written into the file
    │   └── PostmortemExistsError   `pm-sync new` never overwrites a postmortem
    ├── LockError               another run holds this postmortem
    ├── NotSentError            a create never sent because an earlier one failed
    ├── SlackError              Slack refused or never took the report
    └── TrackerError            a tracker refused or failed a request
        ├── AuthError           the credentials were rejected
        ├── NotFoundError       a project, repository or ticket does not exist (or is hidden)
        ├── RateLimitedError    the tracker's limit would make us wait longer than allowed
        ├── UnreachableError    no connection (refused, unknown host, TLS): nothing was sent
        ├── RejectedError       the tracker refused this one ticket's content (a row problem)
        ├── BadResponseError    an answer that is not what the API documents
        └── AmbiguousWriteError a write that may or may not have happened

Messages never contain credentials: trackers scrub every text they pass on
(`pm_sync.tracker.secrets`).
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AmbiguousWriteError",
    "AuthError",
    "BadResponseError",
    "ConfigError",
    "DocumentError",
    "LockError",
    "NotFoundError",
    "NotSentError",
    "PmSyncError",
    "PostmortemExistsError",
    "RateLimitedError",
    "RejectedError",
    "SlackError",
    "TrackerError",
    "UnreachableError",
    "UsageError",
    "WriteBackError",
]


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


class WriteBackError(DocumentError):
    """Ticket keys could not be written into the Markdown file."""


class PostmortemExistsError(DocumentError):
    """The target file already exists; `new` never overwrites a postmortem."""


class LockError(PmSyncError):
    """Another pm-sync run holds the lock on this postmortem."""


class SlackError(PmSyncError):
    """Slack refused or never took the message; the text never contains the webhook URL."""


class TrackerError(PmSyncError):
    """A tracker refused or failed a request; the message never contains credentials."""


class AuthError(TrackerError):
    """Credentials were rejected: the hint names the config key and environment variable."""


class NotFoundError(TrackerError):
    """A project, repository or ticket does not exist (or is not visible)."""


class RateLimitedError(TrackerError):
    """The tracker kept rate limiting, or asked for a longer wait than pm-sync will sit through."""


class UnreachableError(TrackerError):
    """The tracker could not be reached at all (refused, unknown host, TLS): nothing was sent."""


class RejectedError(TrackerError):
    """The tracker refused this one ticket (a field it will not take); other tickets may go on."""


class BadResponseError(TrackerError):
    """An answer that is not what the API documents: an HTML page, a redirect to a sign-on host,
    a JSON shape the API never sends. Nothing is concluded from it, and nothing is created."""


class AmbiguousWriteError(TrackerError):
    """A write was sent and its outcome is unknown (no answer, a timeout, a 5xx or 429 reply).

    Connectors raise it and never send the write again; the engine looks the ticket's marker
    up and decides whether it exists.
    """


class NotSentError(PmSyncError):
    """A create never sent because an earlier one in the batch failed: certainly not made, and
    reported with that failure rather than once more per row."""
