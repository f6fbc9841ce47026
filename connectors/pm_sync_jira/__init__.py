"""Jira Cloud and Data Center through the `jira` library (pycontribs, 3.10.x).

Reads (`reads.py`) are batched JQL searches (`labels in (...)` for markers, `key in (...)` for
keys, at most 100 values a request) with the fields pm-sync uses and the `pm-sync` entity property holding the
reconcile baseline; Cloud uses the enhanced search (`search/jql`), Data Center `search`, which
leaves properties out, so a baseline there is read only for the tickets that need one. Creates go
through `issue/bulk`, at most 50 a request, with the baseline property in the create body. Push
never transitions, reopens or closes an issue.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from jira import JIRAError

from pm_sync.diagnostics import Diagnostic, error
from pm_sync.errors import (
    AmbiguousWriteError,
    AuthError,
    NotSentError,
    PmSyncError,
    RejectedError,
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
from pm_sync_jira import meta
from pm_sync_jira.client import JiraClient, error_body
from pm_sync_jira.config import JiraConfig
from pm_sync_jira.fields import PROPERTY, Mapper, baseline_property, field_name
from pm_sync_jira.owners import OwnerLookup
from pm_sync_jira.reads import JiraReads, chunks

__all__ = ["JiraConfig", "JiraConnector"]

KEY_RE = re.compile(r"[A-Z][A-Z0-9_]+-\d+", re.ASCII)
HINT_RE = re.compile(r"([A-Z][A-Z0-9_]+)(?:-\??)?")
BULK = 50  # issues per POST issue/bulk (Jira's limit)


class JiraConnector(JiraReads, Connector[JiraConfig]):
    name = "jira"
    config_model = JiraConfig
    capabilities = Capabilities(max_action=255, search_lag=True)

    def __init__(self, config: JiraConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self.client = JiraClient(config, context.env, context.config_path)
        self._mapper: Mapper | None = None
        self._meta: dict[tuple[str, str], meta.CreateMeta] = {}
        self.owners = OwnerLookup(self.client, seen=lambda: self.mapper.users)
        self._no_bulk = False
        self._unloaded: dict[str, TicketState] = {}  # states read without their baseline, by key

    def __repr__(self) -> str:
        return f"JiraConnector({self.client!r})"

    @property
    def mapper(self) -> Mapper:
        if self._mapper is None:
            self._mapper = Mapper(self.config, cloud=self.client.is_cloud)
        return self._mapper

    # ------------------------------------------------------------ keys & routing

    def parse_ref(self, ref: str) -> TicketRef | None:
        value = ref.strip().upper()
        if KEY_RE.fullmatch(value):
            if value != ref.upper():
                return None
            project = value.rsplit("-", 1)[0]
            native = bool(self.config.project) and project == (self.config.project or "").upper()
            return TicketRef(key=value, project=project, native=native)
        hint = HINT_RE.fullmatch(value)
        if hint:
            project = hint.group(1)
            return TicketRef(key=None, project=project, native=project == (self.config.project or "").upper())
        return None

    # -------------------------------------------------------------------- owners

    def resolve_owners(self, handles: Sequence[str], mapped: Mapping[str, str | None]) -> OwnerResolution:
        with_email = {
            h: mapped.get(h)
            or (f"email:{email}" if (email := self.context.owner_entry(h).get("email")) else None)
            for h in handles
        }
        return self.owners.resolve(handles, with_email)

    def owner_handle(self, identity: str) -> str | None:
        known = self.owners.handle_for(identity)
        if known != identity:
            return known
        return self.mapper.handle_of(identity)

    # ----------------------------------------------------------------- preflight

    def _project(self, draft: TicketDraft) -> str | None:
        project = draft.project or self.config.project
        return project.strip().upper() if project else None

    def preflight(self, drafts: Sequence[TicketDraft]) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        groups: dict[str, list[TicketDraft]] = {}
        for draft in drafts:
            project = self._project(draft)
            if project is None:
                out.append(
                    error(
                        "jira-project",
                        "no Jira project for this item",
                        line=draft.line,
                        hint="set trackers.jira.project (or the top-level project), or "
                        "`project:` in the front matter",
                    )
                )
                continue
            groups.setdefault(project, []).append(draft)
        for project, group in groups.items():
            cache_key = (project, self.config.issue_type)
            if cache_key not in self._meta:
                self._meta[cache_key] = meta.load(self.client, project, self.config.issue_type)
            labels = list(dict.fromkeys([*self.config.labels, *(lb for d in group for lb in d.labels)]))
            out += meta.problems(self._meta[cache_key], group, self.mapper, labels)
        return out

    def doctor(self, owners: Sequence[str], projects: Sequence[str]) -> list[Diagnostic]:
        from pm_sync_jira.doctor import checks

        return checks(self, owners, projects)

    # -------------------------------------------------------------------- writes

    def create(self, draft: TicketDraft) -> TicketState:
        outcome = self.create_batch([draft])[0]
        if isinstance(outcome, PmSyncError):
            raise outcome
        return outcome

    def create_batch(self, drafts: Sequence[TicketDraft]) -> list[Outcome]:
        results: dict[str, Outcome] = {}
        stop: PmSyncError | None = None
        for chunk in chunks(list(drafts), BULK):
            if stop is not None:
                for draft in chunk:
                    results[draft.uid] = NotSentError(
                        f"not created: an earlier create failed ({stop.message})",
                        line=draft.line,
                        hint=stop.hint,
                    )
                continue
            try:
                results.update(self._bulk(chunk))
            except PmSyncError as exc:
                stop = exc
                for draft in chunk:
                    results[draft.uid] = (
                        type(exc)(exc.message, line=draft.line, hint=exc.hint)
                        if not isinstance(exc, AmbiguousWriteError)
                        else exc
                    )
        return [results[d.uid] for d in drafts]

    def _update_body(self, draft: TicketDraft) -> dict[str, Any]:
        project = self._project(draft) or ""
        return {
            "fields": self.mapper.create_fields(draft, project),
            "properties": [{"key": PROPERTY, "value": baseline_property(draft.fields())}],
        }

    def _bulk(self, todo: list[TicketDraft]) -> dict[str, Outcome]:
        updates = [self._update_body(d) for d in todo]
        project = self._project(todo[0])
        if self._no_bulk:
            return self._one_by_one(todo, updates)
        with self.client.errors("create tickets", project=project):
            try:
                data = self.client.post("issue/bulk", {"issueUpdates": updates})
            except JIRAError as exc:
                if exc.status_code in (404, 405):
                    self._no_bulk = True
                    return self._one_by_one(todo, updates)
                body = error_body(exc)
                if exc.status_code != 400 or not isinstance(body.get("errors"), list):
                    raise
                data = body
        failed = {e.get("failedElementNumber"): e for e in data.get("errors") or [] if isinstance(e, dict)}
        created = iter(data.get("issues") or [])
        out: dict[str, Outcome] = {}
        for n, draft in enumerate(todo):
            if n in failed:
                out[draft.uid] = self._element_error(draft, failed[n])
                continue
            out[draft.uid] = self._stub(draft, next(created, None))
        return out

    def _stub(self, draft: TicketDraft, stub: Any) -> Outcome:
        if not isinstance(stub, dict) or not isinstance(stub.get("key"), str):
            return AmbiguousWriteError("Jira's create answered without this ticket's key", line=draft.line)
        project = self._project(draft)
        key = stub["key"]
        if project and KEY_RE.fullmatch(key) and key.rpartition("-")[0] != project:
            # an issue is created in the project it was sent to; its marker says where it went
            # (a key outside Jira's grammar is refused where keys are written)
            return AmbiguousWriteError(
                f"Jira answered the create in {project} with the key {stub['key']!r:.80}", line=draft.line
            )
        return self._created(draft, stub)

    def _one_by_one(self, todo: list[TicketDraft], updates: list[dict[str, Any]]) -> dict[str, Outcome]:
        """`POST issue` per item, for a Jira without bulk create. As with any create, one whose
        answer is lost or refused is that item's outcome; an outage stops the rest (not sent)."""
        out: dict[str, Outcome] = {}
        stop: PmSyncError | None = None
        for draft, update in zip(todo, updates, strict=True):
            if stop is not None:
                out[draft.uid] = NotSentError(
                    f"not created: an earlier create failed ({stop.message})", line=draft.line, hint=stop.hint
                )
                continue
            try:
                with self.client.errors("create a ticket", project=self._project(draft)):
                    try:
                        stub: Any = self.client.post("issue", update)
                    except JIRAError as exc:
                        if exc.status_code != 400:
                            raise
                        failure = {"status": 400, "elementErrors": error_body(exc)}
                        out[draft.uid] = self._element_error(draft, failure)
                        continue
            except (RejectedError, AmbiguousWriteError) as exc:
                out[draft.uid] = exc
                continue
            except PmSyncError as exc:
                stop = exc
                out[draft.uid] = type(exc)(exc.message, line=draft.line, hint=exc.hint)
                continue
            out[draft.uid] = self._stub(draft, stub)
        return out

    def _created(self, draft: TicketDraft, stub: dict[str, Any]) -> TicketState:
        key = str(stub["key"])
        return TicketState(
            key=key,
            url=f"{self.config.url}/browse/{key}",
            action=draft.action,
            priority=draft.priority,
            owner=draft.owner,
            due=draft.due,
            marker=draft.marker,
            document=draft.document,
            baseline=draft.fields(),
        )

    def _element_error(self, draft: TicketDraft, failure: dict[str, Any]) -> PmSyncError:
        element = failure.get("elementErrors") or {}
        status = failure.get("status")
        field_errors = element.get("errors") if isinstance(element, dict) else None
        parts = [f"{field_name(str(f))}: {msg}" for f, msg in (field_errors or {}).items()]
        parts += [str(m) for m in (element.get("errorMessages") or [])] if isinstance(element, dict) else []
        detail = self.client.secrets.scrub("; ".join(parts) or f"HTTP {status}")
        if status in (401, 403):
            return AuthError(
                f"Jira refused to create this ticket: {detail}", line=draft.line, hint=self.client.auth_hint
            )
        return RejectedError(
            f"Jira rejected this ticket: {detail}",
            line=draft.line,
            hint="fix the row, or trackers.jira in pm-sync.toml, then push again",
        )

    def update(self, key: str, changes: TicketChanges, baseline: TicketFields) -> None:
        """Edit only the changed fields (never the status) and store the new baseline, in one
        request: the edit body carries `properties` on Cloud and on Data Center alike (the
        Server/DC "Edit issue" reference documents them, "properties can be set at issue create
        or update time"; JRASERVER-69668 fixed that example's JSON)."""
        body: dict[str, Any] = {"properties": [{"key": PROPERTY, "value": baseline_property(baseline)}]}
        fields = self.mapper.edit_fields(changes)
        if fields:
            body["fields"] = fields
        self.client.call(self.client.put, f"issue/{key}", body, what=f"update {key}", key=key)

    def close(self) -> None:
        self.client.close()
