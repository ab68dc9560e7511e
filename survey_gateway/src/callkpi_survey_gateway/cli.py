"""Command lines: ``callkpi survey dispatch``, ``send``, ``why`` and ``preview`` (a plugin command group)
and ``callkpi-survey-gateway serve`` (the gateway on its own, sending events to a remote core)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI

from callkpi.api.api_docs import install_api_docs
from callkpi.api.main import open_state
from callkpi.api.problems import install_problem_handlers
from callkpi.cli.runtime import CallkpiGroup, DatabaseOption, fail, out, settings_for
from callkpi.settings import Settings

from .config import SurveyConfigError
from .decisions import decisions_of
from .dispatch_loop import build_dispatcher, dispatch_and_flush, run_dispatcher
from .gateway_store import ensure_gateway_schema
from .policy import survey_configs
from .preview import preview_lines, preview_messages
from .routes import gateway_routers
from .runtime import gateway_settings, use_gateway_settings
from .scheduling import use_plugin_manager
from .survey_requests import BadSurveyRequest, SurveyRefused, ask_for_survey

app = typer.Typer(no_args_is_help=True, help="The survey gateway: post-call surveys by SMS and web.")
gateway_cli = typer.Typer(cls=CallkpiGroup, no_args_is_help=True, add_completion=False,
                          help="The callkpi survey gateway on its own.")


@gateway_cli.callback()
def gateway_group() -> None:
    """The callkpi survey gateway on its own."""
    # A Typer app with one command and no callback runs that command directly, so
    # `callkpi-survey-gateway serve` (as documented) would be an unexpected argument.


@app.command()
def dispatch(
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit (cron, tests).")] = False,
    database: DatabaseOption = None,
) -> None:
    """Send due survey messages and flush their events; repeat every dispatch_interval_s."""
    settings = gateway_settings()
    state = open_state(settings_for(database))
    try:
        ensure_gateway_schema(state.store)
        use_plugin_manager(state.pm)
        dispatcher = build_dispatcher(state.store, settings, state.pm)
        while True:
            out().print(summary(dispatch_and_flush(dispatcher, state, settings)))
            if once:
                return
            time.sleep(settings.dispatch_interval_s)
    finally:
        state.store.dispose()


@app.command()
def why(
    contactid: Annotated[str, typer.Argument(help="The contact's id, as its events carry it.")],
    centre: Annotated[str | None, typer.Option("--centre", help="Only this centre's contact of that id.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Why a contact was or was not surveyed, and why its messages waited: every decision, oldest first."""
    state = open_state(settings_for(database))
    try:
        ensure_gateway_schema(state.store)
        with state.store.reading() as connection:
            decisions = decisions_of(connection, contactid, centre)
    finally:
        state.store.dispose()
    if not decisions:
        fail(f"no survey decision recorded for contact {contactid!r}"
             f"{f' in centre {centre!r}' if centre else ''}; expected the id of a completed contact of a centre "
             "with a survey configuration")
        raise typer.Exit(1)
    for decision in decisions:
        out().print(decision_line(decision), soft_wrap=True, markup=False)  # "[sv_…]" is no markup


@app.command()
def preview(
    centre: Annotated[str, typer.Option("--centre", help="The centre, as in the survey configuration file.")],
    language: Annotated[str | None, typer.Option("--language", help="One of the centre's languages; "
                                                 "default: its first.")] = None,
    agent: Annotated[str | None, typer.Option("--agent", help="The agent's first name for {agent}; default: "
                                              "the brand, as for an agent whose name is unknown.")] = None,
    queue: Annotated[str | None, typer.Option("--queue", help="The queue for {queue}.")] = None,
) -> None:
    """Print every message a customer of CENTRE would get in LANGUAGE, exactly as sent, with
    its SMS encoding and segment count."""
    settings = gateway_settings()
    try:
        configs = survey_configs()
    except SurveyConfigError as exc:
        fail(str(exc))
        raise typer.Exit(1) from None
    if centre not in configs:
        fail(f"--centre {centre!r}: no such centre in {settings.config_file}; expected one of "
             f"{', '.join(sorted(configs)) or '(none: the file has no [centres.<name>] table)'}")
        raise typer.Exit(1)
    config = configs[centre]
    chosen = language or config.default_language
    if chosen not in config.languages:
        fail(f"--language {chosen!r}: centre {centre!r} does not offer it; expected one of "
             f"{', '.join(config.languages)}")
        raise typer.Exit(1)
    for line in preview_lines(preview_messages(centre, config, chosen, settings, agent, queue)):
        out().print(line, soft_wrap=True, markup=False, highlight=False)


@app.command()
def send(
    contactid: Annotated[str, typer.Argument(help="The contact's id, as its events carry it.")],
    centre: Annotated[str, typer.Option("--centre", help="The contact's centre.")] = "default",
    channel: Annotated[str | None, typer.Option("--channel", help="sms, web or both; default: the centre's.")] = None,
    language: Annotated[str | None, typer.Option("--language", help="One of the centre's languages; default: "
                                                  "the policy's choice.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Ask for a survey of one contact, through the policy (without sampling) and the send-time rules."""
    state = open_state(settings_for(database))
    try:
        ensure_gateway_schema(state.store)
        use_plugin_manager(state.pm)
        survey = ask_for_survey(state.store, centre, contactid, datetime.now(UTC), channel, language)
    except BadSurveyRequest as bad:
        fail(f"--{bad.field}: {bad.detail}")
        raise typer.Exit(2) from None
    except SurveyRefused as refused:
        fail(f"no survey for contact {contactid!r} ({refused.code}): {refused.reason}")
        raise typer.Exit(1) from None
    finally:
        state.store.dispose()
    out().print(f"survey {survey['id']} for contact {contactid}: {survey['channel']} in {survey['language']!r}, "
                f"scheduled at {survey['due_at']:%Y-%m-%d %H:%M:%S} UTC", soft_wrap=True, markup=False)


def decision_line(decision: dict) -> str:
    """One decision as ``2026-03-02 10:00:05 UTC  centre  scheduled (due): sms survey … [sv_…]``."""
    survey = f" [{decision['survey_id']}]" if decision["survey_id"] else ""
    return (f"{decision['decided_at']:%Y-%m-%d %H:%M:%S} UTC  {decision['centre']}  {decision['decision']} "
            f"({decision['reason_code']}): {decision['reason']}{survey}")


def summary(counts: Counter[str]) -> str:
    """One line of a pass's counts, e.g. ``sent 3 · retry 1 · events 4`` (``idle`` when nothing)."""
    return " · ".join(f"{name} {count}" for name, count in sorted(counts.items()) if count) or "idle"


def standalone_app(settings: Settings) -> FastAPI:
    """The gateway's routes and dispatcher alone, over the store of ``settings``."""
    state = open_state(settings)
    ensure_gateway_schema(state.store)
    use_plugin_manager(state.pm)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(run_dispatcher(state), name="survey-dispatcher")
        yield
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        state.store.dispose()

    gateway = FastAPI(title="callkpi survey gateway", lifespan=lifespan, docs_url=None, redoc_url=None)
    gateway.state.callkpi = state
    install_problem_handlers(gateway)
    install_api_docs(gateway)
    for router in gateway_routers():
        gateway.include_router(router)
    return gateway


@gateway_cli.command()
def serve(
    core_url: Annotated[str, typer.Option("--core-url", help="The callkpi whose POST /v1/events gets the events.")],
    core_api_key: Annotated[str, typer.Option("--core-api-key", envvar="CALLKPI_SURVEY_CORE_API_KEY",
                                              help="An ingest API key of that callkpi.")],
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8100,
    database: DatabaseOption = None,
) -> None:
    """Serve the gateway's webhooks and run its dispatcher; events go to --core-url over HTTP."""
    use_gateway_settings(gateway_settings().model_copy(update={"core_url": core_url, "core_api_key": core_api_key}))
    uvicorn.run(standalone_app(settings_for(database)), host=host, port=port)
