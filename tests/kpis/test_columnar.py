"""The column-at-a-time forms give exactly what the row-at-a-time ones give: divide and
percent on arrays, Erlang C staffing for many intervals, the grains' column parts and the
survey KPIs' confidence intervals."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from callkpi.kpi import divide, percent
from callkpi.kpi.columns import as_array, as_values
from callkpi.kpi.erlang import Traffic, agents_required
from callkpi.kpi.erlang_columns import agents_required_c
from callkpi.kpi.intervals import (
    mean_interval,
    mean_interval_columns,
    nps_interval,
    nps_interval_columns,
    wilson,
    wilson_columns,
)
from callkpi_kpis.staffing import erlang_a_columns, erlang_a_parts, erlang_c_columns, erlang_c_parts
from callkpi_kpis.workforce import forecast_columns, forecast_parts

PARAMETERS = {"threshold_s": 20.0, "target_percent": 80.0}


def test_divide_and_percent_on_arrays_give_none_for_zero_or_missing_denominators():
    top, bottom = as_array([1, 3, None, 5]), as_array([2, 0, 4, None])
    assert as_values(divide(top, bottom), 4) == [0.5, None, None, None]
    assert as_values(percent(top, bottom), 4) == [50.0, None, None, None]
    assert as_values(divide(None, bottom), 4) == [None] * 4


@pytest.mark.parametrize("target", [0.0, 0.5, 0.8, 0.95])
def test_erlang_c_for_many_intervals_agrees_with_the_scalar_search(target):
    rng = random.Random(7)
    arrivals = np.array([float(rng.randrange(1, 400)) for _ in range(300)])
    aht = np.array([round(rng.uniform(5, 900), 1) for _ in range(300)])
    found = agents_required_c(arrivals, aht, 900.0, target, 20.0)
    expected = [agents_required(Traffic(a, h, 900.0), target, 20.0).agents for a, h in zip(arrivals, aht, strict=True)]
    assert found.tolist() == expected


def _groups(rng: random.Random, names: tuple[str, ...], size: int) -> list[dict[str, float]]:
    return [{name: rng.choice([0, 0, 1, 2, 3, round(rng.uniform(0, 900), 1)]) for name in names} for _ in range(size)]


@pytest.mark.parametrize(
    ("parts", "columns", "names"),
    [
        (erlang_c_parts, erlang_c_columns, ("offered", "handle", "handled", "staffed")),
        (erlang_a_parts, erlang_a_columns, ("offered", "handle", "handled", "staffed", "queue_wait", "abandoned")),
        (forecast_parts, forecast_columns, ("forecast", "forecast_rows", "actual")),
    ],
)
def test_grain_column_parts_agree_with_the_parts_of_each_group(parts, columns, names):
    rng = random.Random(11)
    fine, rows = _groups(rng, names, 400), _groups(rng, names, 400)
    for row in rows:  # a patience of seconds, as callers have (a tiny one underflows Erlang A)
        row["queue_wait"] = round(rng.uniform(200, 3000), 1)
    fine_columns = {n: as_array([g[n] for g in fine]) for n in names}
    found = columns(fine_columns, {n: as_array([r[n] for r in rows]) for n in names}, PARAMETERS)
    for index, (group, row) in enumerate(zip(fine, rows, strict=True)):
        expected = parts(group, row, PARAMETERS)
        for name, column in found.items():
            value = column[index]
            want = expected.get(name, 0.0)
            assert (math.isnan(value) and want is None) or value == want, (index, name, group, row)


def test_interval_columns_give_exactly_the_intervals_of_each_row():
    rng = random.Random(11)
    n = [float(rng.choice([0, 1, 2, 30, rng.randrange(1, 5000)])) for _ in range(400)]
    hits = [float(rng.randrange(0, int(size) + 1)) for size in n]
    total = [size * rng.uniform(-1, 5) for size in n]
    squares = [t * t / size + rng.uniform(0, 50) * size if size else 0.0 for t, size in zip(total, n, strict=True)]
    cases = [
        (wilson, wilson_columns, (hits, n)),
        (mean_interval, mean_interval_columns, (n, total, squares)),
        (nps_interval, nps_interval_columns, (n, total, squares)),
    ]
    for scalar, columns, arguments in cases:
        low, high = columns(*(np.array(values) for values in arguments))
        expected = [scalar(*row) or (None, None) for row in zip(*arguments, strict=True)]
        assert list(zip(as_values(low, 400), as_values(high, 400), strict=True)) == expected
