"""The published JSON Schemas (Draft 2020-12): one file per core v1 event type.

The pydantic models are the source of truth; the files in ``callkpi/schemas/`` are
generated from them and shipped as package data, the contract for producers in any
language. A test fails when a committed file differs from what the models generate.
Regenerate them after changing a model with::

    uv run python -m callkpi.events.schemas

Two rules live only in the runtime validator, because JSON Schema cannot state them:
``time`` at most 24 hours ahead of the receiver's clock, and cross-field checks such as
"``answered_at`` ≥ ``offered_at``". Each schema's description says so.
"""

from __future__ import annotations

import json
import sys
from copy import deepcopy
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from .catalog import V1_TYPES
from .registry import EventType, EventTypeRegistry

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE = "https://callkpi.dev/schemas/v1/"
CORE_PLUGIN = "callkpi"
SCHEMA_DIRECTORY = Path(str(files("callkpi") / "schemas"))
REGENERATE = "uv run python -m callkpi.events.schemas"

# RFC 3339 date-time with a mandatory offset. jsonschema checks "format" only when an
# optional package is installed, so the offset rule is also stated as a pattern.
RFC3339_WITH_OFFSET = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
RUNTIME_ONLY = (
    " Also checked at ingest, beyond this schema: time at most 24 hours ahead of the "
    "receiver's clock, and rules that relate two fields (such as answered_at ≥ offered_at, "
    "score ≤ max_score, a survey score on its scale)."
)


class _CallkpiJsonSchema(GenerateJsonSchema):
    """Pydantic's generator, plus the offset rule on aware datetimes."""

    def datetime_schema(self, schema: core_schema.DatetimeSchema) -> JsonSchemaValue:
        generated = super().datetime_schema(schema)
        if schema.get("tz_constraint") == "aware":
            generated["pattern"] = RFC3339_WITH_OFFSET
        return generated


def core_event_types() -> dict[str, EventType]:
    """The core v1 event types by name, registered exactly as the core plugin does."""
    registry = EventTypeRegistry()
    for declared in V1_TYPES:
        registry.register(declared.name, declared.data_model, plugin=CORE_PLUGIN,
                          requires=declared.requires, description=declared.description)
    return registry.types


def schema_id(event_type: EventType) -> str:
    """The schema's ``$id``: core types under ``/v1/``, a plugin's types under its name."""
    if event_type.plugin == CORE_PLUGIN:
        return f"{SCHEMA_BASE}{event_type.name}.json"
    return f"https://callkpi.dev/schemas/plugins/{event_type.plugin}/{event_type.name}.json"


def schema_for(event_type: EventType | str) -> dict[str, Any]:
    """The Draft 2020-12 JSON Schema of one event type (registered, or a core type's name)."""
    if isinstance(event_type, str):
        event_type = _core_type(event_type)
    generated = event_type.envelope.model_json_schema(schema_generator=_CallkpiJsonSchema)
    schema = {"$schema": DRAFT, "$id": schema_id(event_type), "title": event_type.name,
              "description": (event_type.description or event_type.name) + RUNTIME_ONLY}
    schema.update({key: value for key, value in generated.items()
                   if key not in {"title", "description"}})
    _require_extensions(schema, event_type.requires)
    return schema


def _core_type(name: str) -> EventType:
    types = core_event_types()
    if name not in types:
        raise KeyError(f"event type {name!r} is not a core v1 type; "
                       f"expected one of {sorted(types)}")
    return types[name]


def _require_extensions(schema: dict[str, Any], requires: tuple[str, ...]) -> None:
    """A required extension must be present and not null; the model says so in a validator,
    which pydantic cannot see, so the schema is tightened here."""
    for name in requires:
        described = schema["properties"][name]
        value = next(b for b in described["anyOf"] if b.get("type") != "null")
        schema["properties"][name] = {**deepcopy(value), "description": described["description"],
                                      "title": described["title"]}
        schema["required"].append(name)


def render(schema: dict[str, Any]) -> str:
    """The committed form of a schema file: stable key order, two-space indent, final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schemas(directory: Path = SCHEMA_DIRECTORY) -> list[Path]:
    """Write ``<type>.json`` for every core v1 type into ``directory``; returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, event_type in core_event_types().items():
        path = directory / f"{name}.json"
        path.write_text(render(schema_for(event_type)), encoding="utf-8")
        written.append(path)
    return written


def load_schema(name: str) -> dict[str, Any]:
    """The published schema of a core v1 type, as shipped in the package."""
    return json.loads((SCHEMA_DIRECTORY / f"{name}.json").read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    """Regenerate the published schemas (into the directory given, or the package's own)."""
    args = sys.argv[1:] if argv is None else argv
    directory = Path(args[0]) if args else SCHEMA_DIRECTORY
    for path in write_schemas(directory):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
