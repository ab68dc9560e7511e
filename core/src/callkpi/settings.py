"""Installation settings, from ``CALLKPI_*`` environment variables and an optional TOML file.

The file is ``CALLKPI_CONFIG`` or, by default, ``./callkpi.toml``; its keys are the field
names below (``database_url = "postgresql://…"``). Environment variables win over the
file. A bad value fails at start-up with a :class:`ConfigError` naming where it came
from (file and line, or environment variable), the key, the value and what was expected.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///./callkpi.db"
DEFAULT_CONFIG_FILE = Path("callkpi.toml")
ENV_PREFIX = "CALLKPI_"
SECRET_FIELDS = frozenset({"hmac_key"})
_BOUNDS = {"greater_than_equal": "expected a number ≥ {ge}",
           "less_than_equal": "expected a number ≤ {le}"}


class ConfigError(ValueError):
    """A configuration value is wrong. The message says where it came from, the key,
    the value and what was expected, one line per problem."""


def config_path() -> Path:
    """The TOML file settings are read from: ``CALLKPI_CONFIG``, else ``./callkpi.toml``."""
    return Path(os.environ.get("CALLKPI_CONFIG", DEFAULT_CONFIG_FILE))


class Settings(BaseSettings):
    """What an installation is configured with. Environment variables win over the file."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the store.")
    key_file: Path = Field(Path("callkpi.key"),
                           description="File holding the HMAC key for customer ids.")
    hmac_key: str | None = Field(None, description="HMAC key (hex); overrides key_file.",
                                 repr=False, pattern=r"^([0-9a-fA-F]{2}){16,}$")
    disabled_plugins: str = Field("", description="Comma-separated plugin names not to load.")
    batch_size: int = Field(10_000, ge=1, le=100_000, description="Events per ingest transaction.")
    snapshot_dir: Path | None = Field(None, description="Folder of the columnar snapshot; "
                                      "default: beside a SQLite store, else ./callkpi-snapshot.")
    connector_configs: dict[str, Path] = Field(
        default_factory=dict,
        description="Connector id → its TOML config file, for connectors whose webhook routes "
        "`callkpi serve` mounts (e.g. twilio-taskrouter).")

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigError(_describe(exc, values, config_path())) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path()}: not valid TOML: {exc}") from None

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings],
                                   init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   *_: PydanticBaseSettingsSource,
                                   **__: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = config_path()
        if "CALLKPI_CONFIG" in os.environ and not config_file.is_file():
            raise ConfigError(f"CALLKPI_CONFIG = {str(config_file)!r}: no such file; "
                              "expected the path of a TOML settings file")
        file_settings = TomlConfigSettingsSource(settings_cls, toml_file=config_file)
        return init_settings, env_settings, file_settings

    @field_validator("database_url")
    @classmethod
    def _parseable_url(cls, url: str) -> str:
        try:
            make_url(url)
        except ArgumentError:
            raise ValueError("expected an SQLAlchemy URL such as sqlite:///./callkpi.db or "
                             "postgresql://user@host:5432/callkpi") from None
        return url

    @property
    def disabled(self) -> set[str]:
        """The plugin names in ``disabled_plugins``."""
        return {name.strip() for name in self.disabled_plugins.split(",") if name.strip()}


def _describe(exc: ValidationError, init_values: dict[str, Any], config_file: Path) -> str:
    lines = []
    for error in exc.errors(include_url=False):
        key = str(error["loc"][0]) if error["loc"] else "settings"
        value = "<hidden>" if key in SECRET_FIELDS else repr(error["input"])
        lines.append(f"{_origin(key, init_values, config_file)} = {value}: {_expected(error, key)}")
    return "bad configuration:\n  " + "\n  ".join(lines)


def _origin(key: str, init_values: dict[str, Any], config_file: Path) -> str:
    """Where ``key``'s value came from, in the order the sources win."""
    env_name = ENV_PREFIX + key.upper()
    if key in init_values:
        return f"Settings({key}=…)"
    if env_name in {name.upper() for name in os.environ}:
        return f"environment variable {env_name}"
    line = _line_of(config_file, key)
    return f"{config_file} line {line}: {key}" if line else f"{config_file}: {key}"


def _line_of(config_file: Path, key: str) -> int | None:
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    try:
        text = config_file.read_text()
    except OSError:
        return None
    lines = enumerate(text.splitlines(), 1)
    return next((number for number, line in lines if pattern.match(line)), None)


def _expected(error: ErrorDetails, key: str) -> str:
    if error["type"] == "extra_forbidden":
        known = sorted(Settings.model_fields)
        close = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return f"not a callkpi setting; expected one of {', '.join(known)}{hint}"
    if error["type"] == "string_pattern_mismatch" and key == "hmac_key":
        return "expected at least 32 hexadecimal digits (an even number), e.g. from `callkpi init`"
    if error["type"] in _BOUNDS:
        return _BOUNDS[error["type"]].format(**error.get("ctx", {}))
    message = error["msg"].removeprefix("Value error, ")
    if message.startswith("Input should be "):
        return "expected " + message.removeprefix("Input should be ")
    return message
