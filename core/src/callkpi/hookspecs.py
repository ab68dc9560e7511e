"""The hooks a callkpi plugin can implement.

Mark implementations with :data:`callkpi.hookimpl`. Registration hooks receive a
``register`` callback; the core validates each registration at once and fails
there, naming the plugin and the fix, so a broken plugin never fails mid-report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .events import Envelope
    from .settings import Settings

hookspec = pluggy.HookspecMarker("callkpi")


@hookspec
def callkpi_register_event_types(register: Callable[..., Any]) -> None:
    """Register event types beyond the core v1 set.

    Fires once, when the plugin manager's catalogue is built.

    :param register: call ``register(name, data_model, requires=(), description="")``
        for each type: ``name`` is dotted and past tense (``"chat.bot_escalated"``),
        ``data_model`` a subclass of :class:`callkpi.events.EventData`, ``requires``
        the extension attributes the type cannot do without (``contactid``,
        ``agentid``, ``queue``, ``channel``). A bad declaration raises ``ValueError``.
    :return: nothing; register through the callback.
    """


@hookspec
def callkpi_register_kpis(register: Callable[..., Any]) -> None:
    """Register KPI definitions.

    Fires once, when the plugin manager's catalogue is built.

    :param register: call ``register(kpi)`` with a :class:`callkpi.kpi.model.Kpi` for
        each KPI. The core checks its fact table, columns and formula and rejects a
        duplicate id, naming both plugins.
    :return: nothing; register through the callback.
    """


@hookspec
def callkpi_register_connectors(register: Callable[..., Any]) -> None:
    """Register data connectors (readers of vendor exports, APIs or webhooks).

    Fires once, when the plugin manager's catalogue is built.

    :param register: call ``register(connector)`` with a connector declaration; a
        duplicate id or an invalid config schema is rejected, naming the plugin.
    :return: nothing; register through the callback.
    """


@hookspec
def callkpi_register_survey_channels(register: Callable[..., Any]) -> None:
    """Register channels the survey gateway can send through (SMS providers, web).

    Fires once, when the survey gateway builds its channel list at start-up.

    :param register: call ``register(channel)`` with a survey channel declaration as
        defined by ``callkpi_survey_gateway``.
    :return: nothing; register through the callback.
    """


@hookspec(firstresult=True)
def callkpi_select_survey(contact: dict[str, Any], centre: str) -> dict[str, Any] | None:
    """Decide whether a completed contact gets a survey, and which.

    Fires when the survey gateway sees a contact complete (ended, or wrapped up),
    once per contact. The first implementation to return something other than ``None``
    wins, so a centre's own plugin can override the default policy.

    :param contact: the contact's fact row as a dict (customer number absent; only its HMAC).
    :param centre: the centre's name.
    :return: a survey plan (instruments, channel, language, due time), ``{"skip": reason}``
        to decide against a survey, or ``None`` to leave the decision to the next plugin.
    """


@hookspec
def callkpi_event_recorded(event: Envelope, customer: str | None) -> None:
    """React to an event just committed to the store.

    Fires after the ingest batch holding the event commits, once per newly stored
    event (never for duplicates or quarantined input), in the ingesting process.

    :param event: the event as stored (customer number replaced by its HMAC).
    :param customer: the customer's number in clear as the source sent it, or ``None``;
        it is never stored by the core, so keep it only as long as you must.
    :return: nothing. An exception is logged and does not undo the ingest.
    """


@hookspec(historic=True)
def callkpi_configure(settings: Settings) -> None:
    """Receive the installation's settings.

    Fires once when the plugin manager is built, and for a plugin registered later
    as soon as it is registered (a historic hook). A plugin whose implementation
    raises is skipped with the reason.

    :param settings: the validated :class:`callkpi.settings.Settings`.
    :return: nothing.
    """
