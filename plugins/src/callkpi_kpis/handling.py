"""KPIS.md "Handling": how long contacts take once answered, and how agents spend that time."""

from __future__ import annotations

from callkpi.kpi import Kpi, Measure, Variant, columnar, divide, mean_of, percent_of, value_of

from .measures import AGENT_LEGS_NOTE, IS_HANDLED, IS_LEG_HANDLED, LEG_HANDLED, on_contacts

HANDLED_NOTE = (
    "Handled means an agent answered it and their part has ended (the contact ended, or they passed it on), so "
    f"their talk, hold and after-contact work are known; a leg still in progress counts once it ends. {AGENT_LEGS_NOTE}"
)
HELD = Measure("held", "count", filter=(*IS_LEG_HANDLED, ("hold_count", ">", 0)))
HOLD = Measure("hold", "sum", "hold_s", filter=IS_LEG_HANDLED)
STAFFED = Measure("staffed", "sum", "staffed_s", fact="fact_agent_interval")

aht = Kpi(
    "aht",
    "Average handle time",
    "s",
    False,
    "Mean handle time: Σ (talk + hold + after-contact work) ÷ handled contacts; talk excludes hold. Variant "
    "talk_includes_hold is Avaya's form, (talk including hold + ACW) ÷ handled: callkpi's facts keep hold apart "
    "from talk, so it adds hold to talk and gives the default's value — it is named so a comparison with Avaya "
    "says which definition it matched. Variant excludes_acw leaves after-contact work out: (talk + hold) ÷ handled. "
    + "Variant per_contact is the contact view (fact_contact): Σ handle of each contact, the agent who answered "
    "first taking the whole of it, ÷ handled contacts. "
    + HANDLED_NOTE,
    "fact_contact_leg",
    (Measure("handle", "sum", "handle_s", filter=IS_LEG_HANDLED), LEG_HANDLED),
    mean_of("handle", "handled"),
    sample="handled",
    variants=(
        Variant(
            "talk_includes_hold",
            "(talk including hold + ACW) ÷ handled",
            measures=(Measure("handle", "sum", ("talk_s", "hold_s", "acw_s"), filter=IS_LEG_HANDLED),),
        ),
        Variant(
            "excludes_acw",
            "(talk + hold) ÷ handled",
            measures=(Measure("handle", "sum", ("talk_s", "hold_s"), filter=IS_LEG_HANDLED),),
        ),
        Variant(
            "per_contact",
            "Σ handle of handled contacts ÷ handled contacts, by the first agent (fact_contact)",
            measures=on_contacts(
                Measure("handle", "sum", "handle_s", filter=IS_HANDLED),
                Measure("handled", "count", filter=IS_HANDLED),
            ),
        ),
    ),
)

avg_talk_time = Kpi(
    "avg_talk_time",
    "Average talk time",
    "s",
    False,
    f"Mean talk time, hold excluded: Σ talk ÷ handled contacts. {HANDLED_NOTE}",
    "fact_contact_leg",
    (Measure("talk", "sum", "talk_s", filter=IS_LEG_HANDLED), LEG_HANDLED),
    mean_of("talk", "handled"),
    sample="handled",
)

avg_call_length = Kpi(
    "avg_call_length",
    "Average call length",
    "s",
    None,
    f"Mean time connected to the agent, hold included, ACW not: Σ (talk + hold) ÷ handled contacts. {HANDLED_NOTE}",
    "fact_contact_leg",
    (Measure("connected", "sum", ("talk_s", "hold_s"), filter=IS_LEG_HANDLED), LEG_HANDLED),
    mean_of("connected", "handled"),
    sample="handled",
)

avg_hold_time = Kpi(
    "avg_hold_time",
    "Average hold time",
    "s",
    False,
    "Mean hold time of the contacts put on hold: Σ hold ÷ handled contacts with at least one hold. Variant "
    f"per_answered spreads the same hold over every handled contact. {HANDLED_NOTE}",
    "fact_contact_leg",
    (HOLD, HELD),
    mean_of("hold", "held"),
    sample="held",
    variants=(
        Variant(
            "per_answered",
            "Σ hold ÷ handled",
            measures=(LEG_HANDLED,),
            formula=mean_of("hold", "handled"),
            sample="handled",
        ),
    ),
)

hold_rate = Kpi(
    "hold_rate",
    "Hold rate",
    "%",
    False,
    f"Share of handled contacts put on hold at least once: held ÷ handled × 100. {HANDLED_NOTE}",
    "fact_contact_leg",
    (HELD, LEG_HANDLED),
    percent_of("held", "handled"),
    sample="handled",
)

longest_hold = Kpi(
    "longest_hold",
    "Longest hold",
    "s",
    False,
    "The longest single hold episode of any handled contact (not the longest total hold of one contact).",
    "fact_contact_leg",
    (Measure("longest_hold", "max", "longest_hold_s", filter=IS_LEG_HANDLED), HELD),
    value_of("longest_hold"),
    sample="held",
)

avg_acw = Kpi(
    "avg_acw",
    "Average after-contact work",
    "s",
    False,
    f"Mean after-contact work (wrap-up): Σ ACW ÷ handled contacts; a contact without wrap-up adds 0. {HANDLED_NOTE}",
    "fact_contact_leg",
    (Measure("acw", "sum", "acw_s", filter=IS_LEG_HANDLED), LEG_HANDLED),
    mean_of("acw", "handled"),
    sample="handled",
)

transfer_rate = Kpi(
    "transfer_rate",
    "Transfer rate",
    "%",
    None,
    "Share of handled contacts the agent transferred out (blind, attended or consult): agent legs that ended in a "
    f"transfer ÷ handled agent legs × 100; the agent who took the transfer is not charged with it. {HANDLED_NOTE}",
    "fact_contact_leg",
    (
        Measure("transferred", "count", filter=(*IS_LEG_HANDLED, ("outcome", "==", "transferred"))),
        LEG_HANDLED,
    ),
    percent_of("transferred", "handled"),
    sample="handled",
)

contacts_per_hour = Kpi(
    "contacts_per_hour",
    "Contacts per staffed hour",
    "per_hour",
    True,
    "Handled contacts per staffed (logged-in) hour: handled ÷ (Σ staffed seconds ÷ 3600). It reads two fact tables "
    "— agent legs by their agent and the local interval they were offered in, staffed time from the "
    "agent-interval facts — joined on the report's dimensions, so it can be grouped only by dimensions both share "
    f"(centre, agent, team, site, date … weekday; not queue, channel or direction). {HANDLED_NOTE}",
    "fact_contact_leg",
    (LEG_HANDLED, STAFFED),
    columnar(lambda m, p: divide(m["handled"], divide(m["staffed"], 3600))),
    sample="handled",
)

case_volume = Kpi(
    "case_volume",
    "Contacts per agent shift",
    "n",
    None,
    "Handled contacts per agent-shift worked: handled ÷ shifts, where a shift is one agent's local day with "
    "staffed time (a shift across midnight counts twice). Like contacts_per_hour it joins the agent-leg and "
    f"agent-interval facts on the report's dimensions. {HANDLED_NOTE}",
    "fact_contact_leg",
    (
        LEG_HANDLED,
        Measure(
            "shifts",
            "count_distinct",
            ("agentid", "local_date"),
            filter=(("staffed_s", ">", 0),),
            fact="fact_agent_interval",
        ),
    ),
    mean_of("handled", "shifts"),
    sample="shifts",
)

KPIS = (
    aht,
    avg_talk_time,
    avg_call_length,
    avg_hold_time,
    hold_rate,
    longest_hold,
    avg_acw,
    transfer_rate,
    contacts_per_hour,
    case_volume,
)
