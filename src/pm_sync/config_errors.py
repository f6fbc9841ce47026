"""Configuration errors in the user's words: the key as written in `pm-sync.toml`, its line,
and a suggestion for a misspelt key; none of pydantic's wording (`Value error, ...`)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from pm_sync.errors import ConfigError

Loc = tuple[str, ...]

EXAMPLE_HINT = "see config.example.toml for every key and its meaning"


def from_validation(
    exc: ValidationError, path: str | None, model: type[BaseModel], prefix: Loc = ()
) -> ConfigError:
    """The first problem pydantic found, as a located ConfigError; the others are counted."""
    # a misspelt key also makes its right spelling "missing": name the misspelling first
    problems = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    first = problems[0]
    loc = tuple(str(p) for p in first["loc"])
    key = ".".join((*prefix, *loc))
    hint = EXAMPLE_HINT
    if first["type"] == "extra_forbidden":
        message = f"unknown key {key!r}"
        near = difflib.get_close_matches(loc[-1], _field_names(model, loc[:-1]), n=1, cutoff=0.6)
        if near:
            hint = f"did you mean {'.'.join((*prefix, *loc[:-1], near[0]))!r}?"
    elif first["type"] == "missing":
        message = f"missing key {key!r}"
    else:
        message = f"invalid value for {key!r}: {_plain(first)}"
    more = len(problems) - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return located(message, path, (*prefix, *loc), hint=hint)


def located(message: str, path: str | None, loc: Loc, *, hint: str | None = EXAMPLE_HINT) -> ConfigError:
    """A ConfigError at the line where `loc` (or the nearest key above it) is written."""
    return ConfigError(message, path=path or "<defaults>", line=key_line(path, loc), hint=hint)


def _plain(problem: Any) -> str:
    """pydantic's message without its prefixes: `Value error, x` → `x`, `Input should be` →
    `should be`."""
    error = (problem.get("ctx") or {}).get("error")
    if problem["type"] == "value_error" and error is not None:
        return str(error)
    text = str(problem["msg"])
    text = re.sub(r"^(Value|Assertion) error, ", "", text)
    return re.sub(r"^Input should", "should", text)


def _field_names(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys a model accepts at `loc` (nested models followed by field name)."""
    current: Any = model
    for part in loc:
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        current = fields[part].annotation
    fields = getattr(current, "model_fields", None)
    return list(fields) if fields else []


def key_line(path: str | None, loc: Loc) -> int | None:
    """The line (1-based) that writes the key `loc`, or failing that the one that comes
    closest (its table, or its first key); None when the file cannot be read."""
    if not path or not loc:
        return None
    try:
        lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    best, best_len = None, 0
    for number, keys in _defined_keys(lines):
        shared = _shared_prefix(keys, loc)
        if shared > best_len:
            best, best_len = number, shared
            if shared == len(loc):
                break
    return best


def _defined_keys(lines: Sequence[str]) -> Iterable[tuple[int, Loc]]:
    """(line, full dotted key) for each table header and key/value line."""
    table: Loc = ()
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        header = re.match(r"^\[\[?([^\]]+)\]\]?", text)
        if header:
            table = _split_key(header.group(1))
            yield number, table
            continue
        assignment = re.match(r"^((?:\"[^\"]*\"|'[^']*'|[^=\"'])+?)\s*=", text)
        if assignment:
            yield number, (*table, *_split_key(assignment.group(1)))


def _split_key(text: str) -> Loc:
    parts = re.findall(r"\"((?:\\.|[^\"\\])*)\"|'([^']*)'|([^.\s\"']+)", text)
    return tuple(a or b or c for a, b, c in parts)


def _shared_prefix(keys: Loc, loc: Loc) -> int:
    n = 0
    for a, b in zip(keys, loc, strict=False):
        if a != b:
            break
        n += 1
    return n
