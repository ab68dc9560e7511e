"""A small, hand-worked contact centre for the dashboard tests, served by the real app.

Centre ``rotterdam`` (Europe/Amsterdam, UTC+1 in November; default targets: service
level ≥ 80 %, ASA ≤ 20 s, abandon rate ≤ 5 %). Agents a1 Anna (team red) and a2 Bram
(team blue). Local times:

=====  =========================  =======  ======  =====  ===== =====  =====
id     offered (local)            queue    agent   wait   talk   acw   outcome
=====  =========================  =======  ======  =====  ===== =====  =====
c1     Tue 2026-11-03 09:05       sales    a1      10     200    40    answered
c2     Tue 2026-11-03 09:20       sales    a2      50     100    20    answered
c3     Tue 2026-11-03 10:10       support  a1       5     300    60    answered
c4     Tue 2026-11-03 11:40       support  –       30                   abandoned
c5     Wed 2026-11-04 14:00       sales    a2      15     120    30    answered
=====  =========================  =======  ======  =====  ===== =====  =====

Tuesday, whole centre: offered 4, answered 3; service level (answered within 20 s ÷
offered) 2/4 = 50 %; ASA (10 + 50 + 5) ÷ 3 = 21.7 s; abandon rate 1/4 = 25 %; AHT
(240 + 120 + 360) ÷ 3 = 240 s; longest wait 50 s. Occupancy has no agent-state data.

Surveys (Tuesday 13:00–13:50 UTC): 40 NPS answers, 20 × 10, 10 × 8, 10 × 3 → NPS
(20 − 10) ÷ 40 = 25; survey n31 (a detractor) also left the comment "Kept waiting far
too long"; 50 surveys delivered (10 never answered) → response rate 40/50 = 80 %.
Centre ``utrecht`` exists too, with no data, for the access tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from callkpi.store.apikeys import create_api_key
from callkpi.store.centres import add_centre
from callkpi.store.db import Store
from callkpi.store.ingest import Ingestor
from callkpi.store.privacy import CustomerHasher
from callkpi.testing import TEST_HMAC_KEY, abandoned_contact, contact_timeline, event_factory, raw_events

CENTRE = "rotterdam"
TUESDAY, WEDNESDAY = "2026-11-03", "2026-11-04"
NPS_SCORES = [10] * 20 + [8] * 10 + [3] * 10
COMMENT = "Kept waiting far too long"


@dataclass(frozen=True)
class Keys:
    read: str
    admin: str
    ingest: str
    other_read: str


def contact_events(make) -> list[dict]:
    common = {"centre": CENTRE}
    return [
        make("agent.joined", "2026-11-01T08:00:00Z", {"name": "Anna", "team": "red"}, agentid="a1", **common),
        make("agent.joined", "2026-11-01T08:00:00Z", {"name": "Bram", "team": "blue"}, agentid="a2", **common),
        *contact_timeline(make, "c1", "2026-11-03T08:05:00Z", wait_s=10, talk_s=200, acw_s=40,
                          queue="sales", agentid="a1", **common),
        *contact_timeline(make, "c2", "2026-11-03T08:20:00Z", wait_s=50, talk_s=100, acw_s=20,
                          queue="sales", agentid="a2", **common),
        *contact_timeline(make, "c3", "2026-11-03T09:10:00Z", wait_s=5, talk_s=300, acw_s=60,
                          queue="support", agentid="a1", **common),
        *abandoned_contact(make, "c4", "2026-11-03T10:40:00Z", wait_s=30, queue="support", **common),
        *contact_timeline(make, "c5", "2026-11-04T13:00:00Z", wait_s=15, talk_s=120, acw_s=30,
                          queue="sales", agentid="a2", **common),
    ]


def survey_events(make) -> list[dict]:
    start = datetime.fromisoformat("2026-11-03T13:00:00+00:00")
    events = []
    for number in range(1, 51):
        sid, at = f"n{number}", start + timedelta(minutes=number)
        common = {"centre": CENTRE, "contactid": f"sc{number}"}
        events.append(make("survey.delivered", at, {"surveyid": sid}, **common))
        if number <= len(NPS_SCORES):
            answer = {"surveyid": sid, "instrument": "nps", "scale": "0-10", "score": NPS_SCORES[number - 1]}
            events.append(make("survey.response_received", at + timedelta(seconds=30), answer, **common))
    comment = {"surveyid": "n31", "instrument": "comment", "scale": "text", "text": COMMENT}
    events.append(make("survey.response_received", start + timedelta(minutes=31, seconds=40), comment,
                       centre=CENTRE, contactid="sc31"))
    return events


def seed(store: Store, pm) -> Keys:
    """Both centres, the events above and one key per scope (another read key for utrecht)."""
    with store.transaction() as connection:
        add_centre(connection, CENTRE, "Europe/Amsterdam")
        add_centre(connection, "utrecht", "Europe/Amsterdam")
    make = event_factory("dashboard-test")
    outcomes = Ingestor(store, pm, CustomerHasher(TEST_HMAC_KEY)).ingest_batch(
        raw_events([*contact_events(make), *survey_events(make)])
    )
    assert {outcome.status for outcome in outcomes} == {"accepted"}, outcomes
    with store.transaction() as connection:
        made = {scope: create_api_key(connection, scope, CENTRE)[0] for scope in ("read", "admin", "ingest")}
        other = create_api_key(connection, "read", "utrecht")[0]
    return Keys(made["read"], made["admin"], made["ingest"], other)
