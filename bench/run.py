"""Every benchmark of issue 13, against the project's fake trackers; prints a Markdown report
with each figure beside its floor or goal.

    python bench/run.py                    # the full run behind docs/benchmarks.md (~15 min)
    python bench/run.py --sizes 1000       # one size only
    python bench/run.py --smoke            # a tiny run: request counts only (tests/test_bench.py)

Request counts are deterministic and are what CI asserts (at a smoke size); timings and memory
depend on the machine and are reported, never asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import parsing, startup
from bench.trackers import KINDS, LATENCY, Figures, board_run, create_goal, floor, run_tracker

NAIVE_SECONDS_PER_TICKET = LATENCY  # one GET per ticket, one after another
LATENCY_GOAL = 15.0
RSS_GOAL = 100.0


@dataclass
class Row:
    what: str
    value: str
    goal: str
    met: bool | None  # None: reported only


def request_rows(f: Figures) -> list[Row]:
    rows: list[Row] = []
    label = f"{f.kind}, N={f.n:,}"
    if f.create is not None:
        goal = create_goal(f.kind, f.n)
        rows.append(
            Row(
                f"{label}: push creating N tickets, create writes (all requests)",
                f"{f.create.writes:,} ({f.create.requests:,})",
                f"≤ {goal:,} writes",
                f.create.writes <= goal,
            )
        )
    if f.unchanged is not None:
        rows.append(
            Row(
                f"{label}: reconcile, nothing changed",
                f"{f.unchanged.requests:,}",
                f"≤ {floor(f.n):,}",
                f.unchanged.requests <= floor(f.n),
            )
        )
    if f.edited is not None:
        limit = floor(f.n) + f.changed * writes_per_change(f.kind)
        reads = reads_per_change(f.kind) * f.changed
        rows.append(
            Row(
                f"{label}: reconcile, {f.changed} rows changed (writes)",
                f"{f.edited.requests:,} ({f.edited.writes})",
                f"≤ {limit:,}" + (f" + {reads} baseline reads" if reads else ""),
                f.edited.requests <= limit + reads,
            )
        )
    return rows


def writes_per_change(kind: str) -> int:
    """One edit per changed ticket; the baseline rides in it on every tracker."""
    return 1


def reads_per_change(kind: str) -> int:
    """Data Center's search leaves the baseline out: one read per ticket whose fields differ."""
    return 1 if kind == "jira-dc" else 0


def run_all(
    sizes: list[int], changed: int, *, latency: bool, kinds: tuple[str, ...] = KINDS
) -> list[Figures]:
    out = []
    for kind in kinds:
        for n in sizes:
            started = time.perf_counter()
            figures = run_tracker(kind, n, changed=changed, latency=latency and n == max(sizes))
            print(f"  {kind} N={n}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
            out.append(figures)
    return out


def table(rows: list[Row]) -> str:
    lines = ["| measure | value | floor / goal | met |", "|---|---:|---:|---|"]
    for r in rows:
        met = "—" if r.met is None else ("yes" if r.met else "**NO**")
        lines.append(f"| {r.what} | {r.value} | {r.goal} | {met} |")
    return "\n".join(lines)


def smoke(n: int = 250, changed: int = 3) -> list[Figures]:
    """The harness at a tiny size (what CI runs): every tracker, no latency, no timings."""
    return [run_tracker(kind, n, changed=changed, latency=False) for kind in KINDS]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,5000", help="ticket counts N (comma-separated)")
    parser.add_argument("--changed", type=int, default=10, help="rows changed before the last reconcile")
    parser.add_argument("--parse-files", type=int, default=10_000, help="postmortems parsed and linted")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, request counts only")
    args = parser.parse_args()
    if args.smoke:
        figures = smoke()
        rows = [r for f in figures for r in request_rows(f)]
        print(table(rows))
        problems = [p for f in figures for p in f.problems]
        failed = [r for r in rows if r.met is False]
        for p in problems:
            print("problem:", p, file=sys.stderr)
        sys.exit(1 if problems or failed else 0)
    sizes = [int(s) for s in args.sizes.split(",")]
    print("running tracker benchmarks...", file=sys.stderr)
    figures = run_all(sizes, args.changed, latency=True)
    board = board_run(min(sizes))
    print("running start-up and parsing benchmarks...", file=sys.stderr)
    start = startup.run()
    help_heavy = startup.heavy_modules(["--help"])
    lint_heavy = startup.heavy_modules(["lint", "postmortem.md"])
    ratio = parsing.ratios(args.parse_files)
    linear = parsing.linearity()
    json_mb = parsing.json_peak_mb(args.parse_files)
    print(
        report(
            sizes=sizes,
            changed=args.changed,
            figures=figures,
            board=board,
            start=start,
            help_heavy=help_heavy,
            lint_heavy=lint_heavy,
            ratio=ratio,
            linear=linear,
            json_mb=json_mb,
            args=args,
        )
    )


def report(
    *,
    sizes: list[int],
    changed: int,
    figures: list[Figures],
    board: Figures,
    start: dict[str, float],
    help_heavy: list[str],
    lint_heavy: list[str],
    ratio: dict[str, float],
    linear: dict[int, float],
    json_mb: float,
    args: argparse.Namespace,
) -> str:
    big = max(sizes)
    out = ["# Benchmarks", ""]
    out.append(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}. Command: `python bench/run.py --sizes {args.sizes} "
        f"--changed {changed} --parse-files {args.parse_files} > docs/benchmarks.md` (trackers: the fakes in "
        "tests/fakes, on 127.0.0.1; pm-sync runs as a child process, as cron would run it)."
    )
    out += [
        "",
        "## Requests",
        "",
        "Postmortems of 5 action items each, owned in turn by twenty people mapped in `[owners]`; "
        "the floor is ceil(N/100) + 3.",
        "",
    ]
    rows = [r for f in figures for r in request_rows(f)]
    if board.create is not None:
        per_item = board.board_requests / max(board.n, 1)
        rows.append(
            Row(
                f"github with a Projects v2 board, N={board.n:,}: board requests per created issue",
                f"{per_item:.2f} ({board.board_requests} for {board.n:,})",
                "≤ 1",
                per_item <= 1,
            )
        )
    out.append(table(rows))
    out += ["", f"## Latency (50 ms added to every request, N={big:,} unchanged)", ""]
    lat_rows = []
    for f in figures:
        if f.slow is not None:
            naive = f.n * NAIVE_SECONDS_PER_TICKET
            lat_rows.append(
                Row(
                    f"{f.kind}: reconcile ({f.slow.requests} requests)",
                    f"{f.slow.seconds:.1f} s",
                    f"< {LATENCY_GOAL:.0f} s; naive {naive:.0f} s → {naive / f.slow.seconds:.0f}× faster",
                    f.slow.seconds < LATENCY_GOAL,
                )
            )
    out.append(table(lat_rows))
    out += ["", f"## Memory (peak RSS of the pm-sync process, reconcile of N={big:,})", ""]
    mem_rows = [
        Row(
            f"{f.kind}: reconcile, nothing changed",
            f"{f.unchanged.rss_mb:.0f} MB",
            f"< {RSS_GOAL:.0f} MB",
            f.unchanged.rss_mb < RSS_GOAL,
        )
        for f in figures
        if f.n == big and f.unchanged is not None
    ]
    mem_rows.append(
        Row(
            f"`parse --json` of {args.parse_files:,} files",
            f"{json_mb:.0f} MB",
            f"< {parsing.JSON_MB_GOAL:.0f} MB",
            json_mb < parsing.JSON_MB_GOAL,
        )
    )
    out.append(table(mem_rows))
    out += ["", "## Start-up (best of 15, over a bare `python -c pass`)", ""]
    start_rows = [
        Row(
            "`pm-sync --help`",
            f"+{start['help'] * 1000:.0f} ms",
            f"≤ +{startup.HELP_GOAL * 1000:.0f} ms",
            start["help"] <= startup.HELP_GOAL,
        ),
        Row(
            "`pm-sync lint FILE`",
            f"+{start['lint'] * 1000:.0f} ms",
            f"≤ +{startup.LINT_GOAL * 1000:.0f} ms",
            start["lint"] <= startup.LINT_GOAL,
        ),
        Row(
            "heavy modules loaded by `--help`",
            ", ".join(help_heavy) or "none",
            "none of ours (typer's rich help loads markdown_it)",
            None,
        ),
        Row("heavy modules loaded by `lint`", ", ".join(lint_heavy) or "none", "markdown_it only", None),
    ]
    out.append(table(start_rows))
    out += ["", f"## Parsing ({args.parse_files:,} postmortems, best of 3)", ""]
    tok = ratio["tokenize"]
    parse_rows = [
        Row("markdown-it-py alone (tokenize)", f"{tok:.2f} s", "the yardstick", None),
        Row(
            "parse",
            f"{ratio['parse']:.2f} s ({ratio['parse'] / tok:.2f}×)",
            f"≤ {parsing.RATIO_GOAL}×",
            ratio["parse"] / tok <= parsing.RATIO_GOAL,
        ),
        Row(
            "parse + lint",
            f"{ratio['lint']:.2f} s ({ratio['lint'] / tok:.2f}×)",
            f"≤ {parsing.RATIO_GOAL}×",
            ratio["lint"] / tok <= parsing.RATIO_GOAL,
        ),
    ]
    per_row = ", ".join(f"{rows:,} rows: {us:.0f} µs/row" for rows, us in linear.items())
    parse_rows.append(
        Row(
            "parse + lint of one postmortem, time per table row",
            per_row,
            "flat (linear)",
            linear[max(linear)] <= 1.5 * linear[min(k for k in linear if k >= 100)],
        )
    )
    out.append(table(parse_rows))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
