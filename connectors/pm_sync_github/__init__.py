"""GitHub Issues: REST through PyGithub, optional Projects v2 fields over GraphQL (httpx).

Each issue carries a hidden comment with its markers, the reconcile baseline and the due date
(`body.py`); markers are found by listing the repository's issues with our label, never with
the search API (it lags and has a far lower rate limit), so a miss is a real miss.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from pm_sync.diagnostics import Diagnostic
from pm_sync.document.model import Priority
from pm_sync.errors import (
    AmbiguousWriteError,
    BadResponseError,
    NotFoundError,
    PmSyncError,
    RejectedError,
    TrackerError,
)
from pm_sync.tracker import (
    Capabilities,
    Connector,
    ConnectorContext,
    OwnerResolution,
    TicketChanges,
    TicketDraft,
    TicketFields,
    TicketRef,
    TicketState,
)
from pm_sync.tracker.http import resendable
from pm_sync.tracker.secrets import read_token
from pm_sync_github import body, refs
from pm_sync_github.access import Access
from pm_sync_github.config import GitHubConfig, ProjectBoard
from pm_sync_github.labels import Labels
from pm_sync_github.projects import Projects
from pm_sync_github.rest import Rest
from pm_sync_github.state import assignee_logins, check_issue, label_names, repo_of, ticket_state

__all__ = ["GitHubConfig", "GitHubConnector", "ProjectBoard"]

JSON = dict[str, Any]
LIST_AFTER = 3
"""More issues than this asked in one repository: one listing is cheaper than a GET each."""


class GitHubConnector(Connector[GitHubConfig]):
    name = "github"
    config_model = GitHubConfig
    capabilities = Capabilities(max_action=256)

    def __init__(self, config: GitHubConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self._rest: Rest | None = None
        self._projects: Projects | None = None
        self._listed: dict[str, dict[int, JSON]] = {}  # repo (casefolded) -> labelled issues
        self._fetched: dict[tuple[str, int], JSON] = {}
        self.access = Access(lambda: self.rest)
        self._labels = Labels(config)

    def __repr__(self) -> str:
        return f"GitHubConnector(repo={self.config.repo!r}, api_url={self.config.api_url!r})"

    # ------------------------------------------------------------------ clients

    def _token(self) -> str:
        return read_token(
            self.context.env,
            self.config.token_env,
            key="trackers.github.token_env",
            config_path=self.context.config_path,
        )

    @property
    def rest(self) -> Rest:
        if self._rest is None:
            self._rest = Rest(self.config, self._token())
        return self._rest

    @property
    def projects(self) -> Projects:
        if self._projects is None:
            self._projects = Projects(self.config, self._token())
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
        return self.config.default_repo

    def parse_ref(self, ref: str) -> TicketRef | None:
        parsed = refs.parse_ref(ref, self._default)
        if parsed is not None:
            return TicketRef(
                key=parsed.key, project=parsed.repo, native=refs.same_repo(parsed.repo, self._default)
            )
        repo = refs.project_hint(ref, self._default)
        if repo is not None:
            return TicketRef(key=None, project=repo, native=refs.same_repo(repo, self._default))
        return None

    def display_key(self, key: str, project: str | None) -> str:
        """`#N` only in the configured repository: a postmortem routed elsewhere still gets
        `owner/repo#N`, readable without its context."""
        return refs.display(key, self._default)

    def owner_handle(self, identity: str) -> str | None:
        return "@" + identity if refs.is_login(identity) else None

    # ------------------------------------------------------------------ owners & preflight

    def resolve_owners(self, handles: Sequence[str], mapped: Mapping[str, str | None]) -> OwnerResolution:
        """Owner map entry or the handle without `@`, checked assignable in the default repo."""
        result = OwnerResolution()
        for handle in handles:
            login = (mapped.get(handle) or handle).strip().lstrip("@")
            if not refs.is_login(login):
                result.unknown[handle] = f"{login!r} is not a GitHub login"
            elif self.access.can_assign(self._default, login):
                result.ids[handle] = login
            else:
                result.unknown[handle] = f"{login} cannot be assigned issues in {self._default}"
        return result

    def preflight(self, drafts: Sequence[TicketDraft]) -> list[Diagnostic]:
        return self.access.preflight(drafts, self._default)

    def doctor(self, owners: Sequence[str], projects: Sequence[str]) -> list[Diagnostic]:
        from pm_sync_github.doctor import checks

        return checks(self, owners, projects)

    # ------------------------------------------------------------------ reading

    def _params(self) -> JSON:
        """Every issue (open and closed) with our first label, 100 a page."""
        params: JSON = {"state": "all", "per_page": 100}
        if self.config.labels:
            params["labels"] = self.config.labels[0]
        return params

    def _listing(self, repo: str, *, fresh: bool = False) -> dict[int, JSON]:
        """The repository's labelled issues (pull requests left out); `read` reuses the last
        listing, `find` always lists again, since it must see what was created meanwhile."""
        if fresh or repo.casefold() not in self._listed:
            listing: dict[int, JSON] = {}
            what = f"listing issues of {repo}"
            for page, _ in self.rest.pages(f"/repos/{repo}/issues", what, self._params()):
                for raw in page:
                    if "pull_request" not in raw:
                        listing[int(check_issue(raw, what)["number"])] = raw
            self._listed[repo.casefold()] = listing
        return self._listed[repo.casefold()]

    def _state(self, raw: JSON, requested: refs.IssueRef | None = None) -> TicketState:
        return ticket_state(raw, self.config.priority_labels, requested)

    def find(self, markers: Sequence[str], projects: Sequence[str]) -> list[TicketState]:
        wanted = set(markers)
        repos = {r.casefold(): r for r in (*projects, self._default) if r and refs.REPO.fullmatch(r)}
        found: list[TicketState] = []
        for repo in repos.values():
            try:
                listing = self._listing(repo, fresh=True)
            except NotFoundError:
                try:
                    self.access.repo(repo)
                except NotFoundError:
                    continue  # preflight reports the missing repository on each row
                raise  # the repository is there: "no list" is not "no issues"
            for raw in listing.values():
                meta = body.parse(raw.get("body") if isinstance(raw.get("body"), str) else None)
                if meta and (meta.marker in wanted or meta.document in wanted):
                    found.append(self._state(raw))
        return found

    def read(self, keys: Sequence[str]) -> Mapping[str, TicketState | None]:
        """From this run's listings where they hold the issue; a repository asked for several
        issues is listed once; the rest (unlabelled, moved, gone) one GET each."""
        wanted: dict[str, list[str]] = {}
        for key in keys:
            ref = refs.parse_ref(key, self._default)
            if ref is not None and self._cached(ref) is None:
                wanted.setdefault(ref.repo.casefold(), []).append(ref.repo)
        for folded, names in wanted.items():
            if len(names) > LIST_AFTER and folded not in self._listed:
                with contextlib.suppress(NotFoundError):
                    self._listing(names[0])
        result: dict[str, TicketState | None] = {}
        for key in keys:
            ref = refs.parse_ref(key, self._default)
            raw = (self._cached(ref) or self._fetch(ref)) if ref is not None else None
            result[key] = self._state(raw, ref) if raw is not None and ref else None
        return result

    def _cached(self, ref: refs.IssueRef) -> JSON | None:
        listing = self._listed.get(ref.repo.casefold()) or {}
        return listing.get(ref.number) or self._fetched.get((ref.repo.casefold(), ref.number))

    def _fetch(self, ref: refs.IssueRef) -> JSON | None:
        what = f"reading issue {ref.key}"
        try:
            _, raw = self.rest.call("GET", f"/repos/{ref.repo}/issues/{ref.number}", what)
        except NotFoundError:  # 404 never existed / not visible, 410 deleted
            return None
        raw = check_issue(raw, what)
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

    def _remember(self, repo: str, raw: JSON) -> None:
        listing = self._listed.get(repo.casefold())
        if listing is not None:
            listing[int(raw["number"])] = raw
        self._fetched[(repo.casefold(), int(raw["number"]))] = raw

    # ------------------------------------------------------------------ writing

    def create(self, draft: TicketDraft) -> TicketState:
        """One issue (GitHub has no bulk create); never sent twice: an unknown outcome is the
        engine's to settle by the marker."""
        repo = draft.project or self._default
        labels = self._labels.for_issue(draft.labels, draft.priority)
        self._labels.ensure(self.rest, repo, labels)
        meta = body.Meta(marker=draft.marker, document=draft.document, baseline=draft.fields(), due=draft.due)
        payload: JSON = {
            "title": draft.action,
            "body": body.render(draft.description, meta),
            "labels": labels,
        }
        if draft.owner:
            payload["assignees"] = [draft.owner]
        what = f"creating the issue for line {draft.line} in {repo}"
        _, data = self.rest.call("POST", f"/repos/{repo}/issues", what, body=payload)
        try:
            raw = check_issue(data, what)
        except BadResponseError as exc:  # GitHub took the create; what it made is unreadable
            raise AmbiguousWriteError(
                f"{exc.message}; the issue may have been created", hint=exc.hint
            ) from None
        real = repo_of(raw)
        if real is not None and not refs.same_repo(real, repo):
            raise AmbiguousWriteError(
                f"GitHub answered the create in {repo} with an issue of {real}; the issue may have "
                "been created",
                hint="check trackers.github.api_url; a proxy or a broken server answers this way",
            )
        self._remember(repo, raw)
        state = self._state(raw, refs.IssueRef(repo, int(raw["number"])))
        if self.config.board is not None:
            try:
                self._sync_board(raw, draft.due, draft.priority, due=True, priority=True)
            except PmSyncError as exc:  # the key stays unwritten, so the next run adopts the issue
                shown = refs.display(state.key, self._default)
                raise type(exc)(
                    f"created {shown} but {exc.message}; the next run puts it on the board", hint=exc.hint
                ) from None
        return state

    def _sync_board(
        self, raw: JSON, due_date: dt.date | None, prio: Priority | None, *, due: bool, priority: bool
    ) -> None:
        label = self.config.priority_labels[prio] if prio else None
        node = raw.get("node_id")
        if not isinstance(node, str):
            raise TrackerError("GitHub sent an issue without a node_id; it cannot join the project board")
        self.projects.sync(node, due=due_date, priority=prio, label=label, set_due=due, set_priority=priority)

    def adopt(self, state: TicketState, draft: TicketDraft) -> None:
        """An issue whose create was interrupted before it joined the board joins it now."""
        if self.config.board is None:
            return
        ref = refs.parse_ref(state.key, self._default)
        raw = (self._cached(ref) or self._fetch(ref)) if ref else None
        if raw is not None:
            self._sync_board(raw, draft.due, draft.priority, due=True, priority=True)

    def update(self, key: str, changes: TicketChanges, baseline: TicketFields) -> None:
        ref = refs.parse_key(key)
        raw = self._cached(ref) or self._fetch(ref)
        if raw is None:
            raise NotFoundError(
                f"issue {key} no longer exists", hint="fix the Ticket cell, or run `pm-sync reconcile`"
            )
        fields = changes.names()
        repo = repo_of(raw) or ref.repo
        refused: str | None = None
        if "owner" in fields and changes.owner and not self.access.can_assign(repo, changes.owner):
            # e.g. the issue was transferred to a repo where the owner has no access
            refused = changes.owner
            fields.discard("owner")
            current = assignee_logins(raw)
            baseline = baseline.model_copy(update={"owner": current[0] if current else None})
        text = raw.get("body") if isinstance(raw.get("body"), str) else None
        old = body.parse(text) or body.Meta()
        meta = body.Meta(
            marker=old.marker,
            document=old.document,
            baseline=baseline,
            due=changes.due if "due" in fields else old.due,
        )
        payload: JSON = {}
        if "action" in fields and changes.action:
            payload["title"] = changes.action
        if "priority" in fields:
            ours = {v.casefold() for v in self.config.priority_labels.values()}
            keep = [n for n in label_names(raw) if n.casefold() not in ours]
            if changes.priority is not None:
                new = self.config.priority_labels[changes.priority]
                self._labels.ensure(self.rest, repo, [new])
                keep.append(new)
            payload["labels"] = keep
        if "owner" in fields:
            payload["assignees"] = [changes.owner] if changes.owner else []
        new_body = body.replace(text, meta, due_changed="due" in fields)
        if new_body != (text or ""):
            payload["body"] = new_body
        if payload:
            what = f"updating issue {key}"
            with resendable():  # setting the same values twice is harmless
                _, data = self.rest.call("PATCH", f"/repos/{repo}/issues/{raw['number']}", what, body=payload)
            raw = check_issue(data, what)
            self._remember(repo_of(raw) or ref.repo, raw)
        if self.config.board is not None and fields & {"due", "priority"}:
            self._sync_board(
                raw,
                meta.due,
                changes.priority if "priority" in fields else None,
                due="due" in fields,
                priority="priority" in fields,
            )
        if refused is not None:
            raise RejectedError(
                f"{refused} cannot be assigned issues in {repo}, where {key} now lives; its other "
                "fields were updated",
                hint="give them access to that repository, or change the Owner cell",
            )
