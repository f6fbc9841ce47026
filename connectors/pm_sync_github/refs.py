"""Issue references: `#12` (the default repository), `owner/repo#12` and issue URLs."""

from __future__ import annotations

import re
from dataclasses import dataclass

_REPO = r"(?P<repo>[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100})"
_SHORT = re.compile(rf"^(?:{_REPO})?\s*#(?P<number>\d+)$")
_URL = re.compile(
    r"^https?://[^/\s]+(?:/api/v3/repos|/repos)?/"
    r"(?P<repo>[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100})/(?:issues|pull)/(?P<number>\d+)"
    r"/?(?:[?#].*)?$"
)
_HINT = re.compile(rf"^(?:{_REPO})?\s*#\s*\??$")
_BARE_REPO = re.compile(rf"^{_REPO}$")
REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")


@dataclass(frozen=True)
class IssueRef:
    repo: str
    number: int

    @property
    def key(self) -> str:
        return f"{self.repo}#{self.number}"


def same_repo(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.casefold() == b.casefold()


def parse_ref(ref: str, default_repo: str | None) -> IssueRef | None:
    """A reference as written in a table, or None when it is not a GitHub issue reference."""
    value = ref.strip()
    m = _SHORT.match(value) or _URL.match(value)
    if m is None:
        return None
    repo = m.group("repo") or default_repo
    if repo is None:
        return None
    return IssueRef(repo, int(m.group("number")))


def parse_key(key: str) -> IssueRef:
    """A canonical key (`owner/repo#12`); raises ValueError for anything else."""
    ref = parse_ref(key, None)
    if ref is None:
        raise ValueError(f"{key!r} is not an owner/repo#N issue key")
    return ref


def project_hint(ref: str, default_repo: str | None) -> str | None:
    """`acme/other#?`, `acme/other#` or `acme/other` route an item to that repository."""
    value = ref.strip()
    m = _HINT.match(value) or _BARE_REPO.match(value)
    if m is None:
        return None
    return m.group("repo") or default_repo


def display(key: str, project: str | None) -> str:
    """`#12` in the postmortem's own repository, `owner/repo#12` elsewhere."""
    ref = parse_ref(key, project)
    if ref is None:
        return key
    return f"#{ref.number}" if same_repo(ref.repo, project) else ref.key


def is_login(value: str) -> bool:
    return _LOGIN.match(value) is not None


def repo_from_api_url(url: str) -> str | None:
    """`…/repos/owner/name` (an issue's `repository_url`) → `owner/name`."""
    m = re.search(r"/repos/([^/]+/[^/]+?)/?$", url)
    return m.group(1) if m else None
