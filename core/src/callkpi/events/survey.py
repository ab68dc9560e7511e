"""Survey gateway event data."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field, model_validator
from pydantic_core import PydanticCustomError

from .contact import CustomerFields
from .envelope import NAME_PATTERN, EventData

Instrument = Literal["nps", "csat", "ces", "resolved", "comment"]
SurveyChannel = Literal["sms", "web"]
Scale = Literal["0-10", "1-5", "1-7", "yes-no", "text"]
SCALE_BOUNDS = {"0-10": (0, 10), "1-5": (1, 5), "1-7": (1, 7), "yes-no": (0, 1)}


class SurveyData(EventData):
    surveyid: str = Field(pattern=NAME_PATTERN)


class SurveyScheduledData(SurveyData):
    instruments: list[Instrument] = Field(min_length=1)
    channel: SurveyChannel
    language: str | None = Field(None, max_length=35)
    due_at: AwareDatetime


class SurveySentData(SurveyData):
    channel: SurveyChannel
    message_id: str | None = Field(None, max_length=64)


class SurveyDeliveredData(SurveyData):
    message_id: str | None = Field(None, max_length=64)


class SurveyFailedData(SurveyData):
    reason: str = Field(min_length=1, max_length=256)
    code: str | None = Field(None, max_length=32, description="The channel's error code, e.g. Twilio 21211.")


class SurveyResponseReceivedData(SurveyData):
    instrument: Instrument
    scale: Scale
    score: float | None = Field(None, description="The answer on the scale; yes-no is 1 for yes, 0 for no.")
    text: str | None = Field(None, max_length=2000, description="Free text (comment instrument).")
    language: str | None = Field(None, max_length=35)

    @model_validator(mode="after")
    def _score_on_scale(self) -> SurveyResponseReceivedData:
        if self.scale == "text":
            return self
        low, high = SCALE_BOUNDS[self.scale]
        if self.score is None or not low <= self.score <= high:
            raise PydanticCustomError(
                "score_off_scale", "score {score} is not on the {scale} scale; expected a number from {low} to {high}",
                {"score": self.score, "scale": self.scale, "low": low, "high": high},
            )
        return self


class SurveyOptedOutData(CustomerFields):
    surveyid: str | None = Field(None, pattern=NAME_PATTERN)
    channel: SurveyChannel = "sms"


class SurveyExpiredData(SurveyData):
    pass
