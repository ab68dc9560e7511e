"""The asterisk connector on the queue_log database table exported as CSV: naive local
times across a daylight-saving change, header variants, config checks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from callkpi.checkpoints import sync_source
from callkpi.connector_config import InvalidConfig, validate_config
from callkpi.connectors import ConnectorRun, RawEvent
from callkpi.store.tables import ContactFact

FIXTURES = Path(__file__).parent / "fixtures"
UTC = UTC
AMSTERDAM = {"layout": "database", "timezone": "Europe/Amsterdam"}


@pytest.fixture
def asterisk(callkpi_pm):
    return callkpi_pm.catalog.connectors.get("asterisk")


def read(asterisk, path: Path, config: dict = AMSTERDAM) -> list[RawEvent]:
    return [
        e
        for e in asterisk.events(str(path), config, ConnectorRun(str(path)))
        if isinstance(e, RawEvent)
    ]


def test_times_in_the_hour_clocks_go_back_resolve_to_the_right_pass(asterisk):
    events = [
        e.payload
        for e in read(asterisk, FIXTURES / "queue_log_db.csv")
        if e.payload["type"].startswith("contact.")
    ]
    # 26 Oct 2025: 02:50–02:58 come first (CEST, +2); the jump back to 02:05 is the second
    # pass (CET, +1); 03:15 exists once (CET). The first call's answer and end are laid
    # from its offer by the logged holdtime (20) and calltime (460), not the times written.
    assert [(e["type"], e["time"].astimezone(UTC)) for e in events] == [
        ("contact.offered", datetime(2025, 10, 26, 0, 50, 0, 120000, tzinfo=UTC)),
        ("contact.answered", datetime(2025, 10, 26, 0, 50, 20, 120000, tzinfo=UTC)),
        ("contact.ended", datetime(2025, 10, 26, 0, 58, 0, 120000, tzinfo=UTC)),
        ("contact.offered", datetime(2025, 10, 26, 1, 5, tzinfo=UTC)),
        ("contact.abandoned", datetime(2025, 10, 26, 1, 6, tzinfo=UTC)),
        ("contact.offered", datetime(2025, 10, 26, 2, 15, tzinfo=UTC)),
        ("contact.answered", datetime(2025, 10, 26, 2, 15, 30, tzinfo=UTC)),
        ("contact.ended", datetime(2025, 10, 26, 2, 20, 30, tzinfo=UTC)),
    ]
    assert {e["agentid"] for e in events if "agentid" in e} == {"Zoe_Ozturk"}  # 'Zoë Öztürk'


def test_facts_across_the_change_have_real_durations(store, ingestor, asterisk):
    sync_source(asterisk, str(FIXTURES / "queue_log_db.csv"), AMSTERDAM, ingestor)
    with store.transaction() as connection:
        facts = {
            f.contactid: (f.outcome, f.wait_s, f.talk_s)
            for f in connection.execute(select(ContactFact)).all()
        }
    assert facts == {
        # 02:50:00.12 → 02:50:20.5 → 02:58:00 (CEST) as written, but Asterisk logged
        # holdtime 20 and calltime 460: those are the wait and the talk.
        "1761439800.1": ("answered", 20.0, 460.0),
        "1761440700.2": ("abandoned", 60.0, None),  # 02:05 → 02:06 in the second pass
        "1761444900.3": ("answered", 30.0, 300.0),  # 03:15:00 → 03:15:30 → 03:20:30 (CET)
    }


def test_a_time_in_the_spring_forward_gap_is_quarantined(asterisk, tmp_path):
    export = tmp_path / "queue_log.csv"
    export.write_text(
        "2026-03-29 01:59:00,1774745940.1,sales,NONE,ENTERQUEUE,,+31201234567,1,,\n"
        "2026-03-29 02:30:00,1774745940.1,sales,NONE,ABANDON,1,1,31,,\n",
        encoding="utf-8",
    )
    good, bad = read(asterisk, export)
    assert good.payload["time"].astimezone(UTC) == datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    assert bad.origin == "queue_log.csv:2"
    assert bad.error == (
        "line 2: time = '2026-03-29 02:30:00': 2026-03-29 02:30:00 does not exist in "
        "Europe/Amsterdam "
        "(clocks jump forward then); expected a local time outside the daylight-saving gap"
    )


def test_header_with_id_column_single_data_column_and_quotes(asterisk, tmp_path):
    export = tmp_path / "export.csv"
    export.write_text(
        "id,time,callid,queuename,agent,event,data\n"
        '7,2026-01-05 10:00:00,1767603600.1,sales,NONE,ENTERQUEUE,"|+31201234567|1"\n'
        '8,2026-01-05 10:00:12,1767603600.1,sales,"Doe, Jane",CONNECT,12|1767603612.2|3\n',
        encoding="utf-8",
    )
    offered, answered, _state = (e.payload for e in read(asterisk, export))
    assert offered["data"] == {"customer": "+31201234567"}
    assert (answered["agentid"], answered["data"]) == ("Doe_Jane", {"ring_s": 3.0})
    assert answered["time"] == datetime(2026, 1, 5, 9, 0, 12, tzinfo=UTC)  # 10:00:12 CET


def test_database_layout_needs_a_timezone(asterisk):
    with pytest.raises(InvalidConfig) as caught:
        validate_config(asterisk, {"layout": "database", "agents": {"José": "not an id"}})
    assert caught.value.errors == [
        "/: 'timezone' is a required property",
        "/agents/José: 'not an id' does not match '^[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,127}$'",
    ]
