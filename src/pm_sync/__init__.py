"""pm-sync: postmortem action items become tracked tickets, and stay in sync.

The library API is the commands themselves, as functions:

    import pm_sync
    pm_sync.parse(["postmortem.md"])        # -> [Postmortem]
    pm_sync.lint(["docs/"])                  # -> [Diagnostic]
    pm_sync.push(["postmortem.md"])          # -> [Result], one per postmortem
    pm_sync.reconcile()                      # -> [Result] for `[docs] paths`
    pm_sync.overdue(as_of=date(2024, 3, 1))  # -> OverdueReport
    pm_sync.new("Payment outage")            # -> Path of the new draft
    pm_sync.migrate(["old.md"], write=True)  # -> [Migration]

Each is loaded on first use, so `import pm_sync` (and `pm-sync --help`) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_API = {
    "parse": ("pm_sync.api", "parse_paths"),
    "lint": ("pm_sync.api", "lint_paths"),
    "push": ("pm_sync.sync.push", "push"),
    "reconcile": ("pm_sync.sync.reconcile", "reconcile"),
    "overdue": ("pm_sync.reports.overdue", "overdue_report"),
    "new": ("pm_sync.api", "new_postmortem"),
    "migrate": ("pm_sync.api", "migrate_paths"),
    "PmSyncError": ("pm_sync.errors", "PmSyncError"),
}

__all__ = ["PmSyncError", "lint", "migrate", "new", "overdue", "parse", "push", "reconcile"]


def __getattr__(name: str) -> Any:
    if name in _API:
        module, attr = _API[name]
        value = getattr(import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pm_sync' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
