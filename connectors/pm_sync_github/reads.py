"""GitHub reads: one listing of each repository's labelled issues per run, then by number.

A mixin of `GitHubConnector`, kept apart so the connector class reads as the contract it fills.
`find` lists afresh (what was created meanwhile must show); `read` takes what this run's
listings hold, then asks GraphQL for the rest 100 numbers at a time (`numbers.py`), and only
what GraphQL cannot resolve (moved, deleted, a pull request) costs a REST GET.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from pm_sync.errors import NotFoundError, TrackerError
from pm_sync.tracker import TicketState
from pm_sync_github import body, numbers, refs
from pm_sync_github.access import Access
from pm_sync_github.config import GitHubConfig
from pm_sync_github.graphql import GraphQL
from pm_sync_github.reader import Reader
from pm_sync_github.state import check_issue, repo_of, slim, ticket_state

JSON = dict[str, Any]


class GitHubReads(ABC):
    """`find` and `read` of the GitHub connector, and the issues this run has seen."""

    config: GitHubConfig
    access: Access
    _listed: dict[str, dict[int, JSON]]
    """repo (casefolded) -> labelled issues"""
    _fetched: dict[tuple[str, int], JSON]
    _assignees: dict[str, set[str]]
    """repo (casefolded) -> logins seen assigned"""

    @property
    @abstractmethod
    def reader(self) -> Reader: ...

    @property
    @abstractmethod
    def graphql(self) -> GraphQL: ...

    @property
    def _default(self) -> str:
        return self.config.default_repo

    def _params(self) -> JSON:
        """Every issue (open and closed) with our first label, 100 a page."""
        params: JSON = {"state": "all", "per_page": 100}
        if self.config.labels:
            params["labels"] = self.config.labels[0]
        return params

    def _listing(self, repo: str) -> dict[int, JSON]:
        """The repository's labelled issues (pull requests left out), listed afresh: `find`
        must see what was created meanwhile. `read` and `update` reuse the last listing."""
        listing: dict[int, JSON] = {}
        what = f"listing issues of {repo}"
        for page, _ in self.reader.pages(f"/repos/{repo}/issues", what, self._params()):
            for raw in page:
                if "pull_request" not in raw:
                    listing[int(check_issue(raw, what)["number"])] = slim(raw)
        self._listed[repo.casefold()] = listing
        self._assignees.clear()
        return listing

    def _state(self, raw: JSON, requested: refs.IssueRef | None = None) -> TicketState:
        return ticket_state(raw, self.config.priority_labels, requested)

    def find(self, markers: Sequence[str], projects: Sequence[str]) -> list[TicketState]:
        wanted = set(markers)
        repos = {r.casefold(): r for r in (*projects, self._default) if r and refs.REPO.fullmatch(r)}
        found: list[TicketState] = []
        for repo in repos.values():
            try:
                listing = self._listing(repo)
            except NotFoundError:
                try:
                    self.access.repo(repo)
                except NotFoundError:
                    continue  # preflight reports the missing repository on each row
                raise  # the repository is there: "no list" is not "no issues"
            for raw in listing.values():
                text = raw.get("body")
                if not isinstance(text, str) or "pm-sync" not in text:
                    continue
                meta = body.parse(text)
                if meta and (meta.marker in wanted or meta.document in wanted):
                    found.append(self._state(raw))
        return found

    def read(self, keys: Sequence[str]) -> Mapping[str, TicketState | None]:
        """From this run's listings where they hold the issue; the rest by number, 100 per
        GraphQL query per repository; what GraphQL does not resolve (moved, deleted, a pull
        request) one REST GET each, which tells those apart."""
        refs_of = {key: refs.parse_ref(key, self._default) for key in keys}
        wanted: dict[str, tuple[str, list[int]]] = {}
        for ref in refs_of.values():
            if ref is not None and self._cached(ref) is None:
                wanted.setdefault(ref.repo.casefold(), (ref.repo, []))[1].append(ref.number)
        for repo, numbers_ in wanted.values():
            if not refs.REPO.fullmatch(repo):
                continue
            for number, raw in numbers.read(self.graphql, self.config.api_url, repo, numbers_).items():
                if raw is not None:
                    self._fetched[(repo.casefold(), number)] = raw
        self._assignees.clear()
        result: dict[str, TicketState | None] = {}
        for key, ref in refs_of.items():
            raw = (self._cached(ref) or self._fetch(ref)) if ref is not None else None
            result[key] = self._state(raw, ref) if raw is not None and ref else None
        return result

    def _cached(self, ref: refs.IssueRef) -> JSON | None:
        listing = self._listed.get(ref.repo.casefold()) or {}
        return listing.get(ref.number) or self._fetched.get((ref.repo.casefold(), ref.number))

    def _fetch(self, ref: refs.IssueRef) -> JSON | None:
        what = f"reading issue {ref.key}"
        try:
            _, raw = self.reader.call("GET", f"/repos/{ref.repo}/issues/{ref.number}", what)
        except NotFoundError:  # 404 never existed / not visible, 410 deleted
            return None
        raw = slim(check_issue(raw, what))
        if "pull_request" in raw:  # GitHub serves pull requests as issues too
            raise TrackerError(
                f"{ref.key} is a pull request, not an issue; pm-sync never edits pull requests",
                hint="put the tracking issue in the Ticket cell (the PR can go in a Notes column)",
            )
        self._fetched[(ref.repo.casefold(), ref.number)] = raw
        real = repo_of(raw)
        if real is not None:  # a transferred issue, under its new address too
            self._fetched[(real.casefold(), int(raw["number"]))] = raw
        self._assignees.clear()
        return raw

    def _remember(self, repo: str, raw: JSON) -> None:
        listing = self._listed.get(repo.casefold())
        if listing is not None:
            listing[int(raw["number"])] = raw
        self._fetched[(repo.casefold(), int(raw["number"]))] = raw
        self._assignees.clear()
