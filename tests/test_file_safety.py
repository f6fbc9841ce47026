"""The postmortem file on disk: links, permissions, owners, and things that are not files.

Each story runs the real CLI in a subprocess against the embedded local tracker, with a good
postmortem in the same run that must still get its keys.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pm_sync.document.source import MAX_BYTES, Source
from pm_sync.errors import DocumentError
from tests.conftest import STANDARD_ROWS, local_tickets, postmortem_text, run_subprocess
from tests.other_account import NOBODY, open_folder, root_only, run_as

ROWS = [(*r, "") for r in STANDARD_ROWS]
KEYED = [f"| {' | '.join(r)} | PM-{i} |" for i, r in enumerate(STANDARD_ROWS, start=1)]


def _write(path: Path, title: str = "Payment API errors") -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(postmortem_text(ROWS, title=title))
    return path.read_bytes()


def _push(workdir: Path, *args: str) -> tuple[int, Any, str]:
    result = run_subprocess(["push", *args, "--json"], cwd=workdir, timeout=60)
    return result.returncode, _json(result), result.stderr


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    import json

    assert not result.stderr.startswith("Traceback"), result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout)


def _keys_written(path: Path) -> bool:
    text = path.read_text()
    return all(row in text for row in KEYED)


def test_a_symlinked_postmortem_is_written_through_the_link(workdir: Path) -> None:
    real = workdir / "shared" / "postmortem-payments.md"
    _write(real)
    link = workdir / "docs" / "postmortem-payments.md"
    link.parent.mkdir()
    link.symlink_to(Path("..") / "shared" / "postmortem-payments.md")

    code, out, _ = _push(workdir, "docs/postmortem-payments.md")

    assert code == 0, out
    assert link.is_symlink() and os.readlink(link) == str(Path("..") / "shared" / "postmortem-payments.md")
    assert _keys_written(real)
    assert not [p.name for p in (workdir / "docs").iterdir() if p.name != link.name]
    assert sorted(p.name for p in (workdir / "shared").iterdir()) == ["postmortem-payments.md"]
    assert len(local_tickets(workdir)) == 3


@root_only
def test_mode_owner_and_group_are_kept(workdir: Path) -> None:
    doc = workdir / "pm.md"
    _write(doc)
    os.chown(doc, 1234, 2345)
    os.chmod(doc, 0o640)

    code, out, _ = _push(workdir, "pm.md")

    assert code == 0, out
    st = doc.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 2345, 0o640)
    assert _keys_written(doc)


def test_a_read_only_postmortem_is_refused_before_any_ticket_is_made(workdir: Path) -> None:
    frozen = workdir / "frozen.md"
    before = _write(frozen, title="Frozen")
    os.chmod(frozen, 0o444)
    good = workdir / "good.md"
    _write(good)

    code, out, _ = _push(workdir, "frozen.md", "good.md")

    assert code == 1
    frozen_out, good_out = out
    assert frozen_out["created"] == []
    [error] = frozen_out["errors"]
    assert error["path"] == "frozen.md" and "read-only (mode 0444)" in error["message"]
    assert "chmod u+w" in error["hint"]
    assert frozen.read_bytes() == before and stat.S_IMODE(frozen.stat().st_mode) == 0o444
    assert good_out["created"] == ["PM-1", "PM-2", "PM-3"] and _keys_written(good)
    assert [t["postmortem"] for t in local_tickets(workdir)] == ["good.md"] * 3


def test_a_postmortem_in_a_read_only_folder_is_refused_before_any_ticket(workdir: Path) -> None:
    folder = workdir / "archive"
    doc = folder / "pm.md"
    before = _write(doc, title="Archived")
    os.chmod(folder, 0o555)
    _write(workdir / "good.md")
    try:
        code, out, _ = _push(workdir, "archive/pm.md", "good.md")
    finally:
        os.chmod(folder, 0o755)

    assert code == 1
    [error] = out[0]["errors"]
    assert "archive" in error["message"] and "read-only" in error["message"]
    assert "writable" in error["hint"]
    assert doc.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["pm.md"]
    assert out[1]["created"] == ["PM-1", "PM-2", "PM-3"]
    assert len(local_tickets(workdir)) == 3


@pytest.fixture
def open_workdir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with open_folder(monkeypatch) as folder:
        yield folder


@root_only
def test_as_another_account_files_it_cannot_write_or_own_are_refused_first(open_workdir: Path) -> None:
    """Run as `nobody` in a project folder it owns: a root-owned 0644 file is not writable,
    and a teammate's 0666 file would change owner if replaced, so both are refused before
    anything is created; nobody's own file goes through."""
    workdir = open_workdir
    os.chown(workdir, NOBODY, NOBODY)
    roots = workdir / "roots.md"
    _write(roots, title="Root's")
    teammates = workdir / "teammates.md"
    _write(teammates, title="Teammate's")
    os.chown(teammates, 4321, 4321)
    os.chmod(teammates, 0o666)
    mine = workdir / "mine.md"
    _write(mine)
    os.chown(mine, NOBODY, NOBODY)

    result = run_as(NOBODY, ["push", "roots.md", "teammates.md", "mine.md", "--json"], workdir)

    assert result.returncode == 1, result.stderr
    roots_out, teammates_out, mine_out = _json(result)
    assert "read-only" in roots_out["errors"][0]["message"]
    assert "belongs to uid 4321" in teammates_out["errors"][0]["message"]
    assert mine_out["created"] == ["PM-1", "PM-2", "PM-3"] and _keys_written(mine)
    st = teammates.stat()
    assert (st.st_uid, st.st_gid) == (4321, 4321) and not _keys_written(teammates)
    assert [t["postmortem"] for t in local_tickets(workdir)] == ["mine.md"] * 3


# -- things that are not postmortem files ---------------------------------------------------


def _fifo(workdir: Path) -> str:
    os.mkfifo(workdir / "pipe.md")
    return "pipe.md"


def _huge(workdir: Path) -> str:
    with open(workdir / "huge.md", "wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: 10 MB + 1 byte of zeros
    return "huge.md"


NOT_FILES = {
    "fifo": (_fifo, "named pipe (FIFO)"),
    "dev-zero": (lambda _: "/dev/zero", "character device"),
    "dev-null": (lambda _: "/dev/null", "character device"),
    "too-large": (_huge, "larger than 10 MB"),
}


@pytest.mark.parametrize("command", ["push", "push --dry-run", "parse", "lint"])
@pytest.mark.parametrize("kind", list(NOT_FILES))
def test_something_that_is_not_a_postmortem_file_is_a_located_error(
    workdir: Path, kind: str, command: str
) -> None:
    make, message = NOT_FILES[kind]
    bad = make(workdir)
    good = workdir / "good.md"
    _write(good)

    result = run_subprocess([*command.split(), bad, "good.md", "--json"], cwd=workdir, timeout=30)

    assert result.returncode == 1, result.stdout + result.stderr
    out = _json(result)
    text = str(out)
    assert message in text and bad in text
    if command == "push":
        assert out[1]["created"] == ["PM-1", "PM-2", "PM-3"] and _keys_written(good)
        assert out[0]["errors"][0]["path"] == bad
    elif command == "parse":
        assert [pm["path"] for pm in out if pm.get("action_items")] == ["good.md"]


def test_a_folder_read_as_a_postmortem_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError) as caught:
        Source.read(tmp_path)
    assert caught.value.path == str(tmp_path) and "is a directory" in caught.value.message
