"""The survey gateway end to end, on SQLite and PostgreSQL, through a real ``callkpi serve`` app.

Contacts complete (POST /v1/events with the customers' numbers) → surveys scheduled → the
background dispatcher sends through the official twilio SDK to the fake Twilio → signed status
callbacks → signed replies → ``survey.response_received`` events in the core store →
``callkpi report --kpi nps,csat,ces --by agent``. Twilio reaches the app at the public URL
through a "proxy" (:class:`PublicUrlProxy`) that forwards to the uvicorn server on 127.0.0.1.

The conversations (centre ``default``: NPS 0–10, CSAT 1–5, CES 1–7; Dutch numbers → Dutch).
The survey KPIs withhold a value below 30 answers, so each agent gets fillers besides the
customers whose conversations the test looks at:

==============  =====  ==================================  ==========================
customer        agent  replies                             answers
==============  =====  ==================================  ==========================
A …001          a-1    ۹ (Persian nine), 5, 6              NPS 9, CSAT 5, CES 6
B …002          a-1    banana (re-prompt), 6, 3, 2         NPS 6, CSAT 3, CES 2
28 fillers      a-1    10, 4, 5                            NPS 10, CSAT 4, CES 5
C …003          a-2    10, 4, 7                            NPS 10, CSAT 4, CES 7
D …004          a-2    8, STOP                             NPS 8, then opted out
29 fillers      a-2    7, 3, 4                             NPS 7, CSAT 3, CES 4
E …099          –      STOP (never surveyed)               suppressed only
==============  =====  ==================================  ==========================

Worked by hand — a-1, 30 answers each: NPS promoters 29 (A + fillers), detractors 1 (B)
→ (29 − 1) / 30 × 100 = 93.33; CSAT 4–5: 29 (all but B's 3) → 96.67 %; CES mean
(6 + 2 + 28 × 5) / 30 = 148 / 30 = 4.933.
a-2: NPS 31 answers (C, D, fillers), promoters 1 (C), detractors 0 (8 and 7 are passive)
→ 1 / 31 × 100 = 3.226; CSAT 30 answers, 4–5: 1 (C) → 3.333 %; CES (7 + 29 × 4) / 30 =
123 / 30 = 4.1. Detractor webhooks: B's NPS 6 and CES 2 only (CSAT 3 is not ≤ 2).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Request, Response
from gateway_testing import ALL_DAY, PUBLIC_BASE_URL, SMS_FROM
from typer.testing import CliRunner

from callkpi.api.main import create_app
from callkpi.cli import app as callkpi_cli
from callkpi.settings import Settings
from callkpi.store.apikeys import create_api_key
from callkpi.testing import TEST_HMAC_KEY, contact_timeline, event_factory
from callkpi_survey_gateway import detractors, policy
from callkpi_survey_gateway.config import QuietHours, SurveyConfig
from callkpi_survey_gateway.messages import render
from callkpi_survey_gateway.tables import sg_event_outbox, sg_message, sg_suppression, sg_survey
from live_server import live_server

A, B, C, D, E = "+31612345001", "+31612345002", "+31612345003", "+31612345004", "+31612345099"
# (contact, agent, number, replies in order)
CUSTOMERS = [
    ("c-A", "a-1", A, ["۹", "5", "6"]),
    ("c-B", "a-1", B, ["banana", "6", "3", "2"]),
    *[(f"c-1-{i}", "a-1", f"+316123461{i:02d}", ["10", "4", "5"]) for i in range(28)],
    ("c-C", "a-2", C, ["10", "4", "7"]),
    ("c-D", "a-2", D, ["8", "STOP"]),
    *[(f"c-2-{i}", "a-2", f"+316123462{i:02d}", ["7", "3", "4"]) for i in range(29)],
]
INBOUND = PUBLIC_BASE_URL + "/twilio/sms/inbound"
SECRET = "detractor-webhook-secret-0123"
WAIT_S = 30.0


@pytest.fixture
def survey_config() -> SurveyConfig:
    return SurveyConfig(brand="Acme", instruments=["nps", "csat", "ces"], sms_from=SMS_FROM, languages=["en", "nl"],
                        quiet_hours=QuietHours(weekdays=ALL_DAY, saturday=ALL_DAY, sunday=ALL_DAY))


class PublicUrlProxy(httpx.BaseTransport):
    """Forwards requests for the public base URL to the app on 127.0.0.1, as a TLS-terminating
    proxy would: Twilio signs the public URL, the app sees another."""

    def __init__(self, backend: str):
        self.backend = httpx.URL(backend)
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme=self.backend.scheme, host=self.backend.host,
                                            port=self.backend.port)
        request.headers["host"] = f"{self.backend.host}:{self.backend.port}"
        return self.inner.handle_request(request)


class DetractorInbox:
    """The centre's detractor webhook: keeps each signed JSON body it receives."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.app = FastAPI()
        self.app.post("/detractor")(self.receive)

    async def receive(self, request: Request) -> Response:
        body = await request.body()
        signed = detractors.verify_signature(SECRET, body, request.headers["x-callkpi-timestamp"],
                                             request.headers["x-callkpi-signature"], now=time.time())
        if not signed:
            return Response(status_code=401)
        self.bodies.append(json.loads(body))
        return Response(status_code=204)


def wait_until(condition: Callable[[], Any], what: str) -> Any:
    """Poll ``condition`` until it is truthy (the background dispatcher works at its own pace)."""
    deadline = time.monotonic() + WAIT_S
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {WAIT_S:g} s for {what}")
        time.sleep(0.02)
    return result


class Phones:
    """Customers' phones: Twilio's signed inbound webhooks for their texts, via the proxy."""

    def __init__(self, proxy: httpx.Client, signer, fake):
        self.proxy, self.signer, self.fake, self.count = proxy, signer, fake, 0
        self.history: list[dict[str, str]] = []

    def form(self, number: str, body: str) -> dict[str, str]:
        self.count += 1
        return {"MessageSid": f"SM{self.count:032d}", "AccountSid": self.fake.account_sid, "From": number,
                "To": SMS_FROM, "Body": body, "NumSegments": "1", "ApiVersion": "2010-04-01"}

    def post(self, form: dict[str, str], headers: dict[str, str] | None = None) -> httpx.Response:
        if headers is None:
            headers = self.signer.headers(INBOUND, form)
            self.history.append(form)
        return self.proxy.post(INBOUND, data=form, headers=headers)

    def text(self, number: str, body: str) -> str | None:
        """Text ``body`` from ``number``; the reply the webhook's TwiML carries, if any."""
        response = self.post(self.form(number, body))
        assert response.status_code == 200, response.text
        message = ElementTree.fromstring(response.content).find("Message")
        return None if message is None else message.text


@pytest.fixture
def served(gateway_store, gateway_settings, gateway_pm, fake_twilio) -> Iterator[tuple[str, httpx.Client]]:
    app = create_app(Settings(database_url=gateway_store.url, hmac_key=TEST_HMAC_KEY.hex()))
    app.state.callkpi.pm.add("survey-detractor-webhook", lambda: detractors)  # the default close-the-loop plugin
    with live_server(app) as base_url, httpx.Client(transport=PublicUrlProxy(base_url)) as proxy:
        yield base_url, proxy
    app.state.callkpi.store.dispose()


def _complete_contacts(base_url: str, store) -> None:
    with store.transaction() as connection:
        key, _ = create_api_key(connection, "ingest", "default")
    offered = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)  # ended > 5 min ago: due now
    make = event_factory("pbx")
    events = [event for contactid, agent, number, _ in CUSTOMERS
              for event in contact_timeline(make, contactid, offered, agentid=agent, customer=number)]
    response = httpx.post(f"{base_url}/v1/events", json=events, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text


def _outbox_drained(store) -> bool:
    with store.reading() as connection:
        waiting = connection.execute(sa.select(sa.func.count()).select_from(sg_message)
                                     .where(sg_message.c.status.in_(("pending", "sending")))).scalar()
    return waiting == 0


def _deliver_first_messages(fake, proxy: httpx.Client) -> None:
    for _, _, number, _ in CUSTOMERS:
        [first] = wait_until(lambda n=number: fake.sent_to(n), f"the first SMS to {number}")
        assert first["body"].startswith("Acme") and "STOP" in first["body"]
        for status in ("sent", "delivered"):
            assert fake.post_status(first["sid"], status, client=proxy).status_code == 204


def _converse(phones: Phones, store) -> dict[tuple[str, int], str | None]:
    """Everyone's k-th reply in round k; each round waits for the questions it made to go out."""
    replies: dict[tuple[str, int], str | None] = {}
    for round_ in range(max(len(texts) for *_, texts in CUSTOMERS)):
        for _, _, number, texts in CUSTOMERS:
            if round_ < len(texts):
                replies[number, round_] = phones.text(number, texts[round_])
        wait_until(lambda: _outbox_drained(store), f"the messages of round {round_ + 1} to be sent")
    replies[E, 0] = phones.text(E, "STOP")
    return replies


def _refuse_forgeries_and_ignore_replays(phones: Phones) -> None:
    sent_before = len(phones.fake.messages)
    forged = phones.form(C, "0")
    assert phones.post(forged, headers={}).status_code == 403  # unsigned
    assert phones.post(forged, headers=phones.signer.headers(INBOUND, {**forged, "Body": "10"})).status_code == 403
    replayed = phones.post(phones.history[0])  # A's "۹" again, same MessageSid and signature
    assert (replayed.status_code, replayed.text) == (200, '<?xml version="1.0" encoding="UTF-8"?><Response/>')
    assert len(phones.fake.messages) == sent_before  # nothing re-asked, nothing sent


def _report(store) -> dict[tuple[str, str], Any]:
    today = datetime.now(UTC).date()
    result = CliRunner().invoke(callkpi_cli, [
        "report", "--kpi", "nps,csat,ces", "--by", "agent", "--format", "json",
        "--from", str(today - timedelta(days=1)), "--to", str(today + timedelta(days=1)), "--database", store.url])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["rows"]
    return {(row["dimensions"]["agent"], key): (value["value"], value["n"])
            for row in rows for key, value in row["values"].items()}


def _unflushed(store) -> int:
    with store.reading() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(sg_event_outbox)
                                  .where(sg_event_outbox.c.flushed_at.is_(None))).scalar()


def test_contact_to_report(served, gateway_store, gateway_settings, survey_config, fake_twilio, twilio_signer):
    base_url, proxy = served
    inbox = DetractorInbox()
    with live_server(inbox.app) as inbox_url:
        policy.use_configs({"default": survey_config.model_copy(update={
            "detractor_webhook_url": f"{inbox_url}/detractor", "detractor_webhook_secret": SECRET})})
        _complete_contacts(base_url, gateway_store)
        _deliver_first_messages(fake_twilio, proxy)
        phones = Phones(proxy, twilio_signer, fake_twilio)
        replies = _converse(phones, gateway_store)
        _refuse_forgeries_and_ignore_replays(phones)
        wait_until(lambda: len(inbox.bodies) >= 2, "two detractor webhooks")
    thanks, opted_out = render("thanks", "nl", brand="Acme"), render("opted_out", "nl", brand="Acme")
    # Replies that end a conversation come back as TwiML; the others were sent as SMS.
    assert [replies[A, k] for k in range(3)] == [None, None, thanks]
    assert [replies[B, k] for k in range(4)] == [None, None, None, thanks]
    assert [replies[D, k] for k in range(2)] == [None, opted_out]
    assert replies[E, 0] == render("opted_out", "nl", brand="Acme")  # no survey: the language of the number (NL)
    assert [m["body"] for m in fake_twilio.sent_to(A)][1:] == [render("question.csat", "nl"),
                                                             render("question.ces", "nl")]
    assert [m["body"] for m in fake_twilio.sent_to(B)][1:3] == [render("reprompt.nps", "nl"),
                                                              render("question.csat", "nl")]
    assert sorted((b["response"]["contactid"], b["response"]["instrument"], b["response"]["score"])
                  for b in inbox.bodies) == [("c-B", "ces", 2.0), ("c-B", "nps", 6.0)]
    with gateway_store.reading() as connection:
        statuses = dict(connection.execute(sa.select(sg_survey.c.contactid, sg_survey.c.status)).all())
        numbers_left = connection.execute(sa.select(sg_survey.c.number_enc).where(
            sg_survey.c.number_enc.is_not(None))).all()
        suppressed = connection.execute(sa.select(sa.func.count()).select_from(sg_suppression)).scalar()
    assert statuses == {contactid: "opted_out" if contactid == "c-D" else "completed" for contactid, *_ in CUSTOMERS}
    assert numbers_left == [] and suppressed == 2  # every number wiped; D and E opted out for good
    wait_until(lambda: _unflushed(gateway_store) == 0, "every survey event to reach ingest")
    assert _report(gateway_store) == {
        ("a-1", "nps"): (pytest.approx(28 / 30 * 100), 30), ("a-1", "csat"): (pytest.approx(29 / 30 * 100), 30),
        ("a-1", "ces"): (pytest.approx(148 / 30), 30),
        ("a-2", "nps"): (pytest.approx(1 / 31 * 100), 31), ("a-2", "csat"): (pytest.approx(1 / 30 * 100), 30),
        ("a-2", "ces"): (pytest.approx(123 / 30), 30),
    }
