"""The weekly overdue report goes to a Slack channel through an incoming webhook."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from pm_sync.reports.slack import SlackError, post_message
from tests.conftest import SkipClock, postmortem_text, use_clock

HOOK = "https://hooks.slack.com/services/T000TEST/B000TEST/s3cr3tW3bh00kT0k3n"
SECRET = "s3cr3tW3bh00kT0k3n"
VAR = "PM_SYNC_TEST_SLACK_HOOK"


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait of the shared HTTP policy, recorded instead of slept."""
    waits = SkipClock()
    use_clock(monkeypatch, waits)
    return waits.slept


@pytest.fixture
def hook_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(VAR, HOOK)
    return VAR


@pytest.fixture
def overdue_doc(workdir: Path) -> Path:
    doc = workdir / "postmortem-2024-01-15-payments.md"
    doc.write_text(
        postmortem_text(
            [
                ("P0", "Integration test for connection pool", "@alice", "2024-01-22", ""),
                ("P1", "Document <pool> & patterns", "@bob", "2024-01-29", ""),
            ]
        )
    )
    return doc


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text
        assert "hooks.slack.com/services" not in text


def run_report(cli: Any, *extra: str) -> Any:
    return cli("overdue", ".", "--as-of", "2024-01-25", "--slack-webhook-env", VAR, *extra)


@respx.mock(assert_all_called=True)
def test_report_is_posted_and_slack_answers_ok(
    respx_mock: respx.MockRouter,
    workdir: Path,
    cli: Any,
    hook_env: str,
    overdue_doc: Path,
    sleeps: list[float],
) -> None:
    route = respx_mock.post(HOOK).mock(return_value=httpx.Response(200, text="ok"))

    result = run_report(cli, "--format", "json")

    assert result.code == 0, result.stderr
    assert result.json()["overdue"][0]["action"] == "Integration test for connection pool"
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.content)
    assert list(body) == ["text"]
    assert body["text"].splitlines() == [
        "*Postmortem action items as of 2024-01-25 (P0, P1): 1 overdue, 1 due within 7 days, "
        "0 without owner or due date, 0 stale drafts*",
        "",
        "*Overdue (1)*",
        "• @alice: P0 Integration test for connection pool (due 2024-01-22, 3 days overdue) "
        "— _Payment API errors_",
        "",
        "*Due soon (1)*",
        "• @bob: P1 Document &lt;pool&gt; &amp; patterns (due 2024-01-29, in 4 days) — _Payment API errors_",
    ]
    assert result.stderr == f"posted the report to Slack (${VAR})\n"
    assert sleeps == []
    assert_no_secret(result.stdout, result.stderr)


@respx.mock(assert_all_called=True)
def test_429_waits_retry_after_then_posts(
    respx_mock: respx.MockRouter,
    workdir: Path,
    cli: Any,
    hook_env: str,
    overdue_doc: Path,
    sleeps: list[float],
) -> None:
    route = respx_mock.post(HOOK).mock(
        side_effect=[
            httpx.Response(429, text="rate_limited", headers={"Retry-After": "2"}),
            httpx.Response(200, text="ok"),
        ]
    )

    result = run_report(cli, "--fail-on-overdue")

    assert result.code == 1  # overdue items, and the post went through
    assert route.call_count == 2
    assert sleeps == [2.0]
    assert "posted the report to Slack" in result.stderr
    assert_no_secret(result.stdout, result.stderr)


@respx.mock(assert_all_called=True)
def test_429_is_retried_a_bounded_number_of_times(
    respx_mock: respx.MockRouter,
    workdir: Path,
    cli: Any,
    hook_env: str,
    overdue_doc: Path,
    sleeps: list[float],
) -> None:
    route = respx_mock.post(HOOK).mock(
        return_value=httpx.Response(429, text="rate_limited", headers={"Retry-After": "1"})
    )

    result = run_report(cli)

    assert result.code == 1
    assert route.call_count == 3
    assert sleeps == [1.0, 1.0]
    assert result.stderr == (
        f"error: Slack kept rate limiting the webhook in ${VAR} after 3 attempts "
        "(post less often; try again later)\n"
    )
    assert result.stdout.startswith("as of 2024-01-25")  # the report was still printed
    assert_no_secret(result.stdout, result.stderr)


@respx.mock(assert_all_called=True)
def test_long_retry_after_is_reported_not_slept(respx_mock: respx.MockRouter, sleeps: list[float]) -> None:
    respx_mock.post(HOOK).mock(
        return_value=httpx.Response(429, text="rate_limited", headers={"Retry-After": "3600"})
    )

    with pytest.raises(SlackError) as info:
        post_message(HOOK, "hello", source="$HOOK")

    assert str(info.value).startswith(
        "Slack rate limit on the webhook in $HOOK: it asks for a wait of 3600 s"
    )
    assert sleeps == []


@respx.mock(assert_all_called=True)
def test_a_5xx_is_reported_never_posted_twice(respx_mock: respx.MockRouter, sleeps: list[float]) -> None:
    """A 5xx may come after Slack posted: the one HTTP policy never sends such a write again."""
    route = respx_mock.post(HOOK).mock(return_value=httpx.Response(500, text="rollup_error"))

    with pytest.raises(SlackError) as info:
        post_message(
            HOOK, "hello", [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}], source="$HOOK"
        )

    assert route.call_count == 1 and sleeps == []
    assert str(info.value) == (
        "Slack answered 500 (text/plain 'rollup_error' (12 bytes)) on the webhook in $HOOK; "
        "the write may or may not have happened "
        "(look in the channel before posting the report again)"
    )
    assert json.loads(route.calls.last.request.content) == {
        "text": "hello",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
    }


@pytest.mark.parametrize(
    ("status", "code", "hint"),
    [
        (404, "channel_not_found", "the webhook's channel was deleted or the webhook revoked"),
        (410, "channel_is_archived", "the webhook's channel is archived"),
        (403, "action_prohibited", "a workspace admin restricted posting"),
        (400, "invalid_payload", "Slack could not read the message; this is a pm-sync bug"),
        (404, "no_service", "the webhook was disabled or revoked"),
    ],
)
def test_4xx_is_a_clear_error_without_retry_or_url(
    workdir: Path,
    cli: Any,
    hook_env: str,
    overdue_doc: Path,
    sleeps: list[float],
    status: int,
    code: str,
    hint: str,
) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(HOOK).mock(return_value=httpx.Response(status, text=code))

        result = run_report(cli, "--format", "markdown")

    assert result.code == 1
    assert route.call_count == 1
    assert sleeps == []
    assert result.stderr.startswith(f"error: Slack refused the message to ${VAR}: {status} {code} ({hint}")
    assert result.stdout.startswith("# Postmortem action items as of 2024-01-25")
    assert_no_secret(result.stdout, result.stderr)


@respx.mock(assert_all_called=True)
def test_an_error_body_echoing_the_url_is_scrubbed(respx_mock: respx.MockRouter, sleeps: list[float]) -> None:
    respx_mock.post(HOOK).mock(return_value=httpx.Response(400, text=f"bad request to {HOOK}"))

    with pytest.raises(SlackError) as info:
        post_message(HOOK, "hello", source="$HOOK")

    assert str(info.value) == (
        "Slack refused the message to $HOOK: 400 bad request to "
        "<webhook URL> (check the webhook URL and the Slack app's "
        "configuration)"
    )


@respx.mock(assert_all_called=True)
def test_unreachable_slack_fails_at_once_without_the_url(
    respx_mock: respx.MockRouter,
    workdir: Path,
    cli: Any,
    hook_env: str,
    overdue_doc: Path,
    sleeps: list[float],
) -> None:
    route = respx_mock.post(HOOK).mock(
        side_effect=httpx.ConnectError(f"connection refused while connecting to {HOOK}")
    )

    result = run_report(cli)

    assert result.code == 1
    assert route.call_count == 1 and sleeps == []  # a refused connection fails fast
    assert result.stderr == (
        "error: cannot connect to Slack at hooks.slack.com (connection refused), for the webhook in "
        f"${VAR} (check the network, then run again)\n"
    )
    assert_no_secret(result.stdout, result.stderr)


@respx.mock(assert_all_called=True)
def test_read_timeout_is_not_retried(respx_mock: respx.MockRouter, sleeps: list[float]) -> None:
    route = respx_mock.post(HOOK).mock(side_effect=httpx.ReadTimeout(f"timed out on {SECRET}"))

    with pytest.raises(SlackError) as info:
        post_message(HOOK, "hello", source="$HOOK")

    assert route.call_count == 1  # the message may have been posted; do not post it twice
    assert str(info.value) == (
        "Slack did not answer in time on the webhook in $HOOK; the write may or may not have happened "
        "(look in the channel before posting the report again)"
    )
    assert info.value.__cause__ is None and info.value.__suppress_context__


@respx.mock(assert_all_called=True)
def test_httpx_request_log_never_shows_the_url(
    respx_mock: respx.MockRouter, caplog: pytest.LogCaptureFixture, sleeps: list[float]
) -> None:
    respx_mock.post(HOOK).mock(return_value=httpx.Response(200, text="ok"))
    caplog.set_level(logging.DEBUG)

    post_message(HOOK, "hello")

    assert any(r.name == "httpx" for r in caplog.records)  # httpx did log the request
    assert_no_secret(caplog.text)
    assert "<webhook URL>" in caplog.text


def test_not_a_url_is_refused_without_echoing_it(sleeps: list[float]) -> None:
    with pytest.raises(SlackError) as info:
        post_message("xoxb-not-a-webhook-" + SECRET, "hello", source="$HOOK")

    assert str(info.value) == (
        "the Slack webhook URL in $HOOK is not an http(s) URL "
        "(copy the full https://hooks.slack.com/services/... URL)"
    )


@respx.mock(assert_all_called=True)
def test_200_without_ok_is_an_error(respx_mock: respx.MockRouter, sleeps: list[float]) -> None:
    respx_mock.post(HOOK).mock(return_value=httpx.Response(200, text="<html>login</html>"))

    with pytest.raises(SlackError, match="200 but '<html>login</html>' instead of 'ok'"):
        post_message(HOOK, "hello", source="$HOOK")


def test_unset_variable_is_a_usage_error_before_anything_runs(
    workdir: Path, cli: Any, overdue_doc: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VAR, "   ")

    result = run_report(cli)

    assert result.code == 2
    assert result.stdout == ""
    assert f"environment variable {VAR} (--slack-webhook-env) is not set or empty" in result.stderr
