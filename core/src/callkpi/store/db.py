"""Opening the store: engine set-up per dialect and schema migrations with Alembic."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from ..settings import Settings
from .centres import ensure_default_centre

BUSY_TIMEOUT_S = 30


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # We emit BEGIN ourselves (see _sqlite_begin), so the driver must not.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets the server, a CLI ingest and a report use one file at once;
    # busy_timeout makes a writer wait for another instead of failing at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A deferred transaction that reads and then writes fails with SQLITE_BUSY when another
    # process committed in between (busy_timeout cannot help); taking the write lock at
    # BEGIN makes writers queue instead. Reads stay deferred so they never block writers.
    reading = connection.get_execution_options().get("callkpi_read_only", False)
    connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


class WriterTurns:
    """This process's SQLite writers take turns on a lock before BEGIN IMMEDIATE.

    SQLite lets one writer in at a time anyway, but a writer it turns away sleeps in its
    busy handler (up to 100 ms a try) even after the lock is free: under load that made p99
    latencies of seconds, where a Python lock hands over at once. The lock is re-entrant,
    so a transaction opened inside another in the same thread meets SQLite's busy handler
    as before; a turn not given within the busy timeout is gone without, so SQLite's own
    timeout still ends the wait (with "database is locked")."""

    def __init__(self) -> None:
        self._lock = threading.RLock()

    @contextmanager
    def turn(self) -> Iterator[None]:
        taken = self._lock.acquire(timeout=BUSY_TIMEOUT_S)
        try:
            yield
        finally:
            if taken:
                self._lock.release()


def create_store_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True)


def alembic_config(connection: Connection) -> Config:
    """Alembic's configuration for migrating the store through ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(files("callkpi") / "migrations"))
    config.attributes["connection"] = connection
    return config


class Store:
    """The event store and facts in one database."""

    def __init__(self, url: str):
        self.url = url
        self.engine = create_store_engine(url)
        self._writer_turn: Callable[[], AbstractContextManager[None]] = (
            WriterTurns().turn if self.dialect == "sqlite" else nullcontext
        )

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True) -> Store:
        """Open the store at ``url`` (default: the settings' database URL), migrating it
        to the current schema first unless ``migrate`` is false."""
        store = cls(url or Settings().database_url)
        if migrate:
            store.migrate()
        return store

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def migrate(self) -> None:
        with self.engine.begin() as connection:
            if self._current_revision(connection) != self._head_revision(connection):
                command.upgrade(alembic_config(connection), "head")
            ensure_default_centre(connection)

    def _current_revision(self, connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    def _head_revision(self, connection: Connection) -> str | None:
        return ScriptDirectory.from_config(alembic_config(connection)).get_current_head()

    def session(self) -> Session:
        return Session(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction (on SQLite it holds the write lock from the start, and this
        process's writers take turns on it: :class:`WriterTurns`)."""
        with self._writer_turn(), self.engine.begin() as connection:
            yield connection

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read-only transaction: a consistent view that never blocks writers."""
        with self.engine.connect() as connection:
            connection.execution_options(callkpi_read_only=True)
            with connection.begin():
                yield connection

    def dispose(self) -> None:
        self.engine.dispose()
