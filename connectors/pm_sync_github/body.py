"""The issue body: the engine's description plus a hidden comment with pm-sync's own state.

`<!-- pm-sync: {"marker": "pm-sync-abc", "baseline": {...}, "due": "2024-01-22"} -->` carries
the marker (found again after a crash), the reconcile baseline (so a fresh checkout still merges
three ways) and the due date (GitHub issues have none).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from pm_sync.tracker.tickets import TicketFields

_META = re.compile(r"<!--\s*pm-sync:\s*(?P<json>\{.*?\})\s*-->", re.DOTALL)
_DUE_TEXT = re.compile(r"(?P<head>\bDue:\s*)(?P<value>\d{4}-\d{2}-\d{2}|not set)")


@dataclass(frozen=True)
class Meta:
    marker: str | None = None
    baseline: TicketFields | None = None
    due: dt.date | None = None
    document: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "marker": self.marker,
            "document": self.document,
            "baseline": self.baseline.model_dump(mode="json") if self.baseline else None,
            "due": self.due.isoformat() if self.due else None,
        }


def _comment(meta: Meta) -> str:
    text = json.dumps(meta.to_json(), ensure_ascii=True, separators=(", ", ": "))
    # `-->` inside a summary must not end the comment early
    text = text.replace("<", "\\u003c").replace(">", "\\u003e")
    return f"<!-- pm-sync: {text} -->"


def render(description: str, meta: Meta) -> str:
    return f"{description.rstrip()}\n\n{_comment(meta)}\n"


def parse(body: str | None) -> Meta | None:
    """The last pm-sync comment in the body; None when there is none or it is unreadable."""
    if not body:
        return None
    matches = list(_META.finditer(body))
    if not matches:
        return None
    try:
        data = json.loads(matches[-1].group("json"))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    marker = data.get("marker") if isinstance(data.get("marker"), str) else None
    document = data.get("document") if isinstance(data.get("document"), str) else None
    baseline = None
    if isinstance(data.get("baseline"), dict):
        try:
            baseline = TicketFields.model_validate(data["baseline"])
        except ValidationError:
            baseline = None
    due = None
    if isinstance(data.get("due"), str):
        try:
            due = dt.date.fromisoformat(data["due"])
        except ValueError:
            due = None
    return Meta(marker=marker, baseline=baseline, due=due, document=document)


def replace(body: str | None, meta: Meta, *, due_changed: bool = False) -> str:
    """The body with its pm-sync comment replaced (or added), other text untouched.

    When the due date changed, the visible `Due: …` the description shows is kept in step.
    """
    text = body or ""
    matches = list(_META.finditer(text))
    if matches:
        last = matches[-1]
        head, tail = text[: last.start()], text[last.end() :]
    else:
        head, tail = (text.rstrip() + "\n\n" if text.strip() else ""), "\n"
    if due_changed:
        value = meta.due.isoformat() if meta.due else "not set"
        head = _DUE_TEXT.sub(lambda m: m.group("head") + value, head, count=1)
    return head + _comment(meta) + tail
