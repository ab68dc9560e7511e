"""The web channel's logic: one-time links to a survey page, and the answers its form posts.

A link carries an opaque 128-bit token; only its SHA-256 is stored, so a leaked database
can't be turned back into working links. Looking a link up never writes (mail and chat
link scanners fetch pages before the customer does); submitting the form consumes the
token with one conditional UPDATE, so two concurrent posts can't both count.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import Connection

from .tables import sg_survey, sg_web_token

TOKEN_BYTES = 16  # 128 bits: guessing one live link among millions stays hopeless
LINK_PATH = "/s/"
COMMENT_MAX_CHARS = 2000  # what a survey.response_received event's text may hold
OPEN_STATUSES = frozenset({"scheduled", "active"})
# The values each instrument's radio group offers, in the order shown.
SCALES: dict[str, tuple[int, ...]] = {
    "nps": tuple(range(0, 11)),
    "csat": tuple(range(1, 6)),
    "ces": tuple(range(1, 8)),
    "resolved": (1, 0),
}

LinkState = Literal["open", "unknown", "expired", "used", "closed"]


def hash_token(token: str) -> str:
    """The hex SHA-256 under which ``token`` is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(connection: Connection, survey_id: str, expires_at: datetime) -> str:
    """Store a new link token for ``survey_id`` valid until ``expires_at``; return the token."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    connection.execute(
        sa.insert(sg_web_token).values(token_hash=hash_token(token), survey_id=survey_id, expires_at=expires_at)
    )
    return token


def web_invite_url(connection: Connection, settings: Any, survey_row: Mapping[str, Any]) -> str:
    """Issue a token for ``survey_row`` (valid as long as the survey) and return its page's URL
    under ``settings.public_base_url``."""
    token = issue_token(connection, survey_row["id"], survey_row["expires_at"])
    return settings.public_base_url.rstrip("/") + LINK_PATH + token


@dataclass(frozen=True)
class WebLink:
    """What a token leads to: its state and, unless unknown, the survey row."""

    state: LinkState
    survey: dict[str, Any] | None = None


def find_link(connection: Connection, token: str, now: datetime) -> WebLink:
    """Classify ``token`` at ``now`` without writing anything."""
    query = (
        sa.select(sg_web_token.c.expires_at.label("token_expires_at"), sg_web_token.c.used_at, sg_survey)
        .join(sg_survey, sg_survey.c.id == sg_web_token.c.survey_id)
        .where(sg_web_token.c.token_hash == hash_token(token))
    )
    row = connection.execute(query).mappings().first()
    if row is None:
        return WebLink("unknown")
    survey = {column.name: row[column.name] for column in sg_survey.columns}
    return WebLink(_link_state(row, survey, now), survey)


def _link_state(row: Mapping[str, Any], survey: Mapping[str, Any], now: datetime) -> LinkState:
    # "used" first: the customer who answered should hear that, not that the survey closed.
    if row["used_at"] is not None:
        return "used"
    if now >= row["token_expires_at"] or now >= survey["expires_at"]:
        return "expired"
    if survey["status"] not in OPEN_STATUSES:
        return "closed"
    return "open"


def consume_token(connection: Connection, token: str, now: datetime) -> bool:
    """Mark ``token`` used at ``now`` if it is unused and unexpired; true for exactly one caller."""
    result = connection.execute(
        sa.update(sg_web_token)
        .where(
            sg_web_token.c.token_hash == hash_token(token),
            sg_web_token.c.used_at.is_(None),
            sg_web_token.c.expires_at > now,
        )
        .values(used_at=now)
    )
    return result.rowcount == 1


def open_questions(survey: Mapping[str, Any]) -> list[str]:
    """The instruments still to answer: all of them, unless some were answered by SMS first."""
    return list(survey["instruments"])[survey["step"]:]


@dataclass(frozen=True)
class WebAnswer:
    """One answered question of the form."""

    instrument: str
    score: float | None = None
    text: str | None = None


@dataclass(frozen=True)
class FieldError:
    """A form field whose value is not acceptable: which, what came, what was expected."""

    instrument: str
    value: str
    expected: str

    def __str__(self) -> str:
        return f"{self.instrument} = {self.value!r}: expected {self.expected}"


def read_form(instruments: list[str], form: Mapping[str, str]) -> tuple[list[WebAnswer], list[FieldError]]:
    """The answers in ``form`` for the survey's ``instruments``, and the fields that are wrong.

    Every scale question must be answered; the comment may be left empty.
    """
    answers: list[WebAnswer] = []
    errors: list[FieldError] = []
    for instrument in instruments:
        raw = form.get(instrument, "")
        answer, error = _read_comment(raw) if instrument == "comment" else _read_score(instrument, raw)
        answers.extend([answer] if answer else [])
        errors.extend([error] if error else [])
    return answers, errors


def _read_score(instrument: str, raw: str) -> tuple[WebAnswer | None, FieldError | None]:
    scale = SCALES[instrument]
    if raw.strip() in {str(value) for value in scale}:
        return WebAnswer(instrument, score=float(raw.strip())), None
    return None, FieldError(instrument, raw, f"a whole number from {min(scale)} to {max(scale)}")


def _read_comment(raw: str) -> tuple[WebAnswer | None, FieldError | None]:
    # Browsers send line breaks as CRLF but count them as one character against maxlength.
    text = raw.replace("\r\n", "\n").strip()
    if len(text) > COMMENT_MAX_CHARS:
        return None, FieldError("comment", f"{len(text)} characters", f"at most {COMMENT_MAX_CHARS} characters")
    return (WebAnswer("comment", text=text), None) if text else (None, None)
