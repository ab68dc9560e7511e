"""Conformance of the "Customer" KPIs (survey answers) through ingest and the projector,
with their 95 % confidence intervals and the minimum sample worked out by hand.

z = 1.959964 (two-sided 95 %); every survey answer is on 2026-01-05 (UTC).
"""

from __future__ import annotations

from datetime import date

import pytest
from kpi_timeline import StandardKpiTests, at

from callkpi.connectors import RawEvent
from callkpi.kpi import KpiSelection, ReportRequest, run_report
from callkpi.kpi.conformance import expect
from callkpi.kpi.intervals import mean_interval, nps_interval, wilson
from callkpi.store.centres import KpiTarget, add_centre, load_centres

DAY = date(2026, 1, 5)


def answers(make, instrument: str, scale: str, scores: dict[float, int], prefix: str = "s"):
    """``count`` answers of each score, each to its own survey of its own contact."""
    events, number = [], 0
    for score, count in scores.items():
        for _ in range(count):
            number += 1
            data = {
                "surveyid": f"{prefix}{number}",
                "instrument": instrument,
                "scale": scale,
                "score": score,
            }
            events.append(
                make("survey.response_received", at(number * 60), data, contactid=f"c{number}")
            )
    return events


# 40 answers: 20 promoters (10), 10 passives (8), 10 detractors (3)
NPS_ANSWERS = {10: 20, 8: 10, 3: 10}
# 40 answers on 1–5: 20 × 5, 10 × 4, 5 × 3, 5 × 1
CSAT_ANSWERS = {5: 20, 4: 10, 3: 5, 1: 5}
# 30 answers on 1–5: 10 × 5, 10 × 4, 10 × 2; and 30 on 1–7 (the gateway's scale): 15 × 7, 10 × 6, 5 × 3
CES_ANSWERS, CES7_ANSWERS = {5: 10, 4: 10, 2: 10}, {7: 15, 6: 10, 3: 5}


def survey_timeline(make):
    return [
        *answers(make, "nps", "0-10", NPS_ANSWERS, "n"),
        *answers(make, "csat", "1-5", CSAT_ANSWERS, "s"),
        *answers(make, "ces", "1-5", CES_ANSWERS, "e"),
        *answers(make, "ces", "1-7", CES7_ANSWERS, "f"),
    ]


class TestSurveyScores(StandardKpiTests):
    expected = (
        expect("nps", 25, n=40),  # (20 − 10) ÷ 40 × 100
        expect("csat", 75, n=40),  # top-two-box (20 + 10) ÷ 40
        expect("csat", 4.0, "mean", n=40),  # (100 + 40 + 15 + 5) ÷ 40
        expect("ces", 6.0, n=30),  # the 1–7 answers only: (105 + 60 + 15) ÷ 30
        expect("ces", 110 / 30, "mean_1_5", n=30),  # the 1–5 answers only: (50 + 40 + 20) ÷ 30 = 3.667
        expect("ces", 250 / 3, "share_easy_1_7", n=30),  # 5s to 7s of 1–7: 25 ÷ 30
        expect("ces", 200 / 3, "share_easy_1_5", n=30),  # 4s and 5s of 1–5: 20 ÷ 30
    )

    def timeline(self, make_event):
        return survey_timeline(make_event)


@pytest.fixture
def survey_row(store, ingestor, make_event):
    ingestor.ingest_batch([RawEvent(e, "surveys") for e in survey_timeline(make_event)])
    selections = (
        "nps",
        "csat",
        KpiSelection("csat", "mean"),
        KpiSelection("ces", "mean_1_5"),
        KpiSelection("ces", "share_easy_1_5"),
    )
    (row,) = run_report(store, ReportRequest(selections, DAY, DAY)).rows
    return row.values  # keyed "nps", "csat", "csat:mean", "ces:mean_1_5", "ces:share_easy_1_5"


def interval(value) -> tuple[float, float]:
    return value.ci_low, value.ci_high


def test_nps_interval(survey_row):
    # x = +1/0/−1: n 40, Σx 10, Σx² 30; mean 0.25; variance 30/40 − 0.0625 = 0.6875
    # se = 100·√(0.6875 / 40) = 13.1101; half-width 1.959964 × 13.1101 = 25.6953
    assert interval(survey_row["nps"]) == pytest.approx((-0.6953446, 50.6953446))
    assert survey_row["nps"].enough_sample is True


def test_csat_wilson_interval(survey_row):
    # p 0.75, n 40, z² 3.841459: centre (0.75 + 0.048018) ÷ 1.096036 = 0.728095
    # half 1.959964·√(0.0046875 + 0.00060023) ÷ 1.096036 = 0.130034 → 59.806 % … 85.813 %
    assert interval(survey_row["csat"]) == pytest.approx((59.806039, 85.812881))
    assert survey_row["csat"].met is True  # 75 % meets the default target of 75 %


def test_mean_intervals(survey_row):
    # csat mean: n 40, Σx 160, Σx² 710; s² = (710 − 40·16) ÷ 39 = 1.794872
    # se = √(1.794872 / 40) = 0.211830; half 0.415178 → 3.584822 … 4.415178
    assert interval(survey_row["csat:mean"]) == pytest.approx((3.584822, 4.415178))
    # ces on 1–5: n 30, Σx 110, Σx² 450; s² = (450 − 30·(11/3)²) ÷ 29 = 1.609195
    # se = √(1.609195 / 30) = 0.231603; half 0.453935 → 3.212734 … 4.120600
    assert interval(survey_row["ces:mean_1_5"]) == pytest.approx((3.212734, 4.120600))
    # share_easy_1_5: Wilson of 20 of 30 → 48.780 % … 80.770 %
    assert interval(survey_row["ces:share_easy_1_5"]) == pytest.approx((48.780052, 80.769502))


def test_targets_belong_to_their_variant(store, ingestor, make_event):
    """csat's default target 75 (top-two-box, %) is never shown against its 1–5 mean; a centre's
    target for csat reaches the % variants only, one for csat:mean the mean only."""
    ingestor.ingest_batch([RawEvent(e, "surveys") for e in survey_timeline(make_event)])
    selections = ("csat", KpiSelection("csat", "mean"), "ces", KpiSelection("ces", "mean_1_5"))
    request = ReportRequest(selections, DAY, DAY, centre="default")
    columns = {c.key: c for c in run_report(store, request).columns}
    assert columns["csat"].target == 75 and columns["csat:mean"].target is None
    assert columns["ces"].target is None and columns["ces:mean_1_5"].target is None

    with store.transaction() as connection:
        config = load_centres(connection)["default"]
        targets = {"csat": KpiTarget(value=80), "csat:mean": KpiTarget(value=4.5)}
        settings = config.settings.model_copy(update={"kpi_targets": targets})
        add_centre(connection, config.name, config.timezone, settings)
    (row,) = (report := run_report(store, request)).rows
    columns = {c.key: c for c in report.columns}
    assert columns["csat"].target == 80 and row.values["csat"].met is False  # 75 % < 80 %
    assert columns["csat:mean"].target == 4.5 and row.values["csat:mean"].met is False  # 4.0 < 4.5


def test_interval_maths_edges():
    assert wilson(0, 0) is None and mean_interval(0, 0, 0) is None and nps_interval(0, 0, 0) is None
    # all 10 of 10: p̂ = 1; Wilson stays below 100 %: centre (1 + 0.192073) ÷ 1.384146 = 0.861236,
    # half 1.959964·√(0.009604) ÷ 1.384146 = 0.138764 → 72.247 % … 100 %
    assert wilson(10, 10) == pytest.approx((72.2472, 100.0), abs=1e-3)
    assert mean_interval(1, 4, 16) == (4.0, 4.0)  # one answer: no spread to estimate


class TestNpsBelowTheMinimumSample(StandardKpiTests):
    # 29 answers (19 promoters, 10 detractors): below 30, the NPS is withheld
    expected = (expect("nps", None, n=29),)

    def timeline(self, make_event):
        return answers(make_event, "nps", "0-10", {9: 19, 0: 10})


def test_a_withheld_value_has_no_interval(store, ingestor, make_event):
    events = answers(make_event, "nps", "0-10", {9: 19, 0: 10})
    ingestor.ingest_batch([RawEvent(e, "nps") for e in events])
    (row,) = run_report(store, ReportRequest(("nps",), DAY, DAY)).rows
    nps = row.values["nps"]
    assert (nps.value, nps.ci_low, nps.ci_high, nps.enough_sample, nps.n) == (
        None,
        None,
        None,
        False,
        29,
    )


def delivery_timeline(make):
    """s1 sms nl delivered + answered; s2 sms nl delivered; s3 web en delivered + answered;
    s4 sms nl failed (never delivered)."""
    events = []
    for i, (channel, language, delivered, answered) in enumerate(
        (("sms", "nl", True, True), ("sms", "nl", True, False), ("web", "en", True, True)), 1
    ):
        sid, contact = f"s{i}", {"contactid": f"c{i}"}
        scheduled = {
            "surveyid": sid,
            "instruments": ["csat"],
            "channel": channel,
            "language": language,
            "due_at": at(0).isoformat(),
        }
        events.append(make("survey.scheduled", at(i), scheduled, **contact))
        if delivered:
            events.append(make("survey.delivered", at(60 + i), {"surveyid": sid}, **contact))
        if answered:
            data = {"surveyid": sid, "instrument": "csat", "scale": "1-5", "score": 4}
            events.append(make("survey.response_received", at(120 + i), data, **contact))
    failed = {"surveyid": "s4", "reason": "unreachable"}
    return [*events, make("survey.failed", at(200), failed, contactid="c4")]


class TestSurveyResponseRate(StandardKpiTests):
    expected = (expect("survey_response_rate", 200 / 3, n=3),)  # s1, s3 of s1–s3 delivered

    def timeline(self, make_event):
        return delivery_timeline(make_event)


def test_response_rate_per_channel_and_language(store, ingestor, make_event):
    ingestor.ingest_batch([RawEvent(e, "rate") for e in delivery_timeline(make_event)])
    request = ReportRequest(("survey_response_rate",), DAY, DAY, group_by=("survey_channel", "language"))
    report = run_report(store, request)
    assert report.row(survey_channel="sms", language="nl")["survey_response_rate"] == 50.0  # s1 of s1, s2
    assert report.row(survey_channel="web", language="en")["survey_response_rate"] == 100.0  # s3


def followup_timeline(make):
    """d1 answers 2 at 10:00, a case is opened for its contact at 10:30 (1 800 s);
    d2 answers 5 at 11:00, case at 13:00 (7 200 s); d3 answers 0, never followed up;
    p1 answers 10 and gets a case too (not a detractor)."""
    events = []
    for sid, score, answered_s, case_s in (
        ("d1", 2, 3600, 5400),
        ("d2", 5, 7200, 14400),
        ("d3", 0, 7300, None),
        ("p1", 10, 7400, 7500),
    ):
        data = {"surveyid": sid, "instrument": "nps", "scale": "0-10", "score": score}
        contact = {"contactid": f"contact-{sid}"}
        events.append(make("survey.response_received", at(answered_s), data, **contact))
        if case_s is not None:
            events.append(make("case.opened", at(case_s), {"caseid": f"k-{sid}"}, **contact))
    return events


class TestDetractorFollowUp(StandardKpiTests):
    expected = (expect("detractor_followup_time", (1800 + 7200) / 2, n=2),)  # 4 500 s

    def timeline(self, make_event):
        return followup_timeline(make_event)


def other_scale_followup_timeline(make):
    """d1 answers 3 on the 0–10 recommend question at 01:00, its case at 01:10 (600 s);
    o1 answers 2 on a 1–5 scale labelled "nps" at 01:00, its case at 01:50 (3 000 s). Only
    d1 is a detractor: 600 s. (Summing o1 too but counting only d1 gave 3 600 ÷ 1 = 3 600 s.)"""
    events = []
    for sid, scale, score, case_s in (("d1", "0-10", 3, 4200), ("o1", "1-5", 2, 6600)):
        data = {"surveyid": sid, "instrument": "nps", "scale": scale, "score": score}
        contact = {"contactid": f"contact-{sid}"}
        events.append(make("survey.response_received", at(3600), data, **contact))
        events.append(make("case.opened", at(case_s), {"caseid": f"k-{sid}"}, **contact))
    return events


class TestDetractorFollowUpCountsOnlyTheRecommendScale(StandardKpiTests):
    expected = (expect("detractor_followup_time", 600, n=1),)  # d1 alone: 4 200 − 3 600

    def timeline(self, make_event):
        return other_scale_followup_timeline(make_event)


class TestDetractorFollowUpOnlyOnAnotherScale(StandardKpiTests):
    expected = (expect("detractor_followup_time", None, n=0),)  # no 0–10 detractor: no data, never 0 s

    def timeline(self, make_event):
        return [event for event in other_scale_followup_timeline(make_event) if "o1" in event["contactid"]]
