"""Settings: environment over file over defaults, and a bad value fails at start-up saying
where it came from, the key, the value and what was expected."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from callkpi.settings import DEFAULT_DATABASE_URL, ConfigError, Settings


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts in an empty directory with no CALLKPI_* variables of the developer's."""
    monkeypatch.chdir(tmp_path)
    for name in [name for name in os.environ if name.upper().startswith("CALLKPI_")]:
        monkeypatch.delenv(name)


def write_config(text: str, name: str = "callkpi.toml") -> Path:
    path = Path(name)
    path.write_text(text)
    return path


def test_defaults_without_file_or_environment():
    settings = Settings()
    assert (settings.database_url, settings.batch_size) == (DEFAULT_DATABASE_URL, 10_000)
    assert settings.disabled == set()


def test_file_is_read_and_environment_wins_over_it(monkeypatch: pytest.MonkeyPatch):
    write_config('database_url = "sqlite:///from-file.db"\nbatch_size = 500\n')
    monkeypatch.setenv("CALLKPI_BATCH_SIZE", "700")
    settings = Settings()
    assert settings.batch_size == 700  # the environment's, not the file's 500
    assert settings.database_url == "sqlite:///from-file.db"  # only the file sets it


def test_callkpi_config_names_another_file(monkeypatch: pytest.MonkeyPatch):
    write_config("batch_size = 500\n")
    write_config('disabled_plugins = "acme, other"\n', "site.toml")
    monkeypatch.setenv("CALLKPI_CONFIG", "site.toml")
    settings = Settings()
    assert settings.batch_size == 10_000  # ./callkpi.toml is not read when CALLKPI_CONFIG is set
    assert settings.disabled == {"acme", "other"}


def test_callkpi_config_naming_a_missing_file_fails(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CALLKPI_CONFIG", "missing.toml")
    with pytest.raises(ConfigError) as raised:
        Settings()
    assert str(raised.value) == (
        "CALLKPI_CONFIG = 'missing.toml': no such file; expected the path of a TOML settings file")


def test_bad_line_in_file_names_file_line_key_value_and_expectation():
    write_config('database_url = "sqlite:///x.db"\n\nbatch_size = 0\n')
    with pytest.raises(ConfigError) as raised:
        Settings()
    # batch_size is on line 3 (line 2 is blank); the field's lower bound is ge=1.
    assert str(raised.value) == (
        "bad configuration:\n  callkpi.toml line 3: batch_size = 0: expected a number ≥ 1")


def test_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch):
    write_config("batch_size = 10\n")
    monkeypatch.setenv("CALLKPI_BATCH_SIZE", "lots")
    with pytest.raises(ConfigError) as raised:
        Settings()
    assert str(raised.value) == (
        "bad configuration:\n  environment variable CALLKPI_BATCH_SIZE = 'lots': "
        "expected a valid integer, unable to parse string as an integer")


def test_every_bad_value_is_reported_at_once_and_misspelled_keys_get_a_hint():
    write_config('batch_size = 100001\nbatch_sise = 4\ndatabase_url = "::nope"\n')
    with pytest.raises(ConfigError) as raised:
        Settings()
    lines = str(raised.value).splitlines()[1:]
    assert lines == [
        "  callkpi.toml line 3: database_url = '::nope': expected an SQLAlchemy URL such as "
        "sqlite:///./callkpi.db or postgresql://user@host:5432/callkpi",
        "  callkpi.toml line 1: batch_size = 100001: expected a number ≤ 100000",
        "  callkpi.toml line 2: batch_sise = 4: not a callkpi setting; expected one of batch_size, "
        "connector_configs, database_url, disabled_plugins, hmac_key, key_file, snapshot_dir "
        "(did you mean batch_size?)",
    ]


def test_secret_value_is_never_echoed(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CALLKPI_HMAC_KEY", "not-hex-secret")
    with pytest.raises(ConfigError) as raised:
        Settings()
    message = str(raised.value)
    assert "not-hex-secret" not in message
    assert "environment variable CALLKPI_HMAC_KEY = <hidden>: expected at least 32 hex" in message


def test_file_that_is_not_toml_names_the_file_and_position():
    write_config("batch_size = \n")
    with pytest.raises(ConfigError) as raised:
        Settings()
    assert str(raised.value) == (
        "callkpi.toml: not valid TOML: Invalid value (at line 1, column 14)")
