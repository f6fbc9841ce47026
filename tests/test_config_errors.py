"""Config errors speak the user's words: the key as written, its file and line, a suggestion
for a misspelling, and none of pydantic's wording (issue 11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STANDARD_ROWS, postmortem_text
from tests.sync_support import Cli, fresh_doc

CASES = [
    ('trakcer = "local"\n', 1, "unknown key 'trakcer' (did you mean 'tracker'?)"),
    (
        'tracker = "local"\n\n[docs]\npathz = ["docs/*.md"]\n',
        4,
        "unknown key 'docs.pathz' (did you mean 'docs.paths'?)",
    ),
    (
        'tracker = "local"\n[safty]\nmax_creates = 5\n',
        2,
        "unknown key 'safty' (did you mean 'safety'?)",
    ),
    (
        'tracker = "jira"\n[trackers.jira]\nurll = "https://acme.atlassian.net"\nproject = "OPS"\n',
        3,
        "unknown key 'trackers.jira.urll' (and 1 more problem) (did you mean 'trackers.jira.url'?)",
    ),
    (
        'timezone = "Mars/Olympus"\n',
        1,
        "invalid value for 'timezone': unknown time zone 'Mars/Olympus' "
        "(see config.example.toml for every key and its meaning)",
    ),
    (
        '# team settings\nunknown_owner = "ignore"\n',
        2,
        "invalid value for 'unknown_owner': should be 'error' or 'unassigned' "
        "(see config.example.toml for every key and its meaning)",
    ),
    (
        'tracker = "jria"\n',
        1,
        "invalid value for 'tracker': unknown tracker 'jria' (did you mean 'jira'? use one of: github, jira, "
        "local, or install the plugin that adds it)",
    ),
    (
        '[trackers.github]\nrepo = "acme/app"\ntoken = "ghp_x"\n',
        3,
        "config key 'trackers.github.token' holds a secret inline "
        "(put the secret in an environment variable and set 'token_env' instead)",
    ),
    ('tracker = "local"\nlabels = [\n', 2, "config is not valid TOML: Invalid value"),
    ('tracker = "local"\nlabels == []\n', 2, "config is not valid TOML: Invalid value"),
]


@pytest.mark.parametrize(("text", "line", "message"), CASES, ids=[c[2].split(" (")[0] for c in CASES])
def test_config_errors_name_file_line_and_key(
    workdir: Path, cli: Any, text: str, line: int, message: str
) -> None:
    doc = workdir / "postmortem-2024-01-15-payments.md"
    doc.write_text(postmortem_text([(*r, "") for r in STANDARD_ROWS]))
    (workdir / "pm-sync.toml").write_text(text)

    result = cli("push", doc.name)

    assert result.code == 2
    assert result.stderr.startswith(f"error: {workdir / 'pm-sync.toml'}:{line}: {message}"), result.stderr
    assert result.stderr.count("\n") == 1
    for pydantic_words in ("Value error", "Input should", "Extra inputs", "validation error", "pydantic"):
        assert pydantic_words not in result.stderr
    assert not (workdir / ".pm-sync").exists()


def test_a_nested_key_is_found_under_its_table(workdir: Path, cli: Any) -> None:
    (workdir / "pm-sync.toml").write_text(
        'tracker = "local"\n\n[safety]\nmax_updates = 5\nmax_creates = "many"\n'
    )
    doc = workdir / "postmortem-2024-01-15-payments.md"
    doc.write_text(postmortem_text([(*r, "") for r in STANDARD_ROWS]))

    result = cli("push", doc.name)

    assert result.code == 2
    assert (
        "pm-sync.toml:5: invalid value for 'safety.max_creates': should be a valid integer" in result.stderr
    )


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
