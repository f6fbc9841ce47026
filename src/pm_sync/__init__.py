"""pm-sync: postmortem action items become tracked tickets, and stay in sync.

The names below load on first use, so `import pm_sync` (every command's first step) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pm_sync.document.model import ActionItem, ItemStatus, Postmortem, Priority, Problem
    from pm_sync.errors import PmSyncError

__all__ = ["ActionItem", "ItemStatus", "PmSyncError", "Postmortem", "Priority", "Problem"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "PmSyncError":
        from pm_sync import errors

        return errors.PmSyncError
    if name in __all__:
        from pm_sync.document import model

        return getattr(model, name)
    raise AttributeError(f"module 'pm_sync' has no attribute {name!r}")
