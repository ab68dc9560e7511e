"""Attributing a survey through the contact it is about (DESIGN.md, "Facts": a survey
response carries that contact's queue, agent, channel and wait).

A survey event may carry only the contact id (a CSV export's satisfaction column, a
third-party survey tool). When the contact's fact row exists, the survey takes from it:
``queue``, ``channel`` (the contact's media: voice, chat …; the survey's own sms/web is
``survey_channel``), ``wait_s``, and the agent :func:`attributed_leg` picks by the centre's
``survey_agent_policy``, with ``agent_at``, the time that agent answered, at which reports
look up the agent's team. Where the contact is unknown (yet) or has no agent, the survey's
own events' values stand. Surveys are refolded whenever their contact's facts change
(:func:`reattribute_surveys`), so the order in which a contact and its answers arrive does
not matter.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, NamedTuple

from sqlalchemy import Connection, select

from ..store.tables import ContactFact, ContactLegFact
from .upsert import chunks

AgentPolicy = Literal["last", "first", "longest"]
POLICIES: tuple[AgentPolicy, ...] = ("last", "first", "longest")
CONTACTS = ContactFact.__table__
LEGS = ContactLegFact.__table__
_CONTACT_COLUMNS = ("contactid", "queue", "channel", "wait_s", "agentid", "answered_at", "handle_s")


class Leg(NamedTuple):
    """One agent's part in a contact: who, when they answered, how long they handled it."""

    agentid: str
    answered_at: datetime | None
    handle_s: float | None


def attributed_leg(legs: Sequence[Leg], policy: AgentPolicy) -> Leg | None:
    """The leg whose agent a survey of the contact is credited to: the ``last`` agent to
    answer (the one the customer spoke to at the end, the default), the ``first``, or the
    one who handled it ``longest`` (the earliest of equals). Legs are ordered by answer
    time, then agent id; None when no agent handled the contact."""
    ordered = sorted(legs, key=lambda leg: (leg.answered_at is None, leg.answered_at, leg.agentid))
    if not ordered:
        return None
    if policy == "first":
        return ordered[0]
    if policy == "last":
        return ordered[-1]
    return max(ordered, key=lambda leg: leg.handle_s or 0.0)


def contact_legs(contact: dict[str, Any]) -> list[Leg]:
    """The agent legs of a contact (``fact_contact_leg``); a contact stored without legs (an
    answered summary before its legs were written) has its answering agent as its one leg."""
    if contact["legs"]:
        return contact["legs"]
    if contact["agentid"] is None:
        return []
    return [Leg(contact["agentid"], contact["answered_at"], contact["handle_s"])]


def stored_contacts(
    connection: Connection, centre: str, contactids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The attribution columns of the stored ``fact_contact`` rows of ``contactids``, each
    with its agent legs (``legs``)."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in chunks(sorted(set(contactids))):
        query = select(*(CONTACTS.c[name] for name in _CONTACT_COLUMNS)).where(
            CONTACTS.c.centre == centre, CONTACTS.c.contactid.in_(chunk)
        )
        found.update({row.contactid: {**row._asdict(), "legs": []} for row in connection.execute(query)})
        legs = select(LEGS.c.contactid, LEGS.c.agentid, LEGS.c.answered_at, LEGS.c.handle_s).where(
            LEGS.c.centre == centre, LEGS.c.contactid.in_(chunk), LEGS.c.leg == "agent"
        )
        for row in connection.execute(legs):
            if row.contactid in found and row.agentid is not None:
                found[row.contactid]["legs"].append(Leg(row.agentid, row.answered_at, row.handle_s))
    return found


def attribute(survey: dict[str, Any], contact: dict[str, Any] | None, policy: AgentPolicy) -> None:
    """Give ``survey`` (a row with the columns of ``ContactAttribution``) its contact's queue,
    channel, wait and policy's agent, where the contact has them."""
    if contact is None:
        return
    for column in ("queue", "channel", "wait_s"):
        if contact[column] is not None:
            survey[column] = contact[column]
    leg = attributed_leg(contact_legs(contact), policy)
    if leg is not None:
        survey["agentid"], survey["agent_at"] = leg.agentid, leg.answered_at
