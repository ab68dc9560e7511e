"""survey.* events from the gateway's event outbox into the core: in-process through the
Ingestor, and over HTTP to a real ``callkpi`` server (``POST /v1/events`` with an API key)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from outbox_rows import T0, due_survey, survey

from callkpi.api.main import create_app, open_state
from callkpi.plugins import get_plugin_manager
from callkpi.settings import Settings
from callkpi.store.apikeys import create_api_key
from callkpi.store.tables import StoredEvent, SurveyFact
from callkpi.testing import TEST_HMAC_KEY
from callkpi_survey_gateway.crypto import NumberCipher
from callkpi_survey_gateway.events_out import FlushError, flush_events, queue_event
from callkpi_survey_gateway.tables import sg_event_outbox
from live_server import live_server

EVENTS = StoredEvent.__table__
FACTS = SurveyFact.__table__


def core_settings(store, **values):
    return Settings(database_url=store.url, hmac_key=TEST_HMAC_KEY.hex(), **values)


def remote_core(store):
    """A core without the gateway plugin, as when the gateway runs on its own elsewhere."""
    settings = core_settings(store, disabled_plugins="survey_gateway")
    return create_app(settings, pm=get_plugin_manager(settings))


@pytest.fixture
def queued(gateway_store, gateway_settings):
    """Survey 1 scheduled at T0, sent a minute later and delivered a minute after that."""
    with gateway_store.transaction() as connection:
        survey_id, _, _ = due_survey(connection, NumberCipher.from_settings(gateway_settings), 1)
        row = survey(connection, survey_id)
        for minute, (kind, data) in enumerate([
            ("scheduled", {"instruments": ["nps", "csat"], "channel": "sms", "language": "en",
                           "due_at": T0.isoformat()}),
            ("sent", {"channel": "sms", "message_id": "SM" + "1" * 32}),
            ("delivered", {"message_id": "SM" + "1" * 32}),
        ]):
            queue_event(connection, "default", f"survey.{kind}", row, data, f"{survey_id}:{kind}",
                        T0 + timedelta(minutes=minute))
    return survey_id


def stored(store, survey_id):
    with store.reading() as connection:
        ids = connection.execute(sa.select(EVENTS.c.id).where(EVENTS.c.type.like("survey.%"))
                                 .order_by(EVENTS.c.time)).scalars().all()
        fact = connection.execute(sa.select(FACTS).where(FACTS.c.surveyid == survey_id)).mappings().first()
        unflushed = connection.execute(sa.select(sa.func.count()).select_from(sg_event_outbox)
                                       .where(sg_event_outbox.c.flushed_at.is_(None))).scalar()
    return ids, fact, unflushed


def test_in_process_flush_ingests_once_and_projects_the_survey(gateway_store, gateway_settings, gateway_pm, queued):
    state = open_state(core_settings(gateway_store), gateway_pm)
    try:
        assert flush_events(state, gateway_settings) == 3
        assert flush_events(state, gateway_settings) == 0
    finally:
        state.store.dispose()
    ids, fact, unflushed = stored(gateway_store, queued)
    assert ids == [f"{queued}:scheduled", f"{queued}:sent", f"{queued}:delivered"]
    assert (fact["contactid"], fact["agentid"], fact["queue"], fact["survey_channel"]) == ("c-1", "a-1", "sales", "sms")
    assert (fact["scheduled_at"], fact["sent_at"], fact["delivered_at"]) == (
        T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2))
    assert unflushed == 0


def test_a_second_flush_of_the_same_events_is_a_harmless_duplicate(gateway_store, gateway_settings, gateway_pm,
                                                                   queued):
    state = open_state(core_settings(gateway_store), gateway_pm)
    try:
        flush_events(state, gateway_settings)
        with gateway_store.transaction() as connection:  # as if a crash lost the flushed mark
            connection.execute(sa.update(sg_event_outbox).values(flushed_at=None))
        assert flush_events(state, gateway_settings) == 3
    finally:
        state.store.dispose()
    ids, _, _ = stored(gateway_store, queued)
    assert len(ids) == 3


def test_http_flush_posts_to_a_real_core_with_the_api_key(gateway_store, gateway_settings, queued):
    with gateway_store.transaction() as connection:
        key, _ = create_api_key(connection, "ingest", "default")
    with live_server(remote_core(gateway_store)) as base_url:
        remote = gateway_settings.model_copy(update={"core_url": base_url, "core_api_key": key})
        assert flush_events(gateway_store, remote) == 3
    ids, fact, unflushed = stored(gateway_store, queued)
    assert ids == [f"{queued}:scheduled", f"{queued}:sent", f"{queued}:delivered"]
    assert (fact["sent_at"], unflushed) == (T0 + timedelta(minutes=1), 0)


def test_http_flush_refused_keeps_the_events_queued(gateway_store, gateway_settings, queued):
    with live_server(remote_core(gateway_store)) as base_url:
        remote = gateway_settings.model_copy(update={"core_url": base_url, "core_api_key": "not-a-key"})
        with pytest.raises(FlushError, match=r"answered 401.*ingest scope"):
            flush_events(gateway_store, remote)
    ids, _, unflushed = stored(gateway_store, queued)
    assert (ids, unflushed) == ([], 3)


def test_in_process_flush_needs_the_app_state_not_a_bare_store(gateway_store, gateway_settings, queued):
    with pytest.raises(TypeError, match="needs the app state"):
        flush_events(gateway_store, gateway_settings)
