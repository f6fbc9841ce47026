"""Jira Cloud and Data Center through the `jira` library (pycontribs, >= 3.10.1).

Reads are batched JQL searches (`key in (...)`, `labels in (...)`, at most 100 values a
request) with the fields pm-sync uses and the `pm-sync` entity property that holds the
reconcile baseline; Cloud uses the enhanced search (`search/jql`), Data Center `search`.
Creates go through `issue/bulk`, at most 50 a request; a create whose answer is lost is never
re-sent blindly: the markers are looked up first and only what is missing is created again.
Push never transitions, reopens or closes an issue.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

from jira import JIRAError

from pm_sync.errors import AuthError, NotFoundError, PmSyncError, RateLimitedError, TrackerError
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
    look_again,
)
from pm_sync_jira import meta
from pm_sync_jira.client import LOG, JiraClient, OutcomeUnknown, error_body, unknown_keys
from pm_sync_jira.config import JiraConfig
from pm_sync_jira.fields import (
    PROPERTY,
    READ_FIELDS,
    Mapper,
    baseline_property,
    field_name,
)
from pm_sync_jira.owners import OwnerLookup

__all__ = ["JiraConfig", "JiraConnector"]

KEY_RE = re.compile(r"[A-Z][A-Z0-9_]+-\d+")
HINT_RE = re.compile(r"([A-Z][A-Z0-9_]+)(?:-\??)?")
BATCH = 100  # values per JQL `in (...)` list
BULK = 50  # issues per POST issue/bulk (Jira's limit)
T = TypeVar("T")


def _chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _jql_list(values: Sequence[str]) -> str:
    return ", ".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)


class JiraConnector(Connector):
    name = "jira"
    config_model = JiraConfig
    capabilities = Capabilities(bulk_create=True, max_summary=255, search_lag=True)

    def __init__(self, config: ConnectorConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        assert isinstance(config, JiraConfig)
        self.cfg = config
        self.client = JiraClient(config, context.env, context.config_path)
        self._mapper: Mapper | None = None
        self._meta: dict[tuple[str, str], meta.CreateMeta] = {}
        self.owners = OwnerLookup(self.client)
        self._no_bulk = False
        self._pause = threading.Event()  # never set: a plain, real wait

    def __repr__(self) -> str:
        return f"JiraConnector({self.client!r})"

    @property
    def mapper(self) -> Mapper:
        if self._mapper is None:
            self._mapper = Mapper(self.cfg, cloud=self.client.is_cloud)
        return self._mapper

    # ------------------------------------------------------------ keys & routing
    def owns_key(self, key: str) -> bool:
        return KEY_RE.fullmatch(key.strip().upper()) is not None

    def is_native_key(self, key: str) -> bool:
        project = (self.cfg.project or "").upper()
        return bool(project) and self.owns_key(key) and key.strip().upper().startswith(project + "-")

    def canonical_key(self, ref: str, project: str | None) -> str:
        return ref.strip().upper()

    def is_project_hint(self, ref: str) -> str | None:
        match = HINT_RE.fullmatch(ref.strip().upper())
        return match.group(1) if match else None

    # -------------------------------------------------------------------- owners
    def resolve_owners(self, handles: Sequence[str], mapped: Mapping[str, str | None]) -> OwnerResolution:
        with_email = {
            h: mapped.get(h)
            or (f"email:{email}" if (email := self.context.owner_entry(h).get("email")) else None)
            for h in handles
        }
        return self.owners.resolve(handles, with_email)

    def owner_handle(self, assignee: str) -> str:
        known = self.owners.handle_for(assignee)
        if known != assignee:
            return known
        return self.mapper.handle_of(assignee) or assignee

    # ----------------------------------------------------------------- preflight
    def _project(self, draft: TicketDraft) -> str | None:
        project = draft.project or self.cfg.project
        return project.strip().upper() if project else None

    def preflight(self, drafts: Sequence[TicketDraft]) -> list[DraftProblem]:
        out: list[DraftProblem] = []
        groups: dict[str, list[TicketDraft]] = {}
        for draft in drafts:
            project = self._project(draft)
            if project is None:
                out.append(
                    DraftProblem(
                        uid=draft.uid,
                        message=(
                            "no Jira project for this item: set trackers.jira.project (or the "
                            "top-level project), or `project:` in the front matter"
                        ),
                    )
                )
                continue
            groups.setdefault(project, []).append(draft)
        for project, group in groups.items():
            cache_key = (project, self.cfg.issue_type)
            if cache_key not in self._meta:
                self._meta[cache_key] = meta.load(self.client, project, self.cfg.issue_type)
            labels = list(dict.fromkeys([*self.cfg.labels, *(lb for d in group for lb in d.labels)]))
            out += meta.problems(self._meta[cache_key], group, self.mapper, labels)
        return out

    # --------------------------------------------------------------------- reads
    def _search(self, jql: str, what: str) -> list[dict[str, Any]]:
        issues = self.client.call(self.client.search, jql, READ_FIELDS, PROPERTY, what=what)
        return self._with_baselines(issues)

    def _with_baselines(self, issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A server that ignores the search's `properties` parameter still has the property:
        read it per issue rather than mistake a synced ticket for one never synced."""
        for issue in issues:
            if "properties" in issue or not issue.get("key"):
                continue
            key = str(issue["key"])
            try:
                value = self.client.call(
                    self.client.get_json,
                    f"issue/{key}/properties/{PROPERTY}",
                    what=f"read pm-sync's baseline on {key}",
                    key=key,
                )
            except NotFoundError:
                value = None
            issue["properties"] = {PROPERTY: value.get("value")} if isinstance(value, dict) else {}
        return issues

    def find_by_markers(self, markers: Sequence[str], project: str | None) -> dict[str, TicketState]:
        """One `labels in (...)` query per 100 markers, across projects (an issue may have moved)."""
        found: dict[str, TicketState] = {}
        for batch in _chunks(list(dict.fromkeys(markers)), BATCH):
            issues = self._search(
                f"labels in ({_jql_list(batch)}) ORDER BY created ASC",
                "look up tickets by their pm-sync marker",
            )
            wanted = set(batch)
            for issue in sorted(issues, key=lambda i: int(str(i.get("id") or 0))):
                labels = set((issue.get("fields") or {}).get("labels") or [])
                for marker in sorted(labels & wanted):
                    if marker in found:
                        LOG.warning(
                            "several Jira issues carry marker %s; using %s, not %s",
                            marker,
                            found[marker].key,
                            issue.get("key"),
                        )
                        continue
                    state = self.mapper.state(issue, url=self.cfg.url)
                    found[marker] = state.model_copy(update={"marker": marker})
        return found

    def read(self, keys: Sequence[str]) -> dict[str, TicketState | None]:
        wanted = list(dict.fromkeys(k.strip().upper() for k in keys))
        states: dict[str, TicketState | None] = {}
        for batch in _chunks(wanted, BATCH):
            states.update(self._read_batch(batch))
        return {k: states.get(k.strip().upper()) for k in keys}

    def _read_batch(self, batch: list[str]) -> dict[str, TicketState | None]:
        out: dict[str, TicketState | None] = {}
        remaining = list(batch)
        issues: list[dict[str, Any]] = []
        while remaining:
            gone: set[str] = set()
            with self.client.errors("read tickets"):
                try:
                    issues = self._with_baselines(
                        self.client.search(f"key in ({_jql_list(remaining)})", READ_FIELDS, PROPERTY)
                    )
                except JIRAError as exc:
                    if exc.status_code == 400:
                        gone = unknown_keys(exc) & set(remaining)
                    if not gone:
                        raise
            if not gone:
                break
            for key in gone:  # deleted, or an old key this Jira's JQL does not resolve
                issue = self.client.call(
                    self.client.get_issue, key, READ_FIELDS, PROPERTY, what=f"read {key}", key=key
                )
                out[key] = (
                    None
                    if issue is None
                    else self.mapper.state(self._with_baselines([issue])[0], url=self.cfg.url, requested=key)
                )
            remaining = [k for k in remaining if k not in gone]
        by_key = {str(i.get("key", "")).upper(): i for i in issues}
        unmatched = [k for k in remaining if k not in by_key]
        extras = [i for k, i in by_key.items() if k not in remaining]
        if len(unmatched) == 1 and len(extras) == 1:  # one moved issue, answered under its new key
            by_key[unmatched[0]] = extras[0]
        for key in remaining:
            issue = by_key.get(key)
            if issue is None:  # moved, or gone: Jira resolves an old key on a direct GET
                issue = self.client.call(
                    self.client.get_issue, key, READ_FIELDS, PROPERTY, what=f"read {key}", key=key
                )
                issue = self._with_baselines([issue])[0] if issue else None
            out[key] = None if issue is None else self.mapper.state(issue, url=self.cfg.url, requested=key)
        return out

    # -------------------------------------------------------------------- writes
    def create(self, drafts: Sequence[TicketDraft]) -> list[CreateResult]:
        results: dict[str, CreateResult] = {}
        ready = []
        for draft in drafts:
            if self._project(draft) is None:
                results[draft.uid] = CreateResult(
                    uid=draft.uid,
                    error=TrackerError(
                        "no Jira project for this item",
                        line=draft.line,
                        hint="set trackers.jira.project or `project:` in the front matter",
                    ),
                )
            else:
                ready.append(draft)
        fatal: PmSyncError | None = None
        for chunk in _chunks(ready, BULK):
            if fatal is None:
                try:
                    self._create_chunk(chunk, results)
                except PmSyncError as exc:
                    fatal = exc
            if fatal is not None:
                for draft in chunk:
                    results.setdefault(
                        draft.uid,
                        CreateResult(
                            uid=draft.uid, error=type(fatal)(fatal.message, line=draft.line, hint=fatal.hint)
                        ),
                    )
        by_uid = {d.uid: d for d in drafts}
        for uid, result in results.items():
            if result.state is not None:
                try:
                    self._store_baseline(result.state.key, by_uid[uid].owned())
                except PmSyncError as exc:  # the ticket exists: its key must still be written
                    LOG.warning("could not store pm-sync's baseline on %s: %s", result.state.key, exc.message)
        return [results[d.uid] for d in drafts]

    def _create_chunk(self, chunk: list[TicketDraft], results: dict[str, CreateResult]) -> None:
        todo = chunk
        for _attempt in range(2):
            try:
                self._bulk(todo, results)
                return
            except OutcomeUnknown:
                LOG.warning(
                    "no answer to a create; looking its %d marker(s) up before creating anything again",
                    len(todo),
                )
                found = self._find_after_lost_create(todo)
                for draft in todo:
                    if draft.marker in found:
                        state = found[draft.marker].model_copy(update={"baseline": draft.owned()})
                        results[draft.uid] = CreateResult(uid=draft.uid, state=state)
                todo = [d for d in todo if d.marker not in found]
                if not todo:
                    return
        for draft in todo:
            results[draft.uid] = CreateResult(
                uid=draft.uid,
                error=TrackerError(
                    "Jira did not answer while creating this ticket, twice",
                    line=draft.line,
                    hint="run push again: it looks tickets up by marker first, so nothing is created twice",
                ),
            )

    def _find_after_lost_create(self, todo: list[TicketDraft]) -> dict[str, TicketState]:
        """Search lags behind writes, so a miss right after a lost answer proves nothing: ask
        again with backoff (bounded by `recovery_wait`) before anything is created twice."""
        markers = [d.marker for d in todo]
        found = self.find_by_markers(markers, None)
        found.update(
            look_again(
                lambda ms: self.find_by_markers(ms, None),
                [m for m in markers if m not in found],
                self.cfg.recovery_wait,
                self._pause.wait,
            )
        )
        return found

    def _bulk(self, todo: list[TicketDraft], results: dict[str, CreateResult]) -> None:
        payload = {
            "issueUpdates": [{"fields": self.mapper.create_fields(d, self._project(d) or "")} for d in todo]
        }
        with self.client.errors("create tickets", project=self._project(todo[0])):
            if self._no_bulk:
                data = self._one_by_one(payload["issueUpdates"])
            else:
                try:
                    data = self.client.post("issue/bulk", payload)
                except JIRAError as exc:
                    if exc.status_code in (404, 405):
                        LOG.warning(
                            "Jira has no issue/bulk (HTTP %s); creating one at a time", exc.status_code
                        )
                        self._no_bulk = True
                        data = self._one_by_one(payload["issueUpdates"])
                    else:
                        body = error_body(exc)
                        if exc.status_code != 400 or not isinstance(body.get("errors"), list):
                            raise
                        data = body
        failed = {e.get("failedElementNumber"): e for e in data.get("errors") or [] if isinstance(e, dict)}
        created = iter(data.get("issues") or [])
        for n, draft in enumerate(todo):
            if n in failed:
                results[draft.uid] = CreateResult(uid=draft.uid, error=self._element_error(draft, failed[n]))
                continue
            stub = next(created, None)
            if not isinstance(stub, dict) or not stub.get("key"):
                results[draft.uid] = CreateResult(
                    uid=draft.uid,
                    error=TrackerError(
                        "Jira's bulk create answered without this ticket",
                        line=draft.line,
                        hint="run push again: it finds a ticket that was created by its marker",
                    ),
                )
                continue
            results[draft.uid] = CreateResult(uid=draft.uid, state=self._created(draft, stub))

    def _one_by_one(self, updates: list[dict[str, Any]]) -> dict[str, Any]:
        """`POST issue` per item, answered in the bulk shape so both paths share the mapping."""
        issues: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for n, update in enumerate(updates):
            try:
                issues.append(self.client.post("issue", update))
            except JIRAError as exc:
                if exc.status_code != 400:
                    raise
                errors.append({"status": 400, "failedElementNumber": n, "elementErrors": error_body(exc)})
        return {"issues": issues, "errors": errors}

    def _created(self, draft: TicketDraft, stub: dict[str, Any]) -> TicketState:
        key = str(stub["key"])
        return TicketState(
            key=key,
            url=f"{self.cfg.url}/browse/{key}",
            summary=draft.summary,
            priority=draft.priority,
            assignee=draft.assignee,
            due=draft.due,
            marker=draft.marker,
            baseline=draft.owned(),
        )

    def _element_error(self, draft: TicketDraft, failure: dict[str, Any]) -> PmSyncError:
        element = failure.get("elementErrors") or {}
        status = failure.get("status")
        field_errors = element.get("errors") if isinstance(element, dict) else None
        parts = [f"{field_name(str(f))}: {msg}" for f, msg in (field_errors or {}).items()]
        parts += [str(m) for m in (element.get("errorMessages") or [])] if isinstance(element, dict) else []
        detail = "; ".join(parts) or f"HTTP {status}"
        if status in (401, 403):
            return AuthError(
                f"Jira refused to create this ticket: {detail}", line=draft.line, hint=self.client.auth_hint
            )
        return TrackerError(
            f"Jira rejected this ticket: {detail}",
            line=draft.line,
            hint="fix the row, or trackers.jira in pm-sync.toml, then push again",
        )

    def update(self, key: str, changes: TicketChanges, baseline: TicketFields) -> TicketState:
        """Edit only the changed fields (never the status), then store the new baseline."""
        fields = self.mapper.edit_fields(changes)
        if fields:
            self.client.call(
                self.client.put, f"issue/{key}", {"fields": fields}, what=f"update {key}", key=key
            )
        self._store_baseline(key, baseline)
        return TicketState(
            key=key,
            url=f"{self.cfg.url}/browse/{key}",
            summary=baseline.summary or "",
            priority=baseline.priority,
            assignee=baseline.assignee,
            due=baseline.due,
            baseline=baseline,
        )

    def _store_baseline(self, key: str, baseline: TicketFields) -> None:
        """Best effort: without it reconcile treats the ticket as never synced (document wins)."""
        try:
            self.client.call(
                self.client.put,
                f"issue/{key}/properties/{PROPERTY}",
                baseline_property(baseline),
                what=f"store the baseline on {key}",
                key=key,
            )
        except (AuthError, RateLimitedError):
            raise
        except PmSyncError as exc:
            LOG.warning("could not store pm-sync's baseline on %s: %s", key, exc.message)

    def close(self) -> None:
        self.client.close()
