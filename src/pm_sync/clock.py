"""The one clock every wait goes through (retries, rate limits, search lag), so tests can run
hours of waiting in no time and a run can say what it waits for."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

ANNOUNCE_AFTER = 3.0
"""Waits at least this long get one line on stderr saying what pm-sync waits for."""


class Clock:
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock(Clock):
    """Time moves only when someone sleeps; `slept` keeps every wait for assertions."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.current = start
        self.slept: list[float] = []

    def now(self) -> float:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.current += max(0.0, seconds)


def _stderr(line: str) -> None:
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


class _Current:
    clock: Clock = Clock()
    announce: Callable[[str], None] = staticmethod(_stderr)


def now() -> float:
    return _Current.clock.now()


def say(line: str) -> None:
    """One line on stderr about what the run is waiting for, however short the wait."""
    _Current.announce(f"pm-sync: {line}")


def wait(seconds: float, why: str) -> None:
    """Sleep `seconds`, first saying what for when the wait is long enough to be noticed."""
    if seconds >= ANNOUNCE_AFTER:
        _Current.announce(f"pm-sync: waiting {seconds:.0f} s: {why}")
    _Current.clock.sleep(seconds)


@contextmanager
def using(clock: Clock, announce: Callable[[str], None] | None = None) -> Iterator[Clock]:
    """Run with another clock (and announcer), e.g. a `FakeClock` in tests."""
    saved = _Current.clock, _Current.announce
    _Current.clock = clock
    if announce is not None:
        _Current.announce = announce
    try:
        yield clock
    finally:
        _Current.clock, _Current.announce = saved
