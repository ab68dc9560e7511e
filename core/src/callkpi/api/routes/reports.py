"""``POST /v1/reports`` (JSON) and ``GET /v1/reports.csv``: ``callkpi report`` over HTTP.

Both build the same :class:`ReportRequest` as the command line and run it with
:func:`callkpi.kpi.run_report`; a key reads its own centre only. The JSON is the one
``callkpi report --format json`` writes, the CSV the one ``--format csv`` writes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from ...kpi import InvalidKpi, KpiSelection, ReportRequest, run_report
from ...kpi.named_periods import Period
from ...kpi.report import FILTER_DIMENSIONS, Report
from ...kpi.request_builder import (
    FieldNames,
    RequestError,
    build_selections,
    choose_period,
    enabled_kpi_ids,
    groupable,
    named_kpi_ids,
    parse_dimensions,
    parse_pair,
    split_list,
)
from ...store.apikeys import ApiKeyRecord
from ...store.centres import CentreConfig
from ..crud import report_document
from ..deps import State
from ..models import ProblemItem, ReportBody, ReportDate, ReportDocument
from ..problems import AUTH_ERRORS, PROBLEM_RESPONSE, ProblemError
from .kpis import ReadKey, key_centre

QUERY = FieldNames()
BODY = FieldNames(spelled=(("from", "date_from"), ("to", "date_to")))
# where a planning error's field (a path in the JSON body) is in the CSV query string
_QUERY_PARAMETERS = {"kpis": "kpi", "group_by": "by", "date_from": "from", "date_to": "to"}
Locate = Callable[[str], dict[str, str]]
"""Where a field of the request is: ``{"pointer": "/group_by/0"}`` or ``{"parameter": "by"}``."""

router = APIRouter(tags=["reports"])


class ReportQuery(BaseModel):
    """``callkpi report``'s options as query parameters; lists may repeat or be comma-separated."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    kpi: list[str] = Field([], description="KPI ids; none: the centre's enabled KPIs that `by` can group.")
    by: str = Field("", description="Dimensions to group by, e.g. queue,date.")
    period: str | None = Field(
        None, description="A named period (last-week, last-7-days …) in the centre's time zone; none: yesterday."
    )
    date_from: ReportDate | None = Field(None, alias="from", description="First local date (instead of period).")
    date_to: ReportDate | None = Field(None, alias="to", description="Last local date; none: `from`.")
    variant: list[str] = Field([], description="KPI=VARIANT; repeat to compare variants.")
    param: list[str] = Field([], description="KPI.NAME=VALUE: a parameter override.")
    centre: str | None = Field(None, description="None: the API key's centre, the only one it may read.")
    engine: Literal["sql", "duckdb", "spark"] = "sql"
    queue: list[str] = Field([], description="Keep these queues only.")
    channel: list[str] = Field([], description="Keep these channels (the contacts' media) only.")
    survey_channel: list[str] = Field([], description="Keep these survey channels (sms, web …) only.")
    direction: list[str] = Field([], description="Keep these directions only.")
    agent: list[str] = Field([], description="Keep these agents only.")
    team: list[str] = Field([], description="Keep these teams only.")
    site: list[str] = Field([], description="Keep these sites only.")
    language: list[str] = Field([], description="Keep these survey languages only.")
    form: list[str] = Field([], description="Keep these survey forms only.")

    def filters(self) -> dict[str, tuple[str, ...]]:
        """The filter parameters given, as ``ReportRequest.filters``."""
        given = {name: tuple(split_list(getattr(self, name))) for name in FILTER_DIMENSIONS}
        return {name: values for name, values in given.items() if values}


REPORT_ERRORS = {**AUTH_ERRORS, 400: {**PROBLEM_RESPONSE, "description": "The request names something wrong."}}
CSV_RESPONSE = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "The report as CSV."}}


@router.post("/reports", summary="Compute a report", response_model=ReportDocument, responses=REPORT_ERRORS)
async def post_report(state: State, key: ReadKey, body: ReportBody) -> Response:
    """KPIs by dimensions over a period of local dates, in the key's centre: the JSON of
    ``callkpi report --format json``, with units, variants, parameters, targets and
    confidence intervals (``docs/reports.md``)."""
    centre = await key_centre(state, scoped(key, body.centre, {"pointer": "/centre"}))
    try:
        dates = _dates(BODY, body.period, body.date_from, body.date_to, centre)
    except RequestError as exc:
        raise _invalid(exc, _body_location) from None
    request = ReportRequest(
        tuple(_choices(state, body, centre)),
        *dates,
        tuple(body.group_by),
        centre.name,
        body.engine,
        {name: tuple(values) for name, values in body.filters.items()},
    )
    result = await _run(state, request, _body_location)
    return Response(orjson.dumps(report_document(result, body.engine)), media_type="application/json")


@router.get(
    "/reports.csv",
    summary="Compute a report as CSV",
    response_class=Response,
    responses={**CSV_RESPONSE, **REPORT_ERRORS},
)
async def get_report_csv(state: State, key: ReadKey, query: Annotated[ReportQuery, Query()]) -> Response:
    """The report of ``callkpi report --format csv`` for spreadsheets, as a file to save:
    ``?kpi=aht,service_level&by=queue,date&from=2026-01-05&to=2026-01-11``."""
    centre = await key_centre(state, scoped(key, query.centre, {"parameter": "centre"}))
    try:
        request = _query_request(state, query, centre)
    except RequestError as exc:
        raise _invalid(exc, _query_location) from None
    result = await _run(state, request, _query_location)
    # a centre's name is free text: keep the file name to characters every system accepts
    filename = re.sub(r"[^\w.-]", "_", f"callkpi-{centre.name}-{request.date_from}-{request.date_to}.csv")
    return Response(
        _csv(result),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def scoped(key: ApiKeyRecord, asked: str | None, where: dict[str, str]) -> ApiKeyRecord:
    """The key, when the centre asked for is its own (or none is asked for); else 403."""
    if asked is not None and asked != key.centre:
        detail = f"centre = {asked!r}: API key {key.prefix} reads centre {key.centre!r} only; expected {key.centre!r}"
        raise ProblemError(403, "other-centre", "Another centre", detail, [ProblemItem(detail=detail, **where)])
    return key


def _choices(state: State, body: ReportBody, centre: CentreConfig) -> list[KpiSelection | str]:
    choices = [
        c if isinstance(c, str) else KpiSelection(c.kpi, c.variant, c.parameters, c.target) for c in body.kpis
    ]
    if choices:
        return choices
    try:
        return list(_enabled(state, centre, tuple(body.group_by)))
    except RequestError as exc:
        raise _invalid(exc, _body_location) from None


def _enabled(state: State, centre: CentreConfig, group_by: tuple[str, ...]) -> list[str]:
    registry = state.pm.catalog.kpis
    enabled = enabled_kpi_ids(registry, centre.settings.enabled_kpis)
    chosen = [kpi_id for kpi_id in enabled if groupable(registry.get(kpi_id), group_by)]
    if not chosen:
        raise RequestError(
            "kpis", f"kpis = []: no KPI enabled for centre {centre.name!r} can be grouped by {', '.join(group_by)}; "
            "expected KPI ids"
        )
    return chosen


def _query_request(state: State, query: ReportQuery, centre: CentreConfig) -> ReportRequest:
    registry = state.pm.catalog.kpis
    group_by = parse_dimensions(QUERY, query.by)
    # as on the command line: the KPIs named, else the enabled ones and those given a variant
    kpi_ids = named_kpi_ids(registry, query.kpi) or [
        *_enabled(state, centre, group_by),
        *(parse_pair(QUERY, "variant", text, "=")[0] for text in query.variant),
    ]
    selections = build_selections(registry, list(dict.fromkeys(kpi_ids)), query.variant, query.param, QUERY)
    dates = _dates(QUERY, query.period, query.date_from, query.date_to, centre)
    return ReportRequest(
        tuple(selections), *dates, group_by, centre.name, query.engine, query.filters()
    )


def _dates(
    names: FieldNames, period: str | None, date_from: date | None, date_to: date | None, centre: CentreConfig
) -> Period:
    """The report's dates: as given, or the named period now in the centre's time zone."""
    return choose_period(names, period, date_from, date_to, centre.zone, datetime.now(UTC))


def _csv(result: Report) -> str:
    # imported here: callkpi.cli imports this app (``callkpi serve``), so importing it at the
    # top would be a cycle; the CSV must stay the very one ``callkpi report --format csv`` writes
    from ...cli.report_formats import report_csv

    return report_csv(result)


def _body_location(field: str) -> dict[str, str]:
    return {"pointer": f"/{field}" if field else ""}


def _query_location(field: str) -> dict[str, str]:
    head, _, rest = field.partition("/")
    if head == "filters":
        return {"parameter": rest}
    if head == "kpis" and "/parameters/" in rest:
        return {"parameter": "param"}
    if head == "kpis" and rest.endswith("/variant"):
        return {"parameter": "variant"}
    return {"parameter": _QUERY_PARAMETERS.get(head, head)}


async def _run(state: State, request: ReportRequest, locate: Locate) -> Report:
    settings, registry = state.settings, state.pm.catalog.kpis
    try:
        return await run_in_threadpool(
            run_report, state.store, request, registry=registry, snapshot_dir=settings.snapshot_dir
        )
    except RequestError as exc:
        raise _invalid(exc, locate) from None
    except InvalidKpi as exc:
        raise _invalid(RequestError("", str(exc)), locate) from None


def _invalid(exc: RequestError, locate: Locate) -> ProblemError:
    item = ProblemItem(detail=str(exc), **locate(exc.field))
    return ProblemError(400, "invalid-report", "Invalid report request", str(exc), [item])
