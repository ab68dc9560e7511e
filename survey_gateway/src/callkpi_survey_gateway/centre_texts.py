"""The texts a customer gets, in the centre's own words: its wording over the language files,
with ``{brand}``, ``{agent}`` (the agent's first name) and ``{queue}`` filled in.

The agent's name comes from the core's agent dimension (``dim_agent.name``), read in the
caller's transaction (the gateway's store is a core store, so it has the table); an
unknown agent or a survey-less
reply (HELP from a stranger) gets the brand instead, so "thanks for talking to {agent}"
still reads as a sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from callkpi.store.tables import AgentDimension

from .config import SurveyConfig
from .policy import survey_configs
from .wording import centre_text

_AGENTS = AgentDimension.__table__


def survey_text(connection: Connection | None, centre: str, kind: str, language: str,
                survey: Mapping[str, Any] | None = None, **values: Any) -> str:
    """The text of ``kind`` for ``survey`` (or for a customer without one) of ``centre``."""
    config = survey_configs().get(centre)
    brand = config.brand if config is not None else centre
    agent = _agent_first_name(connection, centre, survey.get("agentid") if survey else None) or brand
    queue = (survey.get("queue") if survey else None) or ""
    filled = {"brand": brand, "agent": agent, "queue": queue, **values}
    return centre_text(config.wording if config is not None else {}, kind, language, filled)


def question_text(connection: Connection | None, survey: Mapping[str, Any], question: str, kind: str = "question",
                  **values: Any) -> str:
    """The text asking ``question`` of ``survey`` (``kind`` ``reprompt``: asking again). A
    custom question without its own re-prompt is asked again in its own words."""
    config: SurveyConfig | None = survey_configs().get(survey["centre"])
    key = f"{kind}.{question}"
    if kind == "reprompt" and config is not None and question in config.questions:
        own = config.wording.get(survey["language"], {})
        key = key if key in own else f"question.{question}"
    return survey_text(connection, survey["centre"], key, survey["language"], survey, **values)


def _agent_first_name(connection: Connection | None, centre: str, agentid: str | None) -> str | None:
    if connection is None or not agentid:
        return None
    name = connection.execute(sa.select(_AGENTS.c.name).where(
        _AGENTS.c.centre == centre, _AGENTS.c.agentid == agentid)).scalar()
    return name.split()[0] if name and name.strip() else None
