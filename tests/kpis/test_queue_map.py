"""Queue KPIs by team and site through the centre's queue map (issue 16 item 4), through the
real ingest on SQLite and PostgreSQL, and DuckDB's snapshot.

Timeline, Mon 2026-01-05 UTC, centre default; sales → team red (site ams), support → blue (ams):
  sales   c1 answered by a1 after 10 s (fast)   c2 answered by a2 after 40 s   c3 abandoned after 30 s
  support c4 answered by a1 after 5 s (fast)    c5 abandoned after 15 s
Service level (20 s, answered fast ÷ offered): red 1/3 = 33.3 %, blue 1/2 = 50 %, ams 2/5 = 40 %:
each the per-queue number, the abandoned legs counted for their queue's team. Without the map the
abandoned c3 and c5 had no agent, so no team: red (a1, a2) would have read 2/3 answered-only."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from callkpi.connectors import RawEvent
from callkpi.kpi import ReportRequest, run_report
from callkpi.store.centres import CentreSettings, QueueAssignment, add_centre, load_centres
from callkpi.testing import contact_timeline

MON = date(2026, 1, 5)
T0 = datetime.fromisoformat("2026-01-05T09:00:00+00:00")


def timeline(make):
    def abandoned(cid, queue, minute, after_s):
        at = T0 + timedelta(minutes=minute)
        return [
            make("contact.offered", at, {"direction": "inbound"}, contactid=cid, queue=queue),
            make(
                "contact.ended", at + timedelta(seconds=after_s), {"ended_by": "customer"}, contactid=cid, queue=queue
            ),
        ]

    return [
        *contact_timeline(make, "c1", T0, wait_s=10, queue="sales", agentid="a1"),
        *contact_timeline(make, "c2", T0 + timedelta(minutes=5), wait_s=40, queue="sales", agentid="a2"),
        *abandoned("c3", "sales", 10, 30),
        *contact_timeline(make, "c4", T0 + timedelta(minutes=15), wait_s=5, queue="support", agentid="a1"),
        *abandoned("c5", "support", 20, 15),
    ]


def map_queues(store, queues):
    with store.transaction() as connection:
        centre = load_centres(connection)["default"]
        settings = CentreSettings(**{**centre.settings.model_dump(), "queue_map": queues})
        add_centre(connection, "default", centre.timezone, settings)


def ingest(ingestor, events):
    outcomes = ingestor.ingest_batch([RawEvent(e, f"line {i}") for i, e in enumerate(events)])
    assert {o.status for o in outcomes} == {"accepted"}, [o.reasons for o in outcomes if o.reasons]


def values(report, key):
    """The KPI's values by group; a queue KPI has none in the agent KPIs' teamless row."""
    return {tuple(row.dimensions.values()): row[key] for row in report.rows if row[key] is not None}


MAPPED = {"sales": QueueAssignment(team="red", site="ams"), "support": QueueAssignment(team="blue", site="ams")}


@pytest.mark.parametrize("engine", ["sql", "duckdb"])
def test_service_level_by_team_is_the_queues_numbers_combined(ingestor, make_event, engine, tmp_path):
    ingest(ingestor, timeline(make_event))
    map_queues(ingestor.store, MAPPED)

    def report(group_by, **kwargs):
        request = ReportRequest(("service_level", "abandon_rate", "offered", "aht"), MON, MON, group_by,
                                engine=engine, **kwargs)
        return run_report(ingestor.store, request, snapshot_dir=tmp_path)

    by_queue, by_team, by_site = report(("queue",)), report(("team",)), report(("site",))
    assert values(by_queue, "service_level") == {("sales",): pytest.approx(100 / 3), ("support",): 50}
    assert values(by_team, "service_level") == {("red",): pytest.approx(100 / 3), ("blue",): 50}
    # the teamless row is aht's (a1, a2 have no team): it counts no queue leg
    assert values(by_team, "offered") == {("red",): 3, ("blue",): 2, (None,): 0}
    assert values(by_team, "abandon_rate") == {("red",): pytest.approx(100 / 3), ("blue",): 50}
    assert values(by_site, "service_level") == {("ams",): 40}
    # aht stays the agents' number: a1 and a2 have no team, so it groups as it always did
    assert values(by_team, "aht") == {(None,): 210}
    filtered = report((), filters={"team": ("blue",)})
    assert values(filtered, "service_level") == {(): 50}


def test_an_unmapped_queue_leaves_the_kpi_unavailable_with_the_command(ingestor, make_event):
    ingest(ingestor, timeline(make_event))
    map_queues(ingestor.store, {"sales": QueueAssignment(team="red")})
    request = ReportRequest(("service_level", "aht"), MON, MON, ("team",))
    report = run_report(ingestor.store, request)
    service_level, aht = report.columns
    assert service_level.unavailable == (
        "not available by team: queue KPIs take the team of their queue, and the centre's queue map gives "
        "no team for queue 'support' (centre default); map it with "
        "`callkpi centre queue-map set default support --team TEAM`"
    )
    assert aht.unavailable is None
    assert values(report, "aht") == {(None,): 210}
    # by site nothing is mapped at all
    by_site = run_report(ingestor.store, ReportRequest(("service_level",), MON, MON, ("site",)))
    assert "no site for queue 'sales' (centre default), 'support' (centre default)" in by_site.columns[0].unavailable


def test_the_queue_map_is_validated_naming_the_field():
    with pytest.raises(ValueError, match="queue_map"):
        CentreSettings(queue_map={"": {"team": "red"}})
    with pytest.raises(ValueError, match="team"):
        CentreSettings(queue_map={"sales": {"team": ""}})
