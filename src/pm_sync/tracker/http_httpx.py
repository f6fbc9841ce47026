"""The HTTP policy at httpx's transport seam (GitHub GraphQL, Slack webhooks)."""

from __future__ import annotations

import time

import httpx

from pm_sync.errors import TrackerError
from pm_sync.tracker.http import Policy

_NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
)


class _TooLarge(Exception):
    """An answer past `Policy.max_body` bytes."""


def _read_body(response: httpx.Response, policy: Policy) -> bytes:
    """The whole (decoded) body within the policy's deadline and size cap, as in
    `http_requests`: no trickling server or inflating gzip holds the run."""
    deadline = time.monotonic() + policy.total_timeout
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > policy.max_body:
                raise _TooLarge(size)
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout("the answer took longer than the deadline")
            chunks.append(chunk)
    finally:
        response.close()
    response._content = b"".join(chunks)  # what `response.read()` would have read, now held
    return response._content


class PolicyTransport(httpx.BaseTransport):
    def __init__(self, policy: Policy, inner: httpx.BaseTransport | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpx.HTTPTransport(retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        p = self.policy
        method = request.method.upper()
        url = str(request.url)
        attempt = 0
        while True:
            attempt += 1
            p.pace(method)
            try:
                response = self.inner.handle_request(request)
                body = _read_body(response, p)
            except _NOT_SENT as exc:
                reason = (
                    "connection refused"
                    if "refused" in str(exc).lower()
                    else "the host name does not resolve"
                    if "name" in str(exc).lower()
                    else f"no connection ({type(exc).__name__})"
                )
                raise p.unreachable(method, url, reason) from None
            except httpx.TransportError as exc:
                what = (
                    "did not answer in time"
                    if isinstance(exc, httpx.TimeoutException)
                    else "dropped the connection"
                )
                if not p.may_resend(method):
                    raise p.ambiguous(method, url, what) from None
                if attempt >= p.attempts:
                    raise TrackerError(
                        f"{p.tracker} {what} on {p.name(method, url)}, {attempt} times", hint=p.hint
                    ) from None
                p.try_again(method, url, attempt, timed_out=isinstance(exc, httpx.TimeoutException))
                continue
            except _TooLarge:
                raise p.too_large(method, url) from None
            headers = {k.lower(): v for k, v in response.headers.items()}
            status = response.status_code
            p.check_redirect(method, url, status, headers.get("location"))
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

    def close(self) -> None:
        self.inner.close()


def client(policy: Policy, *, headers: dict[str, str] | None = None) -> httpx.Client:
    """An httpx client whose every request follows `policy`; redirects are not followed."""
    timeout = httpx.Timeout(policy.read_timeout, connect=policy.connect_timeout)
    return httpx.Client(
        transport=PolicyTransport(policy), timeout=timeout, headers=headers, follow_redirects=False
    )
