"""pm-sync: postmortem action items become tracked tickets, and stay in sync."""

from pm_sync.errors import PmSyncError
from pm_sync.models import ActionItem, ItemStatus, Postmortem, Priority, Problem

__all__ = ["ActionItem", "ItemStatus", "PmSyncError", "Postmortem", "Priority", "Problem"]
__version__ = "0.1.0"
