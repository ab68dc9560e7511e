"""The default survey policy: every rule, with hand-worked times (all dates 2026, UTC)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from callkpi import hookimpl
from callkpi.plugins import get_plugin_manager
from callkpi_survey_gateway import policy
from callkpi_survey_gateway.config import GatewaySettings, SurveyConfig
from callkpi_survey_gateway.policy import sample_point, select_survey
from callkpi_survey_gateway.runtime import use_gateway_settings

CONFIG = SurveyConfig(brand="Acme", instruments=["nps", "csat"], languages=["nl", "en", "pl", "fa", "zh"])
US_ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "Pacific/Honolulu"]


def utc(day: int, hour: int, minute: int = 0, month: int = 11, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def contact(**changes: Any) -> dict[str, Any]:
    """A 3-minute answered voice call that ended Monday 23 Nov 10:00Z (11:00 in Amsterdam)."""
    row = {"centre": "default", "contactid": "c-1", "channel": "voice", "outcome": "answered", "queue": "support",
           "customer_hmac": "hmac-1", "handle_s": 180.0, "talk_s": 150.0, "language": None,
           "ended_at": utc(23, 10), "wrapup_ended_at": None}
    return row | changes


def history(**changes: Any) -> dict[str, Any]:
    row = {"last_surveyed_at": None, "opted_out": False, "region": "NL", "timezones": ["Europe/Amsterdam"],
           "centre_timezone": "Europe/Amsterdam", "now": utc(23, 10, second=5)}
    return row | changes


def plan(config: SurveyConfig = CONFIG, **changes: Any) -> dict[str, Any]:
    contact_changes = {key: value for key, value in changes.items() if key not in history()}
    history_changes = {key: value for key, value in changes.items() if key in history()}
    return select_survey(contact(**contact_changes), "default", history(**history_changes), config)


def test_an_eligible_contact_gets_the_full_plan() -> None:
    # ended 10:00Z + 300 s delay = 10:05Z = 11:05 CET on a Monday: allowed; expires 24 h later
    assert plan() == {"instruments": ["nps", "csat"], "channel": "sms", "language": "nl", "due_at": utc(23, 10, 5),
                      "expires_at": utc(24, 10, 5), "reminder_at": None, "timezones": ["Europe/Amsterdam"]}


@pytest.mark.parametrize(("changes", "code", "reason"), [
    ({"opted_out": True}, "opted_out", "the customer opted out of surveys"),
    ({"customer_hmac": None}, "no_number", "the contact has no customer number to survey"),
    ({"outcome": "abandoned"}, "ineligible", "abandoned contacts are never surveyed"),
    ({"outcome": None}, "ineligible", "the contact has not finished (no outcome yet)"),
    ({"outcome": "timed_out"}, "ineligible", "timed_out contacts are never surveyed"),
    ({"outcome": "self_served"}, "ineligible", "outcome 'self_served' is not surveyed (surveyed: answered)"),
    ({"channel": "chat"}, "ineligible", "channel 'chat' is not surveyed (surveyed: voice)"),
    ({"handle_s": 12.0}, "too_short", "the contact lasted 12 s, shorter than the 30 s minimum"),
    ({"handle_s": None, "talk_s": 29.5}, "too_short", "the contact lasted 29.5 s, shorter than the 30 s minimum"),
    ({"handle_s": None, "talk_s": None}, "too_short",
     "the contact's duration is unknown, so it may be shorter than the minimum"),
    # ended Sunday 09:00Z, now Monday 10:00:05Z: 25 h later, beyond the 24 h a survey lives
    ({"ended_at": utc(22, 9)}, "too_old",
     "the contact ended at 2026-11-22 09:00 UTC, too long ago (24 h) to ask about it"),
    ({"last_surveyed_at": utc(1, 12)}, "capped",
     "the customer was last surveyed at 2026-11-01 12:00 UTC, within the 30-day limit"),
])
def test_each_skip_rule_says_why(changes: dict[str, Any], code: str, reason: str) -> None:
    assert plan(**changes) == {"skip": reason, "why": code}


def test_eligible_queues_and_outcomes_are_configurable() -> None:
    sales_only = CONFIG.model_copy(update={"eligible_queues": ["sales"]})
    assert plan(sales_only) == {"skip": "queue 'support' is not surveyed (surveyed: sales)", "why": "ineligible"}
    assert "due_at" in plan(sales_only, queue="sales")
    ivr_too = CONFIG.model_copy(update={"eligible_outcomes": ["answered", "self_served"]})
    assert "due_at" in plan(ivr_too, outcome="self_served")


def test_talk_time_counts_before_wrap_up_and_a_zero_minimum_takes_any_duration() -> None:
    assert "due_at" in plan(handle_s=None, talk_s=45.0)
    assert "due_at" in plan(CONFIG.model_copy(update={"min_handle_s": 0}), handle_s=None, talk_s=None)


def test_frequency_cap_ends_after_the_configured_days() -> None:
    # now is 23 Nov 10:00:05; 30 days earlier is 24 Oct 10:00:05
    assert "skip" in plan(last_surveyed_at=utc(24, 10, 0, month=10, second=6))
    assert "due_at" in plan(last_surveyed_at=utc(24, 10, 0, month=10, second=5))
    assert "due_at" in plan(last_surveyed_at=datetime(2026, 10, 1, 12))  # naive, as SQLite returns it: UTC


def test_sampling_is_deterministic_per_contact() -> None:
    half = CONFIG.model_copy(update={"sampling_rate": 0.5})
    decisions = {f"c-{n}": "due_at" in plan(half, contactid=f"c-{n}") for n in range(1000)}
    # a redelivered completing event gets the same answer, and it is the hash's answer
    assert decisions == {f"c-{n}": "due_at" in plan(half, contactid=f"c-{n}") for n in range(1000)}
    assert all(decisions[f"c-{n}"] == (sample_point("default", f"c-{n}") < 0.5) for n in range(1000))
    # binomial(1000, 0.5): mean 500, sd ≈ 16; 430–570 is beyond 4 sd either way
    assert 430 <= sum(decisions.values()) <= 570
    nobody = CONFIG.model_copy(update={"sampling_rate": 0.0})
    assert plan(nobody) == {"skip": "the contact was not sampled (sampling rate 0)", "why": "sampled_out"}


@pytest.mark.parametrize(("changes", "language"), [
    ({}, "nl"),                                  # NL number, centre offers nl
    ({"region": "PL"}, "pl"),
    ({"region": "IR"}, "fa"),
    ({"region": "HK"}, "zh"),
    ({"region": "TW"}, "zh"),
    ({"region": "DE"}, "nl"),                    # no German: the centre's default
    ({"region": None}, "nl"),
    ({"language": "pl-PL"}, "pl"),               # the call was in Polish: that wins over the number
    ({"language": "de", "region": "CN"}, "zh"),  # a language not offered falls through to the number
])
def test_language_choice(changes: dict[str, Any], language: str) -> None:
    assert plan(**changes)["language"] == language


def test_region_language_not_offered_falls_back_to_the_default() -> None:
    english_only = CONFIG.model_copy(update={"languages": ["en"]})
    assert plan(english_only, region="NL")["language"] == "en"


def test_sunday_morning_waits_for_noon() -> None:
    # ended Sunday 22 Nov 07:50Z; +5 min = 07:55Z = 08:55 CET on a Sunday → 12:00 CET = 11:00Z
    result = plan(ended_at=utc(22, 7, 50), now=utc(22, 7, 50, second=5))
    assert (result["due_at"], result["expires_at"]) == (utc(22, 11), utc(23, 11))


def test_a_us_number_spanning_several_zones() -> None:
    # ended Monday 13:00Z; due 13:05Z is 08:05 in New York → 14:00Z, when Honolulu is 04:00 →
    # 09:00 HST = 19:00Z (New York 14:00, Los Angeles 11:00): the most restrictive zone decides
    result = plan(region="US", timezones=US_ZONES, ended_at=utc(23, 13), now=utc(23, 13, second=5))
    assert (result["language"], result["due_at"], result["timezones"]) == ("en", utc(23, 19), US_ZONES)


def test_dst_change_night() -> None:
    # ended Saturday 24 Oct 19:00Z = 21:00 CEST → the window reopens Sunday 25 Oct, the day
    # summer time ends, at 12:00 CET = 11:00Z (not 10:00Z)
    result = plan(ended_at=utc(24, 19, month=10), now=utc(24, 19, month=10, second=5))
    assert (result["due_at"], result["expires_at"]) == (utc(25, 11, month=10), utc(26, 11, month=10))


def test_zone_fallbacks() -> None:
    # no zone from the number → the centre's: Monday 03:00Z = 06:30 in Tehran (UTC+3:30) → 09:00 = 05:30Z
    early = {"ended_at": utc(23, 2, 55), "now": utc(23, 2, 55)}
    assert plan(timezones=[], centre_timezone="Asia/Tehran", **early)["due_at"] == utc(23, 5, 30)
    # neither → the configured zone; then UTC (09:00Z)
    tokyo = CONFIG.model_copy(update={"timezone": "Asia/Tokyo"})  # 03:00Z = 12:00 JST: open
    assert plan(tokyo, timezones=[], centre_timezone=None, **early)["due_at"] == utc(23, 3)
    assert plan(timezones=["Mars/Olympus"], centre_timezone=None, **early)["timezones"] == ["UTC"]
    assert plan(timezones=[], centre_timezone=None, **early)["due_at"] == utc(23, 9)


def test_a_late_completion_is_due_now_not_in_the_past() -> None:
    # ended 10:00Z but seen at 12:00Z: due at once (12:00Z = 13:00 CET), not at 10:05Z
    assert plan(now=utc(23, 12))["due_at"] == utc(23, 12)


def test_reminder() -> None:
    four_hours = CONFIG.model_copy(update={"reminder_after_h": 4})
    # due 10:05Z + 4 h = 14:05Z = 15:05 CET: allowed
    assert plan(four_hours)["reminder_at"] == utc(23, 14, 5)
    # ended 17:55Z, due 18:00Z (19:00 CET) + 4 h = 22:00Z = 23:00 CET → Tuesday 09:00 CET = 08:00Z,
    # before the survey expires on Tuesday 18:00Z
    evening = {"ended_at": utc(23, 17, 55), "now": utc(23, 17, 55)}
    assert plan(four_hours, **evening)["reminder_at"] == utc(24, 8)
    # …but with a 5-hour expiry (Monday 23:00Z) the reminder would come too late: none
    short = four_hours.model_copy(update={"expiry_h": 5})
    assert plan(short, **evening)["reminder_at"] is None


@pytest.fixture
def configured() -> Iterator[None]:
    policy.use_configs({"default": CONFIG})
    yield
    policy.use_configs(None)


@pytest.mark.usefixtures("configured")
def test_the_installed_plugin_answers_and_a_centres_own_plugin_overrides_it() -> None:
    pm = get_plugin_manager()
    assert pm.hook.callkpi_select_survey(contact=contact(), centre="default", history=history())["language"] == "nl"
    assert pm.hook.callkpi_select_survey(contact=contact(), centre="elsewhere", history=history()) == {
        "skip": "centre 'elsewhere' has no survey configuration", "why": "no_config"}

    class NoSurveysOnTheVipQueue:
        @hookimpl
        def callkpi_select_survey(self, contact: dict[str, Any], centre: str, history: dict[str, Any]) -> Any:
            return {"skip": "VIP customers are called back instead"} if contact["queue"] == "vip" else None

    pm = get_plugin_manager(plugins=[("vip", NoSurveysOnTheVipQueue())])
    hook = pm.hook.callkpi_select_survey
    assert hook(contact=contact(queue="vip"), centre="default", history=history()) == {
        "skip": "VIP customers are called back instead"}
    assert hook(contact=contact(), centre="default", history=history())["due_at"] == utc(23, 10, 5)


def test_configs_are_read_once_from_the_gateway_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "survey.toml"
    path.write_text('[centres.default]\nbrand = "From File"\n', encoding="utf-8")
    use_gateway_settings(GatewaySettings(config_file=path))
    policy.use_configs(None)
    try:
        assert policy.survey_configs()["default"].brand == "From File"
        path.write_text('[centres.default]\nbrand = "Changed"\n', encoding="utf-8")
        assert policy.survey_configs()["default"].brand == "From File"  # cached
        policy.survey_configs.cache_clear()
        assert policy.survey_configs()["default"].brand == "Changed"
    finally:
        use_gateway_settings(None)
        policy.use_configs(None)
