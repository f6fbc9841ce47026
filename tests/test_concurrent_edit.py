"""Someone saves the postmortem while pm-sync is talking to the tracker: their edit survives."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import STANDARD_ROWS, local_tickets, postmortem_text
from tests.plugin_helpers import install_plugin

# A tracker that is slow in the worst way: while it "creates", a colleague edits the file.
SLOW_TRACKER = textwrap.dedent("""
    from pathlib import Path
    from pm_sync_local import LocalConnector

    class EditingDuringCreate(LocalConnector):
        name = "editing"

        def create(self, draft):
            doc = Path(draft.postmortem.path)
            text = doc.read_text()
            if "Intro line" not in text:
                text = text.replace("Connections ran out.", "Connections ran out (edited meanwhile).")
                text = text.replace("| Lower DB alert threshold to 70% |",
                                    "| Lower the DB alert threshold to 70% |")
                doc.write_text("Intro line added by a colleague.\\n\\n" + text)
            return super().create(draft)
""")


@pytest.fixture
def editing_tracker(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    install_plugin(
        tmp_path_factory.mktemp("site"),
        monkeypatch,
        module="pm_sync_editing",
        source=SLOW_TRACKER,
        name="editing",
        cls="EditingDuringCreate",
    )


def test_edit_made_during_push_is_kept(editing_tracker: None, workdir: Path, cli) -> None:
    (workdir / "pm-sync.toml").write_text('tracker = "editing"\n')
    doc = workdir / "pm.md"
    doc.write_text(postmortem_text([(*r, "") for r in STANDARD_ROWS]))

    result = cli("push", "pm.md", "--json")

    assert result.code == 0, result.stdout
    text = doc.read_text()
    assert text.startswith("Intro line added by a colleague.\n\n# Postmortem")
    assert "Connections ran out (edited meanwhile)." in text
    assert "| P0 | Integration test for connection pool | @alice | 2024-01-22 | PM-1 |" in text
    assert "| P1 | Document connection management patterns | @alice | 2024-01-29 | PM-3 |" in text
    # A typo fixed while its ticket was being created: the row is found again by its text and
    # keeps its ticket, whose title follows on the next run; never a second ticket
    assert "| P0 | Lower the DB alert threshold to 70% | @bob | 2024-01-17 | PM-2 |" in text
    assert [w["code"] for w in result.one()["warnings"]] == ["row-edited"]
    again = cli("push", "pm.md", "--json")
    assert again.one()["created"] == [] and again.one()["updated"] == ["PM-2"]
    assert len(local_tickets(workdir)) == 3
    assert local_tickets(workdir)[1]["summary"] == "Lower the DB alert threshold to 70%"


TYPING_TRACKER = textwrap.dedent('''
    from pathlib import Path
    from pm_sync_local import LocalConnector

    class TypingDuringSync(LocalConnector):
        """While pm-sync talks to the tracker, a colleague types into the very cells it owns."""
        name = "typing"

        def create(self, draft):
            doc = Path(draft.postmortem.path)
            doc.write_text(doc.read_text().replace(
                "| @bob | 2024-01-17 |  |", "| @bob | 2024-01-17 | OPS-77 |"))
            return super().create(draft)

        def find(self, markers, projects):
            found = super().find(markers, projects)
            doc = Path(self.context.root) / "pm.md"
            if "| PM-1 |" in doc.read_text():  # a reconcile of pushed tickets
                doc.write_text(doc.read_text().replace("| @alice | 2024-01-22 |",
                                                       "| @alice | 2024-03-03 |"))
            return found
''')


@pytest.fixture
def typing_tracker(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    install_plugin(
        tmp_path_factory.mktemp("site"),
        monkeypatch,
        module="pm_sync_typing",
        source=TYPING_TRACKER,
        name="typing",
        cls="TypingDuringSync",
    )


def test_a_cell_typed_into_during_push_keeps_the_colleagues_value(
    typing_tracker: None, workdir: Path, cli
) -> None:
    (workdir / "pm-sync.toml").write_text('tracker = "typing"\n')
    doc = workdir / "pm.md"
    doc.write_text(postmortem_text([(*r, "") for r in STANDARD_ROWS]))

    result = cli("push", "pm.md", "--json")

    text = doc.read_text()
    assert "| @bob | 2024-01-17 | OPS-77 |" in text  # theirs, not PM-2
    assert "| @alice | 2024-01-22 | PM-1 |" in text
    assert any(
        "edited while pm-sync worked" in w["message"] and "PM-2" in w["message"]
        for w in result.one()["warnings"]
    )


def test_a_cell_edited_during_reconcile_is_not_overwritten_by_a_pull(
    typing_tracker: None, workdir: Path, cli
) -> None:
    from pm_sync_local import LocalStore

    doc = workdir / "pm.md"
    doc.write_text(postmortem_text([(*r, "") for r in STANDARD_ROWS[:1]]))
    assert cli("push", "pm.md").code == 0  # the local tracker: no typing yet
    LocalStore(workdir / ".pm-sync" / "local.db").update("PM-1", {"due": "2024-02-02"})
    (workdir / "pm-sync.toml").write_text(
        'tracker = "typing"\n[trackers.typing]\npath = ".pm-sync/local.db"\n'
    )

    result = cli("reconcile", "pm.md", "--json")

    # the file changed while the tracker was asked: planned again, both sides moved: a conflict
    assert "| @alice | 2024-03-03 | PM-1 |" in doc.read_text()  # the colleague's date
    assert result.code == 1
    [out] = result.json()
    assert out["conflicts"][0]["field"] == "due" and out["pulled"] == []
    assert LocalStore(workdir / ".pm-sync" / "local.db").get_many(["PM-1"])["PM-1"].due == "2024-02-02"
