"""GitHub REST reads (GET) over httpx, under pm-sync's one HTTP policy.

Listings, single issues, repository and assignee checks go through here; PyGithub (`rest.py`)
carries the writes only, so a run that writes nothing never loads it (a fifth of a reconcile's
memory). Both speak the same REST resources, with the same rate-limit rules and error wording
(`status_error`).
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

import httpx

from pm_sync import clock
from pm_sync.errors import (
    AuthError,
    BadResponseError,
    NotFoundError,
    PmSyncError,
    RejectedError,
    TrackerError,
)
from pm_sync.tracker.http import PageGuard, Policy, RateLimitHook, reset_wait, retry_after
from pm_sync.tracker.http_httpx import client
from pm_sync.tracker.secrets import Secrets
from pm_sync_github.config import GitHubConfig

JSON = dict[str, Any]
MAX_REDIRECTS = 5


class Caller(Protocol):
    """What the read paths need: one request, and the pages of a list."""

    def call(
        self,
        verb: str,
        url: str,
        what: str,
        *,
        params: JSON | None = None,
        body: JSON | None = None,
        accept: tuple[int, ...] = (),
    ) -> tuple[JSON, Any]: ...

    def pages(self, url: str, what: str, params: JSON) -> Iterator[tuple[list[JSON], int | None]]: ...


def list_pages(caller: Caller, url: str, what: str, params: JSON) -> Iterator[tuple[list[JSON], int | None]]:
    """Each page of a list (each item an object), with the last page number when GitHub
    says it (Link rel=last). Anything but a list is an error, never an empty page."""
    headers, data = caller.call("GET", url, what, params=params)
    guard = PageGuard("GitHub", what)
    while True:
        if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
            raise BadResponseError(
                f"GitHub answered with a {type(data).__name__} where a list belongs while {what}",
                hint="check trackers.github.api_url; a proxy may be answering",
            )
        found = links(headers.get("link"))
        yield data, last_page(found)
        nxt = found.get("next")
        if not nxt:
            return
        guard.next(nxt)
        guard.page(str(i.get("id") or i.get("node_id") or i.get("number")) for i in data)
        headers, data = caller.call("GET", keep_params(nxt, params), what)


def github_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rate_limit_hook(secondary_wait: float) -> RateLimitHook:
    """GitHub's limits (tracker-apis.md §2.6): primary 403/429 with `x-ratelimit-remaining: 0`
    until `x-ratelimit-reset` (epoch s); secondary 403/429 with a secondary-limit message,
    `retry-after` when given, else at least a minute."""

    def hook(status: int, headers: Mapping[str, str], body: str) -> float | None:
        if status not in (403, 429):
            return None
        message = body.lower()
        told = retry_after(headers.get("retry-after"), clock.now())
        if told is not None:
            return told
        if headers.get("x-ratelimit-remaining") == "0" or "api rate limit exceeded" in message:
            return reset_wait(headers.get("x-ratelimit-reset"), clock.now()) or secondary_wait
        if "secondary rate limit" in message or status == 429:
            return secondary_wait
        return None

    return hook


def rest_policy(cfg: GitHubConfig, secrets: Secrets) -> Policy:
    return Policy(
        tracker="GitHub",
        connect_timeout=cfg.connect_timeout,
        read_timeout=cfg.timeout,
        attempts=cfg.attempts,
        max_wait=cfg.max_wait,
        write_interval=cfg.seconds_between_writes,
        rate_limit=rate_limit_hook(cfg.secondary_rate_wait),
        secrets=secrets,
        hint="check trackers.github.api_url and the network",
    )


def status_error(status: int, data: Any, what: str, token_env: str, secrets: Secrets) -> PmSyncError:
    """A GitHub error reply as pm-sync's error, in GitHub's own words (scrubbed, cut short)."""
    data = data if isinstance(data, dict) else {}
    message = secrets.scrub(str(data.get("message") or "")).strip()[:300]
    details = "; ".join(_detail(e) for e in data.get("errors") or [] if isinstance(e, dict))
    text = secrets.scrub(f"{message}: {details}" if details else message)
    text = text if len(text) <= 300 else text[:299] + "…"
    if status == 401:
        return AuthError(
            f"GitHub rejected the token while {what} (401 {text})",
            hint=f"put a valid token in the environment variable {token_env} (trackers.github.token_env)",
        )
    if status == 403:
        return AuthError(
            f"GitHub refused {what} (403 {text})",
            hint=f"the token in {token_env} (trackers.github.token_env) needs access to the "
            "repository's issues (classic: repo scope; fine-grained: Issues read/write)",
        )
    if status in (404, 410):
        return NotFoundError(
            f"GitHub found nothing while {what} ({status} {text})",
            hint=f"check trackers.github.repo or the Ticket cell, and that the token in {token_env}"
            " can see the repository",
        )
    if status == 422:
        return RejectedError(
            f"GitHub refused {what} (422 {text})",
            hint="fix the row or trackers.github settings, then run again",
        )
    return TrackerError(f"GitHub answered {status} while {what}: {text}")


def _detail(err: dict[str, Any]) -> str:
    if err.get("message"):
        return str(err["message"])
    parts = [str(err.get(k)) for k in ("resource", "field", "code") if err.get(k)]
    if "value" in err:
        parts.append(f"value {err['value']!r}")
    return " ".join(parts)


_LINK = re.compile(r"<([^>]*)>([^<]*)")
_REL = re.compile(r"""rel\s*=\s*"?([^";,\s]+)""", re.IGNORECASE)


def links(header: str | None) -> dict[str, str]:
    """`Link: <url>; rel="next", <url>; rel="last"` as {rel: url} (a URL may hold commas)."""
    out: dict[str, str] = {}
    for m in _LINK.finditer(header or ""):
        rel = _REL.search(m.group(2))
        if rel:
            out[rel.group(1)] = m.group(1)
    return out


def last_page(found: Mapping[str, str]) -> int | None:
    last = found.get("last")
    if not last:
        return None
    pages = urllib.parse.parse_qs(urllib.parse.urlsplit(last).query).get("page")
    return int(pages[0]) if pages and pages[0].isdigit() else None


def keep_params(url: str, params: JSON) -> str:
    """GitHub repeats the query in `rel="next"`; a server that only sends `?page=N` must not
    silently widen the list (lose `state=all`, `labels`, `since`)."""
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    missing = {k: str(v) for k, v in params.items() if k not in query}
    if not missing:
        return url
    query.update(missing)
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


class Reader:
    """GETs against the REST API, one httpx client per run."""

    def __init__(self, cfg: GitHubConfig, token: str) -> None:
        self.cfg = cfg
        self.secrets = Secrets([token])
        self._base = cfg.api_url.rstrip("/")
        self._http = client(
            rest_policy(cfg, self.secrets),
            headers={"Authorization": f"token {token}", "Accept": "application/vnd.github+json"},
        )

    def __repr__(self) -> str:
        return f"Reader(api_url={self.cfg.api_url!r})"

    def close(self) -> None:
        self._http.close()

    def _url(self, url: str, what: str) -> str:
        if url.startswith(("http://", "https://")):
            if not self._same_origin(url):
                raise BadResponseError(
                    self.secrets.scrub(f"GitHub sent an address outside {self.cfg.api_url} while {what}"),
                    hint="set trackers.github.api_url to the exact host GitHub answers with "
                    "(e.g. 127.0.0.1 vs localhost, or https://HOST/api/v3 for GHES)",
                )
            return url
        return self._base + (url if url.startswith("/") else "/" + url)

    def _same_origin(self, url: str) -> bool:
        a, b = urllib.parse.urlsplit(url), urllib.parse.urlsplit(self._base)
        return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)

    def call(
        self,
        verb: str,
        url: str,
        what: str,
        *,
        params: JSON | None = None,
        body: JSON | None = None,
        accept: tuple[int, ...] = (),
    ) -> tuple[JSON, Any]:
        """One GET (following GitHub's same-host redirects, e.g. a transferred issue); failures
        become PmSyncErrors naming `what`."""
        if verb.upper() != "GET" or body is not None:
            raise TrackerError(f"pm-sync asked its GitHub reader to {verb} while {what}")
        target = self._url(url, what)
        for _ in range(MAX_REDIRECTS + 1):
            try:
                reply = self._http.get(target, params=params)
            except PmSyncError as exc:
                exc.message = self.secrets.scrub(exc.message)
                raise
            except httpx.HTTPError as exc:
                raise TrackerError(
                    f"GitHub: {type(exc).__name__} while {what}",
                    hint="check trackers.github.api_url and the network",
                ) from None
            location = reply.headers.get("location")
            if reply.status_code in (301, 302, 307, 308) and location:
                target, params = self._url(urllib.parse.urljoin(str(reply.url), location), what), None
                continue
            return self._answer(reply, what, accept)
        raise BadResponseError(f"GitHub redirected more than {MAX_REDIRECTS} times while {what}")

    def _answer(self, reply: httpx.Response, what: str, accept: tuple[int, ...]) -> tuple[JSON, Any]:
        headers = {k.lower(): v for k, v in reply.headers.items()}
        try:
            data = reply.json() if reply.content.strip() else None
        except ValueError:
            if reply.status_code < 400:
                raise BadResponseError(
                    f"GitHub answered in a shape its API never sends while {what} (not JSON)",
                    hint="check trackers.github.api_url; a proxy may be answering",
                ) from None
            data = None
        if reply.status_code >= 400:
            if reply.status_code in accept:
                return {}, data
            raise status_error(reply.status_code, data, what, self.cfg.token_env, self.secrets)
        return headers, data

    def pages(self, url: str, what: str, params: JSON) -> Iterator[tuple[list[JSON], int | None]]:
        return list_pages(self, url, what, params)
