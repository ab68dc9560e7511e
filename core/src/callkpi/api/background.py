"""Running the plugins' background tasks for as long as the server runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ..extensions import BackgroundTask
from .deps import AppState

RESTART_DELAY_S = 5.0
log = logging.getLogger(__name__)


@asynccontextmanager
async def background_tasks(state: AppState) -> AsyncIterator[list[asyncio.Task[None]]]:
    """Start every registered background task; cancel them all on exit."""
    tasks = [
        asyncio.create_task(_keep_running(task, state), name=task.name)
        for task in state.pm.catalog.background_tasks.tasks.values()
    ]
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _keep_running(task: BackgroundTask, state: AppState) -> None:
    # A crashing dispatcher must not silently stop sending for the life of the server.
    while True:
        try:
            await task.run(state)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background task %r of plugin %r failed; restarting in %.0f s",
                          task.name, task.plugin, RESTART_DELAY_S)
        else:
            return
        await asyncio.sleep(RESTART_DELAY_S)
