"""Which headings (and heading-like label lines) start an action-items section, and what a
subheading inside one says about its items (`Completed` → done, `P1` → priority).

Headings are compared after `normalize_heading`, so numbering, emphasis, anchors, emoji and
case never matter.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pm_sync.document.model import ItemStatus, Priority
from pm_sync.document.values import plain_text, status_word

# Canonical forms after `_canonical_heading`: `&`, `+`, `/` → "and", follow-up spellings → "followups".
ACTION_HEADINGS = {
    "action items",
    "action item",
    "action items and followups",
    "action item and followups",
    "followups",
    "followup actions",
    "followup items",
    "followup tasks",
    "corrective actions",
    "corrective action items",
    "corrective measures",
    "corrective and preventative measures",
    "corrective and preventative measure",
    "corrective and preventative actions",
    "corrective and preventive measures",
    "corrective and preventive measure",
    "corrective and preventive actions",
    "preventative measures",
    "preventive measures",
    "preventative actions",
    "preventive actions",
    "prevention actions",
    "remediation",
    "remediations",
    "remediation items",
    "remediation actions",
    "root cause remediations",
    "tasks to address the issue",
    "next steps",
    "prevention",
    "improvements",
    "improvement actions",
    "improvement items",
    "action plan",
    "action points",
    "next actions",
    "remediation plan",
    "corrective action plan",
    "remediation and prevention",
    "prevention and remediation",
    "future improvements",
    "recommendations",
    "recommended actions",
    "tasks",
    "todo",
    "todos",
    "to do",
    "future work",
    "followup work",
    "preventing recurrence",
    "preventing future incidents",
    "what we are doing about it",
    "what we're doing about it",
    "what we are changing",
    "what we're changing",
}
# A heading that ends with one of these is an action heading too ("Lessons learned & action items").
_ACTION_ENDINGS = re.compile(
    r"\s(?:action items|followups|followup actions|followup items|corrective actions|next steps"
    r"|preventi(?:ve|ative) (?:measures|actions)|remediation (?:items|actions)|remediations)$"
)

_NUMBERING = re.compile(r"^(?:(?:\d+[.)]?)+\s+|\d+(?:\.\d+)*[.)]\s*|[ivxlc]+[.)]\s+|[a-z][.)]\s+)")
_PAREN = re.compile(r"\s*\([^()]*\)")
_ATTRIBUTES = re.compile(r"\s*\{[#.][^{}]*\}\s*$")
_FOLLOWUP = re.compile(r"\bfollow[\s-]?ups?\b")
_GROUP_WORDS = re.compile(r"\s+(?:action\s+)?(?:items?|actions?|tasks?|followups?|follow-ups?)$")
_OTHER_SECTIONS = re.compile(
    r"^(?:(?:incident\s+|executive\s+|issue\s+)?summary|overview|tl;?dr|background|context"
    r"|impact|timeline|(?:detailed\s+)?timeline of events|sequence of events|chronology"
    r"|(?:the\s+)?root causes?(?:\s+analysis)?|root cause and resolution|causes?|trigger"
    r"|detection|resolution(?:\s+and\s+recovery)?|recovery|lessons learn[et]d?|lessons"
    r"|what went (?:well|wrong)|where we got lucky|what worked.*|conclusion|appendix"
    r"|glossary|references|supporting information|contributing factors)$"
)


@lru_cache(maxsize=4096)
def normalize_heading(text: str) -> str:
    """Heading text (Markdown or plain) reduced to the form `ACTION_HEADINGS` is written in.

    Drops emphasis and link syntax, `{#anchor}` attributes, leading numbering (`5.`, `2.1`,
    `IV.`), parenthetical remarks, a trailing colon, decorations such as emoji, and case.
    """
    value = plain_text(_ATTRIBUTES.sub("", text)).casefold().replace("’", "'")
    value = _strip_symbols(value)
    value = _NUMBERING.sub("", value)
    value = _PAREN.sub(" ", value)
    value = _strip_symbols(value.rstrip().rstrip(":"))
    return " ".join(value.split())


def _strip_symbols(text: str) -> str:
    """Drop emoji, dashes and other decoration around a heading (`✅ Action items`)."""

    def deco(ch: str) -> bool:
        return ch.isspace() or unicodedata.category(ch)[0] == "S" or ch in "-–—*_#~"

    start, end = 0, len(text)
    while start < end and deco(text[start]):
        start += 1
    while end > start and deco(text[end - 1]):
        end -= 1
    return text[start:end]


def _canonical_heading(norm: str) -> str:
    value = re.sub(r"\s*(?:&|\+|/)\s*", " and ", norm)
    value = _FOLLOWUP.sub(lambda m: "followups" if m.group(0).endswith("s") else "followup", value)
    return " ".join(value.split())


# Every action heading holds one of these words once markup is gone: any other text (most
# one-line paragraphs are asked) is no action heading, and is never normalized.
_ACTION_WORDS = re.compile(
    r"action|follow|measure|remediation|task|next\s*step|prevent|improvement|recommend|to\s*do"
    r"|future\s*work|doing\s*about|changing"
)
_MARKUP = re.compile(r"[*_`~\[\]\\]")


@lru_cache(maxsize=4096)
def is_action_heading(text: str) -> bool:
    if "&" not in text and not _ACTION_WORDS.search(_MARKUP.sub("", text.lower())):
        return False
    canonical = _canonical_heading(normalize_heading(text))
    return canonical in ACTION_HEADINGS or bool(_ACTION_ENDINGS.search(canonical))


def is_other_section(text: str) -> bool:
    """A heading or label naming one of a postmortem's other sections (timeline, impact...)."""
    return bool(_OTHER_SECTIONS.match(normalize_heading(text)))


def heading_status(text: str) -> ItemStatus | None:
    """`Completed`, `Done ✅`, `In progress items`, `Open actions` group items by status."""
    norm = re.sub(r"^(?:still|currently)\s+", "", normalize_heading(text))  # `Still open`
    bare = _GROUP_WORDS.sub("", norm)
    if bare in ("outstanding", "remaining", "not yet done"):
        return ItemStatus.OPEN
    return status_word(norm) or status_word(bare)


def heading_priority(text: str) -> Priority | None:
    """`P1`, `P0 items`, `High priority` group items by priority."""
    norm = _GROUP_WORDS.sub("", normalize_heading(text))
    m = re.fullmatch(r"(?:priority\s+)?(p[0-4])(?:\s+priority)?", norm)
    if m:
        return Priority(m.group(1).upper())
    m = re.fullmatch(r"(critical|high|medium|low)[\s-]priority", norm)
    if m:
        return {"critical": Priority.P0, "high": Priority.P1, "medium": Priority.P2, "low": Priority.P3}[
            m.group(1)
        ]
    return None
