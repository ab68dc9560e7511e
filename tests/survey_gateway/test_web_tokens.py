"""Web survey links on SQLite and PostgreSQL, through HTTP against the app: the token is stored
only as its hash, expires, works once, and opening the page (GET) changes nothing."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from survey_factory import insert_survey, queued_events, survey_row

from callkpi import hookimpl
from callkpi.api.main import create_app
from callkpi.settings import Settings
from callkpi.store.db import Store
from callkpi.store.tables import StoredEvent
from callkpi.testing import TEST_HMAC_KEY
from callkpi_survey_gateway.config import GatewaySettings
from callkpi_survey_gateway.gateway_store import migrate_gateway
from callkpi_survey_gateway.policy import use_configs
from callkpi_survey_gateway.runtime import use_gateway_settings
from callkpi_survey_gateway.tables import metadata, sg_answer, sg_web_token
from callkpi_survey_gateway.web import consume_token, issue_token, web_invite_url

PUBLIC_BASE_URL = "https://survey.example.test/gateway"


@pytest.fixture(scope="module")
def gateway_settings() -> Iterator[GatewaySettings]:
    """Gateway settings with no centre configured (default detractor thresholds), events in-process."""
    settings = GatewaySettings(public_base_url=PUBLIC_BASE_URL)
    use_gateway_settings(settings)
    use_configs({})
    yield settings
    use_configs(None)
    use_gateway_settings(None)


def gateway_app(store: Store) -> Any:
    """The callkpi app (its plugins load the gateway and its routes) on ``store``."""
    migrate_gateway(store)
    return create_app(Settings(database_url=store.url, hmac_key=TEST_HMAC_KEY.hex()))


@pytest.fixture
def app(store, gateway_settings) -> Iterator[Any]:
    app = gateway_app(store)
    yield app
    app.state.callkpi.store.dispose()


@pytest.fixture
def client(app) -> TestClient:
    """HTTP to the app through httpx. Synchronous on purpose: Playwright's sync API, once a
    browser test ran, holds the main thread's event loop, so async tests after it could not run."""
    return TestClient(app, base_url="http://gateway.test")


def open_survey(store: Store, expires_in: timedelta = timedelta(hours=24), **overrides: Any) -> tuple[dict, str]:
    """An active web survey of NPS, CSAT and a comment (a new contact each time), and a link token for it."""
    now = datetime.now(UTC)  # the pages judge expiry by the wall clock
    unique = secrets.token_hex(12)
    values = {"id": f"sv_{unique}", "contactid": f"c-{unique}", "channel": "web",
              "instruments": ["nps", "csat", "comment"], "created_at": now - timedelta(minutes=5),
              "due_at": now - timedelta(minutes=5), "expires_at": now + expires_in} | overrides
    with store.transaction() as connection:
        survey = insert_survey(connection, **values)
        token = issue_token(connection, survey["id"], survey["expires_at"])
    return survey, token


def snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every row of every gateway table, to compare before and after a request."""
    with store.reading() as connection:
        return {name: sorted(map(tuple, connection.execute(sa.select(table))), key=repr)
                for name, table in metadata.tables.items()}


def token_rows(store: Store) -> list[dict[str, Any]]:
    with store.reading() as connection:
        return [dict(row) for row in connection.execute(sa.select(sg_web_token)).mappings()]


def answers(store: Store) -> list[tuple[str, float | None, str | None, str]]:
    query = sa.select(sg_answer.c.instrument, sg_answer.c.score, sg_answer.c.text, sg_answer.c.via)
    with store.reading() as connection:
        return sorted(tuple(row) for row in connection.execute(query))


def test_only_the_tokens_hash_is_stored(store):
    migrate_gateway(store)
    survey, token = open_survey(store)
    [row] = token_rows(store)
    # token_urlsafe(16): 16 random bytes → 22 base64url characters, no padding.
    assert len(token) == 22 and set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(snapshot(store), default=str)
    assert (row["survey_id"], row["expires_at"], row["used_at"]) == (survey["id"], survey["expires_at"], None)


def test_every_token_is_new(store):
    migrate_gateway(store)
    survey, _ = open_survey(store)
    with store.transaction() as connection:
        tokens = {issue_token(connection, survey["id"], survey["expires_at"]) for _ in range(50)}
    assert len(tokens) == 50
    assert len(token_rows(store)) == 51


def test_the_invite_url_is_the_public_base_url_and_a_working_token(store, gateway_settings):
    migrate_gateway(store)
    survey, _ = open_survey(store)
    with store.transaction() as connection:
        url = web_invite_url(connection, gateway_settings, survey)
    token = url.removeprefix(PUBLIC_BASE_URL + "/s/")
    assert url.startswith("https://survey.example.test/gateway/s/") and len(token) == 22
    stored = {row["token_hash"]: row for row in token_rows(store)}
    assert stored[hashlib.sha256(token.encode()).hexdigest()]["expires_at"] == survey["expires_at"]


def test_opening_the_page_changes_nothing(store, client):
    _, token = open_survey(store)
    before = snapshot(store)
    first = client.get(f"/s/{token}")
    second = client.get(f"/s/{token}")  # a link scanner first, then the customer
    assert (first.status_code, second.status_code) == (200, 200)
    assert snapshot(store) == before
    assert token_rows(store)[0]["used_at"] is None


def test_posting_consumes_the_token_and_records_every_answer(store, client):
    survey, token = open_survey(store)
    response = client.post(f"/s/{token}", data={"nps": "9", "csat": "4", "comment": "  Quick and kind.  "})
    assert response.status_code == 200
    assert "Thank you" in response.text
    assert answers(store) == [("comment", None, "Quick and kind.", "web"), ("csat", 4.0, None, "web"),
                              ("nps", 9.0, None, "web")]
    assert token_rows(store)[0]["used_at"] is not None
    with store.reading() as connection:
        after = survey_row(connection, survey["id"])
    assert (after["status"], after["step"], after["number_enc"]) == ("completed", 3, None)


def test_a_second_post_is_refused_and_records_nothing(store, client):
    _, token = open_survey(store)
    client.post(f"/s/{token}", data={"nps": "9", "csat": "4"})
    recorded, before = answers(store), snapshot(store)
    again = client.post(f"/s/{token}", data={"nps": "2", "csat": "1"})
    reopened = client.get(f"/s/{token}")
    assert (again.status_code, reopened.status_code) == (409, 410)
    assert answers(store) == recorded == [("comment", None, None, "web"), ("csat", 4.0, None, "web"),
                                          ("nps", 9.0, None, "web")]
    assert snapshot(store) == before


def test_concurrent_posts_count_once(store, client):
    _, token = open_survey(store)
    forms = [{"nps": str(score), "csat": "3"} for score in (1, 5, 8, 10)]
    with ThreadPoolExecutor(len(forms)) as pool:  # the app runs each request on its own thread
        responses = list(pool.map(lambda form: client.post(f"/s/{token}", data=form), forms))
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    nps = [score for instrument, score, _, _ in answers(store) if instrument == "nps"]
    winner = forms[[r.status_code for r in responses].index(200)]
    assert nps == [float(winner["nps"])]
    with store.reading() as connection:
        assert [e["data"]["instrument"] for e in queued_events(connection)
                if e["type"] == "survey.response_received"] == ["nps", "csat"]


def test_a_survey_half_answered_by_sms_asks_only_the_rest(store, client):
    survey, token = open_survey(store, channel="both", step=1)
    with store.transaction() as connection:
        connection.execute(sa.insert(sg_answer).values(survey_id=survey["id"], instrument="nps", score=7.0,
                                                       answered_at=survey["created_at"], via="sms"))
    page = client.get(f"/s/{token}")
    assert 'name="nps"' not in page.text and 'name="csat"' in page.text
    response = client.post(f"/s/{token}", data={"csat": "5"})  # NPS is not asked again
    assert response.status_code == 200
    assert answers(store) == [("comment", None, None, "web"), ("csat", 5.0, None, "web"), ("nps", 7.0, None, "sms")]


class DetractorRecorder:
    """A ``callkpi_detractor`` plugin that keeps what it was told."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, Any], str]] = []

    @hookimpl
    def callkpi_detractor(self, response: dict[str, Any], centre: str) -> None:
        self.calls.append((response, centre))


def test_a_detractor_is_reported_with_the_comment_and_events_reach_ingest(store, app, client):
    recorder = DetractorRecorder()
    app.state.callkpi.pm.register(recorder, name="detractor-recorder")
    survey, token = open_survey(store)
    form = {"nps": "3", "csat": "4", "comment": "Waited 40 minutes."}  # NPS 3 ≤ 6: a detractor; CSAT 4 > 2: not
    assert (client.post(f"/s/{token}", data=form)).status_code == 200
    [(response, centre)] = recorder.calls
    assert centre == "default"
    assert {key: response[key] for key in ("surveyid", "contactid", "agentid", "instrument", "score", "comment")} == {
        "surveyid": survey["id"], "contactid": survey["contactid"], "agentid": "a-1", "instrument": "nps", "score": 3.0,
        "comment": "Waited 40 minutes."}
    with store.reading() as connection:
        stored = connection.execute(sa.select(StoredEvent.id).where(StoredEvent.type == "survey.response_received"))
        assert sorted(stored.scalars()) == [f"{survey['id']}:response:{name}" for name in ("comment", "csat", "nps")]


def test_an_expired_link_is_gone(store, client):
    _, token = open_survey(store, expires_in=timedelta(minutes=-1))
    before = snapshot(store)
    page = client.get(f"/s/{token}")
    post = client.post(f"/s/{token}", data={"nps": "9", "csat": "4"})
    assert (page.status_code, post.status_code) == (410, 410)
    assert "closed" in page.text
    assert snapshot(store) == before


def test_a_token_past_its_own_expiry_cannot_be_consumed(store):
    migrate_gateway(store)
    survey, token = open_survey(store)
    with store.transaction() as connection:
        late = consume_token(connection, token, survey["expires_at"] + timedelta(seconds=1))
        in_time = consume_token(connection, token, survey["expires_at"] - timedelta(seconds=1))
        again = consume_token(connection, token, survey["expires_at"] - timedelta(seconds=1))
    assert (late, in_time, again) == (False, True, False)


def test_a_survey_closed_by_sms_closes_its_link(store, client):
    _, token = open_survey(store, status="completed", channel="both")
    page = client.get(f"/s/{token}")
    post = client.post(f"/s/{token}", data={"nps": "9", "csat": "4"})
    assert (page.status_code, post.status_code) == (410, 410)
    assert answers(store) == []


@pytest.mark.parametrize("token", ["AAAAAAAAAAAAAAAAAAAAAA", "not a token!", "x"])
def test_an_unknown_link_is_not_found(store, client, token):
    open_survey(store)
    page = client.get(f"/s/{token}")
    post = client.post(f"/s/{token}", data={"nps": "9"})
    assert (page.status_code, post.status_code) == (404, 404)
    assert page.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"nps": "11", "csat": "4"}, "nps"),  # NPS runs 0..10
        ({"nps": "9", "csat": "0"}, "csat"),  # CSAT runs 1..5
        ({"nps": "9.5", "csat": "4"}, "nps"),  # whole points only
        ({"csat": "4"}, "nps"),  # every scale question is required
        ({"nps": "9", "csat": "4", "comment": "x" * 2001}, "comment"),  # 2000 characters at most
    ],
)
def test_a_bad_answer_shows_the_form_again_and_keeps_the_link(store, client, form, field):
    _, token = open_survey(store)
    before = snapshot(store)
    response = client.post(f"/s/{token}", data=form)
    assert response.status_code == 422
    assert f'href="#q-{field}"' in response.text  # the error links to the question to fix
    assert snapshot(store) == before
    assert client.post(f"/s/{token}", data={"nps": "9", "csat": "4"}).status_code == 200


def test_pages_forbid_caching_referrers_and_framing(store, client):
    _, token = open_survey(store)
    for response in (client.get(f"/s/{token}"), client.get("/s/AAAAAAAAAAAAAAAAAAAAAA")):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
