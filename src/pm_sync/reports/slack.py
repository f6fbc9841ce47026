"""Post a message to a Slack incoming webhook.

The webhook URL is a bearer secret: whoever has it can post to the channel. It is never printed,
never put in an exception or a log line (httpx's own request log included), and errors name the
environment variable it came from instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx

from pm_sync.errors import PmSyncError
from pm_sync.tracker.secrets import MASK, Secrets

sleep = time.sleep
"""Module reference so tests can replace the waits."""

ATTEMPTS = 3
MAX_RETRY_AFTER = 60.0
"""Longer waits than this are not slept through: the run reports the rate limit instead."""
BACKOFF = (1.0, 2.0, 4.0)
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


class SlackError(PmSyncError):
    """Slack refused or never took the message; the text never contains the webhook URL."""


def post_message(
    url: str,
    text: str,
    blocks: Sequence[dict[str, Any]] | None = None,
    *,
    source: str = "the webhook",
    client: httpx.Client | None = None,
    attempts: int = ATTEMPTS,
) -> None:
    """POST `{"text", "blocks"?}`; Slack answers 200 `ok`. `source` names the URL in errors.

    429: wait `Retry-After` seconds and try again; 5xx and failed connections: back off and try
    again; both at most `attempts` times in all. Any other 4xx is final and its Slack error code
    (`channel_not_found`, ...) is in the message.
    """
    check_url(url, source)
    payload: dict[str, Any] = {"text": text}
    if blocks:
        payload["blocks"] = list(blocks)
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT)
    try:
        with _redacted_logs(url):
            _post_with_retries(http, url, payload, source, max(1, attempts))
    finally:
        if own:
            http.close()


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
    except httpx.InvalidURL:
        raise SlackError(f"the Slack webhook URL in {source} is not a valid URL", hint=hint) from None


def _post_with_retries(
    http: httpx.Client, url: str, payload: dict[str, Any], source: str, attempts: int
) -> None:
    for attempt in range(1, attempts + 1):
        last = attempt == attempts
        try:
            response = http.post(url, json=payload)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            # Nothing reached Slack, so trying again cannot post the message twice.
            if last:
                raise SlackError(
                    f"cannot reach Slack via {source}: {scrub(str(exc), url)}",
                    hint="check the network, then run again",
                ) from None
            sleep(BACKOFF[min(attempt - 1, len(BACKOFF) - 1)])
            continue
        except httpx.HTTPError as exc:
            # A timeout after sending may have posted already; report rather than risk a repeat.
            raise SlackError(
                f"posting to Slack via {source} failed: {type(exc).__name__}: {scrub(str(exc), url)}"
            ) from None
        code = _error_code(response, url)
        if response.status_code == 200:
            if code != "ok":
                raise SlackError(
                    f"Slack answered {source} with 200 but {code!r} instead of 'ok'",
                    hint="check that the variable holds an incoming-webhook URL",
                )
            return
        if response.status_code == 429 and not last:
            wait = _retry_after(response)
            if wait > MAX_RETRY_AFTER:
                raise SlackError(
                    f"Slack rate limited {source} for {wait:g} s", hint="post less often; try again later"
                )
            sleep(wait)
            continue
        if response.status_code >= 500 and not last:
            sleep(BACKOFF[min(attempt - 1, len(BACKOFF) - 1)])
            continue
        raise _refused(response.status_code, code, source, attempt)


def _refused(status: int, code: str, source: str, attempt: int) -> SlackError:
    tries = f" after {attempt} attempts" if attempt > 1 else ""
    if status == 429:
        return SlackError(
            f"Slack kept rate limiting {source}{tries} (429)", hint="post less often; try again later"
        )
    if status >= 500:
        return SlackError(
            f"Slack failed with {status} {code} via {source}{tries}",
            hint="Slack had a problem; try again later",
        )
    hint = HINTS.get(code, "check the webhook URL and the Slack app's configuration")
    return SlackError(f"Slack refused the message to {source}: {status} {code}", hint=hint)


def _error_code(response: httpx.Response, url: str) -> str:
    """Slack's plain-text answer (`ok`, `channel_not_found`), cut short and without the URL."""
    text = " ".join(scrub(response.text, url).split())
    return text[:200] or "(empty body)"


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        seconds = float(value)
    except ValueError:
        return 1.0
    return max(0.0, seconds)


def scrub(text: str, url: str) -> str:
    """Remove the webhook URL, and its secret path on its own, from text bound for a human: raw,
    URL-encoded, JSON- or HTML-escaped (longest spelling first, so the whole URL goes as one)."""
    if not url:
        return text
    secrets = [url]
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if parsed is not None:
        secrets += [str(parsed), parsed.raw_path.decode("ascii", "replace"), parsed.path]
        # The last path segment is the token itself; long segments may be too (other webhook hosts).
        segments = [seg for seg in parsed.path.split("/") if seg]
        secrets += [seg for i, seg in enumerate(segments) if len(seg) >= 8 or i == len(segments) - 1]
    spellings = Secrets(s for s in secrets if len(s) > 3)
    return spellings.scrub(text).replace(MASK, "<webhook URL>")


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
