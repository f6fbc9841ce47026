"""Story: the follow-up health page, opened in a real browser, shows its charts.

Debian's Chromium renders the page headless, with every network request sent to a dead proxy
(the page must need none), and the screenshot is read back: each chart panel must hold bars in
the series colours, in the proportions of the data. Skipped, with the reason, where Chromium is
not installed (`.ci/run` installs it when it can).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pm_sync.reports import stats_html, svg
from tests.png import Image, read_png
from tests.test_stats import AS_OF, history

__all__ = ["history"]  # fixture re-exported for pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)"
)


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


PANEL = hex_rgb(svg.PANEL)
SERIES = {
    name: hex_rgb(getattr(stats_html, name))
    for name in ("DONE", "DROPPED", "OPEN", "TO_TICKET", "TO_DONE", "BY_DUE")
}
LEGEND_SWATCH = 11 * 11


def screenshot(page: Path, tmp_path: Path) -> Image:
    assert CHROMIUM is not None
    shot = tmp_path / "shot.png"
    run = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--proxy-server=127.0.0.1:9",  # nothing may be fetched: every request would fail
            f"--user-data-dir={tmp_path / 'profile'}",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--window-size=800,2600",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    return read_png(shot)


def chart_panels(image: Image) -> list[tuple[int, int]]:
    """Row ranges of the chart panels: bands of rows showing the panel colour (a grid line or a
    wide bar may cover most of a row, never its margins)."""
    bands: list[tuple[int, int]] = []
    start = None
    for y in range(image.height):
        panel = sum(p == PANEL for p in image.row_pixels(y)) >= 30
        if panel and start is None:
            start = y
        elif not panel and start is not None:
            bands.append((start, y))
            start = None
    if start is not None:
        bands.append((start, image.height))
    return [(a, b) for a, b in bands if b - a >= 150]


def colour_counts(image: Image, band: tuple[int, int]) -> dict[str, int]:
    """Pixels of each series colour in a panel, legend swatches left out."""
    counts = dict.fromkeys(SERIES, 0)
    wanted = {rgb: name for name, rgb in SERIES.items()}
    for y in range(*band):
        for p in image.row_pixels(y):
            name = wanted.get(p)
            if name is not None:
                counts[name] += 1
    return {name: max(0, n - LEGEND_SWATCH) if n else 0 for name, n in counts.items()}


def ratio(a: int, b: int) -> float:
    assert b > 0
    return a / b


def test_the_charts_render_in_chromium_with_the_data_in_proportion(
    history: Path, cli: Any, tmp_path: Path
) -> None:
    page = history / "health.html"
    assert cli("stats", "--as-of", AS_OF, "--format", "html", "--output", str(page)).code == 0

    image = screenshot(page, tmp_path)
    panels = chart_panels(image)

    assert len(panels) == 4, panels  # status by quarter, days by quarter, due date, by priority
    status_q, days_q, due_q, status_p = (colour_counts(image, band) for band in panels)
    # by quarter: done 2+2, dropped 1, open 1+2 → areas 4 : 1 : 3
    assert ratio(status_q["DONE"], status_q["DROPPED"]) == pytest.approx(4, rel=0.15)
    assert ratio(status_q["OPEN"], status_q["DROPPED"]) == pytest.approx(3, rel=0.15)
    # median days: to ticket 1.5 and 2.5, to done 6 and 5 → areas 11 : 4
    assert ratio(days_q["TO_DONE"], days_q["TO_TICKET"]) == pytest.approx(11 / 4, rel=0.15)
    # finished by the due date: 33% and 50%
    assert due_q["BY_DUE"] > 1000
    # by priority: done 2+1+1, dropped 1, open 1+1+1 → 4 : 1 : 3
    assert ratio(status_p["DONE"], status_p["DROPPED"]) == pytest.approx(4, rel=0.15)
    assert ratio(status_p["OPEN"], status_p["DROPPED"]) == pytest.approx(3, rel=0.15)


def test_a_page_without_data_shows_empty_panels_not_bars(workdir: Path, cli: Any, tmp_path: Path) -> None:
    page = workdir / "health.html"
    assert cli("stats", "--as-of", AS_OF, "--format", "html", "--output", str(page)).code == 0

    image = screenshot(page, tmp_path)
    panels = chart_panels(image)

    assert len(panels) == 4
    for band in panels:
        assert set(colour_counts(image, band).values()) == {0}
