"""The rewriting proxy the hostile stories stand on: it forwards, rewrites, and misbehaves only
as told, so a passing story means pm-sync coped, not that the proxy did nothing."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request

import pytest

from tests.fakes.fake_github import FakeGitHub
from tests.fakes.proxy import Proxy, html_page

TOKEN = "ghp_proxytest"


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-cased names) and body."""
    request = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


@pytest.fixture
def github() -> FakeGitHub:
    fake = FakeGitHub(token=TOKEN)
    fake.add_repo("acme/app")
    for n in range(3):
        fake.add_issue("acme/app", f"issue {n}")
    return fake


def test_it_forwards_and_speaks_for_the_upstream(github: FakeGitHub) -> None:
    with github, Proxy(github.url) as proxy:
        status, headers, body = get(f"{proxy.url}/repos/acme/app/issues?per_page=1")

    assert status == 200 and len(json.loads(body)) == 1
    assert github.url not in body.decode() and proxy.url in body.decode()  # URLs are the proxy's
    assert proxy.url in headers["link"] and github.url not in headers["link"]
    assert [e.status for e in proxy.seen("GET")] == [200] and proxy.seen()[0].forwarded


def test_a_rule_applies_as_many_times_as_told_and_only_where_it_matches(github: FakeGitHub) -> None:
    with github, Proxy(github.url) as proxy:
        proxy.rule("GET", r"/issues$", forward=False, status=200, body=html_page("Sign in"), times=1)
        first = get(f"{proxy.url}/repos/acme/app/issues")
        second = get(f"{proxy.url}/repos/acme/app/issues")
        other = get(f"{proxy.url}/repos/acme/app")

    assert (
        first[0] == 200 and b"<title>Sign in</title>" in first[2] and "text/html" in first[1]["content-type"]
    )
    assert json.loads(second[2]) and json.loads(other[2])["full_name"] == "acme/app"
    assert [e.forwarded for e in proxy.seen()] == [False, True, True]
    assert len(github.requests_to("GET")) == 2  # the first never reached GitHub


def test_drop_after_forwarding_lets_the_upstream_act(github: FakeGitHub) -> None:
    with github, Proxy(github.url) as proxy:
        proxy.rule("POST", r"/issues$", drop=True)
        host, port = proxy.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        payload = json.dumps({"title": "made, answer lost"})
        conn.request("POST", "/repos/acme/app/issues", payload, {"Authorization": f"token {TOKEN}"})
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            conn.getresponse()

    assert [i["title"] for i in github.issues("acme/app")][-1] == "made, answer lost"
    assert proxy.seen("POST")[0].status is None and proxy.seen("POST")[0].upstream_status == 201


def test_a_redirect_names_the_other_host(github: FakeGitHub) -> None:
    with github, Proxy(github.url) as proxy:
        proxy.rule(None, None, redirect="https://sso.example.com/login", forward=False)
        request = urllib.request.Request(f"{proxy.url}/repos/acme/app")
        opener = urllib.request.build_opener(NoRedirect())
        with pytest.raises(urllib.error.HTTPError) as caught:
            opener.open(request, timeout=5)

    assert caught.value.code == 302 and caught.value.headers["Location"] == "https://sso.example.com/login"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None
