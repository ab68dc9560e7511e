"""Parsing alert rules: the canonical text, the id derived from it, and errors that name
the part, its value and what was expected."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from callkpi.live.alerts.rules import AlertRule, RuleError, parse_rule
from callkpi.store.centres import CentreSettings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("service_level < 80 for 2 intervals", AlertRule("service_level", "<", 80, 2)),
        ("longest_wait > 120 s", AlertRule("longest_wait", ">", 120)),
        ("longest_wait>120s", AlertRule("longest_wait", ">", 120)),
        ("abandon_rate > 10 % queue=sales", AlertRule("abandon_rate", ">", 10, queue="sales")),
        ("abandon_rate >= 7.5% for 1 interval queue=billing", AlertRule("abandon_rate", ">=", 7.5, 1, "billing")),
        ("  waiting <= 3  ", AlertRule("waiting", "<=", 3)),
    ],
)
def test_rules_parse(text: str, expected: AlertRule):
    assert parse_rule(text) == expected


def test_canonical_text_and_stable_id():
    rule = parse_rule("service_level<80 for 2 intervals")

    assert rule.text == "service_level < 80 % for 2 intervals"
    # the id is the canonical text's: spelling differences do not make a new rule
    assert rule.id == parse_rule("service_level < 80 % for 2 intervals").id
    assert rule.id != parse_rule("service_level < 80 % for 3 intervals").id
    assert len(rule.id) == 12


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("wait < 3", "metric 'wait'; expected one of waiting, longest_wait,"),
        ("waiting = 3", "operator '= 3'; expected one of <, <=, >, >="),
        ("waiting > many", "threshold 'many'; expected a number such as 80 or 2.5"),
        ("waiting > 3 s", "unit 's'; expected no unit (a count) for waiting"),
        ("longest_wait > 120 %", "unit '%'; expected 's' or no unit for longest_wait"),
        ("service_level < 80 for two intervals", "intervals 'two'; expected a whole number from 1 to 96"),
        ("service_level < 80 for 0 intervals", "intervals '0'; expected a whole number from 1 to 96"),
        ("waiting > 3 for 2 intervals", "metric 'waiting'; expected one of longest_wait, service_level, abandon_rate"),
        ("waiting > 3 please", "rest 'please'; expected nothing, or 'for N intervals' and then 'queue=NAME'"),
        ("", "metric '(nothing)'; expected one of"),
    ],
)
def test_bad_rules_say_what_was_expected(text: str, message: str):
    with pytest.raises(RuleError) as raised:
        parse_rule(text)

    assert str(raised.value).startswith(f"alert rule {text!r}: ")
    assert message in str(raised.value)


@pytest.mark.parametrize(("op", "value", "breached"), [("<", 79.9, True), ("<", 80, False), ("<", None, False)])
def test_no_data_never_breaches(op: str, value: float | None, breached: bool):
    assert AlertRule("service_level", op, 80).breached(value) is breached


def test_centre_settings_keep_rules_canonical_and_refuse_bad_ones():
    settings = CentreSettings(alerts={"rules": ["waiting>3", "waiting > 3"]})
    # both spell the same rule: kept once, or it would notify twice
    assert settings.alerts.rules == ["waiting > 3"]

    with pytest.raises(ValidationError, match="alert rule 'waiting > lots': threshold 'lots'"):
        CentreSettings(alerts={"rules": ["waiting > lots"]})
    with pytest.raises(ValidationError, match="secret"):
        CentreSettings(alerts={"webhooks": [{"url": "http://127.0.0.1:9/hook", "secret": "short"}]})
