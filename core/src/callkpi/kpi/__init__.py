"""The KPI engine: KPIs declared as data, compiled to one ``GROUP BY`` per fact table.

A plugin declares :class:`Kpi` objects and registers them from its
``callkpi_register_kpis`` hook; :func:`run_report` computes a :class:`ReportRequest`.
"""

from .engine import QueryRunner, run_report
from .facts import DIMENSIONS, FACT_TABLES, FactTable
from .model import (
    CENTRE_VALUES,
    FIXED_COST_PER_HOUR,
    HOURLY_COST,
    PERIOD_END,
    PERIOD_HOURS,
    PERIOD_START,
    UNITS,
    Grain,
    Kpi,
    Measure,
    NoValue,
    Param,
    Parameter,
    PeriodBound,
    Variant,
    columnar,
    divide,
    mean_of,
    percent,
    percent_of,
    value_of,
)
from .registry import KpiRegistry, RegisteredKpi
from .report import KpiColumn, KpiSelection, KpiValue, Report, ReportRequest, ReportRow
from .validation import InvalidKpi

__all__ = [
    "CENTRE_VALUES",
    "DIMENSIONS",
    "FACT_TABLES",
    "FIXED_COST_PER_HOUR",
    "HOURLY_COST",
    "PERIOD_END",
    "PERIOD_HOURS",
    "PERIOD_START",
    "UNITS",
    "FactTable",
    "Grain",
    "InvalidKpi",
    "Kpi",
    "KpiColumn",
    "KpiRegistry",
    "KpiSelection",
    "KpiValue",
    "Measure",
    "NoValue",
    "Param",
    "Parameter",
    "PeriodBound",
    "QueryRunner",
    "RegisteredKpi",
    "Report",
    "ReportRequest",
    "ReportRow",
    "Variant",
    "columnar",
    "divide",
    "mean_of",
    "percent",
    "percent_of",
    "run_report",
    "value_of",
]
