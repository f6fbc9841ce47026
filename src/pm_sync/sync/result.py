"""What happened to one postmortem in a run: the typed plan, what was done, and diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, field

from pm_sync.diagnostics import Diagnostic, Severity
from pm_sync.sync.plan import VERBS, Conflict, Missing, Plan, Pull, Unchanged


@dataclass
class Result:
    file: str
    dry_run: bool = False
    plan: Plan | None = None
    created: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    moved: list[dict[str, str]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    skipped: str | None = None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is not Severity.ERROR]

    @property
    def ok(self) -> bool:
        """Everything is in line: nothing failed, nothing in conflict, nothing missing."""
        return not self.errors

    # the plan's reports, read from the typed plan
    @property
    def unchanged(self) -> list[str]:
        return [c.display for c in self._changes(Unchanged)]

    @property
    def pulled(self) -> list[dict[str, str]]:
        return [
            {"key": c.display, "field": c.field, "value": c.value, "line": str(c.line)}
            for c in self._changes(Pull)
        ]

    @property
    def conflicts(self) -> list[dict[str, object]]:
        return [
            {
                "key": c.display,
                "line": c.line,
                "field": c.field,
                "document": c.document,
                "tracker": c.tracker_value,
                "detail": f"{self.file}:{c.line}: {c.describe()}",
            }
            for c in self._changes(Conflict)
        ]

    @property
    def missing(self) -> list[str]:
        return [c.display for c in self._changes(Missing)]

    @property
    def orphaned(self) -> list[str]:
        return [o.display for o in self.plan.orphans] if self.plan else []

    @property
    def duplicates(self) -> list[dict[str, object]]:
        return [d.model_dump() for d in self.plan.duplicates] if self.plan else []

    def _changes(self, kind: type) -> list:  # type: ignore[type-arg]
        return [c for c in self.plan.changes if isinstance(c, kind)] if self.plan else []

    def would(self) -> dict[str, int]:
        """Planned changes by kind, in the words a dry run prints them."""
        counts = self.plan.counts() if self.plan else {}
        return {VERBS[k]: n for k, n in counts.items()}

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "file": self.file,
            "ok": self.ok,
            "created": self.created,
            "recovered": self.recovered,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "moved": self.moved,
            "pulled": self.pulled,
            "conflicts": self.conflicts,
            "missing": self.missing,
            "orphaned": self.orphaned,
            "duplicates": self.duplicates,
            "errors": [d.as_dict() for d in self.errors],
            "warnings": [d.as_dict() for d in self.warnings],
            "skipped": self.skipped,
        }
        if self.dry_run:
            data["dry_run"] = True
            data["plan"] = [
                {"line": c.line, "kind": c.kind, "action": c.action, "detail": c.describe()}
                for c in (self.plan.changes if self.plan else [])
            ]
        return data
