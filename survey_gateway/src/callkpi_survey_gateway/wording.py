"""A centre's own survey: its custom questions and its own wording, per language.

In ``callkpi-survey.toml`` a centre lists its questions in order in ``instruments``: the
standard instruments (nps, csat, ces, resolved, comment) and the ids of its own questions,
each defined under ``[centres.<name>.questions.<id>]``::

    [centres.default]
    instruments = ["csat", "reason", "nps"]
    languages = ["en", "pl"]

    [centres.default.questions.reason]
    kind = "choice"                      # or "scale" with min and max
    choices = ["price", "speed", "staff"]

    [centres.default.wording.en]
    first = "{brand}: thanks for talking to {agent} today. {question}"
    "question.reason" = "What mattered most? Reply 1 price, 2 speed, 3 staff."
    "choices.reason" = ["Price", "Speed", "Staff"]

A wording key is an SMS template kind of ``messages/`` (``first``, ``thanks``,
``question.nps`` …), ``question.<id>`` / ``reprompt.<id>`` of a custom question, or
``choices.<id>`` (the labels of a choice question, in the order of its ``choices``). Every
custom question needs ``question.<id>`` (and, for a choice, ``choices.<id>``) in every
language the centre offers; everything else falls back to the language file.

Placeholders: what the language file's template of that kind has (``{question}``,
``{url}``) plus ``{brand}``, ``{agent}`` (the agent's first name; the brand when the agent's
name is unknown, so the sentence still reads) and ``{queue}``. A missing translation, an
unknown key or an unknown placeholder is an error naming the file, the line and the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .messages import RIGHT_TO_LEFT_MARK, is_rtl, kinds, placeholders, resolve_language, template

STANDARD_INSTRUMENTS = ("nps", "csat", "ces", "resolved", "comment")
QUESTION_ID_PATTERN = r"^[a-z][a-z0-9_]{0,15}$"
CENTRE_PLACEHOLDERS = frozenset({"brand", "agent", "queue"})
_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""")


class CustomQuestion(BaseModel):
    """A centre's own question: a multiple choice (``choices``: answer ids, in the order the
    customer sees and numbers them) or a scale from ``min`` to ``max`` (whole numbers)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["choice", "scale"]
    choices: list[str] = Field(default_factory=list, max_length=9,
                               json_schema_extra={"items": {"pattern": QUESTION_ID_PATTERN}})
    min: int | None = Field(None, ge=0, le=100)
    max: int | None = Field(None, ge=1, le=100)

    @model_validator(mode="after")
    def _shape_of_kind(self) -> CustomQuestion:
        if self.kind == "choice" and (len(self.choices) < 2 or self.min is not None or self.max is not None):
            raise ValueError("a choice question: expected choices with 2 to 9 answer ids, and no min or max")
        if self.kind == "choice" and len(set(self.choices)) != len(self.choices):
            raise ValueError(f"choices = {self.choices}: expected each answer id once")
        if self.kind == "scale" and (self.choices or self.min is None or self.max is None or self.min >= self.max):
            raise ValueError("a scale question: expected whole numbers min < max, and no choices")
        return self

    @property
    def scale(self) -> str:
        """The event's ``scale``: ``choice`` or ``<min>-<max>``."""
        return "choice" if self.kind == "choice" else f"{self.min}-{self.max}"


@dataclass(frozen=True)
class WordingProblem:
    """One problem of a centre's questions or wording: the TOML key path it is about (for its
    line) and what is wrong and expected."""

    path: tuple[str, ...]
    message: str


def wording_problems(centre: str, instruments: list[str], questions: Mapping[str, CustomQuestion],
                     wording: Mapping[str, Mapping[str, Any]], languages: list[str]) -> list[WordingProblem]:
    """Every problem of one centre's question list, custom questions and wording."""
    base = ("centres", centre)
    problems = [WordingProblem((*base, "instruments"), f"instruments has {name!r}: expected one of "
                               f"{', '.join(STANDARD_INSTRUMENTS)} or the id of a [centres.{centre}.questions.<id>]")
                for name in instruments if name not in STANDARD_INSTRUMENTS and name not in questions]
    problems += [WordingProblem((*base, "questions", name), f"questions.{name}: expected an id matching "
                                f"{QUESTION_ID_PATTERN} that is not a standard instrument")
                 for name in questions if name in STANDARD_INSTRUMENTS or not re.match(QUESTION_ID_PATTERN, name)]
    for language, texts in wording.items():
        if language not in languages:
            problems.append(WordingProblem((*base, "wording", language), f"wording.{language}: expected only "
                                           f"languages the centre offers ({', '.join(languages)})"))
        for key, text in texts.items():
            problems += _key_problems(base, language, key, text, questions)
    for name, question in questions.items():
        needed = [f"question.{name}"] + ([f"choices.{name}"] if question.kind == "choice" else [])
        for language in languages:
            for key in needed:
                if key not in wording.get(language, {}):
                    where = (*base, "wording", language) if language in wording else (*base, "questions", name)
                    problems.append(WordingProblem(where, f"wording.{language}.{key!r}: missing translation; "
                                                   f"expected the {language} text of custom question {name!r}"))
    return problems


def _key_problems(base: tuple[str, ...], language: str, key: str, text: Any,
                  questions: Mapping[str, CustomQuestion]) -> list[WordingProblem]:
    path = (*base, "wording", language, key)
    kind, _, name = key.partition(".")
    if kind == "choices" and name in questions:
        expected = len(questions[name].choices)
        if not isinstance(text, list) or len(text) != expected or not all(isinstance(t, str) and t for t in text):
            return [WordingProblem(path, f"wording.{language}.{key!r} = {text!r}: expected {expected} labels, "
                                   f"one per answer id of questions.{name}.choices")]
        return []
    custom = kind in ("question", "reprompt") and name in questions
    if not custom and key not in kinds():
        return [WordingProblem(path, f"wording.{language}.{key!r}: not a wording key; expected an SMS template "
                               f"kind ({', '.join(kinds())}) or question./reprompt./choices.<custom question id>")]
    if not isinstance(text, str) or not text.strip():
        return [WordingProblem(path, f"wording.{language}.{key!r} = {text!r}: expected a non-empty text")]
    allowed = CENTRE_PLACEHOLDERS | (set() if custom else placeholders(template(key, language)))
    unknown = sorted(placeholders(text) - allowed)
    if unknown:
        return [WordingProblem(path, f"wording.{language}.{key!r} has placeholder "
                               f"{', '.join('{' + name + '}' for name in unknown)}: expected only "
                               f"{', '.join('{' + name + '}' for name in sorted(allowed))}")]
    return []


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The line (1-based) of every table header and key of a TOML document, by key path.

    ``tomllib`` keeps no positions, so the file is scanned: ``[a.b."c d"]`` headers set the
    current table and ``key =`` / ``"key" =`` lines add a key under it. Good enough to point
    at a line; inline tables and multi-line strings are not followed into."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE.match(line)
        if header:
            table = _dotted(header.group(1))
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault((*table, *_dotted(key.group(1))), number)
    return lines


def _dotted(key: str) -> tuple[str, ...]:
    """``a."b.c".d`` as ``("a", "b.c", "d")``."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([^.\s]+)', key)
    return tuple(quoted or literal or bare for quoted, literal, bare in parts)


def line_of(lines: Mapping[tuple[str, ...], int], path: tuple[str, ...]) -> int | None:
    """The line of ``path``, else of its nearest parent that has one."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def centre_text(wording: Mapping[str, Mapping[str, Any]], kind: str, language: str, values: Mapping[str, Any]) -> str:
    """The text of ``kind`` in ``language``: the centre's wording when it has one, else the
    language file's; ``{question}`` (from ``values["instrument"]``) resolved the same way."""
    language = resolve_language(language)
    own = wording.get(language, {})
    values = dict(values)
    if "instrument" in values and "question" not in values:
        question_key = f"question.{values['instrument']}"
        values["question"] = own.get(question_key) or template(question_key, language)
        values["question"] = values["question"].format_map(_Blank(values))
    text = own.get(kind) or template(kind, language)
    missing = placeholders(text) - values.keys()
    if missing:
        raise ValueError(f"text {kind!r} needs {', '.join(sorted(missing))}; got {', '.join(sorted(values))}")
    rendered = text.format_map(values)
    return RIGHT_TO_LEFT_MARK + rendered if is_rtl(language) else rendered


class _Blank(dict):
    """Fills a question's own placeholders ({brand}, {agent}, {queue}) and leaves nothing open."""

    def __missing__(self, key: str) -> str:
        raise ValueError(f"question text needs {{{key}}}; expected only {{brand}}, {{agent}}, {{queue}}")


def choice_labels(wording: Mapping[str, Mapping[str, Any]], question_id: str, language: str) -> list[str]:
    """The labels of a choice question in ``language`` (validated at start-up to exist)."""
    return list(wording[resolve_language(language)][f"choices.{question_id}"])
