"""docs/connectors.md is a working guide: its code, put together as a reader would, is a
connector that passes the whole contract kit (including push, reconcile and overdue through the
engine)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "connectors.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.DOTALL)


def test_the_guides_connector_passes_the_contract_kit(pytester: pytest.Pytester) -> None:
    blocks = python_blocks()
    connector, kit = "\n".join(blocks[:6]), blocks[6]
    assert "class NotebookConnector" in connector and "class TestNotebook" in kit
    pytester.makepyfile(test_guide=connector + "\n\n" + kit)

    run = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "-rs")

    passed = {
        r.nodeid.rsplit("::", 1)[1]
        for r in run.reprec.getreports("pytest_runtest_logreport")
        if r.when == "call" and r.passed
    }
    run.assert_outcomes(passed=7, skipped=6)  # a file cannot lose answers, throttle or move
    assert "test_push_reconcile_and_overdue_through_the_engine" in passed
    assert "test_create_stores_the_markers_and_the_baseline" in passed


def test_the_guide_names_only_hooks_the_contract_has() -> None:
    from pm_sync.tracker import Connector

    text = GUIDE.read_text(encoding="utf-8")
    for hook in re.findall(r"^\| `(\w+)\(", text, re.MULTILINE):
        assert hasattr(Connector, hook), hook
