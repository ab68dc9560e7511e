"""The KPI engine: KPIs declared as data, compiled to one ``GROUP BY`` per fact table.

A plugin declares :class:`Kpi` objects and registers them from its
``callkpi_register_kpis`` hook; :func:`run_report` computes a :class:`ReportRequest`.
"""

from .engine import QueryRunner, run_report
from .facts import DIMENSIONS, FACT_TABLES, FactTable
from .model import (
    PERIOD_HOURS,
    UNITS,
    Kpi,
    Measure,
    Param,
    Parameter,
    Variant,
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
    "DIMENSIONS",
    "FACT_TABLES",
    "PERIOD_HOURS",
    "UNITS",
    "FactTable",
    "InvalidKpi",
    "Kpi",
    "KpiColumn",
    "KpiRegistry",
    "KpiSelection",
    "KpiValue",
    "Measure",
    "Param",
    "Parameter",
    "QueryRunner",
    "RegisteredKpi",
    "Report",
    "ReportRequest",
    "ReportRow",
    "Variant",
    "divide",
    "mean_of",
    "percent",
    "percent_of",
    "run_report",
    "value_of",
]
