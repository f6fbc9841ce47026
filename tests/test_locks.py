"""Runs on the same postmortem are serialized by a lock that lives with the project.

cron, systemd units and shells each get their own TMPDIR, so the lock must not live there; it
lives in `.pm-sync/locks/` and works whichever account created it.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pm_sync.sync.lock import lock_path
from tests.conftest import STANDARD_ROWS, local_tickets, postmortem_text, run_subprocess
from tests.other_account import NOBODY, open_folder, root_only, run_as

ROWS = [(*r, "") for r in STANDARD_ROWS]
KEYED = [f"| {' | '.join(r)} | PM-{i} |" for i, r in enumerate(STANDARD_ROWS, start=1)]


def _env(tmpdir: Path, extra_path: Path | None) -> dict[str, str]:
    tmpdir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PM_SYNC_")}
    env["TMPDIR"] = str(tmpdir)
    if extra_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(extra_path), env.get("PYTHONPATH")]))
    return env


def _push(workdir: Path, tmpdir: Path, *files: str, extra_path: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pm_sync", "push", *files, "--json"],
        cwd=workdir,
        env=_env(tmpdir, extra_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


SLOW_TRACKER = """
import time
from pm_sync_local import LocalConnector

class SlowLocal(LocalConnector):
    name = "slowlocal"

    def create(self, drafts):
        time.sleep(0.5)  # long enough for every parallel run to be planning meanwhile
        return super().create(drafts)
"""


def test_five_parallel_pushes_with_different_tmpdirs_make_one_ticket_per_item(
    workdir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    site = tmp_path_factory.mktemp("site")
    (site / "pm_sync_slowlocal.py").write_text(SLOW_TRACKER)
    dist = site / "pm_sync_slowlocal-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: pm_sync_slowlocal\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[pm_sync.connectors]\nslowlocal = pm_sync_slowlocal:SlowLocal\n")
    (workdir / "pm-sync.toml").write_text('tracker = "slowlocal"\n')
    doc = workdir / "pm.md"
    doc.write_text(postmortem_text(ROWS))
    temps = [tmp_path_factory.mktemp(f"tmpdir{i}") for i in range(5)]

    runs = [_push(workdir, t, "pm.md", extra_path=site) for t in temps]
    results = [(p.wait(60), *p.communicate()) for p in runs]

    assert [code for code, _, _ in results] == [0] * 5, [err for _, _, err in results]
    created = [json.loads(out)[0]["created"] for _, out, _ in results]
    assert sorted(created, key=len) == [[], [], [], [], ["PM-1", "PM-2", "PM-3"]], created
    assert len(local_tickets(workdir)) == 3
    assert all(row in doc.read_text() for row in KEYED)
    assert lock_path(doc, workdir).parent == workdir / ".pm-sync" / "locks"
    assert not lock_path(doc, workdir).exists(), "the last run removes its lock file"
    assert all(not any(t.iterdir()) for t in temps), "nothing belongs in TMPDIR"


def test_a_push_waits_for_the_lock_held_by_a_run_with_another_tmpdir(
    workdir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    doc = workdir / "pm.md"
    doc.write_text(postmortem_text(ROWS))
    held = lock_path(doc, workdir)
    held.parent.mkdir(parents=True)
    with open(held, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        run = _push(workdir, tmp_path_factory.mktemp("elsewhere"), "pm.md")
        time.sleep(2.0)
        waiting = run.poll() is None
        tickets_meanwhile = local_tickets(workdir)
        fcntl.flock(handle, fcntl.LOCK_UN)
    code = run.wait(60)

    assert waiting and tickets_meanwhile == []
    assert code == 0, run.communicate()[1]
    assert len(local_tickets(workdir)) == 3


@root_only
def test_a_lock_file_and_folder_another_account_created_still_work(workdir: Path) -> None:
    doc = workdir / "pm.md"
    doc.write_text(postmortem_text(ROWS))
    lock = lock_path(doc, workdir)
    lock.parent.mkdir(parents=True)
    lock.touch()
    os.chmod(lock, 0o644)
    os.chmod(lock.parent, 0o755)
    for path in (lock, lock.parent, lock.parent.parent):
        os.chown(path, 4321, 4321)

    result = run_subprocess(["push", "pm.md", "--json"], cwd=workdir)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["created"] == ["PM-1", "PM-2", "PM-3"]
    assert (lock.stat().st_uid, oct(lock.stat().st_mode & 0o777)) == (4321, "0o644")


@pytest.fixture
def open_workdir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with open_folder(monkeypatch) as folder:
        yield folder


@root_only
def test_root_and_a_service_account_share_the_lock_either_way_round(open_workdir: Path) -> None:
    """root's run creates the lock folder; `nobody` then pushes through a lock file root left
    (0644, as a root run still in progress or killed leaves it), and root through nobody's."""
    workdir = open_workdir
    os.chown(workdir, NOBODY, NOBODY)
    (workdir / ".pm-sync").mkdir()
    os.chown(workdir / ".pm-sync", NOBODY, NOBODY)
    first, second = workdir / "first.md", workdir / "second.md"
    first.write_text(postmortem_text(ROWS, title="First"))
    second.write_text(postmortem_text(ROWS, title="Second"))

    root_run = run_subprocess(["push", "second.md", "--json"], cwd=workdir)
    assert root_run.returncode == 0, root_run.stderr
    for path in [first, second, *(workdir / ".pm-sync").iterdir()]:
        if path.name != "locks":
            os.chown(path, NOBODY, NOBODY)
    lock_dir = workdir / ".pm-sync" / "locks"
    assert lock_dir.stat().st_uid == 0 and lock_dir.stat().st_mode & 0o7777 == 0o1777
    roots_lock = lock_path(first, workdir)
    roots_lock.touch()
    os.chmod(roots_lock, 0o644)

    nobody_run = run_as(NOBODY, ["push", "first.md", "--json"], workdir)

    assert nobody_run.returncode == 0, nobody_run.stderr
    assert json.loads(nobody_run.stdout)[0]["created"] == ["PM-4", "PM-5", "PM-6"]
    assert roots_lock.stat().st_uid == 0, "root's lock file is left as it was"
    nobodys_lock = lock_path(second, workdir)
    nobodys_lock.touch()
    os.chown(nobodys_lock, NOBODY, NOBODY)
    os.chmod(nobodys_lock, 0o600)
    second.write_text(second.read_text().replace("Connections ran out.", "Connections ran out fast."))
    root_again = run_subprocess(["push", "second.md", "--json"], cwd=workdir)
    assert root_again.returncode == 0, root_again.stderr
    assert len(local_tickets(workdir)) == 6


def test_a_lock_path_that_is_a_folder_fails_that_postmortem_only(workdir: Path) -> None:
    bad, good = workdir / "bad.md", workdir / "good.md"
    bad.write_text(postmortem_text(ROWS, title="Bad"))
    good.write_text(postmortem_text(ROWS))
    lock_path(bad, workdir).mkdir(parents=True)

    result = run_subprocess(["push", "bad.md", "good.md", "--json"], cwd=workdir)

    assert result.returncode == 1 and "Traceback" not in result.stderr
    bad_out, good_out = json.loads(result.stdout)
    [error] = bad_out["errors"]
    assert error["path"] == "bad.md" and "is not a regular file" in error["message"]
    assert "remove" in error["hint"]
    assert bad_out["created"] == [] and good_out["created"] == ["PM-1", "PM-2", "PM-3"]


def test_a_locks_folder_that_is_a_file_is_a_clear_error(workdir: Path) -> None:
    (workdir / "pm.md").write_text(postmortem_text(ROWS))
    (workdir / ".pm-sync").mkdir()
    (workdir / ".pm-sync" / "locks").write_text("not a folder")

    result = run_subprocess(["push", "pm.md"], cwd=workdir)

    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "is not a folder" in result.stdout and "locks" in result.stdout
    assert local_tickets(workdir) == []


@root_only
def test_a_lock_folder_nobody_can_add_to_is_a_clear_error(open_workdir: Path) -> None:
    workdir = open_workdir
    os.chown(workdir, NOBODY, NOBODY)
    (workdir / "pm.md").write_text(postmortem_text(ROWS))
    os.chown(workdir / "pm.md", NOBODY, NOBODY)
    (workdir / ".pm-sync" / "locks").mkdir(parents=True)
    os.chown(workdir / ".pm-sync", NOBODY, NOBODY)
    os.chmod(workdir / ".pm-sync" / "locks", 0o755)  # root's, not writable by nobody

    result = run_as(NOBODY, ["push", "pm.md", "--json"], workdir)

    assert result.returncode == 1 and "Traceback" not in result.stderr
    [error] = json.loads(result.stdout)[0]["errors"]
    assert "not writable" in error["message"] and "chmod 1777" in error["hint"]
    assert local_tickets(workdir) == []


CONTENDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from pm_sync.sync.lock import postmortem_lock
    doc, root, counter = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    for _ in range(25):
        with postmortem_lock(doc, root, timeout=60):
            value = int(counter.read_text())
            time.sleep(0.001)
            counter.write_text(str(value + 1))
""")


def test_the_lock_excludes_even_as_each_holder_removes_its_lock_file(workdir: Path) -> None:
    """Eight processes take and release the lock 25 times each; a lost update of the shared
    counter would mean two held it at once (the classic race of deleting lock files)."""
    doc = workdir / "pm.md"
    doc.write_text("# x\n")
    counter = workdir / "counter"
    counter.write_text("0")
    procs = [
        subprocess.Popen([sys.executable, "-c", CONTENDER, str(doc), str(workdir), str(counter)])
        for _ in range(8)
    ]
    assert [p.wait(120) for p in procs] == [0] * 8
    assert counter.read_text() == "200"
    assert not lock_path(doc, workdir).exists()
