"""The README tells the truth: its synopses name real flags, its examples run on the bundled
examples and the embedded tracker and print what it shows, its config snippets load, and its
first two commands still work (issue 11)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import typer

from pm_sync.cli.app import app

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DEMO = "/tmp/pm-demo"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXX"
SHARED_FLAGS = {"--verbose", "-v", "--config", "--help"}
"""Flags every command (or every command reading the config) takes, said once in the README."""


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", README, re.MULTILINE | re.DOTALL)


def synopses() -> list[tuple[tuple[str, ...], set[str]]]:
    """(command path, flags) for every `### \\`pm-sync ...\\`` heading; `a | b` lists subcommands."""
    found = []
    for heading in re.findall(r"^### `pm-sync ([^`]+)`$", README, re.MULTILINE):
        first, *alternatives = heading.split(" | ")
        words = first.split()
        group: tuple[str, ...] = ()
        if words[0] == "local":
            group, words = ("local",), words[1:]
            alternatives = [" ".join(words), *alternatives]
        else:
            alternatives = [" ".join(words)]
        for text in alternatives:
            name = text.split()[0]
            path = (*group, name)
            found.append((path, set(re.findall(r"(?<![\w-])--?[a-z][a-z-]*", text))))
    return found


def command(path: tuple[str, ...]) -> Any:
    cmd: Any = typer.main.get_command(app)
    for name in path:
        cmd = cmd.commands[name]
    return cmd


def test_the_synopses_cover_every_command() -> None:
    named = {path for path, _ in synopses()}
    assert named == {
        ("parse",),
        ("lint",),
        ("migrate",),
        ("new",),
        ("push",),
        ("reconcile",),
        ("overdue",),
        ("local", "list"),
        ("local", "close"),
        ("local", "reopen"),
    }


@pytest.mark.parametrize(
    ("path", "flags"), synopses(), ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_every_flag_in_a_synopsis_exists_and_every_flag_is_in_it(
    path: tuple[str, ...], flags: set[str]
) -> None:
    real = {opt for p in command(path).params for opt in p.opts if opt.startswith("-")}
    assert flags <= real, f"pm-sync {' '.join(path)}: the README names {sorted(flags - real)}"
    assert real - SHARED_FLAGS <= flags, (
        f"pm-sync {' '.join(path)}: the README omits {sorted(real - SHARED_FLAGS - flags)}"
    )


def test_the_readme_names_no_missing_example_file() -> None:
    for name in set(re.findall(r"postmortem-\d{4}-\d\d-\d\d-[a-z0-9-]+\.md", README)):
        made_by_new = name == "postmortem-2024-03-02-dns-outage-in-eu-west.md"
        assert made_by_new or (ROOT / "examples" / name).is_file(), name


# --- the console examples -------------------------------------------------------------------


class _Slack(BaseHTTPRequestHandler):
    posts: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        self.posts.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def slack() -> Iterator[str]:
    """An incoming webhook on 127.0.0.1 standing in for Slack's."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slack)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/XXXX"
    finally:
        server.shutdown()
        server.server_close()


def shim(tmp_path: Path) -> dict[str, str]:
    """An environment whose `pm-sync` is the one under test."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "pm-sync"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pm_sync "$@"\n')
    script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PM_SYNC_")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", PYTHONUNBUFFERED="1")
    env.pop("COLUMNS", None)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env["TMPDIR"] = str(tmp)  # the quick start's `mktemp -d` lands here, not in the system's
    return env


def sh(command: str, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        ["bash", "-c", command + " 2>&1"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.stdout


def console_examples() -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for every `$ ` line of every console block, in order."""
    examples: list[tuple[str, list[str]]] = []
    for block in blocks("console"):
        for line in block.splitlines():
            if line.startswith("$ "):
                examples.append((line[2:], []))
            else:
                examples[-1][1].append(line)
    return examples


def shown(expected: list[str], actual: list[str]) -> bool:
    """`...` alone on a line stands for any lines; everything else matches whole lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(shown(expected[1:], actual[n:]) for n in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and shown(expected[1:], actual[1:])


@pytest.mark.skipif(shutil.which("git") is None, reason="the setup runs git init")
def test_every_console_example_prints_what_the_readme_shows(tmp_path: Path, slack: str) -> None:
    env = shim(tmp_path)
    demo = tmp_path / "pm-demo"
    [setup] = [b.strip() for b in blocks("sh") if DEMO in b]
    sh(setup.replace(DEMO, str(demo)), ROOT, env)
    assert sorted(p.name for p in (demo / "docs" / "technical").iterdir()) == [
        "postmortem-2024-01-15-payments-db-connections.md",
        "postmortem-2024-02-06-queue-backlog.md",
    ]
    examples = console_examples()
    assert len(examples) >= 15

    for command, expected in examples:
        actual = sh(command.replace(SLACK_URL, slack), demo, env).splitlines()
        want = [line.replace(DEMO, str(demo)) for line in expected]
        assert shown(want, actual), (
            f"$ {command}\n--- README shows:\n" + "\n".join(want) + "\n--- it prints:\n" + "\n".join(actual)
        )

    assert len(_Slack.posts) == 1 and b"1 overdue" in _Slack.posts[0]
    assert (demo / "weekly.md").read_text().strip()


def test_the_migrate_example_is_the_bundled_file_before_and_after(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, after = (b for b in blocks("markdown") if "Set the batch size" in b)
    source = ROOT / "examples" / "postmortem-2024-02-06-queue-backlog.md"
    assert before in source.read_text()
    copy = tmp_path / source.name
    shutil.copy(source, copy)
    monkeypatch.chdir(tmp_path)

    assert cli("migrate", copy.name, "--write").code == 0

    assert copy.read_text().endswith(after)


# --- the first two commands -----------------------------------------------------------------


def test_the_quick_start_works(tmp_path: Path) -> None:
    first = blocks("sh")[0].strip()
    install = "python3 -m venv .venv && . .venv/bin/activate && python3 -m pip install . && "
    assert first.startswith(install)
    result = subprocess.run(
        ["bash", "-c", first.removeprefix(install)],
        cwd=ROOT,
        env=shim(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "created 4 (PM-1, PM-2, PM-3, PM-4)" in result.stdout
    assert "| P0 | Integration test for connection pool | @alice | 2024-01-22 | PM-1 |" in result.stdout
    assert re.search(
        r"^PM-4\s+Evaluate canary deployment\s+open\s+P2\s+@charlie\s+2024-02-15", result.stdout, re.M
    )
    assert not (ROOT / "examples" / ".pm-sync").exists()


def test_the_test_command_needs_only_the_test_extras() -> None:
    assert blocks("sh")[1].strip() == 'python3 -m pip install -e ".[test]" && python3 -m pytest'
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    names = {re.split(r"[<>=\[ ]", e)[0] for e in extras}
    assert {"pytest", "pytest-timeout", "respx", "hypothesis"} <= names
    for test in (ROOT / "tests").rglob("*.py"):
        text = test.read_text()
        assert not re.search(r"^\s*(import|from) (ruff|mypy)\b", text, re.MULTILINE), test


# --- configuration snippets and the Python API ----------------------------------------------


@pytest.mark.parametrize("snippet", blocks("toml"), ids=lambda b: b.split("\n", 1)[0][:40])
def test_every_config_snippet_loads(workdir: Path, snippet: str) -> None:
    from pm_sync.config import load_config

    (workdir / "pm-sync.toml").write_text(snippet)
    config = load_config()
    for name in config.trackers:
        config.tracker_config(name)


def test_the_python_api_names_real_functions() -> None:
    import importlib

    section = README.split("## Python API", 1)[1].split("##", 1)[0]
    names = re.findall(r"`(pm_sync\.[\w.]+)`", section)
    assert len(names) >= 10
    for dotted in names:
        module, _, name = dotted.rpartition(".")
        assert getattr(importlib.import_module(module), name) is not None, dotted
