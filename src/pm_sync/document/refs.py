"""Ticket references as postmortems write them: keys (`ENG-12`, `#12`, `org/repo#12`), tracker
URLs and Markdown links holding either, each turned into the text of a Ticket cell."""

from __future__ import annotations

import re

LINK = re.compile(
    r"\[(?P<text>(?:\\.|[^\[\]\\])*)\]\((?P<url>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+\"[^\"]*\")?\)"
)
AUTOLINK = re.compile(r"<(?P<url>https?://[^>\s]+)>")
URL = re.compile(r"(?<![(<\w])https?://[^\s<>()\[\]]+[^\s<>()\[\].,;:!?'\"]")
KEY_REF = re.compile(r"(?<![\w/#-])(?:[A-Z][A-Z0-9]{1,9}-\d+|(?:[\w.-]+/[\w.-]+)?#\d+|GH-\d+)(?![\w-])")
# Spec and product names shaped like keys (SHA-256, UTF-8, GPT-4) are never tickets.
_NOT_KEYS = {
    *("CVE", "SHA", "UTF", "ISO", "RFC", "TLS", "SSL", "HTTP"),
    *("IPV", "TCP", "UDP", "AES", "RSA", "MD", "GPT"),
}
TRACKER_URL = re.compile(
    r"/(?:issues|pull|pulls|merge_requests|browse|tickets?|bugs?)/[\w-]+|show_bug\.cgi\?id=\d+"
    r"|/issue/[\w-]+|linear\.app/",
    re.IGNORECASE,
)


def ticket_ref(text: str) -> str | None:
    """The ticket cell for a key, `#12`, a tracker URL or a link holding one; None otherwise."""
    value = text.strip()
    m = LINK.fullmatch(value)
    if m:
        inner = m.group("text").replace("\\", "").strip("`*_ ")
        if is_key(inner):
            return value
        url = m.group("url")
        if TRACKER_URL.search(url):
            return f"[{_url_key(url)}]({url})"
        return None
    m = AUTOLINK.fullmatch(value)
    url = m.group("url") if m else value
    if re.fullmatch(r"https?://\S+", url):
        return f"[{_url_key(url)}]({url})" if TRACKER_URL.search(url) else None
    return value if is_key(value) else None


def is_key(text: str) -> bool:
    m = KEY_REF.fullmatch(text)
    return bool(m) and text.split("-", maxsplit=1)[0] not in _NOT_KEYS


def _url_key(url: str) -> str:
    m = re.search(r"github\.com/([\w.-]+/[\w.-]+)/(?:issues|pull)/(\d+)", url)
    if m:
        return f"{m.group(1)}#{m.group(2)}"
    m = re.search(r"gitlab\.com/(.+?)/-/(issues|merge_requests)/(\d+)", url)
    if m:
        return f"{m.group(1)}{'#' if m.group(2) == 'issues' else '!'}{m.group(3)}"
    m = re.search(r"/(?:browse|issue)/([A-Z][A-Z0-9]+-\d+)(?![\w-])", url)  # Jira; Linear, YouTrack
    if m:
        return m.group(1)
    m = re.search(r"(?:show_bug\.cgi\?id=|/bugs?/|/issues?/|/tickets?/)(\d+)", url)
    return f"#{m.group(1)}" if m else url.split("//", 1)[-1]
