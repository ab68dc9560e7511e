"""The survey gateway as a callkpi plugin (entry point ``survey_gateway``): surveys scheduled
with each completed contact, its webhooks and dispatcher inside ``callkpi serve``, and
``callkpi survey …`` on the command line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from callkpi import hookimpl

from .channels import ChannelDeclaration
from .channels.twilio import TwilioChannel
from .cli import app as survey_commands
from .dispatch_loop import run_dispatcher
from .gateway_store import ensure_schema_on
from .policy import survey_configs
from .routes import gateway_routers
from .scheduling import schedule_surveys


@hookimpl
def callkpi_contacts_completed(connection: Connection, contacts: list[dict[str, Any]],
                               customers: dict[tuple[str, str], str]) -> None:
    """Schedule the surveys of the batch's completed contacts, in the batch's transaction."""
    configs = survey_configs()
    contacts = [contact for contact in contacts if contact["centre"] in configs]
    customers = {key: number for key, number in customers.items() if key[0] in configs}
    if not contacts and not customers:
        return  # no centre of this batch runs surveys: an ingest without surveys pays nothing
    ensure_schema_on(connection)
    schedule_surveys(connection, contacts, customers)


@hookimpl
def callkpi_register_routes(register: Callable[..., Any]) -> None:
    for router in gateway_routers():
        register(router)


@hookimpl
def callkpi_register_background_tasks(register: Callable[..., Any]) -> None:
    register("survey-dispatcher", run_dispatcher)


@hookimpl
def callkpi_register_commands(register: Callable[..., Any]) -> None:
    register(survey_commands, "survey")


@hookimpl
def callkpi_register_survey_channels(register: Callable[..., Any]) -> None:
    register(ChannelDeclaration("twilio", TwilioChannel.from_settings))
