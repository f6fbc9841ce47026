"""What the recipes ask of pm-sync: every `pm-sync ...` command line in a shell script, a workflow
or a doc, checked against the real typer app's commands and options."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import typer.core
import typer.main
import yaml

from pm_sync.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
RECIPES = ROOT / "docs" / "recipes"
ACTION = ROOT / "action.yml"
WORKFLOWS = sorted((RECIPES / "workflows").glob("*.yml"))
SCRIPTS = sorted((RECIPES / "scripts").glob("*.sh"))
CRONTAB = RECIPES / "crontab"
KUBERNETES = RECIPES / "kubernetes" / "pm-sync-cronjobs.yaml"
PRE_COMMIT_HOOKS = ROOT / ".pre-commit-hooks.yaml"
_PUNCTUATION = set("();<>|&")
_LEADERS = {"exec", "then", "do", "else", "if", "while", "until", "!", "time", "env", "sudo", "{"}


def cli_root() -> typer.core.TyperGroup:
    """The app as the command line parses it (typer's click objects)."""
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    return root


def resolve(words: list[str]) -> tuple[Any, list[str]]:
    """The command `words` name (`stats`, `config schema`) and the words after it."""
    command: Any = cli_root()
    rest = list(words)
    while isinstance(command, typer.core.TyperGroup):
        assert rest, f"pm-sync {' '.join(words)}: a command is missing"
        name = rest.pop(0)
        assert name in command.commands, f"pm-sync has no command {name!r} (in {' '.join(words)!r})"
        command = command.commands[name]
    return command, rest


def option_names(command: Any) -> set[str]:
    names = {"--help"}
    for param in command.params:
        if isinstance(param, typer.core.TyperOption):
            names |= {*param.opts, *param.secondary_opts}
    return names


def check_invocation(words: list[str]) -> Any:
    """Fails unless `pm-sync WORDS` names a real command and only options it has."""
    if words and words[0] == "--version":
        return cli_root()
    command, rest = resolve(words)
    known = option_names(command)
    for word in rest:
        if word.startswith("--"):
            name = word.split("=", 1)[0]
            assert name in known, f"pm-sync {command.name} has no option {name} ({' '.join(words)})"
    return command


def invocations(shell: str) -> list[list[str]]:
    """The words after each `pm-sync` in a shell text; values only known when it runs ($x)
    are left out. Quoted newlines become separators too, which is fine: only pm-sync's own
    words are looked at."""
    lexer = shlex.shlex(_without_comments(shell.replace("\\\n", " ")), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    tokens = list(lexer)
    found: list[list[str]] = []
    for n, token in enumerate(tokens):
        if token != "pm-sync" and not token.endswith("/pm-sync"):
            continue
        before = tokens[n - 1] if n else ";"
        if not (set(before) <= _PUNCTUATION or before in _LEADERS or re.match(r"^\w+=", before)):
            continue  # an argument (`kubectl -n pm-sync`), not a command
        words: list[str] = []
        for word in tokens[n + 1 :]:
            if set(word) <= _PUNCTUATION:
                break
            if not word.startswith("$"):
                words.append(word)
        found.append(words)
    return found


def _without_comments(shell: str) -> str:
    """Comments dropped, newlines outside quotes made `;` (a multi-line quoted argument stays
    one word)."""
    out: list[str] = []
    quote: str | None = None
    comment = False
    previous = "\n"
    for char in shell:
        if comment:
            if char == "\n":
                comment = False
                out.append(" ; ")
            previous = char
            continue
        if quote:
            if char == quote:
                quote = None
            out.append(char)
        elif char in "'\"":
            quote = char
            out.append(char)
        elif char == "#" and previous.isspace():
            comment = True
        elif char == "\n":
            out.append(" ; ")
        else:
            out.append(char)
        previous = char
    return "".join(out)


def code_blocks(markdown: str) -> list[tuple[str, str]]:
    """(language, text) of each fenced block."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"```(\w*)\n(.*?)```", markdown, re.S)]


def doc_commands(markdown: str) -> list[list[str]]:
    """pm-sync command lines in a doc's sh and console blocks (console: the `$ ` lines)."""
    out: list[list[str]] = []
    for language, block in code_blocks(markdown):
        if language == "console":
            shell = "\n".join(line[2:] for line in block.splitlines() if line.startswith("$ "))
        elif language in ("sh", "bash", "cron"):
            shell = block
        else:
            continue
        out += [words for words in invocations(shell) if words]
    return out


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def workflow_on(workflow: dict[Any, Any]) -> dict[str, Any]:
    """`on:` as written: YAML 1.1 reads the bare key `on` as True."""
    on = workflow.get("on", workflow.get(True))
    assert isinstance(on, dict), workflow
    return on


def action_steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    """Steps that use the pm-sync action (`OWNER/pm-sync@REF` or the local `./`)."""
    return [
        step
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if re.search(r"(^|/)pm-sync@|^\./?$", str(step.get("uses", "")))
    ]


CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?(,\d+(-\d+)?)*)(/\d+)?$")
CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def valid_cron(expression: str) -> bool:
    fields = expression.split()
    if len(fields) != 5:
        return False
    for field, (low, high) in zip(fields, CRON_RANGES, strict=True):
        if not CRON_FIELD.match(field):
            return False
        for number in re.findall(r"\d+", field.split("/")[0]):
            if not low <= int(number) <= high:
                return False
    return True
