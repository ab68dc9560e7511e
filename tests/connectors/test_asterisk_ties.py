"""A call connected and completed within one second (issue 24), through the real ingest.

queue_log times are whole seconds, so a caller who hangs up as the agent answers gives a
CONNECT and a COMPLETECALLER with the same time. Their agent.state_changed events
(on_contact, then available) used to be ordered by event id, a hash of the line: about
half the time ``available`` came first and the agent stayed on contact until their next
state change. Each event now carries its line's byte offset as ``sequence``, so the file's
order decides.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from callkpi.checkpoints import sync_source
from callkpi.connector_conformance import ConnectorTests
from callkpi.store.tables import AgentIntervalFact

CONFIG = {"agents": {"Agent/4001": "karin"}}
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # epoch 1767603600
# The first call's id decides the hash order of its two same-second state events:
# with .1 the old order put ``available`` (the COMPLETECALLER line) first, with .3 not.
HASH_PUTS_AVAILABLE_FIRST, HASH_PUTS_ON_CONTACT_FIRST = "1767603610.1", "1767603610.3"


def same_second_log(short_call: str) -> str:
    """karin logs in at 09:00:00; call 1 waits 10 s and is connected and completed at
    09:00:20 (talk 0 s); call 2 is connected at 09:05:04 and completed at 09:08:04
    (talk 180 s); karin logs out at 09:30:00."""
    return "".join(
        f"{line}\n"
        for line in (
            "1767603600|NONE|sales|Agent/4001|ADDMEMBER|",
            f"1767603610|{short_call}|sales|NONE|ENTERQUEUE||+31201234567|1",
            f"1767603620|{short_call}|sales|Agent/4001|CONNECT|10|{short_call}-b|2",
            f"1767603620|{short_call}|sales|Agent/4001|COMPLETECALLER|10|0|1",
            "1767603900|1767603900.2|sales|NONE|ENTERQUEUE||+31207654321|1",
            "1767603904|1767603900.2|sales|Agent/4001|CONNECT|4|1767603900.2-b|1",
            "1767604084|1767603900.2|sales|Agent/4001|COMPLETEAGENT|4|180|1",
            "1767605400|NONE|sales|Agent/4001|REMOVEMEMBER|",
        )
    )


def state_id(line: str) -> str:
    """The id the connector gives a line's agent.state_changed event (mapping.py)."""
    digest = hashlib.blake2b(f"default\x1f{line}".encode(), digest_size=10).hexdigest()
    return f"ast-{digest}-s"


def test_the_chosen_call_ids_give_both_hash_orders():
    def available_sorts_first(call: str) -> bool:
        connect, complete = same_second_log(call).splitlines()[2:4]
        return state_id(complete) < state_id(connect)

    assert available_sorts_first(HASH_PUTS_AVAILABLE_FIRST)
    assert not available_sorts_first(HASH_PUTS_ON_CONTACT_FIRST)


@pytest.mark.parametrize("short_call", [HASH_PUTS_AVAILABLE_FIRST, HASH_PUTS_ON_CONTACT_FIRST])
def test_a_call_within_one_second_is_on_contact_for_its_real_length(
    store, ingestor, callkpi_pm, tmp_path, short_call
):
    source = tmp_path / "queue_log"
    source.write_text(same_second_log(short_call))
    asterisk = callkpi_pm.catalog.connectors.get("asterisk")
    sync_source(asterisk, str(source), CONFIG, ingestor)
    with store.reading() as connection:
        rows = connection.execute(
            select(AgentIntervalFact).where(AgentIntervalFact.agentid == "karin")
            .order_by(AgentIntervalFact.interval_start)
        ).all()
    # 09:00–09:15: on contact 0 s (call 1) + 180 s (call 2, 09:05:04–09:08:04) = 180 s;
    # available 09:00:00–09:05:04 (304 s) + 09:08:04–09:15:00 (416 s) = 720 s; staffed 900 s.
    # 09:15–09:30: available and staffed 900 s. The old order, with available first at
    # 09:00:20, kept karin on contact until 09:05:04: 284 s + 180 s = 464 s on contact.
    assert [
        (row.interval_start, row.staffed_s, row.available_s, row.on_contact_s) for row in rows
    ] == [
        (T0, 900.0, 720.0, 180.0),
        (T0 + timedelta(minutes=15), 900.0, 900.0, 0.0),
    ]


class TestAsteriskSameSecondConformance(ConnectorTests):
    """The conformance suite on a queue_log whose short call ties in time (so the tie-order
    property has something to hold)."""

    connector_id = "asterisk"

    def sample(self, tmp_path: Path) -> tuple[str, dict]:
        source = tmp_path / "queue_log"
        source.write_text(same_second_log(HASH_PUTS_AVAILABLE_FIRST))
        return str(source), CONFIG
