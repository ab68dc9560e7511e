"""The signed form of a Twilio webhook: read as Starlette reads a form, checked as Twilio's own
validator checks it — the webhooks read it faster, and must not read it differently."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from twilio.request_validator import RequestValidator

from callkpi_survey_gateway.signatures import FORM_URLENCODED, posted_form, signature_matches

pytestmark = pytest.mark.anyio
TOKEN = "auth-token-0123456789abcdef"
PARAMS = {"MessageSid": "SM" + "1" * 32, "From": "+31612345678", "Body": "9 ✓", "NumSegments": "1"}

BODIES = [
    b"MessageSid=SM1&From=%2B31612345678&Body=caf%C3%A9+9%2B1",  # UTF-8 escapes, + for space, %2B for +
    b"Body=&From=%2B316&MessagingServiceSid=",  # blank values, which Twilio signs too
    b"Body=1&Body=2",  # a repeated name: the last value
    b"Body=a%3Db%26c%25&To=%E2%9C%93",  # escaped separators and percent
    "Body=café".encode("latin-1"),  # raw bytes, not escaped: read as Latin-1 by both
    b"Body=%FF%FE",  # escapes that are no UTF-8
    b"Body&a=1;b=2&&=x&c==d",  # malformed: a name alone, ; inside a value, empty pairs and names
    b"",
]


def _request(body: bytes, content_type: str = FORM_URLENCODED) -> Request:
    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": headers, "query_string": b""}, receive)


@pytest.mark.parametrize("body", BODIES)
async def test_a_posted_form_reads_as_starlettes_form(body: bytes):
    starlette_form = {key: value for key, value in (await _request(body).form()).items()}
    assert await posted_form(_request(body)) == starlette_form


async def test_a_form_of_another_content_type_is_still_read():
    body = b'--x\r\nContent-Disposition: form-data; name="Body"\r\n\r\n9\r\n--x--\r\n'
    assert await posted_form(_request(body, "multipart/form-data; boundary=x")) == {"Body": "9"}


async def test_the_content_type_is_matched_without_its_parameters_or_case():
    request = _request(b"Body=9", "Application/X-WWW-Form-Urlencoded; charset=utf-8")
    assert await posted_form(request) == {"Body": "9"}


@pytest.mark.parametrize("signed_url", ["https://surveys.example.com/hook", "https://surveys.example.com:443/hook",
                                        "http://surveys.example.com:8080/hook?m=7"])
@pytest.mark.parametrize("checked_url", ["https://surveys.example.com/hook", "https://surveys.example.com:443/hook",
                                         "http://surveys.example.com:8080/hook?m=7"])
@pytest.mark.parametrize("sent", [PARAMS, PARAMS | {"Body": "0"}, {}])
def test_a_signature_matches_when_twilios_validator_says_so(signed_url: str, checked_url: str, sent: dict[str, str]):
    signature = RequestValidator(TOKEN).compute_signature(signed_url, PARAMS)
    expected = RequestValidator(TOKEN).validate(checked_url, sent, signature)
    assert signature_matches(TOKEN, checked_url, sent, signature) is expected


def test_a_signature_made_with_another_token_does_not_match():
    signature = RequestValidator("another-token").compute_signature("https://surveys.example.com/hook", PARAMS)
    assert not signature_matches(TOKEN, "https://surveys.example.com/hook", PARAMS, signature)
