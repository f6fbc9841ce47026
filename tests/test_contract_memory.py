"""The in-memory reference tracker passes the contract kit (and so can stand in for trackers in
the engine's own tests)."""

from __future__ import annotations

import pytest

from pm_sync.testing import ConnectorContract, MemoryBackend


class TestMemoryTracker(ConnectorContract):
    @pytest.fixture
    def backend(self) -> MemoryBackend:
        return MemoryBackend()
