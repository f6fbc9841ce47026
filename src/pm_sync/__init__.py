"""pm-sync: postmortem action items become tracked tickets, and stay in sync."""

from pm_sync.document.model import ActionItem, ItemStatus, Postmortem, Priority, Problem
from pm_sync.errors import PmSyncError

__all__ = ["ActionItem", "ItemStatus", "PmSyncError", "Postmortem", "Priority", "Problem"]
__version__ = "0.1.0"
