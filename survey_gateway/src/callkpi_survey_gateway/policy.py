"""The default survey policy: which completed contacts get a survey, in which language, when.

A plugin (entry point ``survey-policy``) implementing ``callkpi_select_survey``. It is
registered ``trylast``, so a centre's own plugin returning an answer overrides it; return
``None`` from yours to fall through to this one.

The rules, in order, each skip giving its reason as a sentence: the customer opted out;
no customer number; a channel, outcome or queue not surveyed (abandoned contacts never);
a contact shorter than ``min_handle_s``; a contact that ended longer ago than the survey
would live (a late import); a customer surveyed within ``frequency_cap_days``; not
sampled (never for a survey asked for by hand: ``history["requested"]``). Sampling hashes
centre and contact id, so the same contact always gets the same decision, however often its
completing event is delivered.

The plan: the centre's instruments and channel; the language of the call if the centre
offers it, else the one of the number's country, else the centre's default; due
``delay_s`` after the contact ended, moved out of quiet hours in every zone of the number
(else the centre's zone); expiring ``expiry_h`` after that; an optional reminder, also
outside quiet hours, and only while the survey is open.

Configuration: :func:`survey_configs` reads the gateway's configuration file once (the
file in :func:`~callkpi_survey_gateway.runtime.gateway_settings`); :func:`use_configs`
sets the configs directly (tests, embedding), ``use_configs(None)`` goes back to the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from callkpi import hookimpl

from .config import SurveyConfig, load_survey_configs
from .quiet_hours import as_utc, first_known_zones, next_allowed
from .runtime import gateway_settings

# the customer never reached anyone: nothing to rate, and a survey would add insult to injury
NEVER_SURVEYED_OUTCOMES = frozenset({"abandoned", "timed_out", "blocked", "setup_failed"})
REGION_LANGUAGES = {
    "NL": "nl", "BE": "nl", "SR": "nl", "AW": "nl", "CW": "nl", "SX": "nl",
    "PL": "pl",
    "IR": "fa", "AF": "fa",
    "CN": "zh", "TW": "zh", "HK": "zh", "MO": "zh", "SG": "zh",
    "US": "en", "GB": "en", "IE": "en", "CA": "en", "AU": "en", "NZ": "en",
}

_chosen: dict[str, SurveyConfig] | None = None


def use_configs(configs: dict[str, SurveyConfig] | None) -> None:
    """Use ``configs`` (centre → config) from now on; ``None``: read the configuration file again."""
    global _chosen
    _chosen = configs
    survey_configs.cache_clear()


@cache
def survey_configs() -> dict[str, SurveyConfig]:
    """Every centre's survey configuration (see the module's docstring for where from)."""
    return _chosen if _chosen is not None else load_survey_configs(gateway_settings())


@hookimpl(trylast=True)
def callkpi_select_survey(contact: dict[str, Any], centre: str, history: dict[str, Any]) -> dict[str, Any]:
    """The default policy: a survey plan for ``contact``, or ``{"skip": reason, "why": code}``."""
    config = survey_configs().get(centre)
    if config is None:
        return {"skip": f"centre {centre!r} has no survey configuration", "why": "no_config"}
    return select_survey(contact, centre, history, config)


def select_survey(contact: Mapping[str, Any], centre: str, history: Mapping[str, Any],
                  config: SurveyConfig) -> dict[str, Any]:
    """Apply ``config``'s rules to ``contact`` (see the module's docstring)."""
    now = _aware(history.get("now")) or datetime.now(UTC)
    skip = skip_reason(contact, centre, history, config, now)
    if skip is not None:
        code, reason = skip
        return {"skip": reason, "why": code}
    return plan_survey(contact, history, config, now)


def skip_reason(contact: Mapping[str, Any], centre: str, history: Mapping[str, Any], config: SurveyConfig,
                now: datetime) -> tuple[str, str] | None:
    """Why ``contact`` gets no survey: ``(reason code, sentence)``; ``None`` if it gets one.
    The codes are the ``reason_code`` of :mod:`~callkpi_survey_gateway.decisions`."""
    checks = (("opted_out", _opted_out(history)), ("no_number", _no_customer(contact)),
              ("ineligible", _ineligible(contact, config)), ("too_short", _too_short(contact, config)),
              ("too_old", _too_old(contact, config, now)), ("capped", _capped(history, config, now)),
              ("sampled_out", None if history.get("requested") else _not_sampled(contact, centre, config)))
    return next(((code, reason) for code, reason in checks if reason is not None), None)


def _opted_out(history: Mapping[str, Any]) -> str | None:
    return "the customer opted out of surveys" if history.get("opted_out") else None


def _no_customer(contact: Mapping[str, Any]) -> str | None:
    return None if contact.get("customer_hmac") else "the contact has no customer number to survey"


def _ineligible(contact: Mapping[str, Any], config: SurveyConfig) -> str | None:
    channel, outcome, queue = contact.get("channel"), contact.get("outcome"), contact.get("queue")
    if outcome is None:
        return "the contact has not finished (no outcome yet)"
    if outcome in NEVER_SURVEYED_OUTCOMES:
        return f"{outcome} contacts are never surveyed"
    if outcome not in config.eligible_outcomes:
        return f"outcome {outcome!r} is not surveyed (surveyed: {', '.join(config.eligible_outcomes)})"
    if channel not in config.eligible_channels:
        return f"channel {channel!r} is not surveyed (surveyed: {', '.join(config.eligible_channels)})"
    if config.eligible_queues is not None and queue not in config.eligible_queues:
        return f"queue {queue!r} is not surveyed (surveyed: {', '.join(config.eligible_queues)})"
    return None


def _too_short(contact: Mapping[str, Any], config: SurveyConfig) -> str | None:
    # handle time is talk + hold + wrap-up; before wrap-up completes only talk is known
    duration = contact.get("handle_s") if contact.get("handle_s") is not None else contact.get("talk_s")
    if config.min_handle_s <= 0:
        return None
    if duration is None:
        return "the contact's duration is unknown, so it may be shorter than the minimum"
    if duration < config.min_handle_s:
        return f"the contact lasted {duration:g} s, shorter than the {config.min_handle_s:g} s minimum"
    return None


def _too_old(contact: Mapping[str, Any], config: SurveyConfig, now: datetime) -> str | None:
    ended = _ended_at(contact)
    if ended is not None and now - ended > timedelta(hours=config.expiry_h):
        return f"the contact ended at {ended:%Y-%m-%d %H:%M} UTC, too long ago ({config.expiry_h:g} h) to ask about it"
    return None


def _capped(history: Mapping[str, Any], config: SurveyConfig, now: datetime) -> str | None:
    last = _aware(history.get("last_surveyed_at"))
    if last is not None and now - last < timedelta(days=config.frequency_cap_days):
        return (f"the customer was last surveyed at {last:%Y-%m-%d %H:%M} UTC, within the "
                f"{config.frequency_cap_days}-day limit")
    return None


def _not_sampled(contact: Mapping[str, Any], centre: str, config: SurveyConfig) -> str | None:
    if sample_point(centre, contact["contactid"]) < config.sampling_rate:
        return None
    return f"the contact was not sampled (sampling rate {config.sampling_rate:g})"


def sample_point(centre: str, contactid: str) -> float:
    """A number in [0, 1) fixed for a contact: it is sampled when this is below the rate."""
    digest = hashlib.sha256(f"{centre}\x1f{contactid}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def plan_survey(contact: Mapping[str, Any], history: Mapping[str, Any], config: SurveyConfig,
                now: datetime) -> dict[str, Any]:
    """The survey plan of an eligible contact: what, in which language, and when."""
    zones, names = _customer_zones(history, config)
    ended = _ended_at(contact) or now
    due = next_allowed(max(ended + timedelta(seconds=config.delay_s), now), zones, config.quiet_hours)
    expires = due + timedelta(hours=config.expiry_h)
    return {"instruments": list(config.instruments), "channel": config.channel,
            "language": choose_language(contact, history, config), "due_at": due, "expires_at": expires,
            "reminder_at": _reminder(due, expires, zones, config), "timezones": names}


def choose_language(contact: Mapping[str, Any], history: Mapping[str, Any], config: SurveyConfig) -> str:
    """The call's language if the centre offers it, else the number's country's, else the default."""
    spoken = (contact.get("language") or "").split("-")[0].split("_")[0].lower()
    regional = REGION_LANGUAGES.get(history.get("region") or "")
    return next((language for language in (spoken, regional) if language in config.languages),
                config.default_language)


def _customer_zones(history: Mapping[str, Any], config: SurveyConfig) -> tuple[list[ZoneInfo], list[str]]:
    """The number's zones, else the centre's, else the configured fallback, else UTC."""
    zones = first_known_zones(history.get("timezones") or [], [history.get("centre_timezone")], [config.timezone])
    return zones, [zone.key for zone in zones]


def _reminder(due: datetime, expires: datetime, zones: list[ZoneInfo], config: SurveyConfig) -> datetime | None:
    if config.reminder_after_h is None:
        return None
    reminder = next_allowed(due + timedelta(hours=config.reminder_after_h), zones, config.quiet_hours)
    return reminder if reminder < expires else None


def _ended_at(contact: Mapping[str, Any]) -> datetime | None:
    return _aware(contact.get("ended_at")) or _aware(contact.get("wrapup_ended_at"))


def _aware(value: Any) -> datetime | None:
    """A datetime in UTC (stored times come back naive from SQLite; they are UTC), else ``None``."""
    return as_utc(value) if isinstance(value, datetime) else None
