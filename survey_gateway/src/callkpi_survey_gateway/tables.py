"""The gateway's tables, in the core's database but on their own metadata and Alembic chain.

SQLAlchemy Core rather than SQLModel classes: the rows are read and written as plain dicts
by small functions, and a metadata of our own keeps the core's migrations blind to them.
Every time column is :class:`UTCDateTime` (``DateTime(timezone=True)`` that hands back aware
UTC datetimes on SQLite too).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel.sql.sqltypes import UTCDateTime

metadata = sa.MetaData()


def _when(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


sg_survey = sa.Table(
    "sg_survey", metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # "sv_" + 24 hex
    sa.Column("centre", sa.String(64), nullable=False),
    sa.Column("contactid", sa.String(128), nullable=False),
    sa.Column("agentid", sa.String(128)),
    sa.Column("queue", sa.String(128)),
    sa.Column("customer_hmac", sa.String(128)),
    sa.Column("number_enc", sa.Text),  # Fernet ciphertext of the E.164 number; NULL once closed
    sa.Column("timezones", sa.JSON, nullable=False),  # IANA names of the number's zones
    sa.Column("language", sa.String(16), nullable=False),
    sa.Column("instruments", sa.JSON, nullable=False),
    sa.Column("channel", sa.String(8), nullable=False),  # sms | web | both
    # scheduled -> active -> completed | expired | failed | opted_out
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("step", sa.Integer, nullable=False, default=0),
    sa.Column("reprompts", sa.Integer, nullable=False, default=0),
    _when("created_at"), _when("due_at"), _when("expires_at"),
    _when("reminder_at", nullable=True), _when("closed_at", nullable=True),
    sa.Column("close_reason", sa.String(200)),
    sa.UniqueConstraint("centre", "contactid", name="uq_sg_survey_contact"),
    sa.Index("ix_sg_survey_customer", "customer_hmac", "created_at"),
    sa.Index("ix_sg_survey_status_expiry", "status", "expires_at"),
)

sg_message = sa.Table(
    "sg_message", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("survey_id", sa.String(32), nullable=False, index=True),
    # first | question | reprompt | reminder | thanks | help | closed | opted_out | web_invite
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    # pending | sending | unknown | queued | sent | delivered | undelivered | failed | cancelled
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("provider_sid", sa.String(64), unique=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    _when("not_before"),
    sa.Column("claimed_by", sa.String(64)),
    _when("claimed_at", nullable=True),
    sa.Column("error_code", sa.String(16)),
    sa.Column("error", sa.Text),
    _when("created_at"), _when("updated_at"),
    sa.Index("ix_sg_message_due", "status", "not_before"),
)

sg_suppression = sa.Table(
    "sg_suppression", metadata,
    sa.Column("customer_hmac", sa.String(128), primary_key=True),
    sa.Column("centre", sa.String(64), nullable=False),
    _when("opted_out_at"),
    sa.Column("keyword", sa.String(64), nullable=False),  # the word the customer used
)

sg_inbound_seen = sa.Table(
    "sg_inbound_seen", metadata,
    sa.Column("message_sid", sa.String(64), primary_key=True),
    _when("received_at"),
)

sg_status_seen = sa.Table(
    "sg_status_seen", metadata,
    sa.Column("message_sid", sa.String(64), primary_key=True),
    sa.Column("status", sa.String(16), primary_key=True),
    _when("received_at"),
)

sg_answer = sa.Table(
    "sg_answer", metadata,
    sa.Column("survey_id", sa.String(32), primary_key=True),
    sa.Column("instrument", sa.String(16), primary_key=True),
    sa.Column("score", sa.Float),
    sa.Column("text", sa.Text),
    _when("answered_at"),
    sa.Column("via", sa.String(8), nullable=False),  # sms | web
)

sg_web_token = sa.Table(
    "sg_web_token", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),  # sha256 hex of the 128-bit token
    sa.Column("survey_id", sa.String(32), nullable=False, index=True),
    _when("expires_at"),
    _when("used_at", nullable=True),
)

sg_event_outbox = sa.Table(
    "sg_event_outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("centre", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # JSON text of a CloudEvent
    _when("created_at"),
    _when("flushed_at", nullable=True),
    sa.Index("ix_sg_event_outbox_unflushed", "flushed_at", "id"),
)

# A live feed sends the customer's number with contact.offered, usually in an earlier ingest
# batch than the event that completes the contact: kept here, encrypted, until then.
sg_pending_number = sa.Table(
    "sg_pending_number", metadata,
    sa.Column("centre", sa.String(64), primary_key=True),
    sa.Column("contactid", sa.String(128), primary_key=True),
    sa.Column("number_enc", sa.Text, nullable=False),  # Fernet ciphertext of the number as sent
    _when("seen_at"),
    sa.Index("ix_sg_pending_number_seen", "seen_at"),
)

# Why a contact was (not) surveyed and why a message waited or never went: every policy and
# send-time decision with its reason, for `callkpi survey why CONTACTID`. No personal data:
# the contact id and a sentence.
sg_decision = sa.Table(
    "sg_decision", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("centre", sa.String(64), nullable=False),
    sa.Column("contactid", sa.String(128), nullable=False),
    sa.Column("survey_id", sa.String(32)),  # NULL when no survey was created
    # scheduled | skipped | sent | quiet_hours_wait | expired | opted_out | capped
    sa.Column("decision", sa.String(24), nullable=False),
    # why, as a code: sampled_out, capped, opted_out, ineligible, too_short, too_old, no_number …
    sa.Column("reason_code", sa.String(24), nullable=False),
    sa.Column("reason", sa.String(300), nullable=False),
    _when("decided_at"),
    _when("until", nullable=True),  # a wait's end: when the message may go
    sa.Index("ix_sg_decision_contact", "contactid", "decided_at"),
)
