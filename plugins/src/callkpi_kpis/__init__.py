"""The standard contact-centre KPI catalogue (KPIS.md), one module per KPI family.

Registered through the ``callkpi`` entry point ``kpis``, exactly as a vendor's plugin would be.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callkpi import hookimpl

from . import access, business, customer, handling, recovery, resolution, workforce

FAMILIES = (access, handling, workforce, business, resolution, recovery, customer)


@hookimpl
def callkpi_register_kpis(register: Callable[..., Any]) -> None:
    for family in FAMILIES:
        for kpi in family.KPIS:
            register(kpi)
