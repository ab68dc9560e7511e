"""The "Customer" KPIs of KPIS.md, from the survey gateway's facts, with 95 % confidence intervals.

Survey answers are a sample, so NPS, CSAT and CES are :class:`~callkpi.kpi.model.Estimate`
formulas: a value and an interval from additive counts only (``callkpi.kpi.intervals``),
withheld below 30 answers. A score is read as a whole point of its scale (counts per
point give n, Σx and Σx²; a 3.5 counts as 4). Answers are grouped by the local buckets of
their time; the latest answer to a question wins (the projector's rule).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from callkpi.kpi import Kpi, Measure, Variant, columnar, mean_of, percent_of
from callkpi.kpi.intervals import mean_interval_columns, nps_interval_columns, wilson_columns
from callkpi.kpi.model import Estimate, Formula, Interval, Values, divide, percent

MIN_ANSWERS = 30
RESPONSES = "fact_survey_response"


def _answers(name: str, instrument: str, scale: str, *more: tuple) -> Measure:
    filters = (("instrument", "==", instrument), ("scale", "==", scale), *more)
    return Measure(name, "count", filter=filters, fact=RESPONSES)


def point_counts(instrument: str, scale: str, points: range) -> tuple[Measure, ...]:
    """One count per scale point ``p{k}``: answers from k − 0.5 up to k + 0.5."""
    return tuple(
        _answers(f"p{k}", instrument, scale, ("score", ">=", k - 0.5), ("score", "<", k + 0.5)) for k in points
    )


def _moments(m: Values, points: range) -> tuple[Any, Any, Any]:
    """n, Σx and Σx² of the answers from their per-point counts (in one row, or in every
    row as arrays: the sums of whole numbers are exact either way)."""
    counts = {k: _count(m[f"p{k}"]) for k in points}
    n = sum(counts.values())
    return n, sum(k * c for k, c in counts.items()), sum(k * k * c for k, c in counts.items())


def _count(value: Any) -> Any:
    """A count, 0 where unknown."""
    return np.nan_to_num(value) if isinstance(value, np.ndarray) else value or 0


def mean_estimate(points: range) -> Estimate:
    """The mean score on a scale and its normal 95 % interval."""

    @columnar
    def value(m: Values, p: Mapping[str, float]) -> float | None:
        n, total, _ = _moments(m, points)
        return divide(total, n)

    value.__doc__ = f"Σ k·p{{k}} ÷ Σ p{{k}} for k = {points.start}…{points.stop - 1}"
    interval: Interval = columnar(lambda m, p: mean_interval_columns(*_moments(m, points)))
    return Estimate(value, interval)


def share_estimate(hits: str, total: str) -> Estimate:
    """The share ``hits ÷ total`` in percent and its Wilson 95 % interval."""
    formula: Formula = percent_of(hits, total)
    return Estimate(formula, columnar(lambda m, p: wilson_columns(m[hits], m[total])))


@columnar
def _nps(m: Values, p: Mapping[str, float]) -> float | None:
    """(promoters − detractors) ÷ answers × 100"""
    return percent(m["promoters"] - m["detractors"], m["answers"])


@columnar
def _nps_interval(m: Values, p: Mapping[str, float]) -> tuple[Any, Any]:
    # x = +1 / 0 / −1: Σx = promoters − detractors, Σx² = promoters + detractors
    spread = m["promoters"] + m["detractors"]
    return nps_interval_columns(m["answers"], m["promoters"] - m["detractors"], spread)


NPS = Kpi(
    id="nps",
    title="Net Promoter Score",
    unit="n",
    higher_is_better=True,
    definition=(
        "Promoters (9–10) minus detractors (0–6) as a share of the answers to the 0–10 "
        "recommend question, from −100 to 100, with a 95 % normal interval; withheld below "
        "30 answers."
    ),
    fact=RESPONSES,
    measures=(
        _answers("answers", "nps", "0-10"),
        _answers("promoters", "nps", "0-10", ("score", ">=", 9)),
        _answers("detractors", "nps", "0-10", ("score", "<=", 6)),
    ),
    formula=Estimate(_nps, _nps_interval),
    min_sample=MIN_ANSWERS,
)

CSAT_POINTS = range(1, 6)
CSAT = Kpi(
    id="csat",
    title="Customer satisfaction",
    unit="%",
    higher_is_better=True,
    definition=(
        "Share of answers 4 or 5 to the 1–5 satisfaction question (top-two-box), with a "
        "Wilson 95 % interval; withheld below 30 answers. Variant mean: the mean score."
    ),
    fact=RESPONSES,
    measures=(
        _answers("answers", "csat", "1-5"),
        _answers("satisfied", "csat", "1-5", ("score", ">=", 4)),
    ),
    formula=share_estimate("satisfied", "answers"),
    default_variant="top_two_box",
    min_sample=MIN_ANSWERS,
    target=75,
    variants=(
        Variant(
            "mean",
            "The mean score on 1–5, with a normal 95 % interval.",
            measures=point_counts("csat", "1-5", CSAT_POINTS),
            formula=mean_estimate(CSAT_POINTS),
            unit="ratio",
        ),
    ),
)

CES_POINTS, CES7_POINTS = range(1, 6), range(1, 8)
CES = Kpi(
    id="ces",
    title="Customer effort score",
    unit="ratio",
    higher_is_better=True,
    definition=(
        "The mean answer to the 1–7 effort question of CES 2.0 (\"The company made it easy for "
        "me to handle my issue\", 7 = strongly agree), the scale the survey gateway asks, with a "
        "normal 95 % interval; withheld below 30 answers. Answers on another scale are not mixed "
        "in: mean_1_5 is the mean of 1–5 answers (5 = very easy) from sources that ask that; "
        "share_easy_1_7, the share of answers 5–7 on 1–7 (the agree side); share_easy_1_5, the "
        "share of 4–5 on 1–5, both with a Wilson interval. Each scale has its own target."
    ),
    fact=RESPONSES,
    measures=(_answers("answers", "ces", "1-7"), *point_counts("ces", "1-7", CES7_POINTS)),
    formula=mean_estimate(CES7_POINTS),
    default_variant="ces2_1_7",
    sample="answers",
    min_sample=MIN_ANSWERS,
    variants=(
        Variant(
            "mean_1_5",
            "The mean answer on the 1–5 scale (5 = very easy).",
            measures=(_answers("answers", "ces", "1-5"), *point_counts("ces", "1-5", CES_POINTS)),
            formula=mean_estimate(CES_POINTS),
            target=None,  # same unit, another scale: never the 1–7 target
        ),
        Variant(
            "share_easy_1_7",
            "Share of answers 5, 6 or 7 on the 1–7 scale.",
            measures=(_answers("easy", "ces", "1-7", ("score", ">=", 5)),),
            formula=share_estimate("easy", "answers"),
            unit="%",
        ),
        Variant(
            "share_easy_1_5",
            "Share of answers 4 or 5 on the 1–5 scale.",
            measures=(
                _answers("answers", "ces", "1-5"),
                _answers("easy", "ces", "1-5", ("score", ">=", 4)),
            ),
            formula=share_estimate("easy", "answers"),
            unit="%",
        ),
    ),
)

SURVEY_RESPONSE_RATE = Kpi(
    id="survey_response_rate",
    title="Survey response rate",
    unit="%",
    higher_is_better=True,
    definition=(
        "Delivered surveys with at least one answer as a share of the surveys delivered, by "
        "the local buckets of their scheduling; group by survey_channel (sms, web), by the "
        "contact's channel (voice, chat …) and by language."
    ),
    fact="fact_survey",
    measures=(
        Measure("delivered", "count", filter=(("delivered_at", "not null"),)),
        Measure(
            "responded",
            "count",
            filter=(("delivered_at", "not null"), ("first_response_at", "not null")),
        ),
    ),
    formula=percent_of("responded", "delivered"),
)

DETRACTOR_FOLLOWED_UP = (("score", "<=", 6), ("followup_s", "not null"))
DETRACTOR_FOLLOWUP_TIME = Kpi(
    id="detractor_followup_time",
    title="Detractor follow-up time",
    unit="s",
    higher_is_better=False,
    definition=(
        "Mean time from a detractor's answer (0–6 on the 0–10 recommend question) to its "
        "follow-up (the first case opened for the contact after the answer), over the "
        "detractors followed up; by the local buckets of the answer."
    ),
    fact=RESPONSES,
    # The sum and the count must select the same answers: a score of 6 or less is a
    # detractor only on the 0–10 recommend scale (an "nps" answer on 1–5 is no detractor).
    measures=(
        _answers("followed_up", "nps", "0-10", *DETRACTOR_FOLLOWED_UP),
        Measure(
            "followup",
            "sum",
            "followup_s",
            filter=(("instrument", "==", "nps"), ("scale", "==", "0-10"), *DETRACTOR_FOLLOWED_UP),
        ),
    ),
    formula=mean_of("followup", "followed_up"),
)

KPIS = (NPS, CSAT, CES, SURVEY_RESPONSE_RATE, DETRACTOR_FOLLOWUP_TIME)
