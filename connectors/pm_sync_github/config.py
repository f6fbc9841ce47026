"""`[trackers.github]`: the repository, the token's variable name, labels and an optional board."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pm_sync.document.model import Priority
from pm_sync.tracker import ConnectorConfig

REPO_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
DEFAULT_API_URL = "https://api.github.com"


def _default_priority_labels() -> dict[Priority, str]:
    return {p: p.value for p in Priority}


class ProjectBoard(BaseModel):
    """A Projects v2 board: `project = { owner = "acme", number = 5 }` (org) or owner_type user."""

    model_config = ConfigDict(extra="forbid")

    owner: str
    number: int = Field(gt=0)
    owner_type: Literal["org", "user"] = "org"


def _board_accepted(schema: dict[str, Any]) -> None:
    """The schema editors see: `project` also takes the board table `_board_from_project` moves."""
    schema["anyOf"] = [*schema.get("anyOf", []), ProjectBoard.model_json_schema()]


class GitHubConfig(ConnectorConfig):
    """Every key has a production default; only `repo` is required.

    `project` is either the default repository (a string, as the top-level `project` key or
    front matter give it) or a Projects v2 board (a table), which is kept in `board`.
    """

    project: str | None = Field(
        default=None,
        description="the default repository (owner/name), or a Projects v2 board table",
        json_schema_extra=_board_accepted,
    )
    repo: str | None = None
    token_env: str = "GITHUB_TOKEN"
    api_url: str = DEFAULT_API_URL
    graphql_url: str | None = None
    labels: list[str] = Field(default_factory=lambda: ["postmortem"])
    priority_labels: dict[Priority, str] = Field(default_factory=_default_priority_labels)
    board: ProjectBoard | None = None
    due_field: str | None = None
    priority_field: str | None = None
    timeout: float = Field(default=15.0, gt=0)
    max_wait: float = Field(default=900.0, ge=0)
    seconds_between_writes: float = Field(default=1.0, ge=0)
    secondary_rate_wait: float = Field(default=60.0, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _board_from_project(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("project"), dict):
            data = dict(data)
            if "board" in data:
                raise ValueError("give the Projects v2 board as `project` or `board`, not both")
            try:
                data["board"] = ProjectBoard.model_validate(data.pop("project"))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "project"
                raise ValueError(
                    f'the Projects v2 board `project` ({{ owner = "org", number '
                    f"= 5 }}): {where}: {first['msg']}"
                ) from None
        return data

    @field_validator("repo", "project")
    @classmethod
    def _repo_shape(cls, value: str | None) -> str | None:
        if value is not None and not REPO_RE.match(value.strip()):
            raise ValueError(f"{value!r} is not a repository; write it as owner/name")
        return value.strip() if value else value

    @field_validator("api_url", "graphql_url")
    @classmethod
    def _url_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/") if value else value

    @field_validator("priority_labels")
    @classmethod
    def _all_priorities(cls, value: dict[Priority, str]) -> dict[Priority, str]:
        merged = _default_priority_labels() | value
        names = [n.casefold() for n in merged.values()]
        if len(set(names)) != len(names) or not all(n.strip() for n in names):
            raise ValueError("priority labels must be distinct, non-empty names")
        return merged

    @model_validator(mode="after")
    def _default_repo(self) -> GitHubConfig:
        if self.repo is None:
            self.repo = self.project
        if self.repo is None:
            raise ValueError("set `repo` (owner/name), the repository new issues go to")
        self.project = self.repo
        return self

    @property
    def default_repo(self) -> str:
        assert self.repo is not None
        return self.repo

    def graphql_endpoint(self) -> str:
        """github.com: api.github.com/graphql; GHES `https://HOST/api/v3` → `https://HOST/api/graphql`."""
        if self.graphql_url:
            return self.graphql_url
        if self.api_url.endswith("/api/v3"):
            return self.api_url[: -len("/v3")] + "/graphql"
        return self.api_url + "/graphql"
