"""Reply parsing: table-driven, with the messy replies people actually send."""

from __future__ import annotations

import pytest

from callkpi_survey_gateway import messages
from callkpi_survey_gateway.replies import Reply, normalise, parse_reply, vocabulary


def answer(score: float) -> Reply:
    return Reply("answer", score=score)


INVALID = Reply("invalid")

SCORES = [
    # (reply, instrument, language, expected)
    ("9", "nps", "en", answer(9)),
    (" 9 ", "nps", "en", answer(9)),
    ("9\n", "nps", "en", answer(9)),
    ("9/10", "nps", "en", answer(9)),
    ("9 / 10", "nps", "en", answer(9)),
    ("9 out of 10", "nps", "en", answer(9)),
    ("10/10 great service", "nps", "en", answer(10)),
    ("10", "nps", "en", answer(10)),
    ("0", "nps", "en", answer(0)),
    ("9!!", "nps", "en", answer(9)),
    ("I'd say 8", "nps", "en", answer(8)),
    ("I’d give you an 8, thanks", "nps", "en", answer(8)),
    ("nine", "nps", "en", answer(9)),
    ("NINE", "nps", "en", answer(9)),
    ("9.0", "nps", "en", answer(9)),
    ("9️⃣", "nps", "en", answer(9)),  # keycap emoji: 9 + VS16 + combining keycap
    ("🔟", "nps", "en", answer(10)),
    ("9 👍", "nps", "en", answer(9)),
    ("４", "csat", "en", answer(4)),  # full-width digit
    ("９", "nps", "zh", answer(9)),
    ("۹", "nps", "fa", answer(9)),  # Persian digit
    ("٩", "nps", "fa", answer(9)),  # Arabic-Indic digit
    ("۱۰", "nps", "fa", answer(10)),
    ("۹ از ۱۰", "nps", "fa", answer(9)),
    ("هشت", "nps", "fa", answer(8)),
    ("يك", "csat", "fa", answer(1)),  # typed with Arabic yeh and kaf
    ("negen", "nps", "nl", answer(9)),
    ("Ik geef een 8", "nps", "nl", answer(8)),  # "een" is the article here
    ("een", "csat", "nl", answer(1)),  # …and the number on its own
    ("één", "csat", "nl", answer(1)),
    ("8 van de 10", "nps", "nl", answer(8)),
    ("dziewięć", "nps", "pl", answer(9)),
    ("dziewiec", "nps", "pl", answer(9)),  # typed without diacritics
    ("Piec", "csat", "pl", answer(5)),
    ("九", "nps", "zh", answer(9)),
    ("九分", "nps", "zh", answer(9)),
    ("给十分", "nps", "zh", answer(10)),
    ("十", "nps", "zh", answer(10)),
    ("אַכט", "nps", "yi", answer(8)),
    ("אכט", "nps", "yi", answer(8)),  # unpointed, as most type it
    ("צוויי", "csat", "yi", answer(2)),
    ("צװײ", "csat", "yi", answer(2)),  # with the Yiddish ligatures
    ("seven", "ces", "nl", answer(7)),  # English words work in every language
    ("4/5", "csat", "en", answer(4)),
    ("7", "ces", "en", answer(7)),
    # invalid: out of range, halves, two numbers, fractions over another scale, junk
    ("11", "nps", "en", INVALID),
    ("-3", "nps", "en", INVALID),
    ("0", "csat", "en", INVALID),
    ("6", "csat", "en", INVALID),
    ("8", "ces", "en", INVALID),
    ("8.5", "nps", "en", INVALID),  # no halves on the scale; rounding would choose for them
    ("8,5", "nps", "nl", INVALID),
    ("7 or 8", "nps", "en", INVALID),
    ("4/5", "nps", "en", INVALID),  # a 5-point answer to a 0–10 question
    ("great service", "nps", "en", INVALID),
    ("👍", "nps", "en", INVALID),
    ("", "nps", "en", INVALID),
    ("十一", "nps", "zh", INVALID),
    ("十分满意", "nps", "zh", INVALID),  # 十分 is "very" here, not 10
    ("نه", "nps", "fa", INVALID),  # nine or no? ask again for digits
    ("נײַן", "nps", "yi", INVALID),  # nine, unpointed the same as "no"
    ("1000", "nps", "en", INVALID),
]


@pytest.mark.parametrize(("text", "instrument", "language", "expected"), SCORES)
def test_scores(text: str, instrument: str, language: str, expected: Reply) -> None:
    assert parse_reply(text, instrument, language) == expected


YES_NO = [
    ("yes", "en", 1), ("Yes!", "en", 1), ("YEP", "en", 1), ("👍", "en", 1), ("no", "en", 0), ("Nope.", "en", 0),
    ("not really", "en", 0), ("ja", "nl", 1), ("Nee", "nl", 0), ("tak", "pl", 1), ("NIE", "pl", 0),
    ("بله", "fa", 1), ("نه", "fa", 0), ("خیر", "fa", 0), ("是的", "zh", 1), ("没有", "zh", 0), ("否", "zh", 0),
    ("יאָ", "yi", 1), ("ניין", "yi", 0), ("yes", "nl", 1),
]


@pytest.mark.parametrize(("text", "language", "score"), YES_NO)
def test_resolved_yes_no(text: str, language: str, score: int) -> None:
    assert parse_reply(text, "resolved", language) == answer(score)


@pytest.mark.parametrize("text", ["yes and no", "maybe", "9", "", "👍👎"])
def test_resolved_unclear(text: str) -> None:
    assert parse_reply(text, "resolved", "en") == INVALID


STOPS = [
    ("STOP", "stop"), ("stop", "stop"), (" Stop. ", "stop"), ("STOPALL", "stopall"), ("Unsubscribe", "unsubscribe"),
    ("cancel", "cancel"), ("END", "end"), ("quit", "quit"), ("STOPP", "stopp"), ("stoppen", "stoppen"),
    ("Afmelden", "afmelden"), ("REZYGNUJĘ", "rezygnuję"), ("rezygnuje", "rezygnuje"), ("لغو", "لغو"),
    ("لغو ۱۱", "لغو 11"), ("退订", "退订"), ("TD", "td"), ("stop texting me", "stop"), ("STOP!!!", "stop"),
    ("ＳＴＯＰ", "stop"),  # full-width letters
]


@pytest.mark.parametrize(("text", "keyword"), STOPS)
@pytest.mark.parametrize("instrument", ["nps", "comment"])
def test_stop_words_opt_out_whatever_the_question(text: str, keyword: str, instrument: str) -> None:
    assert parse_reply(text, instrument, "en") == Reply("stop", keyword=keyword)


def test_polish_nie_is_no_not_an_opt_out() -> None:
    assert parse_reply("nie", "resolved", "pl") == answer(0)
    assert parse_reply("nie", "nps", "pl") == INVALID


def test_a_long_comment_starting_with_stop_is_a_comment() -> None:
    text = "Stop making me wait on hold every time"
    assert parse_reply(text, "comment", "en") == Reply("answer", text=text)


@pytest.mark.parametrize(("text", "keyword"), [("HELP", "help"), ("info", "info"), ("Hulp", "hulp"),
                                               ("POMOC", "pomoc"), ("راهنما", "راهنما"), ("帮助", "帮助"),
                                               ("הילף", "הילף"), ("help?", "help")])
def test_help_words(text: str, keyword: str) -> None:
    assert parse_reply(text, "nps", "en") == Reply("help", keyword=keyword)


@pytest.mark.parametrize(("text", "expected"), [
    ("  The agent was lovely.  ", Reply("answer", text="The agent was lovely.")),
    ("10/10 🙂", Reply("answer", text="10/10 🙂")),
    ("   ", INVALID),
    ("x" * 2500, Reply("answer", text="x" * 2000)),  # the event's text limit
])
def test_comments_are_kept_as_written(text: str, expected: Reply) -> None:
    assert parse_reply(text, "comment", "en") == expected


def test_normalise() -> None:
    assert normalise("  Ｎｉｎｅ\u00a0 ٩ ۹  ") == "nine 9 9"
    assert normalise("נײַן") == normalise("ניין") == "ניין"  # points dropped, ligature spelt out
    assert normalise("dziewięć") == "dziewięć"  # Latin accents stay


def test_an_unknown_instrument_is_named() -> None:
    with pytest.raises(ValueError, match=r"instrument 'mood' is unknown; expected one of nps, csat, ces, resolved"):
        parse_reply("9", "mood", "en")  # type: ignore[arg-type]


@pytest.mark.parametrize(("language", "missing"), [("en", set()), ("nl", set()), ("pl", set()), ("zh", set()),
                                                   ("fa", {9}), ("yi", {9})])
def test_every_language_has_number_words_for_0_to_10(language: str, missing: set[int]) -> None:
    own = messages.catalogue()[language]["replies"]["numbers"]
    understood = {value for word, value in vocabulary(language).numbers.items() if normalise(word) in
                  {normalise(own_word) for own_word in own}}
    # nine is left out only where it reads like "no" (Persian نه, Yiddish unpointed ניין)
    assert understood == set(range(11)) - missing
