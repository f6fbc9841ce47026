"""`overdue` reads a tracker only to learn what is done; when the tracker cannot be reached it
falls back to the Status column. A token no HTTP header can carry is not "unreachable": it is
the configuration's fault, exit 2 naming the variable, as for every other command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_subprocess
from tests.hostile_support import (
    GH_TOKEN_ENV,
    JIRA_TOKEN_ENV,
    NEW_ROWS,
    github_project,
    jira_fake,
    jira_project,
)

BAD_TOKENS = {"a line break": "abc\ndef", "a carriage return": "abc\rdef", "no Latin-1": "tökén€"}


@pytest.mark.parametrize("token", list(BAD_TOKENS.values()), ids=list(BAD_TOKENS))
@pytest.mark.parametrize("tracker", ["jira", "github"])
def test_overdue_with_a_token_no_header_can_carry_is_exit_2(tmp_path: Path, tracker: str, token: str) -> None:
    if tracker == "jira":
        with jira_fake("cloud") as fake:
            project = jira_project(tmp_path, fake, fake.url)
        var, key, ticket = JIRA_TOKEN_ENV, "trackers.jira.token_env", "OPS-1"
    else:
        project = github_project(tmp_path, "http://127.0.0.1:9")
        var, key, ticket = GH_TOKEN_ENV, "trackers.github.token_env", "#1"
    project.write_doc([(*NEW_ROWS[0][:4], ticket)])

    done = run_subprocess(
        ["overdue", project.doc.name, "--as-of", "2024-01-25", "--json"], tmp_path, {var: token}
    )

    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    assert f"the token in {var} (config key {key})" in done.stderr
    assert token not in done.stderr and "Traceback" not in done.stderr


def test_overdue_with_an_unreachable_tracker_still_falls_back(tmp_path: Path) -> None:
    project = github_project(tmp_path, "http://127.0.0.1:9")
    project.write_doc([(*NEW_ROWS[0][:4], "#1")])

    done = run_subprocess(["overdue", project.doc.name, "--as-of", "2024-01-25"], tmp_path, project.env)

    assert done.returncode == 0, done.stderr
    assert "could not be read" in done.stderr and "used the Status column" in done.stderr
