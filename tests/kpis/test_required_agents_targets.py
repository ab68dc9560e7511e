"""``required_agents`` staffing for a target ASA (variants ``asa`` and ``erlang_a_asa``) and
its fractional requirement, through the real ingest on SQLite and PostgreSQL.

The timeline (as TestRequiredAgentsErlangA's in test_workforce_kpis.py): 09:00 four contacts
each waiting 5 s and talking 225 s, one abandoned after 60 s: offered 5, AHT 225 s,
A = 5 × 225 ÷ 900 = 1.25 Erlangs; patience = Σ wait (4 × 5 + 60) ÷ 1 abandoned = 80 s.

Erlang C, ASA = C × AHT ÷ (N − A): B(1) = 0.5556, B(2) = 0.2577, B(3) = 0.0970, B(4) = 0.0294;
C(2) = 0.4808 → ASA 0.4808 × 225 ÷ 0.75 = 144.23 s; C(3) = 0.1555 → 0.1555 × 225 ÷ 1.75
= 19.99 s; C(4) = 0.0422 → 0.0422 × 225 ÷ 2.75 = 3.45 s. ASA ≤ 30 s: 3 agents, fractional
2 + (144.23 − 30) ÷ (144.23 − 19.99) = 2.919; ≤ 10 s: 4, 3 + (19.99 − 10) ÷ (19.99 − 3.45) = 3.604.

Erlang A (θ = 1/80), ASA = π_N c T(a) ÷ (θ (1 − P(abandon))), T as in kpi/erlang.py:
N = 2: 7.57 s (worked in tests/kpis/test_erlang.py). N = 1: c = 80/225 = 0.3556, a = 0.4444,
S(a) = 0.7377 + 0.1392 + 0.0184 + 0.0019 + 0.0002 = 0.8974, π_N = 1 ÷ (1/0.5556 + a S(a))
= 1 ÷ 2.1988 = 0.4548, P(wait) = π_N (1 + a S(a)) = 0.6362, P(abandon) = 0.6362 − π_N c S(a)
= 0.4911; T(a) = 0.7377 × 0.7377 + 0.1392 × 1.1622 + 0.0184 × 1.4602 + 0.0019 × 1.6898 + …
= 0.7364, ASA = 0.4548 × 0.3556 × 0.7364 ÷ (0.0125 × 0.5089) = 18.72 s (half the callers hang
up: the other half wait little). ASA ≤ 30 s: 1 agent, and no agent answers nobody (ASA
infinite), so the fractional requirement is 1; ≤ 10 s: 2, 1 + (18.72 − 10) ÷ (18.72 − 7.57)
= 1.782.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from kpi_timeline import StandardKpiTests, abandoned, answered

from callkpi.kpi.conformance import expect
from callkpi_kpis.staffing import asa_a_columns, asa_a_parts, asa_c_columns, asa_c_parts


def busy_interval(make):
    contacts = [e for i in range(4) for e in answered(make, f"r{i}", 5, 225, start=60 * i)]
    return contacts + abandoned(make, "q0", 60, start=240)


class TestRequiredAgentsForAnAsa(StandardKpiTests):
    expected = (
        expect("required_agents", 3, "asa"),
        expect("required_agents", 4, "asa", target_asa_s=10),
        expect("required_agents", 1, "erlang_a_asa"),
        expect("required_agents", 2, "erlang_a_asa", target_asa_s=10),
        expect("required_agents", 3),  # the default: 80 % in 20 s by Erlang C, unchanged
        expect("required_agents", 3, "erlang_a"),  # 80 % in 20 s by Erlang A, unchanged
    )

    def timeline(self, make_event):
        return busy_interval(make_event)

    def test_fractional_requirement_beside_the_whole(self, kpi_ingestor, kpi_registry, make_event):
        (row,) = self.report(kpi_ingestor, kpi_registry, make_event).rows
        fractional = [value.details["required_fractional"] for value in row.values.values()]
        # default: SL(2) = 1 − 0.4808 e^(−0.75 × 20/225) = 0.5501, SL(3) = 1 − 0.1555 e^(−1.75 ×
        # 20/225) = 0.8669: 2 + (0.8 − 0.5501) ÷ (0.8669 − 0.5501) = 2.789
        assert fractional == [
            pytest.approx(2.919, abs=1e-3),
            pytest.approx(3.604, abs=1e-3),
            1.0,
            pytest.approx(1.782, abs=1e-3),
            pytest.approx(2.789, abs=1e-3),
            # erlang_a: SL(2) = 0.724, SL(3) = 0.902 (TestRequiredAgentsErlangA):
            # 2 + (0.8 − 0.724) ÷ (0.902 − 0.724) = 2.427
            pytest.approx(2.427, abs=2e-3),
        ]


@pytest.mark.parametrize(("parts", "columns"), [(asa_c_parts, asa_c_columns), (asa_a_parts, asa_a_columns)])
def test_asa_column_parts_agree_with_the_parts_of_each_group(parts, columns):
    names = ("offered", "handle", "handled", "staffed", "queue_wait", "abandoned")
    rng = random.Random(5)
    groups = [{n: rng.choice([0, 1, 2, 3, round(rng.uniform(0, 900), 1)]) for n in names} for _ in range(200)]
    rows = [{n: rng.choice([0, 1, 2, 3, round(rng.uniform(0, 900), 1)]) for n in names} for _ in range(200)]
    for row in rows:  # a patience of seconds, as callers have
        row["queue_wait"] = round(rng.uniform(200, 3000), 1)
    parameters = {"target_asa_s": 30.0}
    as_array = lambda values: np.array([math.nan if v is None else float(v) for v in values])  # noqa: E731
    found = columns(
        {n: as_array([g[n] for g in groups]) for n in names},
        {n: as_array([r[n] for r in rows]) for n in names},
        parameters,
    )
    for index, (group, row) in enumerate(zip(groups, rows, strict=True)):
        for name, want in parts(group, row, parameters).items():
            value = found[name][index]
            assert (math.isnan(value) and want is None) or value == want, (index, name, group, row)


def test_a_target_asa_of_nothing_is_refused():
    fine = {"offered": 5, "handle": 900, "handled": 4, "staffed": 0}
    with pytest.raises(ValueError, match="target_asa_s = 0; expected a number of seconds > 0"):
        asa_c_parts(fine, fine, {"target_asa_s": 0})
