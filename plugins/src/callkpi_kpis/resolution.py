"""The "Resolution and quality" KPIs of KPIS.md: first contact resolution, repeats, cases, QA.

FCR watches each answered contact for ``window_h`` hours (72 by default) for the same
customer's next contact (``next_contact_gap_s``, from the projector). A contact offered
less than ``window_h`` before the *end of the data* — the latest ``offered_at`` of the
report's centre, which the engine reads with one small query — has not been watched for
the whole window yet: it is **censored**, counted in the ``censored`` detail and neither
resolved nor repeated. A contact without a customer identity (no caller number, so no
``customer_hmac``) cannot be seen again: it is neither watched nor censored but counted in
the ``unidentified`` detail, and a group with no identified contact is *no data*, never
100 %. The sample ``n`` is the identified answered contacts that were watched.
"""

from __future__ import annotations

from callkpi.kpi import Kpi, Measure, Param, Parameter, Variant, columnar, mean_of, percent_of, value_of
from callkpi.kpi.model import PERIOD_END, PERIOD_END_EPOCH, DataEnd, Values, divide, percent

from .measures import IS_ANSWERED

WINDOW = Parameter("window_h", 72, "Hours a contact is watched for the customer's next contact.")
IDENTIFIED = ("customer_hmac", "not null")
WATCHED = (IS_ANSWERED, IDENTIFIED, ("offered_at", "<=", DataEnd(Param("window_h"))))
REPEATED_IN_WINDOW = ("next_contact_gap_s", "<=", Param("window_h", 3600))
FLAG_TRUE, FLAG_FALSE = ("resolved", "==", True), ("resolved", "==", False)

OBSERVED = Measure("observed", "count", filter=WATCHED)
CENSORED = Measure(
    "censored",
    "count",
    filter=(IS_ANSWERED, IDENTIFIED, ("offered_at", ">", DataEnd(Param("window_h")))),
)
UNIDENTIFIED = Measure("unidentified", "count", filter=(IS_ANSWERED, ("customer_hmac", "is null")))
REPEATED = Measure("repeated", "count", filter=(*WATCHED, REPEATED_IN_WINDOW))
FLAGGED_FALSE = Measure("flagged_false", "count", filter=(*WATCHED, FLAG_FALSE))
FLAGGED_FALSE_REPEATED = Measure(
    "flagged_false_repeated", "count", filter=(*WATCHED, FLAG_FALSE, REPEATED_IN_WINDOW)
)
FLAGGED = Measure("flagged", "count", filter=(*WATCHED, ("resolved", "not null")))
FLAGGED_TRUE = Measure("flagged_true", "count", filter=(*WATCHED, FLAG_TRUE))
FLAGGED_TRUE_REPEATED = Measure(
    "flagged_true_repeated", "count", filter=(*WATCHED, FLAG_TRUE, REPEATED_IN_WINDOW)
)
RESOLVED_QUESTION = ("instrument", "==", "resolved")


@columnar
def _not_repeated(m: Values, p: object) -> float | None:
    """(observed − repeated) ÷ observed × 100"""
    return percent(m["observed"] - m["repeated"], m["observed"])


@columnar
def _combined(m: Values, p: object) -> float | None:
    """(observed − repeated − flagged_false + flagged_false_repeated) ÷ observed × 100"""
    agreed = m["observed"] - m["repeated"] - m["flagged_false"] + m["flagged_false_repeated"]
    return percent(agreed, m["observed"])


@columnar
def _agreement(m: Values, p: object) -> float | None:
    """(flagged_true − flagged_true_repeated + flagged_false_repeated) ÷ flagged × 100"""
    agree = m["flagged_true"] - m["flagged_true_repeated"] + m["flagged_false_repeated"]
    return percent(agree, m["flagged"])


FCR = Kpi(
    id="fcr",
    title="First contact resolution",
    unit="%",
    higher_is_better=True,
    definition=(
        "Answered contacts not followed by another contact from the same customer within "
        "window_h hours, as a share of the answered contacts watched for the whole window. "
        "Contacts offered within window_h of the end of the data (the latest offered "
        "contact of the centre) are censored: reported in the detail 'censored', neither "
        "resolved nor repeated. Contacts without a customer identity (no caller number) "
        "cannot be seen again: they are neither watched nor censored but reported in the "
        "detail 'unidentified'; with none identified the group has no data. Variants: "
        "disposition (the agent's wrap-up said resolved, of the contacts with a wrap-up "
        "flag), survey (the customer answered yes to the "
        "'resolved' question, by the time of the answer), combined (no repeat and the "
        "wrap-up did not say unresolved; the survey answer lives on another fact, so it is "
        "not part of it) and agreement (the share of flagged contacts where the repeat "
        "signal and the wrap-up flag agree)."
    ),
    fact="fact_contact",
    measures=(OBSERVED, REPEATED, CENSORED, UNIDENTIFIED),
    formula=_not_repeated,
    parameters=(WINDOW,),
    default_variant="repeat_contact",
    sample="observed",
    details={"censored": value_of("censored"), "unidentified": value_of("unidentified")},
    variants=(
        Variant(
            "disposition",
            "The agent marked the contact resolved at wrap-up, of contacts with a flag.",
            measures=(
                Measure("flagged_any", "count", filter=(IS_ANSWERED, ("resolved", "not null"))),
                Measure("flagged_resolved", "count", filter=(IS_ANSWERED, FLAG_TRUE)),
            ),
            formula=percent_of("flagged_resolved", "flagged_any"),
            sample="flagged_any",
        ),
        Variant(
            "survey",
            "The customer said the contact resolved it (survey 'resolved' question, yes = 1).",
            measures=(
                Measure("said", "count", filter=(RESOLVED_QUESTION,), fact="fact_survey_response"),
                Measure(
                    "said_yes",
                    "count",
                    filter=(RESOLVED_QUESTION, ("score", "==", 1)),
                    fact="fact_survey_response",
                ),
            ),
            formula=percent_of("said_yes", "said"),
            sample="said",
        ),
        Variant(
            "combined",
            "No repeat within the window and the wrap-up did not say unresolved.",
            measures=(FLAGGED_FALSE, FLAGGED_FALSE_REPEATED),
            formula=_combined,
        ),
        Variant(
            "agreement",
            "Share of flagged, watched contacts where repeat contact and wrap-up flag agree.",
            measures=(FLAGGED, FLAGGED_TRUE, FLAGGED_TRUE_REPEATED, FLAGGED_FALSE_REPEATED),
            formula=_agreement,
            sample="flagged",
            higher_is_better=None,
        ),
    ),
)

REPEAT_CONTACT_RATE = Kpi(
    id="repeat_contact_rate",
    title="Repeat contact rate",
    unit="%",
    higher_is_better=False,
    definition=(
        "Answered contacts followed by another contact from the same customer within "
        "window_h hours, as a share of the answered contacts watched for the whole window: "
        "1 − fcr. Contacts near the end of the data are censored, and contacts without a "
        "customer identity left out (detail 'unidentified'), as for fcr."
    ),
    fact="fact_contact",
    measures=(OBSERVED, REPEATED, CENSORED, UNIDENTIFIED),
    formula=percent_of("repeated", "observed"),
    parameters=(WINDOW,),
    sample="observed",
    details={"censored": value_of("censored"), "unidentified": value_of("unidentified")},
)


@columnar
def _query_age(m: Values, p: object) -> float | None:
    """period_end_epoch_s − (open_epoch + late_epoch) ÷ (open_cases + late_cases)"""
    mean_opening = divide(m["open_epoch"] + m["late_epoch"], m["open_cases"] + m["late_cases"])
    return None if mean_opening is None else m[PERIOD_END_EPOCH] - mean_opening


AVG_QUERY_AGE = Kpi(
    id="avg_query_age",
    title="Average query age",
    unit="s",
    higher_is_better=False,
    definition=(
        "The mean age, at the end of the report period, of the cases open then: opened "
        "before the period ended and not resolved by then. Cases are grouped by the local "
        "buckets of their opening."
    ),
    fact="fact_case_backlog",
    measures=(
        Measure("open_cases", "count", filter=(("resolved_at", "is null"),)),
        Measure("open_epoch", "sum", "opened_epoch_s", filter=(("resolved_at", "is null"),)),
        Measure("late_cases", "count", filter=(("resolved_at", ">=", PERIOD_END),)),
        Measure("late_epoch", "sum", "opened_epoch_s", filter=(("resolved_at", ">=", PERIOD_END),)),
    ),
    formula=_query_age,
    sample=("open_cases", "late_cases"),
)

AVG_RESOLUTION_TIME = Kpi(
    id="avg_resolution_time",
    title="Average resolution time",
    unit="s",
    higher_is_better=False,
    definition=(
        "Mean time from opening to resolution of the cases opened in the period and resolved."
    ),
    fact="fact_case",
    measures=(
        Measure("resolved", "count", filter=(("resolution_s", "not null"),)),
        Measure("resolution", "sum", "resolution_s"),
    ),
    formula=mean_of("resolution", "resolved"),
)

QA_SCORE = Kpi(
    id="qa_score",
    title="Quality score",
    unit="%",
    higher_is_better=True,
    definition=(
        "Quality evaluation points scored as a share of the points possible (Σ score ÷ Σ max "
        "score × 100), by the time of the evaluation; group by agent and form."
    ),
    fact="fact_qa_evaluation",
    measures=(
        Measure("evaluations", "count"),
        Measure("points", "sum", "score"),
        Measure("max_points", "sum", "max_score"),
    ),
    formula=percent_of("points", "max_points"),
)

KPIS = (FCR, REPEAT_CONTACT_RATE, AVG_QUERY_AGE, AVG_RESOLUTION_TIME, QA_SCORE)
