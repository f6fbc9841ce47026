"""Cell values on their own: each parser returns a value, None for "not set", or raises ValueError."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pm_sync.document.model import ItemStatus, Priority
from pm_sync.document.values import (
    STATUS_TEXT,
    is_unset,
    parse_due,
    parse_plain,
    parse_priority,
    parse_status,
    parse_ticket,
    plain_text,
    strip_emphasis,
    truncate,
)

UNSET_MARKERS = [
    "",
    "   ",
    "-",
    "—",
    "–",
    "TBD",
    "tbd",
    "TBA",
    "N/A",
    "n/a",
    "none",
    "NONE",
    "?",
    "**TBD**",
    "_N/A_",
    "`-`",
]


@pytest.mark.parametrize("text", UNSET_MARKERS)
def test_unset_markers(text: str) -> None:
    assert is_unset(text)
    assert parse_plain(text) is None
    assert parse_priority(text) is None
    assert parse_due(text) is None
    assert parse_status(text) is None
    assert parse_ticket(text) is None


@pytest.mark.parametrize("text", ["0", "--", "TBD soon", "no", "x", "nothing", "??"])
def test_other_short_values_are_set(text: str) -> None:
    assert not is_unset(text)
    assert parse_plain(text) == text


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("**x**", "x"),
        ("__x__", "x"),
        ("*x*", "x"),
        ("_x_", "x"),
        ("`x`", "x"),
        ("***x***", "x"),
        ("**_x_**", "x"),
        ("~~x~~", "x"),
        ("  **x**  ", "x"),
        ("**x** and **y**", "**x** and **y**"),
        ("`a` or `b`", "`a` or `b`"),
        ("*a* b *c*", "*a* b *c*"),
        ("x*", "x*"),
        ("**", "**"),
        ("", ""),
    ],
)
def test_strip_emphasis(text: str, plain: str) -> None:
    assert strip_emphasis(text) == plain


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("P0", Priority.P0),
        ("p0", Priority.P0),
        ("P4", Priority.P4),
        (" p2 ", Priority.P2),
        ("**P1**", Priority.P1),
        ("Critical", Priority.P0),
        ("HIGH", Priority.P1),
        ("medium", Priority.P2),
        ("Low", Priority.P3),
    ],
)
def test_parse_priority(text: str, priority: Priority) -> None:
    assert parse_priority(text) is priority


@pytest.mark.parametrize("text", ["P5", "P-1", "PP1", "1", "urgent", "P1 high", "Sev1"])
def test_parse_priority_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not one of P0–P4 \(or Critical, High"):
        parse_priority(text)


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-22",
        "2024/01/22",
        "Jan 22, 2024",
        "January 22, 2024",
        "22 Jan 2024",
        "22 January 2024",
        "JAN 22, 2024",
        "Jan  22,  2024",
        "*2024-01-22*",
    ],
)
def test_parse_due_formats(text: str) -> None:
    assert parse_due(text) == dt.date(2024, 1, 22)


@pytest.mark.parametrize(
    "text",
    [
        "01/02/2024",
        "02/01/2024",
        "1/22/24",
        "22/01/2024",
        "2024.01.22",
        "20240122",
        "next week",
        "Q1",
        "end of sprint",
        "2024-02-30",
        "2024-00-10",
        "Jan 22",
        "22 Jan",
        "Jan 22 2024",
        "2024-01-22T10:00",
        "Monday",
    ],
)
def test_parse_due_never_guesses(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_due(text)
    assert str(info.value) == (
        f"due date {strip_emphasis(text)!r} is not a date pm-sync reads; "
        "write it as YYYY-MM-DD (e.g. 2024-01-22)"
    )


@given(
    st.dates(dt.date(1900, 1, 1), dt.date(2999, 12, 31)),
    st.sampled_from(["%Y-%m-%d", "%Y/%m/%d", "%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y"]),
)
def test_parse_due_round_trips_every_documented_format(day: dt.date, fmt: str) -> None:
    assert parse_due(day.strftime(fmt)) == day


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Open", ItemStatus.OPEN),
        ("todo", ItemStatus.OPEN),
        ("To Do", ItemStatus.OPEN),
        ("Not started", ItemStatus.OPEN),
        ("In progress", ItemStatus.IN_PROGRESS),
        ("in-progress", ItemStatus.IN_PROGRESS),
        ("WIP", ItemStatus.IN_PROGRESS),
        ("Done", ItemStatus.DONE),
        ("Completed", ItemStatus.DONE),
        ("Fixed", ItemStatus.DONE),
        ("✅ Done", ItemStatus.DONE),
        ("Done.", ItemStatus.DONE),
        ("Won't do", ItemStatus.DROPPED),
        ("Won’t fix", ItemStatus.DROPPED),
        ("wontfix", ItemStatus.DROPPED),
        ("Dropped", ItemStatus.DROPPED),
    ],
)
def test_parse_status(text: str, status: ItemStatus) -> None:
    assert parse_status(text) is status


@pytest.mark.parametrize("text", ["Maybe", "50%", "Done?!?? later", "Reopened"])
def test_parse_status_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="is not recognized; use Open, In progress, Done"):
        parse_status(text)


@pytest.mark.parametrize("status", list(ItemStatus))
def test_status_text_reads_back_as_the_same_status(status: ItemStatus) -> None:
    assert parse_status(STATUS_TEXT[status]) is status


@pytest.mark.parametrize(
    ("text", "ticket"),
    [
        ("ENG-1234", "ENG-1234"),
        ("  ENG-1234 ", "ENG-1234"),
        ("#12", "#12"),
        ("org/repo#12", "org/repo#12"),
        ("[ENG-1](https://j/ENG-1)", "ENG-1"),
        ("[`ENG-1`](https://j/ENG-1)", "ENG-1"),
        ("[ENG\\-1](https://j)", "ENG-1"),
        ("[](https://j/ENG-2)", "https://j/ENG-2"),
        ("<https://j/ENG-3>", "https://j/ENG-3"),
        ("**ENG-4**", "ENG-4"),
        ("[#7](https://github.com/o/r/issues/7)", "#7"),
        ('[ENG-5](https://j/ENG-5 "Jira")', "ENG-5"),
        ("[ENG-6][jira]", "ENG-6"),
        ("[ENG-7][]", "ENG-7"),
    ],
)
def test_parse_ticket(text: str, ticket: str) -> None:
    assert parse_ticket(text) == ticket


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("**Add** [runbook](https://x) for `pg`", "Add runbook for pg"),
        ("a<br>b", "a b"),
        ("a<br/>b", "a b"),
        ("line\nnext", "line next"),
        ("  spaced   out  ", "spaced out"),
        ("a \\| b", "a | b"),
        ("日本 *語*", "日本 語"),
    ],
)
def test_plain_text(markdown: str, plain: str) -> None:
    assert plain_text(markdown) == plain


def test_truncate() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("exactly10!", 10) == "exactly10!"
    assert truncate("a longer sentence", 10) == "a longer…"
    assert len(truncate("x" * 300, 255)) == 255


@given(st.text(max_size=60), st.integers(1, 50))
def test_truncate_never_exceeds_the_limit(text: str, limit: int) -> None:
    out = truncate(text, limit)
    assert len(out) <= limit
    assert out == text or out.endswith("…")
