"""``callkpi kpis``: list, show, enable, disable and targets, through CliRunner on SQLite."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from typer.testing import Result

from callkpi.store.centres import CentreSettings, KpiTarget, load_centres
from callkpi.store.db import Store

Run = Callable[..., Result]


def one_red_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    return line


def settings(database: str, centre: str = "default") -> CentreSettings:
    store = Store.open(database)
    try:
        with store.transaction() as connection:
            return load_centres(connection)[centre].settings
    finally:
        store.dispose()


def row(listing: str, kpi_id: str) -> list[str]:
    """The cells of ``kpi_id``'s first line in a Rich table."""
    (line,) = [line for line in listing.splitlines() if re.match(rf"│ {kpi_id}\s", line)]
    return [cell.strip() for cell in line.strip("│").split("│")]


def test_kpis_lists_the_catalogue_for_the_centre(run: Run):
    listed = run("kpis")
    assert listed.exit_code == 0, listed.output
    # service_level: unit %, first variant (the default) answered_over_offered, the KPI's own
    # target 80 (no centre target yet), enabled (a new centre enables every KPI)
    assert row(listed.output, "service_level") == [
        "service_level",
        "Service level",
        "%",
        "answered_over_offered",
        "80",
        "yes",
    ]
    assert row(listed.output, "offered")[4:] == ["—", "yes"]  # a volume has no target


def test_kpis_show_prints_definition_formula_measures_parameters_and_variants(run: Run):
    shown = run("kpis", "show", "service_level")
    assert shown.exit_code == 0, shown.output
    text = re.sub(r"\s+", " ", shown.output)
    for part in (
        "service_level — Service level",
        "Share of contacts answered fast",
        "formula answered_fast ÷ offered × 100 (variant answered_over_offered)",
        "sample n offered, minimum 0",
        "target (default) 80",
        "enabled (default) yes",
        "answered_fast │ count(*) where leg == 'queue' and outcome == 'answered' and wait_s <=",
        "parameter threshold_s │ default 20: Answered within this many seconds",
        "asterisk_sl2 │ (answered + abandoned within T) ÷ (answered + abandoned)",
        "threshold_s=20, short_abandon_s=0",  # exclude_short_abandons uses both parameters
    ):
        assert part in text


def test_disable_and_enable_round_trip(run: Run, database: str):
    assert settings(database).enabled_kpis is None  # every installed KPI
    disabled = run("kpis", "disable", "aht", "asa")
    assert disabled.exit_code == 0 and "Disabled aht, asa for centre default." in disabled.output
    enabled_now = settings(database).enabled_kpis
    assert "aht" not in enabled_now and "asa" not in enabled_now and "service_level" in enabled_now
    listed = run("kpis").output
    assert row(listed, "aht")[-1] == "no" and row(listed, "avg_acw")[-1] == "yes"

    assert run("kpis", "enable", "aht").exit_code == 0
    assert "aht" in settings(database).enabled_kpis and "asa" not in settings(database).enabled_kpis
    assert row(run("kpis").output, "aht")[-1] == "yes"


def test_target_round_trip_centre_and_queue(run: Run, database: str):
    assert (
        "Set 85 % as the target of service_level for centre default."
        in run("kpis", "target", "service_level", "85").output
    )
    assert run("kpis", "target", "service_level", "90", "--queue", "sales").exit_code == 0
    assert settings(database).kpi_targets == {
        "service_level": KpiTarget(value=85, queues={"sales": 90})
    }
    assert row(run("kpis").output, "service_level")[4] == "85"
    assert "target (default) 85; sales: 90" in re.sub(
        r"\s+", " ", run("kpis", "show", "service_level").output
    )

    cleared = run("kpis", "target", "service_level", "--clear", "--queue", "sales")
    assert (
        "Cleared the target of service_level for queue sales of centre default." in cleared.output
    )
    assert settings(database).kpi_targets["service_level"] == KpiTarget(value=85)


def test_a_target_belongs_to_its_variant(run: Run, database: str):
    # csat's mean is a 1–5 ratio: its target is its own, never the top-two-box 75 %
    assert (
        "Set 4.2 ratio as the target of csat:mean for centre default."
        in run("kpis", "target", "csat", "4.2", "--variant", "mean").output
    )
    assert settings(database).kpi_targets == {"csat:mean": KpiTarget(value=4.2)}
    shown = run("kpis", "show", "csat").output  # the variants table: unit and target per variant
    assert row(shown, "top_two_box")[2:] == ["%", "—", "75"]
    assert row(shown, "mean")[2:] == ["ratio", "—", "4.2"]
    assert "expected one of top_two_box, mean" in one_red_line(
        run("kpis", "target", "csat", "4", "--variant", "median")
    )


def test_settings_of_one_centre_leave_the_other_alone(run: Run, database: str):
    assert run("centre", "add", "rotterdam", "--timezone", "Europe/Amsterdam").exit_code == 0
    assert run("kpis", "disable", "aht", "--centre", "rotterdam").exit_code == 0
    assert run("kpis", "target", "aht", "300", "--centre", "rotterdam").exit_code == 0
    assert "aht" not in settings(database, "rotterdam").enabled_kpis
    assert settings(database, "rotterdam").kpi_targets["aht"] == KpiTarget(value=300)
    assert settings(database).enabled_kpis is None and settings(database).kpi_targets == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("show", "servce_level"),
            "kpi = 'servce_level' is not an installed KPI; did you mean 'service_level'?",
        ),
        (("enable", "aht", "ahtt"), "kpi = 'ahtt' is not an installed KPI; did you mean 'aht'?"),
        (("disable", "abandn_rate"), "did you mean 'abandon_rate'?"),
        (("target", "asaa", "20"), "kpi = 'asaa' is not an installed KPI; did you mean 'asa'?"),
        (("target", "asa"), "VALUE: expected either a target value or --clear"),
        (("target", "asa", "nan"), "VALUE = nan: expected a finite number"),
        (
            ("show", "aht", "--centre", "nowhere"),
            "--centre = 'nowhere': no such centre; expected one of default",
        ),
    ],
)
def test_bad_input_is_one_red_line_naming_it(run: Run, args: tuple[str, ...], message: str):
    assert message in one_red_line(run("kpis", *args))
