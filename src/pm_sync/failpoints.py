"""Named crash points, so tests can SIGKILL a run at an exact step and prove it resumes cleanly.

Inert unless `PM_SYNC_FAILPOINT` names the point (optionally `name:N` for its N-th hit); the
same idea as etcd's gofail. Production runs never set it.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "PM_SYNC_FAILPOINT"
_hits: Counter[str] = Counter()


def hit(name: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    target, _, nth = spec.partition(":")
    if target != name:
        return
    _hits[name] += 1
    if _hits[name] >= int(nth or "1"):
        os.kill(os.getpid(), signal.SIGKILL)
