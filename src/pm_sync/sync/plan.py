"""Typed changes the engine computes and `apply` carries out; `--dry-run` stops at printing them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from pm_sync.diagnostics import Diagnostic
from pm_sync.tracker.tickets import TicketChanges, TicketDraft, TicketFields


class _Change(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    uid: str
    line: int
    tracker: str
    action: str = ""
    expected: str | None = Field(
        default=None,
        description="the cell this change writes, as planned; someone else's edit to it in "
        "the meantime wins over ours",
    )


class Create(_Change):
    kind: Literal["create"] = "create"
    draft: TicketDraft

    def describe(self) -> str:
        return f"create a ticket in {self.tracker}"


class Recover(_Change):
    """A ticket an interrupted run created (found by its marker): adopt it, write its key back."""

    kind: Literal["recover"] = "recover"
    key: str
    display: str
    draft: TicketDraft
    edited: bool = Field(default=False, description="adopted although the row's text changed")

    def describe(self) -> str:
        why = "its row's text was edited since" if self.edited else "created by an interrupted run"
        return f"write back {self.display} ({why})"


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
        for name in sorted(self.changes.names()):
            parts.append(
                f"{name}: {_short(getattr(self.before, name))} -> {_short(getattr(self.changes, name))}"
            )
        return f"update {self.display}: " + "; ".join(parts) if parts else f"{self.display}: record baseline"


class Pull(_Change):
    """A tracker-side change carried into the document (reconcile)."""

    kind: Literal["pull"] = "pull"
    key: str
    display: str
    field: str
    value: str

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


class Waiting(_Change):
    """A create sent earlier whose ticket the tracker does not show yet: never sent again until
    its marker turns up or someone says it is lost (`--retry-lost`)."""

    kind: Literal["waiting"] = "waiting"
    marker: str

    def describe(self) -> str:
        return f"waiting for the ticket created earlier (marker {self.marker}) to show in {self.tracker}"


Change = Annotated[
    Create | Recover | Rekey | Update | Pull | Conflict | Missing | Unchanged | Waiting,
    Field(discriminator="kind"),
]

VERBS = {
    "create": "to create",
    "recover": "to recover",
    "rekey": "moved",
    "update": "to update",
    "pull": "to pull",
    "conflict": "in conflict",
    "missing": "missing",
    "unchanged": "unchanged",
    "waiting": "waiting",
}
"""How a dry run counts each kind of change (`3 to create, 2 unchanged`)."""


class Orphan(BaseModel):
    """A ticket of this postmortem that no row names any more (the row was deleted)."""

    tracker: str
    key: str
    display: str
    action: str = ""


class Duplicate(BaseModel):
    """Several tickets carry one row's marker (two clones pushed at once)."""

    tracker: str
    line: int
    kept: str
    others: list[str]


class Plan(BaseModel):
    path: str
    changes: list[Change] = Field(default_factory=list)
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    orphans: list[Orphan] = Field(default_factory=list)
    duplicates: list[Duplicate] = Field(default_factory=list)

    model_config = ConfigDict(arbitrary_types_allowed=True)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def blocked(self) -> bool:
        """Errors found while planning stop the whole postmortem: nothing is written or created."""
        return any(d.is_error and d.code not in REPORT_ONLY for d in self.diagnostics)

    def of(self, kind: type[_Change]) -> list[_Change]:
        return [c for c in self.changes if isinstance(c, kind)]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for change in self.changes:
            out[change.kind] = out.get(change.kind, 0) + 1
        return out


REPORT_ONLY = frozenset({"duplicate-ticket", "create-in-flight", "conflict", "missing-ticket"})
"""Errors that fail the run (exit 1) but do not stop the rest of the postmortem's plan."""


def _short(value: object, width: int = 40) -> str:
    text = "-" if value is None or value == "" else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"
