"""Fields written inside a list item's text: `[x] P1 Add alerting (@bob, due 2024-01-22, ENG-12)`.

`extract` returns the cell text each field would have in the template's table and the action
text left once those are taken out. Only clear markers are fields: a bracketed `[P1]`, a
handle after a dash, a date after `due`/`by`, a key in parentheses or at either end, explicit
`Owner:`-style pairs. Anything else stays in the action text, so nothing is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pm_sync.document.model import ItemStatus
from pm_sync.document.refs import AUTOLINK, KEY_REF, LINK, URL, ticket_ref
from pm_sync.document.values import STATUS_PHRASE, STATUS_TEXT, status_word

_MARK = r"(?:\*\*|__|\*|_)?"
_KEY_NAMES = {
    "owner": ("owner", "owners", "owner(s)", "assignee", "assigned to", "who", "dri", "responsible"),
    "due": ("due", "due date", "deadline", "eta", "target date", "target", "expected date", "by when"),
    "ticket": (
        "ticket",
        "tickets",
        "jira",
        "tracking issue",
        "tracked in",
        "tracking",
        "issue",
        "bug",
        "pr",
        "link",
        "reference",
        "ref",
    ),
    "priority": ("priority", "pri", "prio"),
    "status": ("status", "state"),
}
_KEY_FIELD = {name: f for f, names in _KEY_NAMES.items() for name in names}
_KEY_ALTERNATIVES = "|".join(re.escape(k) for k in sorted(_KEY_FIELD, key=len, reverse=True))
_KEY = re.compile(
    rf"(?<![\w/])(?:\*\*|__|\*|_)?(?P<key>{_KEY_ALTERNATIVES})(?:\*\*|__|\*|_)?\s*:(?:\*\*|__|\*|_)?[ \t]*",
    re.IGNORECASE,
)
# Keys that are also ordinary words ("the issue: ..."): their value must look like a ticket.
_LOOSE_KEYS = {"issue", "bug", "pr", "link", "reference", "ref", "tracking", "target", "state"}

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
DATE = (
    rf"(?:\d{{4}}-\d{{2}}-\d{{2}}|\d{{4}}/\d{{2}}/\d{{2}}|{_MONTH}\.?\s+\d{{1,2}},\s*\d{{4}}"
    rf"|\d{{1,2}}\s+{_MONTH}\s+\d{{4}})"
)
_DATE = re.compile(rf"(?<![\w-]){DATE}(?![\w-])", re.IGNORECASE)
_DUE_WORDS = re.compile(
    rf"(?<![\w@])(?:due(?:\s+(?:by|on|date))?|by|before|deadline|eta|target(?:\s+date)?|until)\s*:?\s*(?P<date>{DATE})"
    r"(?![\w-])",
    re.IGNORECASE,
)
_HANDLE = r"(?:\[@[\w.-]+\]\([^()\s]*\)|(?<![\w@`])@[A-Za-z0-9][\w.-]*[\w])"
_HANDLES = re.compile(rf"{_HANDLE}(?:\s*(?:,|and|&)\s*{_HANDLE})*")
_OWNER_WORDS = re.compile(
    rf"(?<!\w)(?:owner|owned\s+by|assigned\s+to|assignee)\s*:?\s*(?P<who>{_HANDLES.pattern})", re.IGNORECASE
)
_PRIORITY = r"[Pp][0-4]"
_TICKET_LEAD = re.compile(
    r"(?:\b(?:tracked|tracking|filed|fixed|done|resolved|addressed|implemented|merged)\s+(?:in|by|as|via)"
    r"|\b(?:see|ticket|issue|bug|jira|pr)\b)\s*:?\s*$",
    re.IGNORECASE,
)
# Weaker words that lead only to an unmistakable reference: `#12`, `org/repo#12`, a link.
_WEAK_LEAD = re.compile(r"\b(?:in|via)\s*$", re.IGNORECASE)
_BARE_STATUS = {"TODO", "OPEN", "CLOSED", "WIP", "BLOCKED"}  # "Clean up the TODO" is no status
_ACTION_LABEL = re.compile(
    r"^(?:\*\*|__)?(?:action(?: item)?|task|item|what)(?:\*\*|__)?\s*:(?:\*\*|__)?\s+(?=\S)", re.IGNORECASE
)
_CHECKBOX = re.compile(r"^\[(?P<mark>[ xX]?)\]\s")
_STATUS_EMOJI = "✅✔☑✓🚧⏳🔄"
_STATUS_TOKEN = re.compile(
    rf"(?:[{_STATUS_EMOJI}]\ufe0f?|\*\*(?:{STATUS_PHRASE})\*\*|__(?:{STATUS_PHRASE})__|\[(?:{STATUS_PHRASE})\]"
    rf"|\((?:{STATUS_PHRASE})\)|(?-i:DONE|TODO|WIP|BLOCKED|FIXED|COMPLETED?|WONTFIX|CLOSED|OPEN))",
    re.IGNORECASE,
)
_SEPS = " \t-–—:|;,"
_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")


@dataclass
class Extracted:
    action: str
    cells: dict[str, str] = field(default_factory=dict)
    only_fields: bool = False  # nothing but fields: `action` is then the whole text

    def take(self, name: str, value: str) -> bool:
        if name in self.cells or not value.strip():
            return False
        self.cells[name] = value.strip()
        return True


def extract(text: str) -> Extracted:
    """Take the fields out of one item's Markdown text (lines joined with spaces)."""
    out = Extracted(action="")
    rest = " ".join(text.split())
    box: str | None = None
    m = _CHECKBOX.match(rest + " ")
    if m:
        box = STATUS_TEXT[ItemStatus.DONE if m.group("mark").strip() else ItemStatus.OPEN]
        rest = rest[m.end() :]
    rest = _ACTION_LABEL.sub("", rest, count=1)
    rest = _explicit_pairs(rest, out)
    rest = _groups(rest, out)
    rest = _anywhere(rest, out)
    rest = _ends(rest, out)
    rest = _tidy(rest)
    if box is not None:
        out.take("status", box)  # a status word in the text says more than the box
    if "ticket" not in out.cells:
        spans = _ticket_spans(rest, _masked(rest))
        whole = len(spans) == 1 and (spans[0][0], spans[0][1]) == (0, len(rest))
        spans = [s for s in spans if whole or not KEY_REF.fullmatch(rest[s[0] : s[1]])]
        if spans:
            out.take("ticket", spans[0][2])  # a tracker link, or an item that is only a key
            out.only_fields = whole
    if not re.search(r"\w", _CODE.sub("x", rest)):
        out.only_fields = bool(out.cells)
        rest = _tidy(_CHECKBOX.sub("", " ".join(text.split()), count=1))
    out.action = rest
    return out


def _masked(text: str) -> str:
    """`text` with code spans and link destinations blanked, so matches never start inside them."""
    masked = _CODE.sub(lambda m: " " * len(m.group(0)), text)
    return re.sub(r"\]\([^()]*\)", lambda m: "]" + "\0" * (len(m.group(0)) - 1), masked)


def _cut(text: str, start: int, end: int) -> str:
    return text[:start] + " " + text[end:]


def _explicit_pairs(text: str, out: Extracted) -> str:
    while True:
        masked = _masked(text)
        found = False
        for m in _KEY.finditer(masked):
            name = _KEY_FIELD[m.group("key").casefold()]
            end = _value_end(masked, m.end(), name)
            value = text[m.end() : end].strip().rstrip(".").strip()
            value = re.sub(r"^(?:\*\*|__)|(?:\*\*|__)$", "", value).strip()
            opener = masked[m.start() : m.start("key")]
            if opener and opener not in masked[m.end("key") : m.end()]:
                # `_Owner: @mika_`: the emphasis opened before the key closes after the value
                if value.endswith(opener):
                    value = value[: -len(opener)].strip()
                elif text.startswith(opener, end):
                    end += len(opener)
            if not _plausible(name, value, m.group("key").casefold()):
                continue
            if name == "ticket" and re.fullmatch(r"https?://\S+", value):
                value = ticket_ref(value) or value  # as a bare tracker URL anywhere else reads
            if out.take(name, value) or name in out.cells:
                text = _cut(text, m.start(), end)
                found = True
                break
        if not found:
            return text


def _value_end(masked: str, start: int, name: str) -> int:
    if name == "due":
        m = re.compile(DATE, re.IGNORECASE).match(masked, start)
        if m:
            return m.end()
    nxt = _KEY.search(masked, start)
    limit = nxt.start() if nxt else len(masked)
    if name != "due":
        due = _DUE_WORDS.search(masked, start, limit)  # `Owner: Mira Castell by Mar 8, 2024`
        limit = due.start() if due else limit
    stops = ";|)]" if name == "due" else ",;|)]"
    for pos in range(start, limit):
        if masked.startswith("]\0", pos):
            continue  # the `]` of a link `[ENG-9](...)`: its destination is masked
        if masked[pos] in stops or masked.startswith((" — ", " – ", " - "), pos):
            return pos
    return limit


def _plausible(name: str, value: str, key: str) -> bool:
    if not value:
        return False
    if name == "ticket":
        return key not in _LOOSE_KEYS or all(ticket_ref(v) for v in re.split(r"\s*,\s*", value))
    if name == "status":
        return status_word(value) is not None or key not in _LOOSE_KEYS
    if name == "priority":
        return bool(re.fullmatch(rf"{_PRIORITY}|critical|high|medium|low", value, re.IGNORECASE))
    if name == "due":
        return key not in _LOOSE_KEYS or bool(_DATE.fullmatch(value))
    return len(value.split()) <= 4


def _token_field(part: str) -> tuple[str, str] | None:
    """What one comma-separated piece of a `( ... )` group is, if it is a field."""
    value = part.strip()
    bare = value.strip("*_ ")
    if re.fullmatch(_PRIORITY, bare):
        return "priority", bare.upper()
    if re.fullmatch(r"(?:critical|high|medium|low)\s+priority", bare, re.IGNORECASE):
        return "priority", bare.split()[0]
    found = status_word(bare)
    if found is not None:
        return "status", STATUS_TEXT[found]
    if _HANDLES.fullmatch(value):
        return "owner", value
    m = _DUE_WORDS.fullmatch(value) or _DATE.fullmatch(value)
    if m:
        return "due", m.group("date") if "date" in (m.groupdict() or {}) else m.group(0)
    lead = re.match(r"(?:see|tracked in|ticket|issue|jira|pr|bug)\s*:?\s*", value, re.IGNORECASE)
    ref = ticket_ref(value[lead.end() :] if lead else value)
    if ref:
        return "ticket", ref
    return None


def _groups(text: str, out: Extracted) -> str:
    """`(@bob, due 2024-01-22)`, `[P1]`, `(done)`: a group made only of fields goes."""
    masked = _masked(text)
    for m in reversed(list(re.finditer(r"(?<!\])\((?P<a>[^()]*)\)|\[(?P<b>[^\[\]]*)\](?![(\[\0])", masked))):
        inner = text[m.start() + 1 : m.end() - 1]
        parts = [p for p in re.split(r"\s*[,;|]\s*|\s+[-–—]\s+", inner) if p.strip()]
        found = [_token_field(p) for p in parts]
        if not parts or any(f is None for f in found):
            continue
        names = [f[0] for f in found if f]
        if "ticket" in names and out.cells.get("ticket"):
            continue
        for name, value in (f for f in found if f):
            if name == "ticket" and "ticket" in out.cells:
                out.cells["ticket"] += ", " + value
            else:
                out.take(name, value)
        text = _cut(text, m.start(), m.end())
    return text


def _anywhere(text: str, out: Extracted) -> str:
    """Phrases that say what they are wherever they stand: `due 2024-01-22`, `owned by @a`."""
    due = _DUE_WORDS.search(_masked(text))
    if due and out.take("due", text[due.start("date") : due.end("date")]):
        text = _cut(text, due.start(), due.end())
    owner = _OWNER_WORDS.search(_masked(text))
    if owner and out.take("owner", text[owner.start("who") : owner.end("who")]):
        text = _cut(text, owner.start(), owner.end())
    masked = _masked(text)
    for start, end, ref in _ticket_spans(text, masked):
        lead = _TICKET_LEAD.search(masked[:start])
        if lead is None and not re.fullmatch(r"[A-Z][A-Z0-9]+-\d+", text[start:end]):
            lead = _WEAK_LEAD.search(masked[:start])
        if lead and "ticket" not in out.cells:
            out.take("ticket", ref)
            after = masked[end:].strip()
            if after and after[0] not in ",;.)—–-|":
                return text  # mid-sentence ("fix the bug in #123 handler"): the text stays whole
            return _cut(text, lead.start(), end)
    return text


def _ticket_spans(text: str, masked: str) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    for rx in (LINK, AUTOLINK, URL, KEY_REF):
        for m in rx.finditer(masked if rx is not LINK else text):
            if rx is not LINK and masked[m.start()] == "\0":
                continue
            if any(s <= m.start() < e for s, e, _ in spans):
                continue
            ref = ticket_ref(text[m.start() : m.end()])
            if ref:
                spans.append((m.start(), m.end(), ref))
    return sorted(spans)


def _ends(text: str, out: Extracted) -> str:
    """Peel fields off the start (`P1:`, `DONE:`, `@bob:`, `ENG-1:`) and the end (`— @bob`)."""
    changed = True
    while changed:
        changed = False
        stripped = text.strip(_SEPS)
        masked = _masked(stripped)
        lead = re.match(
            rf"(?:{_MARK}\[?(?P<p>{_PRIORITY})\]?{_MARK}|(?P<s>{_STATUS_TOKEN.pattern})"
            rf"|(?P<o>{_HANDLES.pattern})\s*:|(?P<t>{KEY_REF.pattern}|{URL.pattern}|\[[^\[\]]*\]\0+)"
            r"(?=\s*:|\s+[—–-]\s)|(?P<h>(?<![\w/])(?:[\w.-]+/[\w.-]+)?#\d+)(?=\s))(?=[\s:|—–-]|$)",
            masked,
            re.IGNORECASE,
        )
        if lead:
            name, value = _lead_field(lead, stripped)
            if name and out.take(name, value):
                text, changed = stripped[lead.end() :], True
                continue
        tail = _tail_field(stripped, masked)
        if tail is not None:
            start, name, value = tail
            if name == "ticket" and "ticket" in out.cells:
                out.cells["ticket"] = value + ", " + out.cells["ticket"]
                text, changed = stripped[:start], True
            elif out.take(name, value):
                text, changed = stripped[:start], True
    return text


def _lead_field(m: re.Match[str], text: str) -> tuple[str, str]:
    def group(name: str) -> str:
        return text[m.start(name) : m.end(name)] if m.group(name) else ""

    if group("t") or group("h"):
        ref = ticket_ref(group("t") or group("h"))
        return ("ticket", ref) if ref else ("", "")
    if group("p"):
        return "priority", group("p").upper()
    if group("s"):
        return "status", _status_cell(group("s"))
    return "owner", group("o")


def _status_cell(token: str) -> str:
    found = status_word(token.strip("[]()"))
    return STATUS_TEXT[found] if found else token


_DASHED_STATUS = (
    r"done|completed?|fixed|resolved|closed|merged|shipped|in[ -]progress|wip|blocked|open|to[ -]?do|pending"
    r"|won['’]t (?:do|fix)|wontfix|dropped|cancell?ed"
)
_TAIL = (
    (re.compile(rf"(?:^|[\s—–|:,-])(?P<v>{_STATUS_TOKEN.pattern})$", re.IGNORECASE), "status"),
    (re.compile(rf"(?P<sep>\s[—–-]+\s*|\s*[|,;]\s*|\s)(?P<v>{_HANDLES.pattern})$"), "owner"),
    (re.compile(rf"(?:\s[—–-]+\s*|\s*[|,;]\s*|\s)(?:(?i:priority)\s+)?(?P<v>{_PRIORITY})$"), "priority"),
    # after a dash or bar only: `Drop the helper - done`, `Add alerting — @bob — 2024-02-01`
    (re.compile(rf"(?:\s[—–-]+\s*|\s*\|\s*)(?P<v>{_DASHED_STATUS})$", re.IGNORECASE), "status"),
    (re.compile(rf"(?:\s[—–-]+\s*|\s*\|\s*)(?P<v>{DATE})$", re.IGNORECASE), "due"),
)
_VERSION_BEFORE = re.compile(r"\b(?:to|from|on|with|and|or|than|v|version|use|using)\s*$", re.IGNORECASE)
_NOT_OWNER_BEFORE = re.compile(r"\b(?:with|to|by|from|for|ask|ping|notify|cc|and)$", re.IGNORECASE)


def _tail_field(text: str, masked: str) -> tuple[int, str, str] | None:
    for rx, name in _TAIL:
        m = rx.search(masked)
        if m is None:
            continue
        if name == "owner" and not m.group("sep").strip() and _NOT_OWNER_BEFORE.search(masked[: m.start()]):
            continue  # "share the runbook with @support": @support is no owner
        sep = masked[: m.start("v")].rstrip(" ")[-1:]
        if name == "status" and m.group("v") in _BARE_STATUS and sep not in "—–-:|,":
            continue  # "clean up the TODO": a bare word needs a dash or colon before it
        value = text[m.start("v") : m.end("v")]
        if name == "status":
            value = _status_cell(value)
        elif name == "priority":
            value = value.upper()
        return m.start(), name, value
    spans = _ticket_spans(text, masked)
    if spans and spans[-1][1] == len(text.rstrip(". ")):
        start = spans[-1][0]
        before = text[:start]
        token = text[start : spans[-1][1]]
        linked = not KEY_REF.fullmatch(token) or "#" in token
        # a key ending the item ("Add alerting ENG-12"), but not a version ("upgrade to PG-15")
        ending = bool(before.strip()) and not _VERSION_BEFORE.search(before)
        if linked or ending or re.search(r"(?:[—–:|,;-]|\s[-–—])\s*$", before) or _TICKET_LEAD.search(before):
            lead = _TICKET_LEAD.search(before)
            return (lead.start() if lead else start), "ticket", spans[-1][2]
    return None


def _tidy(text: str) -> str:
    """Close the gaps fields left: empty `()`, doubled spaces and commas, separators at the ends."""
    value = " ".join(text.split())
    for _ in range(3):
        parts = re.split(r"(`+[^`]*`+)", value)
        value = "".join(p if p.startswith("`") else _close_gaps(p) for p in parts)
        value = " ".join(value.split()).strip(" -–—:|;,")
    return value


_EMPTY = re.compile(r"\(\s*[,;:|\s-]*\)|\[\s*\]|(?<![*_\w])(\*{1,3}|_{1,3})\s+\1(?![*_\w])")


def _close_gaps(text: str) -> str:
    value = _EMPTY.sub(" ", text)
    value = re.sub(r"([,;])(?:\s*[,;])+", r"\1", value)
    value = re.sub(r":(?:\s*[,;])+", ":", value)  # `stage: owner @ben, due ...` left `stage:,`
    value = re.sub(r"(?<=\w)\.\.(?=\s|$)", ".", value)  # `key. Owner: Dana.` left `key..`
    return re.sub(r"\s+([,;:])(?=\s|$)|\s+(\.)$", r"\1\2", value)
