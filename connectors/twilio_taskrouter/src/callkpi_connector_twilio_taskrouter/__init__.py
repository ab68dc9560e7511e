"""callkpi connector for Twilio TaskRouter: event callbacks (webhook) and the Events REST API.

Tasks become ``contact.*`` lifecycle events, workers' activities and reservations become
``agent.state_changed``. ``callkpi sync twilio-taskrouter`` pulls the Events API from a
cursor checkpoint; ``callkpi serve`` mounts ``POST /connectors/twilio-taskrouter/events``
for the Workspace's EventCallbackUrl when the settings name this connector's config.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callkpi import hookimpl
from callkpi.connectors import Connector, load_schema

from .pull import read
from .webhook import router

CONNECTOR = Connector(
    id="twilio-taskrouter",
    title="Twilio TaskRouter events (webhook or Events API)",
    emits=(
        "contact.offered",
        "contact.answered",
        "contact.transferred",
        "contact.abandoned",
        "contact.ended",
        "contact.wrapup_completed",
        "agent.state_changed",
        "agent.joined",
        "agent.left",
    ),
    read=read,
    config_schema=load_schema(__name__),
    resumable=True,
    webhook=router,
)


@hookimpl
def callkpi_register_connectors(register: Callable[..., Any]) -> None:
    register(CONNECTOR)
