"""History as it was: a fact keeps the team and site its agent had at the fact's own time,
turnover counts each join and leave at its own time, and a survey answer is attributed
through the contact it answers. Hand-worked timelines through the real ingest, on SQLite
and PostgreSQL (the ``ingestor`` fixture).

The week of Monday 2026-01-05 to Sunday 01-11, centre ``default`` (UTC):

    roster
      a1 joined 2025-12-01 09:00, team t1, site s1
      a1 updated 2026-01-07 (Wed) 12:00, team t2
      a1 joined again 2026-01-08 (Thu) 09:00, team t2, site s1: a re-sent join
      a2 joined 2025-11-01 09:00, team t2, site s1; left 2026-01-09 (Fri) 12:00
      a3 joined 2026-01-06 (Tue) 09:00, team t1, site s2
    contacts (offered; answered 20 s later)
      c1 a1 Mon 09:00       t1
      c2 a1 Tue 09:00       t1
      c3 a1 Wed 11:59:00    answered 11:59:20, before the move: t1
      c4 a1 Wed 12:30       t2, channel chat, queue support
      c5 a1 Fri 09:00       t2
      c6 a2 Mon 10:00       t2
      c7 a3 Tue 10:00       t1
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from callkpi.connectors import RawEvent
from callkpi.kpi import ReportRequest, run_report
from callkpi.projector.survey_attribution import Leg, attributed_leg
from callkpi.store.centres import add_centre, load_centres
from callkpi.testing import contact_timeline

WEEK = (date(2026, 1, 5), date(2026, 1, 11))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def roster(make):
    def event(kind, agent, moment, **data):
        return make(f"agent.{kind}", utc(moment), data, agentid=agent)

    joined = [
        event("joined", "a1", "2025-12-01T09:00", team="t1", site="s1"),
        event("joined", "a2", "2025-11-01T09:00", team="t2", site="s1"),
        event("left", "a2", "2026-01-09T12:00"),
        event("joined", "a3", "2026-01-06T09:00", team="t1", site="s2"),
    ]
    moved = event("updated", "a1", "2026-01-07T12:00", team="t2")
    resent = event("joined", "a1", "2026-01-08T09:00", team="t2", site="s1")
    return joined, moved, resent


def contacts(make):
    def call(cid, agent, moment, **extra):
        return contact_timeline(make, cid, utc(moment), agentid=agent, **extra)

    return [
        *call("c1", "a1", "2026-01-05T09:00"),
        *call("c2", "a1", "2026-01-06T09:00"),
        *call("c3", "a1", "2026-01-07T11:59"),
        *call("c4", "a1", "2026-01-07T12:30", channel="chat", queue="support"),
        *call("c5", "a1", "2026-01-09T09:00"),
        *call("c6", "a2", "2026-01-05T10:00"),
        *call("c7", "a3", "2026-01-06T10:00"),
    ]


def agent_states(make):
    """a1 available Wed 11:45–12:00 (t1), not ready 12:00–12:15 (t2 from 12:00)."""
    return [
        make("agent.state_changed", utc(moment), {"state": state}, agentid="a1")
        for moment, state in (
            ("2026-01-07T11:45", "available"),
            ("2026-01-07T12:00", "not_ready"),
            ("2026-01-07T12:15", "logged_out"),
        )
    ]


def ingest(ingestor, *batches):
    for batch in batches:
        outcomes = ingestor.ingest_batch([RawEvent(e, "history") for e in batch])
        assert {o.status for o in outcomes} <= {"accepted", "duplicate"}, outcomes


def report(store, kpis, dimensions, **kwargs):
    return run_report(store, ReportRequest(kpis, *WEEK, dimensions, **kwargs))


ORDERS = ("move_first", "move_last", "move_in_a_later_batch")


def delivered(make, order):
    joined, moved, resent = roster(make)
    rest = [*joined, resent, *contacts(make), *agent_states(make)]
    if order == "move_first":
        return [[moved, *rest]]
    if order == "move_last":
        return [[*rest, moved]]
    return [rest, [moved]]


@pytest.mark.parametrize("order", ORDERS)
def test_contacts_keep_the_team_their_agent_had_when_answering(ingestor, make_event, order):
    ingest(ingestor, *delivered(make_event, order))
    by_team = report(ingestor.store, ("answered",), ("team",))
    # t1: c1, c2, c3 (answered 11:59:20, before the 12:00 move) and c7 = 4; t2: c4, c5, c6 = 3.
    # Joined to today's team, as before, it was t1: c7 = 1 and t2: 6.
    assert {row.dimensions["team"]: row["answered"] for row in by_team.rows} == {"t1": 4, "t2": 3}
    by_site = report(ingestor.store, ("answered",), ("site",))
    assert {row.dimensions["site"]: row["answered"] for row in by_site.rows} == {"s1": 6, "s2": 1}
    # a filter on team reads the same history
    filtered = report(ingestor.store, ("answered",), (), filters={"team": ("t2",)})
    assert filtered.rows[0]["answered"] == 3


def test_the_duckdb_snapshot_attributes_teams_as_the_store_does(ingestor, make_event, tmp_path):
    ingest(ingestor, *delivered(make_event, "move_in_a_later_batch"))
    kpis, dimensions = ("answered", "availability", "agent_turnover"), ("team", "site")

    def numbers(engine):
        request = ReportRequest(kpis, *WEEK, dimensions, engine=engine)
        rows = run_report(ingestor.store, request, snapshot_dir=tmp_path).rows
        return {tuple(row.dimensions.values()): [row[kpi] for kpi in kpis] for row in rows}

    # the snapshot exports dim_agent_history and DuckDB runs the same range join
    assert numbers("duckdb") == numbers("sql")
    assert numbers("sql")[("t1", "s1")][0] == 3  # c1, c2, c3; c7 is a3's, in t1 at site s2


@pytest.mark.parametrize("order", ORDERS)
def test_agent_intervals_take_the_team_of_their_start(ingestor, make_event, order):
    ingest(ingestor, *delivered(make_event, order))
    rows = report(ingestor.store, ("availability",), ("team",)).rows
    # the 11:45 interval (available 900 s of 900 staffed) is t1's: 100 %; the 12:00 one
    # (not ready 900 s) is t2's: 0 %. One team for both would have said 50 %.
    values = {row.dimensions["team"]: row.values["availability"] for row in rows}
    assert values["t1"].value == pytest.approx(100) and values["t1"].n == 900
    assert values["t2"].value == pytest.approx(0) and values["t2"].n == 900


@pytest.mark.parametrize("order", ORDERS)
def test_turnover_counts_joins_and_leaves_at_their_own_times(ingestor, make_event, order):
    ingest(ingestor, *delivered(make_event, order))
    (row,) = report(ingestor.store, ("agent_turnover",), ()).rows
    # headcount at Mon 00:00: a1, a2 = 2; at the next Mon 00:00: a1, a3 = 2 (a2 left Fri);
    # left 1 → 1 ÷ 2 = 50 %; 3 agents. The re-sent join of a1 on Thu is no new join: when it
    # moved a1's join date, a1 was missing at the start: 1 ÷ ((1 + 2) ÷ 2) = 66.67 %.
    turnover = row.values["agent_turnover"]
    assert turnover.value == pytest.approx(50)
    assert turnover.n == 3
    assert turnover.details == {"headcount_start": 2, "headcount_end": 2, "left": 1}
    by_team = report(ingestor.store, ("agent_turnover",), ("team",))
    # t1: a1 at the start, a3 at the end (a1 moved to t2), nobody left: 0 %.
    # t2: a2 at the start, a1 at the end, a2 left from t2: 1 ÷ 1 = 100 %.
    t1 = by_team.row(team="t1")["agent_turnover"]
    t2 = by_team.row(team="t2")["agent_turnover"]
    assert (t1, t2) == (pytest.approx(0), pytest.approx(100))


def surveys(make):
    """s1 answers c1 (sent by web link, CSAT 2), s4 answers c4 (by SMS, CSAT 5), s6 answers
    c6 with only the contact id, as a CSV export's satisfaction column does (CSAT 4)."""

    def event(kind, moment, cid, **data):
        return make(kind, utc(moment), data, contactid=cid)

    def answer(moment, cid, surveyid, score):
        return event(
            "survey.response_received", moment, cid,
            surveyid=surveyid, instrument="csat", scale="1-5", score=score,
        )

    return [
        event("survey.sent", "2026-01-05T10:00", "c1", surveyid="s1", channel="web"),
        answer("2026-01-05T11:00", "c1", "s1", 2),
        event("survey.sent", "2026-01-07T13:00", "c4", surveyid="s4", channel="sms"),
        answer("2026-01-07T14:00", "c4", "s4", 5),
        answer("2026-01-05T12:00", "c6", "s6", 4),
    ]


def csat_answers(store, dimension):
    rows = report(store, ("csat",), (dimension,)).rows
    return {row.dimensions[dimension]: row.values["csat"].n for row in rows}


@pytest.mark.parametrize("order", ("answers_first", "contacts_first", "one_batch"))
def test_survey_answers_are_attributed_through_their_contact(ingestor, make_event, order):
    joined, moved, resent = roster(make_event)
    people = [*joined, moved, resent, *contacts(make_event)]
    answers = surveys(make_event)
    batches = {
        "answers_first": [answers, people],
        "contacts_first": [people, answers],
        "one_batch": [[*answers, *people]],
    }[order]
    ingest(ingestor, *batches)
    store = ingestor.store
    # answers counted per group (CSAT withholds its value below 30 answers; n is the count).
    # None of the events names an agent or queue: all come from the contacts.
    assert csat_answers(store, "agent") == {"a1": 2, "a2": 1}  # s1, s4 | s6
    assert csat_answers(store, "queue") == {"sales": 2, "support": 1}  # s1, s6 | s4
    # s1's agent a1 answered c1 on Mon (t1), s4's answered c4 after the move (t2), s6's is a2
    assert csat_answers(store, "team") == {"t1": 1, "t2": 2}
    assert csat_answers(store, "channel") == {"voice": 2, "chat": 1}  # the contacts' media
    assert csat_answers(store, "survey_channel") == {"web": 1, "sms": 1, None: 1}
    # satisfied: s4 (5) and s6 (4) of 3 answers; the interval is there even when withheld
    (row,) = report(store, ("csat",), ()).rows
    assert row.values["csat"].n == 3
    # the wait of the contact comes along: 20 s for each
    with store.transaction() as connection:
        waits = connection.exec_driver_sql("SELECT wait_s FROM fact_survey_response").scalars()
        assert list(waits) == [20, 20, 20]


def test_the_agent_policy_picks_among_the_contact_legs():
    # three agents handled one contact: a1 from 09:00 for 100 s, a2 from 09:05 for 300 s,
    # a3 from 09:10 for 50 s; given out of order
    legs = [
        Leg("a3", utc("2026-01-05T09:10"), 50),
        Leg("a1", utc("2026-01-05T09:00"), 100),
        Leg("a2", utc("2026-01-05T09:05"), 300),
    ]
    assert attributed_leg(legs, "last").agentid == "a3"
    assert attributed_leg(legs, "first").agentid == "a1"
    assert attributed_leg(legs, "longest").agentid == "a2"
    assert attributed_leg([], "last") is None


@pytest.mark.parametrize(
    ("policy", "credited"), [("last", "a2"), ("first", "a1"), ("longest", "a2")]
)
@pytest.mark.parametrize("answer_first", (True, False))
def test_a_survey_of_a_transferred_contact_goes_to_the_agent_the_policy_names(
    ingestor, make_event, policy, credited, answer_first
):
    """T: a1 answers at 09:00:10 and blind-transfers at 09:01:40 (handle 90 + ACW 15 = 105 s);
    a2 answers at 09:02:10, the call ends at 09:05:50 (handle 220 + ACW 20 = 240 s). Its
    survey answer carries only the contact id: last → a2, first → a1, longest → a2 (240 > 105)."""
    store = ingestor.store
    with store.transaction() as connection:
        config = load_centres(connection)["default"]
        settings = config.settings.model_copy(update={"survey_agent_policy": policy})
        add_centre(connection, config.name, config.timezone, settings)

    def event(kind, seconds, data=None, **extensions):
        moment = datetime(2026, 1, 5, 9, tzinfo=UTC) + timedelta(seconds=seconds)
        return make_event(kind, moment, data or {}, contactid="T", **extensions)

    contact = [
        event("contact.offered", 0, queue="support"),
        event("contact.answered", 10, agentid="a1", queue="support"),
        event("contact.transferred", 100, {"kind": "blind", "to_queue": "sales"}, agentid="a1"),
        event("contact.offered", 100, queue="sales"),
        event("contact.answered", 130, agentid="a2", queue="sales"),
        event("contact.ended", 350, {"ended_by": "customer"}, agentid="a2"),
        event("contact.wrapup_completed", 115, agentid="a1"),
        event("contact.wrapup_completed", 370, agentid="a2"),
    ]
    answer = event(
        "survey.response_received", 3600, {"surveyid": "sT", "instrument": "csat", "scale": "1-5", "score": 5}
    )
    ingest(ingestor, *([[answer], contact] if answer_first else [contact, [answer]]))
    assert csat_answers(store, "agent") == {credited: 1}
