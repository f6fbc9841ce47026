"""GitHub Issues: REST through PyGithub; reads by number and Projects v2 fields over GraphQL.

Each issue carries a hidden comment with its markers, the reconcile baseline and the due date
(`body.py`); markers are found by listing the repository's issues with our label, never with
the search API (it lags and has a far lower rate limit), so a miss is a real miss.

A run lists each repository once (`find`, for the document markers of every postmortem in the
run): that listing is what finds a deleted row's open ticket, a duplicate, and the ticket of an
interrupted create, and it holds every labelled ticket the run names. Tickets it does not hold
(unlabelled, in another repository) are read by number, 100 per GraphQL query (`numbers.py`);
only what GraphQL cannot resolve (a moved or deleted issue, a pull request) costs a REST GET.
The reads live in `reads.py`, the connector class here holds references, owners and writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

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
    Outcome,
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
from pm_sync_github.graphql import GraphQL
from pm_sync_github.labels import Labels
from pm_sync_github.projects import BoardEntry, Projects
from pm_sync_github.reader import Reader
from pm_sync_github.reads import JSON, GitHubReads
from pm_sync_github.state import assignee_logins, check_issue, label_names, repo_of, slim

if TYPE_CHECKING:
    from pm_sync_github.rest import Rest

__all__ = ["GitHubConfig", "GitHubConnector", "ProjectBoard"]


class GitHubConnector(GitHubReads, Connector[GitHubConfig]):
    name = "github"
    config_model = GitHubConfig
    capabilities = Capabilities(max_action=256)

    def __init__(self, config: GitHubConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self._rest: Rest | None = None
        self._reader: Reader | None = None
        self._graphql: GraphQL | None = None
        self._projects: Projects | None = None
        self._listed: dict[str, dict[int, JSON]] = {}  # repo (casefolded) -> labelled issues
        self._fetched: dict[tuple[str, int], JSON] = {}
        self._deferred: list[tuple[JSON, TicketDraft, TicketState]] | None = None
        self._assignees: dict[str, set[str]] = {}  # repo (casefolded) -> logins seen assigned
        self.access = Access(lambda: self.reader)
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
        """PyGithub, for writes: loaded by the first write of a run, never by a run that reads."""
        if self._rest is None:
            from pm_sync_github.rest import Rest

            self._rest = Rest(self.config, self._token())
        return self._rest

    @property
    def reader(self) -> Reader:
        if self._reader is None:
            self._reader = Reader(self.config, self._token())
        return self._reader

    @property
    def graphql(self) -> GraphQL:
        if self._graphql is None:
            self._graphql = GraphQL(self.config, self._token())
        return self._graphql

    @property
    def projects(self) -> Projects:
        if self._projects is None:
            self._projects = Projects(self.config, self.graphql)
        return self._projects

    def close(self) -> None:
        if self._rest is not None:
            self._rest.close()
        if self._reader is not None:
            self._reader.close()
        if self._graphql is not None:
            self._graphql.close()
        self._rest = self._reader = self._graphql = None
        self._projects = None

    # ------------------------------------------------------------------ references

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
        assigned = self._assigned(self._default)
        for handle in handles:
            login = (mapped.get(handle) or handle).strip().lstrip("@")
            if not refs.is_login(login):
                result.unknown[handle] = f"{login!r} is not a GitHub login"
            elif login.casefold() in assigned or self.access.can_assign(self._default, login):
                result.ids[handle] = login
            else:
                result.unknown[handle] = f"{login} cannot be assigned issues in {self._default}"
        return result

    def _assigned(self, repo: str) -> set[str]:
        """Logins this run saw assigned to issues of `repo`: GitHub assigns only those who may
        be, so they need no check of their own (a reconcile asks none for unchanged owners)."""
        folded = repo.casefold()
        if folded not in self._assignees:
            issues = [*(self._listed.get(folded) or {}).values()]
            issues += [raw for (r, _), raw in self._fetched.items() if r == folded]
            self._assignees[folded] = {login.casefold() for raw in issues for login in assignee_logins(raw)}
        return self._assignees[folded]

    def preflight(self, drafts: Sequence[TicketDraft]) -> list[Diagnostic]:
        return self.access.preflight(drafts, self._default)

    def doctor(self, owners: Sequence[str], projects: Sequence[str]) -> list[Diagnostic]:
        from pm_sync_github.doctor import checks

        return checks(self, owners, projects)

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
            raw = slim(check_issue(data, what))
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
            if self._deferred is not None:  # create_batch puts the whole batch on the board at once
                self._deferred.append((raw, draft, state))
                return state
            try:
                self._sync_board(raw, draft.due, draft.priority, due=True, priority=True)
            except PmSyncError as exc:
                raise self._unboarded(state, exc) from None
        return state

    def create_batch(self, drafts: Sequence[TicketDraft]) -> list[Outcome]:
        """One issue at a time (GitHub has no bulk create), then the batch joins the board in
        two GraphQL requests: every add, then every field."""
        if self.config.board is None or len(drafts) < 2:
            return super().create_batch(drafts)
        self._deferred = []
        try:
            outcomes = super().create_batch(drafts)
            deferred = self._deferred
        finally:
            self._deferred = None
        entries = [
            self._board_entry(raw, d.due, d.priority, due=True, priority=True) for raw, d, _ in deferred
        ]
        try:
            failed: dict[str, PmSyncError] = self.projects.sync_many(entries)
        except PmSyncError as exc:
            failed = {e.node_id: exc for e in entries}
        for (_, draft, state), entry in zip(deferred, entries, strict=True):
            problem = failed.get(entry.node_id)
            if problem is not None:
                outcomes[list(drafts).index(draft)] = self._unboarded(state, problem)
        return outcomes

    def _unboarded(self, state: TicketState, exc: PmSyncError) -> PmSyncError:
        """The issue exists but is not on the board: its key stays unwritten, so the next run
        finds it by its marker and puts it there (`adopt`)."""
        shown = refs.display(state.key, self._default)
        return type(exc)(
            f"created {shown} but {exc.message}; the next run puts it on the board", hint=exc.hint
        )

    def _board_entry(
        self, raw: JSON, due_date: dt.date | None, prio: Priority | None, *, due: bool, priority: bool
    ) -> BoardEntry:
        label = self.config.priority_labels[prio] if prio else None
        node = raw.get("node_id")
        if not isinstance(node, str):
            raise TrackerError("GitHub sent an issue without a node_id; it cannot join the project board")
        return BoardEntry(node, due=due_date, priority=prio, label=label, set_due=due, set_priority=priority)

    def _sync_board(
        self, raw: JSON, due_date: dt.date | None, prio: Priority | None, *, due: bool, priority: bool
    ) -> None:
        self.projects.sync(self._board_entry(raw, due_date, prio, due=due, priority=priority))

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
            raw = slim(check_issue(data, what))
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
