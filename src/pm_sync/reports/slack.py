"""Post a message to a Slack incoming webhook, under the one HTTP policy every tracker uses.

The webhook URL is a bearer secret: whoever has it can post to the channel. It is never printed,
never put in an exception or a log line (httpx's own request log included), and errors name the
environment variable it came from instead. Slack drops a rate-limited message (429), so that one
is waited out and posted again; any other answer that leaves the post in doubt (a 5xx, a timeout)
is reported, never posted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx

from pm_sync.errors import (
    AmbiguousWriteError,
    PmSyncError,
    RateLimitedError,
    SlackError,
    UnreachableError,
)
from pm_sync.tracker.http import Policy
from pm_sync.tracker.http_httpx import client as policy_client
from pm_sync.tracker.secrets import Secrets

ATTEMPTS = 3
MAX_RETRY_AFTER = 60.0
"""Longer waits than this are not sat through: the run reports the rate limit instead."""
TIMEOUT = 10.0

HINTS = {
    "invalid_payload": "Slack could not read the message; this is a pm-sync bug, please report it",
    "no_text": "the message was empty; this is a pm-sync bug, please report it",
    "invalid_blocks": "Slack rejected the message layout; this is a pm-sync bug, please report it",
    "user_not_found": "the webhook's user no longer exists; create a new webhook",
    "channel_not_found": "the webhook's channel was deleted or the webhook revoked; create a new webhook",
    "channel_is_archived": "the webhook's channel is archived; unarchive it or use a new webhook",
    "action_prohibited": "a workspace admin restricted posting to this channel",
    "no_service": "the webhook was disabled or revoked; create a new webhook",
}

__all__ = ["SlackError", "check_url", "post_message", "scrub"]


def post_message(
    url: str,
    text: str,
    blocks: Sequence[dict[str, Any]] | None = None,
    *,
    source: str = "the webhook",
    client: httpx.Client | None = None,
    attempts: int = ATTEMPTS,
) -> None:
    """POST `{"text", "blocks"?}`; Slack answers 200 `ok`. `source` names the URL in errors."""
    check_url(url, source)
    payload: dict[str, Any] = {"text": text}
    if blocks:
        payload["blocks"] = list(blocks)
    secrets = Secrets(_secret_parts(url), mask="<webhook URL>")
    policy = Policy(
        tracker="Slack",
        connect_timeout=5.0,
        read_timeout=TIMEOUT,
        attempts=max(1, attempts),
        max_wait=MAX_RETRY_AFTER,
        expect_json=False,
        secrets=secrets,
        resend_on=frozenset({429}),
        describe=lambda _m, _u: f"the webhook in {source}",
        hint="check the network, then run again",
    )
    http = client or policy_client(policy)
    try:
        with _redacted_logs(url):
            response = http.post(url, json=payload)
    except RateLimitedError as exc:
        raise SlackError(secrets.scrub(exc.message), hint="post less often; try again later") from None
    except UnreachableError as exc:
        raise SlackError(
            f"{secrets.scrub(exc.message)}, for the webhook in {source}",
            hint="check the network, then run again",
        ) from None
    except AmbiguousWriteError as exc:
        raise SlackError(
            secrets.scrub(exc.message), hint="look in the channel before posting the report again"
        ) from None
    except PmSyncError as exc:
        raise SlackError(secrets.scrub(exc.message), hint=exc.hint) from None
    except httpx.HTTPError as exc:
        raise SlackError(
            secrets.scrub(f"posting to Slack via {source} failed: {type(exc).__name__}")
        ) from None
    finally:
        if client is None:
            http.close()
    code = _error_code(response, secrets)
    if response.status_code == 200:
        if code != "ok":
            raise SlackError(
                f"Slack answered {source} with 200 but {code!r} instead of 'ok'",
                hint="check that the variable holds an incoming-webhook URL",
            )
        return
    raise _refused(response.status_code, code, source, attempts)


def check_url(url: str, source: str = "the webhook") -> None:
    """A webhook URL that cannot be sent as it is (a line break, a space, a character outside
    ASCII, not http(s), unparseable) is refused naming `source`, never echoing the URL."""
    hint = "copy the full https://hooks.slack.com/services/... URL, on one line"
    if not url.startswith(("https://", "http://")):
        raise SlackError(
            f"the Slack webhook URL in {source} is not an http(s) URL",
            hint="copy the full https://hooks.slack.com/services/... URL",
        )
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise SlackError(f"the Slack webhook URL in {source} contains a space or line break", hint=hint)
    if not url.isascii():
        raise SlackError(f"the Slack webhook URL in {source} contains characters outside ASCII", hint=hint)
    try:
        httpx.URL(url)
        host = urlsplit(url).hostname
    except (httpx.InvalidURL, ValueError):
        host = None
    if not host:
        raise SlackError(f"the Slack webhook URL in {source} is not a valid URL", hint=hint)


def _refused(status: int, code: str, source: str, attempts: int) -> SlackError:
    if status == 429:
        return SlackError(
            f"Slack kept rate limiting {source} after {attempts} attempts (429)",
            hint="post less often; try again later",
        )
    hint = HINTS.get(code, "check the webhook URL and the Slack app's configuration")
    return SlackError(f"Slack refused the message to {source}: {status} {code}", hint=hint)


def _error_code(response: httpx.Response, secrets: Secrets) -> str:
    """Slack's plain-text answer (`ok`, `channel_not_found`), cut short and without the URL."""
    text = " ".join(secrets.scrub(response.text).split())  # scrubbed before it is cut
    return text[:200] or "(empty body)"


def _secret_parts(url: str) -> list[str]:
    """The URL, its path and its long path segments: the last one is the token itself."""
    parts = [url]
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return parts
    parts += [str(parsed), parsed.raw_path.decode("ascii", "replace"), parsed.path]
    segments = [seg for seg in parsed.path.split("/") if seg]
    parts += [seg for i, seg in enumerate(segments) if len(seg) >= 8 or i == len(segments) - 1]
    return [p for p in parts if len(p) > 3]


def scrub(text: str, url: str) -> str:
    """Remove the webhook URL, and its secret path on its own, from text bound for a human."""
    if not url:
        return text
    out = text.replace(url, "<webhook URL>")
    for secret in sorted(_secret_parts(url), key=len, reverse=True):
        out = out.replace(secret, "<webhook URL>")
    return out


class _RedactFilter(logging.Filter):
    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message, self.url)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


@contextmanager
def _redacted_logs(url: str) -> Iterator[None]:
    """httpx logs every request URL at INFO; scrub ours while we post."""
    logger = logging.getLogger("httpx")
    redact = _RedactFilter(url)
    logger.addFilter(redact)
    try:
        yield
    finally:
        logger.removeFilter(redact)
