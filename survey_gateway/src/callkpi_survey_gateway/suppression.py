"""The suppression list: customers who opted out are never texted again, by any survey, until
they opt back in themselves (START)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from .tables import sg_suppression


def is_suppressed(connection: Connection, customer_hmac: str | None) -> bool:
    """Whether the customer with ``customer_hmac`` opted out (``None``: unknown customer, no)."""
    if customer_hmac is None:
        return False
    query = sa.select(sa.literal(1)).where(sg_suppression.c.customer_hmac == customer_hmac)
    return connection.execute(query).first() is not None


def suppress(connection: Connection, customer_hmac: str, centre: str, keyword: str, now: datetime) -> None:
    """Put the customer on the list (kept as first recorded if already there)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    connection.execute(dialect.insert(sg_suppression)
                       .values(customer_hmac=customer_hmac, centre=centre, opted_out_at=now, keyword=keyword[:64])
                       .on_conflict_do_nothing(index_elements=["customer_hmac"]))


def lift(connection: Connection, customer_hmac: str) -> bool:
    """Take the customer off the list (they texted START); returns whether they were on it."""
    result = connection.execute(sa.delete(sg_suppression).where(sg_suppression.c.customer_hmac == customer_hmac))
    return result.rowcount == 1
