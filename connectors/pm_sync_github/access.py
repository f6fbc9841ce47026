"""What the token may do in a repository: does it exist, take issues, let us assign a login.

Answers are cached for the run: one GET per repository and per (repository, login).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pm_sync.diagnostics import Diagnostic, error
from pm_sync.errors import NotFoundError
from pm_sync.tracker.tickets import TicketDraft
from pm_sync_github.reader import JSON, Caller


class Access:
    def __init__(self, rest: Callable[[], Caller]) -> None:
        self._rest = rest
        self._assignable: dict[tuple[str, str], bool] = {}
        self._repo_info: dict[str, JSON] = {}

    def repo(self, repo: str) -> JSON:
        if repo.casefold() not in self._repo_info:
            _, data = self._rest().call("GET", f"/repos/{repo}", f"reading repository {repo}")
            self._repo_info[repo.casefold()] = data if isinstance(data, dict) else {}
        return self._repo_info[repo.casefold()]

    def can_assign(self, repo: str, login: str) -> bool:
        key = (repo.casefold(), login.casefold())
        if key not in self._assignable:
            try:
                self._rest().call(
                    "GET",
                    f"/repos/{repo}/assignees/{login}",
                    f"checking that {login} can be assigned in {repo}",
                )
                self._assignable[key] = True
            except NotFoundError:
                self.repo(repo)  # a missing repository is its own, clearer error
                self._assignable[key] = False
        return self._assignable[key]

    def preflight(self, drafts: Sequence[TicketDraft], default_repo: str) -> list[Diagnostic]:
        """Everything that would make a create fail or lose data, before the first one."""
        problems: list[Diagnostic] = []
        for draft in drafts:
            repo = draft.project or default_repo
            try:
                info = self.repo(repo)
            except NotFoundError as exc:
                problems.append(error("github-access", line=draft.line, message=exc.message))
                continue
            if info.get("has_issues") is False:
                problems.append(
                    error("github-access", line=draft.line, message=f"issues are disabled in {repo}")
                )
            elif (info.get("permissions") or {}).get("push") is False:
                problems.append(
                    error(
                        "github-access",
                        line=draft.line,
                        message=f"the token cannot write to {repo}: GitHub would "
                        "drop the labels and assignees pm-sync needs",
                    )
                )
            elif draft.owner and not self.can_assign(repo, draft.owner):
                problems.append(
                    error(
                        "owner-unknown",
                        line=draft.line,
                        message=f"owner {draft.owner_handle} ({draft.owner}) cannot be assigned "
                        f"issues in {repo}",
                    )
                )
        return problems
