"""``GET`` and ``PUT /v1/centre/survey-agent-policy``: which agent of a contact its survey
answers are credited to, for the key's centre (``callkpi centre survey-agent-policy``)."""

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
from .kpis import AUTH_ERRORS, ReadKey, key_centre

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
    await run_in_threadpool(_store_policy, state.store, key.centre, body.policy)
    return body


def _store_policy(store: Store, name: str, policy: AgentPolicy) -> None:
    with store.transaction() as connection:
        centre = load_centres(connection)[name]
        settings = centre.settings.model_copy(update={"survey_agent_policy": policy})
        add_centre(connection, name, centre.timezone, settings)
