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


class SkipClock(Clock):
    """Real time plus every wait asked for, without waiting: tests run hours of rate limits and
    search lag in no time. `slept` keeps each wait; `on_sleep` lets a fake server's clock follow."""

    def __init__(self, on_sleep: Callable[[float], None] | None = None) -> None:
        self.offset = 0.0
        self.slept: list[float] = []
        self.on_sleep = on_sleep

    def now(self) -> float:
        return time.time() + self.offset

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.offset += max(0.0, seconds)
        if self.on_sleep is not None:
            self.on_sleep(seconds)


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


def wait(seconds: float, why: str, *, noticed: bool = False) -> None:
    """Sleep `seconds`, first saying what for when the wait is long enough to be noticed (or
    `noticed`: the run has been waiting already, e.g. for an answer that never came)."""
    if noticed or seconds >= ANNOUNCE_AFTER:
        _Current.announce(f"pm-sync: waiting {seconds:.0f} s: {why}")
    _Current.clock.sleep(seconds)


@contextmanager
def using(clock: Clock, announce: Callable[[str], None] | None = None) -> Iterator[Clock]:
    """Run with another clock (and announcer), e.g. a `SkipClock` in tests."""
    saved = _Current.clock, _Current.announce
    _Current.clock = clock
    if announce is not None:
        _Current.announce = announce
    try:
        yield clock
    finally:
        _Current.clock, _Current.announce = saved
