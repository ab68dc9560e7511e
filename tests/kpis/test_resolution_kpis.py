"""Conformance of the "Resolution and quality" KPIs: hand-worked timelines through ingest and
the projector.

The FCR timeline, 2026-01-05 (UTC), window 72 h; every contact answered unless said:

    r1 customer A 09:00, wrap-up resolved = yes   A calls again at 10:00 (r2): repeated
    r2 customer A 10:00, wrap-up resolved = no    no later contact from A
    r3 customer B 09:30, wrap-up resolved = yes   no later contact from B
    r4 customer D 11:00, wrap-up resolved = yes   (censored, see below)
    r5 customer E 09:10, abandoned                (not answered: never counted)
    z9 customer Z 2026-01-08 10:00                the latest contact: the end of the data

The end of the data is 01-08 10:00, so contacts offered after 01-08 10:00 − 72 h =
01-05 10:00 are censored: r4. Watched: r1, r2 (exactly at the cut-off), r3 = 3.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from kpi_timeline import T0, StandardKpiTests, abandoned, at
from sqlalchemy import text

from callkpi.connectors import RawEvent
from callkpi.events.contact import is_withheld
from callkpi.kpi import ReportRequest, run_report
from callkpi.kpi.conformance import expect
from callkpi.testing import contact_timeline

HOUR = 3600


def fcr_timeline(make):
    def call(cid: str, start: float, customer: str, resolved: bool | None = None):
        return contact_timeline(
            make, cid, at(start), wait_s=5, talk_s=60, customer=customer, resolved=resolved
        )

    return [
        *call("r1", 0, "+31200000001", True),
        *call("r2", HOUR, "+31200000001", False),
        *call("r3", 1800, "+31200000002", True),
        *call("r4", 2 * HOUR, "+31200000004", True),
        *abandoned(make, "r5", 30, start=600),
        *call("z9", 73 * HOUR, "+31200000009"),
        *survey_resolved(make),
    ]


def survey_resolved(make):
    """Three answers to the 'resolved' question on 01-05: yes, no, yes."""
    return [
        make(
            "survey.response_received",
            at(HOUR * 3 + i * 60),
            {"surveyid": f"sr{i}", "instrument": "resolved", "scale": "yes-no", "score": score},
            contactid=cid,
        )
        for i, (cid, score) in enumerate((("r1", 1), ("r2", 0), ("r3", 1)))
    ]


class TestFirstContactResolution(StandardKpiTests):
    expected = (
        expect("fcr", 200 / 3, n=3),  # watched r1, r2, r3; r1 repeated: 2 ÷ 3 = 66.67 %
        expect("fcr", 75, n=4, window_h=1),  # cut-off 01-08 09:00: r1–r4 watched, r1 repeated
        expect("repeat_contact_rate", 100 / 3, n=3),  # 1 ÷ 3
        # flags: r1 yes, r2 no, r3 yes, r4 yes (no censoring): 3 ÷ 4 = 75 %
        expect("fcr", 75, "disposition", n=4),
        expect("fcr", 200 / 3, "survey", n=3),  # yes, no, yes: 2 ÷ 3
        # no repeat and not flagged unresolved: only r3 of the 3 watched = 33.33 %
        expect("fcr", 100 / 3, "combined", n=3),
        # r1 resolved-but-repeated and r2 unresolved-but-no-repeat disagree; r3 agrees: 1 ÷ 3
        expect("fcr", 100 / 3, "agreement", n=3),
    )

    def timeline(self, make_event):
        return fcr_timeline(make_event)


def test_censored_contacts_are_reported_beside_fcr(store, ingestor, make_event):
    ingestor.ingest_batch([RawEvent(e, "fcr") for e in fcr_timeline(make_event)])
    request = ReportRequest(("fcr", "repeat_contact_rate"), date(2026, 1, 5), date(2026, 1, 5))
    (row,) = run_report(store, request).rows
    # r4 was offered within 72 h of the end of the data; z9 is on 01-08, outside the day
    assert row.values["fcr"].details == {"censored": 1, "unidentified": 0}
    assert row.values["repeat_contact_rate"].details == {"censored": 1, "unidentified": 0}



def unidentified_calls(make, *cids_and_starts):
    """Answered contacts without a customer number: no identity to see them again by."""
    return [
        event
        for cid, start in cids_and_starts
        for event in contact_timeline(make, cid, at(start), wait_s=5, talk_s=60)
    ]


def test_fcr_without_any_customer_identity_is_no_data(store, ingestor, make_event):
    # u1 09:00, u2 09:05, u3 09:10, all answered, none with a number: nothing can be watched
    # for a repeat, so fcr is no data (it used to report 3 ÷ 3 = 100 %), n = 0, unidentified 3
    events = unidentified_calls(make_event, ("u1", 0), ("u2", 300), ("u3", 600))
    ingestor.ingest_batch([RawEvent(e, "fcr") for e in events])
    request = ReportRequest(("fcr", "repeat_contact_rate"), date(2026, 1, 5), date(2026, 1, 5))
    (row,) = run_report(store, request).rows
    for kpi in ("fcr", "repeat_contact_rate"):
        assert row.values[kpi].value is None
        assert row.values[kpi].n == 0
        assert row.values[kpi].details == {"censored": 0, "unidentified": 3}


def test_unidentified_contacts_are_a_detail_beside_fcr(store, ingestor, make_event):
    # the FCR timeline plus u1 09:15 and u2 09:20 without a number: they are neither watched
    # nor repeated, so fcr stays 2 ÷ 3 = 66.67 % (counted as watched and unrepeated they would
    # make it 4 ÷ 5 = 80 %), n = 3, and the detail says 2 were unidentified
    events = [*fcr_timeline(make_event), *unidentified_calls(make_event, ("u1", 900), ("u2", 1200))]
    ingestor.ingest_batch([RawEvent(e, "fcr") for e in events])
    request = ReportRequest(("fcr",), date(2026, 1, 5), date(2026, 1, 5))
    (row,) = run_report(store, request).rows
    assert row.values["fcr"].value == pytest.approx(200 / 3)
    assert row.values["fcr"].n == 3
    assert row.values["fcr"].details == {"censored": 1, "unidentified": 2}


def case_timeline(make):
    """Cases around the report day 01-05 (period end 01-06 00:00 UTC):

    k0 opened 01-04 10:00, resolved 01-04 12:00   closed before the end
    k1 opened 01-05 09:00, resolved 01-05 12:00   resolution 3 h = 10 800 s
    k2 opened 01-05 18:00, resolved 01-06 06:00   open at the end, age 6 h; resolution 43 200 s
    k3 opened 01-05 20:00, never resolved         open at the end, age 4 h
    k4 opened 01-03 00:00, never resolved         open at the end, age 3 days = 259 200 s
    """
    day = T0.replace(hour=0)

    def case(caseid: str, opened: timedelta, resolved: timedelta | None = None):
        events = [make("case.opened", day + opened, {"caseid": caseid})]
        if resolved is not None:
            events.append(make("case.resolved", day + resolved, {"caseid": caseid}))
        return events

    h = timedelta(hours=1)
    return [
        *case("k0", -14 * h, -12 * h),
        *case("k1", 9 * h, 12 * h),
        *case("k2", 18 * h, 30 * h),
        *case("k3", 20 * h),
        *case("k4", -48 * h),
    ]


class TestCases(StandardKpiTests):
    expected = (
        expect("avg_query_age", (21_600 + 14_400 + 259_200) / 3, n=3),  # k2, k3, k4: 98 400 s
        expect("avg_resolution_time", (10_800 + 43_200) / 2, n=2),  # k1, k2 opened on 01-05
    )

    def timeline(self, make_event):
        return case_timeline(make_event)


def evaluations(make):
    """a1 scored 42 of 50 and 18 of 20 on form voice; a2 7 of 10 on form chat."""
    return [
        make(
            "qa.evaluated",
            at(i * 600),
            {"evaluationid": f"e{i}", "form": form, "score": score, "max_score": most},
            agentid=agent,
        )
        for i, (agent, form, score, most) in enumerate(
            (("a1", "voice", 42, 50), ("a1", "voice", 18, 20), ("a2", "chat", 7, 10))
        )
    ]


class TestQuality(StandardKpiTests):
    expected = (expect("qa_score", 67 / 80 * 100, n=3),)  # (42 + 18 + 7) ÷ (50 + 20 + 10)

    def timeline(self, make_event):
        return evaluations(make_event)


def test_qa_score_per_agent_and_form(store, ingestor, make_event):
    ingestor.ingest_batch([RawEvent(e, "qa") for e in evaluations(make_event)])
    day = date(2026, 1, 5)
    report = run_report(store, ReportRequest(("qa_score",), day, day, group_by=("agent", "form")))
    assert report.row(agent="a1", form="voice")["qa_score"] == 60 / 70 * 100  # 85.71 %
    assert report.row(agent="a2", form="chat")["qa_score"] == 70.0  # 7 ÷ 10


@pytest.mark.parametrize(
    "placeholders",
    [
        ("anonymous", "Anonymous ", "ANONYMOUS"),
        ("restricted", "unavailable", "private"),
        ("unknown", "", "+"),
        ("0", "+000", "00 00"),
    ],
)
def test_withheld_callers_are_no_customer_identity(store, ingestor, make_event, placeholders):
    # w1 09:00, w2 09:05, w3 09:10, answered, each with a withheld-caller placeholder. Hashed,
    # they would be one customer calling three times: w1 and w2 repeated, w3 not, so fcr
    # 1 ÷ 3 = 33.33 %. They are no identity: nothing is watched, fcr is no data, 3 unidentified.
    events = [
        event
        for i, placeholder in enumerate(placeholders)
        for event in contact_timeline(
            make_event, f"w{i + 1}", at(i * 300), wait_s=5, talk_s=60, customer=placeholder
        )
    ]
    ingestor.ingest_batch([RawEvent(e, "fcr") for e in events])
    request = ReportRequest(("fcr", "repeat_contact_rate"), date(2026, 1, 5), date(2026, 1, 5))
    (row,) = run_report(store, request).rows
    for kpi in ("fcr", "repeat_contact_rate"):
        assert row.values[kpi].value is None
        assert row.values[kpi].details == {"censored": 0, "unidentified": 3}
    with store.reading() as connection:
        bodies = connection.execute(text("SELECT body FROM event")).scalars().all()
    assert bodies and not any("customer_hmac" in body for body in bodies)


def test_a_number_with_zeros_is_still_a_customer():
    # only a number made of zeros alone is a placeholder; +31 20 000 0001 is a real caller
    assert not is_withheld("+31200000001")
    assert not is_withheld("anonymous-42")
    assert is_withheld(" 000 ")
