"""KPIS.md "Business drivers": sales, revenue and cost per contact."""

from __future__ import annotations

from collections.abc import Mapping

from callkpi.kpi import (
    FIXED_COST_PER_HOUR,
    HOURLY_COST,
    PERIOD_HOURS,
    Kpi,
    Measure,
    NoValue,
    divide,
    mean_of,
    percent_of,
)
from callkpi.kpi.model import Values

from .measures import ANSWERED, HANDLED, IS_ANSWERED, IS_HANDLED

SALES_NOTE = (
    "Sales are sale.recorded events carrying the contact's id; amounts are added as recorded, "
    "without currency conversion."
)

conversion_rate = Kpi(
    "conversion_rate",
    "Conversion rate",
    "%",
    True,
    "Share of answered contacts with at least one sale: contacts with a sale ÷ answered × 100. "
    f"{SALES_NOTE}",
    "fact_contact",
    (Measure("converted", "count", filter=(IS_ANSWERED, ("sales", ">", 0))), ANSWERED),
    percent_of("converted", "answered"),
    sample="answered",
)

sales_per_agent = Kpi(
    "sales_per_agent",
    "Sales per agent",
    "n",
    True,
    "Sales on answered contacts ÷ the agents who handled contacts (each agent once, by the agent "
    f"who answered). {SALES_NOTE}",
    "fact_contact",
    (
        Measure("sales", "sum", "sales", filter=(IS_ANSWERED,)),
        Measure("agents", "count_distinct", "agentid", filter=IS_HANDLED),
    ),
    mean_of("sales", "agents"),
    sample="agents",
)

revenue_per_call = Kpi(
    "revenue_per_call",
    "Revenue per call",
    "money",
    True,
    f"Revenue per successful contact: Σ sale amounts of answered contacts ÷ answered. {SALES_NOTE}",
    "fact_contact",
    (Measure("revenue", "sum", "revenue", filter=(IS_ANSWERED,)), ANSWERED),
    mean_of("revenue", "answered"),
    sample="answered",
)


def cost_per_handled(m: Values, p: Mapping[str, float]) -> float | None:
    """(staffed hours × hourly cost + fixed cost of the row's hours) ÷ handled contacts."""
    hourly, fixed = m[HOURLY_COST], m[FIXED_COST_PER_HOUR]
    if hourly is None and fixed is None:
        raise NoValue(
            "costs are not configured: set hourly_cost and/or fixed_cost in the centre's settings "
            "(a row over several centres needs them equal in all)"
        )
    staff_cost = (hourly or 0) * m["staffed"] / 3600
    fixed_cost = (fixed or 0) * (m[PERIOD_HOURS] or 0)
    return divide(staff_cost + fixed_cost, m["handled"])


cost_per_call = Kpi(
    "cost_per_call",
    "Cost per call",
    "money",
    False,
    "(staffed hours × hourly_cost + fixed cost) ÷ handled contacts, in the centre's currency. "
    "hourly_cost, fixed_cost and fixed_cost_period (day, week, month of 730.5 hours, year) come "
    "from the centre's settings; the fixed cost is spread evenly over time and charged for the "
    "hours the report row covers (a row per date: that day; per agent or team: the whole period "
    "each — leave fixed_cost unset to compare agents). Without either cost there is no value and "
    "the report says why. Like contacts_per_hour it joins the contact and agent-interval facts on "
    "the report's dimensions.",
    "fact_contact",
    (HANDLED, Measure("staffed", "sum", "staffed_s", fact="fact_agent_interval")),
    cost_per_handled,
    sample="handled",
)

cross_sell_rate = Kpi(
    "cross_sell_rate",
    "Cross-sell rate",
    "%",
    True,
    "Sales marked cross-sell ÷ contacts with a sale × 100, both from the sales recorded in the "
    "period (by the sale's local time) that carry a contact id.",
    "fact_sale",
    (
        Measure(
            "cross_sells", "count", filter=(("cross_sell", "==", True), ("contactid", "not null"))
        ),
        Measure(
            "contacts_with_sale", "count_distinct", "contactid", filter=(("contactid", "not null"),)
        ),
    ),
    percent_of("cross_sells", "contacts_with_sale"),
    sample="contacts_with_sale",
)

KPIS = (conversion_rate, sales_per_agent, revenue_per_call, cost_per_call, cross_sell_rate)
