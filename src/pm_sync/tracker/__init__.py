"""The connector seam: what a tracker must do (`Connector`), the tickets that cross it, and how
trackers are found. A connector author needs only what this package exports."""

from pm_sync.errors import (
    AmbiguousWriteError,
    AuthError,
    BadResponseError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
    TrackerError,
    UnreachableError,
)
from pm_sync.tracker.contract import Connector, ConnectorConfig, ConnectorContext, Outcome
from pm_sync.tracker.tickets import (
    Capabilities,
    OwnerResolution,
    PostmortemRef,
    TicketChanges,
    TicketDraft,
    TicketFields,
    TicketRef,
    TicketState,
)

__all__ = [
    "AmbiguousWriteError",
    "AuthError",
    "BadResponseError",
    "Capabilities",
    "Connector",
    "ConnectorConfig",
    "ConnectorContext",
    "NotFoundError",
    "Outcome",
    "OwnerResolution",
    "PostmortemRef",
    "RateLimitedError",
    "RejectedError",
    "TicketChanges",
    "TicketDraft",
    "TicketFields",
    "TicketRef",
    "TicketState",
    "TrackerError",
    "UnreachableError",
]
