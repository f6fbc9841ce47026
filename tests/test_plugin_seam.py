"""A third-party tracker plugs in through the `pm_sync.connectors` entry-point group."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pm_sync.tracker.registry import available_connectors
from tests.conftest import STANDARD_ROWS, postmortem_text
from tests.plugin_helpers import install_plugin

PLUGIN = textwrap.dedent('''
    from __future__ import annotations
    import json
    from pathlib import Path
    from pm_sync.tracker import (Capabilities, Connector, ConnectorConfig, TicketRef,
                                 TicketState)

    class NotesConfig(ConnectorConfig):
        file: str = "notes.json"

    class NotesConnector(Connector[NotesConfig]):
        """Tickets in one JSON file; no due dates."""
        name = "notes"
        config_model = NotesConfig
        capabilities = Capabilities(due_date=False)

        def _path(self) -> Path:
            return self.context.root / self.config.file

        def _load(self) -> dict:
            p = self._path()
            return json.loads(p.read_text()) if p.exists() else {}

        def _state(self, key, t):
            return TicketState(key=key, action=t["action"], marker=t["marker"],
                               document=t["document"], baseline=t.get("baseline"))

        def parse_ref(self, ref):
            return TicketRef(key=ref, native=True) if ref[:1] == "N" and ref[1:].isdigit() else None

        def find(self, markers, projects):
            return [self._state(k, t) for k, t in self._load().items()
                    if t["marker"] in markers or t["document"] in markers]

        def read(self, keys):
            data = self._load()
            return {k: self._state(k, data[k]) if k in data else None for k in keys}

        def create(self, draft):
            data = self._load()
            key = f"N{len(data) + 1}"
            data[key] = {"action": draft.action, "marker": draft.marker, "document": draft.document,
                         "labels": draft.labels, "baseline": draft.fields().model_dump(mode="json")}
            self._path().write_text(json.dumps(data))
            return self._state(key, data[key])

        def update(self, key, changes, baseline):
            data = self._load()
            data[key]["action"] = changes.action or data[key]["action"]
            data[key]["baseline"] = baseline.model_dump(mode="json")
            self._path().write_text(json.dumps(data))
''')


@pytest.fixture
def plugin_installed(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    install_plugin(
        tmp_path_factory.mktemp("site"),
        monkeypatch,
        module="pm_sync_notes",
        source=PLUGIN,
        name="notes",
        cls="NotesConnector",
    )


def test_builtin_trackers_are_registered_as_entry_points() -> None:
    found = available_connectors()
    assert {"local", "jira", "github"} <= set(found)
    assert found["local"].name == "local"


def test_third_party_tracker_is_used_like_a_builtin(plugin_installed: None, workdir: Path, cli) -> None:
    (workdir / "pm-sync.toml").write_text(
        'tracker = "notes"\nlabels = ["incident"]\n[trackers.notes]\nfile = "tickets.json"\n'
    )
    doc = workdir / "pm.md"
    doc.write_text(postmortem_text([(*r, "") for r in STANDARD_ROWS[:2]]))

    result = cli("push", str(doc), "--json")

    assert result.code == 0, result.stdout + result.stderr
    assert result.one()["created"] == ["N1", "N2"]
    assert any("no due dates" in w["message"] for w in result.one()["warnings"])
    assert "| @alice | 2024-01-22 | N1 |" in doc.read_text()
    stored = (workdir / "tickets.json").read_text()
    assert '"labels": ["incident"]' in stored and "pm-sync-" in stored


def test_plugin_config_errors_name_the_key(plugin_installed: None, workdir: Path, cli) -> None:
    (workdir / "pm-sync.toml").write_text('tracker = "notes"\n[trackers.notes]\nfiel = "x"\n')
    doc = workdir / "pm.md"
    doc.write_text(postmortem_text())
    result = cli("push", str(doc))
    assert result.code == 2
    assert "trackers.notes.fiel" in result.stderr and "pm-sync.toml" in result.stderr


def test_unknown_tracker_lists_the_installed_ones(workdir: Path, cli) -> None:
    (workdir / "pm-sync.toml").write_text('tracker = "trello"\n')
    doc = workdir / "pm.md"
    doc.write_text(postmortem_text([(*STANDARD_ROWS[0], "")]))
    result = cli("push", str(doc))
    assert result.code == 2
    assert "unknown tracker 'trello'" in result.stderr and "local" in result.stderr
