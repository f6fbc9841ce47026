"""Parsing: parse and lint of many postmortems against markdown-it-py alone tokenizing the same
files in the same run; time per row for growing tables (linear?); peak memory of `parse --json`."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.workload import ROOT, postmortem, write_postmortems

RATIO_GOAL = 1.3
JSON_MB_GOAL = 100.0


def _tokenize_all(paths: list[Path]) -> float:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).use(front_matter_plugin)
    start = time.perf_counter()
    for path in paths:
        md.parse(path.read_text(encoding="utf-8"))
    return time.perf_counter() - start


def _parse_all(paths: list[Path]) -> float:
    from pm_sync.document.parse import parse_file

    start = time.perf_counter()
    for path in paths:
        parse_file(path)
    return time.perf_counter() - start


def _lint_all(paths: list[Path]) -> float:
    from pm_sync.linting import lint_file

    start = time.perf_counter()
    for path in paths:
        lint_file(path)
    return time.perf_counter() - start


def ratios(count: int, rounds: int = 3) -> dict[str, float]:
    """Best of `rounds` for each, interleaved so the machine's drift hits all three alike."""
    with tempfile.TemporaryDirectory(prefix="pm-sync-parse-") as tmp:
        paths = write_postmortems(Path(tmp), count)
        _parse_all(paths[:50])  # imports and caches warmed outside the clock
        _lint_all(paths[:50])
        _tokenize_all(paths[:50])
        best = {"tokenize": float("inf"), "parse": float("inf"), "lint": float("inf")}
        for _ in range(rounds):
            best["tokenize"] = min(best["tokenize"], _tokenize_all(paths))
            best["parse"] = min(best["parse"], _parse_all(paths))
            best["lint"] = min(best["lint"], _lint_all(paths))
    return best


def linearity(sizes: tuple[int, ...] = (10, 100, 1000)) -> dict[int, float]:
    """Microseconds per table row for parse + lint of one postmortem with `rows` rows."""
    from pm_sync.document.parse import parse_source
    from pm_sync.document.source import Source
    from pm_sync.linting import lint_postmortem

    out = {}
    for rows in sizes:
        data = postmortem(7, rows=rows).encode()
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            src = Source.from_bytes(data, "postmortem-2020-01-08-x.md")
            lint_postmortem(parse_source(src), src)
            best = min(best, time.perf_counter() - start)
        out[rows] = best / rows * 1e6
    return out


def json_peak_mb(count: int) -> float:
    """Peak RSS of `pm-sync parse --json` over `count` files, output thrown away."""
    with tempfile.TemporaryDirectory(prefix="pm-sync-json-") as tmp:
        write_postmortems(Path(tmp) / "docs", count)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PM_SYNC_")}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH")) if p)
        with open(os.devnull, "w") as sink, tempfile.NamedTemporaryFile("r", suffix=".peak") as peak:
            env["PM_SYNC_BENCH_PEAK"] = peak.name
            subprocess.run(
                [sys.executable, str(ROOT / "bench" / "peak.py"), "parse", "--json", "docs"],
                cwd=tmp,
                env=env,
                stdout=sink,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            return int(peak.read() or 0) / 1024
