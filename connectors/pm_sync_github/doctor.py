"""`pm-sync doctor` for GitHub: the token, each repository, its labels, the board, the owners.

The credentials are proved on the repository itself (`GET /repos/{repo}`), which any kind of
token may read, Actions' `GITHUB_TOKEN` included (it cannot read `GET /user`). The repository
and assignee answers come from `Access`, the same cache push's preflight uses, and the board
from `Projects.board()`, the lookup push makes before its first board write.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pm_sync.diagnostics import Diagnostic, error, info
from pm_sync.document.model import Priority
from pm_sync.errors import AuthError, ConfigError, NotFoundError, PmSyncError
from pm_sync.tracker.checks import owner_checks, step_failed
from pm_sync_github.config import REPO_RE
from pm_sync_github.labels import unique

if TYPE_CHECKING:
    from pm_sync_github import GitHubConnector


def checks(connector: GitHubConnector, owners: Sequence[str], projects: Sequence[str]) -> list[Diagnostic]:
    cfg = connector.config
    repos = list({r.casefold(): r for r in (cfg.default_repo, *projects) if REPO_RE.match(r)}.values())
    try:
        connector.access.repo(repos[0])
    except (AuthError, ConfigError) as exc:
        return [step_failed(exc, "github", "reachable")]
    except NotFoundError:
        pass  # reachable and signed in; the repository check below says what is missing
    except PmSyncError as exc:
        return [step_failed(exc, "github", "reachable")]
    out = [info("github-reachable", f"GitHub at {cfg.api_url} answers and takes the token")]
    for repo in repos:
        out += _repo(connector, repo)
    if cfg.board is not None:
        out += _board(connector)
    try:
        out += owner_checks(connector, owners)
    except PmSyncError as exc:
        out.append(step_failed(exc, "github", "owners"))
    return out


def _repo(connector: GitHubConnector, repo: str) -> list[Diagnostic]:
    env = connector.config.token_env
    try:
        data = connector.access.repo(repo)
    except NotFoundError:
        return [
            error(
                "github-repo",
                f"repository {repo} does not exist or the token cannot see it",
                hint=f"check trackers.github.repo (or the front matter's project) and that the token in "
                f"{env} has access to it",
            )
        ]
    except PmSyncError as exc:
        return [step_failed(exc, "github", "repo")]
    if data.get("has_issues") is False:
        return [
            error(
                "github-repo",
                f"issues are disabled in {repo}",
                hint="turn Issues on in the repository's settings, or point trackers.github.repo elsewhere",
            )
        ]
    if (data.get("permissions") or {}).get("push") is False:
        return [
            error(
                "github-repo",
                f"the token cannot write to {repo}: GitHub would drop the labels and assignees pm-sync sets",
                hint=f"give the token in {env} write access (classic: repo scope; fine-grained: Issues "
                "read and write)",
            )
        ]
    return [
        info("github-repo", f"{repo} takes issues and the token can label and assign them"),
        _labels(connector, repo),
    ]


def _labels(connector: GitHubConnector, repo: str) -> Diagnostic:
    cfg = connector.config
    ours = unique([*cfg.labels, *(cfg.priority_labels[p] for p in Priority)])
    try:
        present: set[str] = set()
        for page, _ in connector.rest.pages(
            f"/repos/{repo}/labels", f"listing labels of {repo}", {"per_page": 100}
        ):
            present |= {str(label.get("name", "")).casefold() for label in page}
    except PmSyncError as exc:
        return step_failed(exc, "github", "labels")
    missing = [name for name in ours if name.casefold() not in present]
    if missing:
        return info(
            "github-labels",
            f"{repo} lacks the labels {', '.join(missing)}; pm-sync creates them on the first push",
        )
    return info("github-labels", f"{repo} has every label pm-sync uses ({', '.join(ours)})")


def _board(connector: GitHubConnector) -> list[Diagnostic]:
    cfg = connector.config
    try:
        board = connector.projects.board()
    except PmSyncError as exc:
        return [error("github-board", exc.message, hint=exc.hint)]
    where = connector.projects.where
    if board.priority_field is not None:
        missing = [
            p.value
            for p in Priority
            if p.value.casefold() not in board.options
            and cfg.priority_labels[p].casefold() not in board.options
        ]
        if missing:
            return [
                error(
                    "github-board",
                    f"field {cfg.priority_field!r} of {where} has no option for {', '.join(missing)}",
                    hint="add the options to the board's field, or point trackers.github.priority_field "
                    "elsewhere",
                )
            ]
    fields = [
        f"{k} {v!r}" for k, v in (("due_field", cfg.due_field), ("priority_field", cfg.priority_field)) if v
    ]
    what = f" with {' and '.join(fields)}" if fields else ""
    return [info("github-board", f"{where} is reachable{what}")]
