"""The twilio-taskrouter connector's mapping on a messy day, and the facts it makes.

The fixture (fixtures/twilio_taskrouter/events.json), times UTC on 2025-10-26, the day
Europe/Amsterdam goes from CEST (+2) back to CET (+1) at 01:00 UTC:

* WT…a1 voice, Support: created 00:30:00 (02:30 CEST), queue entered 00:30:01, reservation
  accepted by Zoë Ångström 00:30:20, task.wrapup 00:35:20, task.completed 00:36:00
  (disposition sale, resolved yes) → wait 20, talk 300, ACW 40, handle 340.
* WT…a2 voice, Support: created 01:30:00 (the *second* 02:30, CET), canceled "hangup"
  01:31:15 → abandoned after 75 s.
* WT…a3 chat, Sales: created 01:40:00, accepted by 李雷 01:40:10, warm transfer to a worker
  01:45:00, completed 01:52:10 without wrap-up → wait 10, talk 720, ACW 0, handle 720.
* WT…a4 voice, Support, caller "anonymous": created 02:00:00, canceled "Task TTL Exceeded"
  02:05:00 → timed out after 300 s.
* Zoë: Available 00:00, Break 00:40, Offline 01:00; 李雷: Available 00:00.
* Mess: served newest first, the accepted event of WT…a1 delivered twice, an unknown event
  type, a task.deleted, a reservation.created, and one item whose date is garbage.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from twilio_taskrouter_api import ACCOUNT_SID, AUTH_TOKEN, fixture_events, serve_events_api

from callkpi.checkpoints import sync_source
from callkpi.connector_conformance import ConnectorTests
from callkpi.connectors import ConnectorRun, RawEvent
from callkpi.store.centres import add_centre
from callkpi.store.tables import AgentIntervalFact, ContactFact

ZOE, LI = "WK" + "1" * 32, "WK" + "2" * 32
TASK = {n: "WT" + f"{0xa0 + n:032x}" for n in range(1, 5)}
CONFIG = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
          "start_date": "2025-10-25T00:00:00Z", "page_size": 5}
AMSTERDAM = {**CONFIG, "centre": "ams"}


@pytest.fixture
def api():
    with serve_events_api(fixture_events()) as running:
        yield running


def read_all(connector, api) -> tuple[list[RawEvent], ConnectorRun]:
    run = ConnectorRun(api.url)
    return [e for e in connector.events(api.url, CONFIG, run) if isinstance(e, RawEvent)], run


class TestTwilioTaskRouterConformance(ConnectorTests):
    connector_id = "twilio-taskrouter"

    @pytest.fixture(autouse=True)
    def _api(self, api) -> None:
        self.api = api

    def sample(self, tmp_path: Path) -> tuple[str, dict]:
        return self.api.url, CONFIG


@pytest.fixture
def connector(callkpi_pm):
    return callkpi_pm.catalog.connectors.get("twilio-taskrouter")


def test_each_taskrouter_event_maps_to_the_documented_events(connector, api) -> None:
    events, run = read_all(connector, api)
    types = Counter(e.payload["type"] for e in events if e.error is None)
    # offered: 3 created + 1 created + 1 queue entered = 5 (WT…a1 twice); answered: WT…a1
    # (delivered twice) and WT…a3 = 3; ended: wrapup a1, completed a1 and a3, TTL a4 = 4;
    # wrap-up completed: a1, a3 = 2; states: 2 Available + Break + Offline + on_contact ×3
    # (a1 twice, a3) + after_contact_work + Available at reservation.completed = 9.
    assert types == {"contact.offered": 5, "contact.answered": 3, "contact.ended": 4,
                     "contact.wrapup_completed": 2, "contact.abandoned": 1,
                     "contact.transferred": 1, "agent.state_changed": 9}
    errors = [e for e in events if e.error]
    assert [e.error for e in errors] == [
        "event_date = 'yesterday at noon': expected an ISO 8601 time such as "
        "'2025-03-30T09:00:00Z'"]
    assert run.notes == {"workspace.mystery-happened events (unknown event type, skipped)": 1,
                         "task.deleted events (informational, skipped)": 1,
                         "reservation.created events (informational, skipped)": 1}


def test_event_ids_come_from_the_event_sid(connector, api) -> None:
    events, _ = read_all(connector, api)
    sid = "EV" + f"{6:032x}"
    accepted = [(e.payload["id"], e.payload["type"]) for e in events
                if e.error is None and sid in e.payload["id"]]
    # The accepted event (sid 6) yields the answer and the agent's on_contact; delivered twice.
    assert sorted(accepted) == [(f"twtr-{sid}", "contact.answered")] * 2 + [
        (f"twtr-{sid}-s", "agent.state_changed")] * 2


def test_task_fields_become_extensions_and_data(connector, api) -> None:
    events, _ = read_all(connector, api)
    by_id = {e.payload["id"]: e.payload for e in events if e.error is None}
    offered = by_id["twtr-EV" + f"{3:032x}"]
    assert (offered["contactid"], offered["queue"], offered["channel"]) == (TASK[1], "Support",
                                                                             "voice")
    assert offered["data"] == {"customer": "+31612345678"}
    assert by_id["twtr-EV" + f"{19:032x}"]["data"] == {}  # "anonymous" is no customer
    assert by_id["twtr-EV" + f"{15:032x}"]["channel"] == "chat"
    assert by_id["twtr-EV" + f"{17:032x}"]["data"] == {"kind": "attended", "to_agent": ZOE}
    assert by_id["twtr-EV" + f"{9:032x}"]["data"] == {"disposition": "sale", "resolved": True}
    assert by_id["twtr-EV" + f"{20:032x}"]["data"] == {"ended_by": "system", "timed_out": True}
    assert by_id["twtr-EV" + f"{11:032x}"]["data"] == {"state": "not_ready", "reason": "Break"}
    assert by_id["twtr-EV" + f"{12:032x}"]["data"] == {"state": "logged_out"}


def test_worker_names_as_agent_ids_survive_non_ascii(connector, api) -> None:
    config = {**CONFIG, "agent_id": "name"}
    run = ConnectorRun(api.url)
    events = [e.payload for e in connector.events(api.url, config, run)
              if isinstance(e, RawEvent) and e.error is None]
    agents = {p["agentid"] for p in events if "agentid" in p}
    # Accents are dropped (Zoë Ångström → Zoe_Angstrom); a name with no Latin letters at all
    # becomes a stable hash id.
    assert "Zoe_Angstrom" in agents
    other = agents - {"Zoe_Angstrom"}
    assert len(other) == 1 and other.pop().startswith("x")


def test_configured_activity_map_wins_over_the_default(connector, api) -> None:
    config = {**CONFIG, "activities": {"BREAK": {"state": "not_ready", "reason": "pause",
                                                 "is_break": True}}}
    events = [e.payload for e in connector.events(api.url, config, ConnectorRun(api.url))
              if isinstance(e, RawEvent) and e.error is None]
    states = [p["data"] for p in events if p["id"] == "twtr-EV" + f"{11:032x}"]
    assert states == [{"state": "not_ready", "reason": "pause", "is_break": True}]


def facts(store) -> dict[str, ContactFact]:
    with store.transaction() as connection:
        return {f.contactid: f for f in connection.execute(select(ContactFact)).all()}


@pytest.fixture
def synced(connector, api, ingestor):
    with ingestor.store.transaction() as connection:
        add_centre(connection, "ams", "Europe/Amsterdam")
    return sync_source(connector, api.url, AMSTERDAM, ingestor, batch_size=7)


def test_sync_stores_each_event_once_and_quarantines_the_broken_one(synced) -> None:
    # 23 distinct events + 2 repeats of the twice-delivered accept; 1 garbage item.
    assert (synced.ingest.accepted, synced.ingest.duplicates, synced.ingest.quarantined) == (
        23, 2, 1)


def test_contact_facts_outcomes_and_durations(synced, ingestor) -> None:
    rows = facts(ingestor.store)
    got = {task: (rows[task].outcome, rows[task].wait_s, rows[task].talk_s, rows[task].acw_s,
                  rows[task].handle_s) for task in TASK.values()}
    assert got == {TASK[1]: ("answered", 20, 300, 40, 340),
                   TASK[2]: ("abandoned", 75, None, None, None),
                   TASK[3]: ("answered", 10, 720, 0, 720),
                   TASK[4]: ("timed_out", 300, None, None, None)}
    assert (rows[TASK[1]].agentid, rows[TASK[3]].agentid) == (ZOE, LI)
    assert (rows[TASK[1]].disposition, rows[TASK[1]].resolved) == ("sale", True)
    assert (rows[TASK[3]].transfers, rows[TASK[3]].channel, rows[TASK[3]].queue) == (
        1, "chat", "Sales")
    assert rows[TASK[1]].customer_hmac is not None and rows[TASK[4]].customer_hmac is None


def test_asa_and_aht_from_the_facts(synced, ingestor) -> None:
    answered = select(func.avg(ContactFact.wait_s), func.avg(ContactFact.handle_s)).where(
        ContactFact.outcome == "answered")
    with ingestor.store.transaction() as connection:
        asa, aht = connection.execute(answered).one()
    # ASA = (20 + 10) / 2 = 15 s; AHT = (340 + 720) / 2 = 530 s.
    assert (asa, aht) == (15, 530)


def test_both_half_past_twos_of_the_dst_day_are_local_hour_two(synced, ingestor) -> None:
    rows = facts(ingestor.store)
    # 00:30Z is 02:30 CEST and 01:30Z is 02:30 CET: same local date, hour and interval.
    for task in (TASK[1], TASK[2]):
        assert (rows[task].local_date, rows[task].local_hour, rows[task].local_interval) == (
            date(2025, 10, 26), 2, 150)
    assert rows[TASK[1]].offered_at == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)


def test_agent_time_from_activities_and_reservations(synced, ingestor) -> None:
    query = select(func.sum(AgentIntervalFact.staffed_s), func.sum(AgentIntervalFact.available_s),
                   func.sum(AgentIntervalFact.on_contact_s), func.sum(AgentIntervalFact.acw_s),
                   func.sum(AgentIntervalFact.not_ready_s)).where(AgentIntervalFact.agentid == ZOE)
    with ingestor.store.transaction() as connection:
        totals = tuple(connection.execute(query).one())
    # Zoë 00:00–01:00 staffed 3600: available 00:00–00:30:20 (1820) + 00:36–00:40 (240) = 2060,
    # on contact 00:30:20–00:35:20 = 300, ACW to 00:36 = 40, break 00:40–01:00 = 1200.
    assert totals == (3600, 2060, 300, 40, 1200)
