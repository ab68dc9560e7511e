"""The gateway wired into callkpi: ``callkpi survey dispatch --once`` in a subprocess, the
plugin's registrations, the ``survey-dispatcher`` task inside a served app, and the gateway
served on its own sending events to a remote core over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
from outbox_rows import due_survey, number_of
from typer.testing import CliRunner

from callkpi.api.main import create_app
from callkpi.plugins import get_plugin_manager
from callkpi.settings import Settings
from callkpi.store.apikeys import create_api_key
from callkpi.store.tables import StoredEvent
from callkpi.testing import TEST_HMAC_KEY
from callkpi_survey_gateway.channels import declared_channels
from callkpi_survey_gateway.cli import gateway_cli, standalone_app
from callkpi_survey_gateway.crypto import NumberCipher
from callkpi_survey_gateway.runtime import use_gateway_settings
from callkpi_survey_gateway.tables import sg_message
from live_server import live_server

CALLKPI = Path(sys.executable).parent / "callkpi"
EVENTS = StoredEvent.__table__
WAIT_S = 20.0


def due_now(store, settings, n=1):
    """Survey ``n`` due a minute ago, open for another hour (by the real clock)."""
    now = datetime.now(UTC)
    with store.transaction() as connection:
        survey_id, message_id, _ = due_survey(connection, NumberCipher.from_settings(settings), n,
                                              expires_at=now + timedelta(hours=1))
        connection.execute(sa.update(sg_message).values(not_before=now - timedelta(minutes=1)))
    return survey_id, message_id


def stored_types(store):
    with store.reading() as connection:
        return connection.execute(sa.select(EVENTS.c.type).where(EVENTS.c.type.like("survey.%"))).scalars().all()


def wait_for(condition):
    """Poll ``condition`` until true (the server works in the background); fail after WAIT_S."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "the background dispatcher did not get there"
        time.sleep(0.05)


def test_dispatch_once_sends_and_flushes_in_a_subprocess(gateway_store, gateway_settings, gateway_env, fake_twilio):
    due_now(gateway_store, gateway_settings)
    env = os.environ | gateway_env | {"CALLKPI_HMAC_KEY": TEST_HMAC_KEY.hex()}
    done = subprocess.run([str(CALLKPI), "survey", "dispatch", "--once", "--database", gateway_store.url],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "events 1 · sent 1"
    assert len(fake_twilio.sent_to(number_of(1))) == 1
    assert stored_types(gateway_store) == ["survey.sent"]


def test_the_plugin_registers_routes_task_command_and_channel(gateway_store, gateway_pm):
    catalog = gateway_pm.catalog
    assert [skip for skip in gateway_pm.skipped if skip.distribution == "callkpi-survey-gateway"] == []
    # three routers: the Twilio webhooks (fixed paths, tried before the core's routes), the web
    # survey and POST /v1/surveys
    assert [routes.prefix for routes in catalog.routes.routes if routes.plugin == "survey_gateway"] == ["", "", ""]
    app = create_app(Settings(database_url=gateway_store.url, hmac_key=TEST_HMAC_KEY.hex()), pm=gateway_pm)
    assert {"/twilio/sms/status", "/twilio/sms/inbound", "/v1/surveys"} <= set(app.openapi()["paths"])
    app.state.callkpi.store.dispose()
    assert catalog.background_tasks.tasks["survey-dispatcher"].plugin == "survey_gateway"
    assert catalog.commands.commands["survey"].plugin == "survey_gateway"
    assert list(declared_channels(gateway_pm)) == ["twilio"]


def test_the_served_app_runs_the_dispatcher_in_the_background(gateway_store, gateway_settings, gateway_pm,
                                                              fake_twilio):
    due_now(gateway_store, gateway_settings)
    app = create_app(Settings(database_url=gateway_store.url, hmac_key=TEST_HMAC_KEY.hex()), pm=gateway_pm)
    with live_server(app):
        wait_for(lambda: stored_types(gateway_store) == ["survey.sent"])
    assert len(fake_twilio.sent_to(number_of(1))) == 1


def test_the_gateway_alone_serves_its_webhooks_and_sends_events_to_a_remote_core(
        gateway_store, gateway_settings, fake_twilio):
    due_now(gateway_store, gateway_settings)
    with gateway_store.transaction() as connection:
        key, _ = create_api_key(connection, "ingest", "default")
    core_settings = Settings(database_url=gateway_store.url, hmac_key=TEST_HMAC_KEY.hex(),
                             disabled_plugins="survey_gateway")
    with live_server(create_app(core_settings, pm=get_plugin_manager(core_settings))) as core_url:
        use_gateway_settings(gateway_settings.model_copy(update={"core_url": core_url, "core_api_key": key}))
        gateway = standalone_app(Settings(database_url=gateway_store.url, hmac_key=TEST_HMAC_KEY.hex()))
        with live_server(gateway) as gateway_url:
            unsigned = httpx.post(f"{gateway_url}/twilio/sms/status", data={"MessageSid": "SM1"})
            wait_for(lambda: stored_types(gateway_store) == ["survey.sent"])
    assert unsigned.status_code == 403
    assert len(fake_twilio.sent_to(number_of(1))) == 1


def test_the_standalone_gateway_has_the_documented_serve_subcommand():
    """docs/survey_gateway.md runs `callkpi-survey-gateway serve --core-url …`."""
    result = CliRunner().invoke(gateway_cli, ["serve", "--help"])
    assert result.exit_code == 0, result.output
    assert "--core-url" in result.output
