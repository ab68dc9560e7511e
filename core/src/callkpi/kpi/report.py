"""What a report asks for and what it returns: stable, plain structures for the CLI, the API and tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, Literal

FILTER_DIMENSIONS: tuple[str, ...] = (
    "queue",
    "channel",
    "survey_channel",
    "direction",
    "agent",
    "team",
    "site",
    "language",
    "form",
)
"""The dimensions a report can be filtered by: the categorical ones. The centre has its own
field, and the period selects dates."""


@dataclass(frozen=True)
class KpiSelection:
    """One KPI in a report: its id, the variant (``None``: the default), parameter
    overrides (``{"threshold_s": 30}``) and a target overriding the KPI's default."""

    kpi: str
    variant: str | None = None
    parameters: Mapping[str, float] = field(default_factory=dict)
    target: float | None = None


@dataclass(frozen=True)
class ReportRequest:
    """KPIs × dimensions × local-date period (inclusive) × centre (``None``: every centre).

    ``engine`` says where the queries run: ``"sql"`` in the store's own database (always
    current), ``"duckdb"`` on the columnar snapshot (refreshed first when it is behind),
    ``"spark"`` on that snapshot through Spark Connect (:class:`SparkTarget`).
    ``filters`` keep only the rows whose dimension has one of the allowed values
    (``{"queue": ("sales",), "team": ("red", "blue")}``); every KPI's fact tables must have
    each filtered dimension (:data:`FILTER_DIMENSIONS`)."""

    kpis: tuple[KpiSelection | str, ...]
    date_from: date
    date_to: date
    group_by: tuple[str, ...] = ()
    centre: str | None = None
    engine: Literal["sql", "duckdb", "spark"] = "sql"
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def selections(self) -> tuple[KpiSelection, ...]:
        """The KPIs asked for, plain ids turned into default selections."""
        return tuple(KpiSelection(k) if isinstance(k, str) else k for k in self.kpis)


@dataclass(frozen=True)
class SparkTarget:
    """Where ``engine="spark"`` runs: the Spark Connect URL (``None``: a local server on
    127.0.0.1, started on demand) and the snapshot's location as Spark sees it (``None``:
    the local snapshot folder; else a folder shared with the cluster or an object-store URL
    that :func:`callkpi.snapshot.publish` copies the snapshot to before the report)."""

    remote: str | None = None
    location: str | None = None


@dataclass(frozen=True)
class KpiColumn:
    """A KPI as computed in this report: which variant, with which parameters, against which target."""

    key: str
    kpi: str
    title: str
    unit: str
    variant: str
    parameters: Mapping[str, float]
    higher_is_better: bool | None
    target: float | None
    min_sample: int
    target_key: str = ""
    """The key of a centre's ``kpi_targets`` that holds this column's target (see
    ``VariantSpec.target_key``); empty: the KPI's id."""
    unavailable: str | None = None
    """Why the KPI has no value in this report (it cannot be grouped by a dimension asked
    for); its values are then all *no data* with this as their note, and the rest of the
    report is computed as usual."""


@dataclass(frozen=True, slots=True)
class KpiValue:
    """One KPI's value in one row. ``value`` is ``None`` when there is no data (a zero
    denominator); ``n`` is the sample size; ``met`` is ``None`` without a value or a target
    or a direction; ``enough_sample`` is false when ``n`` is below the KPI's minimum;
    ``details`` holds the KPI's extra numbers (e.g. agents staffed beside agents required;
    ``open_s`` and ``open_until`` for agent time still open, :mod:`.open_time`);
    ``note`` says why there is no value when the formula knows (e.g. costs not configured),
    or how much of the value is still open;
    ``ci_low`` and ``ci_high`` bound the 95 % confidence interval of a sample statistic
    (survey KPIs), whose value is withheld (``None``) when ``enough_sample`` is false."""

    key: str
    value: float | None
    n: float
    unit: str
    variant: str
    parameters: Mapping[str, float]
    target: float | None
    met: bool | None
    enough_sample: bool
    details: Mapping[str, float | None] = field(default_factory=dict)
    note: str | None = None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class ReportRow:
    """The dimension values of one group and the value of every KPI for it, by column key."""

    dimensions: Mapping[str, Any]
    values: Mapping[str, KpiValue]

    def __getitem__(self, key: str) -> float | None:
        return self.values[key].value


@dataclass(frozen=True, eq=False)
class Report:
    """The result of :func:`callkpi.kpi.run_report`: one column per KPI asked for, rows sorted by dimensions.

    ``rows`` may be given as a function that builds them: the engine computes every value
    column by column and leaves building one :class:`KpiValue` per cell to the first
    reader of ``rows`` (a report of the whole catalogue has ~10⁶ cells)."""

    request: ReportRequest
    columns: tuple[KpiColumn, ...]
    build_rows: tuple[ReportRow, ...] | Callable[[], tuple[ReportRow, ...]] = field(repr=False)

    @cached_property
    def rows(self) -> tuple[ReportRow, ...]:
        built = self.build_rows
        return built() if callable(built) else built

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Report):
            return NotImplemented
        return (self.request, self.columns, self.rows) == (other.request, other.columns, other.rows)

    __hash__ = None  # type: ignore[assignment]  # as a dataclass with eq and no frozen hash

    def row(self, **dimensions: Any) -> ReportRow:
        """The row with exactly these dimension values, or ``KeyError`` naming them."""
        for row in self.rows:
            if dict(row.dimensions) == dimensions:
                return row
        raise KeyError(
            f"no report row with {dimensions!r}; rows: {[dict(r.dimensions) for r in self.rows]}"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (dates as ISO text)."""
        return _jsonable(
            {
                "columns": [asdict(c) for c in self.columns],
                "rows": [
                    {
                        "dimensions": dict(r.dimensions),
                        "values": {k: asdict(v) for k, v in r.values.items()},
                    }
                    for r in self.rows
                ],
            }
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value.isoformat() if isinstance(value, date) else value
