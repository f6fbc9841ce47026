"""`[trackers.jira]`: where Jira is, how to authenticate, and how pm-sync's fields map onto it."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from pm_sync.document.model import Priority
from pm_sync.tracker import ConnectorConfig

PROJECT_RE = re.compile(r"^[A-Z][A-Z0-9_]+$")
DEFAULT_PRIORITIES = {
    Priority.P0: "Highest",
    Priority.P1: "High",
    Priority.P2: "Medium",
    Priority.P3: "Low",
    Priority.P4: "Lowest",
}
DEFAULT_DROPPED = ["Won't Do", "Won't Fix", "Duplicate", "Cannot Reproduce"]


class JiraConfig(ConnectorConfig):
    """Every key but `url` has a default; `project` may also come from the top level or front matter.

    Cloud: `email` + `token_env` (an API token, basic auth). Data Center: `token_env` alone (a
    personal access token, sent as a bearer token).
    """

    url: str
    deployment: Literal["auto", "cloud", "datacenter"] = "auto"
    email: str | None = None
    token_env: str = "JIRA_API_TOKEN"
    issue_type: str = "Task"
    labels: list[str] = Field(default_factory=lambda: ["postmortem"])
    priorities: dict[Priority, str] = Field(default_factory=lambda: dict(DEFAULT_PRIORITIES))
    dropped_resolutions: list[str] = Field(default_factory=lambda: list(DEFAULT_DROPPED))

    @field_validator("url")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        value = value.strip()
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL, e.g. https://acme.atlassian.net")
        return value.rstrip("/")

    @field_validator("project")
    @classmethod
    def _project_key(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().upper()
        if not PROJECT_RE.match(value):
            raise ValueError(f"{value!r} is not a Jira project key (like OPS)")
        return value

    @field_validator("labels")
    @classmethod
    def _no_spaces(cls, value: list[str]) -> list[str]:
        for label in value:
            if not label or re.search(r"\s", label):
                raise ValueError(f"Jira labels cannot be empty or contain spaces: {label!r}")
        return value

    @field_validator("priorities")
    @classmethod
    def _all_priorities(cls, value: dict[Priority, str]) -> dict[Priority, str]:
        merged = DEFAULT_PRIORITIES | value
        if not all(name.strip() for name in merged.values()):
            raise ValueError("priority names cannot be empty")
        return merged

    @field_validator("token_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError(f"{value!r} is not an environment variable name")
        return value
