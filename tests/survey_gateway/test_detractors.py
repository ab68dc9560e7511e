"""Detractor detection and the signed detractor webhook, against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from callkpi import hookimpl
from callkpi.plugins import CallkpiPluginManager
from callkpi_survey_gateway import detractors, policy
from callkpi_survey_gateway.config import SurveyConfig
from callkpi_survey_gateway.detractors import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    RetryPolicy,
    WebhookError,
    callkpi_detractor,
    detractor_has_work,
    fire_detractor,
    is_detractor,
    post_signed,
    sign,
    verify_signature,
    webhook_body,
)
from live_server import live_server

SECRET = "s3cret-shared-with-the-centre"
RESPONSE = {
    "surveyid": "sv_0123456789abcdef01234567",
    "contactid": "c-42",
    "agentid": "a-7",
    "queue": "sales",
    "instrument": "nps",
    "score": 3.0,
    "scale": "0-10",
    "language": "fa",
    "answered_at": "2026-03-02T10:15:00+00:00",
    "comment": None,
}


@pytest.mark.parametrize(
    ("instrument", "score", "expected"),
    [
        ("nps", 6, True),  # 0–6 is a detractor on NPS
        ("nps", 7, False),  # 7–8 passive
        ("csat", 2, True),
        ("csat", 3, False),
        ("ces", 2, True),
        ("ces", 3, False),
        ("resolved", 0, False),  # no threshold: never a detractor
        ("comment", None, False),
    ],
)
def test_default_thresholds(instrument, score, expected):
    assert is_detractor(instrument, score) is expected


def test_centre_thresholds_replace_the_defaults():
    # This centre calls NPS ≤ 4 a detractor only, and has no CSAT threshold at all.
    assert is_detractor("nps", 4, {"nps": 4}) is True
    assert is_detractor("nps", 5, {"nps": 4}) is False
    assert is_detractor("csat", 1, {"nps": 4}) is False


def test_signature_is_hmac_of_timestamp_and_body():
    # Worked independently: printf '1700000000.{}' | openssl dgst -sha256 -hmac k
    expected = "sha256=c6ef4734033cee2367414a0939385eca0397754aa7a59716da7463a9298b5146"
    assert sign("k", 1_700_000_000, b"{}") == expected


def test_verify_refuses_tampering_and_replays():
    body = webhook_body(RESPONSE, "amsterdam")
    signature = sign(SECRET, 1_000, body)
    assert verify_signature(SECRET, body, "1000", signature, now=1_100)
    assert not verify_signature(SECRET, body + b" ", "1000", signature, now=1_100)  # tampered body
    assert not verify_signature("other", body, "1000", signature, now=1_100)  # wrong secret
    assert not verify_signature(SECRET, body, "1000", signature, now=1_000 + 301)  # replayed > 5 min later
    assert not verify_signature(SECRET, body, "soon", signature, now=1_000)  # not a timestamp


def test_body_names_the_answer_and_never_a_number():
    payload = json.loads(webhook_body(RESPONSE, "amsterdam"))
    assert payload["id"] == "sv_0123456789abcdef01234567:nps"
    assert payload["type"] == "survey.detractor"
    assert payload["centre"] == "amsterdam"
    assert payload["response"] == RESPONSE


@dataclass
class Receiver:
    """A webhook receiver answering with ``script`` in turn (then 200), recording each request."""

    script: list[int | str] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hooks/detractor")
        async def detractor(request: Request) -> Response:
            self.received.append((dict(request.headers), await request.body()))
            step = self.script.pop(0) if self.script else 200
            if step == "hang":  # slower than the client's timeout
                await asyncio.sleep(1.0)
                step = 200
            return Response(status_code=int(step))

        return app


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    target = Receiver()
    with live_server(target.app()) as base_url:
        yield target, f"{base_url}/hooks/detractor"


def _post(url: str, body: bytes, policy: RetryPolicy, waits: list[float]) -> httpx.Response:
    with httpx.Client() as client:
        return post_signed(client, url, SECRET, body, policy, sleep=waits.append)


def test_delivered_signed_on_first_try(receiver):
    target, url = receiver
    body = webhook_body(RESPONSE, "amsterdam")
    waits: list[float] = []
    reply = _post(url, body, RetryPolicy(), waits)
    assert reply.status_code == 200
    assert waits == []
    [(headers, received)] = target.received
    assert received == body
    assert headers["content-type"] == "application/json"
    assert verify_signature(SECRET, received, headers[TIMESTAMP_HEADER.lower()],
                            headers[SIGNATURE_HEADER.lower()], now=time.time())


def test_5xx_retried_with_exponential_backoff(receiver):
    target, url = receiver
    target.script = [503, 500, 502]
    waits: list[float] = []
    reply = _post(url, webhook_body(RESPONSE, "c"), RetryPolicy(attempts=5, base_delay_s=0.5), waits)
    # three failures, then the fourth attempt passes: waits 0.5, 1, 2 between them
    assert reply.status_code == 200
    assert waits == [0.5, 1.0, 2.0]
    assert len(target.received) == 4


def test_429_is_retried_but_other_4xx_is_not(receiver):
    target, url = receiver
    target.script = [429, 400]
    waits: list[float] = []
    with pytest.raises(WebhookError, match=r"refused the request: HTTP 400"):
        _post(url, webhook_body(RESPONSE, "c"), RetryPolicy(base_delay_s=0.25), waits)
    assert waits == [0.25]
    assert len(target.received) == 2


def test_timeout_is_retried(receiver):
    target, url = receiver
    target.script = ["hang"]
    waits: list[float] = []
    reply = _post(url, webhook_body(RESPONSE, "c"), RetryPolicy(timeout_s=0.2, base_delay_s=0.1), waits)
    assert reply.status_code == 200
    assert waits == [0.1]
    assert len(target.received) == 2


def test_gives_up_after_the_last_attempt(receiver):
    target, url = receiver
    target.script = [503, 503, 503]
    waits: list[float] = []
    with pytest.raises(WebhookError, match=r"failed 3 times; last: HTTP 503"):
        _post(url, webhook_body(RESPONSE, "c"), RetryPolicy(attempts=3, base_delay_s=1, max_delay_s=1.5), waits)
    assert waits == [1, 1.5]  # 1, then 2 capped at 1.5; no wait after the last attempt


def test_unreachable_receiver_is_retried_then_reported():
    waits: list[float] = []
    # port 9 (discard) on loopback: nothing listens, the connection is refused at once
    with pytest.raises(WebhookError, match=r"failed 2 times; last: ConnectError"):
        _post("http://127.0.0.1:9/hook", b"{}", RetryPolicy(attempts=2, base_delay_s=0.01), waits)
    assert waits == [0.01]


@pytest.fixture
def configured_centre() -> Iterator[None]:
    policy.use_configs({"amsterdam": SurveyConfig(brand="Acme", detractor_webhook_url="https://crm.example.test/hook")})
    yield
    policy.use_configs(None)


def test_a_webhook_without_a_secret_is_refused_not_sent_unsigned(configured_centre):
    with pytest.raises(WebhookError, match=r"centre 'amsterdam': detractor_webhook_url is set but "
                                           r"detractor_webhook_secret is empty"):
        callkpi_detractor(RESPONSE, "amsterdam")


def test_an_unconfigured_centre_sends_nothing(configured_centre):
    assert callkpi_detractor(RESPONSE, "rotterdam") is None  # no config, no webhook, no error


class Failing:
    @hookimpl
    def callkpi_detractor(self, response, centre):
        raise RuntimeError("the CRM is down")


class Recording:
    def __init__(self):
        self.calls = []

    @hookimpl
    def callkpi_detractor(self, response, centre):
        self.calls.append((response["surveyid"], centre))


def test_one_failing_plugin_does_not_stop_the_others(caplog):
    pm = CallkpiPluginManager()
    recording = Recording()
    pm.add("failing", lambda: Failing())
    pm.add("recording", lambda: recording)
    fire_detractor(pm, RESPONSE, "amsterdam")
    assert recording.calls == [("sv_0123456789abcdef01234567", "amsterdam")]
    assert "callkpi_detractor of plugin failing failed" in caplog.text


def _manager(*plugins: tuple[str, object]) -> CallkpiPluginManager:
    pm = CallkpiPluginManager()
    for name, plugin in plugins:
        pm.add(name, lambda plugin=plugin: plugin)
    return pm


def test_the_default_plugin_has_work_only_for_a_centre_with_a_webhook(configured_centre):
    pm = _manager(("survey-detractor-webhook", detractors))
    assert detractor_has_work(pm, "amsterdam")
    assert not detractor_has_work(pm, "rotterdam")


def test_another_plugin_always_has_work(configured_centre):
    assert detractor_has_work(_manager(("survey-detractor-webhook", detractors), ("recording", Recording())),
                              "rotterdam")
    assert not detractor_has_work(_manager(), "rotterdam")
