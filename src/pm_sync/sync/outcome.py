"""What happened to one postmortem in a run: the shape `--json` prints."""

from __future__ import annotations

from pydantic import BaseModel, Field

from pm_sync.sync.plan import PlanError


class Outcome(BaseModel):
    file: str
    created: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    recovered: list[str] = Field(default_factory=list)
    moved: list[dict[str, str]] = Field(default_factory=list)
    pulled: list[dict[str, str]] = Field(default_factory=list)
    conflicts: list[dict[str, str | int | None]] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    errors: list[PlanError] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    skipped: str | None = None
    dry_run: bool = False
    plan: list[dict[str, object]] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def push_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "file": self.file,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [e.model_dump() for e in self.errors],
            "recovered": self.recovered,
            "moved": self.moved,
            "warnings": self.warnings,
        }
        if self.dry_run:
            data["dry_run"] = True
            data["plan"] = self.plan
        return data

    def reconcile_json(self) -> dict[str, object]:
        data = self.push_json()
        data.update(
            {
                "pulled": self.pulled,
                "conflicts": self.conflicts,
                "missing": self.missing,
                "skipped": self.skipped,
            }
        )
        return data
