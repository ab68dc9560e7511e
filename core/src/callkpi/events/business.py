"""Cases, quality evaluations and sales."""

from __future__ import annotations

from pydantic import AwareDatetime, Field, NonNegativeFloat, PositiveFloat, model_validator
from pydantic_core import PydanticCustomError

from .envelope import NAME_PATTERN, EventData


class CaseOpenedData(EventData):
    caseid: str = Field(pattern=NAME_PATTERN)
    category: str | None = Field(None, max_length=128)
    kind: str | None = Field(
        None, pattern=NAME_PATTERN, description="What the case is for; follow_up: a survey detractor's call-back."
    )
    surveyid: str | None = Field(None, pattern=NAME_PATTERN, description="The survey a follow-up is about.")
    due_at: AwareDatetime | None = Field(None, description="By when the case should be resolved.")


class CaseResolvedData(EventData):
    caseid: str = Field(pattern=NAME_PATTERN)


class QaEvaluatedData(EventData):
    evaluationid: str = Field(pattern=NAME_PATTERN)
    form: str = Field(min_length=1, max_length=128)
    score: NonNegativeFloat
    max_score: PositiveFloat
    evaluator: str | None = Field(None, max_length=128)

    @model_validator(mode="after")
    def _score_within_max(self) -> QaEvaluatedData:
        if self.score > self.max_score:
            raise PydanticCustomError(
                "score_above_max", "score {score} is above max_score {max_score}; expected score ≤ max_score",
                {"score": self.score, "max_score": self.max_score},
            )
        return self


class SaleRecordedData(EventData):
    saleid: str = Field(pattern=NAME_PATTERN)
    amount: NonNegativeFloat
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")
    cross_sell: bool = False
    product: str | None = Field(None, max_length=128)
