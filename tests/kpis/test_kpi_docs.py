"""docs/kpis.md is generated from the installed KPIs and must match them."""

from __future__ import annotations

from pathlib import Path

from callkpi.kpi import Kpi, KpiRegistry, Measure, Param, Parameter, Variant, percent_of
from callkpi.kpi.docs import REGENERATE, formula_text, installed, main, measure_text, render

REFERENCE = Path(__file__).parents[2] / "docs" / "kpis.md"


def test_committed_reference_is_current():
    current = render(*installed())
    committed = REFERENCE.read_text(encoding="utf-8") if REFERENCE.exists() else ""
    assert committed == current, (
        f"docs/kpis.md is stale: the installed KPIs changed. Regenerate it with `{REGENERATE}`"
    )


SHARE = Kpi(
    "fast_share",
    "Fast share",
    "%",
    True,
    "Share of answered contacts answered within limit_s seconds.",
    "fact_contact",
    (
        Measure(
            "fast",
            "count",
            filter=(("outcome", "==", "answered"), ("wait_s", "<=", Param("limit_s"))),
        ),
        Measure("answered", "count", "wait_s", filter=(("outcome", "in", ("answered",)),)),
    ),
    percent_of("fast", "answered"),
    parameters=(Parameter("limit_s", 15, "The limit."),),
    variants=(
        Variant(
            "strict",
            "fast ÷ answered with a known wait",
            formula=lambda m, p: None,
            parameters={"limit_s": 10},
        ),
    ),
    target=75,
    min_sample=3,
)


def registry() -> KpiRegistry:
    kpis = KpiRegistry()
    kpis.register(SHARE, plugin="mine")
    return kpis


def test_measures_and_formulas_read_as_text():
    fast, answered = SHARE.measures
    assert measure_text(fast) == "count(*) where outcome == 'answered' and wait_s <= limit_s"
    assert measure_text(answered) == "count(wait_s) where outcome in ('answered')"
    registered = registry().get("fast_share")
    assert formula_text(registered.default) == "fast ÷ answered × 100"  # percent_of's text
    # a lambda has no text of its own: a variant falls back to its description
    assert formula_text(registered.variant("strict")) == "fast ÷ answered with a known wait"


def test_section_lists_every_declared_fact():
    page = render(registry(), {"mine": "my-kpis"})
    assert "| [`fast_share`](#fast_share) | Fast share | % | higher is better | mine |" in page
    for line in (
        "## `fast_share` — Fast share",
        "| sample size n | fast (minimum 3) |",
        "| default target | 75 |",
        "| plugin | mine (my-kpis) |",
        "**Formula** (variant `default`): `fast ÷ answered × 100`",
        "- `answered` = count(wait_s) where outcome in ('answered')",
        "| `limit_s` | 15 | 0 | The limit. |",
        "| `default` (default) | fast ÷ answered × 100 | % | limit_s=15 | — |",
        "| `strict` | fast ÷ answered with a known wait | % | limit_s=10 | — |",
    ):
        assert line in page.splitlines()


def test_write_flag_writes_the_page(tmp_path: Path):
    target = tmp_path / "kpis.md"
    main(["--write", str(target)])
    assert target.read_text(encoding="utf-8") == render(*installed())
