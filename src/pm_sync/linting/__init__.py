"""`pm-sync lint`: the house template's rules run over a parsed postmortem.

`rules` holds the named checks, `context` what they look at, `text` the phrasings they look
for. Every hit comes out as a `Diagnostic` whose code is the rule's name, so lint findings,
parse problems and sync diagnostics are one type with one JSON shape.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pm_sync.diagnostics import Diagnostic
from pm_sync.document.model import Postmortem
from pm_sync.document.parse import parse_source
from pm_sync.document.source import Source
from pm_sync.linting.context import Context
from pm_sync.linting.rules import RULES, Rule
from pm_sync.linting.text import prose_lines

__all__ = ["RULES", "Rule", "has_errors", "lint_file", "lint_postmortem"]


def lint_postmortem(pm: Postmortem, source: Source) -> list[Diagnostic]:
    """All findings for one parsed document, sorted by line (file-level findings first)."""
    ctx = Context(pm=pm, source=source, prose=prose_lines(source))
    findings = [
        Diagnostic(r.name, r.severity, message, pm.path, line)
        for r in RULES.values()
        for line, message in r.check(ctx)
    ]
    return sorted(findings, key=lambda f: f.line or 0)


def lint_file(path: Path | str) -> list[Diagnostic]:
    """Read, parse and lint one file; unreadable files raise `DocumentError`."""
    source = Source.read(path)
    return lint_postmortem(parse_source(source), source)


def has_errors(findings: Iterable[Diagnostic]) -> bool:
    return any(f.is_error for f in findings)
