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
    from sqlalchemy import Connection

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
def callkpi_select_survey(
    contact: dict[str, Any], centre: str, history: dict[str, Any]
) -> dict[str, Any] | None:
    """Decide whether a completed contact gets a survey, and which.

    Fires when the survey gateway sees a contact complete (ended, or wrapped up),
    once per contact. The first implementation to return something other than ``None``
    wins, so a centre's own plugin can override the default policy.

    :param contact: the contact's fact row as a dict (customer number absent; only its HMAC).
    :param centre: the centre's name.
    :param history: what the gateway knows of this customer: ``last_surveyed_at`` (aware
        datetime or ``None``), ``opted_out`` (bool), ``region`` (ISO country of the number,
        e.g. ``"NL"``, or ``None``), ``timezones`` (IANA zones of the number, possibly
        several) and ``now`` (aware datetime).
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


@hookspec
def callkpi_contacts_completed(
    connection: Connection, contacts: list[dict[str, Any]], customers: dict[tuple[str, str], str]
) -> None:
    """Act on contacts that completed, inside the transaction that stored their events.

    Fires once per ingest batch that completed a contact or carried a customer's number,
    after the projector has updated the contact facts. Completing events are
    ``contact.ended``, ``contact.abandoned``, ``contact.wrapup_completed`` and
    ``contact.recorded``; a contact may be reported again when a later event completes it
    further. The survey gateway uses it to create a survey and its outbox message
    atomically with the contact.

    :param connection: the batch's open transaction; write your own rows through it.
    :param contacts: the completed contacts' ``fact_contact`` rows as dicts (may be empty).
    :param customers: ``(centre, contact id)`` → the customer's number in clear, for every
        event of the batch that carried one, completed or not (the number usually comes
        with ``contact.offered``, batches before the contact ends). Never store it in clear.
    :return: nothing. An exception rolls back what this hook wrote (a savepoint) and is
        logged; the batch itself still commits.
    """


@hookspec
def callkpi_register_routes(register: Callable[..., Any]) -> None:
    """Serve HTTP routes of a plugin's own inside ``callkpi serve``.

    Fires once, when the plugin manager's catalogue is built.

    :param register: call ``register(router, prefix="")`` with a ``fastapi.APIRouter``;
        ``prefix`` is a path such as ``"/twilio"``, never one the core serves (``/v1`` …).
        Handlers reach the installation through ``request.app.state.callkpi``
        (store, settings, plugin manager).
    :return: nothing; register through the callback.
    """


@hookspec
def callkpi_register_background_tasks(register: Callable[..., Any]) -> None:
    """Run work in the background of ``callkpi serve`` (dispatchers, timers).

    Fires once, when the plugin manager's catalogue is built; the tasks start with the
    server and are cancelled at shutdown.

    :param register: call ``register(name, run)`` where ``run`` is an ``async`` function
        taking the app state (store, settings, plugin manager) and looping until cancelled.
        A task that raises is logged and restarted after a pause.
    :return: nothing; register through the callback.
    """


@hookspec
def callkpi_register_commands(register: Callable[..., Any]) -> None:
    """Add a command group to the ``callkpi`` command line.

    Fires once, when the ``callkpi`` command starts.

    :param register: call ``register(app, name)`` with a ``typer.Typer``; it becomes
        ``callkpi NAME …``. A name the core uses, or another plugin took, is refused.
    :return: nothing; register through the callback.
    """


@hookspec
def callkpi_detractor(response: dict[str, Any], centre: str) -> None:
    """React to a customer who just gave a detractor answer (close the loop).

    Fires once per detractor answer, after the survey gateway recorded the
    ``survey.response_received`` event: NPS ≤ 6, CSAT ≤ 2 or CES ≤ 2 unless the centre
    configured other thresholds. Every implementation is called.

    :param response: ``surveyid``, ``contactid``, ``agentid``, ``queue``, ``instrument``,
        ``score``, ``scale``, ``language``, ``answered_at`` (ISO 8601) and ``comment``
        (text or ``None``); never the customer's number.
    :param centre: the centre's name.
    :return: nothing. An exception is logged and does not affect the other plugins.
    """


@hookspec
def callkpi_alert(alert: dict[str, Any], centre: str) -> None:
    """Send an alert that fired or resolved somewhere (chat, pager, e-mail).

    Fires once per state change of an alert rule (``firing`` → ``resolved`` or back),
    after the change is recorded. Every implementation is called.

    :param alert: ``id``, ``rule`` (its text, e.g. ``"service_level < 80 for 2
        intervals"``), ``kpi``, ``queue`` (or ``None``), ``status`` (``firing`` or
        ``resolved``), ``value``, ``threshold``, ``since`` and ``at`` (ISO 8601).
    :param centre: the centre's name.
    :return: nothing. An exception is logged and does not affect the other plugins.
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
