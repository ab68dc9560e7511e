"""Shared fixtures: every store test runs on a SQLite file and on a real PostgreSQL database.

PostgreSQL comes from CALLKPI_TEST_POSTGRES_URL (CI sets it). Each test gets its own
database, created and dropped here. Locally, without the variable, the default server
on 127.0.0.1 is tried; if none answers the PostgreSQL runs are skipped with the reason.
In CI (the variable set) an unreachable server is an error, never a skip.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from callkpi.plugins import CallkpiPluginManager
from callkpi.store.db import Store
from callkpi.store.ingest import Ingestor
from callkpi.store.privacy import CustomerHasher
from callkpi.testing import TEST_HMAC_KEY

pytest_plugins = ["browser"]  # the `chromium` and `page` fixtures (tests/browser.py)
LOCAL_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_FILES = ("callkpi.key", "callkpi-survey.key", "callkpi.db", "callkpi.toml", "callkpi-survey.toml")
"""What a command writes or reads in its working directory by default: tests must never
leave them in the repository, where a later `callkpi init` would silently reuse a test key."""
_PRESENT_BEFORE = pytest.StashKey[set[str]]()


def pytest_configure(config: pytest.Config) -> None:
    # Commands that tests run with the default settings (CliRunner, subprocesses) would
    # otherwise create their keys in the repository root; the environment wins over the
    # defaults, so point the key files at a directory of the run's own.
    scratch = Path(tempfile.mkdtemp(prefix="callkpi-tests-"))
    os.environ.setdefault("CALLKPI_KEY_FILE", str(scratch / "callkpi.key"))
    os.environ.setdefault("CALLKPI_SURVEY_KEY_FILE", str(scratch / "callkpi-survey.key"))
    config.stash[_PRESENT_BEFORE] = {name for name in DEFAULT_FILES if (REPOSITORY / name).exists()}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    left = [name for name in DEFAULT_FILES
            if (REPOSITORY / name).exists() and name not in session.config.stash[_PRESENT_BEFORE]]
    if left:
        session.config.get_terminal_writer().line(
            f"tests left {', '.join(left)} in {REPOSITORY}; expected every test to write in its own tmp_path",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _admin_url() -> tuple[str | None, str]:
    configured = os.environ.get("CALLKPI_TEST_POSTGRES_URL")
    return (configured, "configured") if configured else (LOCAL_DEFAULT, "default")


def _admin_engine(url: str):
    parsed = make_url(url).set(drivername="postgresql+psycopg")
    return create_engine(parsed, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[object]:
    url, how = _admin_url()
    engine = _admin_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as exc:
        if how == "configured":
            raise RuntimeError(f"CALLKPI_TEST_POSTGRES_URL={url} is set but unreachable: {exc}") from exc
        pytest.skip(f"no PostgreSQL at {url} (set CALLKPI_TEST_POSTGRES_URL to run these): {exc}")
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_admin) -> Iterator[str]:
    name = f"callkpi_test_{uuid.uuid4().hex[:12]}"
    with postgres_admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(str(postgres_admin.url)).set(database=name).render_as_string(hide_password=False)
    yield url
    with postgres_admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def anyio_backend() -> str:
    """The event loop of every async test (anyio's plugin would also run them on trio)."""
    return "asyncio"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path) -> Iterator[Store]:
    """A migrated store, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'callkpi.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    opened = Store.open(url)
    yield opened
    opened.dispose()


@pytest.fixture
def ingestor(store: Store, callkpi_pm: CallkpiPluginManager) -> Ingestor:
    return Ingestor(store, callkpi_pm, CustomerHasher(TEST_HMAC_KEY))


@pytest.fixture(scope="session")
def spark_connect():
    """The one local Spark Connect session of the test run (~10–15 s to start), on
    127.0.0.1. ``engine="spark"`` reports find it already running. Tests using it are
    marked ``spark``: ``-m "not spark"`` leaves them out locally; CI always runs them
    (pyspark is in the dev group; Java 17+ is needed)."""
    from callkpi.snapshot.spark import spark_session

    session = spark_session(None)
    yield session
    session.stop()
