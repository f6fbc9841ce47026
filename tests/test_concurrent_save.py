"""An editor saves the postmortem every few milliseconds while pm-sync writes keys back.

The editor is a real separate process, saving in place (truncate and write, as VS Code does)
or by writing a temp file and renaming it over (as vim and many tools do). After every
write-back the file must hold the editor's latest save, with or without our keys, never an
older save with our keys on top (a lost save).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

from pm_sync.document.parse import parse_source
from pm_sync.document.source import Source
from pm_sync.document.writeback import CellEdit, render, write_back
from pm_sync.errors import WriteBackError
from tests.conftest import local_tickets, postmortem_text, run_subprocess

TRIES = 250
SAVE_EVERY = 0.003
_SAVE = re.compile(r"Connections ran out\. save (\d+)\n")


def _editor_text(base: str, n: int) -> str:
    return base.replace("Connections ran out.\n", f"Connections ran out. save {n}\n")


def _editor(path: str, style: str, base: str, stop: Any, last_saved: Any) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        text = _editor_text(base, n)
        if style == "in-place":
            with open(path, "w") as handle:
                handle.write(text)
        else:
            tmp = f"{path}~save{n % 2}"
            with open(tmp, "w") as handle:
                handle.write(text)
            os.replace(tmp, path)
        last_saved.value = n
        time.sleep(SAVE_EVERY)


class Editor:
    def __init__(self, path: Path, style: str, base: str) -> None:
        ctx = multiprocessing.get_context("fork")
        self.stop = ctx.Event()
        self.last_saved = ctx.Value("i", 0)
        self.proc = ctx.Process(
            target=_editor, args=(str(path), style, base, self.stop, self.last_saved), daemon=True
        )

    def __enter__(self) -> Editor:
        self.proc.start()
        while self.last_saved.value == 0:
            time.sleep(0.001)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.proc.join(5)


def _settled_read(path: Path, valid: Any) -> str:
    """An in-place save is not atomic for readers either: wait for a complete file."""
    for _ in range(200):
        text = path.read_text()
        if valid(text):
            return text
        time.sleep(0.0005)
    return text


@pytest.mark.parametrize("style", ["in-place", "rename"])
def test_an_editor_saving_during_write_back_never_loses_a_save(tmp_path: Path, style: str) -> None:
    doc = tmp_path / "postmortem.md"
    rows = [("P0", "Fix the pool", "@alice", "2024-01-22", ""), ("P1", "Add an alert", "@bob", "", "")]
    base = postmortem_text(rows)
    doc.write_text(base)
    pm = parse_source(Source.read(doc))
    edits = [CellEdit(item.uid, "ticket", f"PM-{i + 1}") for i, item in enumerate(pm.action_items)]

    def keyed(text: str) -> str:
        source = Source.from_bytes(text.encode(), str(doc))
        return render(source, parse_source(source), edits)[0]

    def valid(text: str) -> bool:
        m = _SAVE.search(text)
        if m is None:
            return False
        theirs = _editor_text(base, int(m.group(1)))
        return text in (theirs, keyed(theirs))

    lost: list[tuple[int, int]] = []
    outcomes = {"keys written": 0, "editor won": 0, "kept changing": 0}
    with Editor(doc, style, base) as editor:
        for _ in range(TRIES):
            try:
                write_back(doc, edits)
            except WriteBackError:
                outcomes["kept changing"] += 1
            saved_before_read = editor.last_saved.value
            text = _settled_read(doc, valid)
            assert valid(text), f"the file is neither the editor's text nor it plus our keys:\n{text}"
            seen = int(_SAVE.search(text).group(1))  # type: ignore[union-attr]
            if seen < saved_before_read:
                lost.append((seen, saved_before_read))
            outcomes["keys written" if "| PM-1 |" in text else "editor won"] += 1
            time.sleep(0.0005 * (_ % 7))  # drift against the editor's rhythm
        saves = editor.last_saved.value

    print(style, outcomes, "saves", saves, "lost", len(lost))
    assert not lost, f"saves lost (file showed save N while save M > N had completed): {lost[:5]}"
    assert saves > TRIES / 2, "the editor hardly saved: the test proved nothing"
    assert outcomes["keys written"] > 0, outcomes
    assert not list(tmp_path.glob(".postmortem.md.*.pm-sync.tmp")), "a temp file was left behind"


def test_the_cli_keeps_an_editors_saves_while_pushing(workdir: Path) -> None:
    """The same through the real command: pushes while the editor saves; no save is lost and
    no ticket is created twice."""
    doc = workdir / "postmortem.md"
    base = postmortem_text([("P0", "Fix the pool", "@alice", "2024-01-22", "")])
    doc.write_text(base)
    with Editor(doc, "rename", base) as editor:
        codes = []
        for _ in range(4):
            codes.append(run_subprocess(["push", "postmortem.md"], cwd=workdir).returncode)
            saved = editor.last_saved.value
            seen = int(_SAVE.search(doc.read_text()).group(1))  # type: ignore[union-attr]
            assert seen >= saved
    assert set(codes) <= {0, 1}
    assert len(local_tickets(workdir)) == 1
