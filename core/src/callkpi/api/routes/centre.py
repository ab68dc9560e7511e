"""``GET`` and ``PUT /v1/centre/survey-agent-policy``: which agent of a contact its survey
answers are credited to, for the key's centre (``callkpi centre survey-agent-policy``); and
``/v1/centre/survey-followup-deadline``: by when a detractor's follow-up is due
(``callkpi centre survey-followup-deadline``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from ...projector.survey_attribution import AgentPolicy
from ...store.apikeys import ApiKeyRecord
from ...store.centres import add_centre, load_centres
from ...store.db import Store
from ..deps import State, require_scope
from ..problems import AUTH_ERRORS
from .kpis import ReadKey, key_centre

AdminKey = Annotated[ApiKeyRecord, Depends(require_scope("admin"))]

router = APIRouter(tags=["centre"])


class SurveyAgentPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy: AgentPolicy = Field(
        description="Credit a contact's survey answers to its last agent, its first, or the one "
        "who handled it longest. Surveys projected from now on follow it; `callkpi rebuild` "
        "re-attributes the stored ones."
    )


@router.get(
    "/centre/survey-agent-policy",
    summary="Read the survey agent policy",
    response_model=SurveyAgentPolicy,
    responses=AUTH_ERRORS,
)
async def get_survey_agent_policy(state: State, key: ReadKey) -> SurveyAgentPolicy:
    centre = await key_centre(state, key)
    return SurveyAgentPolicy(policy=centre.settings.survey_agent_policy)


@router.put(
    "/centre/survey-agent-policy",
    summary="Set the survey agent policy",
    response_model=SurveyAgentPolicy,
    responses=AUTH_ERRORS,
)
async def put_survey_agent_policy(
    state: State, key: AdminKey, body: SurveyAgentPolicy
) -> SurveyAgentPolicy:
    await key_centre(state, key)  # the key's centre exists, or a problem says it does not
    await run_in_threadpool(_store_setting, state.store, key.centre, "survey_agent_policy", body.policy)
    return body


class SurveyFollowupDeadline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hours: float = Field(
        gt=0,
        le=24 * 365,
        description="Hours after a detractor's answer by which its follow-up is due. Follow-ups "
        "opened from now on take it; open ones keep their deadline.",
    )


@router.get(
    "/centre/survey-followup-deadline",
    summary="Read the detractor follow-up deadline",
    response_model=SurveyFollowupDeadline,
    responses=AUTH_ERRORS,
)
async def get_survey_followup_deadline(state: State, key: ReadKey) -> SurveyFollowupDeadline:
    centre = await key_centre(state, key)
    return SurveyFollowupDeadline(hours=centre.settings.survey_followup_deadline_h)


@router.put(
    "/centre/survey-followup-deadline",
    summary="Set the detractor follow-up deadline",
    response_model=SurveyFollowupDeadline,
    responses=AUTH_ERRORS,
)
async def put_survey_followup_deadline(
    state: State, key: AdminKey, body: SurveyFollowupDeadline
) -> SurveyFollowupDeadline:
    await key_centre(state, key)
    await run_in_threadpool(_store_setting, state.store, key.centre, "survey_followup_deadline_h", body.hours)
    return body


def _store_setting(store: Store, name: str, setting: str, value: object) -> None:
    with store.transaction() as connection:
        centre = load_centres(connection)[name]
        settings = centre.settings.model_copy(update={setting: value})
        add_centre(connection, name, centre.timezone, settings)
