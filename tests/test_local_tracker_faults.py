"""The embedded tracker's `.pm-sync/local.db` damaged, locked or unwritable: a clear error.

Every failure names the database file and says what to do; no traceback, nothing created,
no key written into any postmortem.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pm_sync_local import LocalStore
from tests.conftest import STANDARD_ROWS, postmortem_text, run_subprocess
from tests.other_account import NOBODY, open_folder, root_only, run_as

ROWS = [(*r, "") for r in STANDARD_ROWS]


def _docs(workdir: Path) -> dict[Path, bytes]:
    docs = {}
    for name in ("first.md", "second.md"):
        path = workdir / name
        path.write_text(postmortem_text(ROWS, title=name))
        docs[path] = path.read_bytes()
    return docs


def _push_both(workdir: Path) -> tuple[int, list[dict[str, object]], str]:
    result = run_subprocess(["push", "first.md", "second.md", "--json"], cwd=workdir, timeout=90)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout), result.stderr


def _db(workdir: Path) -> Path:
    return workdir / ".pm-sync" / "local.db"


def test_a_database_that_is_not_sqlite_is_a_clear_error(workdir: Path) -> None:
    docs = _docs(workdir)
    _db(workdir).parent.mkdir()
    _db(workdir).write_bytes(b"this is not a database\n" * 200)

    code, out, _ = _push_both(workdir)

    assert code == 1
    for result in out:
        [error] = result["errors"]  # type: ignore[misc]
        assert error["path"] in ("first.md", "second.md") and ".pm-sync/local.db" in error["message"]
        assert "damaged" in error["message"] and "backup" in error["hint"]
    assert all(path.read_bytes() == data for path, data in docs.items())
    listing = run_subprocess(["local", "list"], cwd=workdir)
    assert listing.returncode == 1 and "Traceback" not in listing.stderr
    assert "local.db" in listing.stderr and "damaged" in listing.stderr


def test_a_database_with_damaged_pages_is_a_clear_error(workdir: Path) -> None:
    store = LocalStore(_db(workdir))
    for i in range(300):  # enough rows for several pages
        store.insert(
            {
                "summary": f"old ticket {i} " + "x" * 200,
                "description": "",
                "priority": None,
                "owner": None,
                "due": None,
                "postmortem": "old.md",
                "marker": f"m{i}",
                "baseline": None,
            }
        )
    data = bytearray(_db(workdir).read_bytes())
    page = 4096
    data[page : 6 * page] = b"\xff" * (5 * page)  # the table's pages, not the header
    _db(workdir).write_bytes(bytes(data))
    docs = _docs(workdir)

    code, out, _ = _push_both(workdir)

    assert code == 1
    for result in out:
        assert result["created"] == []
        assert "local.db" in str(result["errors"]) and "damaged" in str(result["errors"])
    assert all(path.read_bytes() == data for path, data in docs.items())


HOLDER = textwrap.dedent("""
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE tickets SET summary = summary")
    print("holding", flush=True)
    time.sleep(120)
""")


@pytest.fixture
def held_database(workdir: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process sits in a write transaction on the database (a forgotten `sqlite3`
    shell, a backup tool), far longer than pm-sync waits."""
    LocalStore(_db(workdir)).delete("PM-0")  # creates the database
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(_db(workdir))], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    yield holder
    holder.kill()
    holder.wait()


def test_a_database_locked_by_another_process_fails_after_a_bounded_wait(
    workdir: Path, held_database: subprocess.Popen[str]
) -> None:
    doc = workdir / "pm.md"
    doc.write_text(postmortem_text(ROWS))
    before = doc.read_bytes()
    started = time.monotonic()

    result = run_subprocess(["push", "pm.md", "--json"], cwd=workdir, timeout=90)

    took = time.monotonic() - started
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = json.loads(result.stdout)[0]["errors"]
    # the first create waits, then fails; the others are not sent (each row says so)
    assert all("locked by another process" in e["message"] for e in errors), errors
    error = errors[0]
    assert "local.db" in error["message"] or "local.db" in str(error["path"]), error
    assert "locked by another process for over 10s" in error["message"]
    assert "wait for the other" in error["hint"]
    assert 9 < took < 60
    # the wait is said once it is long enough to notice, and never in the JSON
    assert result.stderr.count("is locked by another process") == 1, result.stderr
    assert "pm-sync: waiting up to 7 s more: the local tracker database" in result.stderr
    assert doc.read_bytes() == before
    assert held_database.poll() is None  # the other process was never disturbed


def test_a_database_path_under_a_file_is_a_clear_error(workdir: Path) -> None:
    docs = _docs(workdir)
    (workdir / "pm-sync.toml").write_text('[trackers.local]\npath = "notes.txt/local.db"\n')
    (workdir / "notes.txt").write_text("a file, not a folder\n")

    code, out, _ = _push_both(workdir)

    assert code == 1
    for result in out:
        error = result["errors"][0]  # type: ignore[index]
        assert error["path"] in ("first.md", "second.md") and error["line"], error
        assert "notes.txt/local.db" in error["message"] and "cannot open" in error["message"]
        assert "writable folder" in error["hint"]
    assert all(path.read_bytes() == data for path, data in docs.items())


@pytest.fixture
def open_workdir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with open_folder(monkeypatch) as folder:
        yield folder


@root_only
@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("root's .pm-sync", "cannot record the creates in flight"),
        ("shared inflight, no database yet", "cannot open local tracker database"),
        ("shared inflight, root's database", "cannot write the local tracker database"),
    ],
)
def test_a_read_only_tracker_folder_is_a_clear_error(open_workdir: Path, setup: str, expected: str) -> None:
    """`nobody` pushes in a project whose `.pm-sync/` (and database) belong to root."""
    workdir = open_workdir
    os.chown(workdir, NOBODY, NOBODY)
    docs = _docs(workdir)
    for path in docs:
        os.chown(path, NOBODY, NOBODY)
    state = workdir / ".pm-sync"
    for shared in ["locks", *(["inflight"] if "shared inflight" in setup else [])]:
        (state / shared).mkdir(parents=True)
        os.chmod(state / shared, 0o1777)
    os.chmod(state, 0o755)
    if "root's database" in setup:
        LocalStore(_db(workdir)).delete("PM-0")  # creates it, as root

    result = run_as(NOBODY, ["push", "first.md", "second.md", "--json"], workdir)

    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    for out in json.loads(result.stdout):
        assert out["created"] == []
        error = out["errors"][0]  # the first row says why; the rows after it were not sent
        assert ".pm-sync" in error["message"] and expected in error["message"], error
        assert "writable" in error["hint"], error
        assert all(expected in e["message"] for e in out["errors"]), out["errors"]
    assert all(path.read_bytes() == data for path, data in docs.items())
