"""The recipes a team copies: every YAML file parses, every schedule is a schedule, every
pm-sync command and option they use exists in the real CLI, and the README links each one."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.recipes_support import (
    ACTION,
    CRONTAB,
    KUBERNETES,
    PRE_COMMIT_HOOKS,
    RECIPES,
    ROOT,
    SCRIPTS,
    WORKFLOWS,
    action_steps,
    check_invocation,
    cli_root,
    code_blocks,
    doc_commands,
    invocations,
    load_yaml,
    valid_cron,
    workflow_on,
)

ACTION_COMMANDS = ("push", "reconcile", "overdue", "doctor", "stats", "lint")


# --------------------------------------------------------------------------- the checker itself


def test_the_checker_catches_a_command_or_option_that_does_not_exist() -> None:
    check_invocation(["overdue", "--slack-webhook-env", "X", "--priorities", "P0"])
    check_invocation(["config", "schema"])
    with pytest.raises(AssertionError, match="no command 'overdew'"):
        check_invocation(["overdew"])
    with pytest.raises(AssertionError, match="no option --slack-webhook"):
        check_invocation(["overdue", "--slack-webhook", "X"])
    with pytest.raises(AssertionError, match="a command is missing"):
        check_invocation(["config"])
    assert invocations('x=$(pm-sync parse "$a" --json | jq .) && pm-sync push "${f[@]}" \\\n  --dry-run') == [
        ["parse", "--json"],
        ["push", "--dry-run"],
    ]


# --------------------------------------------------------------------------- the action


def test_action_is_a_composite_action_with_the_documented_inputs() -> None:
    action = load_yaml(ACTION)
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert {
        "command",
        "paths",
        "config",
        "args",
        "final-only",
        "jira-token",
        "jira-token-env",
        "github-token",
        "github-token-env",
        "slack-webhook",
        "slack-webhook-env",
    } <= set(inputs)
    assert inputs["command"]["required"] is True
    assert all("description" in spec for spec in inputs.values())
    text = ACTION.read_text()
    used = set(re.findall(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", text))
    assert used == set(inputs), used ^ set(inputs)  # every input used, none made up
    assert "pip install" in text and "${{ github.action_path }}" in text
    documented = (RECIPES / "github-actions.md").read_text()
    for name in inputs:
        assert f"`{name}`" in documented, name


def test_action_script_takes_inputs_only_from_the_environment() -> None:
    """No `${{ }}` inside a run script: an input pasted into bash could inject commands."""
    for step in load_yaml(ACTION)["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step["name"]


def test_action_runs_only_real_commands() -> None:
    run = next(s["run"] for s in load_yaml(ACTION)["runs"]["steps"] if s.get("id") == "run")
    allowed = re.search(r"case \"\$command\" in\s*\n\s*([\w|]+)\)", run)
    assert allowed is not None
    assert tuple(allowed.group(1).split("|")) == ACTION_COMMANDS
    for name in ACTION_COMMANDS:
        check_invocation([name])
    found = [
        words for step in load_yaml(ACTION)["runs"]["steps"] for words in invocations(step.get("run", ""))
    ]
    for words in found:
        if words:  # `pm-sync "$command" ...` is all runtime values: checked above
            check_invocation(words)
    assert ["parse", "--json"] in found and ["--version"] in found


# --------------------------------------------------------------------------- the workflows


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid_and_uses_real_inputs_commands_and_options(path: Path) -> None:
    workflow = load_yaml(path)
    inputs = load_yaml(ACTION)["inputs"]
    assert workflow["name"].startswith("pm-sync")
    on = workflow_on(workflow)
    for schedule in on.get("schedule", []):
        assert valid_cron(schedule["cron"]), schedule
    steps = action_steps(workflow)
    assert len(steps) == 1, path
    given = steps[0]["with"]
    assert set(given) <= set(inputs), set(given) - set(inputs)
    assert given["command"] in ACTION_COMMANDS
    check_invocation([given["command"], *shlex.split(str(given.get("args", "")))])
    ids = {s.get("id") for job in workflow["jobs"].values() for s in job["steps"]}
    for ref in re.findall(r"steps\.([\w-]+)\.outputs", path.read_text()):
        assert ref in ids, ref
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            for words in invocations(step.get("run", "")):
                check_invocation(words)
            assert "secrets." not in step.get("run", "")  # secrets reach scripts only by env


def test_the_three_workflows_do_what_the_recipe_says() -> None:
    by_name = {p.stem: load_yaml(p) for p in WORKFLOWS}
    assert set(by_name) == {"pm-sync-push", "pm-sync-reconcile", "pm-sync-overdue"}

    push = by_name["pm-sync-push"]
    assert workflow_on(push)["push"]["branches"] == ["main"]
    step = action_steps(push)[0]["with"]
    assert step["command"] == "push" and step["final-only"] == "true"
    assert "git push origin HEAD:main" in (RECIPES / "workflows" / "pm-sync-push.yml").read_text()
    # one postmortem failing (a list-style one, an unknown owner) must not lose the others' keys
    steps = push["jobs"]["push"]["steps"]
    commit = steps[[s.get("uses", "") for s in steps].index(action_steps(push)[0]["uses"]) + 1]
    assert "git commit" in commit["run"] and "!cancelled()" in commit["if"]

    nightly = by_name["pm-sync-reconcile"]
    assert "schedule" in workflow_on(nightly)
    assert action_steps(nightly)[0]["with"]["command"] == "reconcile"
    text = (RECIPES / "workflows" / "pm-sync-reconcile.yml").read_text()
    assert "gh pr create" in text and 'git merge --no-edit "origin/$BRANCH"' in text
    assert "HEAD:main" not in text  # proposes, never pushes to main
    assert nightly["permissions"]["pull-requests"] == "write"

    weekly = by_name["pm-sync-overdue"]
    given = action_steps(weekly)[0]["with"]
    assert given["command"] == "overdue" and "secrets.SLACK_WEBHOOK_URL" in given["slack-webhook"]
    assert weekly["permissions"] == {"contents": "read"}


# --------------------------------------------------------------------------- cron and Kubernetes


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_scripts_use_real_commands_and_options(path: Path) -> None:
    text = path.read_text()
    assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text
    for words in invocations(text):
        check_invocation(words)


def test_crontab_lines_are_schedules_running_the_scripts() -> None:
    jobs = [
        line
        for line in CRONTAB.read_text().splitlines()
        if line.strip() and not line.startswith("#") and not re.match(r"^[A-Z_]+=", line)
    ]
    assert len(jobs) == 3
    names = {p.name for p in SCRIPTS}
    ran = []
    for line in jobs:
        fields = line.split()
        assert valid_cron(" ".join(fields[:5])), line
        command = fields[5:]
        assert command[0] == "flock"
        script = next(w for w in command if w.endswith(".sh"))
        assert Path(script).name in names
        args = command[command.index(script) + 1 :]
        ran.append(Path(script).name)
        if args:  # only the overdue script passes its arguments on to pm-sync
            assert Path(script).name == "pm-sync-overdue.sh"
            check_invocation(["overdue", *args])
    assert ran == ["pm-sync-push.sh", "pm-sync-reconcile.sh", "pm-sync-overdue.sh"]


def test_kubernetes_cronjobs_run_the_same_scripts_verbatim() -> None:
    docs = list(yaml.safe_load_all(KUBERNETES.read_text()))
    kinds = [d["kind"] for d in docs]
    assert kinds.count("CronJob") == 3
    scripts = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "pm-sync-scripts")
    assert {name: text for name, text in scripts["data"].items()} == {p.name: p.read_text() for p in SCRIPTS}
    settings = next(d for d in docs if d["metadata"]["name"] == "pm-sync-settings")["data"]
    assert {"PM_SYNC_GIT_URL", "PM_SYNC_PIP_SPEC"} <= set(settings)
    ran = []
    for job in (d for d in docs if d["kind"] == "CronJob"):
        spec = job["spec"]
        assert valid_cron(spec["schedule"]) and spec["concurrencyPolicy"] == "Forbid"
        pod = spec["jobTemplate"]["spec"]["template"]["spec"]
        assert pod["restartPolicy"] == "Never"
        (container,) = pod["containers"]
        mounted = [p for p in container["command"] if p.startswith("/scripts/")]
        assert all(Path(p).name in scripts["data"] for p in mounted)
        ran.append(Path(mounted[-1]).name)
        assert {"secretRef": {"name": "pm-sync-secrets"}} in container["envFrom"]
    assert ran == ["pm-sync-push.sh", "pm-sync-reconcile.sh", "pm-sync-overdue.sh"]


def _cron_field(field: str, low: int, high: int) -> set[int]:
    out: set[int] = set()
    for part in field.split(","):
        base, _, step = part.partition("/")
        first, last = (low, high) if base == "*" else (int(base.split("-")[0]), int(base.split("-")[-1]))
        out.update(range(first, last + 1, int(step or 1)))
    return out


def _windows(job: dict[str, Any]) -> list[tuple[int, int]]:
    """Seconds of the day a job of this CronJob can be running: from each scheduled start to the
    latest start Kubernetes allows plus the time it may run."""
    spec = job["spec"]
    minute, hour, dom, month, dow = spec["schedule"].split()
    assert (dom, month, dow) == ("*", "*", "*")
    late = spec["startingDeadlineSeconds"] + spec["jobTemplate"]["spec"]["activeDeadlineSeconds"]
    starts = [h * 3600 + m * 60 for h in _cron_field(hour, 0, 23) for m in _cron_field(minute, 0, 59)]
    return [(s, s + late) for s in sorted(starts)]


def test_kubernetes_push_and_reconcile_never_run_at_once() -> None:
    """They run in separate pods that share no lock: two runs creating for one new row at once
    could each create a ticket. Their windows, deadlines included, must not meet."""
    jobs = {
        d["metadata"]["name"]: d for d in yaml.safe_load_all(KUBERNETES.read_text()) if d["kind"] == "CronJob"
    }
    push, reconcile = _windows(jobs["pm-sync-push"]), _windows(jobs["pm-sync-reconcile"])
    day = 24 * 3600
    for a0, a1 in push:
        for b0, b1 in reconcile:
            for shift in (-day, 0, day):
                assert a1 <= b0 + shift or b1 + shift <= a0, (a0, a1, b0, b1)
    assert len(push) == 23 * 4 and len(reconcile) == 1


# --------------------------------------------------------------------------- pre-commit


def test_pre_commit_hook_shape() -> None:
    hooks = load_yaml(PRE_COMMIT_HOOKS)
    assert isinstance(hooks, list)
    (hook,) = hooks
    assert {"id", "name", "entry", "language"} <= set(hook)
    assert hook["id"] == "pm-sync-lint" and hook["language"] == "python"
    words = shlex.split(hook["entry"])
    assert words[0] == "pm-sync"
    check_invocation(words[1:])
    files = re.compile(hook["files"])
    for path in ("docs/technical/postmortem-2024-01-15-payments.md", "postmortem.md", "a/postmortem-x.md"):
        assert files.search(path), path
    for path in ("README.md", "docs/technical/notes.md", "postmortem-2024/readme.md"):
        assert not files.search(path), path
    assert hook["types"] == ["markdown"]


# --------------------------------------------------------------------------- docs and README


RECIPE_DOCS = sorted(RECIPES.glob("*.md"))


def _action_uses(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [found for item in node for found in _action_uses(item)]
    if not isinstance(node, dict):
        return []
    here = [node] if re.search(r"(^|/)pm-sync@", str(node.get("uses", ""))) else []
    return here + [found for value in node.values() for found in _action_uses(value)]


@pytest.mark.parametrize("path", RECIPE_DOCS, ids=lambda p: p.name)
def test_recipe_docs_use_real_commands_and_links(path: Path) -> None:
    text = path.read_text()
    for words in doc_commands(text):
        check_invocation(words)
    inputs = load_yaml(ACTION)["inputs"]
    for language, block in code_blocks(text):
        if language in ("yaml", "yml"):
            for step in _action_uses(yaml.safe_load(block)):
                assert set(step["with"]) <= set(inputs), step
                check_invocation([step["with"]["command"], *shlex.split(str(step["with"].get("args", "")))])
        elif language == "toml":
            tomllib.loads(block)
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if not target.startswith("http"):
            assert (path.parent / target).exists(), target


def test_readme_links_every_recipe() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Recipes", 1)[1].split("\n## ", 1)[0]
    linked = {(ROOT / target).resolve() for target in re.findall(r"\]\(([^)]+)\)", section)}
    wanted = {p.resolve() for p in [*RECIPE_DOCS, *WORKFLOWS, CRONTAB, KUBERNETES]}
    assert wanted <= linked, sorted(str(p.relative_to(ROOT)) for p in wanted - linked)
    assert all(p.exists() for p in linked)


def test_every_command_appears_in_the_cli() -> None:
    commands: dict[str, Any] = cli_root().commands
    assert {"doctor", "stats", "config", "push", "reconcile", "overdue", "lint"} <= set(commands)
