"""Small helpers shared by the end-to-end reconcile and overdue stories against FakeJira and
FakeGitHub: documents with a Status column, exact-line edits, and request-log counting."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tests.conftest import postmortem_text
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_jira import FakeJira, RecordedRequest

STATUS_HEADER = "| Priority | Action | Owner | Due | Ticket | Status |"
STATUS_DELIM = "|---|---|---|---|---|---|"
FIRST_ROW_LINE = 14  # line of the first table row in postmortem_text

FOUR_ROWS = [
    ("P0", "Integration test for connection pool", "@alice", "2024-01-22"),
    ("P0", "Lower DB alert threshold to 70%", "@bob", "2024-01-17"),
    ("P1", "Document connection management patterns", "@alice", "2024-01-29"),
    ("P1", "Add pool saturation dashboard", "@bob", "2024-02-05"),
]


def status_doc(
    path: Path, rows: Sequence[Sequence[str]], statuses: Sequence[str] = (), tickets: Sequence[str] = ()
) -> Path:
    """A Final postmortem whose table has Ticket and Status columns."""
    full = [
        (*r, tickets[n] if n < len(tickets) else "", statuses[n] if n < len(statuses) else "Open")
        for n, r in enumerate(rows)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(postmortem_text(full, header=STATUS_HEADER, delimiter=STATUS_DELIM))
    return path


def table_rows(doc: Path) -> list[str]:
    """The action-item rows of the document, verbatim."""
    return [
        ln for ln in doc.read_text().splitlines() if ln.startswith("| P") and not ln.startswith("| Priority")
    ]


def replace_once(doc: Path, old: str, new: str) -> str:
    """Edit the document as a person would; the text to replace must occur exactly once."""
    text = doc.read_text()
    assert text.count(old) == 1, (old, text)
    edited = text.replace(old, new)
    doc.write_text(edited)
    return edited


# -- Jira ------------------------------------------------------------------------------------


def jira_searches(fake: FakeJira) -> list[RecordedRequest]:
    """JQL searches, on either API: Cloud's enhanced search/jql or Data Center's search."""
    return [r for r in fake.request_log if (r.api_path or "") in ("search", "search/jql")]


def jira_issue_gets(fake: FakeJira) -> list[RecordedRequest]:
    return [r for r in fake.requests_to("GET", "issue/") if "/properties" not in (r.api_path or "")]


def _baseline_only(r: RecordedRequest) -> bool:
    """pm-sync recording its baseline: the property resource (Data Center), or an edit that
    carries nothing but `properties` (Cloud)."""
    path = r.api_path or ""
    return path.endswith("/properties/pm-sync") or (
        isinstance(r.json, dict) and set(r.json) == {"properties"}
    )


def jira_field_edits(fake: FakeJira) -> list[RecordedRequest]:
    """PUTs that edit an issue's fields (not only the entity property holding the baseline)."""
    return [r for r in fake.requests_to("PUT", "issue/") if not _baseline_only(r)]


def jira_writes(fake: FakeJira) -> list[RecordedRequest]:
    return [r for r in fake.request_log if r.method in ("POST", "PUT", "DELETE")]


def jira_ticket_writes(fake: FakeJira) -> list[RecordedRequest]:
    """Writes other than pm-sync's own baseline record (the `pm-sync` entity property)."""
    return [r for r in jira_writes(fake) if not _baseline_only(r)]


def jql_of(request: RecordedRequest) -> str:
    if request.method == "POST" and isinstance(request.json, dict):
        return str(request.json.get("jql") or "")
    return request.query.get("jql", "")


# -- GitHub ----------------------------------------------------------------------------------


def gh_writes(fake: FakeGitHub) -> list[tuple[str, str]]:
    return [(r.method, r.route) for r in fake.request_log if not r.is_read]


def gh_ticket_writes(fake: FakeGitHub) -> list[tuple[str, str]]:
    """Writes other than a body-only PATCH refreshing pm-sync's hidden baseline comment."""
    return [
        (r.method, r.route)
        for r in fake.request_log
        if not r.is_read
        and not (
            r.method == "PATCH"
            and isinstance(r.json, dict)
            and set(r.json) == {"body"}
            and "<!-- pm-sync" in str(r.json["body"])
        )
    ]


def gh_issue_gets(fake: FakeGitHub) -> list[str]:
    """GETs of single issues (`/repos/o/r/issues/N`), which batching should avoid."""
    return [r.route for r in fake.requests_to("GET", r"/issues/\d+$")]


def gh_listings(fake: FakeGitHub) -> list[str]:
    return [
        r.route
        for r in fake.requests_to(
            "GET",
            r"^/(repos/[^/]+/[^/]+|repositories/\d+)"
            r"/issues$",
        )
    ]


def gh_graphql_reads(fake: FakeGitHub) -> list[dict[str, object]]:
    """The variables of each GraphQL query that read issues by number (`issue(number:)`)."""
    return [
        r.json.get("variables") or {}
        for r in fake.requests_to("POST", r"^/graphql$")
        if r.is_read and "issue(number:" in str(r.json.get("query"))
    ]
