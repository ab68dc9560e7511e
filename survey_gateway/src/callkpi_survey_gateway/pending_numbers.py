"""Customers' numbers between the batch that carried them and the one that completes the contact.

The core hands the gateway a number only in flight, with the batch whose event carried it
(``contact.offered`` in a live feed). A contact ends minutes later, in another batch, so the
gateway keeps the number — encrypted, like every number it holds — until the contact
completes. A survey takes it over; a contact the policy skipped keeps it for :data:`KEEP_FOR`
more, so a survey asked for by hand (``POST /v1/surveys``) can still reach the customer. A
contact that never completes (a lost ``contact.ended``) loses its number after :data:`KEEP_FOR`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from .crypto import NumberCipher
from .tables import sg_pending_number

KEEP_FOR = timedelta(hours=48)
ContactKey = tuple[str, str]  # (centre, contact id)


def keep_numbers(connection: Connection, cipher: NumberCipher, numbers: Mapping[ContactKey, str],
                 now: datetime) -> None:
    """Keep ``numbers`` of contacts that have not completed yet (a newer number replaces an older)."""
    if not numbers:
        return
    rows = [{"centre": centre, "contactid": contactid, "number_enc": cipher.encrypt(number), "seen_at": now}
            for (centre, contactid), number in numbers.items()]
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(sg_pending_number)
    connection.execute(insert.on_conflict_do_update(
        index_elements=["centre", "contactid"],
        set_={"number_enc": insert.excluded.number_enc, "seen_at": insert.excluded.seen_at}), rows)


def take_numbers(connection: Connection, cipher: NumberCipher, keys: set[ContactKey],
                 now: datetime) -> dict[ContactKey, str]:
    """The kept numbers of the completed contacts ``keys``, removed from keeping; numbers kept
    longer than :data:`KEEP_FOR` are removed too."""
    found: dict[ContactKey, str] = {}
    if keys:
        wanted = sa.tuple_(sg_pending_number.c.centre, sg_pending_number.c.contactid).in_(sorted(keys))
        for row in connection.execute(sa.select(sg_pending_number).where(wanted)):
            found[(row.centre, row.contactid)] = cipher.decrypt(row.number_enc)
        connection.execute(sg_pending_number.delete().where(wanted))
    connection.execute(sg_pending_number.delete().where(sg_pending_number.c.seen_at < now - KEEP_FOR))
    return found
