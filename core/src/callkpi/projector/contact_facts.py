"""Recomputing the ``fact_contact`` and ``fact_contact_leg`` rows of the contacts a batch touches.

A touched contact is folded again from all of its stored events, never patched, which is
what makes the facts independent of arrival order and batching. A contact without a fact
row has no events from earlier batches (every contact event ever projected leaves one),
so its events in this batch are all of them and need not be read back. A contact's legs
are replaced as a whole (a late event can merge or split legs), so only contacts that
already had a fact row have legs to delete.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson
from sqlalchemy import Connection, delete, select

from ..store.centres import CentreConfig
from ..store.tables import ContactFact, ContactLegFact, StoredEvent
from .contacts import CONTACT_TYPES, RANKS, fold_contact
from .customers import stored_customer_contacts
from .gaps import apply_gaps
from .legs import fold_legs
from .recovery import apply_recovery
from .timeline import timeline
from .upsert import chunks, upsert

FACTS = ContactFact.__table__
LEGS = ContactLegFact.__table__
EVENTS = StoredEvent.__table__


def is_contact_event(body: dict[str, Any]) -> bool:
    return body["type"] in CONTACT_TYPES and "contactid" in body


def project_contacts(
    connection: Connection, centre: CentreConfig, bodies: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Rewrite the fact rows of the contacts in ``bodies`` (all of one centre) and the
    gaps and recoveries of their customers' contacts; return the rows written, by contact id."""
    touched: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for body in bodies:
        touched[body["contactid"]].append(body)
    earlier = _stored_customers(connection, centre.name, list(touched))
    if earlier:
        touched.update(_stored_events(connection, centre.name, list(earlier)))
    zone = centre.zone
    facts: dict[str, dict[str, Any]] = {}
    legs: list[dict[str, Any]] = []
    for contactid, events in touched.items():
        entries = timeline(events, RANKS)
        facts[contactid] = fold_contact(centre.name, contactid, entries, zone)
        legs += fold_legs(facts[contactid], entries, zone)
    customers = {row["customer_hmac"] for row in facts.values()} | set(earlier.values())
    customers.discard(None)
    stored = stored_customer_contacts(connection, centre.name, customers, skip=facts)
    apply_gaps(connection, centre.name, facts, stored)
    apply_recovery(connection, centre.name, facts, stored)
    upsert(connection, FACTS, list(facts.values()))
    _replace_legs(connection, centre.name, list(earlier), legs)
    return facts


def _replace_legs(
    connection: Connection, centre: str, stored: list[str], legs: list[dict[str, Any]]
) -> None:
    """Delete the legs of the contacts in ``stored`` (those with a fact row before), then
    write ``legs``, the touched contacts' legs as they now stand."""
    for chunk in chunks(stored):
        connection.execute(delete(LEGS).where(LEGS.c.centre == centre, LEGS.c.contactid.in_(chunk)))
    upsert(connection, LEGS, legs)


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
