"""``/v1/centre/queue-map``: which team and site serve each queue of the key's centre, so
that queue KPIs can be grouped by team or site (``kpi.queue_map``; the same as
``callkpi centre queue-map set|remove|list``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool

from ...store.centres import QueueAssignment, add_centre, load_centres
from ...store.db import Store
from ..deps import State
from ..problems import AUTH_ERRORS, PROBLEM_RESPONSE, ProblemError
from .centre import AdminKey
from .kpis import ReadKey, key_centre

QueueId = Annotated[str, Path(min_length=1, max_length=128, description="The queue id, as events carry it.")]
QueueMap = dict[str, QueueAssignment]
PATH = "/centre/queue-map"
NOT_IN_MAP = {404: {**PROBLEM_RESPONSE, "description": "The queue is not in the centre's queue map."}}

router = APIRouter(tags=["centre"])


@router.get(PATH, summary="Read the queue map", response_model=QueueMap, responses=AUTH_ERRORS)
async def get_queue_map(state: State, key: ReadKey) -> QueueMap:
    centre = await key_centre(state, key)
    return dict(sorted(centre.settings.queue_map.items()))


@router.put(f"{PATH}/{{queue}}", summary="Map a queue to its team and site", response_model=QueueMap,
            responses=AUTH_ERRORS)
async def put_queue(state: State, key: AdminKey, queue: QueueId, body: QueueAssignment) -> QueueMap:
    if body.team is None and body.site is None:
        raise ProblemError(400, "invalid-request", "Invalid request",
                           "team, site: neither given; expected a team, a site or both")
    await key_centre(state, key)  # the key's centre exists, or a problem says it does not

    def assign(queue_map: QueueMap) -> None:
        queue_map[queue] = body

    return await run_in_threadpool(_change, state.store, key.centre, assign)


@router.delete(f"{PATH}/{{queue}}", summary="Remove a queue from the queue map", response_model=QueueMap,
               responses={**AUTH_ERRORS, **NOT_IN_MAP})
async def delete_queue(state: State, key: AdminKey, queue: QueueId) -> QueueMap:
    await key_centre(state, key)

    def remove(queue_map: QueueMap) -> None:
        if queue_map.pop(queue, None) is None:
            raise ProblemError(404, "not-found", "Not found",
                               f"queue = {queue!r}: not in centre {key.centre}'s queue map; "
                               f"expected one of {sorted(queue_map)}")

    return await run_in_threadpool(_change, state.store, key.centre, remove)


def _change(store: Store, name: str, change: Callable[[QueueMap], None]) -> QueueMap:
    # read, change and write in one transaction: two admins mapping queues at once both land
    with store.transaction() as connection:
        centre = load_centres(connection)[name]
        queue_map = dict(centre.settings.queue_map)
        change(queue_map)
        add_centre(connection, name, centre.timezone, centre.settings.model_copy(update={"queue_map": queue_map}))
    return dict(sorted(queue_map.items()))
