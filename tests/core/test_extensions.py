"""The extension points the survey gateway and the dashboard stand on: work done in the
ingest transaction, plugin routes, background tasks and plugin commands."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import typer
from fastapi import APIRouter
from sqlalchemy import Column, MetaData, String, Table, func, select
from typer.testing import CliRunner

from callkpi import hookimpl
from callkpi.api.main import create_app
from callkpi.cli.plugin_commands import mount_plugin_commands
from callkpi.connectors import RawEvent
from callkpi.plugins import get_plugin_manager
from callkpi.settings import Settings
from callkpi.store.ingest import Ingestor
from callkpi.store.privacy import CustomerHasher
from callkpi.store.tables import StoredEvent
from callkpi.testing import TEST_HMAC_KEY, abandoned_contact, contact_timeline

NOTES = Table("test_completion_note", MetaData(), Column("contactid", String, primary_key=True),
              Column("outcome", String), Column("customer", String))


class CompletionNotes:
    """Writes one row per completed contact through the ingest transaction; fails on demand."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[tuple[list[str], list[str]]] = []

    @hookimpl
    def callkpi_contacts_completed(self, connection, contacts, customers):
        self.calls.append((sorted(c["contactid"] for c in contacts), sorted(cid for _, cid in customers)))
        for contact in contacts:
            connection.execute(NOTES.delete().where(NOTES.c.contactid == contact["contactid"]))
            connection.execute(NOTES.insert().values(
                contactid=contact["contactid"], outcome=contact["outcome"],
                customer=customers.get((contact["centre"], contact["contactid"]))))
        if self.fail:
            raise RuntimeError("the plugin broke")


def _ingest(store, plugin, events):
    pm = get_plugin_manager(Settings(_env_file=None), plugins=[("notes", plugin)])
    ingestor = Ingestor(store, pm, CustomerHasher(TEST_HMAC_KEY))
    return ingestor.ingest_batch([RawEvent(json.dumps(e), "test") for e in events])


def _notes(store):
    with store.reading() as connection:
        return {row.contactid: (row.outcome, row.customer) for row in connection.execute(select(NOTES))}


def test_completed_contacts_reach_the_hook_inside_the_ingest_transaction(store, make_event):
    NOTES.create(store.engine)
    notes = CompletionNotes()
    answered = contact_timeline(make_event, "c1", "2026-03-02T09:00:00Z", customer="+31 20 123 4567")
    abandoned = abandoned_contact(make_event, "c2", "2026-03-02T09:05:00Z")
    # Only offered so far: not complete, so not reported.
    waiting = [make_event("contact.offered", "2026-03-02T09:06:00Z", contactid="c3", queue="sales")]
    waiting[0]["data"] = {"customer": "+31 20 765 4321"}
    _ingest(store, notes, answered + abandoned + waiting)
    # c3 is still waiting, so it is not reported as completed, but its number is handed over.
    assert notes.calls == [(["c1", "c2"], ["c1", "c3"])]
    # The clear number comes from the batch's own events; c2 sent none.
    assert _notes(store) == {"c1": ("answered", "+31 20 123 4567"), "c2": ("abandoned", None)}


class CompletedRows:
    """Keeps the fact rows the hook is handed."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    @hookimpl
    def callkpi_contacts_completed(self, connection, contacts, customers):
        self.rows += contacts


def test_the_hook_is_handed_the_contacts_exactly_as_stored(store, make_event):
    """The rows come from the projector, not read back: they must equal the stored rows
    value for value and type for type, also for a contact completed over two batches whose
    customer called again (gaps) and one that a summary and a sale describe."""
    seen = CompletedRows()
    first = contact_timeline(make_event, "c1", "2026-03-02T09:00:00Z", customer="+31 20 123 4567")
    summary = make_event("contact.recorded", "2026-03-02T09:30:00Z", {
        "offered_at": "2026-03-02T09:20:00Z", "answered_at": "2026-03-02T09:21:00Z",
        "ended_at": "2026-03-02T09:29:00Z", "outcome": "answered", "hold_count": 2,
        "hold_s": 30, "transfers": 1, "resolved": True, "disposition": "sale"}, contactid="c3")
    sale = make_event("sale.recorded", "2026-03-02T09:31:00Z", {"saleid": "s1", "amount": 12.5, "currency": "EUR"},
                      contactid="c3")
    _ingest(store, seen, [*first[:2], *abandoned_contact(make_event, "c2", "2026-03-02T09:05:00Z",
                                                         customer="+31 20 123 4567")])
    _ingest(store, seen, [*first[2:], summary, sale])
    table = StoredEvent.metadata.tables["fact_contact"]
    with store.reading() as connection:
        stored = {row["contactid"]: dict(row) for row in connection.execute(select(table)).mappings()}
    last = {row["contactid"]: row for row in seen.rows}
    assert sorted(last) == ["c1", "c2", "c3"]
    assert last["c1"] == stored["c1"] and last["c3"] == stored["c3"]
    for contactid in ("c1", "c3"):
        assert [type(v) for v in last[contactid].values()] == [type(v) for v in stored[contactid].values()]
        assert list(last[contactid]) == list(stored[contactid])


def test_a_failing_hook_loses_its_own_writes_but_never_the_events(store, make_event):
    NOTES.create(store.engine)
    outcomes = _ingest(store, CompletionNotes(fail=True),
                       contact_timeline(make_event, "c1", "2026-03-02T09:00:00Z"))
    assert {o.status for o in outcomes} == {"accepted"}
    with store.reading() as connection:
        assert connection.execute(select(func.count()).select_from(StoredEvent)).scalar() == 4
    assert _notes(store) == {}


router = APIRouter()


@router.get("/hello")
def hello() -> dict[str, str]:
    return {"hello": "from a plugin"}


class RoutesPlugin:
    def __init__(self, prefix: str, routes: APIRouter = router) -> None:
        self.prefix = prefix
        self.routes = routes

    @hookimpl
    def callkpi_register_routes(self, register):
        register(self.routes, prefix=self.prefix)


def _app(tmp_path, *plugins):
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'callkpi.db'}",
                        key_file=tmp_path / "hmac.key")
    pm = get_plugin_manager(settings, entry_points_group=None, plugins=plugins)
    return create_app(settings, pm=pm), pm


@pytest.mark.anyio
async def test_plugin_routes_are_served_under_their_prefix(tmp_path):
    app, _ = _app(tmp_path, ("acme", RoutesPlugin("/acme")))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as client:
        response = await client.get("/acme/hello")
    assert response.json() == {"hello": "from a plugin"}


login_claim = APIRouter()
by_id = APIRouter()


@login_claim.get("/login")
def plugin_login() -> dict[str, str]:
    return {"login": "from a plugin"}


@by_id.get("/items/{item}")
def item(item: str) -> dict[str, str]:
    return {"item": item}


def _router_order(app) -> list[APIRouter | None]:
    return [getattr(entry, "original_router", None) for entry in app.router.routes]


@pytest.mark.anyio
async def test_a_plugin_router_that_no_other_route_can_answer_is_tried_first(tmp_path):
    app, _ = _app(tmp_path, ("acme", RoutesPlugin("/acme")), ("items", RoutesPlugin("/acme", by_id)))
    order = _router_order(app)
    assert order[0] is router  # fixed paths nobody else serves: the core's routes are not searched first
    assert order[-1] is by_id  # a path parameter's reach cannot be compared: behind everything
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as client:
        assert (await client.get("/acme/hello")).json() == {"hello": "from a plugin"}
        assert (await client.get("/acme/items/7")).json() == {"item": "7"}
        assert (await client.get("/v1/health")).status_code == 200


@pytest.mark.anyio
async def test_a_plugin_route_at_a_path_the_core_serves_stays_behind_the_core(tmp_path):
    app, _ = _app(tmp_path, ("claims-login", RoutesPlugin("", login_claim)))
    assert _router_order(app)[-1] is login_claim
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as client:
        response = await client.get("/login")
    assert response.headers["content-type"].startswith("text/html")  # the dashboard's page, not the plugin's


def test_a_plugin_claiming_the_core_api_prefix_is_skipped_with_the_reason(tmp_path):
    _, pm = _app(tmp_path, ("sneaky", RoutesPlugin("/v1/sneaky")))
    (skipped,) = pm.skipped
    assert skipped.name == "sneaky"
    assert "'/v1/sneaky', which the core serves" in skipped.reason


class Ticker:
    def __init__(self) -> None:
        self.ticks = 0
        self.cancelled = asyncio.Event()

    @hookimpl
    def callkpi_register_background_tasks(self, register):
        register("ticker", self.run)

    async def run(self, state) -> None:
        try:
            while True:
                self.ticks += 1
                await asyncio.sleep(0.01)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise


@pytest.mark.anyio
async def test_background_tasks_run_with_the_server_and_stop_with_it(tmp_path):
    ticker = Ticker()
    app, _ = _app(tmp_path, ("ticker", ticker))
    async with app.router.lifespan_context(app):
        for _ in range(1000):  # the task runs beside the server: wait until it has looped
            if ticker.ticks > 1:
                break
            await asyncio.sleep(0.01)
        assert ticker.ticks > 1
    assert ticker.cancelled.is_set()


def test_a_background_task_must_be_async(tmp_path):
    class Blocking:
        @hookimpl
        def callkpi_register_background_tasks(self, register):
            register("blocking", lambda state: None)

    _, pm = _app(tmp_path, ("blocking", Blocking()))
    assert "expected an async function run(state)" in pm.skipped[0].reason


acme = typer.Typer(help="ACME tools.")


@acme.command()
def ping() -> None:
    typer.echo("pong")


class Commands:
    def __init__(self, name: str) -> None:
        self.name = name

    @hookimpl
    def callkpi_register_commands(self, register):
        register(acme, self.name)


def test_plugin_command_groups_join_the_cli_but_never_shadow_a_core_command():
    root = typer.Typer()
    root.command("report")(lambda: None)
    plugins = [("acme", Commands("acme")), ("clash", Commands("report"))]
    pm = get_plugin_manager(Settings(_env_file=None), entry_points_group=None, plugins=plugins)
    assert mount_plugin_commands(root, pm) == ["acme"]
    assert CliRunner().invoke(root, ["acme", "ping"]).output == "pong\n"
