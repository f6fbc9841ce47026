"""A response-rewriting proxy on 127.0.0.1, put between pm-sync and a fake tracker.

It forwards each request to the upstream (FakeJira, FakeGitHub, or any stdlib server) and,
for requests a rule matches, plays the misbehaving network or server an attacker would: a
status, headers or body put in place of the real ones (after the upstream acted, or instead of
asking it), a delay, a connection dropped after forwarding, a redirect to another host, an
HTML page, a callback run while the request is held. Stdlib only, so tests need no network.

    with FakeJira() as jira, Proxy(jira.url) as proxy:
        proxy.rule("POST", r"/issue/bulk$", status=503, headers={"Retry-After": "0"})
        # pm-sync is pointed at proxy.url

Every absolute URL of the upstream in headers and bodies (Link, Location, `self`, `url`) is
rewritten to the proxy's own, as a reverse proxy does, so clients that check the host they
follow (PyGithub) keep working. Every response says `Connection: close`, so no client reuses
a connection the proxy may drop.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Barrier", "Exchange", "Proxy", "Reply", "Rule", "html_page", "proxy"]

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "host",
    "accept-encoding",
}


@dataclass
class Exchange:
    """One request through the proxy, and what the client was finally sent."""

    method: str
    path: str  # without the query
    query: str
    headers: dict[str, str]
    body: bytes
    forwarded: bool = False
    upstream_status: int | None = None
    status: int | None = None  # None: the connection was dropped
    rule: str | None = None

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip() else None


Body = bytes | str | dict[str, Any] | list[Any] | None
Reply = tuple[int, dict[str, str], bytes]
"""(status, headers, body) as the client will get them."""
Rewrite = Callable[[Exchange, int, dict[str, str], bytes], Reply]


@dataclass
class Rule:
    """What to do with the next `times` requests matching `method` and `path` (re.search on the
    path without its query; None = every method / path).

    forward=True: the upstream gets the request (and acts on it) first; the client then gets
    the upstream's answer with `status`, `headers`, `body` laid over it, or `rewrite`'s result,
    or nothing at all (`drop`). forward=False: the upstream never sees it; the client gets
    `status`/`headers`/`body` (or a redirect, or a drop). `delay` is slept before answering;
    `hold` is called (with the exchange) before forwarding, e.g. to edit a file or wait on a
    barrier while the request is in flight.
    """

    method: str | None
    path: str | None
    status: int | None = None
    headers: dict[str, str] | None = None
    body: Body = None
    content_type: str | None = None
    rewrite: Rewrite | None = None
    forward: bool = True
    drop: bool = False
    delay: float = 0.0
    redirect: str | None = None
    hold: Callable[[Exchange], None] | None = None
    trickle: float = 0.0
    """Seconds between 16-byte pieces of the body: each read is quick, the whole never is."""
    times: int | None = 1
    name: str = ""
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method not in (None, "*") and self.method.upper() != method:
            return False
        return self.path is None or re.search(self.path, path) is not None


def html_page(title: str, size: int = 6000, extra: str = "") -> str:
    """An HTML error or sign-on page of about `size` bytes, as proxies and SSO gates send."""
    filler = "<p>" + "Lorem ipsum dolor sit amet, please sign in to continue. " * 4 + "</p>\n"
    head = f"<!DOCTYPE html>\n<html><head><title>{title}</title></head><body>\n<h1>{title}</h1>\n{extra}\n"
    parts = [head]
    while sum(len(p) for p in parts) < size:
        parts.append(filler)
    parts.append("</body></html>\n")
    return "".join(parts)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "HostileProxy/1.0"
    disable_nagle_algorithm = True
    wbufsize = -1

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _go(self) -> None:
        proxy: Proxy = self.server.proxy  # type: ignore[attr-defined]
        proxy._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _go


class Proxy:
    """Forwards to `upstream` (``http://127.0.0.1:PORT``); see the module docstring."""

    def __init__(self, upstream: str, *, timeout: float = 30.0) -> None:
        parts = urllib.parse.urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError("the proxy forwards to a plain http://host:port upstream")
        self.upstream = f"http://{parts.hostname}:{parts.port or 80}"
        self._host, self._port = parts.hostname, parts.port or 80
        self.timeout = timeout
        self.rules: list[Rule] = []
        self.log: list[Exchange] = []
        self._lock = threading.RLock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.proxy = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Proxy:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # ends any trickling answer
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> Proxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ rules and log

    def rule(self, method: str | None, path: str | None, **kwargs: Any) -> Rule:
        """Add a rule (see `Rule`); the first matching rule with hits left applies."""
        rule = Rule(method, path, **kwargs)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def seen(self, method: str | None = None, path: str | None = None) -> list[Exchange]:
        with self._lock:
            return [
                e
                for e in self.log
                if (method is None or e.method == method.upper())
                and (path is None or re.search(path, e.path) is not None)
            ]

    # ------------------------------------------------------------------ serving

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        split = urllib.parse.urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        ex = Exchange(h.command, split.path, split.query, dict(h.headers.items()), body)
        with self._lock:
            self.log.append(ex)
            rule = next((r for r in self.rules if r.matches(h.command, split.path)), None)
            if rule is not None:
                rule.hits += 1
                ex.rule = rule.name or f"{rule.method} {rule.path}"
        if rule is not None and rule.hold is not None:
            rule.hold(ex)
        if rule is None or rule.forward:
            try:
                status, headers, data = self._forward(h, ex)
            except OSError:
                return self._drop(h, ex)
            ex.forwarded, ex.upstream_status = True, status
        else:
            status, headers, data = 200, {}, b""
        if rule is not None:
            if rule.delay:
                time.sleep(rule.delay)
            if rule.drop:
                return self._drop(h, ex)
            status, headers, data = self._apply(rule, ex, status, headers, data)
        self._send(h, ex, status, headers, data, trickle=rule.trickle if rule else 0.0)

    def _forward(self, h: BaseHTTPRequestHandler, ex: Exchange) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
        try:
            headers = {k: v for k, v in ex.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Host"] = f"{self._host}:{self._port}"
            target = ex.path + (f"?{ex.query}" if ex.query else "")
            conn.request(ex.method, target, body=ex.body or None, headers=headers)
            response = conn.getresponse()
            data = response.read()
            out = {k: v for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP}
            return response.status, out, data
        finally:
            conn.close()

    def _apply(
        self, rule: Rule, ex: Exchange, status: int, headers: dict[str, str], data: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if rule.redirect is not None:
            return (
                rule.status or 302,
                {"Location": rule.redirect, "Content-Type": "text/html"},
                (html_page("Moved", 300).encode()),
            )
        if rule.rewrite is not None:
            status, headers, data = rule.rewrite(ex, status, dict(headers), data)
        if rule.status is not None:
            status = rule.status
        if rule.body is not None:
            data, kind = _encode(rule.body)
            headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            headers["Content-Type"] = rule.content_type or kind
        elif rule.content_type is not None:
            headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            headers["Content-Type"] = rule.content_type
        if rule.headers:
            lowered = {k.lower() for k in rule.headers}
            headers = {k: v for k, v in headers.items() if k.lower() not in lowered}
            headers.update(rule.headers)
        return status, headers, data

    def _local(self, data: bytes) -> bytes:
        return data.replace(self.upstream.encode(), self.url.encode())

    def _send(
        self,
        h: BaseHTTPRequestHandler,
        ex: Exchange,
        status: int,
        headers: dict[str, str],
        data: bytes,
        *,
        trickle: float = 0.0,
    ) -> None:
        ex.status = status
        if "gzip" not in str(headers.get("Content-Encoding", "")):
            data = self._local(data)
        try:
            h.send_response(status)
            for key, value in headers.items():
                h.send_header(key, value.replace(self.upstream, self.url))
            h.send_header("Content-Length", str(len(data)))
            h.send_header("Connection", "close")
            h.end_headers()
            if data and h.command != "HEAD":
                step = 16 if trickle else len(data)
                for start in range(0, len(data), step):
                    h.wfile.write(data[start : start + step])
                    h.wfile.flush()
                    if trickle and not self._stopping.wait(trickle):
                        continue
                    if trickle:
                        break
            h.wfile.flush()
        except OSError:
            pass
        h.close_connection = True

    @staticmethod
    def _drop(h: BaseHTTPRequestHandler, ex: Exchange) -> None:
        ex.status = None
        h.close_connection = True
        with contextlib.suppress(OSError):
            h.connection.shutdown(socket.SHUT_RDWR)


def _encode(body: Body) -> tuple[bytes, str]:
    if isinstance(body, bytes):
        return body, "application/octet-stream"
    if isinstance(body, str):
        kind = "text/html; charset=utf-8" if body.lstrip().startswith("<") else "text/plain; charset=utf-8"
        return body.encode(), kind
    return json.dumps(body).encode(), "application/json; charset=utf-8"


@contextlib.contextmanager
def proxy(upstream: str) -> Iterator[Proxy]:
    with Proxy(upstream) as p:
        yield p


@dataclass
class Barrier:
    """Hold requests until `parties` of them are in flight (or `timeout` passes), so two runs
    both get past a look-up before either creates."""

    parties: int
    timeout: float = 20.0
    _barrier: threading.Barrier = field(init=False)

    def __post_init__(self) -> None:
        self._barrier = threading.Barrier(self.parties, timeout=self.timeout)

    def __call__(self, ex: Exchange) -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            self._barrier.wait()
