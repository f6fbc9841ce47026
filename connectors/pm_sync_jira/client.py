"""The `jira` library's client, built with bounded retries and a timeout, and its errors mapped.

Every call into the library goes through `JiraClient.call`, which turns `JIRAError` and
`requests` failures into pm-sync's own errors. Messages are built from the status code and
Jira's parsed error text only: `str(JIRAError)` embeds request headers, credentials included.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import requests
from jira import JIRA, JIRAError
from requests.adapters import HTTPAdapter

from pm_sync.errors import (
    AuthError,
    ConfigError,
    NotFoundError,
    PmSyncError,
    RateLimitedError,
    TrackerError,
)
from pm_sync_jira.config import JiraConfig

LOG = logging.getLogger("pm_sync_jira")
T = TypeVar("T")
PAGE = 100  # search page size: Cloud's cap for issues with fields; DC allows more
_UNKNOWN_KEY = re.compile(
    r"An issue with key '([^']+)' does not exist|The issue key '([^']+)' for field '\w+' is invalid"
)


class OutcomeUnknown(TrackerError):
    """A POST was sent but no answer came back: it may or may not have been carried out."""


class _NoBlindRetryAdapter(HTTPAdapter):
    """The library retries every ConnectionError, POST included, which can duplicate a create.

    A POST whose connection fails is turned into `OutcomeUnknown`, which the library does not
    catch, so the connector can look its markers up before creating anything again.
    """

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().send(request, *args, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            if request.method == "POST" and not isinstance(exc, requests.ConnectTimeout):
                raise OutcomeUnknown(f"no answer from Jira to POST {_path(request.url)}") from None
            raise


def _path(url: str | None) -> str:
    return re.sub(r"^https?://[^/]+", "", url or "").split("?", 1)[0]


def error_text(exc: JIRAError) -> str:
    """Jira's own words for an error (parsed by the library), never the request headers."""
    return (exc.text or "").strip() or f"HTTP {exc.status_code}"


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
    messages = error_body(exc).get("errorMessages") or [error_text(exc)]
    found: set[str] = set()
    for message in messages:
        for match in _UNKNOWN_KEY.finditer(str(message)):
            found.add((match.group(1) or match.group(2)).upper())
    return found


class JiraClient:
    """A lazily built `jira.JIRA` plus the error mapping; holds no token after construction."""

    def __init__(self, config: JiraConfig, env: Mapping[str, str], config_path: str | None = None) -> None:
        self.config = config
        self._env = env
        self._config_path = config_path
        self._jira: JIRA | None = None

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
        return bool(self.jira._is_cloud)

    def _connect(self) -> JIRA:
        cfg = self.config
        token = self._env.get(cfg.token_env, "")
        if not token.strip():
            raise ConfigError(
                f"no Jira token: environment variable {cfg.token_env} (config key "
                "trackers.jira.token_env) is not set",
                path=self._config_path,
                hint=f"export {cfg.token_env}=... ; "
                "Cloud: an API token with trackers.jira.email, Data Center: a personal "
                "access token",
            )
        auth: dict[str, Any] = (
            {"basic_auth": (cfg.email, token.strip())} if cfg.email else {"token_auth": token.strip()}
        )
        client = JIRA(
            server=cfg.url, get_server_info=False, timeout=cfg.timeout, max_retries=cfg.max_retries, **auth
        )
        session = client._session
        session.max_retry_delay = cfg.max_retry_delay  # type: ignore[assignment]  # float works
        for prefix in ("http://", "https://"):
            session.mount(prefix, _NoBlindRetryAdapter())
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
        if client._is_cloud and not cfg.email:
            client.close()  # type: ignore[no-untyped-call]
            raise ConfigError(
                "Jira Cloud needs trackers.jira.email (the account the API token belongs to)",
                hint=f'set email = "you@example.com" as trackers.jira.email; the token stays '
                f"in ${cfg.token_env}",
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
        except PmSyncError:
            raise
        except JIRAError as exc:
            raise self.map_error(exc, what, key=key, project=project) from None
        except requests.Timeout:
            raise TrackerError(
                f"Jira did not answer within {self.config.timeout:g} s ({what})",
                hint="raise trackers.jira.timeout, or retry later",
            ) from None
        except requests.RequestException as exc:
            raise TrackerError(
                f"cannot reach Jira at {self.config.url} ({what}): {type(exc).__name__}",
                hint="check trackers.jira.url and the network",
            ) from None

    def map_error(
        self, exc: JIRAError, what: str, *, key: str | None = None, project: str | None = None
    ) -> PmSyncError:
        status, text = exc.status_code, error_text(exc)
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
                f"Jira says {target} does not exist or is not visible "
                f"(HTTP 404) while trying to {what}: {text}",
                hint="check the key or project, and the account's permissions",
            )
        if status == 429:
            return RateLimitedError(
                f"Jira kept rate limiting (HTTP 429) after "
                f"{self.config.max_retries} retries while trying to {what}",
                hint="run again later, or raise trackers.jira.max_retries",
            )
        if status == 503:
            return TrackerError(
                f"Jira is unavailable (HTTP 503) while trying to {what}", hint="run again later"
            )
        return TrackerError(f"Jira answered HTTP {status} while trying to {what}: {text}")

    # ------------------------------------------------------------------ requests
    def search(self, jql: str, fields: list[str], properties: str | None) -> list[dict[str, Any]]:
        """Every issue matching `jql`, raw JSON. Cloud: search/jql + nextPageToken; DC: search."""
        jira = self.jira
        issues: list[dict[str, Any]] = []
        if jira._is_cloud:
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
                assert isinstance(page, dict)
                issues.extend(page.get("issues") or [])
                token = page.get("nextPageToken")
                if not token or not page.get("issues"):
                    return issues
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
            assert isinstance(page, dict)
            got = page.get("issues") or []
            issues.extend(got)
            start += len(got)
            if not got or start >= int(page.get("total") or 0):
                return issues

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
        """POST through the library's session (its retries on 429/503 with Retry-After)."""
        jira = self.jira
        response = jira._session.post(jira._get_url(path), data=json.dumps(payload))
        data = response.json() if response.content else {}
        return data if isinstance(data, dict) else {}

    def put(self, path: str, payload: dict[str, Any]) -> None:
        jira = self.jira
        jira._session.put(jira._get_url(path), data=json.dumps(payload))

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.jira._get_json(path, params=params)

    def close(self) -> None:
        if self._jira is not None:
            self._jira.close()  # type: ignore[no-untyped-call]
            self._jira = None
