"""Agent state and roster event data."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .envelope import EventData

AgentState = Literal["logged_out", "available", "on_contact", "after_contact_work", "not_ready"]


class AgentStateChangedData(EventData):
    state: AgentState
    reason: str | None = Field(
        None, max_length=64, description="Not-ready reason code: break, lunch, meeting, training …"
    )
    is_break: bool | None = Field(
        None, description="True when this not-ready episode is a break; when absent the centre's break reasons decide."
    )


class AgentJoinedData(EventData):
    name: str | None = Field(None, max_length=128)
    team: str | None = Field(None, max_length=128)
    site: str | None = Field(None, max_length=128)


class AgentLeftData(EventData):
    reason: str | None = Field(None, max_length=128)


class AgentUpdatedData(EventData):
    name: str | None = Field(None, max_length=128)
    team: str | None = Field(None, max_length=128)
    site: str | None = Field(None, max_length=128)
