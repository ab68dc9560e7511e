"""Order independence: any permutation, duplication and batching of the same events
gives exactly the facts of ingesting them sorted, in one batch — ties in time included,
with and without the source's ``sequence``; and where the source orders every event, which
same-time event got which id does not change the facts either."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from callkpi.connectors import RawEvent, sequence
from callkpi.kpi import ReportRequest, run_report
from callkpi.projector import rebuild, refresh_open_time
from callkpi.store.centres import CentreSettings, add_centre, load_centres
from callkpi.store.tables import (
    AgentDimension,
    AgentHistory,
    AgentIntervalFact,
    AgentOpenEpisode,
    AgentOpenIntervalFact,
    CentreDataEnd,
    ContactFact,
    ContactLegFact,
    ScheduleSegment,
    StoredEvent,
    SurveyFact,
    SurveyResponseFact,
)
from callkpi.testing import event_factory

# Across Amsterdam's 23-hour day, so intervals and buckets meet the DST change too.
BASE = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
FACT_TABLES = (ContactFact, AgentIntervalFact, AgentDimension)
# still-open agent episodes, their time counted up to the data end, and the data end itself
OPEN_TABLES = (AgentOpenEpisode, AgentOpenIntervalFact, CentreDataEnd)
CONTACT_STEPS = [
    "contact.offered",
    "contact.answered",
    "contact.hold_started",
    "contact.hold_ended",
    "contact.transferred",
    "contact.abandoned",
    "contact.ended",
    "contact.wrapup_completed",
    "contact.blocked",
    "contact.self_served",
    "sale.recorded",
    "contact.recorded",
]
STATES = ["available", "on_contact", "after_contact_work", "not_ready", "logged_out"]
minutes = st.integers(0, 240)


def when(minute: int, second: int = 0) -> datetime:
    return BASE + timedelta(minutes=minute, seconds=second)


# Half the events fall on one of a few moments, so ties in time are common.
TIE_MOMENTS = [when(30), when(30, 1), when(60)]


def tie_prone_time(draw, seconds: st.SearchStrategy[int]) -> datetime:
    if draw(st.booleans()):
        return draw(st.sampled_from(TIE_MOMENTS))
    return when(draw(minutes), draw(seconds))


def contact_data(draw, kind: str, moment: datetime) -> dict:
    if kind == "contact.offered":
        return {"customer": draw(st.sampled_from(["+31201111111", "+31202222222"]))}
    if kind == "contact.ended":
        return {"ended_by": draw(st.sampled_from(["customer", "system", "agent"]))}
    if kind == "contact.wrapup_completed":
        return {
            "disposition": draw(st.sampled_from(["done", "callback"])),
            "resolved": draw(st.booleans()),
        }
    if kind == "sale.recorded":
        return {
            "saleid": f"s{draw(st.integers(0, 9999))}",
            "amount": draw(st.sampled_from([9.99, 20.0, 0.1])),
            "currency": "EUR",
        }
    if kind == "contact.recorded":
        return {
            "outcome": "abandoned",
            "offered_at": moment.isoformat(),
            "ended_at": (moment + timedelta(seconds=draw(st.integers(0, 300)))).isoformat(),
        }
    return {}


@st.composite
def scenario(draw) -> list[dict]:
    make = event_factory(f"p{draw(st.integers(0, 10**6))}")
    events = []
    for contactid in ("c1", "c2", "c3")[: draw(st.integers(1, 3))]:
        for kind in draw(st.lists(st.sampled_from(CONTACT_STEPS), min_size=1, max_size=8)):
            at = tie_prone_time(draw, st.integers(0, 59))
            events.append(
                make(
                    kind,
                    at,
                    contact_data(draw, kind, at),
                    contactid=contactid,
                    centre="ams",
                    agentid="a1" if kind == "contact.answered" else None,
                    queue="q",
                )
            )
    for agentid in ("a1", "a2"):
        for _ in range(draw(st.integers(0, 8))):
            data = {
                "state": draw(st.sampled_from(STATES)),
                "reason": draw(st.sampled_from(["lunch", "meeting"])),
            }
            events.append(
                make(
                    "agent.state_changed",
                    tie_prone_time(draw, st.sampled_from([0, 30])),
                    data,
                    agentid=agentid,
                    centre="ams",
                )
            )
        for _ in range(draw(st.integers(0, 2))):
            start = draw(minutes)
            segment = {
                "start": when(start).isoformat(),
                "end": when(start + draw(st.integers(5, 90))).isoformat(),
                "activity": draw(st.sampled_from(["work", "lunch", "off"])),
            }
            events.append(
                make(
                    "schedule.published",
                    when(draw(minutes)) - timedelta(days=1),
                    {"segments": [segment]},
                    agentid=agentid,
                    centre="ams",
                )
            )
        for kind in draw(
            st.lists(st.sampled_from(["agent.joined", "agent.updated", "agent.left"]), max_size=3)
        ):
            events.append(
                make(
                    kind,
                    when(draw(minutes)),
                    {}
                    if kind == "agent.left"
                    else {"team": draw(st.sampled_from(["red", "blue"]))},
                    agentid=agentid,
                    centre="ams",
                )
            )
    # Some events carry the source's order; small values, so sequences tie too.
    return [
        {**event, "sequence": sequence(draw(st.integers(0, 3)))} if draw(st.booleans()) else event
        for event in events
    ]


@st.composite
def deliveries(draw) -> tuple[list[dict], list[list[dict]]]:
    events = draw(scenario())
    resent = draw(st.lists(st.sampled_from(events), max_size=5))
    stream = draw(st.permutations(events + resent))
    cuts = sorted(set(draw(st.lists(st.integers(1, max(len(stream) - 1, 1)), max_size=5))))
    bounds = [0, *cuts, len(stream)]
    return events, [stream[a:b] for a, b in pairwise(bounds) if stream[a:b]]


def reset(store) -> None:
    """An empty store: the events and everything derived from them."""
    with store.transaction() as connection:
        for table in (StoredEvent, ScheduleSegment, *FACT_TABLES, *OPEN_TABLES):
            connection.execute(delete(table.__table__))


def ingest_and_read(store, ingestor, batches: list[list[dict]]) -> list[list[dict]]:
    reset(store)
    for batch in batches:
        ingestor.ingest_batch([RawEvent(json.dumps(event), "test") for event in batch])
    refresh_open_time(store)
    with store.transaction() as connection:
        return [
            [
                dict(row)
                for row in connection.execute(
                    select(table.__table__).order_by(*table.__table__.primary_key)
                ).mappings()
            ]
            for table in (*FACT_TABLES, *OPEN_TABLES)
        ]


@pytest.fixture
def sqlite_ingestor(callkpi_store, callkpi_ingestor):
    with callkpi_store.transaction() as connection:
        add_centre(connection, "ams", "Europe/Amsterdam", CentreSettings(adherence_tolerance_s=60))
    return callkpi_store, callkpi_ingestor


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(delivery=deliveries())
def test_any_order_duplication_and_batching_gives_the_same_facts(sqlite_ingestor, delivery):
    store, ingestor = sqlite_ingestor
    events, batches = delivery
    in_order = sorted(events, key=lambda event: (event["time"], event["id"]))
    expected = ingest_and_read(store, ingestor, [in_order])
    assert ingest_and_read(store, ingestor, batches) == expected
    assert any(expected)  # the scenario always yields some fact


@st.composite
def ids_moved(draw) -> tuple[list[dict], list[dict]]:
    """A scenario whose source orders every event (sequence = its place), and the same events
    with the ids of each group sharing a time shuffled among the group."""
    events = [
        {**event, "sequence": sequence(place)}
        for place, event in enumerate(draw(scenario()))
    ]
    groups: dict[str, list[int]] = defaultdict(list)
    for index, event in enumerate(events):
        groups[event["time"]].append(index)
    moved = [dict(event) for event in events]
    for indexes in groups.values():
        for index, new_id in zip(indexes, draw(st.permutations([events[i]["id"] for i in indexes])), strict=True):
            moved[index]["id"] = new_id
    return events, moved


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pair=ids_moved())
def test_with_the_source_order_ids_never_decide_a_tie(sqlite_ingestor, pair):
    store, ingestor = sqlite_ingestor
    events, moved = pair
    assert ingest_and_read(store, ingestor, [moved]) == ingest_and_read(store, ingestor, [events])


def test_rebuild_recomputes_exactly_the_ingested_facts(store, ingestor, make_event):
    with store.transaction() as connection:
        add_centre(connection, "ams", "Europe/Amsterdam", CentreSettings(adherence_tolerance_s=60))
    ams = {"centre": "ams"}
    batches = [
        [
            make_event(
                "contact.offered", when(0), {"customer": "+31201111111"}, contactid="c1", **ams
            ),
            make_event("agent.state_changed", when(1), {"state": "available"}, agentid="a1", **ams),
        ],
        [
            make_event("contact.answered", when(2), agentid="a1", contactid="c1", **ams),
            make_event(
                "contact.offered", when(50), {"customer": "+31201111111"}, contactid="c2", **ams
            ),
            make_event(
                "agent.state_changed", when(90), {"state": "logged_out"}, agentid="a1", **ams
            ),
            make_event("agent.joined", when(0), {"name": "Ann"}, agentid="a1", **ams),
        ],
    ]
    for batch in batches:
        ingestor.ingest_batch([RawEvent(json.dumps(event), "test") for event in batch])
    before = read_facts(store)
    with store.transaction() as connection:
        centres = load_centres(connection)
        rebuild(connection, centres)
    assert read_facts(store) == before
    # 2 contacts; available 23:31–01:00 UTC touches the 6 intervals 23:30 … 00:45; 1 agent
    assert [len(rows) for rows in before] == [2, 6, 1]


def read_facts(store) -> list[list[dict]]:
    with store.transaction() as connection:
        return [
            [
                dict(row)
                for row in connection.execute(
                    select(table.__table__).order_by(*table.__table__.primary_key)
                ).mappings()
            ]
            for table in FACT_TABLES
        ]


HISTORY_TABLES = (AgentHistory, AgentDimension, ContactFact, SurveyFact, SurveyResponseFact)


@st.composite
def attribute_history(draw) -> list[dict]:
    """An agent's joins, moves and leaves at any times, its contacts, and survey answers that
    name only their contact: the history and the attribution they fold into."""
    make = event_factory(f"h{draw(st.integers(0, 10**6))}")
    ams = {"centre": "ams"}
    events = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["agent.joined", "agent.updated", "agent.left"]))
        data = {} if kind == "agent.left" else {
            "team": draw(st.sampled_from(["red", "blue", "green"])),
            "site": draw(st.sampled_from(["north", "south"])),
        }
        events.append(make(kind, when(draw(minutes)), data, agentid="a1", **ams))
    for contactid in ("c1", "c2", "c3")[: draw(st.integers(1, 3))]:
        offered = draw(minutes)
        answered = offered + draw(st.integers(0, 5))
        events += [
            make("contact.offered", when(offered), contactid=contactid, queue="q", **ams),
            make("contact.answered", when(answered), agentid="a1", contactid=contactid, queue="q", **ams),
        ]
        if draw(st.booleans()):
            data = {"surveyid": f"s-{contactid}", "instrument": "csat", "scale": "1-5", "score": 4}
            events.append(make("survey.response_received", when(answered + 30), data, contactid=contactid, **ams))
    return events


def read_tables(store, tables) -> list[list[dict]]:
    with store.transaction() as connection:
        return [
            [
                dict(row)
                for row in connection.execute(
                    select(table.__table__).order_by(*table.__table__.primary_key)
                ).mappings()
            ]
            for table in tables
        ]


def answered_by_team(store) -> dict:
    request = ReportRequest(("answered", "csat"), BASE.date(), BASE.date() + timedelta(days=1), ("team", "site"))
    report = run_report(store, request)
    return {
        tuple(row.dimensions.values()): (row["answered"], row.values["csat"].n) for row in report.rows
    }


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=attribute_history(), data=st.data())
def test_attribute_history_and_survey_attribution_are_order_independent(sqlite_ingestor, events, data):
    store, ingestor = sqlite_ingestor
    resent = data.draw(st.lists(st.sampled_from(events), max_size=3))
    stream = data.draw(st.permutations(events + resent))
    cut = data.draw(st.integers(0, len(stream)))
    results = []
    for batches in ([sorted(events, key=lambda e: (e["time"], e["id"]))], [stream[:cut], stream[cut:]]):
        with store.transaction() as connection:
            for table in (StoredEvent, *HISTORY_TABLES):
                connection.execute(delete(table.__table__))
        for batch in batches:
            ingestor.ingest_batch([RawEvent(json.dumps(event), "test") for event in batch])
        results.append((read_tables(store, HISTORY_TABLES), answered_by_team(store)))
    assert results[1] == results[0]
    history = results[0][0][0]
    # versions of one agent follow each other without gaps or overlaps
    assert [v["valid_to"] for v in history[:-1]] == [v["valid_from"] for v in history[1:]]
    assert history[0]["valid_from"] is None and history[-1]["valid_to"] is None


# -- contact legs ---------------------------------------------------------------------------

LEG_STEPS = [
    "contact.offered",
    "contact.answered",
    "contact.hold_started",
    "contact.hold_ended",
    "contact.transferred",
    "contact.abandoned",
    "contact.ended",
    "contact.wrapup_completed",
]


@st.composite
def transfer_scenario(draw) -> list[dict]:
    """Contacts passing through queues q1/q2 and agents a1–a3: offers in either queue,
    answers, holds and wrap-ups by any agent (or none), transfers of every kind."""
    make = event_factory(f"t{draw(st.integers(0, 10**6))}")
    events = []
    for contactid in ("c1", "c2")[: draw(st.integers(1, 2))]:
        for kind in draw(st.lists(st.sampled_from(LEG_STEPS), min_size=2, max_size=12)):
            data: dict = {}
            if kind == "contact.transferred":
                data = {
                    "kind": draw(st.sampled_from(["blind", "attended", "consult", "unknown"])),
                    "to_queue": draw(st.sampled_from([None, "q1", "q2"])),
                    "to_agent": draw(st.sampled_from([None, "a2"])),
                }
            elif kind == "contact.ended":
                data = {"ended_by": draw(st.sampled_from(["customer", "system"]))}
            events.append(
                make(
                    kind,
                    when(draw(st.integers(0, 30)), draw(st.sampled_from([0, 30]))),
                    data,
                    contactid=contactid,
                    centre="ams",
                    agentid=draw(st.sampled_from([None, "a1", "a2", "a3"]))
                    if kind != "contact.offered"
                    else None,
                    queue=draw(st.sampled_from(["q1", "q2"])),
                )
            )
    return events


def ingest_and_read_legs(store, ingestor, batches: list[list[dict]]) -> list[dict]:
    reset(store)
    with store.transaction() as connection:
        connection.execute(delete(ContactLegFact.__table__))
    for batch in batches:
        ingestor.ingest_batch([RawEvent(json.dumps(event), "test") for event in batch])
    return read_legs(store)


def read_legs(store) -> list[dict]:
    legs = ContactLegFact.__table__
    with store.transaction() as connection:
        return [dict(row) for row in connection.execute(select(legs).order_by(*legs.primary_key)).mappings()]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_order_duplication_and_batching_gives_the_same_legs(sqlite_ingestor, data):
    store, ingestor = sqlite_ingestor
    events = data.draw(transfer_scenario())
    resent = data.draw(st.lists(st.sampled_from(events), max_size=4))
    stream = data.draw(st.permutations(events + resent))
    cuts = sorted(set(data.draw(st.lists(st.integers(1, max(len(stream) - 1, 1)), max_size=4))))
    bounds = [0, *cuts, len(stream)]
    batches = [stream[a:b] for a, b in pairwise(bounds) if stream[a:b]]
    in_order = sorted(events, key=lambda event: (event["time"], event["id"]))
    expected = ingest_and_read_legs(store, ingestor, [in_order])
    assert ingest_and_read_legs(store, ingestor, batches) == expected
    offered = {e["contactid"] for e in events if e["type"] == "contact.offered"}
    assert offered <= {leg["contactid"] for leg in expected if leg["leg"] == "queue"}
    with store.transaction() as connection:
        rebuild(connection, load_centres(connection))
    assert read_legs(store) == expected  # and `callkpi rebuild` folds the same legs
