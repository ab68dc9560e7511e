"""The measures several KPI families share, so they are written (and computed) once.

Outcomes come from the projector: answered, abandoned, blocked, setup_failed,
self_served, timed_out; ``None`` while a contact is still in progress.
"""

from __future__ import annotations

from dataclasses import replace

from callkpi.kpi import Measure, Param

QUEUED = ("answered", "abandoned", "timed_out")
"""Outcomes of contacts that reached a queue: these are the contacts *offered*."""
FINISHED = ("answered", "abandoned", "blocked", "setup_failed", "self_served", "timed_out")
"""Every outcome: a contact with one of these is a finished attempt."""

IS_QUEUED = ("outcome", "in", QUEUED)
IS_ANSWERED = ("outcome", "==", "answered")
IS_ABANDONED = ("outcome", "==", "abandoned")
IS_HANDLED = (IS_ANSWERED, ("handle_s", "not null"))

OFFERED = Measure("offered", "count", filter=(IS_QUEUED,))
ANSWERED = Measure("answered", "count", filter=(IS_ANSWERED,))
ABANDONED = Measure("abandoned", "count", filter=(IS_ABANDONED,))
ANSWERED_FAST = Measure(
    "answered_fast", "count", filter=(IS_ANSWERED, ("wait_s", "<=", Param("threshold_s")))
)
ABANDONED_FAST = Measure(
    "abandoned_fast", "count", filter=(IS_ABANDONED, ("wait_s", "<=", Param("threshold_s")))
)
SHORT_ABANDONS = Measure(
    "short_abandons", "count", filter=(IS_ABANDONED, ("wait_s", "<", Param("short_abandon_s")))
)
HANDLED = Measure("handled", "count", filter=IS_HANDLED)
"""Answered contacts that have ended (their handle time is known): the base of handling KPIs."""

# Legs (``fact_contact_leg``): queue KPIs count queue legs, agent KPIs agent legs, so a
# transferred contact counts in every queue it entered and for every agent who handled it.
QUEUE_LEG = ("leg", "==", "queue")
AGENT_LEG = ("leg", "==", "agent")
LEG_QUEUED = ("outcome", "in", (*QUEUED, "transferred"))
"""A queue leg that has left its queue: answered, abandoned, timed out or transferred on."""
LEG_OFFERED = Measure("offered", "count", filter=(QUEUE_LEG, LEG_QUEUED))
LEG_ANSWERED = Measure("answered", "count", filter=(QUEUE_LEG, IS_ANSWERED))
LEG_ABANDONED = Measure("abandoned", "count", filter=(QUEUE_LEG, IS_ABANDONED))
LEG_ANSWERED_FAST = Measure(
    "answered_fast", "count", filter=(QUEUE_LEG, IS_ANSWERED, ("wait_s", "<=", Param("threshold_s")))
)
LEG_ABANDONED_FAST = Measure(
    "abandoned_fast", "count", filter=(QUEUE_LEG, IS_ABANDONED, ("wait_s", "<=", Param("threshold_s")))
)
LEG_SHORT_ABANDONS = Measure(
    "short_abandons",
    "count",
    filter=(QUEUE_LEG, IS_ABANDONED, ("wait_s", "<", Param("short_abandon_s"))),
)
IS_LEG_HANDLED = (AGENT_LEG, ("handle_s", "not null"))
LEG_HANDLED = Measure("handled", "count", filter=IS_LEG_HANDLED)
"""Agent legs that have ended (their handle time is known): the base of agent KPIs."""

QUEUE_LEGS_NOTE = (
    "Counts queue legs (fact_contact_leg): a contact transferred to another queue is offered, and answered or "
    "abandoned, once in each queue it entered, in the local interval it entered that queue — as Amazon Connect "
    "counts a contact record per transfer (linked by PreviousContactId; Contacts queued, Contacts handled and "
    "Contacts abandoned per queue) and Genesys Cloud an ACD segment per queue (nOffered, tAnswered, tAbandon of "
    "each queue). A leg that left its queue by a transfer without being answered is offered there, not answered "
    "or abandoned."
)
FIRST_QUEUE_NOTE = (
    "Variant first_queue is the contact view (fact_contact): each contact once, in the queue it was first "
    "offered to, with its first answer."
)
AGENT_LEGS_NOTE = (
    "Counts agent legs (fact_contact_leg): every agent who handled a contact counts it once, with their own talk, "
    "hold and after-contact work, so a transferred contact is handled by each agent it passed through — as in "
    "Amazon Connect, where a transfer starts a new contact record for the next agent (linked by PreviousContactId) "
    "with its own agent interaction, hold and ACW durations, and Genesys Cloud, whose handle time (tHandle) is "
    "summed over each agent participant's own segments."
)


def on_contacts(*measures: Measure) -> tuple[Measure, ...]:
    """``measures`` counted over contacts (``fact_contact``) instead of legs: the contact view."""
    return tuple(replace(measure, fact="fact_contact") for measure in measures)
