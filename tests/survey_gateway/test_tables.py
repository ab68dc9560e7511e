"""The gateway's Alembic chain on SQLite and PostgreSQL: its own version table, every table
of the contract, aware UTC times back, the uniqueness the gateway relies on, and re-runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from callkpi_survey_gateway.gateway_store import VERSION_TABLE, current_revision, migrate_gateway, open_gateway_store
from callkpi_survey_gateway.tables import metadata, sg_message, sg_survey

GATEWAY_TABLES = {"sg_survey", "sg_message", "sg_suppression", "sg_inbound_seen", "sg_status_seen", "sg_answer",
                  "sg_web_token", "sg_event_outbox", "sg_pending_number", "sg_decision"}
HEAD = "sg0003"
AMSTERDAM_WINTER = timezone(timedelta(hours=1))


def survey(**overrides):
    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    return {"id": "sv_" + "a" * 24, "centre": "default", "contactid": "c-1", "timezones": ["Europe/Amsterdam"],
            "language": "en", "instruments": ["nps", "csat"], "channel": "sms", "status": "scheduled", "step": 0,
            "reprompts": 0, "created_at": start, "due_at": start, "expires_at": start + timedelta(days=1)} | overrides


def test_migration_creates_every_table_beside_the_core_with_its_own_version_table(gateway_store):
    names = set(sa.inspect(gateway_store.engine).get_table_names())
    assert names >= GATEWAY_TABLES
    assert names >= {"alembic_version", VERSION_TABLE, "fact_contact"}  # the core's chain is untouched
    assert set(metadata.tables) == GATEWAY_TABLES
    with gateway_store.reading() as connection:
        assert current_revision(connection) == HEAD


def test_the_gateway_migrations_produce_exactly_its_tables(gateway_store):
    def ours(name, type_, *_):
        return type_ != "table" or name.startswith("sg_")

    with gateway_store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": ours})
        assert compare_metadata(context, metadata) == []


def test_migrating_again_is_a_no_op_and_opening_migrates_both_chains(gateway_store):
    migrate_gateway(gateway_store)
    reopened = open_gateway_store(gateway_store.url)
    with reopened.reading() as connection:
        rows = connection.execute(sa.text(f"select version_num from {VERSION_TABLE}")).scalars().all()
    reopened.dispose()
    assert rows == [HEAD]


def test_times_come_back_aware_utc_and_json_columns_as_lists(gateway_store):
    # 11:00 at UTC+1 is 10:00 UTC.
    with gateway_store.transaction() as connection:
        connection.execute(sa.insert(sg_survey).values(**survey(created_at=datetime(2026, 3, 2, 11, 0,
                                                                                     tzinfo=AMSTERDAM_WINTER))))
    with gateway_store.reading() as connection:
        row = connection.execute(sa.select(sg_survey)).mappings().one()
    assert row["created_at"] == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert row["created_at"].utcoffset() == timedelta(0)
    assert (row["timezones"], row["instruments"]) == (["Europe/Amsterdam"], ["nps", "csat"])


def test_one_survey_per_centre_and_contact(gateway_store):
    with gateway_store.transaction() as connection:
        connection.execute(sa.insert(sg_survey).values(**survey()))
    with pytest.raises(IntegrityError), gateway_store.transaction() as connection:
        connection.execute(sa.insert(sg_survey).values(**survey(id="sv_" + "b" * 24)))
    with gateway_store.transaction() as connection:  # another centre may survey its own c-1
        connection.execute(sa.insert(sg_survey).values(**survey(id="sv_" + "c" * 24, centre="rotterdam")))


def test_provider_sid_is_unique_and_ids_autoincrement(gateway_store):
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    message = {"survey_id": "sv_1", "kind": "first", "body": "hi", "status": "queued", "attempts": 1,
               "not_before": now, "created_at": now, "updated_at": now}
    with gateway_store.transaction() as connection:
        first = connection.execute(sa.insert(sg_message).values(**message, provider_sid="SM1")).inserted_primary_key[0]
        second = connection.execute(sa.insert(sg_message).values(**message)).inserted_primary_key[0]
    assert second == first + 1
    with pytest.raises(IntegrityError), gateway_store.transaction() as connection:
        connection.execute(sa.insert(sg_message).values(**message, provider_sid="SM1"))
