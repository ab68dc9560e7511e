"""Which partitions the events received since the last refresh can have changed.

The rules mirror the projector's (see ``callkpi.projector``), erring on the side of
rewriting too much:

* ``fact_contact``: the months of every contact the new events name, and of every other
  contact of the same customers (their gap to the next contact may have changed); plus
  the months those contacts had in the snapshot, because an early event arriving late
  can move a contact to another month.
* ``fact_contact_leg``: the months the legs of every contact the new events name are in,
  plus the months those contacts' legs had in the snapshot (a leg is in the month of its
  own offer, which a late event can move).
* ``fact_agent_interval``: per agent, the months its rows can change in — from the state
  event before the agent's earliest new one to the state event after its latest, and the
  time every new schedule covers — widened by the adherence tolerance and one interval.
* every other fact table (surveys, cases …): all of the centre's months. They are small
  beside contacts, and their rows' months may depend on events received long before.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Select, func, or_, select

from ..projector.agent_queries import neighbour_times
from ..projector.buckets import INTERVAL
from ..projector.schedule import segments
from ..store.centres import CentreConfig
from ..store.tables import ContactFact, ContactLegFact, StoredEvent
from .layout import as_date

EVENTS = StoredEvent.__table__
CONTACTS = ContactFact.__table__
LEGS = ContactLegFact.__table__
STATE = "agent.state_changed"
SCHEDULE = "schedule.published"
EVERY_MONTH = None
"""A table whose every month of the centre is to be rewritten."""

Dirty = dict[str, set[date] | None]


def changed_partitions(
    connection: Connection, centre: CentreConfig, since: datetime | None, tables: list[str]
) -> Dirty:
    """Per fact table in ``tables``: the months of ``centre`` to rewrite for the events
    received after ``since`` (``None``: every event). Empty when no event arrived."""
    received = (
        EVENTS.c.received_at > since if since is not None else EVENTS.c.received_at.is_not(None)
    )
    new = (EVENTS.c.centre == centre.name, received)
    if connection.execute(select(EVENTS.c.id).where(*new).limit(1)).first() is None:
        return {}
    dirty: Dirty = dict.fromkeys(tables, EVERY_MONTH)
    if "fact_contact" in dirty:
        dirty["fact_contact"] = _contact_months(connection, centre.name, new)
    if "fact_contact_leg" in dirty:
        dirty["fact_contact_leg"] = _leg_months(connection, centre.name, new)
    if "fact_agent_interval" in dirty:
        dirty["fact_agent_interval"] = _agent_months(connection, centre, new)
    return dirty


def touched_contacts(connection: Connection, centre: str, since: datetime | None) -> list[str]:
    """The contact ids named by the centre's events received after ``since``."""
    received = (
        EVENTS.c.received_at > since if since is not None else EVENTS.c.received_at.is_not(None)
    )
    return list(connection.execute(_touched(centre, received)).scalars())


def _touched(centre: str, received: Any) -> Select:
    return (
        select(EVENTS.c.contactid)
        .distinct()
        .where(EVENTS.c.centre == centre, received, EVENTS.c.contactid.is_not(None))
    )


def _contact_months(connection: Connection, centre: str, new: tuple[Any, ...]) -> set[date]:
    touched = _touched(centre, new[1]).scalar_subquery()
    customers = select(CONTACTS.c.customer_hmac).where(
        CONTACTS.c.centre == centre,
        CONTACTS.c.contactid.in_(touched),
        CONTACTS.c.customer_hmac.is_not(None),
    )
    query = (
        select(CONTACTS.c.local_month)
        .distinct()
        .where(
            CONTACTS.c.centre == centre,
            CONTACTS.c.local_month.is_not(None),
            or_(CONTACTS.c.contactid.in_(touched), CONTACTS.c.customer_hmac.in_(customers)),
        )
    )
    return {as_date(month) for month in connection.execute(query).scalars()}


def _leg_months(connection: Connection, centre: str, new: tuple[Any, ...]) -> set[date]:
    touched = _touched(centre, new[1]).scalar_subquery()
    query = (
        select(LEGS.c.local_month)
        .distinct()
        .where(LEGS.c.centre == centre, LEGS.c.local_month.is_not(None), LEGS.c.contactid.in_(touched))
    )
    return {as_date(month) for month in connection.execute(query).scalars()}


def _agent_months(connection: Connection, centre: CentreConfig, new: tuple[Any, ...]) -> set[date]:
    spans = _state_spans(connection, centre.name, new)
    for agentid, (start, end) in _schedule_spans(connection, new).items():
        known = spans.get(agentid)
        spans[agentid] = (
            (start, end) if known is None else (min(known[0], start), max(known[1], end))
        )
    margin = timedelta(seconds=centre.settings.adherence_tolerance_s) + INTERVAL
    return {
        month
        for start, end in spans.values()
        for month in local_months(start - margin, end + margin, centre)
    }


def _state_spans(
    connection: Connection, centre: str, new: tuple[Any, ...]
) -> dict[str, tuple[datetime, datetime]]:
    query = (
        select(EVENTS.c.agentid, func.min(EVENTS.c.time), func.max(EVENTS.c.time))
        .where(*new, EVENTS.c.type == STATE, EVENTS.c.agentid.is_not(None))
        .group_by(EVENTS.c.agentid)
    )
    batch = {agentid: (first, last) for agentid, first, last in connection.execute(query)}
    around = neighbour_times(connection, centre, batch)
    return {
        agentid: (around[agentid][0] or first, around[agentid][1] or last)
        for agentid, (first, last) in batch.items()
    }


def _schedule_spans(
    connection: Connection, new: tuple[Any, ...]
) -> dict[str, tuple[datetime, datetime]]:
    query = select(EVENTS.c.agentid, EVENTS.c.body).where(
        *new, EVENTS.c.type == SCHEDULE, EVENTS.c.agentid.is_not(None)
    )
    moments: dict[str, list[datetime]] = defaultdict(list)
    for agentid, body in connection.execute(query):
        moments[agentid] += [m for piece in segments(orjson.loads(body)["data"]) for m in piece[:2]]
    return {agentid: (min(times), max(times)) for agentid, times in moments.items() if times}


def local_months(start: datetime, end: datetime, centre: CentreConfig) -> list[date]:
    """Every local month of ``centre`` from the one holding ``start`` to the one holding ``end``."""
    month = start.astimezone(centre.zone).date().replace(day=1)
    last = end.astimezone(centre.zone).date().replace(day=1)
    months = []
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months
