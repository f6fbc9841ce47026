"""The three built-in connectors pass the contract kit that ships in `pm_sync.testing`: Jira and
GitHub through their real client libraries against the fake servers, the embedded tracker on
its SQLite file."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from pm_sync.testing import Backend, ConnectorContract
from pm_sync.tracker import ConnectorContext
from pm_sync_github import GitHubConfig, GitHubConnector
from pm_sync_jira import JiraConfig, JiraConnector
from pm_sync_local import LocalConfig, LocalConnector, LocalStore
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_jira import FakeJira
from tests.jira_support import ALICE

# ----------------------------------------------------------------------------- local


class LocalBackend(Backend):
    def __init__(self, root: Path) -> None:
        self.root = root
        self.db = root / "tracker.db"

    def connector(self) -> LocalConnector:
        return LocalConnector(LocalConfig(path=str(self.db)), ConnectorContext(env={}, root=self.root))

    def count(self) -> int:
        return len(LocalStore(self.db).list())

    def owner(self) -> str | None:
        return "@alice"

    def config(self) -> Mapping[str, Any]:
        return {"path": str(self.db)}

    def delete(self, key: str) -> None:
        LocalStore(self.db).delete(key)


class TestLocalTracker(ConnectorContract):
    @pytest.fixture
    def backend(self, tmp_path: Path) -> LocalBackend:
        return LocalBackend(tmp_path)


# ----------------------------------------------------------------------------- Jira

JIRA_TOKEN_ENV = "PMSYNC_KIT_JIRA_TOKEN"


class JiraBackend(Backend):
    def __init__(self, fake: FakeJira, root: Path) -> None:
        self.fake, self.root = fake, root
        self.token = fake.token  # what the team configured, even after Jira revokes it

    def config(self) -> Mapping[str, Any]:
        table: dict[str, Any] = {
            "url": self.fake.url,
            "deployment": "cloud" if self.fake.is_cloud else "datacenter",
            "token_env": JIRA_TOKEN_ENV,
            "project": "OPS",
            "timeout": 5,
            "recovery_wait": 0,
        }
        if self.fake.is_cloud:
            table["email"] = self.fake.email
        return table

    def env(self) -> Mapping[str, str]:
        return {JIRA_TOKEN_ENV: self.token}

    def connector(self) -> JiraConnector:
        return JiraConnector(
            JiraConfig.model_validate(self.config()), ConnectorContext(env=self.env(), root=self.root)
        )

    def count(self) -> int:
        return len(self.fake.issues)

    def owner(self) -> str | None:
        return ALICE if self.fake.is_cloud else "alice"

    def lose_next_create_answer(self) -> None:
        self.fake.inject("POST", r"/issue/bulk$", drop=True, after=True)

    def reject_credentials(self) -> None:
        self.fake.token = "revoked"

    def rate_limit(self, seconds: float) -> None:
        self.fake.rate_limit("GET", r"/api/2/search(/jql)?$", retry_after=int(seconds))

    def move(self, key: str) -> str:
        return self.fake.move_issue(key, "SEC")

    def delete(self, key: str) -> None:
        self.fake.delete_issue(key)

    def requests(self) -> int:
        return len(self.fake.request_log)


@pytest.fixture(params=["cloud", "datacenter"])
def fake_jira(request: pytest.FixtureRequest) -> Iterator[FakeJira]:
    with FakeJira(mode=request.param) as fake:
        fake.add_project("OPS", name="Operations", issue_types=["Task"])
        fake.add_project("SEC", name="Security")
        fake.add_user(account_id=ALICE, name="alice", email="alice@example.com", display_name="Alice")
        yield fake


class TestJira(ConnectorContract):
    @pytest.fixture
    def backend(self, fake_jira: FakeJira, tmp_path: Path) -> JiraBackend:
        return JiraBackend(fake_jira, tmp_path)


# ----------------------------------------------------------------------------- GitHub

GH_TOKEN_ENV = "PMSYNC_KIT_GH_TOKEN"
REPO = "acme/app"


class GitHubBackend(Backend):
    def __init__(self, fake: FakeGitHub, root: Path) -> None:
        self.fake, self.root = fake, root

    def config(self) -> Mapping[str, Any]:
        return {
            "repo": REPO,
            "api_url": self.fake.api_url,
            "token_env": GH_TOKEN_ENV,
            "timeout": 5,
            "seconds_between_writes": 0,
        }

    def env(self) -> Mapping[str, str]:
        return {GH_TOKEN_ENV: "ghp_test"}

    def connector(self) -> GitHubConnector:
        return GitHubConnector(
            GitHubConfig.model_validate(self.config()), ConnectorContext(env=self.env(), root=self.root)
        )

    def count(self) -> int:
        return len(self.fake.issues(REPO)) + len(self.fake.issues("acme/infra"))

    def owner(self) -> str | None:
        return "alice"

    def lose_next_create_answer(self) -> None:
        self.fake.inject("POST", r"^/repos/acme/app/issues$", drop=True, after=True)

    def reject_credentials(self) -> None:
        self.fake.tokens = {"revoked"}

    def rate_limit(self, seconds: float) -> None:
        self.fake.secondary_limit("GET", r"/issues$", retry_after=seconds, status=403)

    def move(self, key: str) -> str:
        number = int(key.rsplit("#", 1)[1])
        return f"acme/infra#{self.fake.transfer_issue(REPO, number, 'acme/infra')}"

    def delete(self, key: str) -> None:
        self.fake.delete_issue(REPO, int(key.rsplit("#", 1)[1]))

    def requests(self) -> int:
        return len(self.fake.request_log)


class TestGitHub(ConnectorContract):
    @pytest.fixture
    def backend(self, tmp_path: Path) -> Iterator[GitHubBackend]:
        with FakeGitHub(token="ghp_test") as fake:
            fake.add_repo(REPO)
            fake.add_repo("acme/infra")
            fake.add_collaborator(REPO, "alice")
            fake.add_collaborator("acme/infra", "alice")
            yield GitHubBackend(fake, tmp_path)
