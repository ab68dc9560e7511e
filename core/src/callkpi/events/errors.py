"""Turn pydantic validation errors into sentences that name the field, the value
and what was expected — the form every callkpi rejection takes."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from pydantic import ValidationError
from pydantic_core import ErrorDetails

MAX_VALUE_CHARS = 80
_EXPLAIN = {
    "timezone_aware": "has no UTC offset; expected an RFC 3339 timestamp with an offset "
                      "such as 'Z' or '+01:00'",
    "missing": "is missing; expected a value",
    "extra_forbidden": "is not a field of this event type; expected only the fields in its "
                       "schema (see `callkpi schema TYPE`)",
    "union_tag_not_found": "is missing; expected the event type, e.g. 'contact.offered'",
    "greater_than_equal": "expected a number ≥ {ge}",
    "greater_than": "expected a number > {gt}",
    "missing_extension": "is missing or null; {type} events need this extension attribute, "
                         "expected a non-empty string",
}
# Errors about an absent value: showing the input (the whole event) would only confuse.
_NO_VALUE = {"missing", "union_tag_not_found", "missing_extension"}


class InvalidEvent(ValueError):
    """An event failed validation; ``reasons`` holds one readable sentence per problem."""

    def __init__(self, reasons: Sequence[str]):
        super().__init__("; ".join(reasons))
        self.reasons = list(reasons)


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "event"


def _value(value: object) -> str:
    text = repr(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _explain(error: ErrorDetails, known_types: Iterable[str]) -> str:
    kind = error["type"]
    if kind in _EXPLAIN:
        return _EXPLAIN[kind].format(**error.get("ctx", {}))
    if kind == "union_tag_invalid":
        tag = str(error.get("ctx", {}).get("tag"))
        close = difflib.get_close_matches(tag, list(known_types), n=1)
        hint = f" — did you mean '{close[0]}'?" if close else " (see `callkpi schema` for the list)"
        return f"is not a registered event type; expected a known type{hint}"
    message = error["msg"]
    for prefix, replacement in (("Input should be ", "expected "), ("Value error, ", "")):
        if message.startswith(prefix):
            return replacement + message[len(prefix):]
    return message[0].lower() + message[1:]


def describe(exc: ValidationError, known_types: Iterable[str] = ()) -> list[str]:
    """One sentence per error: ``location = value: what was expected``."""
    reasons = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        # A discriminated union prefixes the location with the tag; the reader knows the type.
        if loc and isinstance(loc[0], str) and "." in loc[0]:
            loc = loc[1:]
        value = error["input"]
        if error["type"] == "json_invalid":
            reasons.append(f"not valid JSON: {error['ctx'].get('error', error['msg'])}")
            continue
        if error["type"].startswith("union_tag_"):
            loc, value = ("type",), error.get("ctx", {}).get("tag")
        if error["type"] == "missing_extension":  # raised on the whole event; name the attribute
            loc = (error["ctx"]["name"],)
        hidden = error["type"] in _NO_VALUE or isinstance(value, dict | list)
        shown = "" if hidden else f" = {_value(value)}"
        reasons.append(f"{_location(loc)}{shown}: {_explain(error, known_types)}")
    return reasons
