"""KPIS.md "Access and queue": can customers reach us, and how long do they wait?"""

from __future__ import annotations

from callkpi.kpi import (
    PERIOD_HOURS,
    Kpi,
    Measure,
    Param,
    Parameter,
    Variant,
    columnar,
    divide,
    mean_of,
    percent,
    percent_of,
    value_of,
)

from .measures import (
    FINISHED,
    FIRST_QUEUE_NOTE,
    IS_ABANDONED,
    IS_ANSWERED,
    LEG_ABANDONED,
    LEG_ABANDONED_FAST,
    LEG_ANSWERED,
    LEG_ANSWERED_FAST,
    LEG_OFFERED,
    LEG_QUEUED,
    LEG_SHORT_ABANDONS,
    OFFERED,
    QUEUE_LEG,
    QUEUE_LEGS_NOTE,
    on_contacts,
)

# The queue KPIs count queue legs; their first_queue variants the contacts (measures.on_contacts).
CONTACT_ANSWERED, CONTACT_ABANDONED, CONTACT_ANSWERED_FAST, CONTACT_OFFERED = on_contacts(
    Measure("answered", "count", filter=(IS_ANSWERED,)),
    Measure("abandoned", "count", filter=(IS_ABANDONED,)),
    Measure("answered_fast", "count", filter=(IS_ANSWERED, ("wait_s", "<=", Param("threshold_s")))),
    OFFERED,
)

THRESHOLD = Parameter(
    "threshold_s", 20, "Answered within this many seconds (inclusive) counts as fast."
)
SHORT_ABANDON = Parameter(
    "short_abandon_s", 0, "Abandons after less than this many seconds are short (0: none)."
)
ATTEMPTS = Measure("attempts", "count", filter=(("outcome", "in", FINISHED),))
QUEUED_FAST = Measure(
    "queued_fast", "count", filter=(QUEUE_LEG, LEG_QUEUED, ("wait_s", "<=", Param("threshold_s")))
)
OFFERED_NOTE = (
    "Offered means reached a queue: outcome answered, abandoned or timed out; blocked, failed and "
    "self-served contacts never queued, and a contact still in progress counts once its outcome is known."
)
LEG_OFFERED_NOTE = (
    "Offered means entered the queue and left it: answered, abandoned, timed out or transferred on; blocked, "
    "failed and self-served contacts never queued, and a leg still waiting counts once it leaves. "
    f"{QUEUE_LEGS_NOTE}"
)


NO_QUEUE_NOR_AGENT = ("agent", "team", "site")
"""Contacts that never reached a queue have neither an agent nor a queue to take a team from."""


def first_queue(*measures: Measure, sample: str | tuple[str, ...] | None = None) -> Variant:
    """The contact view of a queue KPI: the same formula over contacts by their first queue."""
    return Variant(
        "first_queue",
        "the same over contacts, each in the queue it was first offered to (fact_contact)",
        measures=measures,
        sample=sample,
    )

offered = Kpi(
    "offered",
    "Contacts offered",
    "n",
    None,
    f"Contacts offered to a queue, by the local interval they were offered in. {LEG_OFFERED_NOTE} "
    f"{FIRST_QUEUE_NOTE}",
    "fact_contact_leg",
    (LEG_OFFERED,),
    value_of("offered"),
    variants=(first_queue(CONTACT_OFFERED),),
    queue_attributed=True,
    not_by=("agent",),
)

received = Kpi(
    "received",
    "Contacts received",
    "n",
    None,
    "Contacts that reached the centre, queued or turned away: offered + blocked (a full or closed queue, no "
    "agents to join, or — Wazo's DIVERT_CA_RATIO / DIVERT_HOLDTIME — a saturated queue diverting the call before "
    "it queued). The total PBX-style reports start from: Wazo's queue statistics count a call as received "
    "whether it was answered, abandoned, timed out, closed, blocked or saturated; blocked_rate is blocked ÷ "
    f"received. {OFFERED_NOTE}",
    "fact_contact",
    (OFFERED, Measure("blocked", "count", filter=(("outcome", "==", "blocked"),))),
    columnar(lambda m, p: m["offered"] + m["blocked"]),
    queue_attributed=True,
    not_by=("agent",),
)

arrival_rate = Kpi(
    "arrival_rate",
    "Arrival rate",
    "per_hour",
    None,
    "Contacts offered per hour of the period the report row covers, in the centre's local time: a row per date "
    "divides by that day's hours (23 or 25 on daylight-saving days), a row per hour of day by the number of days "
    "in the period, a row per weekday by the hours of those weekdays. Group by hour and weekday over 30 days for "
    f"the classic arrival pattern. {OFFERED_NOTE} Variant per_day counts per day instead.",
    "fact_contact",
    (OFFERED,),
    columnar(lambda m, p: divide(m["offered"], m[PERIOD_HOURS])),
    variants=(
        Variant(
            "per_day",
            "offered ÷ days covered (hours ÷ 24)",
            unit="per_day",
            formula=columnar(lambda m, p: divide(m["offered"], divide(m[PERIOD_HOURS], 24))),
        ),
    ),
    default_variant="per_hour",
    queue_attributed=True,
    not_by=("agent",),
)

answered = Kpi(
    "answered",
    "Contacts answered",
    "n",
    None,
    f"Contacts connected to an agent from a queue (outcome answered). {QUEUE_LEGS_NOTE} {FIRST_QUEUE_NOTE}",
    "fact_contact_leg",
    (LEG_ANSWERED,),
    value_of("answered"),
    variants=(first_queue(CONTACT_ANSWERED),),
)

answer_rate = Kpi(
    "answer_rate",
    "Answer rate",
    "%",
    True,
    f"Share of offered contacts that were answered: answered ÷ offered × 100. {LEG_OFFERED_NOTE} "
    f"{FIRST_QUEUE_NOTE}",
    "fact_contact_leg",
    (LEG_ANSWERED, LEG_OFFERED),
    percent_of("answered", "offered"),
    sample="offered",
    variants=(first_queue(CONTACT_ANSWERED, CONTACT_OFFERED),),
    queue_attributed=True,
    not_by=("agent",),
)

service_level = Kpi(
    "service_level",
    "Service level",
    "%",
    True,
    "Share of contacts answered fast: answered with a wait of at most threshold_s seconds (inclusive) ÷ offered × "
    "100. The wait is the time in queue, offer to answer. Vendors disagree on the denominator, so every variant is "
    "named: answered_over_offered (default) counts every offered contact, timed-out ones included; "
    "exclude_short_abandons drops abandons after less than short_abandon_s seconds from the denominator "
    "(Talkdesk); abandons_in_threshold_met counts every queued contact that left the queue (answered, abandoned "
    "or timed out) within the threshold ÷ offered (Amazon Connect); answered_over_answered_and_abandoned divides "
    "by answered + abandoned (Genesys); asterisk_sl divides by answered only; asterisk_sl2 is (answered + abandoned "
    f"within the threshold) ÷ (answered + abandoned). {LEG_OFFERED_NOTE} Variant first_queue is the default's "
    "formula over contacts, each in the queue it was first offered to (fact_contact).",
    "fact_contact_leg",
    (LEG_ANSWERED_FAST, LEG_OFFERED),
    percent_of("answered_fast", "offered"),
    parameters=(THRESHOLD, SHORT_ABANDON),
    variants=(
        first_queue(CONTACT_ANSWERED_FAST, CONTACT_OFFERED),
        Variant(
            "exclude_short_abandons",
            "answered within T ÷ (offered − short abandons)",
            measures=(LEG_SHORT_ABANDONS,),
            formula=columnar(lambda m, p: percent(m["answered_fast"], m["offered"] - m["short_abandons"])),
        ),
        Variant(
            "abandons_in_threshold_met",
            "queued contacts removed from the queue within T ÷ offered",
            measures=(QUEUED_FAST,),
            formula=percent_of("queued_fast", "offered"),
        ),
        Variant(
            "answered_over_answered_and_abandoned",
            "answered within T ÷ (answered + abandoned)",
            measures=(LEG_ANSWERED, LEG_ABANDONED),
            sample=("answered", "abandoned"),
            formula=columnar(lambda m, p: percent(m["answered_fast"], m["answered"] + m["abandoned"])),
        ),
        Variant(
            "asterisk_sl",
            "answered within T ÷ answered",
            measures=(LEG_ANSWERED,),
            sample="answered",
            formula=percent_of("answered_fast", "answered"),
        ),
        Variant(
            "asterisk_sl2",
            "(answered + abandoned within T) ÷ (answered + abandoned)",
            measures=(LEG_ANSWERED, LEG_ABANDONED, LEG_ABANDONED_FAST),
            sample=("answered", "abandoned"),
            formula=columnar(lambda m, p: percent(
                m["answered_fast"] + m["abandoned_fast"], m["answered"] + m["abandoned"]
            )),
        ),
    ),
    default_variant="answered_over_offered",
    sample="offered",
    target=80,
    queue_attributed=True,
    not_by=("agent",),
)

asa = Kpi(
    "asa",
    "Average speed of answer",
    "s",
    False,
    "Mean wait of answered contacts: Σ wait of answered ÷ answered. Variant all_contacts divides the same sum by "
    "every offered contact, which understates the wait (a common dashboard error, shown only on request). The "
    f"wait is the leg's own, from entering that queue to the answer there. {QUEUE_LEGS_NOTE} {FIRST_QUEUE_NOTE}",
    "fact_contact_leg",
    (Measure("answered_wait", "sum", "wait_s", filter=(QUEUE_LEG, IS_ANSWERED)), LEG_ANSWERED),
    mean_of("answered_wait", "answered"),
    sample="answered",
    target=20,
    variants=(
        Variant(
            "all_contacts",
            "Σ wait of answered ÷ offered",
            measures=(LEG_OFFERED,),
            formula=mean_of("answered_wait", "offered"),
            sample="offered",
        ),
        first_queue(
            *on_contacts(Measure("answered_wait", "sum", "wait_s", filter=(IS_ANSWERED,))),
            CONTACT_ANSWERED,
        ),
    ),
    queue_attributed=True,
    not_by=("agent",),
)

avg_queue_time = Kpi(
    "avg_queue_time",
    "Average queue time",
    "s",
    False,
    "Mean time in queue of every queued contact, whatever became of it: Σ wait ÷ queued contacts with a known wait "
    "(a timed-out contact whose source gave no wait is left out of both sums); a leg transferred on from its "
    f"queue counts with its wait there. {QUEUE_LEGS_NOTE}",
    "fact_contact_leg",
    (
        Measure("queued_wait", "sum", "wait_s", filter=(QUEUE_LEG, LEG_QUEUED)),
        Measure("queued_with_wait", "count", "wait_s", filter=(QUEUE_LEG, LEG_QUEUED)),
    ),
    mean_of("queued_wait", "queued_with_wait"),
    sample="queued_with_wait",
    queue_attributed=True,
    not_by=("agent",),
)

longest_wait = Kpi(
    "longest_wait",
    "Longest wait",
    "s",
    False,
    "The longest time any queued contact waited in queue (answered, abandoned or timed out). Group by weekday and "
    f"hour to find the worst Tuesday. One leg's wait, in one queue. {QUEUE_LEGS_NOTE}",
    "fact_contact_leg",
    (Measure("longest_wait", "max", "wait_s", filter=(QUEUE_LEG, LEG_QUEUED)), LEG_OFFERED),
    value_of("longest_wait"),
    sample="offered",
    queue_attributed=True,
    not_by=("agent",),
)

abandon_rate = Kpi(
    "abandon_rate",
    "Abandon rate",
    "%",
    False,
    "Share of offered contacts whose caller hung up while waiting: abandoned ÷ offered × 100 (over_offered, the "
    "default). exclude_short_abandons removes abandons after less than short_abandon_s seconds from numerator "
    "and denominator; over_answered_and_abandoned divides by answered + abandoned, leaving timed-out contacts out. "
    f"A caller who hangs up in the second queue after a transfer is abandoned there. {LEG_OFFERED_NOTE} "
    "Variant first_queue is over_offered over contacts, each in the queue it was first offered to (fact_contact).",
    "fact_contact_leg",
    (LEG_ABANDONED, LEG_OFFERED),
    percent_of("abandoned", "offered"),
    parameters=(SHORT_ABANDON,),
    default_variant="over_offered",
    sample="offered",
    target=5,
    variants=(
        first_queue(CONTACT_ABANDONED, CONTACT_OFFERED),
        Variant(
            "exclude_short_abandons",
            "(abandoned − short abandons) ÷ (offered − short abandons)",
            measures=(LEG_SHORT_ABANDONS,),
            formula=columnar(lambda m, p: percent(
                m["abandoned"] - m["short_abandons"], m["offered"] - m["short_abandons"]
            )),
        ),
        Variant(
            "over_answered_and_abandoned",
            "abandoned ÷ (answered + abandoned)",
            measures=(LEG_ANSWERED,),
            sample=("answered", "abandoned"),
            formula=columnar(lambda m, p: percent(m["abandoned"], m["answered"] + m["abandoned"])),
        ),
    ),
    queue_attributed=True,
    not_by=("agent",),
)

abandoned_within = Kpi(
    "abandoned_within",
    "Abandoned within",
    "%",
    False,
    "The impatience curve: share of offered contacts abandoned with a wait of at most within_s seconds "
    f"(inclusive) ÷ offered × 100; within_60s (default) and within_180s. {LEG_OFFERED_NOTE}",
    "fact_contact_leg",
    (
        Measure(
            "abandoned_within",
            "count",
            filter=(QUEUE_LEG, IS_ABANDONED, ("wait_s", "<=", Param("within_s"))),
        ),
        LEG_OFFERED,
    ),
    percent_of("abandoned_within", "offered"),
    sample="offered",
    parameters=(Parameter("within_s", 60, "Abandoned after a wait of at most this many seconds."),),
    default_variant="within_60s",
    variants=(
        Variant("within_180s", "abandoned within 180 s ÷ offered", parameters={"within_s": 180}),
    ),
    queue_attributed=True,
    not_by=("agent",),
)

avg_abandon_time = Kpi(
    "avg_abandon_time",
    "Average abandon time",
    "s",
    None,
    "How long callers waited before giving up: Σ wait of abandoned ÷ abandoned contacts with a known wait; after "
    f"a transfer, the wait in the queue they gave up in. {QUEUE_LEGS_NOTE}",
    "fact_contact_leg",
    (
        Measure("abandon_wait", "sum", "wait_s", filter=(QUEUE_LEG, IS_ABANDONED)),
        Measure("abandoned_with_wait", "count", "wait_s", filter=(QUEUE_LEG, IS_ABANDONED)),
    ),
    mean_of("abandon_wait", "abandoned_with_wait"),
    sample="abandoned_with_wait",
    queue_attributed=True,
    not_by=("agent",),
)

blocked_rate = Kpi(
    "blocked_rate",
    "Blocked rate",
    "%",
    False,
    f"Share of contacts that got a busy signal: blocked ÷ (offered + blocked) × 100. {OFFERED_NOTE}",
    "fact_contact",
    (Measure("blocked", "count", filter=(("outcome", "==", "blocked"),)), OFFERED),
    columnar(lambda m, p: percent(m["blocked"], m["offered"] + m["blocked"])),
    sample=("offered", "blocked"),
    queue_attributed=True,
    not_by=("agent",),
)

setup_success_rate = Kpi(
    "setup_success_rate",
    "Setup success rate",
    "%",
    True,
    "Share of attempts that connected at all: (attempts − setup failures) ÷ attempts × 100, where an attempt is "
    "any contact with a known outcome (answered, abandoned, blocked, setup_failed, self_served, timed_out).",
    "fact_contact",
    (ATTEMPTS, Measure("setup_failed", "count", filter=(("outcome", "==", "setup_failed"),))),
    columnar(lambda m, p: percent(m["attempts"] - m["setup_failed"], m["attempts"])),
    not_by=NO_QUEUE_NOR_AGENT,
)

self_service_rate = Kpi(
    "self_service_rate",
    "Self-service rate",
    "%",
    True,
    "Share of contacts solved without an agent (IVR, web, bot): self-served ÷ all contacts with a known outcome "
    "× 100 (blocked and failed attempts included in the denominator).",
    "fact_contact",
    (Measure("self_served", "count", filter=(("outcome", "==", "self_served"),)), ATTEMPTS),
    percent_of("self_served", "attempts"),
    sample="attempts",
    not_by=NO_QUEUE_NOR_AGENT,
)

first_response_time = Kpi(
    "first_response_time",
    "First response time",
    "s",
    False,
    "Non-voice contacts: mean time from offer to the agent's first reply over answered contacts of a channel other "
    "than voice that have a first response time. Group by hour and weekday to see when replies are slow.",
    "fact_contact",
    (
        Measure(
            "first_response",
            "sum",
            "first_response_s",
            filter=(IS_ANSWERED, ("channel", "!=", "voice")),
        ),
        Measure(
            "responded",
            "count",
            "first_response_s",
            filter=(IS_ANSWERED, ("channel", "!=", "voice")),
        ),
    ),
    mean_of("first_response", "responded"),
    sample="responded",
)

KPIS = (
    offered,
    received,
    arrival_rate,
    answered,
    answer_rate,
    service_level,
    asa,
    avg_queue_time,
    longest_wait,
    abandon_rate,
    abandoned_within,
    avg_abandon_time,
    blocked_rate,
    setup_success_rate,
    self_service_rate,
    first_response_time,
)
