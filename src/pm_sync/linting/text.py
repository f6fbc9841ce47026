"""Text patterns for `lint`: prose lines, section names and the phrasings rules look for.

Kept apart from the rules so each side stays small; everything here is pure text matching.
"""

from __future__ import annotations

import re

from pm_sync.document.headings import is_action_heading, normalize_heading
from pm_sync.document.source import Source

BOLD_KEY = re.compile(
    r"^\s*(?:\*\*|__)\s*(?:(?P<key>[^*_:]{1,40}?)\s*(?:\*\*|__)\s*:"
    r"|(?P<key2>[^*_:]{1,40}?)\s*:\s*(?:\*\*|__))"
)
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")


def _blank(m: re.Match[str]) -> str:
    return " " * len(m.group(0))


def prose_lines(src: Source) -> list[tuple[int, str]]:
    """Lines a reader sees as text: no front matter, fenced code, HTML comments or code spans."""
    out: list[tuple[int, str]] = []
    fence: str | None = None
    in_comment = False
    start = 0
    if src.line_count > 1 and src.line(0).strip() == "---":
        end = next((i for i in range(1, src.line_count) if src.line(i).strip() in ("---", "...")), None)
        start = 0 if end is None else end + 1
    for i in range(start, src.line_count):
        text = src.line(i)
        m = FENCE.match(text)
        if fence is not None:
            if (
                m
                and m.group(1)[0] == fence[0]
                and len(m.group(1)) >= len(fence)
                and not text.strip().strip(fence[0])
            ):
                fence = None
            continue
        if m and not in_comment:
            fence = m.group(1)
            continue
        if not in_comment and "<!--" not in text:
            out.append((i + 1, CODE_SPAN.sub(_blank, text) if "`" in text else text))
            continue
        visible = []
        pos = 0
        while pos < len(text):
            if in_comment:
                close = text.find("-->", pos)
                if close < 0:
                    pos = len(text)
                    break
                in_comment, pos = False, close + 3
            else:
                open_ = text.find("<!--", pos)
                if open_ < 0:
                    visible.append(text[pos:])
                    break
                visible.append(text[pos:open_])
                in_comment, pos = True, open_ + 4
        out.append((i + 1, CODE_SPAN.sub(_blank, "".join(visible))))
    return out


def norm(text: str) -> str:
    return normalize_heading(text).replace("-", " ")


def is_summary(text: str) -> bool:
    return bool(re.search(r"\bsummary\b|\btl;?dr\b|\boverview\b", norm(text)))


def is_timeline(text: str) -> bool:
    return bool(re.search(r"timeline|sequence of events|chronology", norm(text)))


def is_root_cause(text: str) -> bool:
    return bool(re.search(r"\broot causes?\b|^causes?$|^what went wrong$|^why it happened$", norm(text)))


def is_whys(text: str) -> bool:
    # Not `norm`: it strips leading numbering, and here the "5" is the point.
    return bool(re.search(r"\b(?:5|five)\s+whys?\b", text.casefold()))


def is_what_happened(text: str) -> bool:
    return norm(text) in ("what happened", "summary", "what went wrong")


def is_fixes(text: str) -> bool:
    return norm(text) in ("fixes", "fix", "fixed by", "fixes applied") or is_action_heading(text)


def is_lesson(text: str) -> bool:
    return bool(re.fullmatch(r"lessons?(?: learned| learnt)?", norm(text)))


WHY_QUESTION = re.compile(r"\bwhy\b[^?\n]*\?", re.IGNORECASE)
WHY_LINE = re.compile(
    r"^\s*(?:>\s*)?(?:[-*+]\s+|\d+[.)]\s+|\|\s*(?:[#\d.]+\s*\|\s*)?)?"
    r"(?:\*\*|__|\*|_)?\s*(?:\d+[.):]\s*)?why\b",
    re.IGNORECASE,
)


PERSON = (
    r"(?:(?<![\w@])@\w[\w.-]*|\b(?:he|she|someone|somebody|the\s+(?:engineer|developer|"
    r"dev|operator|on-?call(?:\s+engineer)?|sre|intern|admin|administrator|reviewer|"
    r"author|deployer|new\s+hire))\b)"
)
HUMAN_ERROR = re.compile(
    r"\b(?:human|operator|user|pilot|engineer|developer|admin)\s+(?:error|mistake)\b"
    r"(?!\s+(?:rates?|counts?|budgets?|pages?|messages?|logs?|codes?|handling|paths?"
    r"|responses?|status|replies|reply))"
    r"|\bpebkac\b|\bpicnic\b|\bid-?10-?t\b|\blayer\s*8\b|\bfat[- ]?finger(?:ed|ing)?\b"
    rf"|{PERSON}\s+(?:\w+\s+)?(?:forgot|made\s+a\s+mistake|messed\s+up|screwed\s+up)\b",
    re.IGNORECASE,
)
# A word every HUMAN_ERROR match contains, lower-cased: lines without one are skipped unsearched.
HUMAN_ERROR_HINT = re.compile(
    r"(?:human|operator|user|pilot|engineer|developer|admin)\s+error|mistake|pebkac|picnic|10-?t|layer"
    r"|finger|forgot|messed|screwed"
)
NEGATION = re.compile(
    r"(?:\bnot|\bno|\bnever|n't|\brather than|\binstead of|\bbeyond)\W+"
    r"(?:\w+\W+){0,2}$",
    re.IGNORECASE,
)
# ... said after the phrase: "human error was ruled out", "is a symptom, not the cause"
NEGATION_AFTER = re.compile(
    r"^\s*(?:\w+\s+){0,3}?(?:was|is|were|are|has\s+been|had\s+been)?\s*"
    r"(?:ruled\s+out|excluded|dismissed|(?:only\s+)?a\s+symptom|not\s+(?:the|a|our)\b"
    r"|n't\s+(?:the|a|our)\b|never\s+the\b)",
    re.IGNORECASE,
)
# "nobody is to blame", "no one was at fault": the blameless stance itself
NOBODY = re.compile(
    r"\b(?:nobody|no\s*-?\s*one|no\s+person|no\s+individual|not\s+(?:a|any)"
    r"\s+(?:person|individual))\s+(?:\w+\s+)?$",
    re.IGNORECASE,
)


# Only adverbs may stand between the person and the verb: "the admin API failed to respond" is a
# component, "@bob then failed to check" is blame.
_GAP = (
    r"(?:(?:also|then|again|just|never|simply|clearly|accidentally|mistakenly|apparently"
    r"|really|still|had|has|have|did|was)\s+){0,2}"
)
BLAME = re.compile(
    rf"{PERSON}\s+{_GAP}caused\b"
    rf"|{PERSON}\s+{_GAP}(?:failed\s+to|forgot\s+to|neglected\s+to|did\s*n[o']t\s+bother"
    r"|ignored)\b"
    rf"|{PERSON}\s+should(?:\s+have|'ve)\s+(?:noticed|caught|checked|tested|seen)\b"
    r"|\bshould(?:\s+have|'ve)\s+(?:known|realized|realised|been\s+more\s+careful)\b"
    rf"|\bfault\s+of\s+(?:{PERSON}|\b(?:the\s+)?(?:team|him|her|them)\b)"
    r"|(?:(?<![\w@])@\w[\w.-]*?'s|\bhis|\bher|\btheir)\s+fault\b"
    r"(?!\s*-?\s*(?:toleran|domain|injection|isolation|line|zone|detection|handling|model))"
    rf"|{PERSON}\s+(?:is|are|was|were)\s+to\s+blame\b|\bblamed?\s+(?:on\s+)?{PERSON}"
    r"|\b(?:careless(?:ly|ness)?|negligen(?:t|tly|ce)|reckless(?:ly|ness)?|sloppy(?!\s+quorum)"
    r"|incompeten(?:t|ce))\b",
    re.IGNORECASE,
)

# A word every BLAME match contains (the pattern is slow to try at every position of every line).
BLAME_HINT = re.compile(
    r"caused|failed|forgot|neglected|bother|ignored|should|fault|blame|careless|negligen|reckless|sloppy"
    r"|incompeten"
)

# BLAME's phrasings aimed at a person need one; the others name a fault, blame, carelessness or
# "should have". A hinted line with neither (most: "failed checkouts") is not tried in full.
BLAME_NEEDS = re.compile(
    r"fault|blame|careless|negligen|reckless|sloppy|incompeten|should(?:\s+have|'ve)|@"
    r"|\b(?:he|she|someone|somebody)\b|\bthe\s+(?:engineer|developer|dev|operator|on-?call|sre|intern"
    r"|admin|reviewer|author|deployer|new\s+hire)"
)


FILENAME = re.compile(r"postmortem-(\d{4}-\d{2}-\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md")


PLACEHOLDER = re.compile(r"(?<![!\]\\])\[(?P<text>[^\[\]]+)\](?![(\[:])")
_MATH_INLINE = re.compile(r"(?<![\\$])\$(?=\S)(?:[^$\n\\]|\\.)+?(?<=\S)\$(?!\d)|\\\((?:.+?)\\\)")
_DISPLAY_MATH = re.compile(r"^\s*(?:\$\$|\\\[|\\begin\{)")
_TIME_OR_DATE = re.compile(
    r"\d{1,2}:\d{2}|\d{4}-\d{2}-\d{2}|^(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d",
    re.IGNORECASE,
)


def without_math(prose: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Prose lines with LaTeX blanked: `$...$`, `\\(...\\)` and `$$`/`\\[` display blocks."""
    out: list[tuple[int, str]] = []
    display: str | None = None
    for line, text in prose:
        if display is not None:
            if display in text:
                display = None
            continue
        m = _DISPLAY_MATH.match(text)
        if m:
            closer = {"$$": "$$", "\\[": "\\]"}.get(m.group(0).strip(), "\\end{")
            if closer not in text[m.end() :]:
                display = closer
            continue
        out.append((line, _MATH_INLINE.sub(lambda s: " " * len(s.group(0)), text)))
    return out


def not_words(inner: str) -> bool:
    """Bracketed text that is no template placeholder: a time stamp (`12-05 16:21`), an interval
    (`0, n`), a number list: placeholders are written in words."""
    return bool(_TIME_OR_DATE.search(inner)) or not re.search(r"[^\W\d_]{3,}", inner)


PLACEHOLDER_WORDS = {"title", "todo", "tbd", "fixme", "xxx", "placeholder", "slug", "owner"}
