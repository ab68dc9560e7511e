"""Workforce management event data: schedules and forecasts."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field, NonNegativeFloat, model_validator
from pydantic_core import PydanticCustomError

from .envelope import EventData

Activity = Literal["work", "break", "lunch", "meeting", "training", "off"]


class ScheduleSegment(EventData):
    start: AwareDatetime
    end: AwareDatetime
    activity: Activity = Field(description="'work' means on the phones: available, on contact or ACW.")

    @model_validator(mode="after")
    def _ends_after_start(self) -> ScheduleSegment:
        if self.end <= self.start:
            raise PydanticCustomError(
                "segment_order", "end {end} is not after start {start}; expected end > start",
                {"end": self.end.isoformat(), "start": self.start.isoformat()},
            )
        return self


class SchedulePublishedData(EventData):
    """An agent's planned activities; a later publication replaces earlier ones where they overlap."""

    segments: list[ScheduleSegment] = Field(min_length=1)


class ForecastInterval(EventData):
    start: AwareDatetime
    offered: NonNegativeFloat
    aht_s: NonNegativeFloat


class ForecastPublishedData(EventData):
    """Forecast volume and handle time per interval for one queue (the envelope's ``queue``)."""

    interval_minutes: Literal[15, 30, 60] = 15
    intervals: list[ForecastInterval] = Field(min_length=1)
