"""``POST /v1/surveys``: ask for a survey of one contact (API key scope ``admin`` or ``survey``,
of the contact's centre)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from callkpi.api.deps import State, require_scope
from callkpi.api.models import ProblemItem
from callkpi.api.problems import AUTH_ERRORS, PROBLEM_RESPONSE, ProblemError
from callkpi.store.apikeys import ApiKeyRecord

from ..survey_requests import CONFLICT_CODES, NOT_FOUND_CODES, BadSurveyRequest, SurveyRefused, ask_for_survey
from .schema_ready import gateway_tables_ready

router = APIRouter(tags=["survey gateway"], dependencies=[Depends(gateway_tables_ready)])
SurveyKey = Annotated[ApiKeyRecord, Depends(require_scope("admin", "survey"))]


class SurveyRequest(BaseModel):
    """Which contact to survey; channel and language default to the policy's choice."""

    model_config = ConfigDict(extra="forbid")

    contact_id: str = Field(min_length=1, max_length=128, description="The contact's id, as its events carry it.")
    channel: str | None = Field(None, description="sms, web or both; default: the centre's.")
    language: str | None = Field(None, description="One of the centre's languages; default: the policy's choice.")


class ScheduledSurvey(BaseModel):
    """The survey made: it goes out at ``scheduled_at`` (out of quiet hours), unless a send-time
    rule holds it later."""

    survey_id: str
    contact_id: str
    centre: str
    channel: str
    language: str
    scheduled_at: datetime
    expires_at: datetime


@router.post("/v1/surveys", status_code=202, response_model=ScheduledSurvey, summary="Ask for a survey of a contact",
             responses={**AUTH_ERRORS, 404: {**PROBLEM_RESPONSE, "description": "Unknown contact"},
                        409: {**PROBLEM_RESPONSE, "description": "Already surveyed"},
                        422: {**PROBLEM_RESPONSE, "description": "The policy refused (reason_code says why)"}})
async def post_survey(request: SurveyRequest, key: SurveyKey, state: State) -> ScheduledSurvey:
    """Schedule a survey of ``contact_id`` (the key's centre) through the policy and send-time rules."""
    try:
        survey = await run_in_threadpool(ask_for_survey, state.store, key.centre, request.contact_id,
                                         datetime.now(UTC), request.channel, request.language)
    except BadSurveyRequest as bad:
        raise ProblemError(422, "invalid-survey-request", "Invalid survey request", bad.detail,
                           [ProblemItem(detail=bad.detail, pointer=f"/{bad.field}")]) from None
    except SurveyRefused as refused:
        status = 404 if refused.code in NOT_FOUND_CODES else 409 if refused.code in CONFLICT_CODES else 422
        detail = f"no survey for contact {request.contact_id!r}: {refused.reason}"
        raise ProblemError(status, "survey-refused", "Survey refused", detail,
                           [ProblemItem(detail=detail, pointer="/contact_id")],
                           reason_code=refused.code, reason=refused.reason) from None
    return ScheduledSurvey(survey_id=survey["id"], contact_id=survey["contactid"], centre=survey["centre"],
                           channel=survey["channel"], language=survey["language"], scheduled_at=survey["due_at"],
                           expires_at=survey["expires_at"])
