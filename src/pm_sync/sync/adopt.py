"""Which existing ticket belongs to a row that has no key yet, and which tickets no row claims.

A row's ticket is found by the row's marker (an interrupted run created it). When someone
edited the row's text meanwhile, its marker changed; the postmortem's other tickets (found by
the document marker) that no row names are then matched to the new rows by text, so the ticket
is adopted and its title updated instead of a second ticket being made. What stays unclaimed is
an orphan: its row was deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from pm_sync.document.values import plain_text
from pm_sync.tracker.tickets import TicketState

SIMILAR = 0.6
"""How alike (difflib ratio of the normalised texts) an edited row and its old ticket must be."""


def _norm(text: str) -> str:
    return " ".join(plain_text(text).casefold().split())


def _text_of(state: TicketState) -> str:
    if state.baseline is not None and state.baseline.action:
        return state.baseline.action
    return state.action


@dataclass(frozen=True)
class Match:
    uid: str
    state: TicketState
    score: float


def match_edited(rows: Sequence[tuple[str, str]], unclaimed: Sequence[TicketState]) -> list[Match]:
    """Pair rows (uid, action) with unclaimed tickets whose text is close; each side used once,
    best pairs first, and only pairs that are each other's clear best."""
    scored: list[Match] = []
    for uid, action in rows:
        mine = _norm(action)
        for state in unclaimed:
            ratio = SequenceMatcher(None, mine, _norm(_text_of(state)), autojunk=False).ratio()
            if ratio >= SIMILAR:
                scored.append(Match(uid, state, ratio))
    scored.sort(key=lambda m: -m.score)
    used_rows: set[str] = set()
    used_keys: set[str] = set()
    out: list[Match] = []
    for match in scored:
        key = match.state.key.casefold()
        if match.uid in used_rows or key in used_keys:
            continue
        rivals = [
            m
            for m in scored
            if m is not match
            and m.score == match.score
            and (m.uid == match.uid or m.state.key.casefold() == key)
            and m.uid not in used_rows
            and m.state.key.casefold() not in used_keys
        ]
        if rivals:
            continue  # a tie is a guess; leave both sides alone
        used_rows.add(match.uid)
        used_keys.add(key)
        out.append(match)
    return out
