"""The house template's rules as named, located checks (`pm-sync lint`).

Each rule is a small function registered in `RULES` with a default severity; the text
patterns they use live in `pm_sync.linting.text`. Errors are
things that break syncing or break the template's hard rules (metadata, sections, action items
with owner and deadline, file naming, "human error" as a root cause); warnings are style and
analysis-quality nudges (too many items, shallow whys, blame-focused phrasing, placeholders).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

from pm_sync.diagnostics import Severity
from pm_sync.document.model import ItemStatus
from pm_sync.document.parse import is_action_heading
from pm_sync.document.values import severity_name
from pm_sync.linting.context import Context, Hit, lines_with
from pm_sync.linting.text import (
    BLAME,
    BLAME_HINT,
    BLAME_NEEDS,
    FILENAME,
    HUMAN_ERROR,
    HUMAN_ERROR_HINT,
    NEGATION,
    NEGATION_AFTER,
    NOBODY,
    PLACEHOLDER,
    PLACEHOLDER_WORDS,
    WHY_LINE,
    WHY_QUESTION,
    is_fixes,
    is_lesson,
    is_root_cause,
    is_summary,
    is_timeline,
    is_what_happened,
    is_whys,
    not_words,
    without_math,
)

__all__ = ["RULES", "Context", "Rule"]


@dataclass(frozen=True)
class Rule:
    name: str
    severity: Severity
    check: Callable[[Context], Iterable[Hit]]

    @property
    def doc(self) -> str:
        return (self.check.__doc__ or "").strip()


RULES: dict[str, Rule] = {}


def rule(
    name: str, severity: Literal["error", "warning"]
) -> Callable[[Callable[[Context], Iterable[Hit]]], Callable[[Context], Iterable[Hit]]]:
    def register(check: Callable[[Context], Iterable[Hit]]) -> Callable[[Context], Iterable[Hit]]:
        RULES[name] = Rule(name, Severity(severity), check)
        return check

    return register


def _spans(ctx: Context, match: Callable[[str], bool]) -> list[tuple[int, int, int]]:
    return ctx.sections(match) + ctx.bold_paragraphs(match)


def _problems(ctx: Context, code: str) -> Iterator[Hit]:
    """The parser's own diagnostics of one code, reported under the rule of that name."""
    for problem in ctx.pm.problems:
        if problem.code == code:
            yield problem.line, problem.message


# --- rules --------------------------------------------------------------------------------

_STANDARD_KEYS = ("date", "severity", "duration", "authors", "status")
_QUICK_KEYS = ("date", "severity", "duration")  # exactly the quick template's line


@rule("missing-metadata", "error")
def missing_metadata(ctx: Context) -> Iterator[Hit]:
    """Date, severity, duration, status and authors (the quick template: date, duration, severity)
    identify the incident, order the archive and tell readers who to ask."""
    pm = ctx.pm
    block = min(pm.metadata_lines.values(), default=ctx.anchor)
    bad_date_lines = {line for line, _ in _problems(ctx, "bad-date")}
    front_matter = ctx.source.line_count > 1 and ctx.source.line(0).strip() == "---"
    for key in _QUICK_KEYS if pm.quick else _STANDARD_KEYS:
        if getattr(pm, key) and (key != "date" or "date" in pm.metadata_lines):
            continue  # a date found only in the title or the prose is not the metadata line
        line = pm.metadata_lines.get(key)
        label = key.capitalize()
        if line is None:
            where = (
                f"`{key}: ...` to the front matter" if front_matter else f"`**{label}**: ...` under the title"
            )
            yield block, f"no {label} metadata; add {where}"
        elif not (key == "date" and line in bad_date_lines):
            yield line, f"{label} is empty; fill it in"


@rule("bad-severity", "error")
def bad_severity(ctx: Context) -> Iterator[Hit]:
    """A severity readers can rank: SEV1 (worst) to SEV5, or a word such as Major or Minor."""
    pm = ctx.pm
    if pm.severity and severity_name(pm.severity) is None:
        line = pm.metadata_lines.get("severity", ctx.anchor)
        yield line, f"severity {pm.severity!r} is not one pm-sync knows; write SEV1 (worst) to SEV5"


@rule("missing-section", "error")
def missing_section(ctx: Context) -> Iterator[Hit]:
    """The template's sections are what make a postmortem useful: a summary, the timeline, the
    root cause and the action items (quick: what happened, timeline, root cause, fixes, lesson)."""
    wanted: tuple[tuple[str, Callable[[str], bool]], ...]
    if ctx.pm.quick:
        wanted = (
            ("What happened", is_what_happened),
            ("Timeline", is_timeline),
            ("Root cause", is_root_cause),
            ("Fixes", is_fixes),
            ("Lesson", is_lesson),
        )
    else:
        wanted = (
            ("Summary", is_summary),
            ("Timeline", is_timeline),
            ("Root cause", is_root_cause),
            ("Action items", is_action_heading),
        )
    for label, match in wanted:
        if not _spans(ctx, match):
            yield ctx.anchor, f"no {label!r} section"


@rule("no-action-items", "error")
def no_action_items(ctx: Context) -> Iterator[Hit]:
    """ "No action items" is an anti-pattern: the review changes nothing, and nothing gets synced.
    Quick postmortems list their fixes in prose, so they are exempt."""
    if ctx.pm.quick or ctx.pm.action_items:
        return
    heads = ctx.sections(is_action_heading)
    if heads:
        yield heads[0][0], "the action-items section has no items; add at least one row"


@rule("list-action-items", "warning")
def list_action_items(ctx: Context) -> Iterator[Hit]:
    """Action items written as a list are read (parse, lint, overdue) but never pushed: tickets are
    only ever written back into a table. `pm-sync migrate FILE --write` converts the list."""
    first = next((item for item in ctx.pm.action_items if item.source == "list"), None)
    if first is not None:
        name = ctx.pm.path if not ctx.pm.path.startswith("<") else "FILE"
        yield (
            first.line,
            (
                "action items are a list, which push and reconcile cannot write ticket keys into; "
                f"run `pm-sync migrate {name}` to see them as the template's table (--write to save)"
            ),
        )


@rule("too-many-action-items", "warning")
def too_many_action_items(ctx: Context) -> Iterator[Hit]:
    """The template says at most 5 action items: long lists are never completed. A warning, not an
    error: an extra item syncs fine, and dropping real work to pass lint would be worse."""
    live = [i for i in ctx.pm.action_items if i.status != ItemStatus.DROPPED]
    if len(live) > 5:
        yield (
            live[5].line,
            (
                f"{len(live)} action items; the template allows at most 5 — "
                "prioritize and move the rest to the backlog"
            ),
        )


def _closed(status: ItemStatus | None) -> bool:
    return status is not None and status.closed


@rule("missing-owner", "error")
def missing_owner(ctx: Context) -> Iterator[Hit]:
    """Every action item needs an owner, or nobody does it (template: owner and deadline)."""
    for item in ctx.pm.action_items:
        if not item.owner and not _closed(item.status):
            yield item.line, "action item has no owner; name one person (e.g. @alice)"


@rule("missing-due", "error")
def missing_due(ctx: Context) -> Iterator[Hit]:
    """Every open action item needs a deadline, or it is never scheduled (template rule)."""
    bad = {line for line, _ in _problems(ctx, "bad-date")}
    for item in ctx.pm.action_items:
        if not item.due and not _closed(item.status) and item.line not in bad:
            yield item.line, "action item has no due date; add one as YYYY-MM-DD"


@rule("bad-priority", "error")
def bad_priority(ctx: Context) -> Iterator[Hit]:
    """Priorities map to tracker priorities; an unknown value cannot be synced."""
    return _problems(ctx, "bad-priority")


@rule("bad-date", "error")
def bad_date(ctx: Context) -> Iterator[Hit]:
    """Dates pm-sync cannot read are never guessed; they block syncing until fixed."""
    return _problems(ctx, "bad-date")


@rule("bad-status", "error")
def bad_status(ctx: Context) -> Iterator[Hit]:
    """Item statuses map to tracker states; an unknown one cannot be synced."""
    return _problems(ctx, "bad-status")


@rule("bad-table", "error")
def bad_table(ctx: Context) -> Iterator[Hit]:
    """An action-items table without an Action column is skipped by sync entirely."""
    return _problems(ctx, "bad-table")


@rule("missing-action", "error")
def missing_action(ctx: Context) -> Iterator[Hit]:
    """A row without action text would create an empty ticket."""
    return _problems(ctx, "missing-action")


@rule("bad-front-matter", "error")
def bad_front_matter(ctx: Context) -> Iterator[Hit]:
    """Unreadable YAML front matter hides all metadata."""
    return _problems(ctx, "bad-front-matter")


@rule("parse-problem", "error")
def parse_problem(ctx: Context) -> Iterator[Hit]:
    """Any other problem the parser reports blocks syncing the document."""
    return _problems(ctx, "parse-problem")


@rule("duplicate-ticket", "error")
def duplicate_ticket(ctx: Context) -> Iterator[Hit]:
    """Two rows pointing at one ticket make sync overwrite one item with the other."""
    first: dict[str, int] = {}
    for item in ctx.pm.action_items:
        if not item.ticket or not re.search(r"\d", item.ticket) or item.ticket.endswith("?"):
            continue  # empty, or a project hint such as `OPS` / `OPS-?`: not a ticket yet
        key = item.ticket.strip().casefold()
        if key in first:
            yield item.line, f"ticket {item.ticket} is also used on line {first[key]}"
        else:
            first[key] = item.line


@rule("shallow-whys", "warning")
def shallow_whys(ctx: Context) -> Iterator[Hit]:
    """Shallow analysis (one why) does not prevent recurrence; ask "why" at least 3 times,
    under a "5 Whys" heading or in the root-cause section. Quick postmortems are exempt."""
    spans = ctx.sections(is_whys)
    if not spans and not ctx.pm.quick:
        spans = ctx.sections(is_root_cause)
    if not spans:
        return
    # a why step is a line that starts with "Why" (list, table, prose), or any further
    # "Why ...?" question on the same line ("Why? Because ... Why? Because ...")
    count = sum(
        max(1 if WHY_LINE.match(text) else 0, len(WHY_QUESTION.findall(text)))
        for _, text in ctx.lines_in(spans)
    )
    if count < 3:
        yield (
            spans[0][0],
            (
                f"only {count} 'why' step{'s' * (count != 1)}; dig to at least 3 "
                "(e.g. '- Why did X fail? → ...')"
            ),
        )


@rule("human-error-root-cause", "error")
def human_error_root_cause(ctx: Context) -> Iterator[Hit]:
    """ "Human error" as root cause is the template's first anti-pattern: always dig deeper and
    ask why the system allowed it. Negated or quoted mentions ("not human error") are fine."""
    spans = _spans(ctx, is_root_cause) + ctx.sections(is_whys)
    for line, text in lines_with(HUMAN_ERROR_HINT, ctx.lines_in(spans)):
        for m in HUMAN_ERROR.finditer(text):
            before, after = text[: m.start()], text[m.end() :]
            if (
                NEGATION.search(before)
                or NEGATION_AFTER.match(after)
                or before.rstrip().endswith(('"', "'", "“", "‘"))
            ):
                continue
            yield (
                line,
                (
                    f"root cause blames a person ({m.group(0).strip()!r}); ask what "
                    "conditions allowed it and fix those"
                ),
            )
            break


@rule("blame-language", "warning")
def blame_language(ctx: Context) -> Iterator[Hit]:
    """Blameless mindset: ask "what conditions allowed this?", not "who caused this?". Flags
    phrasing aimed at people (@bob failed to…, should have known, careless); a connection that
    "failed to open" is fine."""
    for line, text in lines_with(BLAME_HINT, ctx.prose):
        if not BLAME_NEEDS.search(text.lower()):
            continue
        for m in BLAME.finditer(text):
            if NOBODY.search(text[: m.start()]):
                continue  # "nobody is to blame" states the blameless mindset
            yield (
                line,
                (
                    f"blame-focused phrasing {m.group(0).strip()!r}; describe the conditions "
                    "that allowed it instead of who"
                ),
            )
            break


@rule("filename", "error")
def filename(ctx: Context) -> Iterator[Hit]:
    """The archive is browsed by name: postmortem-YYYY-MM-DD-slug.md with the incident's date
    and a lowercase a-z0-9 slug (docs/technical/ in the template)."""
    if ctx.pm.path.startswith("<"):
        return
    name = PurePath(ctx.pm.path).name
    m = FILENAME.fullmatch(name)
    if not m:
        yield (
            None,
            (
                f"file name {name!r} should be postmortem-YYYY-MM-DD-slug.md "
                "(slug: lowercase letters, digits and hyphens)"
            ),
        )
    elif ctx.pm.date and m.group(1) != ctx.pm.date.isoformat():
        yield (
            ctx.pm.metadata_lines.get("date"),
            f"file name date {m.group(1)} does not match the document date {ctx.pm.date.isoformat()}",
        )


@rule("placeholder", "warning")
def placeholder(ctx: Context) -> Iterator[Hit]:
    """Template placeholders like `[Technical description of failure]` left in the text mean a
    section was never written."""
    bracketed = [(n, t) for n, t in ctx.prose if "[" in t]
    if not bracketed:
        return
    refs = {m.group(1).casefold() for _, t in bracketed if (m := re.match(r"^\s{0,3}\[([^\]]+)\]:", t))}
    maths = any("$" in t or "\\" in t for _, t in ctx.prose)
    for line, text in without_math(ctx.prose) if maths else bracketed:
        for m in PLACEHOLDER.finditer(text):
            inner = m.group("text").strip()
            if inner.casefold() in refs or inner.startswith("^") or len(inner) < 2 or not_words(inner):
                continue
            if " " in inner or inner.casefold() in PLACEHOLDER_WORDS:
                yield line, f"template placeholder {m.group(0)!r} is not filled in"
                break
