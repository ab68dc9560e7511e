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
    ABANDONED,
    ABANDONED_FAST,
    ANSWERED,
    ANSWERED_FAST,
    FINISHED,
    IS_ABANDONED,
    IS_ANSWERED,
    IS_QUEUED,
    OFFERED,
    SHORT_ABANDONS,
)

THRESHOLD = Parameter(
    "threshold_s", 20, "Answered within this many seconds (inclusive) counts as fast."
)
SHORT_ABANDON = Parameter(
    "short_abandon_s", 0, "Abandons after less than this many seconds are short (0: none)."
)
ATTEMPTS = Measure("attempts", "count", filter=(("outcome", "in", FINISHED),))
QUEUED_FAST = Measure(
    "queued_fast", "count", filter=(IS_QUEUED, ("wait_s", "<=", Param("threshold_s")))
)
OFFERED_NOTE = (
    "Offered means reached a queue: outcome answered, abandoned or timed out; blocked, failed and "
    "self-served contacts never queued, and a contact still in progress counts once its outcome is known."
)

offered = Kpi(
    "offered",
    "Contacts offered",
    "n",
    None,
    f"Contacts offered to a queue, by the local interval they were offered in. {OFFERED_NOTE}",
    "fact_contact",
    (OFFERED,),
    value_of("offered"),
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
)

answered = Kpi(
    "answered",
    "Contacts answered",
    "n",
    None,
    "Contacts connected to an agent (outcome answered).",
    "fact_contact",
    (ANSWERED,),
    value_of("answered"),
)

answer_rate = Kpi(
    "answer_rate",
    "Answer rate",
    "%",
    True,
    f"Share of offered contacts that were answered: answered ÷ offered × 100. {OFFERED_NOTE}",
    "fact_contact",
    (ANSWERED, OFFERED),
    percent_of("answered", "offered"),
    sample="offered",
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
    f"within the threshold) ÷ (answered + abandoned). {OFFERED_NOTE}",
    "fact_contact",
    (ANSWERED_FAST, OFFERED),
    percent_of("answered_fast", "offered"),
    parameters=(THRESHOLD, SHORT_ABANDON),
    variants=(
        Variant(
            "exclude_short_abandons",
            "answered within T ÷ (offered − short abandons)",
            measures=(SHORT_ABANDONS,),
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
            measures=(ANSWERED, ABANDONED),
            sample=("answered", "abandoned"),
            formula=columnar(lambda m, p: percent(m["answered_fast"], m["answered"] + m["abandoned"])),
        ),
        Variant(
            "asterisk_sl",
            "answered within T ÷ answered",
            measures=(ANSWERED,),
            sample="answered",
            formula=percent_of("answered_fast", "answered"),
        ),
        Variant(
            "asterisk_sl2",
            "(answered + abandoned within T) ÷ (answered + abandoned)",
            measures=(ANSWERED, ABANDONED, ABANDONED_FAST),
            sample=("answered", "abandoned"),
            formula=columnar(lambda m, p: percent(
                m["answered_fast"] + m["abandoned_fast"], m["answered"] + m["abandoned"]
            )),
        ),
    ),
    default_variant="answered_over_offered",
    sample="offered",
    target=80,
)

asa = Kpi(
    "asa",
    "Average speed of answer",
    "s",
    False,
    "Mean wait of answered contacts: Σ wait of answered ÷ answered. Variant all_contacts divides the same sum by "
    "every offered contact, which understates the wait (a common dashboard error, shown only on request).",
    "fact_contact",
    (Measure("answered_wait", "sum", "wait_s", filter=(IS_ANSWERED,)), ANSWERED),
    mean_of("answered_wait", "answered"),
    sample="answered",
    target=20,
    variants=(
        Variant(
            "all_contacts",
            "Σ wait of answered ÷ offered",
            measures=(OFFERED,),
            formula=mean_of("answered_wait", "offered"),
            sample="offered",
        ),
    ),
)

avg_queue_time = Kpi(
    "avg_queue_time",
    "Average queue time",
    "s",
    False,
    "Mean time in queue of every queued contact, whatever became of it: Σ wait ÷ queued contacts with a known wait "
    "(a timed-out contact whose source gave no wait is left out of both sums).",
    "fact_contact",
    (
        Measure("queued_wait", "sum", "wait_s", filter=(IS_QUEUED,)),
        Measure("queued_with_wait", "count", "wait_s", filter=(IS_QUEUED,)),
    ),
    mean_of("queued_wait", "queued_with_wait"),
    sample="queued_with_wait",
)

longest_wait = Kpi(
    "longest_wait",
    "Longest wait",
    "s",
    False,
    "The longest time any queued contact waited in queue (answered, abandoned or timed out). Group by weekday and "
    "hour to find the worst Tuesday.",
    "fact_contact",
    (Measure("longest_wait", "max", "wait_s", filter=(IS_QUEUED,)), OFFERED),
    value_of("longest_wait"),
    sample="offered",
)

abandon_rate = Kpi(
    "abandon_rate",
    "Abandon rate",
    "%",
    False,
    "Share of offered contacts whose caller hung up while waiting: abandoned ÷ offered × 100 (over_offered, the "
    "default). exclude_short_abandons removes abandons after less than short_abandon_s seconds from numerator "
    "and denominator; over_answered_and_abandoned divides by answered + abandoned, leaving timed-out contacts out. "
    f"{OFFERED_NOTE}",
    "fact_contact",
    (ABANDONED, OFFERED),
    percent_of("abandoned", "offered"),
    parameters=(SHORT_ABANDON,),
    default_variant="over_offered",
    sample="offered",
    target=5,
    variants=(
        Variant(
            "exclude_short_abandons",
            "(abandoned − short abandons) ÷ (offered − short abandons)",
            measures=(SHORT_ABANDONS,),
            formula=columnar(lambda m, p: percent(
                m["abandoned"] - m["short_abandons"], m["offered"] - m["short_abandons"]
            )),
        ),
        Variant(
            "over_answered_and_abandoned",
            "abandoned ÷ (answered + abandoned)",
            measures=(ANSWERED,),
            sample=("answered", "abandoned"),
            formula=columnar(lambda m, p: percent(m["abandoned"], m["answered"] + m["abandoned"])),
        ),
    ),
)

abandoned_within = Kpi(
    "abandoned_within",
    "Abandoned within",
    "%",
    False,
    "The impatience curve: share of offered contacts abandoned with a wait of at most within_s seconds "
    f"(inclusive) ÷ offered × 100; within_60s (default) and within_180s. {OFFERED_NOTE}",
    "fact_contact",
    (
        Measure(
            "abandoned_within", "count", filter=(IS_ABANDONED, ("wait_s", "<=", Param("within_s")))
        ),
        OFFERED,
    ),
    percent_of("abandoned_within", "offered"),
    sample="offered",
    parameters=(Parameter("within_s", 60, "Abandoned after a wait of at most this many seconds."),),
    default_variant="within_60s",
    variants=(
        Variant("within_180s", "abandoned within 180 s ÷ offered", parameters={"within_s": 180}),
    ),
)

avg_abandon_time = Kpi(
    "avg_abandon_time",
    "Average abandon time",
    "s",
    None,
    "How long callers waited before giving up: Σ wait of abandoned ÷ abandoned contacts with a known wait.",
    "fact_contact",
    (
        Measure("abandon_wait", "sum", "wait_s", filter=(IS_ABANDONED,)),
        Measure("abandoned_with_wait", "count", "wait_s", filter=(IS_ABANDONED,)),
    ),
    mean_of("abandon_wait", "abandoned_with_wait"),
    sample="abandoned_with_wait",
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
