"""A centre's own survey: custom questions and wording in callkpi-survey.toml, validated with
file, line and key; replies to custom questions; `callkpi survey preview`."""

from __future__ import annotations

from pathlib import Path

import pytest

from callkpi_survey_gateway.config import GatewaySettings, SurveyConfigError, load_survey_configs
from callkpi_survey_gateway.preview import preview_messages
from callkpi_survey_gateway.replies import parse_custom_reply

OWN = """\
[centres.default]
brand = "Acme"
instruments = ["csat", "reason", "effort"]
languages = ["en", "pl"]

[centres.default.questions.reason]
kind = "choice"
choices = ["price", "speed", "staff"]

[centres.default.questions.effort]   # a comment after the header
kind = "scale"
min = 1
max = 4

[centres.default.wording.en]
first = "{brand}: thanks for talking to {agent} today. {question}"
"question.reason" = "What mattered most? Reply 1 price, 2 speed, 3 staff."
"choices.reason" = ["Price", "Speed", "Staff"]
"question.effort" = "How much effort did it take? Reply 1 (none) to 4 (a lot)."

[centres.default.wording.pl]
"question.reason" = "Co bylo najwazniejsze? Odpowiedz 1 cena, 2 szybkosc, 3 obsluga."
"choices.reason" = ["Cena", "Szybkość", "Obsługa"]
'question.effort' = "Ile wysilku to wymagalo, {agent}? Odpowiedz od 1 do 4."
"""


def load(tmp_path: Path, text: str):
    path = tmp_path / "callkpi-survey.toml"
    path.write_text(text, encoding="utf-8")
    return load_survey_configs(GatewaySettings(config_file=path)), path


def test_own_questions_and_wording_load(tmp_path: Path) -> None:
    configs, _ = load(tmp_path, OWN)
    config = configs["default"]
    assert config.instruments == ["csat", "reason", "effort"]
    assert config.questions["reason"].scale == "choice"
    assert config.questions["effort"].scale == "1-4"


def test_missing_translation_unknown_placeholder_and_key_name_file_line_and_key(tmp_path: Path) -> None:
    bad = (OWN.replace('"choices.reason" = ["Cena", "Szybkość", "Obsługa"]\n', "")
           .replace("Odpowiedz od 1 do 4.", "Odpowiedz od 1 do 4, {name}.")
           .replace('first = "{brand}', 'frist = "{brand}'))
    with pytest.raises(SurveyConfigError) as caught:
        load(tmp_path, bad)
    path = tmp_path / "callkpi-survey.toml"
    assert str(caught.value).splitlines()[1:] == [
        f"  {path}:16: centre 'default': wording.en.'frist': not a wording key; expected an SMS template kind "
        "(closed, first, help, opted_in, opted_out, question.ces, question.comment, question.csat, question.nps, "
        "question.resolved, reminder, reprompt.ces, reprompt.comment, reprompt.csat, reprompt.nps, "
        "reprompt.resolved, thanks, web_invite) or question./reprompt./choices.<custom question id>",
        f"  {path}:23: centre 'default': wording.pl.'question.effort' has placeholder {{name}}: expected only "
        "{agent}, {brand}, {queue}",
        f"  {path}:21: centre 'default': wording.pl.'choices.reason': missing translation; expected the pl text "
        "of custom question 'reason'",
    ]


@pytest.mark.parametrize(("reply", "kind", "text"), [
    ("2", "answer", "speed"), ("Speed!", "answer", "speed"), ("  staff ", "answer", "staff"),
    ("two", "answer", "speed"), ("4", "invalid", None), ("1 or 2", "invalid", None), ("STOP", "stop", None),
])
def test_a_choice_reads_its_number_or_label(tmp_path: Path, reply: str, kind: str, text: str | None) -> None:
    configs, _ = load(tmp_path, OWN)
    parsed = parse_custom_reply(reply, configs["default"].questions["reason"], ["Price", "Speed", "Staff"], "en")
    assert (parsed.kind, parsed.text) == (kind, text)


def test_a_polish_label_answers_in_polish(tmp_path: Path) -> None:
    configs, _ = load(tmp_path, OWN)
    parsed = parse_custom_reply("szybkość", configs["default"].questions["reason"], ["Cena", "Szybkość", "Obsługa"],
                                "pl")
    assert (parsed.kind, parsed.text) == ("answer", "speed")


def test_a_custom_scale_takes_whole_numbers_within_its_ends(tmp_path: Path) -> None:
    configs, _ = load(tmp_path, OWN)
    effort = configs["default"].questions["effort"]
    assert parse_custom_reply("3", effort, [], "en").score == 3.0
    assert parse_custom_reply("5", effort, [], "en").kind == "invalid"
    assert parse_custom_reply("0", effort, [], "en").kind == "invalid"


def test_preview_gives_each_message_its_text_encoding_and_segments(tmp_path: Path, monkeypatch) -> None:
    configs, _ = load(tmp_path, OWN)
    from callkpi_survey_gateway import policy
    policy.use_configs(configs)
    try:
        messages = {m.kind: m for m in preview_messages("default", configs["default"], "pl",
                                                        GatewaySettings(), agent="Anna")}
    finally:
        policy.use_configs(None)
    effort = messages["question.effort"]
    assert effort.text == "Ile wysilku to wymagalo, Anna? Odpowiedz od 1 do 4."
    assert (effort.sms.encoding, effort.sms.units, effort.sms.segments) == ("GSM-7", 51, 1)
    assert list(messages)[:4] == ["first", "question.reason", "question.effort", "thanks"]
    # no own "first" in Polish: the language file's, with the CSAT question
    assert messages["first"].text.startswith("Acme: ")
