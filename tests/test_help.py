"""`--help` reads right for every command on the typer versions pyproject.toml allows, and
shell completion is on (issue 11)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperArgument, TyperOption

from pm_sync.cli.app import app

ROOT = Path(__file__).parent.parent


def command_paths() -> Iterator[tuple[str, ...]]:
    def walk(cmd: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        yield path
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, (*path, name))

    yield from walk(typer.main.get_command(app), ())


COMMANDS = list(command_paths())


def help_text(cli: Any, path: tuple[str, ...]) -> str:
    result = cli(*path, "--help")
    assert result.code == 0, result.stderr
    return str(result.stdout)


def test_every_command_is_checked() -> None:
    assert {" ".join(p) for p in COMMANDS} >= {
        "",
        "parse",
        "lint",
        "new",
        "migrate",
        "push",
        "reconcile",
        "overdue",
        "local",
        "local list",
        "local close",
        "local reopen",
    }


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "pm-sync")
def test_help_reads_right(cli: Any, path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one line per option, so the checks below see whole texts
    text = help_text(cli, path)

    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert usage.split("Usage:")[1].split()[0] == "pm-sync"
    for wrong in ("<bool>", "<str>", "<list", "<path>", "{", "}", "[default: None]", "BOOLEAN"):
        assert wrong not in text, f"{wrong!r} in the help of pm-sync {' '.join(path)}"
    assert "\\[" not in text  # an escaped bracket shows as a bracket
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    for param in command.params:
        if isinstance(param, TyperArgument):
            assert param.metavar and param.metavar.split("...")[0].strip("[]").isupper(), param.name
            assert param.metavar in usage
        if isinstance(param, TyperOption) and not param.is_flag and param.name != "help":
            assert param.metavar, f"--{param.name} has no metavar"
            assert param.metavar in text
        if param.help:
            assert re.sub(r"\s+", " ", param.help).replace("\\[", "[") in re.sub(r"\s*│\s*", " ", text)


def test_brackets_in_help_texts_survive(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    for path in [("reconcile",), ("overdue",)]:
        assert "(default: the config's [docs] paths)" in help_text(cli, path)


def test_new_shows_author_and_the_quick_severity(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    text = help_text(cli, ("new",))
    assert "--author" in text and "HANDLE" in text
    assert "SEV3 with --quick" in text


@pytest.mark.parametrize(
    "path", [p for p in COMMANDS if p and p not in (("local",), ("config",))], ids=" ".join
)
def test_every_command_takes_json_and_verbose(path: tuple[str, ...]) -> None:
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    flags = {opt for p in command.params for opt in p.opts}
    assert {"--json", "--verbose", "-v"} <= flags


def completion(words: str, cword: int) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PM_SYNC")}
    env.update({"_PM_SYNC_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)})
    result = subprocess.run(
        [sys.executable, "-m", "pm_sync"], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_shell_completion_is_on(cli: Any) -> None:
    assert "--install-completion" in help_text(cli, ())
    assert completion("pm-sync rec", 1).split() == ["reconcile"]
    assert completion("pm-sync push --dry", 2).split() == ["--dry-run"]
    assert completion("pm-sync local re", 2).split() == ["reopen"]


def test_the_typer_range_is_the_one_this_help_was_checked_on() -> None:
    """Each typer minor release has changed how help looks; widening the range means running
    these tests on the new versions first."""
    text = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'"typer>=0\.26,<0\.27"', text)
    major, minor = (int(p) for p in typer.__version__.split(".")[:2])
    assert (major, minor) == (0, 26)
