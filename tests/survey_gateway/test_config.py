"""Survey configuration: the JSON Schema, good and bad TOML files, settings from the environment."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from callkpi_survey_gateway.config import (
    SURVEY_CONFIG_SCHEMA,
    GatewaySettings,
    SurveyConfig,
    SurveyConfigError,
    load_survey_configs,
)

GOOD = """
[centres.default]
brand = "Acme"
instruments = ["nps", "csat", "comment"]
channel = "both"
sampling_rate = 0.25
eligible_queues = ["sales", "support"]
languages = ["nl", "en"]
reminder_after_h = 4
sms_from = "+3197010203040"
help_text = { nl = "Bel ons op 020 123 4567." }

[centres.default.quiet_hours]
sunday = [13:00:00, 18:00:00]
saturday = ["10:00", "17:30"]

[centres.berlin]
brand = "Acme DE"
"""


def write(tmp_path: Path, text: str) -> GatewaySettings:
    path = tmp_path / "callkpi-survey.toml"
    path.write_text(text, encoding="utf-8")
    return GatewaySettings(config_file=path)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(SurveyConfigError) as caught:
        load_survey_configs(write(tmp_path, text))
    header, *lines = str(caught.value).splitlines()
    assert header == f"{tmp_path / 'callkpi-survey.toml'} is not a valid survey configuration:"
    return [line.strip() for line in lines]


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(SURVEY_CONFIG_SCHEMA)
    assert SURVEY_CONFIG_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    centre = SURVEY_CONFIG_SCHEMA["$defs"]["SurveyConfig"]
    assert centre["additionalProperties"] is False
    assert centre["properties"]["languages"]["items"]["enum"] == ["en", "fa", "nl", "pl", "yi", "zh"]


def test_good_file_loads_with_defaults_filled_in(tmp_path: Path) -> None:
    configs = load_survey_configs(write(tmp_path, GOOD))
    default = configs["default"]
    assert default.instruments == ["nps", "csat", "comment"]
    assert default.default_language == "nl"
    # TOML local times and "HH:MM" strings both work; unset days keep their defaults
    assert default.quiet_hours.sunday == (time(13), time(18))
    assert default.quiet_hours.saturday == (time(10), time(17, 30))
    assert default.quiet_hours.weekdays == (time(9), time(20))
    berlin = configs["berlin"]
    assert berlin == SurveyConfig(brand="Acme DE")
    assert (berlin.channel, berlin.sampling_rate, berlin.frequency_cap_days, berlin.expiry_h) == ("sms", 1.0, 30, 24)
    assert berlin.detractor_thresholds == {"nps": 6, "csat": 2, "ces": 2}


def test_every_problem_names_file_centre_field_value_and_expectation(tmp_path: Path) -> None:
    assert problems(tmp_path, """
[centres.default]
brand = "Acme"
sampling_rate = 1.5
languages = ["nl", "de"]
instruments = ["nps", "mood"]
delay_s = "soon"
sms_from = "0612345678"
eligible_outcomes = ["abandoned"]
detractor_webhook_secret = 12345
colour = "blue"

[centres.default.quiet_hours]
saturday = ["25:00", "20:00"]
monday = ["10:00", "20:00"]
""") == [
        "centre 'default': colour: not a survey setting; expected one of brand, channel, delay_s, "
        "detractor_thresholds, detractor_webhook_secret, detractor_webhook_url, eligible_channels, "
        "eligible_outcomes, eligible_queues, expiry_h, frequency_cap_days, help_text, instruments, languages, "
        "messaging_service_sid, min_handle_s, questions, quiet_hours, reminder_after_h, sampling_rate, sms_from, "
        "timezone, wording",
        "centre 'default': delay_s = 'soon': expected integer",
        "centre 'default': detractor_webhook_secret = (hidden: a secret): expected string or null",
        "centre 'default': eligible_outcomes.0 = 'abandoned': "
        "expected one of answered, self_served",
        "centre 'default': languages.1 = 'de': expected one of en, fa, nl, pl, yi, zh",
        "centre 'default': quiet_hours.monday: not a survey setting; expected one of saturday, sunday, weekdays",
        "centre 'default': quiet_hours.saturday.0 = '25:00': expected a time of day as HH:MM (00:00 to 23:59)",
        "centre 'default': sampling_rate = 1.5: expected a number ≤ 1",
        "centre 'default': sms_from = '0612345678': expected a number in E.164 form such as +31201234567",
        f"{tmp_path / 'callkpi-survey.toml'}:6: centre 'default': instruments has 'mood': expected one of nps, "
        "csat, ces, resolved, comment or the id of a [centres.default.questions.<id>]",
    ]


def test_rules_beyond_the_schema_and_limits_are_reported_per_centre(tmp_path: Path) -> None:
    assert problems(tmp_path, """
[centres.east]
brand = "Acme Insurance and Reinsurance Group"
expiry_h = 0

[centres.north]
brand = "Acme"
instruments = ["nps", "nps"]
expiry_h = 2
reminder_after_h = 3

[centres.south]
brand = "Acme"
help_text = { pl = "Pomoc" }

[centres.south.quiet_hours]
sunday = ["20:00", "12:00"]
""") == [
        # the brand is in every SMS: a long one would push the questions past one segment
        "centre 'east': brand = 'Acme Insurance and Reinsurance Group': expected at most 30 characters",
        "centre 'east': expiry_h = 0: expected a number > 0",
        "centre 'north': instruments = ['nps', 'nps']: expected each instrument at most once; "
        "reminder_after_h = 3.0: expected less than expiry_h (2.0), or the survey closes before the reminder",
        "centre 'south': quiet_hours.sunday = [20:00, 12:00]: expected a start before the end, within one day",
    ]


def test_file_level_problems(tmp_path: Path) -> None:
    assert problems(tmp_path, 'brand = "Acme"\n') == ["the file: expected only [centres.<name>] tables, at least one"]
    assert problems(tmp_path, "[centres.a]\n[centres.a.quiet_hours]\nsunday = ['10:00']\n") == [
        "centre 'a': brand: missing; a value is required",
        "centre 'a': quiet_hours.sunday = ['10:00']: expected at least 2 items",
    ]
    with pytest.raises(SurveyConfigError, match=r"callkpi-survey.toml: not valid TOML: .*line 2"):
        load_survey_configs(write(tmp_path, "[centres.a]\nbrand = \n"))


def test_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(SurveyConfigError, match=r"nope.toml: no such file; expected a TOML file with \[centres"):
        load_survey_configs(GatewaySettings(config_file=missing))
    monkeypatch.chdir(tmp_path)  # the default path, absent: no centre is surveyed
    assert load_survey_configs(GatewaySettings()) == {}


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CALLKPI_SURVEY_CONFIG_FILE", str(tmp_path / "s.toml"))
    monkeypatch.setenv("CALLKPI_SURVEY_TWILIO_AUTH_TOKEN", "secret-token")
    monkeypatch.setenv("CALLKPI_SURVEY_DISPATCH_INTERVAL_S", "0.5")
    settings = GatewaySettings()
    assert settings.config_file == tmp_path / "s.toml"
    assert settings.dispatch_interval_s == 0.5
    assert "secret-token" not in repr(settings)


def test_bad_settings_name_their_origin_value_and_expectation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLKPI_SURVEY_DISPATCH_INTERVAL_S", "soon")
    monkeypatch.setenv("CALLKPI_SURVEY_CORE_URL", "localhost:8000")
    with pytest.raises(SurveyConfigError) as caught:
        GatewaySettings(public_base_url="ftp://example.com")
    assert str(caught.value).splitlines() == [
        "bad survey gateway settings:",
        "  GatewaySettings(public_base_url=…) = 'ftp://example.com': expected an http:// or https:// URL",
        "  environment variable CALLKPI_SURVEY_CORE_URL = 'localhost:8000': expected an http:// or https:// URL",
        "  environment variable CALLKPI_SURVEY_DISPATCH_INTERVAL_S = 'soon': "
        "expected a valid number, unable to parse string as a number",
    ]
