"""`pm-sync new`: a fresh draft from the house template, safely named, never overwriting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pm_sync.document.parse import parse_file
from pm_sync.document.scaffold import PostmortemExistsError, new_postmortem, slugify
from pm_sync.errors import DocumentError, PmSyncError, UsageError
from pm_sync.linting import lint_file

DAY = dt.date(2024, 1, 15)


def test_standard_draft_parses_with_its_metadata(tmp_path: Path) -> None:
    path = new_postmortem(
        "Payment API outage", date=DAY, directory=tmp_path / "docs" / "technical", authors=["@alice", "@bob"]
    )
    assert path == tmp_path / "docs" / "technical" / "postmortem-2024-01-15-payment-api-outage.md"
    pm = parse_file(path)
    assert (pm.title, pm.date, pm.severity, pm.status, pm.authors, pm.quick) == (
        "Payment API outage",
        DAY,
        "SEV2",
        "Draft",
        ["@alice", "@bob"],
        False,
    )
    assert pm.problems == []
    assert pm.action_items == []
    assert len(pm.tables) == 1
    assert set(pm.tables[0].columns) == {"priority", "action", "owner", "due", "ticket", "status"}


def test_fresh_standard_draft_lints_with_only_the_to_do_findings(tmp_path: Path) -> None:
    path = new_postmortem("Payment API outage", date=DAY, directory=tmp_path)
    findings = lint_file(path)
    errors = [(f.code, f.line, f.message) for f in findings if f.severity == "error"]
    assert errors == [
        ("missing-metadata", 3, "Duration is empty; fill it in"),
        ("missing-metadata", 4, "Authors is empty; fill it in"),
        ("no-action-items", 49, "the action-items section has no items; add at least one row"),
    ]
    warnings = {f.code for f in findings if f.severity == "warning"}
    assert warnings == {"placeholder"}


def test_fresh_quick_draft_follows_the_quick_template(tmp_path: Path) -> None:
    path = new_postmortem(
        "Cache stampede", severity="SEV3", date=DAY, quick=True, directory=tmp_path, authors=["@dana"]
    )
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Quick Postmortem: Cache stampede\n")
    for key in ("What happened", "Timeline", "Root cause", "Fixes", "Lesson"):
        assert f"**{key}**: [" in text
    assert "**Action items**:\n" in text and "| Priority | Action | Owner | Due | Ticket | Status |" in text
    pm = parse_file(path)
    assert (pm.quick, pm.severity, pm.status, pm.problems) == (True, "SEV3", "Draft", [])
    assert pm.action_items == [] and set(pm.tables[0].columns) >= {"action", "ticket", "status"}
    assert {(f.code, f.severity) for f in lint_file(path)} == {
        ("placeholder", "warning"),
        ("missing-metadata", "error"),
    }  # Duration: TBD


def test_date_defaults_to_today_and_folder_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = new_postmortem("DNS blip")
    assert path == Path("docs/technical") / f"postmortem-{dt.date.today().isoformat()}-dns-blip.md"
    assert path.is_file()


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    first = new_postmortem("Payment API outage", date=DAY, directory=tmp_path)
    first.write_text("my edits", encoding="utf-8")
    with pytest.raises(PostmortemExistsError) as info:
        new_postmortem("Payment API outage!", date=DAY, directory=tmp_path, quick=True)
    assert isinstance(info.value, DocumentError)
    assert info.value.path == str(first)
    assert info.value.hint and "different title" in info.value.hint
    assert first.read_text(encoding="utf-8") == "my edits"


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Payment API outage", "payment-api-outage"),
        ("../../etc/passwd", "etc-passwd"),
        ("..", "incident"),
        ("/", "incident"),
        ("Ünïcödé outage!", "unicode-outage"),
        ("Straße — café crash", "strae-cafe-crash"),
        ("日本語の障害", "incident"),
        ("   ", "incident"),
        ("!!!", "incident"),
        ("DB  --  pool__exhausted", "db-pool-exhausted"),
    ],
)
def test_slug_is_safe_ascii(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_long_titles_are_cut_at_a_word_boundary() -> None:
    slug = slugify("Checkout latency " * 10)
    assert len(slug) <= 60
    assert slug == "checkout-latency-checkout-latency-checkout-latency-checkout"
    assert slugify("x" * 100) == "x" * 60


@pytest.mark.parametrize("title", ["../../etc/passwd", "a/b/../../../c", "..\\..\\win"])
def test_titles_never_escape_the_directory(tmp_path: Path, title: str) -> None:
    target = tmp_path / "out"
    path = new_postmortem(title, date=DAY, directory=target)
    assert path.parent == target
    assert sorted(p.name for p in tmp_path.rglob("*.md")) == [path.name]
    assert parse_file(path).title == title


def test_non_ascii_title_is_kept_in_the_document(tmp_path: Path) -> None:
    path = new_postmortem("日本語の障害", date=DAY, directory=tmp_path)
    assert path.name == "postmortem-2024-01-15-incident.md"
    assert parse_file(path).title == "日本語の障害"


def test_postmortem_prefix_in_the_title_is_not_doubled(tmp_path: Path) -> None:
    path = new_postmortem("Postmortem: Disk full", date=DAY, directory=tmp_path)
    assert path.name == "postmortem-2024-01-15-postmortem-disk-full.md"
    assert path.read_text(encoding="utf-8").startswith("# Postmortem: Disk full\n")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"title": "  "}, "the title is empty"),
        ({"title": "x", "severity": " "}, "the severity is empty"),
        ({"title": "x", "severity": "SEV2 | Status: Final"}, "severity must not contain '|'"),
        ({"title": "x", "authors": ["@a | @b"]}, "author must not contain '|'"),
    ],
)
def test_bad_arguments_are_usage_errors(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError) as info:
        new_postmortem(directory=tmp_path, date=DAY, **kwargs)  # type: ignore[arg-type]
    assert info.value.message == message
    assert list(tmp_path.iterdir()) == []


def test_directory_that_is_a_file_is_a_located_error(tmp_path: Path) -> None:
    blocker = tmp_path / "docs"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(PmSyncError) as info:
        new_postmortem("x", date=DAY, directory=blocker / "technical")
    assert info.value.path == str(blocker / "technical")
