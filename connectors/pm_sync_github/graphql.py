"""GitHub's GraphQL endpoint over httpx, under pm-sync's one HTTP policy.

GitHub answers most GraphQL failures with HTTP 200 and an `errors` array, so every reply is
checked; `partial` returns the errors that name one aliased field (an issue that does not
resolve) next to the data, for callers that handle those one by one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pm_sync import clock
from pm_sync.errors import AuthError, BadResponseError, PmSyncError, TrackerError
from pm_sync.tracker.http import Policy, RateLimitHook, error_text, resendable, reset_wait
from pm_sync.tracker.http_httpx import client
from pm_sync.tracker.secrets import Secrets
from pm_sync_github.config import GitHubConfig
from pm_sync_github.reader import rate_limit_hook

JSON = dict[str, Any]


def graphql_rate_limit(secondary_wait: float) -> RateLimitHook:
    """GraphQL rate limits arrive as HTTP 200 with an `errors` array (primary, with
    `x-ratelimit-remaining: 0`) or as 403/429 (secondary): both are waited out like REST's."""
    rest_hook = rate_limit_hook(secondary_wait)

    def hook(status: int, headers: Mapping[str, str], body: str) -> float | None:
        if status in (403, 429):
            return rest_hook(status, headers, body)
        if status != 200 or '"errors"' not in body:
            return None
        limited = headers.get("x-ratelimit-remaining") == "0" or "RATE_LIMITED" in body
        if not limited or ("rate limit" not in body.lower() and "RATE_LIMITED" not in body):
            return None
        return reset_wait(headers.get("x-ratelimit-reset"), clock.now()) or secondary_wait

    return hook


def error_path(error: Any) -> list[Any]:
    path = error.get("path") if isinstance(error, dict) else None
    return path if isinstance(path, list) else []


class GraphQL:
    """One httpx client per run; every request goes through `query`."""

    def __init__(self, cfg: GitHubConfig, token: str) -> None:
        self.cfg = cfg
        self.secrets = Secrets([token])
        policy = Policy(
            tracker="GitHub GraphQL",
            connect_timeout=cfg.connect_timeout,
            read_timeout=cfg.timeout,
            attempts=cfg.attempts,
            max_wait=cfg.max_wait,
            rate_limit=graphql_rate_limit(cfg.secondary_rate_wait),
            secrets=self.secrets,
            hint="check trackers.github.api_url / graphql_url and the network",
        )
        self._http = client(
            policy, headers={"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
        )

    def __repr__(self) -> str:
        return f"GraphQL(url={self.cfg.graphql_endpoint()!r})"

    def close(self) -> None:
        self._http.close()

    def query(
        self, text: str, variables: JSON, what: str, *, hint: str | None = None, scope: str = "repo"
    ) -> JSON:
        """The reply's data; any error in the reply is a TrackerError naming `what`."""
        data, errors = self.partial(text, variables, what)
        if errors:
            raise self.refused(errors, what, hint, scope)
        return data

    def partial(self, text: str, variables: JSON, what: str) -> tuple[JSON, list[JSON]]:
        """One request; reads and pm-sync's idempotent mutations (adding an item returns the
        existing one, setting a field sets it) are safe to send again. Errors that name a field
        come back with the data; a reply without data is an error."""
        url = self.cfg.graphql_endpoint()
        env = self.cfg.token_env
        try:
            with resendable():
                reply = self._http.post(url, json={"query": text, "variables": variables})
        except PmSyncError as exc:
            exc.message = self.secrets.scrub(exc.message)
            raise
        if reply.status_code == 401:
            raise AuthError(
                f"GitHub rejected the token while {what} (401)",
                hint=f"put a valid token in {env} (trackers.github.token_env)",
            )
        if reply.status_code >= 400:
            said = error_text(reply.content, reply.headers.get("content-type", ""), secrets=self.secrets)
            raise TrackerError(
                self.secrets.scrub(f"GitHub GraphQL answered {reply.status_code} while {what}: {said}")
            )
        try:
            body = reply.json()
        except ValueError:
            raise BadResponseError(f"GitHub GraphQL sent a reply that is not JSON while {what}") from None
        raw_errors = body.get("errors") if isinstance(body, dict) else None
        errors = [e if isinstance(e, dict) else {"message": str(e)} for e in raw_errors or []]
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            if errors:
                raise self.refused(errors, what, None, "repo")
            raise BadResponseError(f"GitHub GraphQL sent no data while {what}")
        return data, errors

    def refused(self, errors: list[JSON], what: str, hint: str | None, scope: str) -> TrackerError:
        messages = "; ".join(str(e.get("message", e)) for e in errors)
        types = {e.get("type") for e in errors}
        if types & {"FORBIDDEN", "INSUFFICIENT_SCOPES"}:
            hint = f"the token in {self.cfg.token_env} needs the `{scope}` scope"
        return TrackerError(self.secrets.scrub(f"GitHub GraphQL refused {what}: {messages[:300]}"), hint=hint)
