"""A KPI resolved per variant: the measures, formula and parameters one variant really uses."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

from .model import (
    CENTRE_VALUES,
    INHERIT,
    PERIOD_HOURS,
    DataEnd,
    Formula,
    Grain,
    Kpi,
    Measure,
    Param,
    Variant,
)


@dataclass(frozen=True)
class VariantSpec:
    """One computable variant of a KPI. ``defaults`` holds only the parameters this
    variant's filters and formula read, so a report prints no parameter that does not matter."""

    kpi: Kpi
    name: str
    description: str
    measures: Mapping[str, Measure]
    formula: Formula
    defaults: Mapping[str, float]
    sample: tuple[str, ...]
    unit: str
    uses_period_hours: bool = False
    grain: Grain | None = None
    higher_is_better: bool | None = None
    uses_centre_values: bool = False
    target: float | None = None
    target_key: str = ""
    """Under which key a centre's ``kpi_targets`` hold this variant's target: the KPI's id for
    the default variant and the variants that inherit its target, ``kpi:variant`` for one
    with a target of its own (or none)."""

    @property
    def details(self) -> Mapping[str, Formula]:
        return self.kpi.details

    @property
    def facts(self) -> tuple[str, ...]:
        """The fact tables this variant reads, its KPI's own first."""
        names = {m.fact or self.kpi.fact for m in self.measures.values()}
        return tuple(sorted(names, key=lambda name: (name != self.kpi.fact, name)))


def merged(kpi: Kpi, variant: Variant | None) -> VariantSpec:
    """The KPI's declaration with ``variant`` applied (``None``: the default variant),
    every parameter default still present; :func:`used` narrows it after probing."""
    measures = {m.name: replace(m, fact=m.fact or kpi.fact) for m in kpi.measures}
    if variant is None:
        return VariantSpec(
            kpi,
            kpi.default_variant,
            "the KPI's default definition",
            measures,
            kpi.formula,
            {p.name: p.default for p in kpi.parameters},
            _sample(kpi.sample, kpi),
            kpi.unit,
            grain=kpi.grain,
            higher_is_better=kpi.higher_is_better,
            target=kpi.target,
            target_key=kpi.id,
        )
    measures.update({m.name: replace(m, fact=m.fact or kpi.fact) for m in variant.measures})
    defaults = {p.name: p.default for p in kpi.parameters} | dict(variant.parameters)
    unit = variant.unit or kpi.unit
    inherits_target = variant.target == INHERIT and unit == kpi.unit
    return VariantSpec(
        kpi,
        variant.name,
        variant.description,
        measures,
        variant.formula or kpi.formula,
        defaults,
        _sample(variant.sample or kpi.sample, kpi),
        unit,
        grain=variant.grain or kpi.grain,
        higher_is_better=(
            kpi.higher_is_better
            if variant.higher_is_better == INHERIT
            else variant.higher_is_better  # type: ignore[arg-type]
        ),
        target=kpi.target if inherits_target else _own_target(variant),
        target_key=kpi.id if inherits_target else f"{kpi.id}:{variant.name}",
    )


def _own_target(variant: Variant) -> float | None:
    # INHERIT in another unit than the KPI's: no target rather than one on another scale
    return None if variant.target == INHERIT else variant.target  # type: ignore[return-value]


def _sample(sample: str | tuple[str, ...] | None, kpi: Kpi) -> tuple[str, ...]:
    if sample is None:
        return (kpi.measures[0].name,) if kpi.measures else ()
    return (sample,) if isinstance(sample, str) else tuple(sample)


def filter_params(measures: Mapping[str, Measure]) -> Iterator[str]:
    """Names of the parameters the measures' filters refer to."""
    for measure in measures.values():
        for condition in measure.filter:
            if len(condition) == 3 and isinstance(condition[2], Param):
                yield condition[2].name
            if len(condition) == 3 and isinstance(condition[2], DataEnd):
                yield condition[2].hours.name


def used(spec: VariantSpec, formula_measures: set[str], formula_params: set[str]) -> VariantSpec:
    """``spec`` narrowed to what its filters and formula read (as found by probing the formula)."""
    names = set(filter_params(spec.measures)) | formula_params
    defaults = {name: value for name, value in spec.defaults.items() if name in names}
    return replace(
        spec,
        defaults=defaults,
        uses_period_hours=PERIOD_HOURS in formula_measures,
        uses_centre_values=bool(set(CENTRE_VALUES) & formula_measures),
    )
