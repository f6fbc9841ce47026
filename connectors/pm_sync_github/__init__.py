"""GitHub Issues: REST through PyGithub, optional Projects v2 fields over GraphQL (httpx).

Each issue carries a hidden comment with its marker, the reconcile baseline and the due date
(`body.py`); markers are found by listing the repository's issues with our label, never with
the search API (it lags and has a far lower rate limit).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from pm_sync.document.model import Priority
from pm_sync.errors import AuthError, ConfigError, NotFoundError, PmSyncError, RateLimitedError, TrackerError
from pm_sync.tracker.contract import (
    Capabilities,
    Connector,
    ConnectorConfig,
    ConnectorContext,
    CreateResult,
    DraftProblem,
    OwnerResolution,
    TicketChanges,
    TicketDraft,
    TicketFields,
    TicketState,
)
from pm_sync_github import body, refs
from pm_sync_github.access import Access
from pm_sync_github.config import GitHubConfig, ProjectBoard
from pm_sync_github.labels import Labels
from pm_sync_github.projects import Projects
from pm_sync_github.rest import Rest, UncertainWrite, github_time
from pm_sync_github.state import assignee_logins, label_names, repo_of, ticket_state

__all__ = ["GitHubConfig", "GitHubConnector", "ProjectBoard"]

JSON = dict[str, Any]


class GitHubConnector(Connector):
    name = "github"
    config_model = GitHubConfig
    capabilities = Capabilities(max_summary=256)

    def __init__(self, config: ConnectorConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        assert isinstance(config, GitHubConfig)
        self.cfg = config
        self._rest: Rest | None = None
        self._projects: Projects | None = None
        self._listed: dict[str, dict[int, JSON]] = {}  # repo (casefolded) -> labelled issues
        self._fetched: dict[tuple[str, int], JSON] = {}
        self.access = Access(lambda: self.rest)
        self._labels = Labels(config)
        self._hinted: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"GitHubConnector(repo={self.cfg.repo!r}, api_url={self.cfg.api_url!r})"

    # ------------------------------------------------------------------ clients

    def _token(self) -> str:
        env = self.cfg.token_env
        token = (self.context.env.get(env) or "").strip()
        if not token:
            raise ConfigError(
                f"no GitHub token: the environment variable {env} (config key "
                "trackers.github.token_env) is not set",
                path=self.context.config_path,
                hint=f"export {env}=<token>, or name another variable in trackers.github.token_env",
            )
        return token

    @property
    def rest(self) -> Rest:
        if self._rest is None:
            self._rest = Rest(self.cfg, self._token())
        return self._rest

    @property
    def projects(self) -> Projects:
        if self._projects is None:
            self._projects = Projects(self.cfg, self._token())
        return self._projects

    def close(self) -> None:
        if self._rest is not None:
            self._rest.close()
        if self._projects is not None:
            self._projects.close()
        self._rest = self._projects = None

    # ------------------------------------------------------------------ references

    @property
    def _default(self) -> str:
        return self.cfg.default_repo

    def owns_key(self, key: str) -> bool:
        return refs.parse_ref(key, self._default) is not None

    def canonical_key(self, ref: str, project: str | None) -> str:
        parsed = refs.parse_ref(ref, project or self._default)
        return parsed.key if parsed else ref

    def display_key(self, key: str, project: str | None) -> str:
        """`#N` only in the configured repository: a postmortem routed elsewhere (ticket-cell
        hint or front matter) still gets `owner/repo#N`, readable without its context."""
        return refs.display(key, self._default)

    def is_project_hint(self, ref: str) -> str | None:
        repo = refs.project_hint(ref, self._default)
        if repo is not None:
            self._hinted.setdefault(repo.casefold(), repo)
        return repo

    def owner_handle(self, assignee: str) -> str:
        return "@" + assignee

    # ------------------------------------------------------------------ owners & preflight

    def resolve_owners(self, handles: Sequence[str], mapped: Mapping[str, str | None]) -> OwnerResolution:
        """Owner map entry or the handle without `@`, checked assignable in the default repo."""
        result = OwnerResolution()
        for handle in handles:
            login = (mapped.get(handle) or handle).strip().lstrip("@")
            if not refs.is_login(login):
                result.unknown[handle] = f"{login!r} is not a GitHub login"
            elif self._can_assign(self._default, login):
                result.ids[handle] = login
            else:
                result.unknown[handle] = f"{login} cannot be assigned issues in {self._default}"
        return result

    def _can_assign(self, repo: str, login: str) -> bool:
        return self.access.can_assign(repo, login)

    def preflight(self, drafts: Sequence[TicketDraft]) -> list[DraftProblem]:
        return self.access.preflight(drafts, self._default)

    # ------------------------------------------------------------------ reading

    def _params(self, since: dt.datetime | None = None) -> JSON:
        """Every issue (open and closed) with our first label, 100 a page."""
        params: JSON = {"state": "all", "per_page": 100}
        if self.cfg.labels:
            params["labels"] = self.cfg.labels[0]
        if since is not None:
            params["since"] = github_time(since)
        return params

    def _list(self, repo: str, since: dt.datetime | None = None) -> list[JSON]:
        issues: list[JSON] = []
        for page, _ in self.rest.pages(
            f"/repos/{repo}/issues", f"listing issues of {repo}", self._params(since)
        ):
            issues += [i for i in page if isinstance(i, dict) and "pull_request" not in i]
        return issues

    def _listing(self, repo: str) -> dict[int, JSON]:
        if repo.casefold() not in self._listed:
            self._listed[repo.casefold()] = {int(i["number"]): i for i in self._list(repo)}
        return self._listed[repo.casefold()]

    def _remember(self, repo: str, raw: JSON) -> None:
        listing = self._listed.get(repo.casefold())
        if listing is not None:
            listing[int(raw["number"])] = raw
        self._fetched[(repo.casefold(), int(raw["number"]))] = raw

    def _state(self, raw: JSON, requested: refs.IssueRef | None = None) -> TicketState:
        return ticket_state(raw, self.cfg.priority_labels, requested)

    def find_by_markers(self, markers: Sequence[str], project: str | None) -> dict[str, TicketState]:
        wanted = set(markers)
        repos = {r.casefold(): r for r in (project, self._default, *self._hinted.values()) if r}
        found: dict[str, TicketState] = {}
        for repo in repos.values():
            try:
                listing = self._listing(repo)
            except NotFoundError:  # preflight reports a missing repository on each row
                continue
            for raw in listing.values():
                meta = body.parse(raw.get("body"))
                if meta and meta.marker in wanted and meta.marker not in found:
                    found[meta.marker] = self._state(raw)
        return found

    def read(self, keys: Sequence[str]) -> dict[str, TicketState | None]:
        """One listing per repository; a GET only for issues it lacks (unlabelled, moved, gone)."""
        wanted: dict[str, refs.IssueRef | None] = {}
        for key in keys:
            wanted[key] = refs.parse_ref(key, self._default)
        by_repo: dict[str, list[refs.IssueRef]] = {}
        for maybe in wanted.values():
            if maybe is not None:
                by_repo.setdefault(maybe.repo.casefold(), []).append(maybe)
        for group in by_repo.values():
            self._scan(group[0].repo, {r.number for r in group})
        result: dict[str, TicketState | None] = {}
        for key, ref in wanted.items():
            raw = (self._cached(ref) or self._fetch(ref)) if ref is not None else None
            result[key] = self._state(raw, ref) if raw is not None and ref else None
        return result

    def _cached(self, ref: refs.IssueRef) -> JSON | None:
        listing = self._listed.get(ref.repo.casefold()) or {}
        return listing.get(ref.number) or self._fetched.get((ref.repo.casefold(), ref.number))

    def _scan(self, repo: str, numbers: set[int]) -> None:
        """List labelled issues, unless single GETs for the few keys asked are cheaper."""
        if repo.casefold() in self._listed:
            return
        listing: dict[int, JSON] = {}
        pages = self.rest.pages(f"/repos/{repo}/issues", f"listing issues of {repo}", self._params())
        try:
            for number, (page, last) in enumerate(pages, start=1):
                for raw in page:
                    if isinstance(raw, dict) and "pull_request" not in raw:
                        listing[int(raw["number"])] = raw
                missing = numbers - set(listing)
                if last is not None and last - number > len(missing):
                    for n, raw in listing.items():  # the rest by GET: fewer requests
                        self._fetched[(repo.casefold(), n)] = raw
                    return
        except NotFoundError:
            return  # a repository gone or hidden: each key is then read (and missed) alone
        self._listed[repo.casefold()] = listing

    def _fetch(self, ref: refs.IssueRef) -> JSON | None:
        try:
            _, raw = self.rest.call(
                "GET", f"/repos/{ref.repo}/issues/{ref.number}", f"reading issue {ref.key}"
            )
        except NotFoundError:  # 404 never existed / not visible, 410 deleted
            return None
        if not isinstance(raw, dict):
            return None
        if "pull_request" in raw:  # GitHub serves pull requests as issues too
            raise TrackerError(
                f"{ref.key} is a pull request, not an issue; pm-sync never edits pull requests",
                hint="put the tracking issue in the Ticket cell (the PR can go in a Notes column)",
            )
        self._fetched[(ref.repo.casefold(), ref.number)] = raw
        real = repo_of(raw)
        if real is not None:  # a transferred issue, under its new address too
            self._fetched[(real.casefold(), int(raw["number"]))] = raw
        return raw

    # ------------------------------------------------------------------ writing

    def create(self, drafts: Sequence[TicketDraft]) -> list[CreateResult]:
        """One at a time, as GitHub asks; a systemic failure stops the rest with a clear error."""
        results: list[CreateResult] = []
        for i, draft in enumerate(drafts):
            try:
                results.append(CreateResult(uid=draft.uid, state=self._create_one(draft)))
            except (AuthError, RateLimitedError) as exc:
                results.append(CreateResult(uid=draft.uid, error=exc))
                results += [
                    CreateResult(
                        uid=d.uid,
                        error=TrackerError(
                            f"not created: an earlier create failed ({exc.message})", hint=exc.hint
                        ),
                    )
                    for d in drafts[i + 1 :]
                ]
                break
            except PmSyncError as exc:
                results.append(CreateResult(uid=draft.uid, error=exc))
        return results

    def _create_one(self, draft: TicketDraft) -> TicketState:
        repo = draft.project or self._default
        labels = self._labels.for_issue(draft.labels, draft.priority)
        self._labels.ensure(self.rest, repo, labels)
        meta = body.Meta(marker=draft.marker, baseline=draft.owned(), due=draft.due)
        payload: JSON = {
            "title": draft.summary,
            "body": body.render(draft.description, meta),
            "labels": labels,
        }
        if draft.assignee:
            payload["assignees"] = [draft.assignee]
        what = f"creating the issue for line {draft.line} in {repo}"
        started = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=self.cfg.recovery_window)
        raw: JSON | None = None
        problem: UncertainWrite | None = None
        for _attempt in range(self.cfg.create_attempts):
            if problem is not None:
                raw = self._recover(repo, draft.marker, started, problem)
                if raw is not None:
                    break
            try:
                _, data = self.rest.call("POST", f"/repos/{repo}/issues", what, body=payload)
                raw = data if isinstance(data, dict) else None
                break
            except UncertainWrite as exc:
                problem = exc
        if raw is None and problem is not None:
            raw = self._recover(repo, draft.marker, started, problem)
        if raw is None:
            detail = problem.message if problem else "GitHub returned no issue"
            raise TrackerError(
                f"could not create the issue in {repo}: {detail}",
                hint="run pm-sync push again; the marker prevents a duplicate",
            )
        self._remember(repo, raw)
        state = self._state(raw)
        if self.cfg.board is not None:
            try:
                self._sync_board(raw, draft.due, draft.priority, due=True, priority=True)
            except PmSyncError as exc:
                raise type(exc)(f"created {state.key} but {exc.message}", hint=exc.hint) from None
        return state

    def _recover(self, repo: str, marker: str, since: dt.datetime, problem: UncertainWrite) -> JSON | None:
        """Did GitHub store it anyway? First recently updated issues, then (after a moment, if
        GitHub may still be working on it) all of them, so a skewed clock cannot hide it."""
        try:
            found = self._find_marker(repo, marker, since)
            if found is None:
                if problem.kind in ("timeout", "server"):
                    threading.Event().wait(self.cfg.recheck_delay)
                found = self._find_marker(repo, marker, None)
            return found
        except PmSyncError as exc:
            raise TrackerError(
                f"{problem.message}, and looking for it failed too ({exc.message})",
                hint="run pm-sync push again; the marker prevents a duplicate",
            ) from None

    def _find_marker(self, repo: str, marker: str, since: dt.datetime | None) -> JSON | None:
        for raw in self._list(repo, since):
            meta = body.parse(raw.get("body"))
            if meta is not None and meta.marker == marker:
                return raw
        return None

    def _sync_board(
        self, raw: JSON, due_date: dt.date | None, prio: Priority | None, *, due: bool, priority: bool
    ) -> None:
        label = self.cfg.priority_labels[prio] if prio else None
        self.projects.sync(
            str(raw["node_id"]), due=due_date, priority=prio, label=label, set_due=due, set_priority=priority
        )

    def adopt(self, key: str, draft: TicketDraft) -> None:
        """An issue created by a run whose board step failed (or was killed) joins the board."""
        if self.cfg.board is None:
            return
        ref = refs.parse_key(key)
        raw = self._cached(ref) or self._fetch(ref)
        if raw is not None:
            self._sync_board(raw, draft.due, draft.priority, due=True, priority=True)

    def update(self, key: str, changes: TicketChanges, baseline: TicketFields) -> TicketState:
        ref = refs.parse_key(key)
        raw = self._cached(ref) or self._fetch(ref)
        if raw is None:
            raise NotFoundError(
                f"issue {key} no longer exists", hint="fix the Ticket cell, or run `pm-sync reconcile`"
            )
        fields = set(changes.model_fields_set)
        repo = repo_of(raw) or ref.repo
        refused: str | None = None
        if "assignee" in fields and changes.assignee and not self._can_assign(repo, changes.assignee):
            # e.g. the issue was transferred to a repo where the owner has no access
            refused = changes.assignee
            fields.discard("assignee")
            current = assignee_logins(raw)
            baseline = baseline.model_copy(update={"assignee": current[0] if current else None})
        old = body.parse(raw.get("body")) or body.Meta()
        meta = body.Meta(
            marker=old.marker, baseline=baseline, due=changes.due if "due" in fields else old.due
        )
        payload: JSON = {}
        if "summary" in fields and changes.summary:
            payload["title"] = changes.summary
        if "priority" in fields:
            ours = {v.casefold() for v in self.cfg.priority_labels.values()}
            keep = [n for n in label_names(raw) if n.casefold() not in ours]
            if changes.priority is not None:
                new = self.cfg.priority_labels[changes.priority]
                self._labels.ensure(self.rest, ref.repo, [new])
                keep.append(new)
            payload["labels"] = keep
        if "assignee" in fields:
            payload["assignees"] = [changes.assignee] if changes.assignee else []
        text = body.replace(raw.get("body"), meta, due_changed="due" in fields)
        if text != (raw.get("body") or ""):
            payload["body"] = text
        if payload:
            raw = self._patch(raw, payload, key)
            self._remember(repo_of(raw) or ref.repo, raw)
        if self.cfg.board is not None and fields & {"due", "priority"}:
            self._sync_board(
                raw,
                meta.due,
                changes.priority if "priority" in fields else None,
                due="due" in fields,
                priority="priority" in fields,
            )
        if refused is not None:
            raise TrackerError(
                f"{refused} cannot be assigned issues in {repo}, where {key} now lives; its "
                "other fields were updated",
                hint="give them access to that repository, or change the Owner cell",
            )
        return self._state(raw, ref)

    def _patch(self, raw: JSON, payload: JSON, key: str) -> JSON:
        repo = repo_of(raw) or refs.parse_key(key).repo  # where the issue is now, if it moved
        url = f"/repos/{repo}/issues/{raw['number']}"
        what = f"updating issue {key}"
        problem: UncertainWrite | None = None
        for _attempt in range(self.cfg.create_attempts):  # a PATCH is idempotent: safe to resend
            try:
                _, data = self.rest.call("PATCH", url, what, body=payload)
                return data if isinstance(data, dict) else raw
            except UncertainWrite as exc:
                problem = exc
        assert problem is not None
        raise TrackerError(problem.message, hint="run pm-sync push again")
