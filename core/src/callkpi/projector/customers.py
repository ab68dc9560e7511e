"""The stored contacts of some customers: what the rules spanning a customer's contacts
(:mod:`.gaps`, :mod:`.recovery`) read, in one query per chunk of customers per batch.

Those rules depend on every contact of a customer (same centre, same ``customer_hmac``),
so whenever a batch adds or changes contacts, the stored contacts of each customer involved
are read back and the rules re-run over all of them: this is what keeps the result
independent of the order in which the contacts arrived.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select

from ..store.tables import ContactFact
from .upsert import chunks

FACTS = ContactFact.__table__
COLUMNS = (
    "contactid",
    "customer_hmac",
    "offered_at",
    "answered_at",
    "wait_s",
    "outcome",
    "direction",
    "callback_of",
    "next_contact_gap_s",
    "recovered_after_s",
    "recovered_by",
    "recovery_contactid",
)


def stored_customer_contacts(
    connection: Connection, centre: str, customers: Iterable[str], skip: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """contactid → its stored :data:`COLUMNS`, for the offered contacts of ``customers``
    except those in ``skip`` (the rows the batch is about to write)."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in chunks(sorted(customers)):
        query = select(*(FACTS.c[name] for name in COLUMNS)).where(
            FACTS.c.centre == centre,
            FACTS.c.customer_hmac.in_(chunk),
            FACTS.c.offered_at.is_not(None),
        )
        found.update(
            (row["contactid"], dict(row))
            for row in connection.execute(query).mappings()
            if row["contactid"] not in skip
        )
    return found
