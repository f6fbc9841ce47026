"""`python bench/peak.py ARGS...` runs `pm-sync ARGS...` and, as it exits, writes its peak RSS
in KiB to the file named by $PM_SYNC_BENCH_PEAK.

The peak is read from /proc/self/status (VmHWM), which starts afresh at exec: `ru_maxrss` from
wait4 also counts the parent's pages at fork, so a benchmark process holding a fake tracker
with thousands of tickets would inflate it.
"""

from __future__ import annotations

import atexit
import os
import resource
import runpy
import sys


def _peak_kib() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _write() -> None:
    target = os.environ.get("PM_SYNC_BENCH_PEAK")
    if target:
        with open(target, "w", encoding="ascii") as out:
            out.write(str(_peak_kib()))


if __name__ == "__main__":
    atexit.register(_write)
    sys.argv = ["pm-sync", *sys.argv[1:]]
    runpy.run_module("pm_sync", run_name="__main__", alter_sys=True)
