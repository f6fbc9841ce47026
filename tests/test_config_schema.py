"""Story: a team points its editor at `pm-sync config schema`; the schema accepts exactly the
files pm-sync accepts, tracker tables included, and underlines the typos pm-sync would refuse."""

from __future__ import annotations

import contextlib
import io
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from pm_sync.cli import run
from pm_sync.config import load_config
from pm_sync.errors import ConfigError
from tests.test_config_example import EXAMPLE, commented_block


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert run(["config", "schema"]) == 0
    data: dict[str, Any] = json.loads(out.getvalue())
    return data


def schema_errors(schema: dict[str, Any], text: str) -> list[str]:
    validator = Draft202012Validator(schema)
    return [e.message for e in validator.iter_errors(tomllib.loads(text))]


def pm_sync_accepts(tmp_path: Path, text: str) -> bool:
    path = tmp_path / "pm-sync.toml"
    path.write_text(text)
    try:
        config = load_config(path)
        for name in config.trackers:
            config.tracker_config(name)
    except ConfigError:
        return False
    return True


def test_the_schema_is_a_valid_json_schema_with_every_tracker_table(schema: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")
    props = schema["properties"]
    assert "path" not in props and "base_dir" not in props  # internal, never in the file
    tables = props["trackers"]["properties"]
    assert {"local", "jira", "github"} <= set(tables)
    assert tables["jira"]["required"] == ["url"]
    assert "token_env" in tables["github"]["properties"]
    assert set(props["tracker"]["enum"]) >= {"local", "jira", "github"}


def test_config_example_and_its_documented_tracker_blocks_validate(
    schema: dict[str, Any], tmp_path: Path
) -> None:
    assert schema_errors(schema, EXAMPLE.read_text()) == []
    for tracker, start, end in (
        ("jira", "# Jira Cloud\n", "# Jira Data Center"),
        ("jira", "# Jira Data Center (instead of the table above)\n", "# Owners for Jira"),
        ("github", "# GitHub Issues\n", None),
    ):
        block = commented_block(start, end)
        assert block
        text = f'tracker = "{tracker}"\n[trackers.{tracker}]\n' + "\n".join(
            f"{k} = {json.dumps(v) if not isinstance(v, dict) else _inline(v)}" for k, v in block.items()
        )
        assert schema_errors(schema, text) == [], text
        assert pm_sync_accepts(tmp_path, text)


def _inline(table: dict[str, Any]) -> str:
    return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in table.items()) + " }"


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        (
            '[trackers.github]\nrepo = "acme/app"\nproject = { owner = "acme", number = 5 }\n',
            True,
        ),
        ('[trackers.jira]\nurl = "https://acme.atlassian.net"\nproject = "OPS"\n', True),
        ('unknown_ownr = "error"\n', False),
        ('tracker = "jria"\n', False),
        ('[routes]\nOPS = "jria"\n', False),
        ('unknown_owner = "maybe"\n', False),
        ('[trackers.jira]\nurl = "https://acme.atlassian.net"\ntokn_env = "X"\n', False),
        ('[trackers.jira]\nproject = "OPS"\n', False),  # url is required
        ('[trackers.github]\nrepo = "acme/app"\ntimeout = -1\n', False),
        ('[trackers.local]\nkey_prefix = "OPS"\n', True),
        ("[safety]\nmax_creates = -1\n", False),
    ],
)
def test_the_schema_agrees_with_pm_sync(
    schema: dict[str, Any], tmp_path: Path, text: str, accepted: bool
) -> None:
    assert (schema_errors(schema, text) == []) is accepted, schema_errors(schema, text)
    assert pm_sync_accepts(tmp_path, text) is accepted
