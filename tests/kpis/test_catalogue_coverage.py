"""Every KPI and variant of the standard catalogue has a hand-worked conformance timeline."""

from __future__ import annotations

import test_access_kpis
import test_business_kpis
import test_customer_kpis
import test_handling_kpis
import test_leg_kpis
import test_recovery_kpis
import test_required_agents_targets
import test_resolution_kpis
import test_workforce_kpis
from kpi_timeline import StandardKpiTests

CONFORMANCE_MODULES = (
    test_access_kpis,
    test_handling_kpis,
    test_leg_kpis,
    test_workforce_kpis,
    test_business_kpis,
    test_resolution_kpis,
    test_recovery_kpis,
    test_customer_kpis,
    test_required_agents_targets,
)


def test_every_kpi_and_variant_has_an_expected_value(standard_kpis):
    covered = {
        (
            e.selection.kpi,
            e.selection.variant or standard_kpis.get(e.selection.kpi).kpi.default_variant,
        )
        for cls in StandardKpiTests.__subclasses__()
        for e in cls.expected
    }
    catalogue = {
        (r.kpi.id, variant) for r in standard_kpis if r.plugin == "kpis" for variant in r.variants
    }
    # access and handling 39 (with received), the contact views of the leg KPIs 7 (six
    # first_queue, aht per_contact), workforce 13 (required_agents: sl, erlang_a, asa,
    # erlang_a_asa), business 5, resolution 9 (fcr has 5 variants), customer 9 (ces: 1–7, 1–5
    # and a share easy on each), recovery 3 (abandon_recovery_rate and its callback variant,
    # time_to_recovery)
    assert len(catalogue) == 39 + 7 + 18 + 9 + 9 + 3
    assert catalogue - covered == set()
