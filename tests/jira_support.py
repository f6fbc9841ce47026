"""Shared set-up for the Jira connector stories: a FakeJira per deployment, a pm-sync.toml, a doc."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STANDARD_ROWS, SkipClock, postmortem_text, use_clock
from tests.fakes.fake_jira import FakeJira, RecordedRequest

ALICE = "557058:aaaaaaaa-0000-4000-8000-00000000a11c"
BOB = "557058:bbbbbbbb-0000-4000-8000-000000000b0b"
TOKEN_ENV = "PMSYNC_TEST_JIRA_TOKEN"
STATUS_HEADER = "| Priority | Action | Owner | Due | Ticket | Status |"
STATUS_DELIM = "|---|---|---|---|---|---|"
ROW_LINES = (14, 15, 16)  # line of each STANDARD_ROWS row in postmortem_text


@dataclass
class JiraEnv:
    fake: FakeJira
    workdir: Path
    slept: list[float]
    doc: Path = field(init=False)

    def __post_init__(self) -> None:
        self.doc = self.workdir / "docs" / "technical" / "postmortem-2024-01-15-payments.md"

    @property
    def cloud(self) -> bool:
        return self.fake.is_cloud

    def ident(self, who: str) -> str:
        """The identity Jira's API speaks for a user: accountId on Cloud, username on DC."""
        return {"alice": ALICE, "bob": BOB}[who] if self.cloud else who

    def write_config(self, owners: dict[str, str] | None = None, **jira: Any) -> None:
        settings: dict[str, Any] = {
            "url": self.fake.url,
            "deployment": "cloud" if self.cloud else "datacenter",
            "token_env": TOKEN_ENV,
            "project": "OPS",
            "timeout": 5,
        }
        if self.cloud:
            settings["email"] = self.fake.email
        settings.update(jira)
        lines = ['tracker = "jira"', "", "[trackers.jira]"]
        for key, value in settings.items():
            if value is None:
                continue
            lines.append(f"{key} = {_toml(value)}")
        owner_map = {"@alice": self.ident("alice"), "@bob": "bob@example.com"}
        owner_map.update(owners or {})
        lines += ["", "[owners]"]
        lines += [f'"{h}" = {{ jira = {_toml(v)} }}' for h, v in owner_map.items()]
        lines.append("")
        (self.workdir / "pm-sync.toml").write_text("\n".join(lines))

    def write_doc(
        self, rows: Sequence[Sequence[str]] = STANDARD_ROWS, *, status: bool = False, keys: Sequence[str] = ()
    ) -> Path:
        keyed = [(*r, keys[n] if n < len(keys) else "") for n, r in enumerate(rows)]
        if status:
            text = postmortem_text(
                [(*r, "Open") for r in keyed], header=STATUS_HEADER, delimiter=STATUS_DELIM
            )
        else:
            text = postmortem_text(keyed)
        self.doc.parent.mkdir(parents=True, exist_ok=True)
        self.doc.write_text(text)
        return self.doc

    def writes(self) -> list[RecordedRequest]:
        return [r for r in self.fake.request_log if r.method in ("POST", "PUT", "DELETE")]

    def issue(self, key: str) -> dict[str, Any]:
        return self.fake.get(key)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture(params=["cloud", "datacenter"])
def jira_env(
    request: pytest.FixtureRequest, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[JiraEnv]:
    """FakeJira with project OPS (and SEC), users alice and bob, a config pointing at it."""
    with FakeJira(mode=request.param) as fake:
        fake.add_project("OPS", name="Operations", issue_types=["Task", "Bug"])
        fake.add_project("SEC", name="Security")
        fake.add_user(account_id=ALICE, name="alice", email="alice@example.com", display_name="Alice Adams")
        fake.add_user(account_id=BOB, name="bob", email="bob@example.com", display_name="Bob Brown")
        monkeypatch.setenv(TOKEN_ENV, fake.token)
        waits = SkipClock()
        use_clock(monkeypatch, waits)  # pm-sync's waits are recorded, not slept
        fake.monotonic = lambda: time.monotonic() + waits.offset  # the fake's search lag sees them
        env = JiraEnv(fake, workdir, waits.slept)
        env.write_config()
        yield env
