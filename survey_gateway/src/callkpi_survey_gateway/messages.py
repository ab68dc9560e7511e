"""Survey texts: the SMS templates and web page strings of every language.

Each language is a TOML file in ``messages/`` (``en.toml`` …) with its ``direction``,
the SMS ``encoding`` its templates are written for (``GSM-7`` or ``UCS-2``), an
``[sms]`` table of templates by kind and a ``[web]`` table of page strings. Adding a
language is adding a file; the tests check it has every kind with the same placeholders.

SMS kinds: ``first`` (brand, first question, how to opt out), ``question.<instrument>``,
``reprompt.<instrument>``, ``reminder``, ``thanks``, ``help``, ``closed``, ``opted_out``,
``opted_in`` and ``web_invite``. Placeholders: ``{brand}``, ``{url}`` and ``{question}``; pass
``instrument="nps"`` and ``{question}`` is filled with that question in the same
language, so the first message is ``render("first", "nl", brand="Acme", instrument="nps")``.
"""

from __future__ import annotations

import string
import tomllib
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_LANGUAGE = "en"
RIGHT_TO_LEFT_MARK = "\u200f"


class UnknownTemplate(KeyError):
    """A template kind no language file defines."""

    def __str__(self) -> str:
        return str(self.args[0])


@cache
def catalogue() -> dict[str, dict[str, Any]]:
    """Every language file, parsed, by language code."""
    folder = resources.files(__package__) / "messages"
    files = (entry for entry in folder.iterdir() if entry.name.endswith(".toml"))
    parsed = (tomllib.loads(entry.read_text(encoding="utf-8")) for entry in files)
    return {language["language"]: language for language in parsed}


def languages() -> list[str]:
    """The codes of the languages with templates, sorted (``["en", "fa", …]``)."""
    return sorted(catalogue())


def resolve_language(language: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """``language`` if templates exist for it (``"nl-BE"`` counts as ``"nl"``), else
    ``default`` if they exist for that, else English."""
    for candidate in (language, default):
        base = (candidate or "").split("-")[0].split("_")[0].lower()
        if base in catalogue():
            return base
    return DEFAULT_LANGUAGE


def is_rtl(language: str) -> bool:
    """Whether ``language`` is written right to left (Persian, Yiddish)."""
    return catalogue()[resolve_language(language)]["direction"] == "rtl"


def sms_encoding(language: str) -> str:
    """The SMS encoding ``language``'s templates are written for: ``GSM-7`` or ``UCS-2``."""
    return catalogue()[resolve_language(language)]["encoding"]


def template(kind: str, language: str) -> str:
    """The raw SMS template of ``kind`` in ``language`` (English if that language lacks it)."""
    for candidate in (resolve_language(language), DEFAULT_LANGUAGE):
        text = catalogue()[candidate]["sms"].get(kind)
        if text is not None:
            return text
    raise UnknownTemplate(f"no SMS template {kind!r}; expected one of {', '.join(kinds())}")


def kinds() -> list[str]:
    """Every SMS template kind the English file defines."""
    return sorted(catalogue()[DEFAULT_LANGUAGE]["sms"])


def placeholders(text: str) -> set[str]:
    """The ``{name}`` placeholders of a template."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def render(kind: str, language: str, **values: Any) -> str:
    """The SMS of ``kind`` in ``language`` with ``values`` filled in.

    ``instrument="csat"`` fills ``{question}`` with that question. A right-to-left text
    starts with a right-to-left mark, so a Latin brand name at its start does not turn
    the whole message left to right on the phone.
    """
    language = resolve_language(language)
    text = template(kind, language)
    if "question" in placeholders(text) and "question" not in values and "instrument" in values:
        values["question"] = template(f"question.{values['instrument']}", language)
    missing = placeholders(text) - values.keys()
    if missing:
        raise ValueError(f"template {kind!r} needs {', '.join(sorted(missing))}; got {', '.join(sorted(values))}")
    rendered = text.format(**values)
    return RIGHT_TO_LEFT_MARK + rendered if is_rtl(language) else rendered


def web_strings(language: str) -> dict[str, str]:
    """The web survey page's strings in ``language`` (title, intro, one label per
    instrument with ``<instrument>_low``/``_high`` scale ends, yes, no,
    comment_placeholder, submit, thanks, closed, required), plus ``lang`` and ``dir``
    for the page's ``<html>`` element."""
    language = resolve_language(language)
    strings = dict(catalogue()[DEFAULT_LANGUAGE]["web"]) | catalogue()[language]["web"]
    return strings | {"lang": language, "dir": catalogue()[language]["direction"]}
