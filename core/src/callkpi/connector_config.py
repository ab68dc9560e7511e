"""Connector configs: TOML files checked against the connector's JSON Schema, secrets redacted.

Every problem is reported at once with its JSON path (``/mapping/answered_at: …``), so a
user fixes a config in one pass instead of one error per run.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from .connectors import Connector

REDACTED = "***"


class InvalidConfig(ValueError):
    """A config that does not match its connector's schema; ``errors`` lists every problem."""

    def __init__(self, where: str, errors: list[str]):
        self.errors = errors
        super().__init__(f"{where} is not a valid config:\n  " + "\n  ".join(errors))


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse a TOML config file; a syntax error names the file, line and column."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidConfig(str(path), [f"not valid TOML: {exc}"]) from None
    except OSError as exc:
        raise InvalidConfig(str(path), [f"cannot be read: {exc.strerror}"]) from None


def validate_config(
    connector: Connector, config: dict[str, Any], where: str = "the config"
) -> dict[str, Any]:
    """Return ``config`` if it matches the connector's schema; else raise :class:`InvalidConfig`
    listing every error with its JSON path. Messages about secrets never show their value."""
    schema = connector.config_schema
    secrets = set(secret_paths(schema))
    errors = sorted(Draft202012Validator(schema).iter_errors(config), key=_error_sort_key)
    if errors:
        raise InvalidConfig(where, [_describe(error, secrets) for error in errors])
    return config


def _error_sort_key(error: ValidationError) -> tuple[tuple[str, ...], str]:
    return tuple(str(part) for part in error.absolute_path), error.message


def _describe(error: ValidationError, secrets: set[tuple[str, ...]]) -> str:
    path = tuple(str(part) for part in error.absolute_path)
    if error.context and path not in secrets:  # oneOf/anyOf: which alternative came closest
        closest = max(error.context, key=_closeness)
        return f"{_pointer(path)}: {error.message}; closest: {_describe(closest, secrets)}"
    if path in secrets or any(path[: len(secret)] == secret for secret in secrets):
        return (
            f"{_pointer(path)}: the value (hidden: a secret) fails the {error.validator!r} check "
            f"{error.validator_value!r}"
        )
    return f"{_pointer(path)}: {error.message}"


def _pointer(path: tuple[str, ...]) -> str:
    return "/" + "/".join(path)


def _closeness(error: ValidationError) -> tuple[int, bool]:
    """Deeper is closer; an alternative of the right type is closer than one of the wrong type."""
    return len(error.absolute_path), error.validator != "type"


def secret_paths(schema: dict[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The paths of properties the schema marks ``writeOnly: true`` (nested objects included)."""
    for name, sub in schema.get("properties", {}).items():
        if not isinstance(sub, dict):
            continue
        if sub.get("writeOnly") is True:
            yield (*prefix, name)
        yield from secret_paths(sub, (*prefix, name))


def redact(config: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``config`` with every secret (``writeOnly``) value replaced by ``***``,
    for showing or logging it."""
    result: dict[str, Any] = {}
    properties = schema.get("properties", {})
    for name, value in config.items():
        sub = properties.get(name, {})
        if isinstance(sub, dict) and sub.get("writeOnly") is True:
            result[name] = REDACTED
        elif isinstance(value, dict) and isinstance(sub, dict):
            result[name] = redact(value, sub)
        else:
            result[name] = value
    return result
