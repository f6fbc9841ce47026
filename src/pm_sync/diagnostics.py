"""One way to report a problem: every layer produces `Diagnostic`s and every output renders them.

A diagnostic is what a reader needs to act: which rule or check (`code`), how bad
(`severity`), where (`path`, `line`), what (`message`) and what to do (`hint`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pm_sync.errors import PmSyncError


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    path: str | None = None
    line: int | None = None
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def location(self) -> str:
        if self.path is None:
            return f"line {self.line}" if self.line is not None else ""
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def __str__(self) -> str:
        where = self.location
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} ({self.hint})" if self.hint else text

    def at(self, path: str | None = None, line: int | None = None) -> Diagnostic:
        """Placed at `path:line` where it had no place of its own."""
        return replace(self, path=self.path or path, line=self.line if self.line is not None else line)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "hint": self.hint,
        }


def error(
    code: str, message: str, *, path: str | None = None, line: int | None = None, hint: str | None = None
) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, path, line, hint)


def warning(
    code: str, message: str, *, path: str | None = None, line: int | None = None, hint: str | None = None
) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message, path, line, hint)


def info(
    code: str, message: str, *, path: str | None = None, line: int | None = None, hint: str | None = None
) -> Diagnostic:
    """A check that passed, or a note: reported, never a reason to fail."""
    return Diagnostic(code, Severity.INFO, message, path, line, hint)


def from_exception(
    exc: PmSyncError, *, code: str | None = None, path: str | None = None, line: int | None = None
) -> Diagnostic:
    """An error raised somewhere below, as the diagnostic a run reports for it: placed in the
    postmortem (`path`, `line`); a file of its own (a database, a lock) is named in the message."""
    name = code or _code_of(type(exc).__name__)
    if path is None or exc.path in (None, path):
        line = exc.line if exc.line is not None else line
        return Diagnostic(name, Severity.ERROR, exc.message, exc.path or path, line, exc.hint)
    return Diagnostic(name, Severity.ERROR, f"{exc.message} ({exc.location})", path, line, exc.hint)


def _code_of(class_name: str) -> str:
    """`RateLimitedError` → `rate-limited`, `PmSyncError` → `error`."""
    base = class_name.removesuffix("Error") or "error"
    if base == "PmSync":
        return "error"
    out = []
    for i, ch in enumerate(base):
        if ch.isupper() and i:
            out.append("-")
        out.append(ch.lower())
    return "".join(out)
