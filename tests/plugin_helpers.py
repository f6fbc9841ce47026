"""Install a throwaway tracker plugin the way pip would: a module plus a dist-info entry point."""

from __future__ import annotations

from pathlib import Path

import pytest


def install_plugin(
    site: Path, monkeypatch: pytest.MonkeyPatch, *, module: str, source: str, name: str, cls: str
) -> None:
    (site / f"{module}.py").write_text(source)
    dist = site / f"{module}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[pm_sync.connectors]\n{name} = {module}:{cls}\n")
    monkeypatch.syspath_prepend(str(site))
