"""The JSON Schema of `pm-sync.toml`, for editors: the file's keys plus each installed tracker's
`[trackers.NAME]` table, so a misspelt key is underlined before pm-sync ever runs.

Built from the same pydantic models that validate the file, so the two cannot drift apart.
"""

from __future__ import annotations

import json
from typing import Any

from pm_sync.config import Config
from pm_sync.tracker.registry import available_connectors

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_INTERNAL = ("path", "base_dir")


def config_schema() -> dict[str, Any]:
    schema = Config.model_json_schema()
    schema = {"$schema": SCHEMA_DIALECT, **schema, "title": "pm-sync.toml"}
    props: dict[str, Any] = schema["properties"]
    for key in _INTERNAL:
        props.pop(key, None)
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    connectors = available_connectors()
    names = sorted(connectors)
    props["tracker"]["enum"] = names
    props["routes"]["additionalProperties"] = {"type": "string", "enum": names}
    tables: dict[str, Any] = {}
    for name in names:
        table = connectors[name].config_model.model_json_schema()
        tables[name] = _merge_defs(table, defs, prefix=name)
    props["trackers"] = {
        "type": "object",
        "title": "Trackers",
        "description": "One table per tracker: [trackers.local], [trackers.jira], [trackers.github], "
        "or an installed plugin's.",
        "properties": tables,
        "additionalProperties": {"type": "object"},
    }
    return schema


def _merge_defs(table: dict[str, Any], defs: dict[str, Any], *, prefix: str) -> dict[str, Any]:
    """Move a table's `$defs` into the shared ones; a name already taken by a different
    definition is renamed `<tracker>_<name>` and every reference to it follows."""
    own: dict[str, Any] = table.pop("$defs", {})
    renames = {key: f"{prefix}_{key}" for key, value in own.items() if key in defs and defs[key] != value}

    def follow(node: Any) -> Any:
        text = json.dumps(node)
        for old, new in renames.items():
            text = text.replace(json.dumps(f"#/$defs/{old}"), json.dumps(f"#/$defs/{new}"))
        return json.loads(text)

    for key, value in own.items():
        defs[renames.get(key, key)] = follow(value)
    result: dict[str, Any] = follow(table)
    return result
