"""The one HTTP policy every tracker (and Slack) goes through: timeouts, waits, retries.

The SDKs underneath (`jira`, PyGithub) and httpx are built with their own retries switched off,
and this module sits at their transport seam (a requests `HTTPAdapter`, an httpx transport), so
every request follows the same rules:

- A host that refuses the connection or does not resolve fails at once: nothing was sent.
- A request that may have reached the server is re-sent only when doing it twice is harmless
  (GET, PUT, DELETE, or a call marked `resendable()`); a create that may have happened raises
  `AmbiguousWriteError`, and the engine looks the ticket's marker up instead.
- A rate limit is waited out when the tracker says how long (`Retry-After` in seconds, with a
  fraction, or as an HTTP date; a reset time) and the wait is within `max_wait`; a longer wait
  is a `RateLimitedError` saying until when. Every wait of a few seconds is announced.
- A redirect to another host (a sign-on page) and a page that is not JSON where the API
  answers JSON are `BadResponseError`s, summarised rather than dumped.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import email.utils
import html
import math
import re
import traceback
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pm_sync import clock
from pm_sync.errors import (
    AmbiguousWriteError,
    BadResponseError,
    RateLimitedError,
    TrackerError,
    UnreachableError,
)
from pm_sync.tracker.secrets import Secrets

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
TRANSIENT = frozenset({500, 502, 503, 504})
MAX_PAGES = 10_000

_resendable: contextvars.ContextVar[bool] = contextvars.ContextVar("pm_sync_resendable", default=False)


@contextmanager
def resendable() -> Iterator[None]:
    """Mark the requests made inside as safe to send twice (a read over POST, a PATCH that sets
    values, an add that returns the existing item)."""
    token = _resendable.set(True)
    try:
        yield
    finally:
        _resendable.reset(token)


RateLimitHook = Callable[[int, Mapping[str, str], str], float | None]
"""(status, lower-cased headers, body) → seconds to wait when the reply is a rate limit."""


@dataclass
class Policy:
    """Per-tracker settings; `describe` names a request in messages (never with secrets)."""

    tracker: str
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    attempts: int = 4
    max_wait: float = 120.0
    backoff: float = 1.0
    expect_json: bool = True
    hint: str = "check the URL in pm-sync.toml and the network"
    rate_limit: RateLimitHook | None = None
    secrets: Secrets = field(default_factory=Secrets)
    describe: Callable[[str, str], str] | None = None
    resend_on: frozenset[int] = frozenset()
    """Statuses the service documents as "not carried out" (Slack drops a rate-limited post), so
    even a POST may be sent again after them."""
    write_interval: float = 0.0
    """Least seconds between two writes (GitHub asks for one)."""
    max_body: int = 64 * 1024 * 1024
    """Largest answer read; a bigger one (a gzip bomb, an endless stream) is refused."""
    _last_write: float = field(default=float("-inf"), repr=False)

    @property
    def total_timeout(self) -> float:
        """The whole answer must arrive within this: a server trickling a byte per read timeout
        would otherwise hold a run forever."""
        return self.connect_timeout + 3 * self.read_timeout

    def too_large(self, method: str, url: str) -> TrackerError:
        what = f"answered with more than {self.max_body // (1024 * 1024)} MB"
        if not self.may_resend(method):
            return self.ambiguous(method, url, what)
        return BadResponseError(
            f"{self.tracker} {what} on {self.name(method, url)}",
            hint=f"{self.hint}; a proxy or a broken server answers this way",
        )

    def pace(self, method: str) -> None:
        """Keep writes `write_interval` apart, as a tracker's guidance asks."""
        if method.upper() in ("GET", "HEAD", "OPTIONS") or self.write_interval <= 0:
            return
        gap = self.write_interval - (clock.now() - self._last_write)
        if gap > 0:
            clock.wait(gap, f"{self.tracker} asks for {self.write_interval:g} s between writes")
        self._last_write = clock.now()

    def name(self, method: str, url: str) -> str:
        if self.describe is not None:
            return self.describe(method, url)
        return f"{method} {urllib.parse.urlsplit(url).path or '/'}"

    # ------------------------------------------------------------------ decisions

    def wait_for(self, status: int, headers: Mapping[str, str], body: str, attempt: int) -> float | None:
        """Seconds to wait before this reply's request may be tried again; None when it is
        neither a rate limit nor a passing failure."""
        if self.rate_limit is not None:
            wait = self.rate_limit(status, headers, body)
            if wait is not None:
                return wait
        if status == 429 or (status == 503 and "retry-after" in headers):
            told = retry_after(headers.get("retry-after"), clock.now())
            return told if told is not None else self.backoff * 2.0**attempt
        if status in TRANSIENT:
            return self.backoff * 2.0 ** (attempt - 1)
        return None

    def is_limit(self, status: int, headers: Mapping[str, str], body: str) -> bool:
        if self.rate_limit is not None and self.rate_limit(status, headers, body) is not None:
            return True
        return status == 429

    def check_redirect(self, method: str, url: str, status: int, location: str | None) -> None:
        if status not in (301, 302, 303, 307, 308) or not location:
            return
        target = urllib.parse.urlsplit(urllib.parse.urljoin(url, location))
        origin = urllib.parse.urlsplit(url)
        if (target.hostname, target.port) != (origin.hostname, origin.port):
            what = f"redirected {self.name(method, url)} to another host ({target.hostname})"
            if not self.may_resend(method):
                raise self.ambiguous(method, url, f"answered with a redirect to {target.hostname}")
            raise BadResponseError(
                self.secrets.scrub(f"{self.tracker} {what}, such as a sign-on page"),
                hint=f"{self.hint}; a token that needs SSO authorisation or a proxy in front of "
                "the API causes this",
            )
        if status in (301, 302, 303) and not self.may_resend(method):
            # followed, the write would turn into a GET whose answer is no answer to it
            raise self.ambiguous(method, url, f"answered with a {status} redirect")

    def check_body(self, method: str, url: str, status: int, content_type: str, body: bytes) -> None:
        if not self.expect_json or not body.strip() or status >= 300:
            return
        if "json" in content_type.lower():
            return
        page = summarize(body, content_type, self.secrets)
        if not self.may_resend(method):  # the write went through or not; the marker will tell
            raise self.ambiguous(method, url, f"answered with {page} instead of JSON")
        raise BadResponseError(
            self.secrets.scrub(
                f"{self.tracker} answered {self.name(method, url)} with {page} instead of JSON"
            ),
            hint=f"{self.hint}; a proxy or sign-on page may be answering instead of the API",
        )

    def unreachable(self, method: str, url: str, reason: str) -> UnreachableError:
        host = urllib.parse.urlsplit(url).netloc
        return UnreachableError(
            self.secrets.scrub(f"cannot connect to {self.tracker} at {host} ({reason})"),
            hint=self.hint,
        )

    def ambiguous(self, method: str, url: str, reason: str, wait: float | None = None) -> AmbiguousWriteError:
        err = AmbiguousWriteError(
            self.secrets.scrub(
                f"{self.tracker} {reason} on {self.name(method, url)}; the write may or may not have happened"
            ),
            hint="pm-sync looks the ticket up by its marker before creating anything again",
        )
        err.retry_after = wait  # type: ignore[attr-defined]
        return err

    def answered(self, status: int, content_type: str, body: bytes) -> str:
        """`answered 502 (an HTML page titled '502 Bad Gateway' (5.9 KB))`, for messages."""
        if not body.strip():
            return f"answered {status}"
        return f"answered {status} ({error_text(body, content_type, 120, self.secrets)})"

    def limited(self, method: str, url: str, wait: float) -> RateLimitedError:
        until = dt.datetime.fromtimestamp(clock.now() + wait, dt.UTC).strftime("%H:%M:%S UTC")
        return RateLimitedError(
            f"{self.tracker} rate limit on {self.name(method, url)}: it asks for a wait of "
            f"{wait:.0f} s (until {until}), longer than pm-sync waits ({self.max_wait:.0f} s)",
            hint="run again after that time, or raise the tracker's max_wait",
        )

    def kept_limiting(self, method: str, url: str, attempts: int) -> RateLimitedError:
        return RateLimitedError(
            f"{self.tracker} kept rate limiting {self.name(method, url)} after {attempts} attempts",
            hint="run again later",
        )

    def pause(self, seconds: float, method: str, url: str, why: str) -> None:
        clock.wait(seconds, f"{self.tracker} {why} ({self.name(method, url)})")

    def try_again(self, method: str, url: str, attempt: int, timed_out: bool) -> None:
        """Back off before sending a read again. One that timed out has kept the run waiting
        for `read_timeout` already, so the retry is said however short its backoff: a server
        that never answers is never a silent minute."""
        seconds = self.backoff * 2.0 ** (attempt - 1)
        if timed_out:
            clock.wait(
                seconds,
                f"{self.tracker} did not answer {self.name(method, url)} within "
                f"{self.read_timeout:g} s (try {attempt} of {self.attempts})",
                noticed=self.read_timeout >= clock.ANNOUNCE_AFTER,
            )
        else:
            self.pause(seconds, method, url, "dropped the connection")

    def may_resend(self, method: str, status: int | None = None) -> bool:
        return method.upper() in IDEMPOTENT or _resendable.get() or status in self.resend_on


def retry_after(value: str | None, now: float) -> float | None:
    """`Retry-After` as seconds: `120`, `1.5` (not RFC, but sent), or an HTTP date."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return max(0.0, when.timestamp() - now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def reset_wait(value: str | None, now: float) -> float | None:
    """A rate-limit reset header: epoch seconds (GitHub) or an ISO 8601 time (Jira)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return max(0.0, int(text) - now) + 1.0
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - now) + 1.0


_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def summarize(body: bytes, content_type: str = "", secrets: Secrets | None = None) -> str:
    """A reply body in one short phrase: an HTML page by its title, text by its first words.
    Secrets are scrubbed before anything is cut short, so no piece of one survives a cut."""
    clean = secrets.scrub if secrets is not None else str
    size = len(body)
    kb = f"{size / 1024:.1f} KB" if size >= 1024 else f"{size} bytes"
    head = body[:4096]
    if b"<html" in head.lower() or "html" in content_type.lower() or head.lstrip().startswith(b"<"):
        match = _TITLE.search(head)
        title = clean(html.unescape(match.group(1).decode("utf-8", "replace"))) if match else ""
        title = " ".join(title.split())[:80]
        return f"an HTML page{f' titled {title!r}' if title else ''} ({kb})"
    text = " ".join(clean(head.decode("utf-8", "replace")).split())
    if len(text) > 120:
        text = text[:119] + "…"
    return f"{content_type.split(';', maxsplit=1)[0] or 'text'} {text!r} ({kb})"


def error_text(body: bytes, content_type: str = "", limit: int = 300, secrets: Secrets | None = None) -> str:
    """What an error reply says, for a message: JSON as sent (cut short), pages summarised;
    scrubbed of `secrets` before it is cut."""
    if "json" in content_type.lower():
        text = body[:65536].decode("utf-8", "replace")
        text = " ".join((secrets.scrub(text) if secrets is not None else text).split())
        return text if len(text) <= limit else text[: limit - 1] + "…"
    return summarize(body, content_type, secrets)


class PageGuard:
    """Pagination that never ends (a repeating token, a `next` link to itself) is stopped."""

    def __init__(self, tracker: str, what: str, limit: int = MAX_PAGES) -> None:
        self.tracker, self.what, self.limit = tracker, what, limit
        self.seen: set[str] = set()
        self.items: set[str] = set()

    def _loops(self) -> BadResponseError:
        return BadResponseError(
            f"{self.tracker} sent the same page again while {self.what} (pagination loops)",
            hint="this is a server fault; report it to the tracker's administrators",
        )

    def page(self, ids: Iterable[str]) -> None:
        """A page that says more follow must bring something new; one that only repeats what
        came before (or brings nothing) means the server is going round in circles."""
        fresh = set(ids) - self.items
        if not fresh:
            raise self._loops()
        self.items |= fresh

    def next(self, token: str) -> None:
        if token in self.seen:
            raise self._loops()
        self.seen.add(token)
        if len(self.seen) > self.limit:
            raise BadResponseError(
                f"{self.tracker} kept paginating past {self.limit} pages while {self.what}",
                hint="this is a server fault; report it to the tracker's administrators",
            )


SHAPE_ERRORS: tuple[type[Exception], ...] = (
    TypeError,
    ValueError,
    KeyError,
    AttributeError,
    IndexError,
    RecursionError,  # JSON nested deeper than any API answer, read by the stdlib's decoder
)


@contextmanager
def reply_shape(tracker: str, what: str) -> Iterator[None]:
    """Around every call into a connector: a reply its code could not read (a number where a
    list belongs, a string where an object does) is a `BadResponseError` naming the tracker and
    the step, never a traceback; the place it broke is named for whoever reports it."""
    try:
        yield
    except SHAPE_ERRORS as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        where = f" in {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
        raise BadResponseError(
            f"{tracker} answered in a shape pm-sync cannot read while {what} ({type(exc).__name__}{where})",
            hint="check the tracker URL; a proxy or a server fault may be answering",
        ) from None


def require(condition: bool, tracker: str, what: str, detail: str) -> None:
    """An answer whose shape the API does not document is an error, never "nothing found"."""
    if not condition:
        raise BadResponseError(
            f"{tracker} answered with {detail} while {what}, which its API never sends",
            hint="check the tracker URL; a proxy or sign-on page may be answering instead",
        )
