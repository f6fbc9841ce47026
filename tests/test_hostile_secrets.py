"""Never a leaked secret (issue 10, items 11 and 12).

A proxy answers with error bodies that echo the request back, headers included, in every
spelling a token travels in (raw, Basic-auth base64 of `email:token`, URL-encoded, JSON-escaped,
in an HTML page's title, right where a message is cut short). No output and no file may hold any
of them, for Jira, GitHub and Slack. A token that cannot go into a header (a line break, a
character outside Latin-1) is a config error naming its variable, never echoing it.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import STANDARD_ROWS, SkipClock, postmortem_text, use_clock
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.proxy import Exchange, Proxy, Reply, Rewrite, html_page
from tests.hostile_support import (
    GH_TOKEN,
    GH_TOKEN_ENV,
    JIRA_TOKEN,
    JIRA_TOKEN_ENV,
    GitHubStage,
    JiraStage,
    Project,
    Run,
    github_stage,
    jira_stage,
    one_line_errors,
)
from tests.jira_support import JiraEnv
from tests.sync_support import GH_TOKEN as GH_FIXTURE_TOKEN
from tests.sync_support import Cli, fresh_doc, gh, make_jira, scan_for

__all__ = ["gh", "github_stage", "jira_stage", "make_jira"]

SEARCH = r"/rest/api/\d/search(/jql)?$"
GH_ISSUES = r"^/repos/acme/app/issues$"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def spellings(token: str, user: str | None = None) -> list[str]:
    forms = [
        token,
        urllib.parse.quote(token, safe=""),
        urllib.parse.quote_plus(token),
        b64(token),
        json.dumps(token)[1:-1].replace("/", "\\/"),
    ]
    if user:
        forms.append(b64(f"{user}:{token}"))
    return forms


def token_of(ex: Exchange) -> tuple[str, str]:
    """(the whole Authorization header, the token inside it)."""
    auth = next((v for k, v in ex.headers.items() if k.lower() == "authorization"), "")
    scheme, _, cred = auth.partition(" ")
    if scheme.lower() == "basic":
        return auth, base64.b64decode(cred).decode().split(":", 1)[1]
    return auth, cred


def echo_text(ex: Exchange, pad: int = 0) -> str:
    """What a careless server or proxy says back: the request, credentials and all."""
    auth, token = token_of(ex)
    return (
        "p" * pad + f" {token} | Request {ex.method} {ex.path} headers: Authorization: {auth}; "
        f"query token={urllib.parse.quote(token, safe='')}; form={urllib.parse.quote_plus(token)}; "
        f"b64={b64(token)}"
    )


def echo(status: int, shape: str, pad: int = 0) -> Rewrite:
    def rewrite(ex: Exchange, _: int, headers: dict[str, str], body: bytes) -> Reply:
        text = echo_text(ex, pad)
        kind = "application/json"
        if shape == "jira":
            data = json.dumps({"errorMessages": [text], "errors": {"summary": text}})
        elif shape == "jira-escaped":  # Java servers often write "/" as "\/"
            data = json.dumps({"errorMessages": [text]}).replace("/", "\\/")
        elif shape == "jira-bulk":
            failure = {
                "status": 400,
                "failedElementNumber": 0,
                "elementErrors": {"errorMessages": [text], "errors": {"summary": text}},
            }
            data = json.dumps({"issues": [], "errors": [failure]})
        elif shape == "github":
            data = json.dumps(
                {"message": text, "errors": [{"resource": "Issue", "code": "custom", "message": text}]}
            )
        else:
            _, token = token_of(ex)
            data, kind = (
                html_page(f"Error {status} for {token}", 3000, extra=f"<pre>{text}</pre>"),
                "text/html",
            )
        return status, {"Content-Type": kind}, data.encode()

    return rewrite


def assert_no_secret(run: Run, project: Project, token: str, user: str | None = None) -> None:
    everything = run.output + project.files_text()
    for form in spellings(token, user):
        assert form not in everything, form
        assert form[:12] not in everything, form[:12]  # nor a piece of one, cut short


JIRA_CASES = {
    "search 400 echoing headers": ("*", SEARCH, 400, "jira", 0),
    "search 403 echoing headers": ("*", SEARCH, 403, "jira", 0),
    "search 401 echoing headers": ("*", SEARCH, 401, "jira", 0),
    "search 500 HTML page with the token in its title": ("*", SEARCH, 500, "html", 0),
    "search 400 with slashes escaped": ("*", SEARCH, 400, "jira-escaped", 0),
    "search 400 with the token where the message is cut": ("*", SEARCH, 400, "jira", 280),
    "bulk create 400 element errors echoing headers": ("POST", r"/issue/bulk$", 400, "jira-bulk", 0),
    "bulk create 503 echoing headers": ("POST", r"/issue/bulk$", 503, "jira", 100),
}


@pytest.mark.parametrize("case", list(JIRA_CASES))
def test_jira_error_echoing_the_request_never_shows_the_token(jira_stage: JiraStage, case: str) -> None:
    stage, project = jira_stage, jira_stage.project
    method, path, status, shape, pad = JIRA_CASES[case]
    project.write_doc()
    stage.proxy.rule(method, path, forward=False, rewrite=echo(status, shape, pad), times=None)

    result = project.push()

    assert result.code == 1, result.stdout
    one_line_errors(result)
    assert_no_secret(result, project, JIRA_TOKEN, stage.fake.email if stage.cloud else None)
    assert stage.fake.issues == []


GITHUB_CASES = {
    "listing 500 echoing headers": ("GET", GH_ISSUES, 500, "github", 0),
    "listing 403 echoing headers": ("GET", GH_ISSUES, 403, "github", 0),
    "listing 404 with the token where the message is cut": ("GET", GH_ISSUES, 404, "github", 285),
    "create 422 echoing headers": ("POST", GH_ISSUES, 422, "github", 0),
    "create 502 HTML page with the token in its title": ("POST", GH_ISSUES, 502, "html", 0),
}


@pytest.mark.parametrize("case", list(GITHUB_CASES))
def test_github_error_echoing_the_request_never_shows_the_token(github_stage: GitHubStage, case: str) -> None:
    stage, project = github_stage, github_stage.project
    method, path, status, shape, pad = GITHUB_CASES[case]
    project.write_doc()
    stage.proxy.rule(method, path, forward=False, rewrite=echo(status, shape, pad), times=None)

    result = project.push()

    assert result.code == 1, result.stdout
    one_line_errors(result)
    assert_no_secret(result, project, GH_TOKEN)
    assert stage.issues() == []


def slack_project(tmp_path: Path, url_env: str, url: str) -> Project:
    project = Project(tmp_path, "local", {}, {url_env: url})
    project.write_config()
    project.doc.write_text(postmortem_text([(*r, "") for r in STANDARD_ROWS]))
    return project


@pytest.mark.parametrize("status", [400, 500])
def test_slack_error_echoing_the_webhook_url_never_shows_it(tmp_path: Path, status: int) -> None:
    with Proxy("http://127.0.0.1:9") as slack:  # never forwards: it plays Slack itself
        secret = "B07SECRET/xoxwebhookT0ken+9="
        url = f"{slack.url}/services/T0001/{secret}"

        def rewrite(ex: Exchange, _: int, headers: dict[str, str], body: bytes) -> Reply:
            text = (
                f"invalid_token for {url} (path {ex.path}, encoded {urllib.parse.quote(url, safe='')}, "
                f"json {json.dumps(url)[1:-1].replace('/', chr(92) + '/')})"
            )
            return status, {"Content-Type": "text/plain"}, text.encode()

        slack.rule("POST", None, forward=False, rewrite=rewrite, times=None)
        project = slack_project(tmp_path, "PMSYNC_HOSTILE_SLACK", url)

        result = project.run(
            "overdue", "--as-of", "2024-03-01", "--slack-webhook-env", "PMSYNC_HOSTILE_SLACK"
        )

        assert result.code == 1 and "$PMSYNC_HOSTILE_SLACK" in result.stderr
        assert len(slack.seen("POST")) == 1  # a 500 may come after Slack posted: never posted twice
        assert_no_secret(result, project, secret)
        assert "T0001" not in result.output


# ------------------------------------------------------------------ 12. tokens no header can carry

BAD_TOKENS = {
    "a line break": "first-half\nsecond-half",
    "a carriage return": "first-half\rsecond-half",
    "a character outside Latin-1": "first-half€second-half",
    "a control character": "first-half\x01second-half",
}


@pytest.mark.parametrize("bad", list(BAD_TOKENS))
def test_jira_token_no_header_can_carry_is_a_config_error(jira_stage: JiraStage, bad: str) -> None:
    stage, project = jira_stage, jira_stage.project
    project.write_doc()

    result = project.push(env={JIRA_TOKEN_ENV: BAD_TOKENS[bad]})

    assert result.code == 2, result.output
    assert JIRA_TOKEN_ENV in result.stderr and "trackers.jira.token_env" in result.stderr
    assert "first-half" not in result.output and "second-half" not in result.output
    assert stage.fake.request_log == [] and stage.fake.issues == []


@pytest.mark.parametrize("bad", list(BAD_TOKENS))
def test_github_token_no_header_can_carry_is_a_config_error(github_stage: GitHubStage, bad: str) -> None:
    stage, project = github_stage, github_stage.project
    project.write_doc()

    result = project.push(env={GH_TOKEN_ENV: BAD_TOKENS[bad]})

    assert result.code == 2, result.output
    assert GH_TOKEN_ENV in result.stderr and "trackers.github.token_env" in result.stderr
    assert "first-half" not in result.output and "second-half" not in result.output
    assert stage.issues() == []


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.example/services/T0/B0/first-half\nsecond-half",
        "https://hooks.slack.example/services/T0/B0/first-half second-half",
        "https://hooks.slack.example/services/T0/B0/first-half€second-half",
        "https://[hooks.slack.example/services/T0/B0/first-halfsecond-half",
    ],
)
def test_malformed_slack_url_is_a_clear_error_without_echoing_it(tmp_path: Path, url: str) -> None:
    project = slack_project(tmp_path, "PMSYNC_HOSTILE_SLACK", url)

    result = project.run("overdue", "--as-of", "2024-03-01", "--slack-webhook-env", "PMSYNC_HOSTILE_SLACK")

    assert result.code == 2 and "PMSYNC_HOSTILE_SLACK" in result.stderr, result.output  # a config error
    assert "first-half" not in result.output and "second-half" not in result.output


@pytest.mark.parametrize("fault", ["401", "403", "500", "drop"])
def test_github_token_never_leaks_when_github_fails(
    workdir: Path, cli: Cli, gh: FakeGitHub, fault: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_clock(monkeypatch, SkipClock())  # the retries' backoff is recorded, not slept
    doc = fresh_doc(workdir, STANDARD_ROWS)
    if fault == "drop":
        gh.inject(None, None, drop=True, times=None)
    else:
        gh.inject(None, None, status=int(fault), times=None)

    results = [
        cli("push", str(doc)),
        cli("reconcile", str(doc), "--json"),
        cli("overdue", str(doc), "--as-of", "2024-02-01", "--format", "json"),
    ]

    assert [r.code for r in results[:2]] == [1, 1]
    for result in results:
        assert scan_for(GH_FIXTURE_TOKEN, result, workdir) == []


@pytest.mark.parametrize("fault", ["401", "403", "500", "drop"])
def test_jira_token_never_leaks_when_jira_fails(
    make_jira: Callable[..., JiraEnv], workdir: Path, cli: Cli, fault: str
) -> None:
    env = make_jira(token="jira-SECRET-token-5f4e3d2c1b")
    doc = env.write_doc()
    if fault == "drop":
        env.fake.inject(None, r".", drop=True, times=None)
    else:
        env.fake.inject(None, r".", status=int(fault), times=None)

    results = [
        cli("push", str(doc)),
        cli("reconcile", str(doc), "--json"),
        cli("overdue", str(doc), "--as-of", "2024-02-01"),
    ]

    assert [r.code for r in results[:2]] == [1, 1]
    for result in results:
        assert scan_for("jira-SECRET-token-5f4e3d2c1b", result, workdir) == []


def test_slack_webhook_url_never_printed_when_slack_is_unreachable(
    workdir: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = fresh_doc(workdir, STANDARD_ROWS)
    secret = "B0BLACKBOX/xoxSECRETwebhookPATH42"
    monkeypatch.setenv("BLACKBOX_SLACK", f"http://127.0.0.1:9/services/T000/{secret}")
    use_clock(monkeypatch, SkipClock())

    result = cli("overdue", str(doc), "--as-of", "2024-02-01", "--slack-webhook-env", "BLACKBOX_SLACK")

    assert result.code != 0
    assert "BLACKBOX_SLACK" in result.stdout + result.stderr
    for part in ("xoxSECRETwebhookPATH42", "B0BLACKBOX"):
        assert scan_for(part, result, workdir) == []
