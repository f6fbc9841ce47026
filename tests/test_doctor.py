"""Stories: a team runs `pm-sync doctor` before its first push and learns what to fix.

Jira and GitHub are the fake servers; every story with a token asserts the token is never
printed, in the human view or in `--json`.
"""

from __future__ import annotations

import socket
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, postmortem_text
from tests.fakes.fake_github import FakeGitHub, fake_github
from tests.github_env import BOARD, REPO, TOKEN, TOKEN_ENV, configure, write_doc
from tests.jira_support import JiraEnv, jira_env
from tests.plugin_helpers import install_plugin

__all__ = ["fake_github", "jira_env"]  # fixtures re-exported for pytest


def checks(result: CliResult) -> dict[str, list[dict[str, Any]]]:
    """`--json` checks by code; each code may have several (one per project, owner...)."""
    data = result.json()
    assert data["ok"] == (result.code == 0), data
    assert data["failed"] == sum(not c["passed"] for c in data["checks"])
    out: dict[str, list[dict[str, Any]]] = {}
    for check in data["checks"]:
        assert set(check) == {"passed", "code", "severity", "path", "line", "message", "hint"}
        out.setdefault(check["code"], []).append(check)
    return out


def failures(result: CliResult) -> dict[str, list[dict[str, Any]]]:
    return {
        code: [c for c in cs if not c["passed"]]
        for code, cs in checks(result).items()
        if not all(c["passed"] for c in cs)
    }


def both_views(cli, *args: str) -> tuple[CliResult, CliResult]:
    return cli("doctor", *args, "--json"), cli("doctor", *args)


def assert_no_secret(secret: str, *results: CliResult) -> None:
    for result in results:
        assert secret not in result.stdout + result.stderr


# --------------------------------------------------------------------------- local


def test_a_new_project_passes_with_the_local_tracker(workdir: Path, cli) -> None:
    doc = workdir / "docs" / "technical" / "postmortem-2024-01-15-payments.md"
    doc.parent.mkdir(parents=True)
    doc.write_text(postmortem_text())

    result, human = both_views(cli)

    assert result.code == 0 and human.code == 0, result.stdout
    found = checks(result)
    assert set(found) == {"config", "postmortems", "local-database", "local-owners"}
    assert "no pm-sync.toml" in found["config"][0]["message"]
    assert "1 postmortem(s) read, 3 action item(s)" in found["postmortems"][0]["message"]
    assert "made on the first push" in found["local-database"][0]["message"]
    assert "ok   local-database" in human.stdout
    assert human.stdout.rstrip().endswith("4 passed, 0 warning(s), 0 failed")
    assert not (workdir / ".pm-sync").exists()  # doctor changes nothing


def test_a_config_typo_fails_with_its_key_and_the_fix(workdir: Path, cli) -> None:
    (workdir / "pm-sync.toml").write_text('tracker = "local"\nunknown_ownr = "error"\n')

    result, human = both_views(cli)

    assert result.code == 1
    (config,) = failures(result)["config"]
    assert "unknown_ownr" in config["message"] and config["path"].endswith("pm-sync.toml")
    assert "did you mean 'unknown_owner'" in config["hint"]
    assert "FAIL config" in human.stdout and "fix: did you mean 'unknown_owner'" in human.stdout


def test_a_bad_tracker_table_is_reported_and_the_others_still_checked(workdir: Path, cli) -> None:
    (workdir / "pm-sync.toml").write_text(
        'tracker = "local"\n[trackers.github]\ntoken_env = "GH"\n'  # no repo
    )

    result = cli("doctor", "--json")

    assert result.code == 1
    assert "github-config" in failures(result)
    assert "repo" in failures(result)["github-config"][0]["message"]
    assert checks(result)["local-database"][0]["passed"]


def test_a_damaged_local_database_fails(workdir: Path, cli) -> None:
    (workdir / ".pm-sync").mkdir()
    (workdir / ".pm-sync" / "local.db").write_bytes(b"this is not a database" * 100)

    result = cli("doctor", "--json")

    assert result.code == 1
    (db,) = failures(result)["local-database"]
    assert "damaged" in db["message"] and "backup" in db["hint"]


def test_a_local_database_under_a_file_cannot_be_made(workdir: Path, cli) -> None:
    (workdir / "blocker").write_text("a file, not a folder")
    (workdir / "pm-sync.toml").write_text('[trackers.local]\npath = "blocker/local.db"\n')

    result = cli("doctor", "--json")

    assert result.code == 1
    (db,) = failures(result)["local-database"]
    assert "cannot be made" in db["message"] and "trackers.local.path" in db["hint"]


def test_no_postmortems_is_a_warning_not_a_failure(workdir: Path, cli) -> None:
    result = cli("doctor", "--json")

    assert result.code == 0
    (found,) = checks(result)["postmortems"]
    assert found["severity"] == "warning" and "[docs] paths" in found["hint"]


def test_a_ticket_no_tracker_claims_fails_where_it_is_written(workdir: Path, cli) -> None:
    doc = workdir / "postmortem-x.md"
    doc.write_text(postmortem_text([("P0", "Fix it", "@alice", "2024-01-22", "ZZ-1")]))

    result = cli("doctor", str(doc), "--json")

    assert result.code == 1
    (route,) = failures(result)["route"]
    assert route["path"] == str(doc) and route["line"] == 14
    assert "[routes]" in route["hint"]


# --------------------------------------------------------------------------- a plugin's default


PLUGIN = textwrap.dedent('''
    from pm_sync.errors import AuthError
    from pm_sync.tracker import Connector, ConnectorConfig, OwnerResolution

    class VaultConfig(ConnectorConfig):
        locked: bool = False

    class VaultConnector(Connector[VaultConfig]):
        """A tracker that only knows @alice and refuses everyone when locked."""
        name = "vault"
        config_model = VaultConfig

        def parse_ref(self, ref):
            return None

        def find(self, markers, projects):
            if self.config.locked:
                raise AuthError("the vault refused the key", hint="set $VAULT_KEY")
            return []

        def read(self, keys):
            return {k: None for k in keys}

        def create(self, draft):
            raise NotImplementedError

        def update(self, key, changes, baseline):
            raise NotImplementedError

        def resolve_owners(self, handles, mapped):
            ok = {h: h for h in handles if h == "@alice"}
            return OwnerResolution(ids=ok, unknown={h: "not in the vault" for h in handles if h not in ok})
''')


def test_a_plugin_without_a_doctor_of_its_own_gets_the_default_checks(
    workdir: Path, cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    install_plugin(
        site, monkeypatch, module="pm_sync_vault", source=PLUGIN, name="vault", cls="VaultConnector"
    )
    (workdir / "pm-sync.toml").write_text('tracker = "vault"\n')
    doc = workdir / "postmortem-x.md"
    doc.write_text(
        postmortem_text(
            [("P0", "Fix it", "@alice", "2024-01-22", ""), ("P1", "Doc it", "@ghost", "2024-01-29", "")]
        )
    )

    result = cli("doctor", str(doc), "--json")

    assert result.code == 1
    assert checks(result)["vault-reachable"][0]["passed"]
    (ghost,) = failures(result)["owner-unknown"]
    assert "owner @ghost is unknown to vault: not in the vault" in ghost["message"] and ghost["line"] == 15

    (workdir / "pm-sync.toml").write_text('tracker = "vault"\n[trackers.vault]\nlocked = true\n')
    result = cli("doctor", str(doc), "--json")
    (refused,) = failures(result)["vault-credentials"]
    assert refused["message"] == "the vault refused the key" and refused["hint"] == "set $VAULT_KEY"


# --------------------------------------------------------------------------- Jira


def test_jira_setup_that_works_passes_every_check(jira_env: JiraEnv, cli) -> None:
    doc = jira_env.write_doc()

    result, human = both_views(cli, str(doc))

    assert result.code == 0, result.stdout
    found = checks(result)
    for code in (
        "jira-reachable",
        "jira-credentials",
        "jira-project",
        "jira-fields",
        "jira-labels",
        "jira-priorities",
        "jira-resolutions",
        "jira-owners",
    ):
        assert all(c["passed"] for c in found[code]), (code, found[code])
    assert ("Cloud" if jira_env.cloud else "Data Center") in found["jira-reachable"][0]["message"]
    assert "signed in as PM Sync Bot" in found["jira-credentials"][0]["message"]
    assert "all 2 owner(s)" in found["jira-owners"][0]["message"]
    assert not jira_env.writes()  # doctor only reads
    assert_no_secret(jira_env.fake.token, result, human)


def test_jira_rejected_token_fails_credentials_and_never_shows_it(
    jira_env: JiraEnv, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = jira_env.write_doc()
    wrong = "not-the-token-4f9a1c"
    monkeypatch.setenv("PMSYNC_TEST_JIRA_TOKEN", wrong)

    result, human = both_views(cli, str(doc))

    assert result.code == 1
    (cred,) = failures(result)["jira-credentials"]
    assert "401" in cred["message"] and "PMSYNC_TEST_JIRA_TOKEN" in cred["hint"]
    assert "jira-project" not in checks(result)  # nothing after a failed sign-in
    assert_no_secret(wrong, result, human)
    assert_no_secret(jira_env.fake.token, result, human)


def test_jira_token_echoed_in_an_error_page_is_scrubbed(jira_env: JiraEnv, cli) -> None:
    doc = jira_env.write_doc()
    token = jira_env.fake.token
    jira_env.fake.inject(
        "GET", r"/myself$", status=500, body=f"proxy error; Authorization: Bearer {token}", times=None
    )

    result, human = both_views(cli, str(doc))

    assert result.code == 1
    assert failures(result)["jira-reachable"]
    assert_no_secret(token, result, human)


def test_jira_missing_token_variable_names_it(
    jira_env: JiraEnv, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PMSYNC_TEST_JIRA_TOKEN")

    result = cli("doctor", str(jira_env.write_doc()), "--json")

    assert result.code == 1
    (cfg,) = failures(result)["jira-config"]
    assert "PMSYNC_TEST_JIRA_TOKEN" in cfg["message"] and "export" in cfg["hint"]


def test_jira_unreachable_server_fails_reachable(jira_env: JiraEnv, cli) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    jira_env.write_config(url=f"http://127.0.0.1:{port}", attempts=1)

    result = cli("doctor", str(jira_env.write_doc()), "--json")

    assert result.code == 1
    (reach,) = failures(result)["jira-reachable"]
    assert str(port) in reach["message"] or "connect" in reach["message"].lower()


def test_jira_project_issue_type_priorities_and_fields_that_do_not_exist(jira_env: JiraEnv, cli) -> None:
    jira_env.fake.add_project("REQ", issue_types=["Task"], required_fields=["Customer"])
    jira_env.write_doc()
    other = jira_env.workdir / "docs" / "technical" / "postmortem-2024-02-01-other.md"
    other.write_text("---\nproject: NOPE\n---\n" + postmortem_text())
    third = jira_env.workdir / "docs" / "technical" / "postmortem-2024-03-01-req.md"
    third.write_text("---\nproject: REQ\n---\n" + postmortem_text())
    jira_env.write_config(issue_type="Task", priorities={"P0": "Blocker"})

    result = cli("doctor", "--json")

    assert result.code == 1
    failed = failures(result)
    (missing,) = [c for c in failed["jira-project"] if "NOPE" in c["message"]]
    assert "does not exist" in missing["message"] and "trackers.jira.project" in missing["hint"]
    prios = failed["jira-priorities"]
    assert {c["message"].split()[2] for c in prios} == {"OPS", "REQ"}
    assert "P0 → 'Blocker'" in prios[0]["message"] and "Highest" in prios[0]["hint"]
    (fields,) = failed["jira-fields"]
    assert "REQ" in fields["message"] and "Customer" in fields["message"]
    assert any(c["passed"] and "OPS" in c["message"] for c in checks(result)["jira-project"])


def test_jira_issue_type_the_project_does_not_offer(jira_env: JiraEnv, cli) -> None:
    jira_env.write_config(issue_type="Story")

    result = cli("doctor", str(jira_env.write_doc()), "--json")

    assert result.code == 1
    (kind,) = failures(result)["jira-issue-type"]
    assert "'Story'" in kind["message"] and "Task, Bug" in kind["hint"]


def test_jira_owners_unknown_mistyped_or_inactive_fail_where_they_are_named(jira_env: JiraEnv, cli) -> None:
    jira_env.fake.add_user(account_id="557058:dddd", name="dora", email="dora@example.com", active=False)
    bad_ident = "557058:0000-nope" if jira_env.cloud else "nobody"
    dora = "557058:dddd" if jira_env.cloud else "dora"
    jira_env.write_config(owners={"@alice": bad_ident, "@dora": dora})
    rows = [
        ("P0", "Integration test for connection pool", "@alice", "2024-01-22"),
        ("P0", "Lower DB alert threshold to 70%", "@bob", "2024-01-17"),
        ("P1", "Document connection management patterns", "@carol", "2024-01-29"),
        ("P2", "Write the runbook", "@dora", "2024-02-29"),
    ]
    doc = jira_env.write_doc(rows)

    result, human = both_views(cli, str(doc))

    assert result.code == 1
    unknown = {c["message"].split()[1]: c for c in failures(result)["owner-unknown"]}
    assert set(unknown) == {"@alice", "@carol", "@dora"}  # @bob maps by email
    assert "no Jira user has" in unknown["@alice"]["message"]
    assert "deactivated" in unknown["@dora"]["message"]
    assert (unknown["@carol"]["path"], unknown["@carol"]["line"]) == (str(doc), 16)
    assert '"@carol" = { jira = "..." }' in unknown["@carol"]["hint"]
    assert f"{doc}:16: owner @carol is unknown to jira" in human.stdout


def test_jira_unknown_owner_is_a_warning_once_unassigned_is_the_policy(jira_env: JiraEnv, cli) -> None:
    """doctor's fix for an unknown owner names `unknown_owner = "unassigned"`; taking it must pass,
    since push then creates the ticket unassigned with a warning."""
    jira_env.write_config()
    config = jira_env.workdir / "pm-sync.toml"
    doc = jira_env.write_doc([("P1", "Document connection management patterns", "@carol", "2024-01-29")])
    assert cli("doctor", str(doc)).code == 1
    config.write_text('unknown_owner = "unassigned"\n' + config.read_text())

    result, human = both_views(cli, str(doc))

    assert result.code == 0, human.stdout
    (carol,) = checks(result)["owner-unknown"]
    assert (carol["passed"], carol["severity"], carol["line"]) == (True, "warning", 14)
    assert "created unassigned" in carol["message"]
    assert f"warn owner-unknown: {doc}:14: owner @carol" in human.stdout
    assert "creating unassigned" in cli("push", str(doc)).stdout  # what push does, as doctor said


def test_an_owner_created_unassigned_is_warned_about_once_not_every_night(jira_env: JiraEnv, cli) -> None:
    jira_env.write_config()
    config = jira_env.workdir / "pm-sync.toml"
    config.write_text('unknown_owner = "unassigned"\n' + config.read_text())
    doc = jira_env.write_doc([("P1", "Document connection management patterns", "@carol", "2024-01-29")])

    pushed = cli("push", str(doc), "--json")
    assert pushed.code == 0 and len(pushed.one()["created"]) == 1
    assert [w["code"] for w in pushed.one()["warnings"]] == ["owner-unknown"]

    again = cli("reconcile", str(doc), "--json")
    assert again.code == 0, again.stdout
    assert again.one()["warnings"] == [] and len(again.one()["unchanged"]) == 1


# --------------------------------------------------------------------------- GitHub


def test_github_setup_that_works_passes_every_check(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    doc = write_doc(workdir)

    result, human = both_views(cli, str(doc))

    assert result.code == 0, result.stdout
    found = checks(result)
    assert {"github-reachable", "github-repo", "github-labels", "github-owners"} <= set(found)
    assert "lacks the labels postmortem, P0" in found["github-labels"][0]["message"]
    assert "all 2 owner(s)" in found["github-owners"][0]["message"]
    assert not [r for r in fake_github.request_log if r.method != "GET"]
    assert_no_secret(TOKEN, result, human)


def test_github_rejected_token_fails_credentials(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch, token="ghp_wrongwrongwrong")

    result, human = both_views(cli, str(write_doc(workdir)))

    assert result.code == 1
    (cred,) = failures(result)["github-credentials"]
    assert "401" in cred["message"] and TOKEN_ENV in cred["hint"]
    assert_no_secret("ghp_wrongwrongwrong", result, human)


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ({"has_issues": False}, "issues are disabled"),
        ({"push": False}, "cannot write"),
    ],
)
def test_github_repository_that_cannot_take_issues(
    workdir: Path,
    cli,
    fake_github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    setup: dict[str, bool],
    expected: str,
) -> None:
    configure(workdir, fake_github, monkeypatch)
    fake_github.set_repo(REPO, **setup)

    result = cli("doctor", str(write_doc(workdir)), "--json")

    assert result.code == 1
    (repo,) = failures(result)["github-repo"]
    assert expected in repo["message"]


def test_github_missing_repository_and_unassignable_owner(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch)
    rows = [("P0", "Fix the pool", "@carol", "2024-01-22", "")]
    doc = write_doc(workdir, rows, front_matter="")
    other = write_doc(workdir, rows, name="other.md", front_matter="---\nproject: acme/nope\n---\n")

    result = cli("doctor", str(doc), str(other), "--json")

    assert result.code == 1
    failed = failures(result)
    (repo,) = failed["github-repo"]
    assert "acme/nope does not exist" in repo["message"]
    (owner,) = failed["owner-unknown"]
    assert "carol cannot be assigned issues in acme/app" in owner["message"]
    assert owner["path"] == str(doc)


PRIORITIES = ["P0", "P1", "P2", "P3", "P4"]


def test_github_board_with_its_fields_passes(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch, extra=BOARD)
    fake_github.add_project("acme", 5, fields={"Due date": None, "Priority": PRIORITIES})

    result = cli("doctor", str(write_doc(workdir)), "--json")

    assert result.code == 0, result.stdout
    (ok,) = checks(result)["github-board"]
    assert ok["passed"] and "due_field 'Due date' and priority_field 'Priority'" in ok["message"]


def test_github_board_missing_a_priority_option_or_a_field_fails(
    workdir: Path, cli, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workdir, fake_github, monkeypatch, extra=BOARD)
    fake_github.add_project("acme", 5, fields={"Due date": None, "Priority": ["P0", "P1", "P2", "P4"]})

    result = cli("doctor", str(write_doc(workdir)), "--json")

    assert result.code == 1
    (fail,) = failures(result)["github-board"]
    assert "no option for P3" in fail["message"]

    configure_text = (workdir / "pm-sync.toml").read_text().replace('"Due date"', '"Deadline"')
    (workdir / "pm-sync.toml").write_text(configure_text)
    result = cli("doctor", str(write_doc(workdir)), "--json")
    (fail,) = failures(result)["github-board"]
    assert "no field named 'Deadline'" in fail["message"] and "Due date" in fail["hint"]
