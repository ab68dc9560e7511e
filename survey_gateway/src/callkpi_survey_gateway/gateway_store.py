"""Opening the core's store with the gateway's tables migrated (their own Alembic chain)."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from callkpi.store.db import Store

VERSION_TABLE = "survey_gateway_alembic_version"
_migrated: set[str] = set()  # database URLs whose gateway tables this process brought up to date


def alembic_config(connection: Connection) -> Config:
    """The Alembic configuration of the gateway's chain, bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(files("callkpi_survey_gateway") / "migrations"))
    config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    """The gateway schema revision the database is at (``None`` before the first migration)."""
    return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


def migrate_gateway(store: Store) -> None:
    """Bring the gateway's tables in ``store`` to the newest revision (a no-op when they are)."""
    with store.engine.begin() as connection:
        config = alembic_config(connection)
        if current_revision(connection) != ScriptDirectory.from_config(config).get_current_head():
            command.upgrade(config, "head")


def gateway_schema_ready(store: Store) -> bool:
    """Whether this process has already brought the gateway's tables in ``store`` up to date."""
    return _database(store.engine) in _migrated


def ensure_gateway_schema(store: Store) -> None:
    """Migrate the gateway's tables in ``store`` once per process and database (cheap after)."""
    if not gateway_schema_ready(store):
        migrate_gateway(store)
        _migrated.add(_database(store.engine))


def ensure_schema_on(connection: Connection) -> None:
    """Migrate on ``connection``, inside its open transaction (the ingest batch's, when the
    gateway first meets a database in a process that never opened it as the gateway)."""
    url = _database(connection.engine)
    if url in _migrated:
        return
    config = alembic_config(connection)
    if current_revision(connection) != ScriptDirectory.from_config(config).get_current_head():
        command.upgrade(config, "head")
    _migrated.add(url)


def _database(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def open_gateway_store(url: str | None = None) -> Store:
    """Open (and migrate) the core's store at ``url``, then migrate the gateway's tables in it."""
    store = Store.open(url)
    migrate_gateway(store)
    return store
