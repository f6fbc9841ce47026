"""For connector authors and pm-sync's own tests: the contract kit and an in-memory tracker.

`ConnectorContract` checks a connector against everything the engine relies on (see
docs/connectors.md); `MemoryTracker` / `MemoryConnector` are a complete connector that lives in
memory, with the faults real trackers have, to learn from and to test the engine on.
Importing this package needs pytest (the `test` extra).
"""

from pm_sync.testing.backend import Backend
from pm_sync.testing.contract import ConnectorContract, KitClock, draft
from pm_sync.testing.memory import MemoryBackend, MemoryConfig, MemoryConnector, MemoryTracker

__all__ = [
    "Backend",
    "ConnectorContract",
    "KitClock",
    "MemoryBackend",
    "MemoryConfig",
    "MemoryConnector",
    "MemoryTracker",
    "draft",
]
