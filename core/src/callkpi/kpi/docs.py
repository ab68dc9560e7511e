"""The KPI reference, ``docs/kpis.md``, generated from the KPIs the installed plugins register.

Regenerate it after adding or changing a KPI::

    uv run python -m callkpi.kpi.docs --write

Without ``--write`` the page goes to standard output. The texts here (a measure as
``count(*) where …``, a formula as text) are also what ``callkpi kpis show`` prints.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import types
from collections.abc import Iterable, Mapping
from pathlib import Path

from .model import Estimate, Kpi, Measure, Param, Variant
from .registry import KpiRegistry, RegisteredKpi
from .variants import VariantSpec

DEFAULT_PATH = Path("docs/kpis.md")
REGENERATE = "uv run python -m callkpi.kpi.docs --write"
DIRECTIONS = {True: "higher is better", False: "lower is better", None: "neither (a volume)"}
INTRO = f"""# KPI reference

Every KPI the installed plugins register, generated from their declarations by
`{REGENERATE}` — do not edit by hand. `callkpi kpis` lists the same catalogue and
`callkpi kpis show ID` prints one KPI; `docs/reports.md` describes `callkpi report` and
its CSV and JSON output; `docs/writing_kpi_plugins.md` shows how to add your own KPIs.

A KPI is computed from **measures** (additive aggregates over one fact table, each
with a filter); the **formula** turns the measures of one report row into the value.
Parameters appear in filters and formulas by name. A ratio with no volume is *no
data*, never 0 % or 100 %. The sample size *n* is the measure(s) named below; with
fewer than the minimum sample a value is shown but not judged against its target.

Each KPI's *fact table* says what it counts (`docs/facts.md`): queue KPIs count the queue
legs of `fact_contact_leg` (a contact transferred to another queue counts in each queue it
entered), agent KPIs its agent legs (each agent who handled a contact, with their own talk,
hold and wrap-up), customer KPIs (FCR, surveys, resolution) count contacts in
`fact_contact`. Where the contact view is also reported, it is the variant `first_queue`
(queue KPIs) or `per_contact` (AHT).

Queue KPIs by team or site: an abandoned leg has no agent, so they are attributed through
the centre's queue map (queue → team/site; `callkpi centre queue-map set`), every leg of a
mapped queue counting for its team, or they are unavailable with the reason and the command
that maps the queue. By agent, those whose denominator counts unanswered legs (offered,
answer_rate, service_level, abandon_rate, asa, …) are not available. See `docs/reports.md`,
"Queue KPIs by team, site and agent".
"""


def number(value: float) -> str:
    """``value`` as short text: 20 rather than 20.0."""
    return f"{value:g}"


def measure_text(measure: Measure, kpi_fact: str | None = None) -> str:
    """``measure`` as one line, e.g. ``count(*) where outcome == 'answered' and wait_s <= t``."""
    text = f"{_aggregate_text(measure)}"
    if measure.fact and measure.fact != kpi_fact:
        text += f" from {measure.fact}"
    if measure.filter:
        text += " where " + " and ".join(_condition_text(c) for c in measure.filter)
    return text


def _aggregate_text(measure: Measure) -> str:
    columns = measure.columns
    if not columns:
        return "count(*)"
    if measure.aggregate == "count_distinct":
        return f"count(distinct {', '.join(columns)})"
    return f"{measure.aggregate}({' + '.join(columns)})"


def _condition_text(condition: tuple) -> str:
    if len(condition) == 2:
        return f"{condition[0]} is {'not ' if condition[1] == 'not null' else ''}null"
    column, operator, value = condition
    return f"{column} {operator} {_value_text(value)}"


def _value_text(value: object) -> str:
    if isinstance(value, Param):
        return value.name if value.scale == 1 else f"{value.name} × {value.scale:g}"
    if isinstance(value, tuple | list | frozenset):
        return "(" + ", ".join(_value_text(item) for item in value) + ")"
    return repr(value)


def formula_text(spec: VariantSpec) -> str:
    """The formula as text: its docstring (``percent_of`` & co. set one), else the variant's."""
    formula = spec.formula.value if isinstance(spec.formula, Estimate) else spec.formula
    if isinstance(formula, types.FunctionType) and formula.__doc__:
        return inspect.cleandoc(formula.__doc__)
    if spec.name != spec.kpi.default_variant:
        return spec.description
    return "as in the definition"


def variant_text(spec: VariantSpec) -> str:
    """What a variant computes: its description, and its formula as text when that says more."""
    if spec.name == spec.kpi.default_variant:
        return formula_text(spec)
    formula = formula_text(spec)
    return spec.description + (f" (`{formula}`)" if formula != spec.description else "")


def render(registry: KpiRegistry, distributions: Mapping[str, str] | None = None) -> str:
    """The whole reference page: an index, then one section per KPI, grouped by plugin."""
    distributions = distributions or {}
    kpis = sorted(registry, key=lambda registered: registered.plugin)
    parts = [INTRO, _index(kpis)]
    for registered in kpis:
        parts.append(kpi_section(registered, distributions.get(registered.plugin)))
    return "\n".join(parts)


def _index(kpis: Iterable[RegisteredKpi]) -> str:
    lines = ["| id | title | unit | direction | plugin |", "|---|---|---|---|---|"]
    for registered in kpis:
        kpi = registered.kpi
        lines.append(
            f"| [`{kpi.id}`](#{kpi.id}) | {kpi.title} | {kpi.unit} | "
            f"{DIRECTIONS[kpi.higher_is_better]} | {registered.plugin} |"
        )
    return "\n".join(lines) + "\n"


def kpi_section(registered: RegisteredKpi, distribution: str | None = None) -> str:
    """One KPI's section of the reference."""
    kpi, default = registered.kpi, registered.default
    plugin = registered.plugin + (f" ({distribution})" if distribution else "")
    facts = [
        ("unit", kpi.unit),
        ("direction", DIRECTIONS[kpi.higher_is_better]),
        ("fact table", kpi.fact),
        ("sample size n", f"{' + '.join(default.sample)} (minimum {kpi.min_sample})"),
        ("default target", number(kpi.target) if kpi.target is not None else "none"),
        ("plugin", plugin),
    ]
    lines = [f'<a id="{kpi.id}"></a>', f"## `{kpi.id}` — {kpi.title}", "", kpi.definition, ""]
    lines += ["| | |", "|---|---|", *(f"| {label} | {value} |" for label, value in facts), ""]
    lines += [f"**Formula** (variant `{default.name}`): `{formula_text(default)}`", ""]
    lines += ["**Measures**", ""]
    lines += [f"- `{m.name}` = {measure_text(m, kpi.fact)}" for m in kpi.measures]
    lines += _parameters(kpi) + _variants(registered)
    return "\n".join(lines) + "\n"


def _parameters(kpi: Kpi) -> list[str]:
    if not kpi.parameters:
        return []
    lines = [
        "",
        "**Parameters**",
        "",
        "| name | default | minimum | meaning |",
        "|---|---|---|---|",
    ]
    for parameter in kpi.parameters:
        lines.append(
            f"| `{parameter.name}` | {number(parameter.default)} | {number(parameter.minimum)} | "
            f"{parameter.description} |"
        )
    return lines


def _variants(registered: RegisteredKpi) -> list[str]:
    if len(registered.variants) == 1:
        return []
    declared = {variant.name: variant for variant in registered.kpi.variants}
    lines = ["", "**Variants**", ""]
    lines.append(
        "| variant | what it computes | unit | parameters | measures it adds or replaces |"
    )
    lines.append("|---|---|---|---|---|")
    for name, spec in registered.variants.items():
        label = f"`{name}`" + (" (default)" if name == registered.kpi.default_variant else "")
        lines.append(
            f"| {label} | {_cell(variant_text(spec))} | {spec.unit} | {parameters_text(spec)} | "
            f"{_cell(_variant_measures(declared.get(name), registered.kpi.fact))} |"
        )
    return lines


def parameters_text(spec: VariantSpec) -> str:
    """The parameters that matter to ``spec`` with their defaults, e.g. ``threshold_s=20``."""
    return ", ".join(f"{name}={number(value)}" for name, value in spec.defaults.items()) or "—"


def _variant_measures(variant: Variant | None, kpi_fact: str) -> str:
    if variant is None or not variant.measures:
        return "—"
    return "; ".join(f"{m.name} = {measure_text(m, kpi_fact)}" for m in variant.measures)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def installed() -> tuple[KpiRegistry, dict[str, str]]:
    """The installed KPIs and, by plugin name, the distribution each came from."""
    from ..plugins import get_plugin_manager

    pm = get_plugin_manager()
    registry = pm.catalog.kpis
    for skipped in pm.skipped:
        print(f"warning: plugin {skipped.name} skipped: {skipped.reason}", file=sys.stderr)
    return registry, {name: origin[0] for name, origin in pm.distributions.items()}


def main(argv: list[str] | None = None) -> None:
    """``python -m callkpi.kpi.docs [--write [PATH]]``."""
    parser = argparse.ArgumentParser(
        description="Generate the KPI reference from the installed KPIs."
    )
    parser.add_argument(
        "--write",
        nargs="?",
        const=DEFAULT_PATH,
        type=Path,
        metavar="PATH",
        help=f"write the page to PATH (default {DEFAULT_PATH}) instead of standard output",
    )
    arguments = parser.parse_args(argv)
    page = render(*installed())
    if arguments.write is None:
        sys.stdout.write(page)
        return
    arguments.write.write_text(page, encoding="utf-8")
    print(f"wrote {arguments.write}", file=sys.stderr)


if __name__ == "__main__":
    main()
