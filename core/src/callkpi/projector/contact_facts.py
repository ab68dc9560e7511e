"""Recomputing the ``fact_contact`` rows of the contacts a batch touches.

A touched contact is folded again from all of its stored events, never patched, which is
what makes the facts independent of arrival order and batching. A contact without a fact
row has no events from earlier batches (every contact event ever projected leaves one),
so its events in this batch are all of them and need not be read back.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson
from sqlalchemy import Connection, select

from ..store.centres import CentreConfig
from ..store.tables import ContactFact, StoredEvent
from .contacts import CONTACT_TYPES, RANKS, fold_contact
from .gaps import apply_gaps
from .timeline import timeline
from .upsert import chunks, upsert

FACTS = ContactFact.__table__
EVENTS = StoredEvent.__table__


def is_contact_event(body: dict[str, Any]) -> bool:
    return body["type"] in CONTACT_TYPES and "contactid" in body


def project_contacts(
    connection: Connection, centre: CentreConfig, bodies: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Rewrite the fact rows of the contacts in ``bodies`` (all of one centre) and the
    gaps of their customers' contacts; return the rows written, by contact id."""
    touched: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for body in bodies:
        touched[body["contactid"]].append(body)
    earlier = _stored_customers(connection, centre.name, list(touched))
    if earlier:
        touched.update(_stored_events(connection, centre.name, list(earlier)))
    zone = centre.zone
    facts = {
        contactid: fold_contact(centre.name, contactid, timeline(events, RANKS), zone)
        for contactid, events in touched.items()
    }
    customers = {row["customer_hmac"] for row in facts.values()} | set(earlier.values())
    customers.discard(None)
    apply_gaps(connection, centre.name, facts, customers)
    upsert(connection, FACTS, list(facts.values()))
    return facts


def _stored_customers(
    connection: Connection, centre: str, contactids: list[str]
) -> dict[str, str | None]:
    """contactid → stored customer_hmac, for the contacts that already have a fact row."""
    found: dict[str, str | None] = {}
    for chunk in chunks(contactids):
        query = select(FACTS.c.contactid, FACTS.c.customer_hmac).where(
            FACTS.c.centre == centre, FACTS.c.contactid.in_(chunk)
        )
        found.update((row.contactid, row.customer_hmac) for row in connection.execute(query))
    return found


def _stored_events(
    connection: Connection, centre: str, contactids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for chunk in chunks(contactids):
        query = select(EVENTS.c.contactid, EVENTS.c.body).where(
            EVENTS.c.centre == centre,
            EVENTS.c.contactid.in_(chunk),
            EVENTS.c.type.in_(sorted(CONTACT_TYPES)),
        )
        for contactid, body in connection.execute(query):
            events[contactid].append(orjson.loads(body))
    return events
