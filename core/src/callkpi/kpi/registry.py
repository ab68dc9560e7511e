"""The KPI registry: what the ``callkpi_register_kpis`` hooks registered, validated."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field

from .model import Kpi
from .validation import InvalidKpi, validate
from .variants import VariantSpec


@dataclass(frozen=True)
class RegisteredKpi:
    """A validated KPI, the plugin that registered it, and its variants by name (default first)."""

    kpi: Kpi
    plugin: str
    variants: dict[str, VariantSpec]

    @property
    def default(self) -> VariantSpec:
        return self.variants[self.kpi.default_variant]

    def variant(self, name: str | None) -> VariantSpec:
        """The variant ``name`` (``None``: the default), or an error listing the known ones."""
        if name is None:
            return self.default
        if name not in self.variants:
            raise InvalidKpi(
                f"variant = {name!r} of KPI {self.kpi.id!r}; expected one of {', '.join(self.variants)}"
            )
        return self.variants[name]


@dataclass
class KpiRegistry:
    """KPIs by id. ``register`` validates at once and refuses a duplicate id, naming both plugins."""

    kpis: dict[str, RegisteredKpi] = field(default_factory=dict)

    def register(self, kpi: Kpi, *, plugin: str) -> RegisteredKpi:
        variants = validate(kpi, plugin)
        if kpi.id in self.kpis:
            other = self.kpis[kpi.id].plugin
            raise InvalidKpi(
                f"plugin {plugin!r} registers KPI {kpi.id!r}, already registered by plugin {other!r}; "
                "rename one, or disable one plugin with CALLKPI_DISABLED_PLUGINS"
            )
        self.kpis[kpi.id] = registered = RegisteredKpi(kpi, plugin, variants)
        return registered

    def discard(self, plugin: str) -> None:
        self.kpis = {
            key: registered for key, registered in self.kpis.items() if registered.plugin != plugin
        }

    def get(self, kpi_id: str) -> RegisteredKpi:
        """The KPI ``kpi_id``, or an error naming the closest installed one."""
        if kpi_id not in self.kpis:
            close = difflib.get_close_matches(kpi_id, sorted(self.kpis), n=1)
            hint = (
                f"; did you mean {close[0]!r}?"
                if close
                else f"; installed: {', '.join(sorted(self.kpis)) or 'none'}"
            )
            raise InvalidKpi(f"kpi = {kpi_id!r} is not an installed KPI{hint}")
        return self.kpis[kpi_id]

    def __iter__(self) -> Iterator[RegisteredKpi]:
        return iter(self.kpis.values())

    def __len__(self) -> int:
        return len(self.kpis)
