"""Registration fails early, naming the plugin, the KPI and the fix."""

from __future__ import annotations

import pytest

from callkpi import hookimpl
from callkpi.kpi import (
    InvalidKpi,
    Kpi,
    KpiRegistry,
    Measure,
    Param,
    Parameter,
    Variant,
    percent_of,
    value_of,
)
from callkpi.plugins import get_plugin_manager
from callkpi.settings import Settings

OFFERED = Measure("offered", "count", filter=(("outcome", "in", ("answered", "abandoned")),))
ANSWERED = Measure("answered", "count", filter=(("outcome", "==", "answered"),))


def kpi(**changes) -> Kpi:
    fields = {
        "id": "my_rate",
        "title": "My rate",
        "unit": "%",
        "higher_is_better": True,
        "definition": "Answered share.",
        "fact": "fact_contact",
        "measures": (ANSWERED, OFFERED),
        "formula": percent_of("answered", "offered"),
    }
    return Kpi(**{**fields, **changes})


def register_error(declaration: Kpi) -> str:
    with pytest.raises(InvalidKpi) as caught:
        KpiRegistry().register(declaration, plugin="acme")
    return str(caught.value)


def test_a_valid_kpi_registers_with_its_default_variant():
    registered = KpiRegistry().register(kpi(), plugin="acme")
    assert registered.plugin == "acme" and list(registered.variants) == ["default"]


def test_unknown_fact_table_names_the_known_ones():
    message = register_error(kpi(fact="fact_calls"))
    assert (
        "plugin 'acme', KPI 'my_rate': fact = 'fact_calls'; expected one of fact_contact" in message
    )


def test_unknown_column_names_the_table():
    message = register_error(
        kpi(measures=(Measure("talk", "sum", "talk_time"), OFFERED), formula=value_of("talk"))
    )
    assert (
        "measure 'talk'" in message
        and "column 'talk_time' is not a column of fact_contact" in message
    )


def test_unknown_filter_column_and_operator_are_refused():
    assert "column 'state'" in register_error(
        kpi(measures=(Measure("x", "count", filter=(("state", "==", 1),)),), formula=value_of("x"))
    )
    assert "operator '=~'" in register_error(
        kpi(
            measures=(Measure("x", "count", filter=(("outcome", "=~", "a"),)),),
            formula=value_of("x"),
        )
    )


def test_formula_naming_an_unknown_measure_says_which():
    message = register_error(kpi(formula=percent_of("answerd", "offered")))
    assert (
        "formula reads measure 'answerd', which is not declared; declared: answered, offered"
        in message
    )


def test_formula_dividing_by_zero_points_at_divide():
    message = register_error(kpi(formula=lambda m, p: m["answered"] / m["offered"]))
    assert "ZeroDivisionError" in message and "callkpi.kpi.divide/percent" in message


def test_bad_parameter_default_is_refused():
    message = register_error(kpi(parameters=(Parameter("threshold_s", -5),)))
    assert "parameter threshold_s default = -5; expected a number ≥ 0" in message
    assert "'20'" in register_error(kpi(parameters=(Parameter("threshold_s", "20"),)))


def test_filter_naming_an_undeclared_parameter_says_how_to_fix():
    fast = Measure("fast", "count", filter=(("wait_s", "<=", Param("threshold_s")),))
    message = register_error(kpi(measures=(fast, OFFERED), formula=percent_of("fast", "offered")))
    assert "names parameter 'threshold_s', which the KPI does not declare" in message
    assert "add Parameter('threshold_s', default)" in message


def test_variant_setting_an_undeclared_parameter_is_refused():
    message = register_error(kpi(variants=(Variant("slow", "…", parameters={"threshold_s": 30}),)))
    assert (
        "variant 'slow': parameters sets 'threshold_s', which the KPI does not declare" in message
    )


def test_sample_must_name_a_measure():
    assert "sample = ('calls',)" in register_error(kpi(sample="calls"))


def test_parameters_a_variant_does_not_read_are_not_its_parameters():
    fast = Measure("fast", "count", filter=(("wait_s", "<=", Param("threshold_s")),))
    declaration = kpi(
        parameters=(Parameter("threshold_s", 20), Parameter("unused_s", 5)),
        variants=(Variant("fast", "…", measures=(fast,), formula=percent_of("fast", "offered")),),
    )
    registered = KpiRegistry().register(declaration, plugin="acme")
    assert dict(registered.variants["default"].defaults) == {}
    assert dict(registered.variants["fast"].defaults) == {"threshold_s": 20}


class _Plugin:
    def __init__(self, declaration: Kpi):
        self.declaration = declaration

    @hookimpl
    def callkpi_register_kpis(self, register) -> None:
        register(self.declaration)


def test_duplicate_id_across_plugins_names_both_and_skips_only_the_second():
    pm = get_plugin_manager(
        Settings(_env_file=None),
        entry_points_group=None,
        plugins=[("first", _Plugin(kpi())), ("second", _Plugin(kpi(title="Other")))],
    )
    kpis = pm.catalog.kpis
    assert kpis.get("my_rate").plugin == "first"
    (skipped,) = pm.skipped
    assert skipped.name == "second"
    assert (
        "plugin 'second' registers KPI 'my_rate', already registered by plugin 'first'"
        in skipped.reason
    )


def test_the_standard_catalogue_registers_every_kpi_of_access_and_handling(standard_kpis):
    expected = {
        "offered",
        "arrival_rate",
        "answered",
        "answer_rate",
        "service_level",
        "asa",
        "avg_queue_time",
        "longest_wait",
        "abandon_rate",
        "abandoned_within",
        "avg_abandon_time",
        "blocked_rate",
        "setup_success_rate",
        "self_service_rate",
        "first_response_time",
        "aht",
        "avg_talk_time",
        "avg_call_length",
        "avg_hold_time",
        "hold_rate",
        "longest_hold",
        "avg_acw",
        "transfer_rate",
        "contacts_per_hour",
        "case_volume",
    }
    assert expected <= {registered.kpi.id for registered in standard_kpis}
    assert set(standard_kpis.get("service_level").variants) == {
        "answered_over_offered",
        "exclude_short_abandons",
        "abandons_in_threshold_met",
        "answered_over_answered_and_abandoned",
        "asterisk_sl",
        "asterisk_sl2",
        "first_queue",  # the contact view beside the queue legs
    }
