"""Our labels: the postmortem label(s) and one label per priority, created once per run."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from pm_sync.document.model import Priority
from pm_sync.errors import AmbiguousWriteError, AuthError, NotFoundError, RejectedError
from pm_sync_github.config import GitHubConfig
from pm_sync_github.reader import Caller

PRIORITY_COLORS = {
    Priority.P0: "b60205",
    Priority.P1: "d93f0b",
    Priority.P2: "fbca04",
    Priority.P3: "0e8a16",
    Priority.P4: "c5def5",
}
POSTMORTEM_COLOR = "5319e7"


def unique(names: Sequence[str]) -> list[str]:
    """Labels are case-insensitive on GitHub: keep the first spelling of each, in order."""
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        if name.casefold() not in seen:
            seen.add(name.casefold())
            out.append(name)
    return out


class Labels:
    def __init__(self, cfg: GitHubConfig) -> None:
        self.cfg = cfg
        self._ready: dict[str, set[str]] = {}

    def for_issue(self, extra: Sequence[str], priority: Priority | None) -> list[str]:
        names = [*self.cfg.labels, *extra]
        if priority is not None:
            names.append(self.cfg.priority_labels[priority])
        return unique(names)

    def ensure(self, rest: Caller, repo: str, names: Sequence[str]) -> None:
        """Create missing ones with a colour and description; GitHub would make them grey."""
        ready = self._ready.get(repo.casefold())
        if ready is None:
            ready = set()
            for page, _ in rest.pages(
                f"/repos/{repo}/labels", f"listing labels of {repo}", {"per_page": 100}
            ):
                ready |= {str(lab.get("name", "")).casefold() for lab in page if isinstance(lab, dict)}
            self._ready[repo.casefold()] = ready
        by_name = {v.casefold(): p for p, v in self.cfg.priority_labels.items()}
        for name in names:
            if name.casefold() in ready:
                continue
            prio = by_name.get(name.casefold())
            payload = {
                "name": name,
                "color": PRIORITY_COLORS[prio] if prio else POSTMORTEM_COLOR,
                "description": f"Priority {prio.value} (pm-sync)"
                if prio
                else "Postmortem action item (pm-sync)",
            }
            # best effort: GitHub creates a missing label (grey) with the issue anyway
            with contextlib.suppress(AmbiguousWriteError, AuthError, NotFoundError, RejectedError):
                rest.call(
                    "POST",
                    f"/repos/{repo}/labels",
                    f"creating label {name!r} in {repo}",
                    body=payload,
                    accept=(422,),
                )  # 422 already_exists: someone beat us
            ready.add(name.casefold())
