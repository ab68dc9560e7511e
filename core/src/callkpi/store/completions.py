"""Telling plugins which contacts a batch completed, inside the batch's transaction.

The survey gateway creates a survey and its outbox message in the same transaction as
the contact that triggers it (``callkpi_contacts_completed``), so a crash can neither
lose the survey of a stored contact nor leave a survey for a contact that was not stored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection

from ..plugins import CallkpiPluginManager

COMPLETING_TYPES = frozenset(
    {"contact.ended", "contact.abandoned", "contact.wrapup_completed", "contact.recorded"}
)
log = logging.getLogger(__name__)


def announce_completed_contacts(
    connection: Connection,
    pm: CallkpiPluginManager,
    stored: Iterable[tuple[dict[str, Any], str | None]],
    contact_facts: dict[tuple[str, str], dict[str, Any]],
) -> None:
    """Call ``callkpi_contacts_completed`` for the contacts that ``stored`` (each a stored
    body and the customer's number in clear, or ``None``) completed, and with the numbers
    it carried: a number usually arrives with ``contact.offered``, batches before the end.

    ``contact_facts`` are the fact rows the projector just wrote for the batch's contacts
    (every completed one among them): handed on as copies instead of read back, which
    cost as much as folding them."""
    hook = pm.hook.callkpi_contacts_completed
    if not hook.get_hookimpls():
        return
    keys, customers = _completed(stored)
    if not keys and not customers:
        return
    contacts = [dict(contact_facts[key]) for key in sorted(keys)]
    savepoint = connection.begin_nested()
    try:
        hook(connection=connection, contacts=contacts, customers=customers)
    except Exception:  # a plugin's failure must not lose the batch's events
        savepoint.rollback()
        log.exception("a callkpi_contacts_completed hook failed; its writes were rolled back")
    else:
        savepoint.commit()


def _completed(
    stored: Iterable[tuple[dict[str, Any], str | None]],
) -> tuple[set[tuple[str, str]], dict[tuple[str, str], str]]:
    keys: set[tuple[str, str]] = set()
    customers: dict[tuple[str, str], str] = {}
    for body, customer in stored:
        completing = body["type"] in COMPLETING_TYPES
        contactid = body.get("contactid")
        if contactid is None or (customer is None and not completing):
            continue  # most events neither complete a contact nor carry a number
        key = (body.get("centre", "default"), contactid)
        if customer is not None:
            customers[key] = customer
        if completing:
            keys.add(key)
    return keys, customers
