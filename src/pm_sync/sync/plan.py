"""Typed changes the engine computes and `apply` carries out; `--dry-run` stops at printing them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from pm_sync.tracker.contract import TicketChanges, TicketDraft, TicketFields


class _Change(BaseModel):
    uid: str
    line: int
    tracker: str
    action: str = ""
    expected: str | None = Field(
        default=None,
        description="the cell this change writes, as planned; someone else's "
        "edit to it in the meantime wins over ours",
    )


class Create(_Change):
    kind: Literal["create"] = "create"
    draft: TicketDraft

    def describe(self) -> str:
        return f"create ticket in {self.tracker}"


class Recover(_Change):
    """A ticket an interrupted run created: adopt it and write its key back."""

    kind: Literal["recover"] = "recover"
    key: str
    display: str
    draft: TicketDraft | None = None

    def describe(self) -> str:
        return f"write back {self.display} (created by an interrupted run)"


class Rekey(_Change):
    """The ticket moved or was transferred: write its new key back."""

    kind: Literal["rekey"] = "rekey"
    key: str
    old: str
    display: str

    def describe(self) -> str:
        return f"moved: {self.old} -> {self.display}"


class Update(_Change):
    kind: Literal["update"] = "update"
    key: str
    display: str
    changes: TicketChanges
    baseline: TicketFields
    before: TicketFields
    previous: TicketFields | None = Field(
        default=None, description="the baseline before this run, kept for cells a pull could not write"
    )

    def describe(self) -> str:
        parts = []
        for name in sorted(self.changes.model_fields_set):
            old = getattr(self.before, name)
            new = getattr(self.changes, name)
            parts.append(f"{name}: {_short(old)} -> {_short(new)}")
        return f"update {self.display}: " + "; ".join(parts) if parts else f"{self.display}: baseline"


class Pull(_Change):
    """Tracker-side change carried into the document (reconcile)."""

    kind: Literal["pull"] = "pull"
    key: str
    display: str
    field: str
    value: str
    baseline: TicketFields | None = None

    def describe(self) -> str:
        return f"pull {self.field} from {self.display}: {_short(self.value)}"


class Conflict(_Change):
    kind: Literal["conflict"] = "conflict"
    key: str
    display: str
    field: str
    document: str | None
    tracker_value: str | None

    def describe(self) -> str:
        return (
            f"conflict on {self.field} of {self.display}: document "
            f"{_short(self.document)} vs tracker {_short(self.tracker_value)}"
        )


class Missing(_Change):
    kind: Literal["missing"] = "missing"
    key: str
    display: str

    def describe(self) -> str:
        return f"{self.display} no longer exists in {self.tracker}"


class Unchanged(_Change):
    kind: Literal["unchanged"] = "unchanged"
    key: str
    display: str

    def describe(self) -> str:
        return f"{self.display} unchanged"


Change = Annotated[
    Create | Recover | Rekey | Update | Pull | Conflict | Missing | Unchanged,
    Field(discriminator="kind"),
]


class PlanError(BaseModel):
    path: str | None
    line: int | None
    message: str
    hint: str | None = None


class Plan(BaseModel):
    path: str
    changes: list[Change] = Field(default_factory=list)
    errors: list[PlanError] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    def rows(self) -> list[dict[str, object]]:
        return [
            {"line": c.line, "kind": c.kind, "action": c.action, "detail": c.describe()} for c in self.changes
        ]


def _short(value: object, width: int = 40) -> str:
    text = "-" if value is None or value == "" else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"
