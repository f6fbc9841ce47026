"""GitHub REST writes through PyGithub's requester, under pm-sync's one HTTP policy (reads go
through `reader.py`, which shares this module's rate-limit rules and error wording).

PyGithub is built with no retry of its own and no request pacing; `pm_sync.tracker.http`'s adapter
is mounted on the session of each connection PyGithub opens, so rate limits, retries and unknown
write outcomes follow the shared policy (a `POST /issues` is never sent twice). PyGithub offers
no public way to give its connections an adapter, so this module sets the requester's connection
class (`_Requester__connectionClass`); pyproject pins PyGithub to 2.10.x for that.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Iterator
from typing import Any

import requests
from github import Auth, Github, GithubException
from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass, Requester

from pm_sync.errors import BadResponseError, PmSyncError, TrackerError
from pm_sync.tracker.http import Policy
from pm_sync.tracker.http_requests import mount
from pm_sync.tracker.secrets import Secrets
from pm_sync_github.config import GitHubConfig
from pm_sync_github.reader import (
    github_time,
    list_pages,
    rate_limit_hook,
    rest_policy,
    status_error,
)

__all__ = ["Rest", "github_time", "rate_limit_hook"]

# PyGithub adds its own stderr handler at INFO on import, which prints every followed redirect
# (each transferred issue) into cron mail; pm-sync reports what matters itself.
_github_log = logging.getLogger("github")
_github_log.setLevel(logging.WARNING)
for _handler in list(_github_log.handlers):
    if type(_handler) is logging.StreamHandler:
        _github_log.removeHandler(_handler)
JSON = dict[str, Any]


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
        self.policy: Policy = rest_policy(cfg, self.secrets)
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
        return list_pages(self, url, what, params)

    def error(self, exc: GithubException, what: str) -> PmSyncError:
        return status_error(exc.status, exc.data, what, self.cfg.token_env, self.secrets)
