"""Conformance of the "Business drivers" KPIs: hand-worked timelines through ingest and projector.

2026-01-05 (UTC centre ``default``), queue sales:

    s1 answered by a1: sales 100 (not cross-sell) and 50 (cross-sell)   revenue 150, 2 sales
    s2 answered by a2: sale 30 (cross-sell)                             revenue  30, 1 sale
    s3 answered by a1: sale 40 (not cross-sell)                         revenue  40, 1 sale
    s4 answered by a2: no sale
    s5 abandoned;  a sale of 20 without a contact (cross-sell)

answered (and handled) = 4, three of them with a sale; Σ sales on answered = 4; Σ revenue 220;
agents who handled contacts a1, a2. Staffed: a1 and a2 09:00–11:00, 4 agent-hours.
"""

from __future__ import annotations

import pytest
from kpi_timeline import StandardKpiTests, abandoned, answered, at, staffed

from callkpi.kpi.conformance import expect
from callkpi.store.centres import CentreSettings, add_centre


def sale(make, saleid, amount, contact=None, cross_sell=False):
    data = {"saleid": saleid, "amount": amount, "currency": "EUR", "cross_sell": cross_sell}
    return make("sale.recorded", at(600), data, contactid=contact, agentid="a1")


def sales_day(make):
    return [
        *answered(make, "s1", 5, 100, agent="a1"),
        *answered(make, "s2", 5, 100, start=300, agent="a2"),
        *answered(make, "s3", 5, 100, start=600, agent="a1"),
        *answered(make, "s4", 5, 100, start=900, agent="a2"),
        *abandoned(make, "s5", 30, start=1200),
        sale(make, "p1", 100, "s1"),
        sale(make, "p2", 50, "s1", cross_sell=True),
        sale(make, "p3", 30, "s2", cross_sell=True),
        sale(make, "p4", 40, "s3"),
        sale(make, "p5", 20, cross_sell=True),
        *staffed(make, "a1", 0, 7200),
        *staffed(make, "a2", 0, 7200),
    ]


class TestSales(StandardKpiTests):
    expected = (
        expect("conversion_rate", 75, n=4),  # s1, s2, s3 ÷ 4 answered
        expect("sales_per_agent", 2, n=2),  # 4 sales ÷ agents a1, a2
        expect("revenue_per_call", 55, n=4),  # 220 ÷ 4 answered
        # cross-sells with a contact p2, p3 ÷ contacts with a sale s1, s2, s3 (p5 has no contact)
        expect("cross_sell_rate", 200 / 3, n=3),
    )

    def timeline(self, make_event):
        return sales_day(make_event)


class TestCostPerCall(StandardKpiTests):
    """hourly_cost 30, fixed_cost 480 per day: 4 staffed hours × 30 = 120, plus the day's
    fixed 480 ÷ 24 × 24 hours = 480; (120 + 480) ÷ 4 handled = 150."""

    expected = (expect("cost_per_call", 150, n=4),)

    @pytest.fixture
    def kpi_ingestor(self, ingestor):
        costs = CentreSettings(
            currency="EUR", hourly_cost=30, fixed_cost=480, fixed_cost_period="day"
        )
        with ingestor.store.transaction() as connection:
            add_centre(connection, "default", "UTC", costs)
        return ingestor

    def timeline(self, make_event):
        return sales_day(make_event)


class TestCostPerCallWithoutCosts(StandardKpiTests):
    expected = (expect("cost_per_call", None, n=4),)  # no costs configured: no value

    def timeline(self, make_event):
        return sales_day(make_event)

    def test_the_report_says_why(self, kpi_ingestor, kpi_registry, make_event):
        (row,) = self.report(kpi_ingestor, kpi_registry, make_event).rows
        assert "costs are not configured: set hourly_cost" in row.values["cost_per_call"].note
