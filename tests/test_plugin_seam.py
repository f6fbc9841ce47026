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
    from pm_sync.tracker.contract import (Capabilities, Connector, ConnectorConfig, CreateResult,
                                   TicketState)

    class NotesConfig(ConnectorConfig):
        file: str = "notes.json"

    class NotesConnector(Connector):
        """Tickets as JSON lines; no due dates."""
        name = "notes"
        config_model = NotesConfig
        capabilities = Capabilities(due_date=False)

        def _path(self) -> Path:
            return self.context.base_dir / self.config.file

        def _load(self) -> dict:
            p = self._path()
            return json.loads(p.read_text()) if p.exists() else {}

        def owns_key(self, key):
            return key.startswith("N")

        def find_by_markers(self, markers, project):
            return {t["marker"]: TicketState(key=k, summary=t["summary"], marker=t["marker"])
                    for k, t in self._load().items() if t["marker"] in markers}

        def read(self, keys):
            data = self._load()
            return {k: TicketState(key=k, summary=data[k]["summary"]) if k in data else None
                    for k in keys}

        def create(self, drafts):
            data = self._load()
            out = []
            for d in drafts:
                key = f"N{len(data) + 1}"
                data[key] = {"summary": d.summary, "marker": d.marker, "labels": d.labels}
                out.append(CreateResult(uid=d.uid, state=TicketState(key=key, summary=d.summary)))
            self._path().write_text(json.dumps(data))
            return out

        def update(self, key, changes, baseline):
            data = self._load()
            data[key]["summary"] = changes.summary or data[key]["summary"]
            self._path().write_text(json.dumps(data))
            return TicketState(key=key, summary=data[key]["summary"])
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
    assert any("no due dates" in w for w in result.one()["warnings"])
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
