"""Due surveys written straight into the gateway's tables, for dispatcher and webhook tests.

``due_survey(connection, cipher, n)`` stores survey ``n`` (contact ``c-n``, number
``+316100000nn``) and its pending first message due at :data:`T0` (or its ``due_at``); it returns
``(survey_id, message_id, number)``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from callkpi.store.privacy import CustomerHasher
from callkpi.testing import TEST_HMAC_KEY
from callkpi_survey_gateway.crypto import NumberCipher
from callkpi_survey_gateway.outbox import enqueue
from callkpi_survey_gateway.tables import sg_event_outbox, sg_message, sg_survey

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
HASHER = CustomerHasher(TEST_HMAC_KEY)


def number_of(n: int) -> str:
    return f"+3161{n:07d}"


def due_survey(connection: Connection, cipher: NumberCipher, n: int, *, status: str = "scheduled",
               kind: str = "first", number: str | None = None, **overrides: Any) -> tuple[str, int, str]:
    """Store survey ``n`` with a pending ``kind`` message due at T0 (``due_at``: then), to
    ``number`` (default :func:`number_of` ``n``)."""
    number = number or number_of(n)
    survey_id = f"sv_{n:024x}"
    row = {"id": survey_id, "centre": "default", "contactid": f"c-{n}", "agentid": "a-1", "queue": "sales",
           "customer_hmac": HASHER.hash(number), "number_enc": cipher.encrypt(number),
           "timezones": ["Europe/Amsterdam"], "language": "en", "instruments": ["nps", "csat"], "channel": "sms",
           "status": status, "step": 0, "reprompts": 0, "created_at": T0 - timedelta(minutes=5), "due_at": T0,
           "expires_at": T0 + timedelta(hours=24)} | overrides
    connection.execute(sa.insert(sg_survey).values(**row))
    message_id = enqueue(connection, survey_id, kind, f"Acme: survey {n}. Reply 0-10. Reply STOP to opt out.",
                         row["due_at"], row["due_at"] - timedelta(minutes=5))
    return survey_id, message_id, number


def message(connection: Connection, message_id: int) -> dict[str, Any]:
    return dict(connection.execute(sa.select(sg_message).where(sg_message.c.id == message_id)).mappings().one())


def survey(connection: Connection, survey_id: str) -> dict[str, Any]:
    return dict(connection.execute(sa.select(sg_survey).where(sg_survey.c.id == survey_id)).mappings().one())


def events(connection: Connection) -> list[dict[str, Any]]:
    """The queued CloudEvents, oldest first."""
    query = sa.select(sg_event_outbox.c.body).order_by(sg_event_outbox.c.id)
    return [json.loads(body) for body in connection.execute(query).scalars()]
