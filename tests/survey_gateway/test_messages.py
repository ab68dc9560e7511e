"""Every template of every language: encoding as intended, segment budget, placeholders,
brand and opt-out in the first message, right-to-left handling, web strings."""

from __future__ import annotations

import pytest

from callkpi_survey_gateway import messages
from callkpi_survey_gateway.messages import is_rtl, languages, placeholders, render, template, web_strings
from callkpi_survey_gateway.replies import parse_reply
from callkpi_survey_gateway.sms_encoding import encode_info, non_gsm7_characters

LANGUAGES = ["en", "fa", "nl", "pl", "yi", "zh"]
INSTRUMENTS = ["nps", "csat", "ces", "resolved", "comment"]
BRAND = "Acme Insurance Group"  # 20 characters: a long-ish brand, every template must bear it
URL = "https://survey.example.com/s/" + "x" * 22  # the web link: 128-bit token in base64url
VALUES = {"brand": BRAND, "url": URL}
OPT_OUT_WORDS = {"en": "STOP", "nl": "STOP", "pl": "STOP", "fa": "لغو", "zh": "退订", "yi": "STOP"}
# A whole SMS beyond the questions may take this many segments: the first message carries
# brand, thanks, a question and the opt-out, which a 70-unit UCS-2 segment cannot hold.
MAX_SEGMENTS = {"GSM-7": 2, "UCS-2": 3}


def all_templates() -> list[tuple[str, str]]:
    return [(language, kind) for language in LANGUAGES for kind in messages.kinds()]


def rendered(kind: str, language: str) -> str:
    return render(kind, language, **VALUES, instrument="nps")


def test_the_six_languages_are_there() -> None:
    assert languages() == LANGUAGES


@pytest.mark.parametrize(("language", "kind"), all_templates())
def test_template_is_in_its_intended_encoding(language: str, kind: str) -> None:
    intended = messages.sms_encoding(language)
    text = rendered(kind, language)
    if intended == "GSM-7":
        assert non_gsm7_characters(text) == [], f"{language} {kind}: non-GSM characters in a GSM-7 template"
    assert encode_info(text).encoding == intended


def with_each_question() -> list[tuple[str, str, str]]:
    """Templates holding {question} once per instrument; the others once."""
    return [(language, kind, instrument) for language, kind in all_templates()
            for instrument in (INSTRUMENTS if "question" in placeholders(template(kind, language)) else ["nps"])]


@pytest.mark.parametrize(("language", "kind", "instrument"), with_each_question())
def test_template_fits_its_segment_budget(language: str, kind: str, instrument: str) -> None:
    info = encode_info(render(kind, language, **VALUES, instrument=instrument))
    # every question and re-prompt fits one segment in every script; the rest a few
    budget = 1 if kind.startswith(("question.", "reprompt.")) else MAX_SEGMENTS[info.encoding]
    assert info.segments <= budget, f"{language} {kind} ({instrument}): {info}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_kind_with_the_same_placeholders(language: str) -> None:
    english = messages.catalogue()["en"]["sms"]
    own = messages.catalogue()[language]["sms"]
    assert set(own) == set(english)
    for kind, text in english.items():
        assert placeholders(own[kind]) == placeholders(text), f"{language} {kind}"
    assert {f"question.{name}" for name in INSTRUMENTS} | {f"reprompt.{name}" for name in INSTRUMENTS} <= set(own)


@pytest.mark.parametrize("language", LANGUAGES)
def test_first_message_names_the_brand_the_question_and_the_opt_out(language: str) -> None:
    first = render("first", language, brand=BRAND, instrument="csat")
    assert BRAND in first
    assert template("question.csat", language) in first
    assert OPT_OUT_WORDS[language] in first
    # the advertised opt-out word really opts out
    assert parse_reply(OPT_OUT_WORDS[language], "nps", language).kind == "stop"


@pytest.mark.parametrize("language", LANGUAGES)
def test_web_invite_carries_the_link_and_the_opt_out(language: str) -> None:
    invite = render("web_invite", language, brand=BRAND, url=URL)
    assert URL in invite and OPT_OUT_WORDS[language] in invite


def test_persian_and_yiddish_are_right_to_left_and_start_with_a_mark() -> None:
    assert [language for language in LANGUAGES if is_rtl(language)] == ["fa", "yi"]
    # the Latin brand would otherwise make the phone lay the Persian text out left to right
    assert render("thanks", "fa", brand="Acme").startswith("\u200fAcme:")
    assert render("thanks", "en", brand="Acme") == "Acme: thank you for your feedback, it helps us improve."


def test_unknown_language_falls_back_to_english_and_regional_variants_to_their_language() -> None:
    assert render("closed", "de", brand="Acme") == render("closed", "en", brand="Acme")
    assert render("closed", "nl-BE", brand="Acme") == "Acme: dit onderzoek is helaas gesloten. Bedankt voor uw tijd."
    assert messages.resolve_language("de", default="pl") == "pl"


def test_missing_value_and_unknown_kind_are_named() -> None:
    with pytest.raises(ValueError, match=r"template 'web_invite' needs url; got brand"):
        render("web_invite", "en", brand="Acme")
    with pytest.raises(KeyError, match=r"no SMS template 'question.mood'; expected one of closed, first"):
        render("question.mood", "en", brand="Acme")


@pytest.mark.parametrize("language", LANGUAGES)
def test_web_strings_are_complete_in_every_language(language: str) -> None:
    strings = web_strings(language)
    assert set(messages.catalogue()[language]["web"]) == set(messages.catalogue()["en"]["web"])
    for name in ("nps", "csat", "ces"):
        assert strings[name] and strings[f"{name}_low"] and strings[f"{name}_high"]
    assert strings["lang"] == language
    assert strings["dir"] == ("rtl" if language in ("fa", "yi") else "ltr")
