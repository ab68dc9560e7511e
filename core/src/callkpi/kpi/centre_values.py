"""The centre values formulas may read (``callkpi.kpi.CENTRE_VALUES``), from centre settings.

A report row's centre is its ``centre`` dimension, else the request's centre. A row over
several centres gets a value only when all of them configure the same one.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..store.centres import CentreConfig, CentreSettings
from .model import CENTRE_VALUES, FIXED_COST_PER_HOUR, HOURLY_COST

PERIOD_HOURS_OF = {"day": 24.0, "week": 168.0, "month": 730.5, "year": 8766.0}
"""Hours of a fixed-cost period; a month is an average one (365.25 × 24 ÷ 12 hours)."""


def settings_values(settings: CentreSettings) -> dict[str, float | None]:
    """The centre values of one centre's settings (``None`` where not configured)."""
    fixed = settings.fixed_cost
    return {
        HOURLY_COST: settings.hourly_cost,
        FIXED_COST_PER_HOUR: None
        if fixed is None
        else fixed / PERIOD_HOURS_OF[settings.fixed_cost_period],
    }


def centre_values(
    centres: Mapping[str, CentreConfig], centre: str | None
) -> dict[str, float | None]:
    """The values for a row of ``centre`` (``None``: a row over every centre)."""
    if centre is not None:
        config = centres.get(centre)
        return settings_values(config.settings) if config else dict.fromkeys(CENTRE_VALUES)
    found = [settings_values(config.settings) for config in centres.values()]
    return {
        name: found[0][name] if found and all(v[name] == found[0][name] for v in found) else None
        for name in CENTRE_VALUES
    }
