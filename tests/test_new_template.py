"""`pm-sync new` puts status where people see it, and says the severity it writes (issue 11)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

ROWS = (
    "| P0 | Add a pool limit | @alice | 2024-03-09 |  |  |\n"
    "| P1 | Alert on pool saturation | @bob | 2024-03-16 |  |  |\n"
)


def fill_in(path: Path) -> None:
    """What an author does before pushing: rows in the table, status Final."""
    text = path.read_text()
    text = text.replace("|  |  |  |  |  |  |\n", ROWS).replace("**Status**: Draft", "**Status**: Final")
    path.write_text(text)


@pytest.mark.parametrize("quick", [False, True], ids=["standard", "quick"])
def test_status_flows_back_into_a_fresh_draft(workdir: Path, cli: Any, quick: bool) -> None:
    created = cli("new", "Pool exhaustion", "--date", "2024-03-02", *(["--quick"] if quick else []))
    assert created.code == 0, created.stderr
    path = workdir / created.stdout.strip()
    assert "| Priority | Action | Owner | Due | Ticket | Status |" in path.read_text()
    fill_in(path)
    assert cli("push", str(path)).code == 0
    assert cli("local", "close", "PM-1").code == 0

    result = cli("reconcile", str(path))

    assert result.code == 0, result.stdout
    assert "not written back" not in result.stdout
    text = path.read_text()
    assert "| P0 | Add a pool limit | @alice | 2024-03-09 | PM-1 | Done |" in text
    assert "| P1 | Alert on pool saturation | @bob | 2024-03-16 | PM-2 | Open |" in text


def test_quick_writes_the_sev3_it_claims(workdir: Path, cli: Any) -> None:
    path = workdir / cli("new", "Cache blip", "--quick", "--date", "2024-03-02").stdout.strip()
    assert "**Severity**: SEV3" in path.read_text()
    assert cli("parse", str(path), "--json").one()["severity"] == "SEV3"
    assert "SEV3" in cli("new", "--help").stdout


def test_standard_defaults_to_sev2_and_an_explicit_severity_wins(workdir: Path, cli: Any) -> None:
    standard = workdir / cli("new", "Outage", "--date", "2024-03-02").stdout.strip()
    quick = (
        workdir / cli("new", "Blip", "--quick", "--severity", "sev-4", "--date", "2024-03-02").stdout.strip()
    )
    assert "**Severity**: SEV2" in standard.read_text()
    assert "**Severity**: SEV4" in quick.read_text()


@pytest.mark.parametrize("severity", ["banana", "SEV9", "P1", "high-ish"])
def test_a_severity_that_is_none_is_refused(workdir: Path, cli: Any, severity: str) -> None:
    result = cli("new", "Outage", "--severity", severity)

    assert result.code == 2
    assert result.stderr == (
        f"error: --severity {severity!r} is not a severity (pass SEV1 to SEV5, SEV1 being the worst)\n"
    )
    assert not (workdir / "docs").exists()


@pytest.mark.parametrize(("written", "flagged"), [("banana", True), ("Sev 1", False), ("Major", False)])
def test_lint_flags_a_bad_severity(workdir: Path, cli: Any, written: str, flagged: bool) -> None:
    path = workdir / cli("new", "Outage", "--date", "2024-03-02").stdout.strip()
    path.write_text(path.read_text().replace("**Severity**: SEV2", f"**Severity**: {written}"))

    findings = cli("lint", str(path), "--json").json()

    bad = [(f["line"], f["message"]) for f in findings if f["code"] == "bad-severity"]
    assert bad == (
        [(3, f"severity {written!r} is not one pm-sync knows; write SEV1 (worst) to SEV5")] if flagged else []
    )


def test_a_fresh_quick_draft_lints_with_only_the_to_do_findings(workdir: Path, cli: Any) -> None:
    path = workdir / cli("new", "Cache blip", "--quick", "--date", "2024-03-02").stdout.strip()
    findings = cli("lint", str(path), "--json").json()
    assert {(f["code"], f["severity"]) for f in findings} == {
        ("missing-metadata", "error"),  # Duration: TBD
        ("placeholder", "warning"),
    }
    assert re.search(r"^\*\*Action items\*\*:$", path.read_text(), re.MULTILINE)
