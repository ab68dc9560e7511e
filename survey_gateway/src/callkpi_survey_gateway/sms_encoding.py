"""How an SMS text is encoded and how many segments it costs.

A text made only of GSM 03.38 characters is sent as GSM-7: 160 septets in one
segment, 153 per segment once concatenated (the user-data header takes the rest).
A character of the extension table (``€ [ ] { } ^ ~ | \\`` and form feed) costs two
septets (escape + character) and is never split across segments. Any other character
switches the whole message to UCS-2: 70 UTF-16 code units in one segment, 67 per
segment once concatenated, and a surrogate pair (an emoji) is never split either.
Carriers bill per segment, so templates are checked against this (see ``messages``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE_LIMITS = {"GSM-7": 160, "UCS-2": 70}
CONCATENATED_LIMITS = {"GSM-7": 153, "UCS-2": 67}

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class SmsInfo:
    """A text's encoding, its length in encoding units (septets or UTF-16 code units)
    and the number of SMS segments it is sent as."""

    encoding: Encoding
    units: int
    segments: int


def encode_info(text: str) -> SmsInfo:
    """The encoding, unit count and segment count of ``text`` as an SMS."""
    encoding: Encoding = "GSM-7" if is_gsm7(text) else "UCS-2"
    sizes = _unit_sizes(text, encoding)
    return SmsInfo(encoding, sum(sizes), _segments(sizes, encoding))


def is_gsm7(text: str) -> bool:
    """Whether every character of ``text`` is in the GSM 03.38 basic or extension table."""
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def non_gsm7_characters(text: str) -> list[str]:
    """The characters of ``text`` that force UCS-2, in order of first appearance."""
    return list(dict.fromkeys(char for char in text if char not in GSM7_BASIC and char not in GSM7_EXTENSION))


def _unit_sizes(text: str, encoding: Encoding) -> list[int]:
    """The units each character takes; a character never straddles two segments."""
    if encoding == "GSM-7":
        return [2 if char in GSM7_EXTENSION else 1 for char in text]
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def _segments(sizes: list[int], encoding: Encoding) -> int:
    if sum(sizes) <= SINGLE_LIMITS[encoding]:
        return 1
    limit, segments, used = CONCATENATED_LIMITS[encoding], 1, 0
    for size in sizes:
        if used + size > limit:
            segments, used = segments + 1, 0
        used += size
    return segments
