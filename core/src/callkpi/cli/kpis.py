"""``callkpi kpis``: the KPI catalogue, and which KPIs a centre reports against which targets.

A centre's ``enabled_kpis`` is ``None`` until it is first narrowed: every installed KPI
is enabled. ``kpis disable`` turns that into the explicit list of the others, so a KPI
installed later must be enabled by name. Targets live in the centre's ``kpi_targets``.
"""

from __future__ import annotations

import math
from typing import Annotated

import typer
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..kpi import InvalidKpi, KpiRegistry, RegisteredKpi
from ..kpi.docs import DIRECTIONS, measure_text, number, parameters_text, variant_text
from ..kpi.variants import VariantSpec
from ..store.centres import DEFAULT_CENTRE, CentreConfig, KpiTarget, add_centre, load_centres
from ..store.db import Store
from .runtime import DatabaseOption, UserError, opened_store, out, plugin_manager, settings_for

app = typer.Typer(help="The KPI catalogue: list, show, enable, disable, set targets.")

CentreOption = Annotated[
    str, typer.Option("--centre", metavar="NAME", help="The centre whose settings are used.")
]
IdArgument = Annotated[str, typer.Argument(metavar="ID", help="A KPI id, e.g. service_level.")]
IdsArgument = Annotated[list[str], typer.Argument(metavar="ID ...", help="One or more KPI ids.")]


def installed_kpis(database: str | None) -> KpiRegistry:
    """The KPIs of every installed plugin."""
    return plugin_manager(settings_for(database)).catalog.kpis


def find_kpi(registry: KpiRegistry, kpi_id: str) -> RegisteredKpi:
    """The KPI ``kpi_id``, or a user error naming it and the closest installed id."""
    try:
        return registry.get(kpi_id)
    except InvalidKpi as exc:
        raise UserError(str(exc)) from None


def find_centre(centres: dict[str, CentreConfig], name: str) -> CentreConfig:
    """The centre ``name``, or a user error listing the centres."""
    if name not in centres:
        known = ", ".join(sorted(centres))
        raise UserError(f"--centre = {name!r}: no such centre; expected one of {known}")
    return centres[name]


def is_enabled(centre: CentreConfig, kpi_id: str) -> bool:
    """Whether ``centre`` reports KPI ``kpi_id`` when a report names no KPIs."""
    chosen = centre.settings.enabled_kpis
    return chosen is None or kpi_id in chosen


def enabled_ids(centre: CentreConfig, registry: KpiRegistry) -> list[str]:
    """The installed KPIs ``centre`` reports by default, in catalogue order."""
    return [r.kpi.id for r in registry if is_enabled(centre, r.kpi.id)]


def load_centre(store: Store, name: str) -> CentreConfig:
    with store.transaction() as connection:
        return find_centre(load_centres(connection), name)


def save_centre(store: Store, centre: CentreConfig) -> None:
    with store.transaction() as connection:
        add_centre(connection, centre.name, centre.timezone, centre.settings)


@app.callback(invoke_without_command=True)
def kpis(
    ctx: typer.Context, centre: CentreOption = DEFAULT_CENTRE, database: DatabaseOption = None
) -> None:
    """List the installed KPIs, with their targets and whether the centre reports them."""
    if ctx.invoked_subcommand is not None:
        return
    registry = installed_kpis(database)
    with opened_store(settings_for(database)) as store:
        config = load_centre(store, centre)
    enabled = set(enabled_ids(config, registry))
    table = Table("id", "title", "unit", "variants", "target", "enabled", title=f"KPIs ({centre})")
    for registered in registry:
        kpi = registered.kpi
        table.add_row(
            kpi.id,
            Text(kpi.title),
            kpi.unit,
            "\n".join(registered.variants),
            target_text(registered, config),
            "yes" if kpi.id in enabled else "no",
        )
    out().print(table)


def target_text(registered: RegisteredKpi, centre: CentreConfig, variant: str | None = None) -> str:
    """The centre's target for a variant of the KPI (``None``: the default variant) and its
    queue targets, else the variant's default target."""
    spec = registered.variant(variant)
    own = centre.settings.kpi_targets.get(spec.target_key) or KpiTarget()
    value = own.value if own.value is not None else spec.target
    parts = [number(value) if value is not None else "—"]
    parts += [f"{queue}: {number(target)}" for queue, target in sorted(own.queues.items())]
    return "\n".join(parts)


@app.command()
def show(
    kpi_id: IdArgument, centre: CentreOption = DEFAULT_CENTRE, database: DatabaseOption = None
) -> None:
    """Show one KPI: definition, formula, measures, parameters, variants, sample and target."""
    registered = find_kpi(installed_kpis(database), kpi_id)
    with opened_store(settings_for(database)) as store:
        config = load_centre(store, centre)
    kpi, default = registered.kpi, registered.default
    enabled = is_enabled(config, kpi.id)
    facts = Table(show_header=False, box=None)
    for label, value in (
        ("unit", kpi.unit),
        ("direction", DIRECTIONS[kpi.higher_is_better]),
        ("fact table", kpi.fact),
        ("formula", f"{variant_text(default)}  (variant {default.name})"),
        ("sample n", f"{' + '.join(default.sample)}, minimum {kpi.min_sample}"),
        (f"target ({centre})", target_text(registered, config).replace("\n", "; ")),
        (f"enabled ({centre})", "yes" if enabled else "no"),
        ("plugin", registered.plugin),
    ):
        facts.add_row(label, Text(value))
    title = Text(f"{kpi.id} — {kpi.title}", style="bold")
    out().print(
        Group(title, Text(kpi.definition), facts, _measures(registered), _variants(registered, config))
    )


def _measures(registered: RegisteredKpi) -> Table:
    table = Table("measure", "aggregate and filter", title="Measures", title_justify="left")
    for measure in registered.kpi.measures:
        table.add_row(measure.name, Text(measure_text(measure, registered.kpi.fact)))
    for parameter in registered.kpi.parameters:
        table.add_row(
            f"parameter {parameter.name}",
            Text(f"default {number(parameter.default)}: {parameter.description}"),
        )
    return table


def _variants(registered: RegisteredKpi, centre: CentreConfig) -> Table:
    table = Table(
        "variant", "computes", "unit", "parameters", f"target ({centre.name})",
        title="Variants", title_justify="left",
    )
    for name, spec in registered.variants.items():
        label = name + (" (default)" if name == registered.kpi.default_variant else "")
        target = target_text(registered, centre, name).replace("\n", "; ")
        table.add_row(label, Text(variant_text(spec)), spec.unit, parameters_text(spec), target)
    return table


@app.command()
def enable(
    kpi_ids: IdsArgument, centre: CentreOption = DEFAULT_CENTRE, database: DatabaseOption = None
) -> None:
    """Report these KPIs for the centre by default."""
    _set_enabled(kpi_ids, True, centre, database)


@app.command()
def disable(
    kpi_ids: IdsArgument, centre: CentreOption = DEFAULT_CENTRE, database: DatabaseOption = None
) -> None:
    """Stop reporting these KPIs for the centre unless a report names them."""
    _set_enabled(kpi_ids, False, centre, database)


def _set_enabled(kpi_ids: list[str], enabled: bool, centre: str, database: str | None) -> None:
    registry = installed_kpis(database)
    for kpi_id in kpi_ids:
        find_kpi(registry, kpi_id)
    with opened_store(settings_for(database)) as store:
        config = load_centre(store, centre)
        current = enabled_ids(config, registry)
        chosen = [i for i in current if i not in kpi_ids] + (kpi_ids if enabled else [])
        # keep catalogue order, and ids of KPIs whose plugin is not installed right now
        kept = [i for i in config.settings.enabled_kpis or [] if i not in registry.kpis]
        ordered = [r.kpi.id for r in registry if r.kpi.id in chosen] + kept
        save_centre(store, _with_settings(config, enabled_kpis=ordered))
    verb = "Enabled" if enabled else "Disabled"
    out().print(f"{verb} {', '.join(kpi_ids)} for centre {centre}.")


def _with_settings(config: CentreConfig, **changes: object) -> CentreConfig:
    return config.model_copy(update={"settings": config.settings.model_copy(update=changes)})


@app.command()
def target(
    kpi_id: IdArgument,
    value: Annotated[
        float | None, typer.Argument(metavar="VALUE", help="The target, in the KPI's unit.")
    ] = None,
    queue: Annotated[
        str | None, typer.Option("--queue", metavar="QUEUE", help="Only for this queue.")
    ] = None,
    variant: Annotated[
        str | None,
        typer.Option(
            "--variant",
            metavar="NAME",
            help="The variant the target is for (default: the KPI's default variant, whose "
            "target the variants in the same unit and scale share).",
        ),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Remove the target (the KPI's default applies).")
    ] = False,
    centre: CentreOption = DEFAULT_CENTRE,
    database: DatabaseOption = None,
) -> None:
    """Set the centre's target for a KPI (or one of its variants), or for one queue with --queue."""
    registered = find_kpi(installed_kpis(database), kpi_id)
    _check_target_value(value, clear)
    spec = _target_variant(registered, variant)
    with opened_store(settings_for(database)) as store:
        config = load_centre(store, centre)
        targets = dict(config.settings.kpi_targets)
        key = spec.target_key
        targets[key] = _changed_target(targets.get(key) or KpiTarget(), value, queue)
        save_centre(store, _with_settings(config, kpi_targets=targets))
    where = f"queue {queue} of centre {centre}" if queue else f"centre {centre}"
    done = "Cleared" if clear else f"Set {number(value)} {spec.unit} as"
    out().print(f"{done} the target of {key} for {where}.")
    if registered.kpi.higher_is_better is None:
        out().print(
            f"Note: {kpi_id} is a volume (neither higher nor lower is better); "
            "no value is judged against a target."
        )


def _target_variant(registered: RegisteredKpi, variant: str | None) -> VariantSpec:
    try:
        return registered.variant(variant)
    except InvalidKpi as exc:
        raise UserError(f"--variant: {exc}") from None


def _check_target_value(value: float | None, clear: bool) -> None:
    if clear == (value is not None):
        raise UserError("VALUE: expected either a target value or --clear")
    if value is not None and not math.isfinite(value):
        raise UserError(f"VALUE = {value!r}: expected a finite number")


def _changed_target(current: KpiTarget, value: float | None, queue: str | None) -> KpiTarget:
    if queue is None:
        return current.model_copy(update={"value": value})
    queues = {name: v for name, v in current.queues.items() if name != queue}
    if value is not None:
        queues[queue] = value
    return current.model_copy(update={"queues": queues})
