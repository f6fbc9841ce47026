"""`parse --json` writes each postmortem as it is read (thousands of files never sit in memory
at once), and the bytes are exactly those of the whole list printed at once."""

from __future__ import annotations

import json
from pathlib import Path

from pm_sync.api import parse_paths
from tests.conftest import STANDARD_ROWS, postmortem_text


def test_streamed_json_is_byte_for_byte_the_list(workdir: Path, cli) -> None:
    names = []
    for n in range(3):
        path = workdir / f"postmortem-2024-01-1{n}-incident.md"
        path.write_text(postmortem_text(STANDARD_ROWS, title=f"Incident {n} — “quoted”"))
        names.append(str(path))
    broken = workdir / "postmortem-2024-01-19-broken.md"
    broken.write_text(postmortem_text([("P9", "Bad priority", "@alice", "2024-01-22", "")]))
    names.append(str(broken))

    result = cli("parse", *names, "--json")

    expected = json.dumps([pm.public() for pm in parse_paths(names)], indent=2, ensure_ascii=False)
    assert result.stdout == expected + "\n"
    assert result.code == 1  # the broken one has a problem that would stop push
    assert [p["path"] for p in result.json()] == names
