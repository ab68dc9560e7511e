"""Survey gateway event data."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, model_validator
from pydantic_core import PydanticCustomError

from .contact import CustomerFields
from .envelope import NAME_PATTERN, EventData

Instrument = Literal["nps", "csat", "ces", "resolved", "comment"]
SurveyChannel = Literal["sms", "web"]
Scale = Literal["0-10", "1-5", "1-7", "yes-no", "text"]
SCALE_BOUNDS = {"0-10": (0, 10), "1-5": (1, 5), "1-7": (1, 7), "yes-no": (0, 1)}
QUESTION_ID_PATTERN = r"^[a-z][a-z0-9_]{0,15}$"
# A centre's own question (instrument "custom"): a multiple choice, or a whole-number scale "min-max".
CustomScale = Annotated[str, Field(pattern=r"^(choice|[0-9]{1,3}-[0-9]{1,3})$")]
QuestionId = Annotated[str, Field(pattern=QUESTION_ID_PATTERN)]


class SurveyData(EventData):
    surveyid: str = Field(pattern=NAME_PATTERN)


class SurveyScheduledData(SurveyData):
    instruments: list[Instrument | QuestionId] = Field(
        min_length=1, description="The questions in order: standard instruments and custom question ids.")
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
    instrument: Instrument | Literal["custom"]
    scale: Scale | CustomScale
    score: float | None = Field(None, description="The answer on the scale; yes-no is 1 for yes, 0 for no.")
    text: str | None = Field(None, max_length=2000, description="Free text (comment instrument).")
    language: str | None = Field(None, max_length=35)
    question: QuestionId | None = Field(None, description="A custom question's id (instrument custom).")
    choice: QuestionId | None = Field(None, description="The chosen answer's id (scale choice).")

    @model_validator(mode="after")
    def _score_on_scale(self) -> SurveyResponseReceivedData:
        if (self.instrument == "custom") != (self.question is not None):
            raise PydanticCustomError("custom_question", "question {question!r} with instrument {instrument!r}; "
                                      "expected a question id exactly when the instrument is custom",
                                      {"question": self.question, "instrument": self.instrument})
        if self.scale == "choice":
            if self.instrument != "custom" or self.choice is None or self.score is not None:
                raise PydanticCustomError("choice_answer", "scale choice; expected instrument custom, a choice "
                                          "id and no score, got choice {choice!r}, score {score}",
                                          {"choice": self.choice, "score": self.score})
            return self
        if self.scale == "text":
            return self
        low, high = SCALE_BOUNDS.get(self.scale) or _custom_bounds(self.scale)
        if self.score is None or not low <= self.score <= high:
            raise PydanticCustomError(
                "score_off_scale", "score {score} is not on the {scale} scale; expected a number from {low} to {high}",
                {"score": self.score, "scale": self.scale, "low": low, "high": high},
            )
        return self


def _custom_bounds(scale: str) -> tuple[int, int]:
    low, high = (int(end) for end in scale.split("-"))
    if low >= high:
        raise PydanticCustomError("scale_order", "scale {scale}: expected min-max with min below max",
                                  {"scale": scale})
    return low, high


class SurveyOptedOutData(CustomerFields):
    surveyid: str | None = Field(None, pattern=NAME_PATTERN)
    channel: SurveyChannel = "sms"


class SurveyExpiredData(SurveyData):
    pass
