"""Recording one answer to one survey question — shared by the SMS conversation and the web page.

``record_answer`` runs inside the caller's transaction: the answer row, the survey's new step,
the ``survey.response_received`` event (in the event outbox), a detractor's follow-up
(``case.opened``, :mod:`.follow_ups`) and, after the last question, the
closed survey with its number wiped all commit together or not at all. It is idempotent per
(survey, instrument): the answer row is inserted with ON CONFLICT DO NOTHING, so a second
recording of the same question changes nothing and queues no second event.

The statements are built once, with bound parameters: this is the hot path of every SMS
reply, and building and cache-keying a fresh SQLAlchemy statement costs several times more
than executing a built one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, or_, update
from sqlalchemy.dialects import postgresql, sqlite

from .detractors import DEFAULT_THRESHOLDS, is_detractor
from .events_out import queue_event
from .follow_ups import case_id, open_follow_up
from .hot_statements import HotStatement
from .tables import sg_answer, sg_message, sg_survey
from .wording import CustomQuestion

SCALES: dict[str, str] = {"nps": "0-10", "csat": "1-5", "ces": "1-7", "resolved": "yes-no", "comment": "text"}
OPEN_STATUSES = ("scheduled", "active")


def insert_once(table: Table, *keys: str) -> HotStatement:
    """INSERT of bound ``table`` columns (``new_`` + name) that does nothing when a row with the
    same ``keys`` exists and RETURNING the first key, so a row back says it inserted (psycopg
    reports rowcount -1 for ON CONFLICT DO NOTHING)."""
    values = {column.name: bindparam(f"new_{column.name}") for column in table.columns}
    variants = [dialect.insert(table).values(**values).on_conflict_do_nothing(index_elements=list(keys))
                .returning(table.c[keys[0]]) for dialect in (sqlite, postgresql)]
    return HotStatement(variants[0], postgresql=variants[1])


_INSERT_ANSWER = insert_once(sg_answer, "survey_id", "instrument")
_ADVANCE = HotStatement(update(sg_survey).where(sg_survey.c.id == bindparam("survey"))
                        .values(step=bindparam("new_step"), reprompts=0, status="active"))
_STILL_OPEN = or_(*(sg_survey.c.status == status for status in OPEN_STATUSES))  # compiled once: no expanding IN
_COMPLETE = HotStatement(update(sg_survey).where(sg_survey.c.id == bindparam("survey"), _STILL_OPEN)
                         .values(step=bindparam("new_step"), reprompts=0, status="completed",
                                 closed_at=bindparam("at"), close_reason="all questions answered", number_enc=None))
_CANCEL_PENDING = HotStatement(update(sg_message).where(sg_message.c.survey_id == bindparam("survey"),
                                                        sg_message.c.status == "pending")
                               .values(status="cancelled", updated_at=bindparam("at")))


@dataclass(frozen=True)
class AnswerOutcome:
    """What recording did: ``recorded`` False means a duplicate or a closed survey (nothing
    written); ``detractor`` holds the ``callkpi_detractor`` response to fire after commit."""

    recorded: bool
    completed: bool
    step: int
    detractor: dict[str, Any] | None = None


def record_answer(
    connection: Connection,
    survey_row: Mapping[str, Any],
    instrument: str,
    score: float | None,
    text: str | None,
    via: str,
    now: datetime,
    thresholds: Mapping[str, float] | None = None,
) -> AnswerOutcome:
    """Record ``instrument``'s answer on ``survey_row`` (an ``sg_survey`` row as a mapping).

    Advances ``step`` past the instrument (resetting the re-prompt count), queues the
    ``survey.response_received`` event and completes the survey — number wiped, pending
    messages cancelled — when no question is left. ``thresholds`` are the centre's detractor
    thresholds (default: the centre's configuration, else NPS ≤ 6, CSAT ≤ 2, CES ≤ 2).
    """
    instruments = list(survey_row["instruments"])
    if instrument not in instruments:
        raise ValueError(
            f"instrument {instrument!r} is not asked by survey {survey_row['id']}; expected one of {instruments}"
        )
    if survey_row["status"] not in OPEN_STATUSES or not _insert_answer(connection, survey_row, instrument,
                                                                        score, text, via, now):
        return AnswerOutcome(recorded=False, completed=survey_row["status"] == "completed", step=survey_row["step"])
    step = max(survey_row["step"], instruments.index(instrument) + 1)
    completed = step >= len(instruments)
    _advance(connection, survey_row, step, completed, now)
    if score is not None or text:
        _queue_response(connection, survey_row, instrument, score, text, now)
    limits = thresholds if thresholds is not None else centre_thresholds(survey_row["centre"])
    detractor = None
    if is_detractor(instrument, score, limits):
        detractor = detractor_response(survey_row, instrument, score, now)
        open_follow_up(connection, survey_row, instrument, now)
    return AnswerOutcome(recorded=True, completed=completed, step=step, detractor=detractor)


def _insert_answer(connection: Connection, survey_row: Mapping[str, Any], instrument: str,
                   score: float | None, text: str | None, via: str, now: datetime) -> bool:
    """Insert the answer unless one exists; True when this call inserted it."""
    values = {"new_survey_id": survey_row["id"], "new_instrument": instrument, "new_score": score, "new_text": text,
              "new_answered_at": now, "new_via": via}
    return bool(_INSERT_ANSWER.rows(connection, values))


def _advance(connection: Connection, survey: Mapping[str, Any], step: int, completed: bool, now: datetime) -> None:
    if not completed:
        _ADVANCE.run(connection, {"survey": survey["id"], "new_step": step})
        return
    # Closing wipes the number and cancels a pending reminder: nothing may follow the thanks.
    _COMPLETE.run(connection, {"survey": survey["id"], "new_step": step, "at": now})
    cancel_pending_messages(connection, survey["id"], now)


def cancel_pending_messages(connection: Connection, survey_id: str, now: datetime) -> None:
    """Cancel what the survey still had waiting to be sent (a reminder, a late question)."""
    _CANCEL_PENDING.run(connection, {"survey": survey_id, "at": now})


def _queue_response(connection: Connection, survey_row: Mapping[str, Any], instrument: str,
                    score: float | None, text: str | None, now: datetime) -> None:
    custom = _custom_question(survey_row["centre"], instrument)
    data = {"surveyid": survey_row["id"], "instrument": instrument, "scale": SCALES.get(instrument),
            "score": score, "text": text, "language": survey_row["language"]}
    if custom is not None:  # the centre's own question: its id, and the answer's id for a choice
        data |= {"instrument": "custom", "question": instrument, "scale": custom.scale, "text": None,
                 "choice": text if custom.kind == "choice" else None}
    event_id = f"{survey_row['id']}:response:{instrument}"
    queue_event(connection, survey_row["centre"], "survey.response_received", dict(survey_row), data, event_id, now)


def detractor_response(survey_row: Mapping[str, Any], instrument: str, score: float | None,
                       now: datetime) -> dict[str, Any]:
    """The ``response`` argument of ``callkpi_detractor`` (never the customer's number)."""
    return {
        "surveyid": survey_row["id"],
        "contactid": survey_row["contactid"],
        "agentid": survey_row["agentid"],
        "queue": survey_row["queue"],
        "instrument": instrument,
        "score": score,
        "scale": SCALES[instrument],
        "language": survey_row["language"],
        "answered_at": now.isoformat(),
        "comment": None,
        "caseid": case_id(survey_row["id"]),
    }


def _custom_question(centre: str, instrument: str) -> CustomQuestion | None:
    from .policy import survey_configs  # imported late to avoid a cycle, as in centre_thresholds

    config = survey_configs().get(centre)
    return config.questions.get(instrument) if config is not None else None


def centre_thresholds(centre: str) -> Mapping[str, float]:
    """The centre's configured detractor thresholds, or the defaults for an unconfigured centre."""
    from .policy import survey_configs  # the configured centres; imported late to avoid a cycle

    config = survey_configs().get(centre)
    return config.detractor_thresholds if config is not None else DEFAULT_THRESHOLDS
