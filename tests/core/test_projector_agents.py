"""Agent interval facts and the agent dimension from hand-worked timelines."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from callkpi.connectors import RawEvent
from callkpi.projector import rebuild
from callkpi.projector.schedule import Piece
from callkpi.projector.schedule_segments import planned_near
from callkpi.store.centres import CentreSettings, add_centre, load_centres
from callkpi.store.tables import AgentDimension, AgentIntervalFact, ScheduleSegment


def ingest(ingestor, *batches: list[dict]) -> None:
    for batch in batches:
        outcomes = ingestor.ingest_batch([RawEvent(json.dumps(event), "test") for event in batch])
        assert {o.status for o in outcomes} == {"accepted"}, outcomes


def intervals(store, agentid: str = "a1") -> dict[str, dict]:
    """clock of the interval start (HH:MM UTC) → its columns."""
    table = AgentIntervalFact.__table__
    with store.transaction() as connection:
        rows = connection.execute(select(table).where(table.c.agentid == agentid)).mappings().all()
    return {f"{row['interval_start']:%H:%M}": dict(row) for row in rows}


def at(clock: str) -> str:
    return f"2026-01-05T{clock}:00Z"


def state(
    make_event, clock: str, name: str, agentid: str = "a1", centre: str | None = None, **data
) -> dict:
    return make_event(
        "agent.state_changed", at(clock), {"state": name, **data}, agentid=agentid, centre=centre
    )


def test_states_are_split_over_intervals_and_the_open_episode_waits(store, ingestor, make_event):
    ingest(
        ingestor,
        [
            state(make_event, "09:10", "available"),
            state(make_event, "09:20", "on_contact"),
            state(make_event, "09:40", "after_contact_work"),
            state(make_event, "09:44", "not_ready", reason="Coffee"),
            state(make_event, "10:05", "logged_out"),
            state(make_event, "10:30", "available"),
        ],
    )
    got = intervals(store)
    assert sorted(got) == [
        "09:00",
        "09:15",
        "09:30",
        "09:45",
        "10:00",
    ]  # logged out 10:05–10:30, then open
    assert (got["09:00"]["staffed_s"], got["09:00"]["available_s"]) == (300, 300)  # 09:10–09:15
    assert (got["09:15"]["available_s"], got["09:15"]["on_contact_s"]) == (
        300,
        600,
    )  # 09:15–09:20, –09:30
    assert (got["09:30"]["on_contact_s"], got["09:30"]["acw_s"], got["09:30"]["not_ready_s"]) == (
        600,
        240,
        60,
    )
    assert got["09:30"]["breaks_started"] == 1  # "Coffee" is a default break reason
    assert (got["09:45"]["not_ready_s"], got["09:45"]["breaks_started"]) == (900, 0)
    assert (got["10:00"]["not_ready_s"], got["10:00"]["staffed_s"]) == (300, 300)  # 10:00–10:05
    assert all(
        row["staffed_s"] == 900
        for clock, row in got.items()
        if clock in ("09:15", "09:30", "09:45")
    )

    ingest(ingestor, [state(make_event, "10:45", "logged_out")])  # closes the 10:30 episode
    got = intervals(store)
    assert (got["10:30"]["available_s"], got["10:30"]["staffed_s"]) == (900, 900)


def test_late_state_event_splits_an_earlier_episode(store, ingestor, make_event):
    ingest(
        ingestor,
        [state(make_event, "09:00", "available"), state(make_event, "10:00", "logged_out")],
        [state(make_event, "09:20", "on_contact"), state(make_event, "09:35", "available")],
    )
    got = intervals(store)
    assert [got[c]["available_s"] for c in ("09:00", "09:15", "09:30", "09:45")] == [
        900,
        300,
        600,
        900,
    ]
    assert [got[c]["on_contact_s"] for c in ("09:00", "09:15", "09:30", "09:45")] == [
        0,
        600,
        300,
        0,
    ]


def test_breaks_follow_is_break_first_then_the_reason(store, ingestor, make_event):
    ingest(
        ingestor,
        [
            state(make_event, "09:00", "not_ready", reason="Lunch"),  # break: reason, any case
            state(
                make_event, "09:05", "not_ready", reason="lunch", is_break=False
            ),  # explicitly not
            state(
                make_event, "09:20", "not_ready", reason="meeting", is_break=True
            ),  # explicitly a break
            state(make_event, "09:25", "not_ready", reason="meeting"),  # not a break reason
            state(make_event, "09:40", "logged_out"),
        ],
    )
    got = intervals(store)
    assert [got[c]["breaks_started"] for c in ("09:00", "09:15", "09:30")] == [1, 1, 0]
    assert [got[c]["not_ready_s"] for c in ("09:00", "09:15", "09:30")] == [900, 900, 600]


def schedule(
    make_event, published: str, *segments: tuple[str, str, str], centre: str | None = None
) -> dict:
    return make_event(
        "schedule.published",
        f"2026-01-04T{published}:00Z",
        {"segments": [{"start": at(s), "end": at(e), "activity": a} for s, e, a in segments]},
        agentid="a1",
        centre=centre,
    )


def adherence_day(make_event, centre: str | None) -> list[dict]:
    plan = schedule(
        make_event,
        "12:00",
        ("09:00", "10:00", "work"),
        ("10:00", "10:15", "break"),
        ("10:15", "10:30", "work"),
        centre=centre,
    )
    return [
        plan,
        state(make_event, "09:02", "available", centre=centre),
        state(make_event, "10:01", "not_ready", centre=centre, reason="break"),
        state(make_event, "10:14", "available", centre=centre),
        state(make_event, "10:31", "logged_out", centre=centre),
    ]


def test_adherence_without_tolerance(store, ingestor, make_event):
    ingest(ingestor, adherence_day(make_event, None))
    got = intervals(store)
    assert [
        got[c]["scheduled_s"] for c in ("09:00", "09:15", "09:30", "09:45", "10:00", "10:15")
    ] == [900] * 6
    assert got["09:00"]["adherent_s"] == 780  # logged in 2 minutes late: 09:02–09:15
    assert got["10:00"]["adherent_s"] == 780  # on break 10:01–10:14 of 10:00–10:15
    assert got["10:15"]["adherent_s"] == 900
    assert (got["10:30"]["scheduled_s"], got["10:30"]["adherent_s"], got["10:30"]["staffed_s"]) == (
        0,
        0,
        60,
    )


def test_adherence_with_tolerance_forgives_changes_near_a_boundary(store, ingestor, make_event):
    with store.transaction() as connection:
        add_centre(connection, "tolerant", "UTC", CentreSettings(adherence_tolerance_s=120))
    ingest(ingestor, adherence_day(make_event, "tolerant"))
    got = intervals(store)
    assert got["09:00"]["adherent_s"] == 900  # 09:02 is within 120 s of the 09:00 start
    assert got["10:00"]["adherent_s"] == 900  # 10:01 near 10:00, 10:14 near 10:15: both forgiven
    assert got["10:15"]["adherent_s"] == 900


def test_a_later_publication_replaces_the_overlap_only(store, ingestor, make_event):
    ingest(
        ingestor,
        [schedule(make_event, "18:00", ("10:00", "10:30", "lunch"))],  # later, arrives first
        [
            schedule(make_event, "12:00", ("09:00", "11:00", "work")),
            state(make_event, "09:00", "available"),
            state(make_event, "11:00", "logged_out"),
        ],
    )
    got = intervals(store)
    assert [got[c]["scheduled_s"] for c in ("09:45", "10:00", "10:15", "10:30")] == [900] * 4
    assert [got[c]["adherent_s"] for c in ("09:45", "10:00", "10:15", "10:30")] == [
        900,
        0,
        0,
        900,
    ]  # available at lunch


def test_schedule_without_any_state_is_scheduled_but_not_adherent(store, ingestor, make_event):
    ingest(
        ingestor,
        [schedule(make_event, "12:00", ("09:00", "09:30", "work"), ("09:30", "09:45", "off"))],
    )
    got = intervals(store)
    assert sorted(got) == ["09:00", "09:15"]  # "off" is not scheduled time
    assert [(got[c]["scheduled_s"], got[c]["adherent_s"], got[c]["staffed_s"]) for c in got] == [
        (900, 0, 0)
    ] * 2


def test_agent_dimension_takes_the_latest_value_of_each_field(store, ingestor, make_event):
    def roster(kind: str, day: int, data: dict | None = None) -> dict:
        return make_event(f"agent.{kind}", f"2026-01-0{day}T09:00:00Z", data, agentid="a1")

    ingest(
        ingestor,
        [roster("left", 4)],
        [roster("updated", 3, {"team": "B"})],
        [roster("updated", 2, {"site": "Utrecht", "team": "A2"})],
        [roster("joined", 1, {"name": "Ann", "team": "A"})],
    )
    with store.transaction() as connection:
        row = connection.execute(select(AgentDimension.__table__)).mappings().one()
    assert (row["name"], row["team"], row["site"]) == (
        "Ann",
        "B",
        "Utrecht",
    )  # team B on day 3 beats A2 and A
    assert (row["joined_at"].day, row["left_at"].day) == (1, 4)
    ingest(ingestor, [roster("joined", 5)])  # rejoined after leaving: current again
    with store.transaction() as connection:
        row = connection.execute(select(AgentDimension.__table__)).mappings().one()
    assert row["joined_at"] == datetime(2026, 1, 5, 9, tzinfo=UTC) and row["left_at"] is None


def day_plan(make_event, day: int) -> dict:
    """a1's plan for 2026-01-{day}, published the evening before: work 09:00–17:00."""
    return make_event(
        "schedule.published",
        f"2026-01-{day - 1:02d}T18:00:00Z",
        {"segments": [{"start": f"2026-01-{day:02d}T09:00:00Z", "end": f"2026-01-{day:02d}T17:00:00Z",
                       "activity": "work"}]},
        agentid="a1",
    )


def test_a_batch_reads_only_the_schedule_segments_that_reach_its_window(store, ingestor, make_event):
    ingest(ingestor, [day_plan(make_event, day) for day in range(2, 30)])  # four weeks of daily plans
    late_day = [
        make_event("agent.state_changed", "2026-01-29T09:00:00Z", {"state": "available"}, agentid="a1"),
        make_event("agent.state_changed", "2026-01-29T09:30:00Z", {"state": "logged_out"}, agentid="a1"),
    ]
    ingest(ingestor, late_day)
    reach = {"a1": (datetime(2026, 1, 29, 8, 45, tzinfo=UTC), datetime(2026, 1, 29, 9, 45, tzinfo=UTC))}
    with store.reading() as connection:
        planned = planned_near(connection, "default", reach)
    day_29 = Piece(datetime(2026, 1, 29, 9, tzinfo=UTC), datetime(2026, 1, 29, 17, tzinfo=UTC), "work")
    assert planned == {"a1": [day_29]}  # not the 27 other days' plans
    got = intervals(store)
    assert [(got[c]["scheduled_s"], got[c]["adherent_s"]) for c in ("09:00", "09:15")] == [(900, 900)] * 2


def test_schedule_segments_are_stored_once_and_rebuilt_with_the_facts(store, ingestor, make_event):
    plan = day_plan(make_event, 5)
    ingest(ingestor, [plan])
    ingestor.ingest_batch([RawEvent(json.dumps(plan), "test again")])  # a duplicate stores nothing more
    table = ScheduleSegment.__table__
    with store.reading() as connection:
        stored = connection.execute(select(table.c.event_id, table.c.seq, table.c.start_at)).all()
    assert stored == [(plan["id"], 0, datetime(2026, 1, 5, 9, tzinfo=UTC))]
    with store.transaction() as connection:
        rebuild(connection, load_centres(connection))
    with store.reading() as connection:
        assert connection.execute(select(table.c.event_id, table.c.seq, table.c.start_at)).all() == stored
