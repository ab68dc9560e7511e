"""Fixtures for every survey-gateway test module (real SQLite + PostgreSQL, a real fake Twilio).
Constants and helpers live in ``gateway_testing.py`` (import them from there, by name).

``gateway_store``
    The core's ``store`` fixture (a SQLite file, then a fresh PostgreSQL database) with the
    gateway's own Alembic chain migrated into it.
``fake_twilio``
    A :class:`fake_twilio.FakeTwilio` serving the Messages API on 127.0.0.1 for one test
    (script failures with ``fake_twilio.script(to, Failure.code(21211))``).
``survey_config``
    Centre ``default``'s :class:`SurveyConfig`: brand ``Acme``, NPS then CSAT, sender
    ``gateway_testing.SMS_FROM``, English and Dutch, sending allowed around the clock (quiet hours are
    the policy's tests' business), reminders off.
``gateway_settings``
    :class:`GatewaySettings` aimed at ``fake_twilio`` (account, token, ``twilio_api_base``),
    public base URL ``gateway_testing.PUBLIC_BASE_URL``, a Fernet key in ``tmp_path``, the config file
    holding ``survey_config``. Installed for the test as the process's settings and survey
    configs (``runtime.use_gateway_settings``, ``policy.use_configs``), then reset.
``gateway_env``
    The same settings as ``CALLKPI_SURVEY_*`` environment variables, for subprocesses.
``twilio_signer``
    ``gateway_testing.TwilioSigner`` signing form posts like Twilio does with the settings' auth token.
``gateway_pm``
    A plugin manager with every installed plugin (the gateway, the default policy), handed
    to the scheduler as the one whose ``callkpi_select_survey`` decides.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fake_twilio import FakeTwilio, running_fake_twilio
from gateway_testing import ALL_DAY, PUBLIC_BASE_URL, SMS_FROM, TwilioSigner, toml_table

from callkpi.plugins import CallkpiPluginManager, get_plugin_manager
from callkpi.settings import Settings
from callkpi.store.db import Store
from callkpi_survey_gateway import policy, runtime, scheduling
from callkpi_survey_gateway.config import GatewaySettings, QuietHours, SurveyConfig
from callkpi_survey_gateway.gateway_store import migrate_gateway


@pytest.fixture
def gateway_store(store: Store) -> Store:
    migrate_gateway(store)
    return store


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with running_fake_twilio() as fake:
        yield fake


@pytest.fixture
def survey_config() -> SurveyConfig:
    return SurveyConfig(brand="Acme", instruments=["nps", "csat"], sms_from=SMS_FROM, languages=["en", "nl"],
                        quiet_hours=QuietHours(weekdays=ALL_DAY, saturday=ALL_DAY, sunday=ALL_DAY))


@pytest.fixture
def gateway_env(tmp_path: Path, fake_twilio: FakeTwilio, survey_config: SurveyConfig) -> dict[str, str]:
    config_file = tmp_path / "callkpi-survey.toml"
    config_file.write_text(toml_table("centres.default", survey_config), encoding="utf-8")
    return {
        "CALLKPI_SURVEY_CONFIG_FILE": str(config_file),
        "CALLKPI_SURVEY_PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "CALLKPI_SURVEY_TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
        "CALLKPI_SURVEY_TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
        "CALLKPI_SURVEY_TWILIO_API_BASE": fake_twilio.base_url,
        "CALLKPI_SURVEY_KEY": Fernet.generate_key().decode(),
        "CALLKPI_SURVEY_DISPATCH_INTERVAL_S": "0.05",
    }


@pytest.fixture
def gateway_settings(gateway_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                     survey_config: SurveyConfig) -> Iterator[GatewaySettings]:
    for name, value in gateway_env.items():
        monkeypatch.setenv(name, value)
    settings = GatewaySettings()
    runtime.use_gateway_settings(settings)
    policy.use_configs({"default": survey_config})
    yield settings
    runtime.use_gateway_settings(None)
    policy.use_configs(None)


@pytest.fixture
def twilio_signer(gateway_settings: GatewaySettings) -> TwilioSigner:
    return TwilioSigner(gateway_settings.twilio_auth_token)


@pytest.fixture
def gateway_pm(gateway_settings: GatewaySettings) -> Iterator[CallkpiPluginManager]:
    pm = get_plugin_manager(Settings())
    scheduling.use_plugin_manager(pm)
    yield pm
    scheduling.use_plugin_manager(None)
