"""Survey rows for conversation and answer tests, written straight into ``sg_survey``.

``insert_survey(connection, **overrides)`` stores an ``active`` SMS survey of contact ``c-1``
(agent ``a-1``, queue ``sales``) asking NPS then CSAT, created at :data:`T0`, expiring a day
later, with the number encrypted by :data:`CIPHER`; pass any column to change it. It returns
the row as a dict, as the gateway reads it back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy import Connection

from callkpi.store.privacy import CustomerHasher
from callkpi.testing import TEST_HMAC_KEY
from callkpi_survey_gateway.crypto import NumberCipher
from callkpi_survey_gateway.tables import sg_event_outbox, sg_message, sg_survey

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CUSTOMER = "+31612345678"
HASHER = CustomerHasher(TEST_HMAC_KEY)
CIPHER = NumberCipher(Fernet.generate_key())


def insert_survey(connection: Connection, **overrides: Any) -> dict[str, Any]:
    """Insert one survey row (defaults above, ``overrides`` win) and return it as read back."""
    number = overrides.pop("number", CUSTOMER)
    row: dict[str, Any] = {
        "id": "sv_" + "0" * 23 + "1", "centre": "default", "contactid": "c-1", "agentid": "a-1",
        "queue": "sales", "customer_hmac": HASHER.hash(number), "number_enc": CIPHER.encrypt(number),
        "timezones": ["Europe/Amsterdam"], "language": "en", "instruments": ["nps", "csat"],
        "channel": "sms", "status": "active", "step": 0, "reprompts": 0, "created_at": T0,
        "due_at": T0, "expires_at": T0 + timedelta(hours=24), "reminder_at": None,
    } | overrides
    connection.execute(sa.insert(sg_survey).values(**row))
    return survey_row(connection, row["id"])


def survey_row(connection: Connection, survey_id: str) -> dict[str, Any]:
    """The survey as stored now."""
    return dict(connection.execute(sa.select(sg_survey).where(sg_survey.c.id == survey_id)).mappings().one())


def queued_events(connection: Connection) -> list[dict[str, Any]]:
    """Every CloudEvent in the event outbox, oldest first, parsed."""
    bodies = connection.execute(sa.select(sg_event_outbox.c.body).order_by(sg_event_outbox.c.id)).scalars()
    return [json.loads(body) for body in bodies]


def messages(connection: Connection, survey_id: str) -> list[dict[str, Any]]:
    """The survey's outbox messages, oldest first."""
    query = sa.select(sg_message).where(sg_message.c.survey_id == survey_id).order_by(sg_message.c.id)
    return [dict(row) for row in connection.execute(query).mappings()]
