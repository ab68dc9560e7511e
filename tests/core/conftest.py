"""Fixtures for driving the CLI in-process with Typer's CliRunner on a real SQLite file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from callkpi.cli import app

Run = Callable[..., Result]


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path as the working directory, with every CALLKPI_* setting isolated there."""
    monkeypatch.chdir(tmp_path)
    for name in ("CALLKPI_HMAC_KEY", "CALLKPI_CONFIG", "CALLKPI_DISABLED_PLUGINS", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CALLKPI_KEY_FILE", str(tmp_path / "callkpi.key"))
    monkeypatch.setenv("COLUMNS", "250")  # tables wide enough that cells are not wrapped
    return tmp_path


@pytest.fixture
def database(cli_home: Path) -> str:
    """The URL of a (not yet created) SQLite store in the isolated working directory."""
    return f"sqlite:///{cli_home / 'callkpi.db'}"


@pytest.fixture
def run(database: str) -> Run:
    """``run(*args, input=None)``: invoke ``callkpi ARGS --database <database>``."""

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(app, [*args, "--database", database], input=input)

    return invoke
