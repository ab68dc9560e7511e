"""An example callkpi KPI plugin: two KPIs over the contact facts, declared as data.

``long_call_rate`` is the share of handled contacts that ran longer than a parameter,
with a variant that looks at talk time only; ``transfers_per_contact`` is the mean
number of transfers of an answered contact. See docs/writing_kpi_plugins.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callkpi import hookimpl
from callkpi.kpi import Kpi, Measure, Param, Parameter, Variant, mean_of, percent_of

ANSWERED = ("outcome", "==", "answered")
HANDLED = Measure("handled", "count", filter=(ANSWERED, ("handle_s", "not null")))
"""Answered contacts that have ended, so their handle time is known."""

LONG_CALL = Parameter("long_call_s", 600, "A contact longer than this many seconds is long.")

long_call_rate = Kpi(
    id="long_call_rate",
    title="Long-call rate",
    unit="%",
    higher_is_better=False,
    definition=(
        "Share of handled contacts whose handle time (talk + hold + after-contact work) was "
        "longer than long_call_s seconds: long calls ÷ handled × 100. Variant talk_only "
        "compares talk time alone, for centres whose agents do their wrap-up off the call."
    ),
    fact="fact_contact",
    measures=(
        Measure(
            "long_calls",
            "count",
            filter=(ANSWERED, ("handle_s", ">", Param("long_call_s"))),
        ),
        HANDLED,
    ),
    formula=percent_of("long_calls", "handled"),
    parameters=(LONG_CALL,),
    variants=(
        Variant(
            "talk_only",
            "contacts with talk longer than long_call_s ÷ handled",
            measures=(
                Measure(
                    "long_calls",
                    "count",
                    filter=(
                        ANSWERED,
                        ("handle_s", "not null"),
                        ("talk_s", ">", Param("long_call_s")),
                    ),
                ),
            ),
        ),
    ),
    default_variant="handle_time",
    sample="handled",
    target=10,
)

transfers_per_contact = Kpi(
    id="transfers_per_contact",
    title="Transfers per contact",
    unit="ratio",
    higher_is_better=False,
    definition="Mean number of transfers of an answered contact: Σ transfers ÷ answered.",
    fact="fact_contact",
    measures=(
        Measure("transfers", "sum", "transfers", filter=(ANSWERED,)),
        Measure("answered", "count", filter=(ANSWERED,)),
    ),
    formula=mean_of("transfers", "answered"),
    sample="answered",
)

KPIS = (long_call_rate, transfers_per_contact)


@hookimpl
def callkpi_register_kpis(register: Callable[..., Any]) -> None:
    """Register the example KPIs; callkpi validates each one here, at start-up."""
    for kpi in KPIS:
        register(kpi)
