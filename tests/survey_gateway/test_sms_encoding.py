"""GSM-7 / UCS-2 detection and segment counting, with hand-counted lengths."""

from __future__ import annotations

import pytest

from callkpi_survey_gateway.sms_encoding import SmsInfo, encode_info, is_gsm7, non_gsm7_characters


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SmsInfo("GSM-7", 0, 1)),
        ("Reply 0-10", SmsInfo("GSM-7", 10, 1)),
        # € and [ ] are extension characters: escape + character, two septets each → 4 + 2*3
        ("Cost€[]", SmsInfo("GSM-7", 10, 1)),
        ("a" * 160, SmsInfo("GSM-7", 160, 1)),
        # 161 septets no longer fit one SMS: 153 + 8 → two segments
        ("a" * 161, SmsInfo("GSM-7", 161, 2)),
        ("a" * 306, SmsInfo("GSM-7", 306, 2)),
        ("a" * 307, SmsInfo("GSM-7", 307, 3)),
        # 152 plain septets then € (2 septets) would straddle the 153 boundary: it moves to
        # segment 2, with 9 more plain ones: 152 | 2 + 9 → 2 segments, 163 units
        ("a" * 152 + "€" + "a" * 9, SmsInfo("GSM-7", 163, 2)),
        # a curly apostrophe is not GSM: the whole text becomes UCS-2
        ("we’d", SmsInfo("UCS-2", 4, 1)),
        ("ą" * 70, SmsInfo("UCS-2", 70, 1)),
        ("ą" * 71, SmsInfo("UCS-2", 71, 2)),
        ("ą" * 134, SmsInfo("UCS-2", 134, 2)),
        ("ą" * 135, SmsInfo("UCS-2", 135, 3)),
        # an emoji is a surrogate pair: two UTF-16 units, never split. 66 + 2 > 67 → the emoji
        # starts segment 2: 66 | 2 + 2 → 70 units... and 70 fit one SMS, so one segment
        ("ą" * 66 + "🙂" * 2, SmsInfo("UCS-2", 70, 1)),
        # 66 + 3 emoji = 72 units > 70: segments of 67: 66 | 2+2+2 → 2 segments
        ("ą" * 66 + "🙂" * 3, SmsInfo("UCS-2", 72, 2)),
        ("您好", SmsInfo("UCS-2", 2, 1)),
    ],
)
def test_encoding_units_and_segments(text: str, expected: SmsInfo) -> None:
    assert encode_info(text) == expected


def test_gsm_alphabet_has_its_accented_letters_but_not_polish_ones() -> None:
    assert is_gsm7("éèùìòÇØøÅåÆæßÉÄÖÑÜäöñüà£¥§¿¡")
    assert non_gsm7_characters("zażółć – “ok” …") == ["ż", "ó", "ł", "ć", "–", "“", "”", "…"]
