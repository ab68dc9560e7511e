"""The gap from each contact to the same customer's next contact (``next_contact_gap_s``).

A contact's gap depends on its customer's other contacts, so whenever a batch adds or
changes contacts, every contact of each customer involved (:mod:`.customers`) is re-ranked
by (offered_at, contactid).

A contact without a customer identity (no ``customer_hmac``: no caller number) has no gap
and is no one's next contact: it cannot be seen again, so the repeat-contact KPIs leave it
out and report it as ``unidentified`` (``callkpi_kpis.resolution``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, update

from ..store.tables import ContactFact

FACTS = ContactFact.__table__
_SET_GAP = (
    update(FACTS)
    .where(FACTS.c.centre == bindparam("k_centre"), FACTS.c.contactid == bindparam("k_contactid"))
    .values(next_contact_gap_s=bindparam("gap"))
)


def apply_gaps(
    connection: Connection,
    centre: str,
    facts: dict[str, dict[str, Any]],
    stored: dict[str, dict[str, Any]],
) -> None:
    """Set the gap on ``facts`` (rows about to be written); update the ``stored`` contacts of
    their customers whose gap changed."""
    offers: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for contactid, row in stored.items():
        offers[row["customer_hmac"]].append((row["offered_at"], contactid))
    for contactid, row in facts.items():
        row["next_contact_gap_s"] = None
        if row["customer_hmac"] is not None and row["offered_at"] is not None:
            offers[row["customer_hmac"]].append((row["offered_at"], contactid))
    changed = []
    for contactid, gap in _gaps(offers):
        if contactid in facts:
            facts[contactid]["next_contact_gap_s"] = gap
        elif stored[contactid]["next_contact_gap_s"] != gap:
            changed.append({"k_centre": centre, "k_contactid": contactid, "gap": gap})
    if changed:
        connection.execute(_SET_GAP, changed)


def _gaps(offers: dict[str, list[tuple[datetime, str]]]) -> Iterable[tuple[str, float | None]]:
    for contacts in offers.values():
        contacts.sort()
        for (offered_at, contactid), following in zip(contacts, [*contacts[1:], None], strict=True):
            yield (
                contactid,
                None if following is None else (following[0] - offered_at).total_seconds(),
            )
