"""Black-box stories for the sync half (push, reconcile, overdue) through the real CLI.

Written from the specs (issues 3-6, README, config.example.toml) without looking at how the
engine does it: kills at random instants against a slow tracker, concurrent runs, exit codes
and `--json` shapes, dry runs checked through the trackers' request logs, secrets under
failing trackers, routing, and tracker doubles that differ from our fakes the way a double
written by someone else from the public docs might.

Every bug this pass found is fixed; its test stays here as a regression test.
"""

from __future__ import annotations

import collections
import json
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import tests.fakes.fake_jira as fake_jira_module
from tests.conftest import (
    STANDARD_ROWS,
    CliResult,
    SkipClock,
    local_tickets,
    postmortem_text,
    run_subprocess,
    use_clock,
)
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_jira import FakeJira
from tests.jira_support import ALICE, BOB, TOKEN_ENV, JiraEnv

Cli = Callable[..., CliResult]

FIVE_ROWS = [
    *STANDARD_ROWS,
    ("P2", "Evaluate canary deployment", "@alice", "2024-02-15"),
    ("P3", "Add deploy markers to dashboards", "@bob", "2024-02-20"),
]
PUSH_KEYS = {"file", "created", "updated", "unchanged", "errors"}
RECONCILE_KEYS = PUSH_KEYS | {"pulled", "conflicts", "missing"}
OVERDUE_KEYS = {"as_of", "overdue", "due_soon", "unowned", "stale_drafts"}
GH_TOKEN = "ghp_blackbox_SECRET_0123456789abcdef"
GH_TOKEN_ENV = "PMSYNC_BLACKBOX_GH_TOKEN"


# -- helpers ---------------------------------------------------------------------------------


def ticket_cells(doc: Path) -> list[str]:
    rows = [
        ln for ln in doc.read_text().splitlines() if ln.startswith("| P") and not ln.startswith("| Priority")
    ]
    return [ln.strip("|").split("|")[4].strip() for ln in rows]


def fresh_doc(
    folder: Path, rows: Any = FIVE_ROWS, name: str = "postmortem-2024-01-15-payments.md", **kw: Any
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    doc = folder / name
    doc.write_text(postmortem_text([(*r[:4], "") for r in rows], **kw))
    return doc


def start_jira(cls: type[FakeJira] = FakeJira, mode: str = "cloud", **kw: Any) -> FakeJira:
    fake = cls(mode=mode, **kw).start()
    fake.add_project("OPS", name="Operations", issue_types=["Task", "Bug"])
    fake.add_project("SEC", name="Security")
    fake.add_user(account_id=ALICE, name="alice", email="alice@example.com", display_name="Alice Adams")
    fake.add_user(account_id=BOB, name="bob", email="bob@example.com", display_name="Bob Brown")
    return fake


@pytest.fixture
def make_jira(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., JiraEnv]]:
    """Like tests.jira_support.jira_env, but for any FakeJira subclass and constructor options."""
    started: list[FakeJira] = []
    slept: list[float] = []
    monkeypatch.setattr("jira.resilientsession.time.sleep", slept.append)

    def make(cls: type[FakeJira] = FakeJira, mode: str = "cloud", **kw: Any) -> JiraEnv:
        fake = start_jira(cls, mode, **kw)
        started.append(fake)
        monkeypatch.setenv(TOKEN_ENV, fake.token)
        env = JiraEnv(fake, workdir, slept)
        env.write_config(owners={"@bob": env.ident("bob")})
        return env

    yield make
    for fake in started:
        fake.stop()


@pytest.fixture
def gh(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    """A FakeGitHub repo acme/app where alice and bob are assignable, and a config for it."""
    with FakeGitHub(token=GH_TOKEN) as fake:
        fake.add_repo("acme/app")
        fake.add_collaborator("acme/app", "alice")
        fake.add_collaborator("acme/app", "bob")
        monkeypatch.setenv(GH_TOKEN_ENV, GH_TOKEN)
        write_gh_config(workdir, fake)
        yield fake


def write_gh_config(workdir: Path, fake: FakeGitHub, top: str = "") -> None:
    (workdir / "pm-sync.toml").write_text(
        f'tracker = "github"\n{top}\n[trackers.github]\nrepo = "acme/app"\n'
        f'api_url = "{fake.api_url}"\ntoken_env = "{GH_TOKEN_ENV}"\ntimeout = 5\n'
        "seconds_between_writes = 0\n"
    )


def scan_for(secret: str, result: CliResult | subprocess.CompletedProcess[str], folder: Path) -> list[str]:
    """Every place the secret shows up: stdout, stderr, any file under the folder."""
    out = getattr(result, "stdout", "") or ""
    err = getattr(result, "stderr", "") or ""
    where = [name for name, text in (("stdout", out), ("stderr", err)) if secret in text]
    for path in folder.rglob("*"):
        if path.is_file() and secret.encode() in path.read_bytes():
            where.append(str(path.relative_to(folder)))
    return where


# -- push idempotency: SIGKILL at random instants, concurrent runs ---------------------------


def test_push_killed_at_random_instants_against_a_slow_jira_converges(
    make_jira: Callable[..., JiraEnv], workdir: Path
) -> None:
    """Kills land mid-request (latency on every Jira call); one clean run then converges."""
    env = make_jira(latency=0.04)
    doc = fresh_doc(workdir)
    rng = random.Random(4242)
    extra = {TOKEN_ENV: env.fake.token}
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-m", "pm_sync", "push", doc.name],
            cwd=workdir,
            env=_sub_env(extra),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.25, 1.1))
        proc.kill()
        proc.wait(timeout=30)

    final = run_subprocess(["push", doc.name, "--json"], workdir, extra)
    again = run_subprocess(["push", doc.name, "--json"], workdir, extra)

    assert final.returncode == 0, final.stdout + final.stderr
    summaries = collections.Counter(i["fields"]["summary"] for i in env.fake.issues)
    assert summaries == collections.Counter(r[1] for r in FIVE_ROWS)
    cells = ticket_cells(doc)
    assert all(cells) and len(set(cells)) == 5
    assert json.loads(again.stdout)[0]["created"] == [] and again.returncode == 0


def _sub_env(extra: dict[str, str]) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("PM_SYNC_")}
    env.update(extra)
    return env


def test_three_concurrent_pushes_and_a_reconcile_make_each_ticket_once(workdir: Path) -> None:
    doc = fresh_doc(workdir)
    commands = [["push", doc.name, "--json"]] * 3 + [["reconcile", doc.name, "--json"]]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "pm_sync", *c],
            cwd=workdir,
            env=_sub_env({}),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for c in commands
    ]
    outputs = [p.communicate(timeout=60) for p in procs]

    assert [p.returncode for p in procs] == [0, 0, 0, 0], outputs
    tickets = local_tickets(workdir)
    assert sorted(t["summary"] for t in tickets) == sorted(r[1] for r in FIVE_ROWS)
    created = [k for out, _ in outputs[:3] for k in json.loads(out)[0]["created"]]
    created += [k for k in json.loads(outputs[3][0])[0]["created"]]
    assert sorted(created) == sorted(t["key"] for t in tickets)
    assert sorted(ticket_cells(doc)) == sorted(t["key"] for t in tickets)


# -- exit codes and --json shapes -------------------------------------------------------------


def test_push_exit_codes_and_json_shapes(workdir: Path, cli: Cli) -> None:
    good = fresh_doc(workdir, STANDARD_ROWS, name="postmortem-a.md")
    draft = fresh_doc(workdir, STANDARD_ROWS, name="postmortem-b.md", status="Draft")
    broken = fresh_doc(workdir, [("P0", "Fix it", "@alice", "someday")], name="postmortem-c.md")
    draft_bytes = draft.read_bytes()

    one = cli("push", str(good), "--json")
    assert one.code == 0
    assert isinstance(one.json(), list) and set(one.one()) >= PUSH_KEYS  # a list, whatever the count
    assert one.one()["created"] == ["PM-1", "PM-2", "PM-3"]

    several = cli("push", str(good), str(draft), str(broken), "--json")
    assert several.code == 1  # a postmortem failed; the others were still processed
    data = several.json()
    assert isinstance(data, list) and [set(d) >= PUSH_KEYS for d in data] == [True] * 3
    assert data[0]["unchanged"] == ["PM-1", "PM-2", "PM-3"] and data[0]["errors"] == []
    assert data[1]["errors"] and data[1]["errors"][0]["line"] == 4
    assert data[2]["errors"] and data[2]["errors"][0]["line"] == 14
    assert draft.read_bytes() == draft_bytes
    assert len(local_tickets(workdir)) == 3

    assert cli("push").code == 2  # usage error
    assert cli("push", str(good), "--no-such-flag").code == 2


def test_reconcile_and_overdue_json_shapes(workdir: Path, cli: Cli) -> None:
    doc = fresh_doc(workdir / "docs" / "technical", STANDARD_ROWS)

    rec = cli("reconcile", "--json")
    assert rec.code == 0, rec.stdout + rec.stderr
    assert isinstance(rec.json(), list) and set(rec.json()[0]) >= RECONCILE_KEYS
    assert rec.json()[0]["created"] == ["PM-1", "PM-2", "PM-3"]
    assert ticket_cells(doc) == ["PM-1", "PM-2", "PM-3"]

    report = cli("overdue", "--as-of", "2024-01-20", "--format", "json")
    assert report.code == 0
    data = report.json()
    assert set(data) >= OVERDUE_KEYS and data["as_of"] == "2024-01-20"
    assert [(r["ticket"], r["days_overdue"]) for r in data["overdue"]] == [("PM-2", 3)]
    assert cli("overdue", "--as-of", "2024-01-20", "--fail-on-overdue").code == 1
    assert cli("overdue", "--as-of", "2024-13-45").code == 2
    assert cli("overdue", "--format", "xml").code == 2


# -- --dry-run touches nothing ----------------------------------------------------------------


@pytest.mark.parametrize("mode", ["cloud", "datacenter"])
def test_dry_runs_send_no_writes_to_jira_and_leave_bytes_alone(
    make_jira: Callable[..., JiraEnv], workdir: Path, cli: Cli, mode: str
) -> None:
    env = make_jira(mode=mode)
    doc = env.write_doc(FIVE_ROWS[:3])
    assert cli("push", str(doc)).code == 0
    doc.write_text(doc.read_text().replace("| @bob | 2024-01-17 |", "| @alice | 2024-01-19 |"))
    before = doc.read_bytes()
    env.fake.clear_log()

    for command in ("push", "reconcile"):
        result = cli(command, str(doc), "--dry-run", "--json")
        assert result.code == 0, result.stdout

    assert env.writes() == []
    assert doc.read_bytes() == before
    files = sorted(str(p.relative_to(workdir)) for p in workdir.rglob("*") if p.is_file())
    assert files == [".pm-sync/.gitignore", str(doc.relative_to(workdir)), "pm-sync.toml"]


def test_dry_runs_send_no_writes_to_github(workdir: Path, cli: Cli, gh: FakeGitHub) -> None:
    doc = fresh_doc(workdir, STANDARD_ROWS)
    assert cli("push", str(doc)).code == 0
    doc.write_text(
        doc.read_text()
        .replace("| @bob | 2024-01-17 |", "| @alice | 2024-01-19 |")
        .replace("Document connection", "Write down connection")
    )
    before = doc.read_bytes()
    gh.clear_log()

    for command in ("push", "reconcile"):
        assert cli(command, str(doc), "--dry-run", "--json").code == 0

    assert [r for r in gh.request_log if not r.is_read] == []
    assert doc.read_bytes() == before


# -- secrets under a failing tracker ----------------------------------------------------------


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
        assert scan_for(GH_TOKEN, result, workdir) == []


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


# -- config errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('trackr = "local"\n', "trackr"),
        ('unknown_owner = "maybe"\n', "unknown_owner"),
        ('labels = "postmortem"\n', "labels"),
        (
            'tracker = "jira"\n[trackers.jira]\nurl = "https://x.atlassian.net"\ntoken = "abc"\n',
            "trackers.jira.token",
        ),
        (
            'tracker = "jira"\n[trackers.jira]\nurl = "https://x.atlassian.net"\ntimeout = "fast"\n',
            "trackers.jira.timeout",
        ),
        ('tracker = "github"\n[trackers.github]\nrepo = "acme/app"\nbogus = 1\n', "trackers.github.bogus"),
    ],
)
def test_config_errors_exit_2_naming_file_and_key(workdir: Path, cli: Cli, text: str, key: str) -> None:
    doc = fresh_doc(workdir, STANDARD_ROWS)
    (workdir / "pm-sync.toml").write_text(text)
    before = doc.read_bytes()

    result = cli("push", str(doc), "--json")

    assert result.code == 2
    assert "pm-sync.toml" in result.stderr and key in result.stderr
    assert doc.read_bytes() == before and not (workdir / ".pm-sync").exists()


def test_unknown_tracker_name_names_the_config_file_and_key(workdir: Path, cli: Cli) -> None:
    doc = fresh_doc(workdir, STANDARD_ROWS)
    (workdir / "pm-sync.toml").write_text('tracker = "jirra"\n')

    result = cli("push", str(doc))

    assert result.code == 2
    assert "pm-sync.toml" in result.stderr and "tracker" in result.stderr.replace("unknown tracker", "")


@pytest.mark.parametrize("tracker", ["jira", "github"])
def test_missing_token_variable_is_a_config_error(
    workdir: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, tracker: str
) -> None:
    monkeypatch.delenv("BLACKBOX_UNSET_TOKEN", raising=False)
    settings = (
        'url = "https://acme.atlassian.net"\nemail = "bot@acme.com"\nproject = "OPS"\n'
        if tracker == "jira"
        else 'repo = "acme/app"\n'
    )
    (workdir / "pm-sync.toml").write_text(
        f'tracker = "{tracker}"\n[trackers.{tracker}]\n{settings}token_env = "BLACKBOX_UNSET_TOKEN"\n'
    )
    doc = fresh_doc(workdir, STANDARD_ROWS)

    result = cli("push", str(doc))

    assert result.code == 2
    assert "pm-sync.toml" in result.stderr + result.stdout
    assert f"trackers.{tracker}.token_env" in result.stderr + result.stdout


# -- identity of action items ---------------------------------------------------------------


def test_same_file_name_in_two_folders_gets_its_own_tickets(workdir: Path, cli: Cli) -> None:
    rows = [("P1", "Add runbook link to the alert", "@alice", "2024-02-01")]
    a = fresh_doc(workdir / "payments", rows, name="postmortem-2024-01-15-outage.md", title="Payments outage")
    b = fresh_doc(workdir / "search", rows, name="postmortem-2024-01-15-outage.md", title="Search outage")

    result = cli("push", str(a), str(b), "--json")

    assert result.code == 0
    assert len(local_tickets(workdir)) == 2
    assert ticket_cells(a) != ticket_cells(b)


# -- routing ----------------------------------------------------------------------------------


def test_project_hints_route_each_row(
    make_jira: Callable[..., JiraEnv], workdir: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`OPS`, `SEC-?`, `acme/other#?`, `#?` and an empty cell, with jira as the default."""
    env = make_jira()
    with FakeGitHub(token=GH_TOKEN) as fake:
        for repo in ("acme/app", "acme/other"):
            fake.add_repo(repo)
            fake.add_collaborator(repo, "alice")
            fake.add_collaborator(repo, "bob")
        monkeypatch.setenv(GH_TOKEN_ENV, GH_TOKEN)
        config = (workdir / "pm-sync.toml").read_text().split("[owners]")
        (workdir / "pm-sync.toml").write_text(
            config[0] + f'[trackers.github]\nrepo = "acme/app"\napi_url = "{fake.api_url}"\n'
            f'token_env = "{GH_TOKEN_ENV}"\ntimeout = 5\nseconds_between_writes = 0\n\n'
            "[owners]\n"
            f'"@alice" = {{ jira = "{env.ident("alice")}", github = "alice" }}\n'
            f'"@bob" = {{ jira = "{env.ident("bob")}", github = "bob" }}\n'
        )
        cells = ["", "OPS", "SEC-?", "acme/other#?", "#?"]
        doc = workdir / "postmortem-2024-01-15-routing.md"
        doc.write_text(postmortem_text([(*r[:4], c) for r, c in zip(FIVE_ROWS, cells, strict=True)]))

        result = cli("push", str(doc), "--json")

        assert result.code == 0, result.stdout
        assert ticket_cells(doc) == ["OPS-1", "OPS-2", "SEC-1", "acme/other#1", "#1"]
        assert [i["title"] for i in fake.issues("acme/other")] == [FIVE_ROWS[3][1]]


def test_local_keys_keep_routing_to_local_after_switching_to_github(
    workdir: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = fresh_doc(workdir, STANDARD_ROWS)
    assert cli("push", str(doc)).code == 0  # offline first, as the README's quick start does
    with FakeGitHub(token=GH_TOKEN) as fake:
        fake.add_repo("acme/app")
        fake.add_collaborator("acme/app", "alice")
        monkeypatch.setenv(GH_TOKEN_ENV, GH_TOKEN)
        write_gh_config(workdir, fake)
        doc.write_text(doc.read_text() + "| P2 | A new follow-up | @alice | 2024-03-01 |  |\n")

        result = cli("push", str(doc), "--json")

        assert result.code == 0, result.stdout
        assert ticket_cells(doc) == ["PM-1", "PM-2", "PM-3", "#1"]


# -- owners ---------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["error", "unassigned"])
def test_unknown_owner_policy_on_github(workdir: Path, cli: Cli, gh: FakeGitHub, policy: str) -> None:
    write_gh_config(workdir, gh, top=f'unknown_owner = "{policy}"')
    rows = [("P0", "Fix A", "@alice", "2024-02-01"), ("P1", "Fix B", "@zed", "2024-02-02")]
    doc = fresh_doc(workdir, rows)

    result = cli("push", str(doc), "--json")

    if policy == "error":
        assert result.code == 1
        assert [e["line"] for e in result.one()["errors"]] == [15]
        assert gh.issues("acme/app") == []
    else:
        assert result.code == 0
        assert any("@zed" in w["message"] for w in result.one()["warnings"])
        assert [[a["login"] for a in i["assignees"]] for i in gh.issues("acme/app")] == [["alice"], []]


@pytest.mark.parametrize("mode", ["cloud", "datacenter"])
def test_unknown_owner_is_an_error_before_anything_is_created_in_jira(
    make_jira: Callable[..., JiraEnv], cli: Cli, mode: str
) -> None:
    env = make_jira(mode=mode)
    doc = env.write_doc([("P0", "Fix A", "@alice", "2024-02-01"), ("P1", "Fix B", "@zed", "2024-02-02")])

    result = cli("push", str(doc), "--json")

    assert result.code == 1
    assert [e["line"] for e in result.one()["errors"]] == [15]
    assert env.fake.issues == []


# -- tracker doubles that differ from our fakes ----------------------------------------------


@pytest.mark.parametrize("mode", ["cloud", "datacenter"])
def test_lost_bulk_create_answer_with_search_lag_makes_no_duplicates(
    make_jira: Callable[..., JiraEnv], cli: Cli, mode: str
) -> None:
    env = make_jira(mode=mode, search_lag=2.0)
    doc = env.write_doc()
    env.fake.inject("POST", r"issue/bulk", drop=True, after=True)

    cli("push", str(doc), "--json")

    summaries = collections.Counter(i["fields"]["summary"] for i in env.fake.issues)
    assert max(summaries.values()) == 1, summaries


class _JqlWithoutKeyHistory(FakeJira):
    """A Jira double whose JQL does not know historical keys: a moved issue's old key is an
    unknown key (400), while GET issue/{old key} still answers with the moved issue."""

    def _run_jql(self, jql: str, cloud: bool, validate: bool, reconcile: set[Any] | None = None) -> Any:
        for key in re.findall(r"\b([A-Z][A-Z0-9_]*-\d+)\b", jql):
            iid = self._key_index.get(key)
            if iid is not None and self._issues[iid]["key"] != key:
                raise fake_jira_module._Reply(
                    400, fake_jira_module._err([f"An issue with key '{key}' does not exist for field 'key'."])
                )
        return super()._run_jql(jql, cloud, validate, reconcile)


@pytest.mark.parametrize("mode", ["cloud", "datacenter"])
def test_moved_issue_is_followed_when_jql_rejects_its_old_key(
    make_jira: Callable[..., JiraEnv], cli: Cli, mode: str
) -> None:
    env = make_jira(_JqlWithoutKeyHistory, mode=mode)
    doc = env.write_doc()
    assert cli("push", str(doc)).code == 0
    new_key = env.fake.move_issue("OPS-2", "SEC")

    result = cli("reconcile", str(doc), "--json")

    assert result.json()[0]["missing"] == []
    assert ticket_cells(doc) == ["OPS-1", new_key, "OPS-3"]


class _SearchWithoutProperties(FakeJira):
    """A Jira double whose searches ignore the `properties` parameter (entity properties are
    still stored and readable through GET issue/{key}/properties/{name})."""

    def _h_search(self, req: Any) -> Any:
        req.query.pop("properties", None)
        if isinstance(req.body, dict):
            req.body.pop("properties", None)
        return super()._h_search(req)

    def _h_search_jql(self, req: Any) -> Any:
        req.query.pop("properties", None)
        if isinstance(req.body, dict):
            req.body.pop("properties", None)
        return super()._h_search_jql(req)


@pytest.mark.parametrize("mode", ["cloud", "datacenter"])
def test_tracker_side_change_is_pulled_when_search_omits_properties(
    make_jira: Callable[..., JiraEnv], cli: Cli, mode: str
) -> None:
    env = make_jira(_SearchWithoutProperties, mode=mode)
    doc = env.write_doc()
    assert cli("push", str(doc)).code == 0
    assert env.fake.properties("OPS-2")  # the baseline is stored with the ticket
    env.fake.edit_fields("OPS-2", duedate="2024-03-01")

    result = cli("reconcile", str(doc), "--json")

    assert result.code == 0
    assert env.issue("OPS-2")["fields"]["duedate"] == "2024-03-01"
    assert "| @bob | 2024-03-01 | OPS-2 |" in doc.read_text()


def test_jira_cloud_that_answers_unknown_keys_with_no_match(
    make_jira: Callable[..., JiraEnv], cli: Cli
) -> None:
    """Cloud's search/jql may return nothing instead of 400 for a deleted key."""
    env = make_jira(unknown_jql_keys="empty")
    doc = env.write_doc()
    assert cli("push", str(doc)).code == 0
    env.fake.delete_issue("OPS-3")
    new_key = env.fake.move_issue("OPS-2", "SEC")

    result = cli("reconcile", str(doc), "--json")

    out = result.json()[0]
    assert out["missing"] == ["OPS-3"]
    assert out["moved"] == [{"from": "OPS-2", "to": new_key}]
    assert ticket_cells(doc) == ["OPS-1", new_key, "OPS-3"]


class _GitHubWithoutStateReason(FakeGitHub):
    """Older GHES: closed issues carry no `state_reason`, and no rate-limit headers are sent."""

    def _issue_json(self, iss: Any) -> dict[str, Any]:
        data = super()._issue_json(iss)
        data.pop("state_reason", None)
        return data


def test_github_double_without_state_reason_reads_closed_as_done(
    workdir: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _GitHubWithoutStateReason(token=GH_TOKEN) as fake:
        fake.add_repo("acme/app")
        fake.add_collaborator("acme/app", "alice")
        fake.add_collaborator("acme/app", "bob")
        monkeypatch.setenv(GH_TOKEN_ENV, GH_TOKEN)
        write_gh_config(workdir, fake)
        doc = fresh_doc(workdir, STANDARD_ROWS)
        assert cli("push", str(doc)).code == 0
        cells = ticket_cells(doc)
        fake.add_pull_request("acme/app", "An unrelated PR", labels=["postmortem", "P0"])
        fake.close_issue("acme/app", int(cells[1].lstrip("#")))

        report = cli("overdue", str(doc), "--as-of", "2024-02-01", "--format", "json")

        overdue = [r["ticket"] for r in report.json()["overdue"]]
        assert cells[1] not in overdue and cells[0] in overdue
