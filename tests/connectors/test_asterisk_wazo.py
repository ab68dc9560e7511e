"""The asterisk connector on a Wazo-flavoured queue_log (fixtures/queue_log_wazo, written
from the documented formats): logged durations against late timestamps, answers by an
unknown member (NONE), saturated queues (DIVERT_*), calls seen only from their end,
callback agents logging off with Wazo's trailing UNPAUSEALL, WRAPUPSTART, outbound
QueueUpdate calls (OUTCALL), a blind transfer into a queue and an overflow after a timeout.

Times below are seconds after 08:00:00Z on Monday 2 Feb 2026 (epoch 1770019200); Agent/1001
is ann, Agent/1002 bob, Agent/1003 carl. The calls, with their lines (+s):

  c5  cut off: COMPLETECALLER +20 by carl, holdtime 40, calltime 100 → answered −80 by carl,
      offered −120 (rebuilt), wait 40, talk 100.
  c6  cut off: ATTENDEDTRANSFER +60 by ann, holdtime 30, calltime 50 → answered +10, offered
      −20, transferred and ended +60: wait 30, talk 50, 1 transfer.
  c1  ENTERQUEUE +100; CONNECT written +113 with holdtime 12 → answered +112 (ring 4);
      COMPLETEAGENT written +203 with calltime 88 → ended +200; WRAPUPSTART 15 → ann in
      after-contact work +200..+215: wait 12, talk 88, ACW 15, handle 103.
  c2  ENTERQUEUE +300; CONNECT and COMPLETECALLER by NONE: answered +320 by agent
      "unknown", ended +380: wait 20, talk 60.
  c3, c4  DIVERT_CA_RATIO +400 (q1), DIVERT_HOLDTIME +410 (q2): blocked, saturated.
  c7  ENTERQUEUE q1 +500; bob +505 (wait 5); BLINDTRANSFER +565; ENTERQUEUE q2 +566; ann
      +586 (holdtime 20); COMPLETECALLER +686: one contact, wait 5, talk 505→686 = 181
      (the contact's span, the second queue's 21 s included), 1 transfer.
  c8  ENTERQUEUE q1 +700; EXITWITHTIMEOUT +760; ENTERQUEUE q2 +761 (overflow); bob +771;
      COMPLETEAGENT +831: wait 700→771 = 71, talk 60, 1 transfer (on to q2).
  c9  ENTERQUEUE +1000, EXITWITHTIMEOUT +1090 (waittime 90), nothing after: timed out, 90.
  c10 ENTERQUEUE +1100, ABANDON written +1146 with waittime 45: abandoned, wait 45.
  o1  OUTCALL +1500 ANSWER talktime 120 totaltime 135 (ann): outbound, dialled +1365,
      answered +1380, ended +1500: wait 15, talk 120.
  o2  OUTCALL +1600 BUSY totaltime 8: outbound setup failure (busy) at +1592.

Agents: ann logs in +0, out +3600; bob in +60, out +960 (then UNPAUSEALL and UNPAUSE ×2 at
+961, a PAUSE at +1200: all while logged out), in +1800, out +2700; carl, never seen logging
in, is on c5 from −80 and logs off +600.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from kpi_checks import values
from sqlalchemy import select

from callkpi.checkpoints import sync_source
from callkpi.connectors import ConnectorRun, RawEvent
from callkpi.kpi.engine import run_report
from callkpi.kpi.report import KpiSelection, ReportRequest
from callkpi.store.tables import AgentIntervalFact, ContactFact

WAZO_LOG = Path(__file__).parent / "fixtures" / "queue_log_wazo"
CONFIG = {"agents": {"Agent/1001": "ann", "Agent/1002": "bob", "Agent/1003": "carl"}}
T0 = 1770019200  # 2026-02-02 08:00:00Z
C1, C2, C3, C4, C5, C6 = (
    "1770019300.1",
    "1770019500.2",
    "1770019600.3",
    "1770019610.4",
    "1770019080.5",
    "1770019180.6",
)
C7, C8, C9, C10, O1, O2 = (
    "1770019700.7",
    "1770019900.8",
    "1770020200.9",
    "1770020300.10",
    "1770020565.50",
    "1770020792.51",
)


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, UTC)


@pytest.fixture
def asterisk(callkpi_pm):
    return callkpi_pm.catalog.connectors.get("asterisk")


def read(asterisk) -> tuple[list[RawEvent], ConnectorRun]:
    run = ConnectorRun(str(WAZO_LOG))
    events = [e for e in asterisk.events(str(WAZO_LOG), CONFIG, run) if isinstance(e, RawEvent)]
    return events, run


def lifecycle(asterisk) -> dict[str, list[tuple]]:
    """Per contact, its events as (type, +seconds, agent, data), in time order."""
    calls: dict[str, list[tuple]] = defaultdict(list)
    for event in read(asterisk)[0]:
        if event.error is None and "contactid" in event.payload:
            p = event.payload
            row = (p["type"], p["time"].timestamp() - T0, p.get("agentid"), p["data"])
            calls[p["contactid"]].append((p.get("queue"), *row))
    return {callid: sorted(rows, key=lambda r: r[2]) for callid, rows in calls.items()}


def test_a_transfer_or_overflow_into_another_queue_is_one_contact_in_legs(asterisk):
    calls = lifecycle(asterisk)
    # The blind transfer's own line gives the transfer; the new ENTERQUEUE opens q2's leg;
    # no end at the transfer: the contact ends once, with ann.
    assert calls[C7] == [
        ("q1", "contact.offered", 500, None, {"customer": "+31201110007"}),
        ("q1", "contact.answered", 505, "bob", {"ring_s": 3.0}),
        ("q1", "contact.transferred", 565, "bob", {"kind": "blind"}),
        ("q2", "contact.offered", 566, None, {"customer": "+31201110007"}),
        ("q2", "contact.answered", 586, "ann", {"ring_s": 2.0}),
        ("q2", "contact.ended", 686, "ann", {"ended_by": "customer"}),
    ]
    # The timeout in q1 is not an end: the caller went on to q2 a second later.
    assert calls[C8] == [
        ("q1", "contact.offered", 700, None, {"customer": "+31201110008"}),
        ("q2", "contact.transferred", 761, None, {"kind": "unknown", "to_queue": "q2"}),
        ("q2", "contact.offered", 761, None, {"customer": "+31201110008"}),
        ("q2", "contact.answered", 771, "bob", {"ring_s": 1.0}),
        ("q2", "contact.ended", 831, "bob", {"ended_by": "agent"}),
    ]
    # Nothing follows c9's timeout within the grace: its end comes out, at the logged wait.
    assert calls[C9][-1] == (
        "q1",
        "contact.ended",
        1090,
        None,
        {"ended_by": "system", "timed_out": True},
    )


def test_logged_durations_unknown_agents_saturation_and_cut_off_calls(asterisk):
    calls = lifecycle(asterisk)
    # c1: answer at offer + holdtime, end at answer + calltime, not the lines' +113 / +203.
    assert [(kind, t) for _q, kind, t, _a, _d in calls[C1]] == [
        ("contact.offered", 100),
        ("contact.answered", 112),
        ("contact.ended", 200),
        ("contact.wrapup_completed", 215),
    ]
    # c2: answered by a member logged as NONE — the agentid "unknown" (contact.answered
    # must name one), no agent state for it, nothing quarantined.
    assert [(kind, t, agent) for _q, kind, t, agent, _d in calls[C2]] == [
        ("contact.offered", 300, None),
        ("contact.answered", 320, "unknown"),
        ("contact.ended", 380, "unknown"),
    ]
    assert calls[C3] == [("q1", "contact.blocked", 400, None, {"reason": "saturated_ca_ratio"})]
    assert calls[C4] == [("q2", "contact.blocked", 410, None, {"reason": "saturated_holdtime"})]
    # c5, c6: seen only from their end, answered by the agent on that line.
    assert [(kind, t, agent) for _q, kind, t, agent, _d in calls[C5]] == [
        ("contact.offered", -120, None),
        ("contact.answered", -80, "carl"),
        ("contact.ended", 20, "carl"),
    ]
    assert [(kind, t, agent) for _q, kind, t, agent, _d in calls[C6]] == [
        ("contact.offered", -20, None),
        ("contact.answered", 10, "ann"),
        ("contact.transferred", 60, "ann"),
        ("contact.ended", 60, "ann"),
    ]
    assert calls[C10][-1] == ("q2", "contact.abandoned", 1145, None, {"phase": "queue"})


def test_outbound_calls_and_what_stays_unmapped(asterisk):
    calls = lifecycle(asterisk)
    outbound = {"direction": "outbound", "customer": "0612345678"}
    assert calls[O1] == [
        ("q1", "contact.offered", 1365, "ann", outbound),
        ("q1", "contact.answered", 1380, "ann", {}),
        ("q1", "contact.ended", 1500, "ann", {"ended_by": "unknown"}),
    ]
    busy = {"direction": "outbound", "customer": "0201112233", "reason": "busy"}
    assert calls[O2] == [("q1", "contact.setup_failed", 1592, "ann", busy)]
    events, run = read(asterisk)
    (bad,) = [e for e in events if e.error]
    assert bad.error == (
        "line 40: data1 = '': expected the wrap-up time in seconds on a WRAPUPSTART line"
    )
    assert run.notes == {
        "RINGNOANSWER lines (informational, no canonical event)": 1,
        # OUTDIAL is documented nowhere (Asterisk's own outbound line is OUTCALL): counted.
        "OUTDIAL lines (unknown event, skipped)": 1,
        "lines that could not be read (quarantined)": 1,
        "calls cut off at the start (no ENTERQUEUE): offer reconstructed from the logged wait": 2,
    }


def test_agent_states_logins_and_wrap_up(asterisk):
    states = defaultdict(list)
    for event in read(asterisk)[0]:
        p = event.payload
        if event.error is None and p["type"] == "agent.state_changed":
            states[p["agentid"]].append((p["time"].timestamp() - T0, p["data"]["state"]))
    # Wazo's UNPAUSEALL / UNPAUSE a second after the logoff and the PAUSE while logged out
    # change nothing, so the second login is a login.
    assert sorted(states["bob"]) == [
        (60, "available"),
        (505, "on_contact"),
        (565, "available"),
        (771, "on_contact"),
        (831, "available"),
        (960, "logged_out"),
        (1800, "available"),
        (2700, "logged_out"),
    ]
    assert sorted(states["ann"]) == [
        (0, "available"),
        (10, "on_contact"),  # c6, answered before the file shows it
        (60, "available"),
        (112, "on_contact"),
        (200, "after_contact_work"),  # from c1's logged end, for WRAPUPSTART's 15 s
        (215, "available"),
        (586, "on_contact"),
        (686, "available"),
        (3600, "logged_out"),
    ]
    assert sorted(states["carl"]) == [(-80, "on_contact"), (20, "available"), (600, "logged_out")]


def test_contact_facts_match_the_hand_worked_numbers(store, ingestor, asterisk):
    summary = sync_source(asterisk, str(WAZO_LOG), CONFIG, ingestor).ingest
    assert summary.quarantined == 1  # the WRAPUPSTART without its seconds
    with store.transaction() as connection:
        facts = {f.contactid: f for f in connection.execute(select(ContactFact)).all()}
    row = {
        cid: (f.outcome, f.agentid, f.wait_s, f.talk_s, f.acw_s, f.handle_s, f.transfers)
        for cid, f in facts.items()
    }
    assert row == {
        C5: ("answered", "carl", 40.0, 100.0, None, 100.0, 0),
        C6: ("answered", "ann", 30.0, 50.0, None, 50.0, 1),
        C1: ("answered", "ann", 12.0, 88.0, 15.0, 103.0, 0),
        C2: ("answered", "unknown", 20.0, 60.0, None, 60.0, 0),
        C3: ("blocked", None, None, None, None, None, 0),
        C4: ("blocked", None, None, None, None, None, 0),
        C7: ("answered", "bob", 5.0, 181.0, None, 181.0, 1),
        C8: ("answered", "bob", 71.0, 60.0, None, 60.0, 1),
        C9: ("timed_out", None, 90.0, None, None, None, 0),
        C10: ("abandoned", None, 45.0, None, None, None, 0),
        O1: ("answered", "ann", 15.0, 120.0, None, 120.0, 0),
        O2: ("setup_failed", None, None, None, None, None, 0),  # no answer, no agent
    }
    assert (facts[C7].queue, facts[C8].queue) == ("q1", "q1")  # the first leg's queue
    assert {cid: f.direction for cid, f in facts.items() if f.direction == "outbound"} == {
        O1: "outbound",
        O2: "outbound",
    }


def test_staffed_time_is_each_login_to_its_logoff(store, ingestor, asterisk):
    sync_source(asterisk, str(WAZO_LOG), CONFIG, ingestor)
    with store.transaction() as connection:
        facts = connection.execute(select(AgentIntervalFact)).all()
    staffed = defaultdict(dict)
    for fact in facts:
        minute = int((fact.interval_start.timestamp() - T0) // 60)
        staffed[fact.agentid][minute] = fact.staffed_s
    # bob +60..+960 and +1800..+2700 = 1800 s, split as logged: 08:00 840, 08:15 60, 08:30
    # 900 (the old mapping read the UNPAUSEALL at +961 as a login: 900 + 1739 = 2639 s).
    assert {m: s for m, s in staffed["bob"].items() if s} == {0: 840.0, 15: 60.0, 30: 900.0}
    # ann +0..+3600: every interval of the hour; carl −80..+600: 07:45 80, 08:00 600.
    assert {m: s for m, s in staffed["ann"].items() if s} == {0: 900.0, 15: 900.0, 30: 900.0, 45: 900.0}
    assert {m: s for m, s in staffed["carl"].items() if s} == {-15: 80.0, 0: 600.0}
    ann = {int((f.interval_start.timestamp() - T0) // 60): f for f in facts if f.agentid == "ann"}
    # 08:00–08:15: on c6 +10..+60, c1 +112..+200, c7 +586..+686 = 238 s; wrap-up 15 s.
    assert (ann[0].on_contact_s, ann[0].acw_s, ann[0].available_s) == (238.0, 15.0, 647.0)


def test_login_state_survives_the_checkpoint(store, ingestor, asterisk, tmp_path):
    log = tmp_path / "queue_log"
    lines = WAZO_LOG.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:27]), encoding="utf-8")  # up to bob's logoff at +960
    sync_source(asterisk, str(log), CONFIG, ingestor)
    with log.open("a", encoding="utf-8") as handle:
        handle.write("".join(lines[27:]))  # the UNPAUSEALL after it comes in the next run
    sync_source(asterisk, str(log), CONFIG, ingestor)
    with store.transaction() as connection:
        bob = connection.execute(
            select(AgentIntervalFact).where(AgentIntervalFact.agentid == "bob")
        ).all()
    assert sum(f.staffed_s for f in bob) == 1800.0


def test_kpis_match_the_hand_worked_numbers(store, ingestor, asterisk):
    sync_source(asterisk, str(WAZO_LOG), CONFIG, ingestor)
    views = (
        KpiSelection("offered", "first_queue"),
        KpiSelection("answered", "first_queue"),
        KpiSelection("abandon_rate", "first_queue"),
        KpiSelection("asa", "first_queue"),
        KpiSelection("aht", "per_contact"),
    )
    kpis = ("offered", "received", "answered", "abandon_rate", "asa", "aht", "blocked_rate", *views)
    request = ReportRequest(kpis, date(2026, 2, 2), date(2026, 2, 2), group_by=("direction",))
    rows = {row.dimensions["direction"]: values(row) for row in run_report(store, request).rows}
    # Queue legs (queue KPIs count them): answered c5 40, c6 30, c1 12, c2 20, c7 5 (q1) and 20
    # (q2), c8 10 (q2, +761 → bob +771); c8's q1 leg left at +761 on to q2 (transferred, not
    # answered there), c9 timed out, c10 abandoned: offered 10, answered 7, abandon rate 1 / 10.
    # ASA (40 + 30 + 12 + 20 + 5 + 20 + 10) / 7 = 137 / 7. Agent legs (agent KPIs count them):
    # carl c5 100, ann c6 50, ann c1 103, unknown c2 60, bob c7 60 (+505..+565), ann c7 100
    # (+586..+686), bob c8 60: AHT 533 / 7. received = contacts offered 8 + blocked c3 c4 = 10,
    # blocked 2 / 10 = 20 %.
    # The contact views: offered = answered c1 c2 c5 c6 c7 c8 (6) + abandoned c10 + timed out
    # c9 = 8; abandon rate 1 / 8 = 12.5 %; ASA (12 + 20 + 40 + 30 + 5 + 71) / 6 = 178 / 6;
    # AHT (103 + 60 + 100 + 50 + 181 + 60) / 6 = 554 / 6.
    assert rows["inbound"] == pytest.approx(
        {
            "offered": 10,
            "received": 10,
            "answered": 7,
            "abandon_rate": 10.0,
            "asa": 137 / 7,
            "aht": 533 / 7,
            "blocked_rate": 20.0,
            "offered:first_queue": 8,
            "answered:first_queue": 6,
            "abandon_rate:first_queue": 12.5,
            "asa:first_queue": 178 / 6,
            "aht:per_contact": 554 / 6,
        }
    )
    # Outbound: o1 answered after 15 s of ringing, talked 120 s; o2 (busy) never reached anyone.
    assert rows["outbound"] == pytest.approx(
        {
            "offered": 1,
            "received": 1,
            "answered": 1,
            "abandon_rate": 0.0,
            "asa": 15.0,
            "aht": 120.0,
            "blocked_rate": 0.0,
            "offered:first_queue": 1,
            "answered:first_queue": 1,
            "abandon_rate:first_queue": 0.0,
            "asa:first_queue": 15.0,
            "aht:per_contact": 120.0,
        }
    )
