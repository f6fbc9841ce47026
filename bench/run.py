"""Benchmarks for the document side and the embedded tracker; prints a Markdown report.

Run: python bench/run.py > docs/benchmarks.md
Goals (checked here, not in timed tests):
  - parse a typical postmortem (4 items, ~80 lines) in under 20 ms
  - parse + write back keys for a 1,000-row action-items table in under 1 s
  - push 200 items to the embedded tracker in under 5 s; re-push (no-op) in under 2 s
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pm_sync.document.parse import parse_source
from pm_sync.document.source import Source
from pm_sync.document.writeback import CellEdit, render

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "postmortem-2024-01-15-payments-db-connections.md"


def big_doc(rows: int) -> str:
    head = EXAMPLE.read_text().split("## Action items")[0]
    table = ["## Action items", "", "| Priority | Action | Owner | Due | Ticket |", "|---|---|---|---|---|"]
    table += [
        f"| P{i % 4} | Action number {i} with `code` and a [link](http://x/{i}) | "
        f"@owner{i % 7} | 2024-02-{i % 28 + 1:02d} |  |"
        for i in range(rows)
    ]
    return head + "\n".join(table) + "\n"


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), min(samples)


def bench_parse() -> list[tuple[str, float, float, float]]:
    out = []
    typical = EXAMPLE.read_bytes()
    med, best = timed(lambda: parse_source(Source.from_bytes(typical, "x.md")), 50)
    out.append(("parse typical postmortem (4 items)", med, best, 0.020))
    for rows, goal in ((100, 0.2), (1000, 1.0)):
        data = big_doc(rows).encode()

        def cycle(data: bytes = data) -> None:
            src = Source.from_bytes(data, "x.md")
            pm = parse_source(src)
            render(src, pm, [CellEdit(i.uid, "ticket", f"PM-{n}") for n, i in enumerate(pm.action_items, 1)])

        med, best = timed(cycle, 5)
        out.append((f"parse + write back {rows} rows", med, best, goal))
    return out


def bench_push(rows: int = 200) -> list[tuple[str, float, float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / "postmortem-2024-01-15-big.md"
        doc.write_text(big_doc(rows))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PM_SYNC_")}

        def run() -> float:
            start = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "pm_sync", "push", doc.name],
                cwd=tmp,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise SystemExit(proc.stdout + proc.stderr)
            return time.perf_counter() - start

        first = run()
        again = [run() for _ in range(3)]
    return [
        (f"push {rows} items to the local tracker (CLI, cold)", first, first, 5.0),
        (f"re-push {rows} items, nothing to do (CLI)", statistics.median(again), min(again), 2.0),
    ]


def main() -> None:
    results = bench_parse() + bench_push()
    print("# Benchmarks\n")
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}. Command: `python bench/run.py > docs/benchmarks.md`.\n"
    )
    print("| case | median | best | goal | met |")
    print("|---|---:|---:|---:|---|")
    for name, med, best, goal in results:
        print(
            f"| {name} | {med * 1000:.1f} ms | {best * 1000:.1f} ms | {goal * 1000:.0f} ms | "
            f"{'yes' if med <= goal else 'NO'} |"
        )
    print(
        "\nRequest counts against the trackers (batched reads, no writes on a no-op re-push) "
        "are asserted by the connector tests through the fake servers' request logs."
    )


if __name__ == "__main__":
    main()
