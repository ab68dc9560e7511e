"""Group commit of inbound replies on SQLite and PostgreSQL: a redelivered MessageSid inside one
group, one failing reply inside a group, many replies submitted at once through the thread, and
a reply close behind another gathering the next into its commit while a lone one goes at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from functools import partial

import anyio
import pytest
import sqlalchemy as sa
from survey_factory import HASHER, T0, insert_survey, survey_row

from callkpi_survey_gateway.config import SurveyConfig
from callkpi_survey_gateway.conversation import InboundSms, handle_inbound
from callkpi_survey_gateway.group_commit import GroupCommitter, commit_group
from callkpi_survey_gateway.policy import use_configs
from callkpi_survey_gateway.tables import sg_answer, sg_inbound_seen

LATER = T0 + timedelta(minutes=10)


@pytest.fixture(autouse=True)
def centres() -> Iterator[None]:
    use_configs({"default": SurveyConfig(brand="Acme", sms_from="+3197010000001")})
    yield
    use_configs(None)


def _apply(connection, sms: InboundSms):
    return handle_inbound(connection, HASHER, sms, LATER)


def _customer(index: int) -> str:
    return f"+316{20_000_000 + index:08d}"


def _surveys(store, count: int) -> list[dict]:
    with store.transaction() as connection:
        return [insert_survey(connection, id=f"sv_group_{index:04d}", contactid=f"c-{index}",
                              number=_customer(index))
                for index in range(count)]


def _answers(store) -> int:
    with store.reading() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(sg_answer)).scalar()


def test_a_message_delivered_twice_into_one_group_changes_the_survey_once(gateway_store):
    [survey] = _surveys(gateway_store, 1)
    sms = InboundSms("SM" + "7" * 32, _customer(0), "9", "+3197010000001")
    outcomes = commit_group(gateway_store, _apply, [sms, sms])
    assert [result.action for result, _ in outcomes] == ["answered", "duplicate"]
    with gateway_store.reading() as connection:
        assert survey_row(connection, survey["id"])["step"] == 1
    assert _answers(gateway_store) == 1


def test_a_failing_reply_in_a_group_fails_alone(gateway_store):
    first, second = _surveys(gateway_store, 2)
    broken = InboundSms(None, _customer(0), "8")  # no MessageSid: its sg_inbound_seen row is refused
    group = [InboundSms("SM" + "1" * 32, _customer(0), "9"), broken, InboundSms("SM" + "2" * 32, _customer(1), "7")]
    outcomes = commit_group(gateway_store, _apply, group)
    assert [result.action if result else None for result, _ in outcomes] == ["answered", None, "answered"]
    assert isinstance(outcomes[1][1], sa.exc.IntegrityError)
    with gateway_store.reading() as connection:
        assert [survey_row(connection, row["id"])["step"] for row in (first, second)] == [1, 1]
        assert connection.execute(sa.select(sa.func.count()).select_from(sg_inbound_seen)).scalar() == 2


@pytest.mark.anyio
async def test_replies_submitted_at_once_are_each_answered_after_commit(gateway_store):
    surveys = _surveys(gateway_store, 40)
    committer = GroupCommitter(gateway_store, _apply)
    results: list[str] = []

    async def reply(index: int) -> None:
        result = await committer.submit(InboundSms(f"SM{index:032x}", _customer(index), "10"))
        results.append(result.action)

    async with anyio.create_task_group() as group:
        for index in range(len(surveys)):
            group.start_soon(partial(reply, index))
    assert results == ["answered"] * len(surveys)
    assert _answers(gateway_store) == len(surveys)


@pytest.mark.anyio
async def test_a_failing_reply_raises_in_its_own_request_only(gateway_store):
    _surveys(gateway_store, 1)
    committer = GroupCommitter(gateway_store, _apply)
    with pytest.raises(sa.exc.IntegrityError):
        await committer.submit(InboundSms(None, _customer(0), "8"))
    result = await committer.submit(InboundSms("SM" + "3" * 32, _customer(0), "8"))
    assert result.action == "answered"



@pytest.mark.anyio
async def test_a_reply_close_behind_another_waits_for_the_next_to_share_its_commit(gateway_store):
    _surveys(gateway_store, 4)
    transactions: list[tuple[sa.Connection, str]] = []  # the connection object is one transaction's

    def apply(connection, sms: InboundSms):
        transactions.append((connection, sms.message_sid))
        return _apply(connection, sms)

    committer = GroupCommitter(gateway_store, apply, gather_s=0.6)
    sids = [f"SM{index:032x}" for index in range(4)]
    await committer.submit(InboundSms(sids[0], _customer(0), "9"))  # the first of a stream: at once
    async with anyio.create_task_group() as group:
        group.start_soon(committer.submit, InboundSms(sids[1], _customer(1), "9"))  # close behind: gathers
        await anyio.sleep(0.2)
        group.start_soon(committer.submit, InboundSms(sids[2], _customer(2), "9"))  # joins its commit
    await anyio.sleep(0.7)
    with anyio.fail_after(0.5):  # alone again after a quiet spell: never waits for the gather
        await committer.submit(InboundSms(sids[3], _customer(3), "9"))
    groups = [[sid for connection, sid in transactions if connection is each]
              for each in dict.fromkeys(connection for connection, _ in transactions)]
    assert groups == [[sids[0]], [sids[1], sids[2]], [sids[3]]]
    assert _answers(gateway_store) == 4
