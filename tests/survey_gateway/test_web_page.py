"""What the web survey page says and how it is built, read from its HTML: every question in the
survey's language and direction, a label for every control, nothing loaded from elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from test_web_tokens import gateway_app, gateway_settings, open_survey  # noqa: F401 (a fixture)

from callkpi.store.db import Store
from callkpi_survey_gateway.messages import web_strings
from callkpi_survey_gateway.web import WebAnswer, read_form

ALL_INSTRUMENTS = ["nps", "csat", "ces", "resolved", "comment"]


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of each ``<label for=…>``."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.label_text: dict[str, str] = {}
        self._label: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        if tag == "label":
            self._label = dict(attrs).get("for") or ""
            self.label_text[self._label] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label = None

    def handle_data(self, data: str) -> None:
        if self._label is not None:
            self.label_text[self._label] += data

    def all(self, tag: str, **where: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag and where.items() <= attrs.items()]

    def one(self, tag: str, **where: str) -> dict[str, str]:
        [attrs] = self.all(tag, **where)
        return attrs


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory) -> Iterator[Store]:
    """One store for the module: each test reads pages of surveys of its own."""
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('web-page') / 'callkpi.db'}")
    yield store
    store.dispose()


@pytest.fixture(scope="module")
def client(sqlite_store, gateway_settings) -> Iterator[TestClient]:  # noqa: F811
    app = gateway_app(sqlite_store)
    yield TestClient(app, base_url="http://gateway.test")  # sync: see test_web_tokens.client
    app.state.callkpi.store.dispose()


def page_of(client: TestClient, store: Store, **survey: Any) -> tuple[httpx.Response, Elements]:
    _, token = open_survey(store, instruments=ALL_INSTRUMENTS, **survey)
    response = client.get(f"/s/{token}")
    return response, Elements(response.text)


def radio_values(page: Elements, name: str) -> list[str]:
    return [attrs["value"] for attrs in page.all("input", type="radio", name=name)]


def test_the_page_asks_every_question_of_the_survey(client, sqlite_store):
    response, page = page_of(client, sqlite_store)
    assert response.status_code == 200
    assert radio_values(page, "nps") == [str(n) for n in range(11)]
    assert radio_values(page, "csat") == ["1", "2", "3", "4", "5"]
    assert radio_values(page, "ces") == ["1", "2", "3", "4", "5", "6", "7"]
    assert radio_values(page, "resolved") == ["1", "0"]  # yes, no
    assert page.one("textarea", name="comment")["maxlength"] == "2000"
    assert [attrs["id"] for attrs in page.all("fieldset")] == ["q-nps", "q-csat", "q-ces", "q-resolved"]
    assert len(page.all("legend")) == 4
    strings = web_strings("en")
    for text in (strings["nps"], strings["nps_low"], strings["ces_high"], strings["comment"], strings["submit"]):
        assert text in response.text


def test_every_control_has_a_label(client, sqlite_store):
    _, page = page_of(client, sqlite_store)
    controls = page.all("input") + page.all("textarea")
    assert len(controls) == 11 + 5 + 7 + 2 + 1
    for control in controls:
        assert page.label_text[control["id"]].strip(), f"no label text for {control['id']}"
    assert page.label_text["resolved-1"] == "Yes" and page.label_text["nps-10"] == "10"


def test_the_page_is_built_for_phones_and_loads_nothing_from_elsewhere(client, sqlite_store):
    response, page = page_of(client, sqlite_store)
    assert page.one("meta", name="viewport")["content"] == "width=device-width, initial-scale=1"
    assert page.all("script") == [] and page.all("img") == []
    [stylesheet] = page.all("link")
    assert stylesheet == {"rel": "stylesheet", "href": "static/survey.css"}  # relative: served by the gateway
    assert "http" not in response.text  # no absolute URL anywhere
    css = client.get("/s/static/survey.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    for remote in ("url(", "@import", "@font-face"):
        assert remote not in css.text


@pytest.mark.parametrize(("language", "direction"), [("en", "ltr"), ("nl", "ltr"), ("pl", "ltr"),
                                                     ("fa", "rtl"), ("yi", "rtl"), ("zh", "ltr")])
def test_the_page_speaks_the_surveys_language(client, sqlite_store, language, direction):
    response, page = page_of(client, sqlite_store, language=language)
    assert page.one("html") == {"lang": language, "dir": direction}
    strings = web_strings(language)
    assert f"<title>{strings['title']}</title>" in response.text
    assert strings["csat_high"] in response.text and strings["submit"] in response.text


def test_persian_numbers_are_written_in_persian_digits(client, sqlite_store):
    _, page = page_of(client, sqlite_store, language="fa")
    assert [page.label_text[f"nps-{n}"] for n in (0, 7, 10)] == ["۰", "۷", "۱۰"]
    assert radio_values(page, "nps")[10] == "10"  # what is posted stays ASCII


def test_a_rejected_form_keeps_what_the_customer_chose(client, sqlite_store):
    _, token = open_survey(sqlite_store, instruments=ALL_INSTRUMENTS)
    form = {"nps": "8", "csat": "9", "ces": "6", "resolved": "1", "comment": "Long wait <b>"}
    response = client.post(f"/s/{token}", data=form)
    page = Elements(response.text)
    assert response.status_code == 422
    checked = [(attrs["name"], attrs["value"]) for attrs in page.all("input") if "checked" in attrs]
    assert checked == [("nps", "8"), ("ces", "6"), ("resolved", "1")]  # csat 9 is off its 1..5 scale
    assert "Long wait &lt;b&gt;</textarea>" in response.text  # kept, and escaped
    assert page.one("fieldset", id="q-csat")["class"] == "question invalid"
    assert web_strings("en")["required"] in response.text


@pytest.mark.parametrize(("accept_language", "language"), [("nl-BE,nl;q=0.9,en;q=0.5", "nl"),
                                                           ("de-DE, fa;q=0.5", "fa"), ("de", "en"), ("", "en")])
def test_an_unknown_link_answers_in_the_browsers_language(client, accept_language, language):
    response = client.get("/s/AAAAAAAAAAAAAAAAAAAAAA", headers={"Accept-Language": accept_language})
    assert response.status_code == 404
    assert Elements(response.text).one("html")["lang"] == language
    assert web_strings(language)["closed"] in response.text


def test_a_used_link_thanks_the_customer_in_their_language(client, sqlite_store):
    _, token = open_survey(sqlite_store, language="yi")
    client.post(f"/s/{token}", data={"nps": "10", "csat": "5"})
    response = client.get(f"/s/{token}")
    assert response.status_code == 410
    assert web_strings("yi")["thanks"] in response.text


def test_a_comment_over_the_limit_says_so(client, sqlite_store):
    _, token = open_survey(sqlite_store, language="fa", instruments=["nps", "comment"])
    response = client.post(f"/s/{token}", data={"nps": "9", "comment": "x" * 2001})
    assert response.status_code == 422
    assert f"{web_strings('fa')['comment']} (≤ ۲۰۰۰)" in response.text


def test_the_form_is_read_into_answers_and_errors_that_say_what_was_expected():
    form = {"nps": " 10 ", "csat": "6", "ces": "", "resolved": "0", "comment": "  Line one\r\nline two  "}
    answers, errors = read_form(ALL_INSTRUMENTS, form)
    assert answers == [WebAnswer("nps", score=10.0), WebAnswer("resolved", score=0.0),
                       WebAnswer("comment", text="Line one\nline two")]
    assert [str(error) for error in errors] == [
        "csat = '6': expected a whole number from 1 to 5",
        "ces = '': expected a whole number from 1 to 7",
    ]


def test_a_comment_may_be_empty_but_not_too_long():
    # "a" + CRLF 1000 times: 3000 characters on the wire, 2000 by the browser's maxlength count and ours.
    assert read_form(["comment"], {"comment": "a\r\n" * 1000}) == ([WebAnswer("comment", text=("a\n" * 1000).strip())],
                                                                   [])
    assert read_form(["comment"], {"comment": "   "}) == ([], [])
    [error] = read_form(["comment"], {"comment": "é" * 2001})[1]
    assert str(error) == "comment = '2001 characters': expected at most 2000 characters"
