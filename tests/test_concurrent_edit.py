"""Someone saves the postmortem while pm-sync is talking to the tracker: their edit survives."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import STANDARD_ROWS, local_tickets, postmortem_text
from tests.plugin_helpers import install_plugin

# A tracker that is slow in the worst way: while it "creates", a colleague edits the file.
SLOW_TRACKER = textwrap.dedent('''
    from pathlib import Path
    from pm_sync.connector import CreateResult, TicketState
    from pm_sync_local import LocalConnector

    class EditingDuringCreate(LocalConnector):
        name = "editing"

        def create(self, drafts):
            doc = Path(drafts[0].postmortem.path)
            text = doc.read_text()
            text = text.replace("Connections ran out.", "Connections ran out (edited meanwhile).")
            text = text.replace("| Lower DB alert threshold to 70% |",
                                "| Lower the DB alert threshold to 70% |")
            doc.write_text("Intro line added by a colleague.\\n\\n" + text)
            return super().create(drafts)
''')


@pytest.fixture
def editing_tracker(tmp_path_factory: pytest.TempPathFactory,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    install_plugin(tmp_path_factory.mktemp("site"), monkeypatch, module="pm_sync_editing",
                   source=SLOW_TRACKER, name="editing", cls="EditingDuringCreate")


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
    # The renamed row is a different item now: its ticket is not written into it blindly...
    assert "| P0 | Lower the DB alert threshold to 70% | @bob | 2024-01-17 |  |" in text
    assert any("row for PM-2 is gone" in w for w in result.json()["warnings"])
    # ...and the next push creates a ticket for the renamed row; PM-2 stays as the old item's.
    again = cli("push", "pm.md", "--json")
    assert again.json()["created"] == ["PM-4"]
    assert len(local_tickets(workdir)) == 4
