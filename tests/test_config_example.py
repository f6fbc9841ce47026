"""config.example.toml documents every key: the file and each commented tracker block validate."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pm_sync.config import Config, load_config
from pm_sync.tracker.registry import load_connector

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def commented_block(start: str, end: str | None = None) -> dict[str, object]:
    part = EXAMPLE.read_text().split(start, 1)[1]
    if end:
        part = part.split(end, 1)[0]
    lines = [
        line[2:]
        for line in part.splitlines()
        if line.startswith("# ")
        and "=" in line
        and not line.startswith("# [")
        and not line.startswith('# "@')
    ]
    return tomllib.loads("\n".join(lines))


def test_example_file_loads_as_is(tmp_path: Path) -> None:
    copy = tmp_path / "pm-sync.toml"
    copy.write_text(EXAMPLE.read_text())
    config = load_config(copy)
    assert config.tracker == "local"
    assert config.docs.paths == ["docs/technical/postmortem-*.md"]


@pytest.mark.parametrize(
    ("tracker", "start", "end"),
    [
        ("jira", "# Jira Cloud\n", "# Jira Data Center"),
        ("jira", "# Jira Data Center (instead of the table above)\n", "# Owners for Jira"),
        ("github", "# GitHub Issues\n", None),
    ],
)
def test_each_documented_tracker_block_is_valid(tracker: str, start: str, end: str | None) -> None:
    settings = commented_block(start, end)
    assert settings, "block not found"
    load_connector(tracker).config_model.model_validate(settings)


def test_example_owner_lines_are_valid_owner_entries() -> None:
    owners = [line[2:] for line in EXAMPLE.read_text().splitlines() if line.startswith('# "@')]
    assert len(owners) >= 4
    for line in owners:
        Config.model_validate(tomllib.loads("[owners]\n" + line))
    carol = next(line for line in owners if "@carol" in line)
    assert Config.model_validate(tomllib.loads("[owners]\n" + carol)).owners["@carol"] == {
        "email": "carol@example.com"
    }
