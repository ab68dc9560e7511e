"""callkpi.testing as a plugin author meets it: a separate pytest run, fixtures by name only."""

from __future__ import annotations

import pytest

from callkpi.testing import contact_timeline, event_factory

pytest_plugins = ["pytester"]

VENDOR_TESTS = '''
from sqlalchemy import select

from callkpi.store.tables import ContactFact
from callkpi.testing import abandoned_contact, contact_timeline, raw_events


def fact(store):
    with store.transaction() as connection:
        return connection.execute(select(ContactFact)).one()


def test_answered_contact(callkpi_ingestor, callkpi_store, make_event):
    events = contact_timeline(make_event, "c1", "2026-01-05T09:00:00Z", wait_s=12, talk_s=200,
                              acw_s=40, customer="+31201234567", resolved=True)
    assert callkpi_ingestor.ingest(raw_events(events)).accepted == 4
    row = fact(callkpi_store)
    # handle = talk 200 + hold 0 + after-contact work 40
    durations = (row.wait_s, row.talk_s, row.acw_s, row.handle_s)
    assert row.outcome == "answered" and durations == (12, 200, 40, 240)
    assert row.resolved is True and row.customer_hmac is not None


def test_abandoned_contact(callkpi_ingestor, callkpi_store, make_event):
    events = abandoned_contact(make_event, "c2", "2026-01-05T09:00:00Z", wait_s=45)
    assert callkpi_ingestor.ingest(raw_events(events)).accepted == 2
    assert (fact(callkpi_store).outcome, fact(callkpi_store).wait_s) == ("abandoned", 45)


def test_bad_event_is_quarantined(callkpi_ingestor, make_event):
    no_agent = make_event("contact.answered", "2026-01-05T09:00:00Z", contactid="c3")
    (outcome,) = callkpi_ingestor.ingest_batch(raw_events([no_agent]))
    assert outcome.status == "quarantined" and "agentid" in outcome.reasons[0]


def test_plugin_manager_knows_the_core_types(callkpi_pm):
    assert "contact.wrapup_completed" in callkpi_pm.catalog.event_types.types
'''

WRONG_EXPECTATION = '''
from callkpi.testing import abandoned_contact, raw_events


def test_wrong_expectation(callkpi_ingestor, make_event):
    events = abandoned_contact(make_event, "c2", "2026-01-05T09:00:00Z")
    assert callkpi_ingestor.ingest(raw_events(events)).accepted == 3  # 2 events: wrong on purpose
'''


def test_vendor_test_file_runs_with_the_fixtures_alone(pytester: pytest.Pytester):
    pytester.makepyfile(test_vendor=VENDOR_TESTS, test_wrong=WRONG_EXPECTATION)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    # 4 vendor tests pass; the wrong expectation shows the fixtures do not swallow failures.
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_wrong.py::test_wrong_expectation - *assert 2 == 3"])


def test_contact_timeline_spaces_the_events_as_asked():
    events = contact_timeline(event_factory("t"), "c1", "2026-01-05T09:00:00Z",
                              wait_s=12, talk_s=200, acw_s=40, disposition="sale", centre="ams")
    # answered 09:00:00 + 12 s; ended + 200 s = 09:03:32; wrap-up + 40 s = 09:04:12
    assert [(e["type"], e["time"]) for e in events] == [
        ("contact.offered", "2026-01-05T09:00:00Z"),
        ("contact.answered", "2026-01-05T09:00:12Z"),
        ("contact.ended", "2026-01-05T09:03:32Z"),
        ("contact.wrapup_completed", "2026-01-05T09:04:12Z"),
    ]
    assert [e["id"] for e in events] == ["t-1", "t-2", "t-3", "t-4"]
    assert {e["centre"] for e in events} == {"ams"} and "agentid" not in events[0]
    assert events[3]["data"] == {"disposition": "sale"}
