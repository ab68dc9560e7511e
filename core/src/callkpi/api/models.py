"""The API's response bodies. Problems follow RFC 9457 (``application/problem+json``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..kpi.facts import DIMENSIONS
from ..kpi.named_periods import NAMES as PERIOD_NAMES
from ..kpi.report import FILTER_DIMENSIONS

EventStatus = Literal["accepted", "duplicate", "quarantined", "rejected"]


class ProblemItem(BaseModel):
    """One thing wrong, and where: a JSON pointer into the request body, or a header name."""

    model_config = ConfigDict(extra="forbid")

    detail: str = Field(description="What is wrong: the field, the value and what was expected.")
    pointer: str | None = Field(None, description="JSON pointer (RFC 6901) into the request body.")
    parameter: str | None = Field(None, description="The query or path parameter at fault.")
    header: str | None = Field(None, description="The request header at fault.")


class Problem(BaseModel):
    """An RFC 9457 problem detail."""

    model_config = ConfigDict(extra="allow")

    type: str = Field("about:blank", description="URI reference identifying the problem type.")
    title: str = Field(description="Short summary of the problem type.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong this time.")
    instance: str | None = Field(None, description="The request path this happened at.")
    errors: list[ProblemItem] = Field(default_factory=list, description="Each problem and where.")


class EventResult(BaseModel):
    """What became of one event of the batch, in input order."""

    index: int = Field(description="Position in the request array, from 0.")
    id: str | None = Field(description="The event's id, when it had one.")
    status: EventStatus
    problem: Problem | None = Field(
        None, description="Why it was not stored (quarantined or rejected only)."
    )


class BatchResult(BaseModel):
    """The outcome of a batch: totals and one result per event."""

    accepted: int
    duplicates: int
    quarantined: int
    rejected: int
    results: list[EventResult]


class Health(BaseModel):
    """Whether the service can reach its store, and what it runs."""

    status: Literal["ok"] = "ok"
    store: Literal["reachable"] = "reachable"
    dialect: str = Field(description="The store's SQL dialect, e.g. sqlite or postgresql.")
    schema_revision: str | None = Field(description="The Alembic revision the store is at.")
    version: str = Field(description="The callkpi version serving.")


class KpiParameterInfo(BaseModel):
    """A parameter of a KPI: its default and the least value it takes."""

    name: str
    default: float
    minimum: float
    description: str


class KpiVariantInfo(BaseModel):
    """One way of computing a KPI, with the parameters it reads and their defaults."""

    name: str
    description: str
    unit: str
    higher_is_better: bool | None
    formula: str = Field(description="The formula as text, over the variant's measures.")
    parameters: dict[str, float] = Field(description="The parameters this variant reads, with defaults.")
    target: float | None = Field(None, description="The variant's default target, in its own unit and scale.")
    target_key: str = Field(
        description="The key of the centre's kpi_targets its target is kept under: the KPI id when it "
        "shares the default variant's target, kpi:variant when it has its own."
    )


class KpiInfo(BaseModel):
    """A KPI of the catalogue, with the settings of the caller's centre."""

    id: str
    title: str
    unit: str
    higher_is_better: bool | None = Field(description="None: a volume, neither higher nor lower is better.")
    definition: str
    fact: str = Field(description="The fact table the KPI reads first.")
    plugin: str = Field(description="The plugin that registers it.")
    default_variant: str
    variants: list[KpiVariantInfo] = Field(description="Every variant, the default first.")
    parameters: list[KpiParameterInfo]
    min_sample: int = Field(description="Below this sample size a value is not judged against a target.")
    target: float | None = Field(description="The KPI's default target.")
    centre_target: float | None = Field(description="The centre's own target, overriding the default.")
    queue_targets: dict[str, float] = Field(description="The centre's targets for single queues.")
    enabled: bool = Field(description="Whether the centre reports this KPI when a report names none.")


class KpiCatalogue(BaseModel):
    """Every installed KPI, as seen by one centre."""

    centre: str
    kpis: list[KpiInfo]


Dimension = Literal[DIMENSIONS]  # type: ignore[valid-type]
FilterDimension = Literal[FILTER_DIMENSIONS]  # type: ignore[valid-type]
FIRST_DATE, LAST_DATE = date(1970, 1, 1), date(9998, 12, 31)
ReportDate = Annotated[date, Field(ge=FIRST_DATE, le=LAST_DATE)]


class KpiChoice(BaseModel):
    """One KPI of a report: a variant, parameter overrides and a target of its own."""

    model_config = ConfigDict(extra="forbid")

    kpi: str = Field(description="A KPI id, e.g. service_level.", examples=["service_level"])
    variant: str | None = Field(None, description="None: the KPI's default variant.")
    parameters: dict[str, float] = Field(default_factory=dict, examples=[{"threshold_s": 30}])
    target: float | None = Field(None, description="None: the centre's target, else the KPI's.")


class ReportBody(BaseModel):
    """What ``callkpi report`` takes, as JSON."""

    model_config = ConfigDict(extra="forbid")

    kpis: list[KpiChoice | str] = Field(
        default_factory=list,
        description="KPI ids or choices; empty: the centre's enabled KPIs that group_by can group.",
        examples=[["aht", {"kpi": "service_level", "parameters": {"threshold_s": 30}}]],
    )
    group_by: list[Dimension] = Field(default_factory=list, examples=[["agent"]])
    period: str | None = Field(
        None,
        description=f"A named period ({', '.join(PERIOD_NAMES)}) in the centre's time zone, weeks "
        "from Monday; instead of date_from/date_to. Neither given: yesterday.",
        examples=["last-week"],
    )
    date_from: ReportDate | None = Field(None, description="First local date (instead of period).")
    date_to: ReportDate | None = Field(None, description="Last local date, inclusive; None: date_from.")
    centre: str | None = Field(None, description="None: the API key's centre, the only one it may read.")
    filters: dict[FilterDimension, Annotated[list[str], Field(min_length=1)]] = Field(
        default_factory=dict,
        description="Dimension → the values kept, e.g. {\"queue\": [\"sales\"]}.",
        examples=[{"queue": ["sales"]}],
    )
    engine: Literal["sql", "duckdb", "spark"] = "sql"


class ColumnInfo(BaseModel):
    """A KPI as computed in the report (``KpiColumn``)."""

    key: str = Field(description="The column's key in every row's values, e.g. service_level(threshold_s=30).")
    kpi: str
    title: str
    unit: str
    variant: str
    parameters: dict[str, float]
    higher_is_better: bool | None
    target: float | None
    min_sample: int


class ValueInfo(BaseModel):
    """One KPI's value in one row (``KpiValue``)."""

    key: str
    value: float | None = Field(description="None: no data, or withheld below the minimum sample.")
    n: float = Field(description="The sample size.")
    unit: str
    variant: str
    parameters: dict[str, float]
    target: float | None
    met: bool | None
    enough_sample: bool
    details: dict[str, float | None]
    note: str | None
    ci_low: float | None = Field(description="Lower bound of the 95 % confidence interval.")
    ci_high: float | None = Field(description="Upper bound of the 95 % confidence interval.")


class RowInfo(BaseModel):
    """The dimension values of one group, and every KPI's value for it by column key."""

    dimensions: dict[str, str | int | None]
    values: dict[str, ValueInfo]


class ReportDocument(BaseModel):
    """The report, as ``callkpi report --format json`` writes it, plus the filters applied."""

    model_config = ConfigDict(populate_by_name=True)

    centre: str | None
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    by: list[str]
    engine: str
    filters: dict[str, list[str]]
    columns: list[ColumnInfo]
    rows: list[RowInfo]
