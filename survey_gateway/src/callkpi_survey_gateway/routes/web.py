"""``GET`` and ``POST /s/{token}``: the web survey page a customer opens from their SMS link.

GET only reads (link scanners fetch it first); POST validates the form, consumes the token
and records every answer in one transaction, then fires detractors and flushes events
after commit. Pages are plain HTML forms (no script needed), in the survey's language
and direction, and every response forbids caching, referrers and framing: the URL is
the secret.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.resources import files
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ..answers import record_answer
from ..config import GatewaySettings
from ..detractors import fire_detractor
from ..events_out import FlushError, flush_events
from ..messages import languages, web_strings
from ..runtime import gateway_settings
from ..web import (
    COMMENT_MAX_CHARS,
    SCALES,
    FieldError,
    WebAnswer,
    WebLink,
    consume_token,
    find_link,
    open_questions,
    read_form,
)
from .schema_ready import gateway_tables_ready

# HTML pages for people, not API operations: kept out of the OpenAPI document.
router = APIRouter(tags=["survey web page"], include_in_schema=False, dependencies=[Depends(gateway_tables_ready)])
log = logging.getLogger(__name__)
Detractor = tuple[dict[str, Any], str]  # a callkpi_detractor response and its centre

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")  # token_urlsafe(16) is 22 characters
STYLESHEET = (files("callkpi_survey_gateway") / "static" / "survey.css").read_bytes()
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
}
# Status of a page that is not the form, by the link's state (GET) and on POST.
GET_STATUS = {"unknown": 404, "expired": 410, "closed": 410, "used": 410}
POST_STATUS = {"unknown": 404, "expired": 410, "closed": 410, "used": 409}
# Persian is written with its own digits; the radio values stay ASCII.
NATIVE_DIGITS = {"fa": str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")}

templates = Environment(
    loader=PackageLoader("callkpi_survey_gateway", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a missing string fails loudly in tests, not as a blank on a phone
    trim_blocks=True,
    lstrip_blocks=True,
)


@router.get("/s/static/survey.css")
async def stylesheet() -> Response:
    """The page's only stylesheet, served by the gateway itself (no CDN, no web fonts)."""
    return Response(STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/s/{token}", response_class=HTMLResponse)
async def survey_page(token: str, request: Request) -> HTMLResponse:
    """The survey's questions, or a polite page saying why there are none (404/410)."""
    link = await run_in_threadpool(_look_up, request, token)
    if link.state != "open":
        return _notice(request, link, GET_STATUS[link.state])
    return _form(link.survey, {}, [], 200)


@router.post("/s/{token}", response_class=HTMLResponse)
async def submit_survey(
    token: str,
    request: Request,
    background: BackgroundTasks,
    settings: Annotated[GatewaySettings, Depends(gateway_settings)],
) -> HTMLResponse:
    """Record the answers once: 200 thanks, 422 the form again with what to fix, 409 when
    the link was already used, 404/410 when it leads nowhere."""
    form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    submission = await run_in_threadpool(_submit, request, token, form, datetime.now(UTC))
    if submission.errors:
        log.info("survey %s: form refused: %s", submission.link.survey["id"], "; ".join(map(str, submission.errors)))
        return _form(submission.link.survey, form, submission.errors, 422)
    if submission.link.state != "open":
        return _notice(request, submission.link, POST_STATUS[submission.link.state])
    background.add_task(_after_commit, request.app.state.callkpi, settings, submission.detractors)
    return _notice(request, submission.link, 200, thanks=True)


def _look_up(request: Request, token: str) -> WebLink:
    if not TOKEN_SHAPE.match(token):
        return WebLink("unknown")  # not one of ours: no need to ask the database
    with request.app.state.callkpi.store.reading() as connection:
        return find_link(connection, token, datetime.now(UTC))


@dataclass(frozen=True)
class Submission:
    """What a POST did: the link as found, the form's errors, detractor answers to fire."""

    link: WebLink
    errors: list[FieldError] = field(default_factory=list)
    detractors: list[Detractor] = field(default_factory=list)


def _submit(request: Request, token: str, form: Mapping[str, str], now: datetime) -> Submission:
    if not TOKEN_SHAPE.match(token):
        return Submission(WebLink("unknown"))
    with request.app.state.callkpi.store.transaction() as connection:
        link = find_link(connection, token, now)
        if link.state != "open":
            return Submission(link)
        answers, errors = read_form(open_questions(link.survey), form)
        if errors:
            return Submission(link, errors)
        if not consume_token(connection, token, now):  # another POST won the race
            return Submission(WebLink("used", link.survey))
        return Submission(link, detractors=_record(connection, link.survey, answers, now))


def _record(connection: Any, survey: dict[str, Any], answers: list[WebAnswer], now: datetime) -> list[Detractor]:
    """Record every open question's answer in the survey's order; a skipped comment is recorded
    as empty so the survey completes (no event is queued for it)."""
    given = {answer.instrument: answer for answer in answers}
    comment = given["comment"].text if "comment" in given else None
    detractors = []
    for instrument in open_questions(survey):
        answer = given.get(instrument, WebAnswer(instrument))
        outcome = record_answer(connection, survey, instrument, answer.score, answer.text, "web", now)
        if outcome.detractor is not None:
            # The web form brings the comment with the scores, so the follow-up can read it.
            detractors.append(({**outcome.detractor, "comment": comment}, survey["centre"]))
    return detractors


def _after_commit(state: Any, settings: GatewaySettings, detractors: list[Detractor]) -> None:
    """After the response: tell the detractor plugins, then hand the queued events to ingest
    (a failed flush leaves them queued for the dispatcher's next one)."""
    for response, centre in detractors:
        fire_detractor(state.pm, response, centre)
    try:
        flush_events(state, settings)
    except FlushError as exc:
        log.warning("survey events stay queued: %s", exc)


def _page(strings: Mapping[str, str], **values: Any) -> dict[str, Any]:
    return {
        "language": strings["lang"],
        "direction": strings["dir"],
        "title": strings["title"],
        "stylesheet": "static/survey.css",  # relative to /s/<token>, so any mount prefix works
        **values,
    }


def _notice(request: Request, link: WebLink, status: int, *, thanks: bool = False) -> HTMLResponse:
    language = link.survey["language"] if link.survey else _preferred_language(request)
    strings = web_strings(language)
    done = thanks or link.state == "used"
    page = _page(strings, heading=strings["title"], message=strings["thanks" if done else "closed"])
    return _html("notice.html", page, status)


def _form(survey: Mapping[str, Any], posted: Mapping[str, str], errors: list[FieldError], status: int) -> HTMLResponse:
    """The survey's open questions; after a rejected post, with the customer's choices kept
    and each error, which links to its question."""
    strings = web_strings(survey["language"])
    questions = [_question(instrument, strings) for instrument in open_questions(survey)]
    labels = {question["instrument"]: question["label"] for question in questions}
    page = _page(
        strings, heading=strings["title"], intro=strings["intro"], questions=questions, posted=posted,
        submit=strings["submit"], comment_max=COMMENT_MAX_CHARS, invalid={error.instrument for error in errors},
        errors=[{"instrument": e.instrument, "message": _error_message(e, labels, strings)} for e in errors],
    )
    return _html("survey.html", page, status)


def _error_message(error: FieldError, labels: Mapping[str, str], strings: Mapping[str, str]) -> str:
    """What the customer reads: the question, and what it needs. Only a script could post a
    comment over the limit (the textarea stops typing there), so a plain "≤ 2000" will do."""
    if error.instrument == "comment":
        return f"{labels['comment']} (≤ {_numeral(COMMENT_MAX_CHARS, strings['lang'])})"
    return f"{labels[error.instrument]} {strings['required']}"


def _question(instrument: str, strings: Mapping[str, str]) -> dict[str, Any]:
    """What the template needs to draw one question: label, options and the scale's end labels."""
    question = {"instrument": instrument, "label": strings[instrument]}
    if instrument == "comment":
        return question | {"placeholder": strings["comment_placeholder"]}
    if instrument == "resolved":
        return question | {"options": [{"value": 1, "label": strings["yes"]}, {"value": 0, "label": strings["no"]}],
                           "ends": None}
    scale, language = SCALES[instrument], strings["lang"]
    ends = (f"{_numeral(scale[0], language)} = {strings[instrument + '_low']}",
            f"{_numeral(scale[-1], language)} = {strings[instrument + '_high']}")
    options = [{"value": value, "label": _numeral(value, language)} for value in scale]
    return question | {"options": options, "ends": ends}


def _numeral(value: int, language: str) -> str:
    return str(value).translate(NATIVE_DIGITS[language]) if language in NATIVE_DIGITS else str(value)


def _preferred_language(request: Request) -> str:
    """The first supported language of ``Accept-Language`` (a link we don't know has no survey
    to take the language from), else English."""
    supported = set(languages())
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        for candidate in (tag, tag.split("-")[0]):
            if candidate in supported:
                return candidate
    return "en"


def _html(template: str, page: Mapping[str, Any], status: int) -> HTMLResponse:
    body = templates.get_template(template).render(page=page)
    return HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)
