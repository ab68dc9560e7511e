"""Reading a customer's SMS reply: an answer, an opt-out, a request for help, or junk.

The words come from the ``[replies]`` table of each language file in ``messages/``.
Every reply is normalised first (NFKC, so full-width ``９`` is ``9``; every script's
decimal digits, Persian ``۹`` and Arabic-Indic ``٩`` included, become ASCII; case folded;
Arabic letter forms mapped to Persian ones; Hebrew vowel points dropped and Yiddish
ligatures spelt out; keycap emoji ``9️⃣`` and ``🔟`` read as digits). Then, in order:

* **stop**: the whole reply is an opt-out word of any language (``STOP``, ``STOPALL``,
  ``UNSUBSCRIBE``, ``CANCEL``, ``END``, ``QUIT``, ``OPTOUT``, ``REVOKE`` — the words Twilio
  and US carriers honour — ``STOPP``, ``STOPPEN``, ``AFMELDEN``, ``REZYGNUJĘ``, ``لغو``,
  ``退订``, ``TD`` …), or a reply of at most three words starts with an unambiguous one
  (``stop texting me``; a longer comment that merely starts with "stop" stays a comment).
  Polish ``NIE`` is *not* an opt-out word: it is the Polish "no".
* **start**: the whole reply is an opt-in word of any language (``START``, ``UNSTOP`` — Twilio's
  opt-in words but its ``YES``, which answers a yes/no question — ``AANMELDEN``, ``订阅`` …).
* **help**: the whole reply is a help word (``HELP``, ``INFO``, ``HULP``, ``POMOC``,
  ``راهنما``, ``帮助``, ``הילף`` …).
* **answer** for nps (0–10), csat (1–5) and ces (1–7): the one number in the reply —
  ``9``, ``9!!``, ``I'd say 8``, ``9/10``, ``9 out of 10``, ``10/10 great service`` — or,
  without digits, a number word of the reply's language or English (``nine``, ``negen``,
  ``dziewięć``, ``九分``). A fraction counts only over the scale's top (``4/5`` is no NPS
  answer). Whole numbers only: ``8.5`` is invalid, because the scales have no halves and
  rounding would put the customer in a category they did not choose; two different
  numbers (``7 or 8``) are invalid too. For ``resolved``: a yes or a no word (or 👍/👎),
  but not both. For ``comment``: any non-empty text, kept as written (trimmed, at most
  2000 characters).

Anything else is **invalid**; the conversation re-prompts once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal, get_args

from callkpi.events.survey import Instrument

from . import messages

if TYPE_CHECKING:
    from .wording import CustomQuestion

SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
COMMENT_LIMIT = 2000
STOP_PREFIX_MAX_WORDS = 3
STRONG_STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "optout", "stopp", "stoppen", "afmelden", "لغو"})

_NUMBER = re.compile(r"(?<![\w.,])-?\d+(?:[.,]\d+)?(?![\w.,]*\d)")
_FRACTION = re.compile(r"(\d+)\s*(?:/|out of|of|van de|van|op|na|z|از)\s*(\d+)")
_ADVERB_SHIFEN = re.compile(r"十分(?=[\u4e00-\u9fff])")  # 十分满意 is "very satisfied", not 10
_CJK_NUMERAL = re.compile(r"[零〇一二两兩三四五六七八九十]+")
_EDGE_JUNK = re.compile(r"^[\W_]+|[\W_]+$")
_LETTER_FORMS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "\u200c": " ", "װ": "וו", "ױ": "וי",
                               "ײ": "יי", "\ufe0f": None, "\u20e3": None, "🔟": "10"})


@dataclass(frozen=True)
class Reply:
    """What a reply means: an ``answer`` (``score`` on the scale, or ``text`` for a
    comment), ``stop``, ``start`` or ``help`` (``keyword`` is the word used), or ``invalid``."""

    kind: Literal["answer", "stop", "start", "help", "invalid"]
    score: float | None = None
    text: str | None = None
    keyword: str | None = None


@dataclass(frozen=True)
class Vocabulary:
    """The normalised yes, no and number words understood in one language."""

    yes: frozenset[str]
    no: frozenset[str]
    numbers: dict[str, int]
    standalone: frozenset[str]


def parse_reply(text: str, instrument: Instrument, language: str) -> Reply:
    """Read the customer's reply ``text`` to a question on ``instrument``, asked in ``language``."""
    words = normalise(text)
    keyword = _keyword(words)
    if keyword is not None:
        return keyword
    if instrument == "comment":
        comment = text.strip()[:COMMENT_LIMIT]
        return Reply("answer", text=comment) if comment else Reply("invalid")
    if instrument == "resolved":
        return _yes_or_no(words, vocabulary(language))
    if instrument not in SCALES:
        raise ValueError(f"instrument {instrument!r} is unknown; expected one of {', '.join(get_args(Instrument))}")
    return _score(words, SCALES[instrument], vocabulary(language))


def parse_custom_reply(text: str, question: CustomQuestion, labels: list[str], language: str) -> Reply:
    """Read a reply to a centre's own question: for a scale, one whole number from its ``min``
    to ``max`` (as for nps); for a choice, the number of an answer (1 for the first) or its
    label in ``labels`` (``Speed``, ``speed!``); ``text`` then holds the answer's id."""
    words = normalise(text)
    keyword = _keyword(words)
    if keyword is not None:
        return keyword
    if question.kind == "scale":
        return _score(words, (question.min, question.max), vocabulary(language))
    named = [index for index, label in enumerate(labels) if normalise(label) == _EDGE_JUNK.sub("", words)]
    if named:
        return Reply("answer", text=question.choices[named[0]])
    picked = _score(words, (1, len(question.choices)), vocabulary(language))
    if picked.kind != "answer":
        return picked
    return Reply("answer", text=question.choices[int(picked.score) - 1])


def normalise(text: str) -> str:
    """``text`` as the parser compares it: NFKC, ASCII digits, case folded, one space
    between words, Hebrew vowel points and Arabic diacritics removed."""
    folded = unicodedata.normalize("NFKC", text).translate(_LETTER_FORMS).casefold()
    chars = (_ascii_digit(char) for char in unicodedata.normalize("NFD", folded) if not _is_point(char))
    return " ".join(unicodedata.normalize("NFC", "".join(chars)).split())


def _ascii_digit(char: str) -> str:
    digit = unicodedata.decimal(char, None)
    return str(digit) if digit is not None else char


def _is_point(char: str) -> bool:
    """Hebrew vowel points and Arabic harakat: spelling aids most people leave out.
    Latin accents are marks too, but they stay (and recompose)."""
    return unicodedata.category(char) == "Mn" and ("\u0591" <= char <= "\u05c7" or "\u064b" <= char <= "\u065f")


@cache
def stop_words() -> frozenset[str]:
    """Every language's opt-out words, normalised and without spaces."""
    return _all_languages("stop")


@cache
def start_words() -> frozenset[str]:
    """Every language's opt-in words, normalised and without spaces."""
    return _all_languages("start")


@cache
def help_words() -> frozenset[str]:
    """Every language's help words, normalised and without spaces."""
    return _all_languages("help")


def _all_languages(key: str) -> frozenset[str]:
    lists = (language["replies"][key] for language in messages.catalogue().values())
    return frozenset(normalise(word).replace(" ", "") for words in lists for word in words)


@cache
def vocabulary(language: str) -> Vocabulary:
    """The yes, no and number words of ``language`` together with English ones. A number
    word that is also a yes/no word of the language ("نه") is left out of the numbers."""
    own = messages.catalogue()[messages.resolve_language(language)]["replies"]
    english = messages.catalogue()[messages.DEFAULT_LANGUAGE]["replies"]
    yes, no = _normalised(own["yes"] + english["yes"]), _normalised(own["no"] + english["no"])
    numbers = {normalise(word): value for word, value in (english["numbers"] | own["numbers"]).items()}
    unambiguous = {word: value for word, value in numbers.items() if word not in yes | no}
    return Vocabulary(yes, no, unambiguous, _normalised(own["standalone"]))


def _normalised(words: list[str]) -> frozenset[str]:
    return frozenset(normalise(word) for word in words)


def _keyword(words: str) -> Reply | None:
    bare = _EDGE_JUNK.sub("", words)
    compact = bare.replace(" ", "")
    if compact in stop_words():
        return Reply("stop", keyword=bare)
    first, *rest = bare.split(" ") if bare else [""]
    if first in STRONG_STOP_WORDS and len(rest) < STOP_PREFIX_MAX_WORDS:
        return Reply("stop", keyword=first)
    if compact in start_words():
        return Reply("start", keyword=bare)
    if compact in help_words():
        return Reply("help", keyword=bare)
    return None


def _yes_or_no(words: str, vocabulary: Vocabulary) -> Reply:
    tokens = set(_tokens(words))
    said_yes = bool(tokens & vocabulary.yes) or "👍" in words
    said_no = bool(tokens & vocabulary.no) or "👎" in words
    if said_yes == said_no:
        return Reply("invalid")
    return Reply("answer", score=1.0 if said_yes else 0.0)


def _score(words: str, bounds: tuple[int, int], vocabulary: Vocabulary) -> Reply:
    values = _numbers(_over_scale_top(words, bounds[1])) or _number_words(words, vocabulary)
    if len(set(values)) != 1:
        return Reply("invalid")
    value = values[0]
    if value != int(value) or not bounds[0] <= value <= bounds[1]:
        return Reply("invalid")
    return Reply("answer", score=float(value))


def _over_scale_top(words: str, top: int) -> str:
    """``9/10`` → ``9`` when 10 is the scale's top; a fraction over anything else → unreadable."""
    def replace(match: re.Match[str]) -> str:
        return match.group(1) if int(match.group(2)) == top else " ? "
    return _FRACTION.sub(replace, words)


def _numbers(words: str) -> list[float]:
    return [float(match.replace(",", ".")) for match in _NUMBER.findall(words)]


def _number_words(words: str, vocabulary: Vocabulary) -> list[float]:
    tokens = _tokens(words)
    values = [float(vocabulary.numbers[token]) for token in tokens
              if token in vocabulary.numbers and (token not in vocabulary.standalone or len(tokens) == 1)]
    return values + _cjk_numbers(words, vocabulary)


def _cjk_numbers(words: str, vocabulary: Vocabulary) -> list[float]:
    """Chinese numerals inside a run of text (``给九分``); a run that is no single
    number (``十一``) makes the reply unreadable."""
    runs = _CJK_NUMERAL.findall(_ADVERB_SHIFEN.sub("", words))
    return [float(vocabulary.numbers.get(run, -1)) for run in runs]


def _tokens(words: str) -> list[str]:
    return [token for token in re.split(r"[^\w']+", words) if token]
