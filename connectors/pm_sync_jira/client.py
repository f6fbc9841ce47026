"""The `jira` library's client under pm-sync's one HTTP policy, and its errors mapped.

The library's own retries are off (`max_retries=0`) and `pm_sync.tracker.http`'s adapter is
mounted on its session, so waits, retries and unknown create outcomes follow the shared policy.
`jira` offers no public way to reach its session or to send a raw request, so this module (and
only this one) uses `JIRA._session`, `JIRA._get_url` and `JIRA._fields_cache_value`; pyproject
pins `jira<3.11` for that.
Messages are built from the status code and Jira's parsed error text, scrubbed of the token:
`str(JIRAError)` embeds request headers, credentials included.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import requests
from jira import JIRA, JIRAError

from pm_sync import clock
from pm_sync.errors import (
    AuthError,
    BadResponseError,
    ConfigError,
    NotFoundError,
    PmSyncError,
    RateLimitedError,
    TrackerError,
)
from pm_sync.tracker.http import PageGuard, Policy, error_text, require, reset_wait, retry_after
from pm_sync.tracker.http_requests import MAX_REDIRECTS, mount
from pm_sync.tracker.secrets import Secrets, read_token
from pm_sync_jira.config import JiraConfig

T = TypeVar("T")
PAGE = 100  # search page size: Cloud's cap for issues with fields; DC allows more
_UNKNOWN_KEY = re.compile(
    r"An issue with key '([^']+)' does not exist|The issue key '([^']+)' for field '\w+' is invalid"
)


def _rate_limit(status: int, headers: Mapping[str, str], body: str) -> float | None:
    """Jira Cloud: 429 with `Retry-After` (seconds), `X-RateLimit-Reset` as ISO 8601; some 503s
    carry `Retry-After` too."""
    if status not in (429, 503):
        return None
    told = retry_after(headers.get("retry-after"), clock.now())
    if told is not None:
        return told
    if status == 429:
        return reset_wait(headers.get("x-ratelimit-reset"), clock.now()) or 5.0
    return None


def error_body(exc: JIRAError) -> dict[str, Any]:
    """`{"errorMessages": [...], "errors": {field: message}}` when the reply has that shape."""
    if exc.response is None:
        return {}
    try:
        data = exc.response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def unknown_keys(exc: JIRAError) -> set[str]:
    """Keys a JQL `key in (...)` named that Jira says do not exist (HTTP 400)."""
    messages = error_body(exc).get("errorMessages") or [exc.text or ""]
    found: set[str] = set()
    for message in messages:
        for match in _UNKNOWN_KEY.finditer(str(message)):
            found.add((match.group(1) or match.group(2)).upper())
    return found


class JiraClient:
    """A lazily built `jira.JIRA` plus the error mapping; the token stays in `Secrets` only."""

    def __init__(self, config: JiraConfig, env: Mapping[str, str], config_path: str | None = None) -> None:
        self.config = config
        self._env = env
        self._config_path = config_path
        self._jira: JIRA | None = None
        self.secrets = Secrets()
        self.cloud: bool | None = None

    def __repr__(self) -> str:
        return f"JiraClient(url={self.config.url!r}, deployment={self.config.deployment!r})"

    @property
    def auth_hint(self) -> str:
        var = self.config.token_env
        if self.config.email:
            return (
                f"check trackers.jira.email ({self.config.email}) and the API token in "
                f"${var} (trackers.jira.token_env)"
            )
        return f"check the personal access token in ${var} (trackers.jira.token_env)"

    @property
    def jira(self) -> JIRA:
        if self._jira is None:
            self._jira = self._connect()
        return self._jira

    @property
    def is_cloud(self) -> bool:
        self.jira  # noqa: B018 - connecting decides the deployment
        return bool(self.cloud)

    def policy(self) -> Policy:
        cfg = self.config
        return Policy(
            tracker="Jira",
            connect_timeout=cfg.connect_timeout,
            read_timeout=cfg.timeout,
            attempts=cfg.attempts,
            max_wait=cfg.max_wait,
            rate_limit=_rate_limit,
            secrets=self.secrets,
            hint="check trackers.jira.url and the network",
        )

    def _connect(self) -> JIRA:
        cfg = self.config
        token = read_token(
            self._env, cfg.token_env, key="trackers.jira.token_env", config_path=self._config_path
        )
        self.secrets.add(token, basic_user=cfg.email)
        auth: dict[str, Any] = {"basic_auth": (cfg.email, token)} if cfg.email else {"token_auth": token}
        client = JIRA(
            server=cfg.url,
            get_server_info=False,
            timeout=(cfg.connect_timeout, cfg.timeout),
            max_retries=0,
            **auth,
        )
        mount(client._session, self.policy())
        if cfg.deployment == "auto":
            info = self.call(client.server_info, what="read Jira's server info")
            if not isinstance(info, dict) or "versionNumbers" not in info:
                raise TrackerError(
                    f"{cfg.url} does not look like Jira (no serverInfo)", hint="check trackers.jira.url"
                )
            client.deploymentType = info.get("deploymentType")
            client._version = tuple(info["versionNumbers"])
        else:
            client.deploymentType = "Cloud" if cfg.deployment == "cloud" else "Server"
        self.cloud = client.deploymentType == "Cloud"
        if self.cloud and not cfg.email:
            client.close()  # type: ignore[no-untyped-call]
            raise ConfigError(
                "Jira Cloud needs trackers.jira.email (the account the API token belongs to)",
                path=self._config_path,
                hint=f'set email = "you@example.com" in [trackers.jira]; the token stays in ${cfg.token_env}',
            )
        return client

    def call(
        self,
        fn: Callable[..., T],
        *args: Any,
        what: str,
        key: str | None = None,
        project: str | None = None,
        **kwargs: Any,
    ) -> T:
        with self.errors(what, key=key, project=project):
            return fn(*args, **kwargs)

    @contextmanager
    def errors(self, what: str, *, key: str | None = None, project: str | None = None) -> Iterator[None]:
        try:
            yield
        except PmSyncError as exc:
            exc.message = self.secrets.scrub(exc.message)
            raise
        except JIRAError as exc:
            raise self.map_error(exc, what, key=key, project=project) from None
        except requests.TooManyRedirects:
            raise BadResponseError(
                f"Jira redirected more than {MAX_REDIRECTS} times while trying to {what}",
                hint="check trackers.jira.url; a proxy or sign-on page may be sending it round in circles",
            ) from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            # the library choked on a reply whose shape the API never sends
            raise BadResponseError(
                f"Jira answered in a shape its API never sends while trying to {what} ({type(exc).__name__})",
                hint="check trackers.jira.url; a proxy or sign-on page may be answering instead",
            ) from None

    def text(self, exc: JIRAError) -> str:
        """Jira's own words for an error (never the request headers), scrubbed and cut short."""
        response = exc.response
        if response is not None and "json" not in (response.headers.get("content-type") or "").lower():
            return self.secrets.scrub(
                error_text(
                    response.content or b"", response.headers.get("content-type", ""), secrets=self.secrets
                )
            )
        text = " ".join(self.secrets.scrub(str(exc.text or "")).split()) or f"HTTP {exc.status_code}"
        return text if len(text) <= 300 else text[:299] + "…"

    def map_error(
        self, exc: JIRAError, what: str, *, key: str | None = None, project: str | None = None
    ) -> PmSyncError:
        status, text = exc.status_code, self.text(exc)
        if status == 401:
            return AuthError(
                f"Jira rejected the credentials (HTTP 401) while trying to {what}", hint=self.auth_hint
            )
        if status == 403:
            return AuthError(
                f"Jira refused access (HTTP 403) while trying to {what}: {text}",
                hint=f"{self.auth_hint}; the account may lack permission",
            )
        if status == 404:
            target = f"issue {key}" if key else f"project {project}" if project else "the resource"
            return NotFoundError(
                f"Jira says {target} does not exist or is not visible (HTTP 404) while trying to "
                f"{what}: {text}",
                hint="check the key or project, and the account's permissions",
            )
        if status == 429:
            return RateLimitedError(
                f"Jira kept rate limiting (HTTP 429) while trying to {what}", hint="run again later"
            )
        if status == 503:
            return TrackerError(
                f"Jira is unavailable (HTTP 503) while trying to {what}", hint="run again later"
            )
        return TrackerError(f"Jira answered HTTP {status} while trying to {what}: {text}")

    # ------------------------------------------------------------------ requests

    def search(self, jql: str, fields: list[str], properties: str | None, what: str) -> list[dict[str, Any]]:
        """Every issue matching `jql`, raw JSON."""
        return [issue for page in self.pages(jql, fields, properties, what) for issue in page]

    def pages(
        self, jql: str, fields: list[str], properties: str | None, what: str
    ) -> Iterator[list[dict[str, Any]]]:
        """The issues matching `jql`, a page at a time (a caller that keeps only what it maps
        never holds more than a page of raw JSON). Cloud: search/jql + nextPageToken; DC: search."""
        jira = self.jira
        if not jira._fields_cache_value:
            # The library reads `GET /field` once a run to turn JQL names into field ids; ours
            # are ids already, so it is told so instead of asking.
            jira._fields_cache_value = {name: name for name in fields}
        guard = PageGuard("Jira", what)
        if self.cloud:
            token: str | None = None
            while True:
                page = jira.enhanced_search_issues(
                    jql,
                    nextPageToken=token,
                    maxResults=PAGE,
                    fields=list(fields),
                    properties=properties,
                    json_result=True,
                )
                got = _issues_of(page, what)
                yield got
                token = page.get("nextPageToken") if isinstance(page, dict) else None
                if not token:
                    return
                guard.next(str(token))
                guard.page(_ids(got))  # a page that says more follow but brings none: an error
        start = 0
        while True:
            page = jira.search_issues(
                jql,
                startAt=start,
                maxResults=PAGE,
                fields=list(fields),
                properties=properties,
                json_result=True,
            )
            got = _issues_of(page, what)
            yield got
            start += len(got)
            total = page.get("total") if isinstance(page, dict) else None
            if not isinstance(total, int) or start >= total:
                return
            guard.next(str(start))
            guard.page(_ids(got))  # `total` says more match, yet the page brought none: an error

    def get_issue(self, key: str, fields: list[str], properties: str) -> dict[str, Any] | None:
        """One issue by key (Jira follows a moved issue's old key); None when it is gone."""
        try:
            issue = self.jira.issue(key, fields=",".join(fields), properties=properties)
        except JIRAError as exc:
            if exc.status_code == 404:
                return None
            raise
        raw = issue.raw
        return raw if isinstance(raw, dict) else None

    def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        jira = self.jira
        response = jira._session.post(jira._get_url(path), data=json.dumps(payload))
        data = response.json() if response.content else {}
        return data if isinstance(data, dict) else {}

    def put(self, path: str, payload: dict[str, Any]) -> None:
        jira = self.jira
        jira._session.put(jira._get_url(path), data=json.dumps(payload))

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        jira = self.jira
        response = jira._session.get(jira._get_url(path), params=params)
        return response.json() if response.content else None

    def close(self) -> None:
        if self._jira is not None:
            self._jira.close()  # type: ignore[no-untyped-call]
            self._jira = None


def _ids(issues: list[dict[str, Any]]) -> list[str]:
    return [str(i.get("id") or i.get("key")) for i in issues]


def _issues_of(page: Any, what: str) -> list[dict[str, Any]]:
    """A search page's issues; any other shape is an error, never "no issues"."""
    require(isinstance(page, dict), "Jira", what, f"a {type(page).__name__} instead of a search page")
    issues = page.get("issues")
    require(isinstance(issues, list), "Jira", what, "a search page without an issue list")
    require(all(isinstance(i, dict) for i in issues), "Jira", what, "issues that are not objects")
    return list(issues)
