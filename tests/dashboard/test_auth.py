"""Signing in to the dashboard with an API key, on SQLite and PostgreSQL: the session
cookie, the redirects, refused keys, revocation and which centres a key may see."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from dashboard_seed import CENTRE

from callkpi.dashboard.auth import SESSION_COOKIE, safe_next
from callkpi.store.apikeys import PREFIX_LENGTH, revoke_api_key

TUESDAY_VIEW = f"/?centre={CENTRE}&from=2026-11-03&to=2026-11-03"


def sign_in(client: httpx.Client, key: str, next_url: str = "/") -> httpx.Response:
    return client.post("/login", data={"key": key, "next": next_url})


def test_pages_redirect_to_login_keeping_where_the_user_was_going(client):
    response = client.get(TUESDAY_VIEW)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=" + quote(TUESDAY_VIEW, safe="/")
    login = client.get(response.headers["location"])
    assert f'name="next" value="{TUESDAY_VIEW.replace("&", "&amp;")}"' in login.text


def test_a_read_key_signs_in_with_an_httponly_lax_cookie_holding_no_key(client, keys):
    response = sign_in(client, keys.read, TUESDAY_VIEW)
    assert (response.status_code, response.headers["location"]) == (303, TUESDAY_VIEW)
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(SESSION_COOKIE) and "httponly" in cookie and "samesite=lax" in cookie
    assert keys.read[PREFIX_LENGTH:].lower() not in cookie  # only the prefix is in the session
    page = client.get(TUESDAY_VIEW)
    assert page.status_code == 200
    assert 'data-kpi="service_level"' in page.text


@pytest.mark.parametrize(
    ("which", "reason"),
    [
        ("ingest", "has scope 'ingest'; expected 'read' or 'admin'"),
        ("unknown", "API key unknown; expected a key made with `callkpi apikey create`"),
        ("empty", "API key is empty"),
    ],
)
def test_keys_that_cannot_view_are_refused_with_the_reason(client, keys, which, reason):
    key = {"ingest": keys.ingest, "unknown": "ck_not-a-key", "empty": "  "}[which]
    response = sign_in(client, key)
    assert response.status_code == 401
    assert reason.replace("'", "&#39;") in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


def test_revoking_a_key_ends_its_sessions(client, keys, store):
    sign_in(client, keys.read)
    assert client.get(TUESDAY_VIEW).status_code == 200
    with store.transaction() as connection:
        revoke_api_key(connection, keys.read[:PREFIX_LENGTH])
    assert client.get(TUESDAY_VIEW).status_code == 303
    refused = sign_in(client, keys.read)
    assert refused.status_code == 401 and "was revoked" in refused.text


def test_sign_out_ends_the_session(client, keys):
    sign_in(client, keys.read)
    response = client.post("/logout")
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert client.get("/").status_code == 303


def test_a_read_key_sees_only_its_own_centre(client, keys):
    sign_in(client, keys.other_read)
    response = client.get(TUESDAY_VIEW)
    assert response.status_code == 403
    assert "centre = &#39;rotterdam&#39;: API key" in response.text
    assert "may see only centre &#39;utrecht&#39;" in response.text
    own = client.get("/")
    assert own.status_code == 200 and '<option value="utrecht" selected>' in own.text
    assert '<option value="rotterdam"' not in own.text


def test_an_admin_key_picks_any_centre(client, keys):
    sign_in(client, keys.admin)
    response = client.get("/?centre=utrecht&from=2026-11-03")
    assert response.status_code == 200
    assert '<option value="rotterdam"' in response.text and '<option value="utrecht" selected>' in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-01", "from = &#39;2026-13-01&#39;: not a date; expected YYYY-MM-DD"),
        ("from=2026-11-04&to=2026-11-03", "to = &#39;2026-11-03&#39;: before from = &#39;2026-11-04&#39;"),
        ("centre=nowhere", "centre = &#39;nowhere&#39;: no such centre; expected one of default, rotterdam, utrecht"),
    ],
)
def test_bad_views_say_which_field_is_wrong(client, keys, query, message):
    sign_in(client, keys.admin)
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    assert message in response.text


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/surveys?from=2026-11-03", "/surveys?from=2026-11-03"), ("//evil.example/", "/"),
     ("https://evil.example/", "/"), ("/\\evil.example", "/"), ("", "/")],
)
def test_after_login_only_paths_on_this_site(target, expected):
    assert safe_next(target) == expected
