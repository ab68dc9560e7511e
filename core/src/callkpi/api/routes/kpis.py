"""``GET /v1/kpis`` and ``GET /v1/kpis/{id}``: the KPI catalogue, as the key's centre sees it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.concurrency import run_in_threadpool

from ...kpi.validation import InvalidKpi
from ...store.apikeys import ApiKeyRecord
from ...store.centres import CentreConfig
from ..crud import kpi_info, load_centre
from ..deps import State, require_scope
from ..models import KpiCatalogue, KpiInfo, ProblemItem
from ..problems import AUTH_ERRORS, PROBLEM_RESPONSE, ProblemError

ReadKey = Annotated[ApiKeyRecord, Depends(require_scope("read", "admin"))]

router = APIRouter(tags=["kpis"])


@router.get("/kpis", summary="List the KPI catalogue", response_model=KpiCatalogue, responses=AUTH_ERRORS)
async def list_kpis(state: State, key: ReadKey) -> KpiCatalogue:
    """Every installed KPI: definition, unit, direction, variants, parameters with their
    defaults, minimum sample, default target, and the key's centre's target and choice."""
    centre = await key_centre(state, key)
    kpis = [kpi_info(registered, centre) for registered in state.pm.catalog.kpis]
    return KpiCatalogue(centre=centre.name, kpis=kpis)


@router.get(
    "/kpis/{kpi_id}",
    summary="Show one KPI",
    response_model=KpiInfo,
    responses={**AUTH_ERRORS, 404: {**PROBLEM_RESPONSE, "description": "No installed KPI has this id."}},
)
async def show_kpi(
    state: State, key: ReadKey, kpi_id: Annotated[str, Path(description="A KPI id, e.g. service_level.")]
) -> KpiInfo:
    """One KPI of the catalogue; 404 naming the id and the closest installed one."""
    try:
        registered = state.pm.catalog.kpis.get(kpi_id)
    except InvalidKpi as exc:
        raise ProblemError(
            404, "unknown-kpi", "Unknown KPI", str(exc), [ProblemItem(detail=str(exc), parameter="kpi_id")]
        ) from None
    return kpi_info(registered, await key_centre(state, key))


async def key_centre(state: State, key: ApiKeyRecord) -> CentreConfig:
    """The configuration of the centre the key is bound to."""
    centre = await run_in_threadpool(load_centre, state.store, key.centre)
    if centre is None:  # keys are made for existing centres, and centres are never removed
        raise ProblemError(
            403,
            "forbidden",
            "Forbidden",
            f"API key {key.prefix} is bound to centre {key.centre!r}, which does not exist; expected a "
            "configured centre",
        )
    return centre
