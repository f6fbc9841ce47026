"""GitHub REST through PyGithub's requester: bounded rate-limit waits, errors in pm-sync's terms.

Retries are ours, not PyGithub's default `GithubRetry`, which re-sends `POST /issues` after a
dropped connection, a timeout or a 5xx and so creates duplicate issues. Here urllib3 retries
only idempotent reads (connection errors and 5xx); a write whose outcome is unknown raises
`UncertainWrite`, and the caller looks for its marker before trying again.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import requests
from github import Auth, Github, GithubException
from github.Requester import Requester
from urllib3.util.retry import Retry

from pm_sync.errors import AuthError, NotFoundError, PmSyncError, RateLimitedError, TrackerError
from pm_sync_github.config import GitHubConfig

log = logging.getLogger(__name__)

# PyGithub adds its own stderr handler at INFO on import, which prints every followed redirect
# (each transferred issue) into cron mail; pm-sync reports what matters itself.
_github_log = logging.getLogger("github")
_github_log.setLevel(logging.WARNING)
for _handler in list(_github_log.handlers):
    if type(_handler) is logging.StreamHandler:
        _github_log.removeHandler(_handler)
JSON = dict[str, Any]


class UncertainWrite(TrackerError):
    """A write that may or may not have happened: `kind` is "dropped", "timeout" or "server"."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def github_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _links(header: str | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in (header or "").split(","):
        pieces = part.strip().split(";")
        if len(pieces) < 2:
            continue
        url = pieces[0].strip().strip("<>")
        for attr in pieces[1:]:
            name, _, value = attr.strip().partition("=")
            if name == "rel":
                found[value.strip('"')] = url
    return found


def _last_page(header: str | None) -> int | None:
    last = _links(header).get("last")
    if not last:
        return None
    pages = urllib.parse.parse_qs(urllib.parse.urlsplit(last).query).get("page")
    return int(pages[0]) if pages and pages[0].isdigit() else None


class Rest:
    """One PyGithub client per run; every request goes through `call`."""

    def __init__(self, cfg: GitHubConfig, token: str) -> None:
        self.cfg = cfg
        self._token = token
        reads = Retry(
            total=3,
            connect=3,
            read=2,
            status=3,
            backoff_factor=0.5,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=frozenset({"GET", "HEAD"}),
            respect_retry_after_header=False,
            raise_on_status=False,
        )
        self._github = Github(
            auth=Auth.Token(token),
            base_url=cfg.api_url,
            timeout=int(cfg.timeout),
            per_page=100,
            retry=reads,
            lazy=True,
            seconds_between_requests=cfg.seconds_between_requests or None,
            seconds_between_writes=cfg.seconds_between_writes or None,
        )
        self._requester: Requester = self._github.requester

    def __repr__(self) -> str:
        return f"Rest(api_url={self.cfg.api_url!r})"

    def close(self) -> None:
        self._github.close()

    # ------------------------------------------------------------------ requests

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
        """One request; rate limits are waited out (bounded), other failures become PmSyncErrors."""
        write = verb not in ("GET", "HEAD")
        attempt = 0
        while True:
            try:
                headers, data = self._requester.requestJsonAndCheck(verb, url, parameters=params, input=body)
                return {k.lower(): v for k, v in headers.items()}, data
            except GithubException as exc:
                if exc.status in accept:
                    return {}, exc.data
                wait = self._rate_limit_wait(exc, attempt)
                if wait is None:
                    if write and exc.status >= 500:
                        raise UncertainWrite(
                            self._scrub(
                                f"GitHub answered {exc.status} while {what}; the write may have happened"
                            ),
                            kind="server",
                        ) from None
                    raise self.error(exc, what) from None
                attempt += 1
                if attempt > self.cfg.rate_limit_retries or wait > self.cfg.max_rate_limit_wait:
                    raise self._rate_limited(exc, what, wait) from None
                log.info("GitHub rate limit while %s; waiting %.0f s", what, wait)
                time.sleep(wait)
            except (AssertionError, RuntimeError) as exc:
                # PyGithub refuses URLs and redirects off the configured host this way
                raise TrackerError(
                    self._scrub(
                        f"GitHub sent an address outside {self.cfg.api_url} while "
                        f"{what} ({type(exc).__name__}: {exc})"
                    ),
                    hint="set trackers.github.api_url to the exact host GitHub answers with "
                    "(e.g. 127.0.0.1 vs localhost, or https://HOST/api/v3 for GHES)",
                ) from None
            except requests.exceptions.RequestException as exc:
                kind = type(exc).__name__
                if write:
                    raise UncertainWrite(
                        f"lost the connection to GitHub while {what} ({kind}); the write may have happened",
                        kind="timeout" if isinstance(exc, requests.exceptions.Timeout) else "dropped",
                    ) from None
                raise TrackerError(
                    f"cannot reach GitHub at {self.cfg.api_url} while {what} ({kind})",
                    hint="check trackers.github.api_url, the network, or raise trackers.github.timeout",
                ) from None

    def pages(self, url: str, what: str, params: JSON) -> Iterator[tuple[list[JSON], int | None]]:
        """Each page of a list, with the last page number when GitHub says it (Link rel=last)."""
        headers, data = self.call("GET", url, what, params=params)
        while True:
            yield (data if isinstance(data, list) else []), _last_page(headers.get("link"))
            nxt = _links(headers.get("link")).get("next")
            if not nxt:
                return
            headers, data = self.call("GET", _keep_params(nxt, params), what)

    # ------------------------------------------------------------------ rate limits

    def _rate_limit_wait(self, exc: GithubException, attempt: int) -> float | None:
        """Seconds to wait before retrying a rate-limited request; None if it is no rate limit."""
        if exc.status not in (403, 429):
            return None
        headers = {k.lower(): str(v) for k, v in (exc.headers or {}).items()}
        message = (exc.data or {}).get("message", "") if isinstance(exc.data, dict) else ""
        primary = Requester.isPrimaryRateLimitError(str(message))
        secondary = Requester.isSecondaryRateLimitError(str(message))
        exhausted = headers.get("x-ratelimit-remaining") == "0"
        retry_after = headers.get("retry-after", "")
        if retry_after.replace(".", "", 1).isdigit():
            return float(retry_after)
        if exhausted or primary:
            reset = headers.get("x-ratelimit-reset", "")
            if reset.isdigit():
                return max(int(reset) - time.time(), 0.0) + 1.0
            return self.cfg.secondary_rate_wait * float(2**attempt)
        if secondary or exc.status == 429:
            return self.cfg.secondary_rate_wait * float(2**attempt)
        return None

    def _rate_limited(self, exc: GithubException, what: str, wait: float) -> RateLimitedError:
        headers = {k.lower(): str(v) for k, v in (exc.headers or {}).items()}
        reset = headers.get("x-ratelimit-reset", "")
        when = ""
        if reset.isdigit():
            when = " until " + dt.datetime.fromtimestamp(int(reset), dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return RateLimitedError(
            f"GitHub rate limit while {what}: would have to wait {wait:.0f} s{when}",
            hint="run again later, or raise trackers.github.max_rate_limit_wait / "
            "trackers.github.rate_limit_retries",
        )

    # ------------------------------------------------------------------ errors

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def error(self, exc: GithubException, what: str) -> PmSyncError:
        env = self.cfg.token_env
        data = exc.data if isinstance(exc.data, dict) else {}
        message = str(data.get("message") or exc.message or "").strip()
        details = "; ".join(_detail(e) for e in data.get("errors") or [] if isinstance(e, dict))
        text = f"{message}: {details}" if details else message
        status = exc.status
        if status == 401:
            return AuthError(
                self._scrub(f"GitHub rejected the token while {what} (401 {text})"),
                hint=f"put a valid token in the environment variable {env} (trackers.github.token_env)",
            )
        if status == 403:
            return AuthError(
                self._scrub(f"GitHub refused {what} (403 {text})"),
                hint=f"the token in {env} (trackers.github.token_env) needs access to the "
                "repository's issues (classic: repo scope; fine-grained: Issues read/write)",
            )
        if status in (404, 410):
            return NotFoundError(
                self._scrub(f"GitHub found nothing while {what} ({status} {text})"),
                hint=f"check trackers.github.repo or the Ticket cell, and that the token in {env}"
                " can see the repository",
            )
        if status == 422:
            return TrackerError(
                self._scrub(f"GitHub refused {what} (422 {text})"),
                hint="fix the row or trackers.github settings, then run again",
            )
        return TrackerError(self._scrub(f"GitHub answered {status} while {what}: {text}"))


def _detail(err: dict[str, Any]) -> str:
    if err.get("message"):
        return str(err["message"])
    parts = [str(err.get(k)) for k in ("resource", "field", "code") if err.get(k)]
    if "value" in err:
        parts.append(f"value {err['value']!r}")
    return " ".join(parts)


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
