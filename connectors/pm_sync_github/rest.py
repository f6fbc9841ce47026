"""GitHub REST through PyGithub's requester, under pm-sync's one HTTP policy.

PyGithub is built with no retry of its own and no request pacing; `pm_sync.tracker.http`'s adapter
is mounted on the session of each connection PyGithub opens, so rate limits, retries and unknown
write outcomes follow the shared policy (a `POST /issues` is never sent twice). PyGithub offers
no public way to give its connections an adapter, so this module sets the requester's connection
class (`_Requester__connectionClass`); pyproject pins PyGithub to 2.10.x for that.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Any

import requests
from github import Auth, Github, GithubException
from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass, Requester

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
from pm_sync.tracker.http_requests import mount
from pm_sync.tracker.secrets import Secrets
from pm_sync_github.config import GitHubConfig

# PyGithub adds its own stderr handler at INFO on import, which prints every followed redirect
# (each transferred issue) into cron mail; pm-sync reports what matters itself.
_github_log = logging.getLogger("github")
_github_log.setLevel(logging.WARNING)
for _handler in list(_github_log.handlers):
    if type(_handler) is logging.StreamHandler:
        _github_log.removeHandler(_handler)
JSON = dict[str, Any]


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


def _connection(policy: Policy, base: type) -> type:
    """PyGithub's connection class with the policy's adapter mounted on its session."""

    class PolicyConnection(base):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            mount(self.session, policy)

    return PolicyConnection


class Rest:
    """One PyGithub client per run; every request goes through `call`."""

    def __init__(self, cfg: GitHubConfig, token: str) -> None:
        self.cfg = cfg
        self.secrets = Secrets([token])
        self.policy = Policy(
            tracker="GitHub",
            connect_timeout=cfg.connect_timeout,
            read_timeout=cfg.timeout,
            attempts=cfg.attempts,
            max_wait=cfg.max_wait,
            write_interval=cfg.seconds_between_writes,
            rate_limit=rate_limit_hook(cfg.secondary_rate_wait),
            secrets=self.secrets,
            hint="check trackers.github.api_url and the network",
        )
        self._github = Github(
            auth=Auth.Token(token),
            base_url=cfg.api_url,
            timeout=int(cfg.timeout),
            per_page=100,
            retry=None,
            lazy=True,
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        self._requester: Requester = self._github.requester
        scheme = urllib.parse.urlsplit(cfg.api_url).scheme
        base = HTTPSRequestsConnectionClass if scheme == "https" else HTTPRequestsConnectionClass
        self._requester._Requester__connectionClass = _connection(self.policy, base)  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"Rest(api_url={self.cfg.api_url!r})"

    def close(self) -> None:
        self._github.close()

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
        """One request under the policy; failures become PmSyncErrors naming `what`."""
        try:
            headers, data = self._requester.requestJsonAndCheck(verb, url, parameters=params, input=body)
            return {k.lower(): v for k, v in headers.items()}, data
        except PmSyncError as exc:
            exc.message = self.secrets.scrub(exc.message)
            raise
        except GithubException as exc:
            if exc.status in accept:
                return {}, exc.data
            raise self.error(exc, what) from None
        except (AssertionError, RuntimeError) as exc:
            # PyGithub refuses URLs and redirects off the configured host this way
            raise BadResponseError(
                self.secrets.scrub(
                    f"GitHub sent an address outside {self.cfg.api_url} while {what} ({type(exc).__name__})"
                ),
                hint="set trackers.github.api_url to the exact host GitHub answers with "
                "(e.g. 127.0.0.1 vs localhost, or https://HOST/api/v3 for GHES)",
            ) from None
        except requests.RequestException as exc:
            raise TrackerError(
                f"GitHub: {type(exc).__name__} while {what}",
                hint="check trackers.github.api_url and the network",
            ) from None
        except (ValueError, TypeError, KeyError) as exc:
            raise BadResponseError(
                f"GitHub answered in a shape its API never sends while {what} ({type(exc).__name__})",
                hint="check trackers.github.api_url; a proxy may be answering",
            ) from None

    def pages(self, url: str, what: str, params: JSON) -> Iterator[tuple[list[JSON], int | None]]:
        """Each page of a list (each item an object), with the last page number when GitHub
        says it (Link rel=last). Anything but a list is an error, never an empty page."""
        headers, data = self.call("GET", url, what, params=params)
        guard = PageGuard("GitHub", what)
        while True:
            if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
                raise BadResponseError(
                    f"GitHub answered with a {type(data).__name__} where a list belongs while {what}",
                    hint="check trackers.github.api_url; a proxy may be answering",
                )
            links = _links(headers.get("link"))
            yield data, _last_page(links)
            nxt = links.get("next")
            if not nxt:
                return
            guard.next(nxt)
            guard.page(str(i.get("id") or i.get("node_id") or i.get("number")) for i in data)
            headers, data = self.call("GET", _keep_params(nxt, params), what)

    def error(self, exc: GithubException, what: str) -> PmSyncError:
        env = self.cfg.token_env
        data = exc.data if isinstance(exc.data, dict) else {}
        message = self.secrets.scrub(str(data.get("message") or "")).strip()[:300]
        details = "; ".join(_detail(e) for e in data.get("errors") or [] if isinstance(e, dict))
        text = self.secrets.scrub(f"{message}: {details}" if details else message)
        text = text if len(text) <= 300 else text[:299] + "…"
        status = exc.status
        if status == 401:
            return AuthError(
                f"GitHub rejected the token while {what} (401 {text})",
                hint=f"put a valid token in the environment variable {env} (trackers.github.token_env)",
            )
        if status == 403:
            return AuthError(
                f"GitHub refused {what} (403 {text})",
                hint=f"the token in {env} (trackers.github.token_env) needs access to the "
                "repository's issues (classic: repo scope; fine-grained: Issues read/write)",
            )
        if status in (404, 410):
            return NotFoundError(
                f"GitHub found nothing while {what} ({status} {text})",
                hint=f"check trackers.github.repo or the Ticket cell, and that the token in {env}"
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


def _links(header: str | None) -> dict[str, str]:
    if not header:
        return {}
    return {
        str(link.get("rel")): str(link.get("url"))
        for link in requests.utils.parse_header_links(header)
        if link.get("rel") and link.get("url")
    }


def _last_page(links: Mapping[str, str]) -> int | None:
    last = links.get("last")
    if not last:
        return None
    pages = urllib.parse.parse_qs(urllib.parse.urlsplit(last).query).get("page")
    return int(pages[0]) if pages and pages[0].isdigit() else None


def _keep_params(url: str, params: JSON) -> str:
    """GitHub repeats the query in `rel="next"`; a server that only sends `?page=N` must not
    silently widen the list (lose `state=all`, `labels`, `since`)."""
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    missing = {k: str(v) for k, v in params.items() if k not in query}
    if not missing:
        return url
    query.update(missing)
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
