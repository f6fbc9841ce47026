"""The contract kit's view of a tracker: how to make a connector and how to make the tracker fail."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from pm_sync.tracker import Connector


class Backend(ABC):
    """What the kit needs besides the connector: a fresh connector on a tracker the test
    controls, and that tracker's faults. A fault it cannot play raises `NotImplementedError`."""

    @abstractmethod
    def connector(self) -> Connector[Any]:
        """A new connector, as one pm-sync run would make it."""

    @abstractmethod
    def count(self) -> int:
        """How many tickets the tracker holds, to prove nothing was created twice."""

    def project(self) -> str | None:
        """The project new tickets go to (None: the connector's default)."""
        return None

    def owner(self) -> str | None:
        """A tracker identity that may own tickets (None: drafts are unassigned)."""
        return None

    def config(self) -> Mapping[str, Any]:
        """The connector's `[trackers.NAME]` table, for the end-to-end run through the engine."""
        raise NotImplementedError

    def env(self) -> Mapping[str, str]:
        """Environment variables the connector reads its secrets from."""
        return {}

    def settle(self) -> None:  # noqa: B027 - optional: most trackers' searches do not lag
        """Wait until the tracker's search shows what was just written (trackers whose search
        lags); the default waits for nothing."""

    def lose_next_create_answer(self) -> None:
        """The next create is carried out, but its answer never arrives."""
        raise NotImplementedError

    def reject_credentials(self) -> None:
        """From now on the tracker rejects the credentials."""
        raise NotImplementedError

    def rate_limit(self, seconds: float) -> None:
        """The next request is rate limited, with a wait of `seconds`."""
        raise NotImplementedError

    def move(self, key: str) -> str:
        """Move (or transfer) a ticket; returns its new key."""
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def requests(self) -> int:
        """Requests the tracker has answered so far, to check that reads are batched."""
        raise NotImplementedError
