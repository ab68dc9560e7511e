"""What every command shares: the ``--database`` option, opening the store, the consoles,
and turning a user's mistake into one red line instead of a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from typer.core import TyperGroup

from ..plugins import CallkpiPluginManager, get_plugin_manager
from ..settings import ConfigError, Settings
from ..store.apikeys import ApiKeyError
from ..store.db import Store
from ..store.ingest import Ingestor
from ..store.privacy import MissingKey, open_hasher
from ..store.quarantine import QuarantineError
from ..store.sealing import SealError

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        metavar="URL",
        show_default=False,
        help="SQLAlchemy URL of the store. [default: $CALLKPI_DATABASE_URL, else sqlite:///./callkpi.db]",
    ),
]


class UserError(Exception):
    """A mistake the user can fix. Shown as one red line; the command exits with 1."""


# Each of these carries a message written for the user; anything else is a bug and keeps
# its traceback.
USER_ERRORS = (
    UserError,
    ConfigError,
    MissingKey,
    ApiKeyError,
    QuarantineError,
    SealError,
    OperationalError,
    ArgumentError,
)


def out() -> Console:
    """The console for results. Made per use so it follows the current stdout and $COLUMNS."""
    return Console(highlight=False)


def fail(message: str) -> None:
    Console(stderr=True, highlight=False).print(
        Text(f"Error: {message}", style="red"), soft_wrap=True
    )


def user_message(exc: Exception) -> str:
    if isinstance(exc, OperationalError):
        return (
            f"cannot use the store: {exc.orig or exc}; expected a reachable database at --database"
        )
    if isinstance(exc, ArgumentError):
        return f"--database: {exc}; expected a URL such as sqlite:///./callkpi.db or postgresql://user@host/db"
    return str(exc)


class CallkpiGroup(TyperGroup):
    """The root command group: user errors anywhere below it end as one red line and exit code 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            fail(user_message(exc))
            raise typer.Exit(1) from None


def settings_for(database: str | None) -> Settings:
    """The installation's settings; ``--database``, when given, wins over the environment."""
    return Settings(database_url=database) if database else Settings()


def shown_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def opened_store(settings: Settings) -> Iterator[Store]:
    """The migrated store of ``settings``, disposed of when the command is done."""
    store = Store.open(settings.database_url)
    try:
        yield store
    finally:
        store.dispose()


def plugin_manager(settings: Settings) -> CallkpiPluginManager:
    pm = get_plugin_manager(settings)
    pm.catalog  # noqa: B018 - building the catalogue is what reports plugins that fail to register
    return pm


def ingestor_for(store: Store, settings: Settings, pm: CallkpiPluginManager) -> Ingestor:
    with store.transaction() as connection:
        hasher = open_hasher(connection, settings)
    return Ingestor(store, pm, hasher)
