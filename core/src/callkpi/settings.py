"""Installation settings, from ``CALLKPI_*`` environment variables and an optional TOML file."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

DEFAULT_DATABASE_URL = "sqlite:///./callkpi.db"


class Settings(BaseSettings):
    """What an installation is configured with. Environment variables win over the file."""

    model_config = SettingsConfigDict(env_prefix="CALLKPI_", extra="forbid")

    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the store.")
    key_file: Path = Field(Path("callkpi.key"), description="File holding the HMAC key for customer ids.")
    hmac_key: str | None = Field(None, description="HMAC key (hex); overrides key_file.", repr=False)
    disabled_plugins: str = Field("", description="Comma-separated plugin names not to load.")
    batch_size: int = Field(2000, ge=1, le=100_000, description="Events per ingest transaction.")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, *_: PydanticBaseSettingsSource,
                                   **__: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = Path(os.environ.get("CALLKPI_CONFIG", "callkpi.toml"))
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=config_file)

    @property
    def disabled(self) -> set[str]:
        return {name.strip() for name in self.disabled_plugins.split(",") if name.strip()}
