"""The HTTP policy at the `requests` seam, for the SDKs built on it (`jira`, PyGithub).

Mounted as the session's adapter with the SDK's own retries off, so every request the SDK makes
passes through `Policy` exactly once per attempt.
"""

from __future__ import annotations

import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    DecodeError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from pm_sync.errors import TrackerError
from pm_sync.tracker.http import Policy

CHUNK = 64 * 1024


def _not_sent(exc: requests.RequestException, policy: Policy) -> str | None:
    """Why nothing reached the server, or None when the request may have arrived."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"no connection within {policy.connect_timeout:g} s"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake failed"
    if isinstance(exc, requests.exceptions.ProxyError):
        return "the proxy refused the connection"
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return "the URL is not valid"
    if isinstance(exc, requests.exceptions.ConnectionError) and not isinstance(
        exc, requests.exceptions.ChunkedEncodingError
    ):
        reason: Any = exc.args[0] if exc.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        if isinstance(reason, NameResolutionError):
            return "the host name does not resolve"
        if isinstance(reason, NewConnectionError):
            text = str(reason).lower()
            return "connection refused" if "refused" in text else "no connection"
    return None


def _read_body(response: requests.Response, policy: Policy) -> bytes:
    """The whole body, within the policy's deadline and size cap: a server that trickles bytes
    (each read within the read timeout, the whole never done) or inflates a small gzip into
    gigabytes is stopped, as a timeout or an oversized answer. `read1` returns what has
    arrived, so the deadline is checked while a trickle goes on, not after it."""
    deadline = time.monotonic() + policy.total_timeout
    chunks: list[bytes] = []
    size = 0
    raw = response.raw
    try:
        while True:
            try:
                chunk = raw.read1(CHUNK, decode_content=True)
            except ReadTimeoutError:
                raise requests.exceptions.ReadTimeout("no data within the read timeout") from None
            except DecodeError as exc:
                raise requests.exceptions.ContentDecodingError(str(exc)) from None
            except (ProtocolError, OSError) as exc:
                raise requests.exceptions.ChunkedEncodingError(str(exc)) from None
            if not chunk:
                break
            size += len(chunk)
            if size > policy.max_body:
                raise TooLarge(size)
            if time.monotonic() > deadline:
                raise requests.exceptions.ReadTimeout("the answer took longer than the deadline")
            chunks.append(chunk)
    except BaseException:
        response.close()  # the connection is not reused
        raise
    body = b"".join(chunks)
    response._content = body  # what `response.content` would have read, now held
    response._content_consumed = True  # type: ignore[attr-defined]
    response.close()  # read to the end: the connection goes back to the pool
    return body


class TooLarge(Exception):
    """An answer past `Policy.max_body` bytes."""


class PolicyAdapter(HTTPAdapter):
    def __init__(self, policy: Policy, pool: int = 10) -> None:
        super().__init__(max_retries=0, pool_connections=pool, pool_maxsize=pool)
        self.policy = policy

    def send(  # noqa: PLR0917 - requests' HTTPAdapter.send signature
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        p = self.policy
        method = (request.method or "GET").upper()
        url = request.url or ""
        limits = (p.connect_timeout, p.read_timeout)
        attempt = 0
        while True:
            attempt += 1
            p.pace(method)
            try:
                response = super().send(
                    request, stream=True, timeout=limits, verify=verify, cert=cert, proxies=proxies
                )
                body = _read_body(response, p)  # a body cut short fails this attempt, here
            except requests.RequestException as exc:
                reason = _not_sent(exc, p)
                if reason is not None:
                    raise p.unreachable(method, url, reason) from None
                what = (
                    "did not answer in time"
                    if isinstance(exc, requests.exceptions.Timeout)
                    else "dropped the connection"
                )
                if not p.may_resend(method):
                    raise p.ambiguous(method, url, what) from None
                if attempt >= p.attempts:
                    raise TrackerError(
                        f"{p.tracker} {what} on {p.name(method, url)}, {attempt} times",
                        hint=f"{p.hint}; or raise the tracker's timeout",
                    ) from None
                p.try_again(method, url, attempt, timed_out=isinstance(exc, requests.exceptions.Timeout))
                continue
            except TooLarge:
                raise p.too_large(method, url) from None
            headers = {k.lower(): v for k, v in response.headers.items()}
            status = response.status_code
            p.check_redirect(method, url, status, headers.get("location"))
            if status >= 400:
                text = body[:65536].decode("utf-8", "replace")
                wait = p.wait_for(status, headers, text, attempt)
                if wait is not None:
                    limit = p.is_limit(status, headers, text)
                    if not p.may_resend(method, status):
                        raise p.ambiguous(
                            method,
                            url,
                            p.answered(status, headers.get("content-type", ""), body),
                            wait if limit else None,
                        )
                    if limit and wait > p.max_wait:
                        raise p.limited(method, url, wait)
                    if attempt >= p.attempts:
                        if limit:
                            raise p.kept_limiting(method, url, attempt)
                        return response
                    p.pause(wait, method, url, "rate limit" if limit else f"answered {status}")
                    continue
            p.check_body(method, url, status, headers.get("content-type", ""), body)
            return response


MAX_REDIRECTS = 5
"""An API answers from where it is asked, or after a hop or two (a moved issue, http to https);
a chain longer than this is a loop or a sign-on maze, never an answer."""


def mount(session: requests.Session, policy: Policy) -> PolicyAdapter:
    adapter = PolicyAdapter(policy)
    session.max_redirects = MAX_REDIRECTS
    for prefix in ("http://", "https://"):
        session.mount(prefix, adapter)
    return adapter
