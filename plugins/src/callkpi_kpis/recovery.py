"""Recovery of missed contacts: was the customer of an abandoned or timed-out contact reached
again, and how soon (``recovered_after_s`` and ``recovered_by``, from the projector's
``callkpi.projector.recovery``)?

A missed contact is watched for ``window_min`` minutes after it was offered. One offered less
than that before the *end of the data* (the latest offered contact of the centre) has not
been watched for the whole window: it is **censored**, reported in the ``censored`` detail
and neither recovered nor unrecovered, as FCR censors (``resolution``). A missed contact
without a customer identity cannot be recognised again: reported as ``unidentified``.
"""

from __future__ import annotations

from callkpi.kpi import Kpi, Measure, Param, Parameter, Variant, mean_of, percent_of, value_of
from callkpi.kpi.model import DataEnd

MISSED = ("outcome", "in", ("abandoned", "timed_out"))
IDENTIFIED = ("customer_hmac", "not null")
# DataEnd takes hours: minutes ÷ 60
WINDOW_END = DataEnd(Param("window_min", 1 / 60))
WATCHED = (MISSED, IDENTIFIED, ("offered_at", "<=", WINDOW_END))
RECOVERED_IN_WINDOW = ("recovered_after_s", "<=", Param("window_min", 60))
BY_CALLBACK = ("recovered_by", "==", "callback")
WINDOW = Parameter(
    "window_min", 60, "Minutes after a missed contact within which reaching the customer counts as recovery."
)
ANCHORS = (
    "Callbacks as Amazon Connect records them: a contact with InitiationMethod CALLBACK whose "
    "PreviousContactId is the contact that asked for it "
    "(https://docs.aws.amazon.com/connect/latest/adminguide/ctr-data-model.html, "
    "https://docs.aws.amazon.com/connect/latest/adminguide/queued-callback-example.html); "
    "abandons as Asterisk app_queue's ABANDON and Amazon Connect's 'Contact abandoned' "
    "(https://docs.aws.amazon.com/connect/latest/adminguide/historical-metrics-definitions.html)."
)

WATCHED_MISSED = Measure("watched", "count", filter=WATCHED)
RECOVERED = Measure("recovered", "count", filter=(*WATCHED, RECOVERED_IN_WINDOW))
CENSORED = Measure(
    "censored", "count", filter=(MISSED, IDENTIFIED, ("offered_at", ">", WINDOW_END))
)
UNIDENTIFIED = Measure("unidentified", "count", filter=(MISSED, ("customer_hmac", "is null")))

ABANDON_RECOVERY_RATE = Kpi(
    id="abandon_recovery_rate",
    title="Abandon recovery rate",
    unit="%",
    higher_is_better=True,
    definition=(
        "Abandoned and timed-out contacts whose customer was reached again within window_min "
        "minutes — a later contact of the same customer (same caller-number HMAC) that an agent "
        "answered inbound, or an outbound call or callback that connected — as a share of the "
        "missed contacts watched for the whole window; the time runs from when the caller gave "
        "up to the answer. Missed contacts offered within window_min of the end of the data "
        "are censored (detail 'censored'); those without a customer identity are reported as "
        "'unidentified'. Variant callback: reached by a callback (a contact that names the "
        f"contact it calls back, such as Amazon Connect's callback contacts). {ANCHORS}"
    ),
    fact="fact_contact",
    measures=(WATCHED_MISSED, RECOVERED, CENSORED, UNIDENTIFIED),
    formula=percent_of("recovered", "watched"),
    parameters=(WINDOW,),
    default_variant="any_contact",
    sample="watched",
    details={"censored": value_of("censored"), "unidentified": value_of("unidentified")},
    variants=(
        Variant(
            "callback",
            "Reached again within the window by a callback, of the missed contacts watched.",
            measures=(Measure("by_callback", "count", filter=(*WATCHED, RECOVERED_IN_WINDOW, BY_CALLBACK)),),
            formula=percent_of("by_callback", "watched"),
        ),
    ),
)

TIME_TO_RECOVERY = Kpi(
    id="time_to_recovery",
    title="Time to recovery",
    unit="s",
    higher_is_better=False,
    definition=(
        "Mean time from a missed (abandoned or timed-out) contact's give-up to the answer of the "
        "customer's next answered contact, inbound, outbound or callback, over the missed contacts "
        f"whose customer was reached again (at any time). {ANCHORS}"
    ),
    fact="fact_contact",
    measures=(
        Measure("recovery_time", "sum", "recovered_after_s", filter=(MISSED,)),
        Measure("recovered_any", "count", "recovered_after_s", filter=(MISSED,)),
    ),
    formula=mean_of("recovery_time", "recovered_any"),
    sample="recovered_any",
)

KPIS = (ABANDON_RECOVERY_RATE, TIME_TO_RECOVERY)
