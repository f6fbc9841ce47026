"""The contract kit fails a connector that breaks a rule the engine relies on: each broken
connector below (the in-memory reference with one rule broken) is run through the kit in its
own pytest session, and exactly the check for that rule must fail."""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

HEADER = """
import pytest
from pm_sync.errors import AmbiguousWriteError
from pm_sync.testing import ConnectorContract, MemoryBackend, MemoryConnector
from pm_sync.tracker import TicketRef


class Broken(MemoryConnector):
{body}


class BrokenBackend(MemoryBackend):
    def connector(self):
        real = super().connector()
        return Broken(real.config, real.context)


class TestBroken(ConnectorContract):
    @pytest.fixture
    def backend(self):
        return BrokenBackend()
"""

BROKEN = {
    "forgets the marker": (
        """
    def find(self, markers, projects):
        return [s.model_copy(update={"marker": None}) for s in super().find(markers, projects)]
""",
        {
            "test_create_stores_the_markers_and_the_baseline",
            "test_a_create_whose_answer_is_lost_is_ambiguous_and_never_sent_twice",
        },
    ),
    "resends a create whose answer was lost": (
        """
    def create(self, draft):
        try:
            return super().create(draft)
        except AmbiguousWriteError:
            return super().create(draft)
""",
        {"test_a_create_whose_answer_is_lost_is_ambiguous_and_never_sent_twice"},
    ),
    "reads one key per request": (
        """
    def read(self, keys):
        out = {}
        for key in keys:
            out.update(super().read([key]))
        return out
""",
        {"test_read_answers_every_key_asked_in_few_requests"},
    ),
    "does not store the baseline on update": (
        """
    def update(self, key, changes, baseline):
        old = self.tracker.tickets[self.tracker.current(key)].baseline
        super().update(key, changes, baseline)
        self.tracker.tickets[self.tracker.current(key)].baseline = old
""",
        {"test_update_changes_only_the_given_fields_and_stores_the_baseline"},
    ),
    "claims every Ticket cell": (
        """
    def parse_ref(self, ref):
        return TicketRef(key=ref, native=True)
""",
        {"test_parse_ref_reads_its_own_keys_and_nothing_else"},
    ),
    "hides rejected credentials as an empty answer": (
        """
    def find(self, markers, projects):
        if self.tracker.reject:
            return []
        return super().find(markers, projects)
""",
        {"test_rejected_credentials_are_an_auth_error"},
    ),
}


@pytest.mark.parametrize("flaw", sorted(BROKEN))
def test_the_kit_fails_a_connector_that_breaks_a_rule(pytester: pytest.Pytester, flaw: str) -> None:
    body, expected = BROKEN[flaw]
    pytester.makepyfile(test_broken=HEADER.format(body=textwrap.indent(textwrap.dedent(body), "    ")))

    run = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")

    failed = {
        r.nodeid.rsplit("::", 1)[1]
        for r in run.reprec.getreports("pytest_runtest_logreport")
        if r.when == "call" and r.failed
    }
    assert failed == expected, run.stdout.str()


def test_the_unbroken_reference_passes_the_same_session(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fine=HEADER.format(body="    pass"))
    run = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    run.assert_outcomes(passed=13)
