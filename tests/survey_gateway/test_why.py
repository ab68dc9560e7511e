"""Every survey decision recorded with its reason, through a real ingest on SQLite and
PostgreSQL, logged at INFO and shown by ``callkpi survey why CONTACTID`` (in a subprocess)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from callkpi.connectors import RawEvent
from callkpi.store.ingest import Ingestor
from callkpi.store.privacy import CustomerHasher
from callkpi.testing import TEST_HMAC_KEY, abandoned_contact, contact_timeline, event_factory
from callkpi_survey_gateway import policy
from callkpi_survey_gateway.decisions import decisions_of
from callkpi_survey_gateway.suppression import suppress

CALLKPI = Path(sys.executable).parent / "callkpi"
HASHER = CustomerHasher(TEST_HMAC_KEY)
DUTCH_MOBILE = "+31612345678"
OTHER_MOBILE = "+31687654321"


@pytest.fixture
def ingest(gateway_store, gateway_pm):
    ingestor = Ingestor(gateway_store, gateway_pm, HASHER)

    def run(events):
        return ingestor.ingest_batch([RawEvent(event, "test") for event in events])

    return run


def offered_in_an_hour() -> datetime:
    return (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)


def why(store, contactid):
    with store.reading() as connection:
        return [(row["decision"], row["reason_code"]) for row in decisions_of(connection, contactid)]


def test_each_policy_decision_is_recorded_with_its_reason(gateway_store, gateway_settings, survey_config, ingest,
                                                          caplog):
    offered, make = offered_in_an_hour(), event_factory()
    with gateway_store.transaction() as connection:
        suppress(connection, HASHER.hash(OTHER_MOBILE), "default", "STOP", datetime.now(UTC))
    policy.use_configs({"default": survey_config.model_copy(update={"eligible_queues": ["sales"]})})
    with caplog.at_level(logging.INFO, logger="callkpi_survey_gateway.decisions"):
        ingest([
            *contact_timeline(make, "c-1", offered, customer=DUTCH_MOBILE),
            *contact_timeline(make, "c-2", offered + timedelta(minutes=10), customer=DUTCH_MOBILE),
            *contact_timeline(make, "c-3", offered),
            *abandoned_contact(make, "c-4", offered, customer="+31611111111"),
            *contact_timeline(make, "c-5", offered, customer="+31622222222", queue="support"),
            *contact_timeline(make, "c-6", offered, customer=OTHER_MOBILE),
        ])
    assert why(gateway_store, "c-1") == [("scheduled", "due")]
    assert why(gateway_store, "c-2")[0] == ("skipped", "capped")
    assert why(gateway_store, "c-3")[0] == ("skipped", "no_number")
    assert why(gateway_store, "c-4")[0] == ("skipped", "ineligible")
    assert why(gateway_store, "c-5")[0] == ("skipped", "ineligible")
    assert why(gateway_store, "c-6")[0] == ("skipped", "opted_out")
    logged = [record.getMessage() for record in caplog.records]
    assert any("contact c-5" in line and "queue 'support' is not surveyed" in line for line in logged)
    assert all(record.levelno == logging.INFO for record in caplog.records)


def test_a_contact_not_sampled_says_so(gateway_store, gateway_settings, survey_config, ingest):
    policy.use_configs({"default": survey_config.model_copy(update={"sampling_rate": 0.0})})
    ingest(contact_timeline(event_factory(), "c-1", offered_in_an_hour(), customer=DUTCH_MOBILE))
    with gateway_store.reading() as connection:
        [first, *_] = decisions_of(connection, "c-1")
    assert (first["decision"], first["reason_code"], first["reason"], first["survey_id"]) == (
        "skipped", "sampled_out", "the contact was not sampled (sampling rate 0)", None)


def test_survey_why_shows_the_decisions_of_a_contact(gateway_store, gateway_settings, gateway_env, ingest):
    make = event_factory()
    ingest(contact_timeline(make, "c-1", offered_in_an_hour(), customer=DUTCH_MOBILE))
    ingest(contact_timeline(make, "c-2", offered_in_an_hour(), customer=DUTCH_MOBILE))
    env = os.environ | gateway_env | {"CALLKPI_HMAC_KEY": TEST_HMAC_KEY.hex()}

    def survey_why(contactid):
        return subprocess.run([str(CALLKPI), "survey", "why", contactid, "--database", gateway_store.url],
                              env=env, capture_output=True, text=True, timeout=120)

    scheduled, capped, unknown = survey_why("c-1"), survey_why("c-2"), survey_why("nobody")
    assert scheduled.returncode == 0, scheduled.stderr
    [line] = scheduled.stdout.splitlines()
    assert " UTC  default  scheduled (due): sms survey in 'nl', due at " in line and "[sv_" in line
    assert capped.returncode == 0 and "skipped (capped): the customer was last surveyed at" in capped.stdout
    assert "within the 30-day limit" in capped.stdout
    assert unknown.returncode == 1
    assert "no survey decision recorded for contact 'nobody'" in unknown.stderr
