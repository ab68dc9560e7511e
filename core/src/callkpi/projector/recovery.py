"""Whether the customer of an abandoned or timed-out contact was reached again, how, and
after how long (``recovered_after_s``, ``recovered_by``, ``recovery_contactid``).

The rules, over all contacts of one customer (same centre and ``customer_hmac``, read back
by :mod:`.customers`) in (offered_at, contactid) order:

* A *missed* contact is one whose outcome is ``abandoned`` or ``timed_out``: the customer
  gave up in the queue, or the queue gave up on them.
* It is *recovered* by the customer's first later-offered contact that reached them: outcome
  ``answered`` — an inbound contact an agent answered, or an outbound call (a callback, a
  returned missed call) that connected. An unanswered contact in between does not end the
  wait: the customer is still not reached.
* ``recovered_after_s`` runs from the moment the missed contact ended its wait (offered_at +
  wait_s: when the caller gave up) to the moment the recovering contact was answered (its
  offered_at when a summary gives no answer time); never negative.
* ``recovered_by`` is ``callback`` when the recovering contact is a callback (its
  ``callback_of`` names an earlier contact: a queued callback such as Amazon Connect's
  InitiationMethod CALLBACK contacts, or an outbound call returning a missed one), else its
  direction, ``inbound`` or ``outbound``.
* A missed contact not (yet) recovered, and every other contact, has all three empty; a
  contact without a customer identity cannot be recognised again and is never recovered.

The result depends only on the set of the customer's contacts, so it is order-independent;
it is recomputed for every customer a batch touches, with the gaps (:mod:`.gaps`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, update

from ..store.tables import ContactFact

FACTS = ContactFact.__table__
MISSED = ("abandoned", "timed_out")
RECOVERY_COLUMNS = ("recovered_after_s", "recovered_by", "recovery_contactid")
_SET_RECOVERY = (
    update(FACTS)
    .where(FACTS.c.centre == bindparam("k_centre"), FACTS.c.contactid == bindparam("k_contactid"))
    .values({name: bindparam(name) for name in RECOVERY_COLUMNS})
)
_NOT_RECOVERED = dict.fromkeys(RECOVERY_COLUMNS)


def apply_recovery(
    connection: Connection,
    centre: str,
    facts: dict[str, dict[str, Any]],
    stored: dict[str, dict[str, Any]],
) -> None:
    """Set the recovery columns on ``facts`` (rows about to be written); update the ``stored``
    contacts of their customers whose recovery changed."""
    contacts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in [*stored.values(), *facts.values()]:
        if row["customer_hmac"] is not None and row["offered_at"] is not None:
            contacts[row["customer_hmac"]].append(row)
    for row in facts.values():
        row.update(_NOT_RECOVERED)
    changed = []
    for contactid, recovery in _recoveries(contacts.values()):
        if contactid in facts:
            facts[contactid].update(recovery)
        elif any(stored[contactid][name] != value for name, value in recovery.items()):
            changed.append({"k_centre": centre, "k_contactid": contactid, **recovery})
    if changed:
        connection.execute(_SET_RECOVERY, changed)


def _recoveries(customers: Iterable[list[dict[str, Any]]]) -> Iterable[tuple[str, dict[str, Any]]]:
    """(contactid, its recovery columns) for every contact of every customer: walking each
    customer's contacts from the last, the latest answered contact seen so far is the first
    one that reached them after the contact at hand."""
    for rows in customers:
        reached: dict[str, Any] | None = None
        for row in sorted(rows, key=lambda r: (r["offered_at"], r["contactid"]), reverse=True):
            recovered = row["outcome"] in MISSED and reached is not None
            yield row["contactid"], _recovery(row, reached) if recovered else _NOT_RECOVERED
            if row["outcome"] == "answered":
                reached = row


def _recovery(missed: dict[str, Any], by: dict[str, Any]) -> dict[str, Any]:
    gave_up: datetime = missed["offered_at"] + timedelta(seconds=missed["wait_s"] or 0.0)
    reached_at: datetime = by["answered_at"] or by["offered_at"]
    return {
        "recovered_after_s": max((reached_at - gave_up).total_seconds(), 0.0),
        "recovered_by": "callback" if by["callback_of"] else (by["direction"] or "inbound"),
        "recovery_contactid": by["contactid"],
    }
