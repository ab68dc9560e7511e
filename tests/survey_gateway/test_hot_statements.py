"""HotStatement on SQLite (its own cursor) and PostgreSQL (SQLAlchemy): the same rows written and
read as SQLAlchemy's own execution, the same errors, and the caller's transaction joined."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from survey_factory import T0, insert_survey, survey_row

from callkpi_survey_gateway.answers import insert_once
from callkpi_survey_gateway.hot_statements import HotStatement
from callkpi_survey_gateway.tables import sg_inbound_seen, sg_survey

BY_CUSTOMER = HotStatement(sa.select(sg_survey).where(sg_survey.c.customer_hmac == sa.bindparam("customer")))
REMIND = HotStatement(sa.update(sg_survey).where(sg_survey.c.id == sa.bindparam("survey"))
                      .values(reminder_at=sa.bindparam("at"), language="nl"))
SEEN = insert_once(sg_inbound_seen, "message_sid")


def test_rows_read_as_sqlalchemy_reads_them(gateway_store):
    with gateway_store.transaction() as connection:
        survey = insert_survey(connection, instruments=["nps", "csat"], timezones=["Europe/Amsterdam"])
        [row] = BY_CUSTOMER.mappings(connection, {"customer": survey["customer_hmac"]})
        assert row == survey_row(connection, survey["id"])
        assert (row["instruments"], row["expires_at"].utcoffset()) == (["nps", "csat"], timedelta(0))


def test_parameters_and_fixed_values_written_as_sqlalchemy_writes_them(gateway_store):
    at = T0 + timedelta(hours=3)
    with gateway_store.transaction() as connection:
        survey = insert_survey(connection)
        REMIND.run(connection, {"survey": survey["id"], "at": at})
        stored = connection.execute(sa.select(sg_survey.c.reminder_at).where(sg_survey.c.reminder_at == at)).all()
        after = survey_row(connection, survey["id"])
    assert stored == [(at,)]
    assert (after["reminder_at"], after["language"]) == (at, "nl")


def test_insert_once_says_whether_it_inserted(gateway_store):
    values = {"new_message_sid": "SM1", "new_received_at": T0}
    with gateway_store.transaction() as connection:
        assert (SEEN.rows(connection, values), SEEN.rows(connection, values)) == ([("SM1",)], [])


def test_a_database_error_is_sqlalchemys(gateway_store):
    with pytest.raises(sa.exc.IntegrityError), gateway_store.transaction() as connection:
        SEEN.rows(connection, {"new_message_sid": None, "new_received_at": T0})


def test_a_connection_without_a_transaction_begins_one(gateway_store):
    with gateway_store.engine.connect() as connection:
        SEEN.rows(connection, {"new_message_sid": "SM2", "new_received_at": T0})
        assert connection.in_transaction()
        connection.rollback()
    with gateway_store.reading() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(sg_inbound_seen)).scalar() == 0


def test_an_expanding_in_is_refused():
    with pytest.raises(ValueError, match="expanding IN"):
        HotStatement(sa.select(sg_survey.c.id).where(sg_survey.c.status.in_(["active", "scheduled"])))
