"""The published JSON Schemas: committed = generated, valid Draft 2020-12, and in agreement
with the runtime pydantic validator on good and bad events."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from callkpi.events import V1_TYPES, EventTypeRegistry, EventValidator, InvalidEvent
from callkpi.events.contact import ContactTransferredData
from callkpi.events.schemas import (
    REGENERATE,
    SCHEMA_DIRECTORY,
    load_schema,
    render,
    schema_for,
    write_schemas,
)
from callkpi.plugins import get_plugin_manager
from callkpi.settings import Settings

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples" / "events.jsonl"
V1_NAMES = [t.name for t in V1_TYPES]
FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER


@pytest.fixture(scope="module")
def runtime() -> EventValidator:
    """The validator ingest uses, built once for this module's many cases."""
    return get_plugin_manager(Settings(_env_file=None)).catalog.event_types.validator


def reference_errors(event: dict[str, Any]) -> list[str]:
    """What the reference validator says; an unknown type has no schema to pass."""
    if event.get("type") not in V1_NAMES:
        return [f"no published schema for type {event.get('type')!r}"]
    schema = load_schema(event["type"])
    validator = jsonschema.Draft202012Validator(schema, format_checker=FORMATS)
    return [error.message for error in validator.iter_errors(event)]


def golden_events() -> dict[str, dict[str, Any]]:
    """The first example of each type in the committed sample data."""
    first: dict[str, dict[str, Any]] = {}
    with EXAMPLES.open(encoding="utf-8") as lines:
        for line in lines:
            event = json.loads(line)
            first.setdefault(event["type"], event)
    return first


GOLDEN = golden_events()


def test_committed_schemas_equal_the_generated_ones(tmp_path):
    write_schemas(tmp_path)
    generated = {path.name: path.read_text(encoding="utf-8") for path in tmp_path.glob("*.json")}
    committed = {
        path.name: path.read_text(encoding="utf-8") for path in SCHEMA_DIRECTORY.glob("*.json")
    }
    stale = sorted(
        name
        for name in generated.keys() | committed.keys()
        if generated.get(name) != committed.get(name)
    )
    assert not stale, (
        f"published schemas differ from the models: {stale}; regenerate with `{REGENERATE}`"
    )


def test_there_is_one_schema_file_per_v1_type():
    # 29 types in the v1 table of DESIGN.md: 12 contact, 4 agent, 2 workforce, 4 business, 7 survey.
    assert sorted(p.stem for p in SCHEMA_DIRECTORY.glob("*.json")) == sorted(V1_NAMES)
    assert len(V1_NAMES) == 12 + 4 + 2 + 4 + 7


@pytest.mark.parametrize("name", V1_NAMES)
def test_each_schema_is_valid_draft_2020_12_with_its_identity(name):
    schema = load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://callkpi.dev/schemas/v1/{name}.json"
    assert schema["title"] == name
    assert schema["properties"]["type"]["const"] == name
    assert schema["additionalProperties"] is False


def test_schema_for_accepts_a_core_type_name_and_rejects_an_unknown_one():
    assert schema_for("contact.offered") == load_schema("contact.offered")
    assert render(schema_for("contact.offered")).endswith("}\n")
    with pytest.raises(KeyError, match=r"'contact\.offerd' is not a core v1 type"):
        schema_for("contact.offerd")


def test_required_extensions_are_required_by_the_schema():
    # contact.answered needs contactid and agentid; forecast.published needs queue.
    assert {"contactid", "agentid"} <= set(load_schema("contact.answered")["required"])
    assert "queue" in load_schema("forecast.published")["required"]
    assert "agentid" not in load_schema("contact.offered")["required"]


def test_sample_data_has_a_golden_event_of_every_v1_type():
    assert sorted(GOLDEN) == sorted(V1_NAMES)


@pytest.mark.parametrize("name", V1_NAMES)
def test_golden_event_passes_both_validators(name, runtime):
    event = GOLDEN[name]
    assert reference_errors(event) == []
    assert runtime.validate(event).type == name


ANSWERED = {
    "specversion": "1.0",
    "id": "bad-1",
    "source": "urn:test",
    "type": "contact.answered",
    "time": "2026-03-02T09:00:00Z",
    "centre": "default",
    "contactid": "c1",
    "agentid": "a1",
    "data": {"ring_s": 4},
}


def changed(path: str, value: Any) -> dict[str, Any]:
    """ANSWERED with one field set (``data.ring_s``) or, for the value ``...``, removed."""
    event = copy.deepcopy(ANSWERED)
    *parents, leaf = path.split(".")
    target = event
    for key in parents:
        target = target[key]
    if value is ...:
        del target[leaf]
    else:
        target[leaf] = value
    return event


# (event, words every runtime reason must contain: the field, the value, what was expected)
BAD_EVENTS = {
    "naive timestamp": (
        changed("time", "2026-03-02T09:00:00"),
        ["time", "'2026-03-02T09:00:00'", "offset"],
    ),
    "unknown type": (
        changed("type", "contact.answerd"),
        ["type", "'contact.answerd'", "'contact.answered'"],
    ),
    "wrong type of field": (changed("data.ring_s", "four"), ["data.ring_s", "'four'", "number"]),
    "wrong type of flag": (
        changed("type", "contact.ended") | {"data": {"timed_out": "maybe"}},
        ["data.timed_out", "'maybe'", "boolean"],
    ),
    "negative duration": (changed("data.ring_s", -4), ["data.ring_s", "-4", "≥ 0"]),
    "extra envelope field": (changed("colour", "red"), ["colour", "'red'", "not a field"]),
    "extra data field": (changed("data.ring", 4), ["data.ring", "4", "not a field"]),
    "missing required extension": (
        changed("agentid", ...),
        ["agentid", "contact.answered", "expected a non-empty"],
    ),
    "null required extension": (
        changed("agentid", None),
        ["agentid", "missing or null", "expected a non-empty"],
    ),
    "unknown channel": (changed("channel", "fax"), ["channel", "'fax'", "'voice'"]),
}


@pytest.mark.parametrize("case", BAD_EVENTS)
def test_bad_event_is_rejected_by_both_validators_with_a_readable_reason(case, runtime):
    event, words = BAD_EVENTS[case]
    assert reference_errors(event), f"the published schema accepted the {case}"
    with pytest.raises(InvalidEvent) as rejected:
        runtime.validate(event)
    (reason,) = rejected.value.reasons
    for word in words:
        assert word in reason, f"{word!r} missing from runtime reason {reason!r}"


def test_far_future_time_is_rejected_at_runtime_and_documented_in_the_schema(runtime):
    # JSON Schema has no notion of "now", so this rule is the runtime's alone; the
    # published schema must say so rather than silently differ.
    event = changed("time", "2099-01-01T00:00:00Z")
    with pytest.raises(InvalidEvent) as rejected:
        runtime.validate(event)
    (reason,) = rejected.value.reasons
    assert reason.startswith("time = '2099-01-01T00:00:00Z': is more than 24 hours ahead")
    assert "expected a time that has happened" in reason
    assert (
        "24 hours ahead of the receiver's clock" in load_schema("contact.answered")["description"]
    )


def test_offset_forms_accepted_by_the_runtime_match_the_schema(runtime):
    for stamp in (
        "2026-03-02T10:00:00+01:00",
        "2026-03-02T09:00:00.250Z",
        "2026-03-02T04:30:00-04:30",
    ):
        event = changed("time", stamp)
        assert reference_errors(event) == []
        assert runtime.validate(event).time.utcoffset() is not None


def test_a_plugins_type_gets_a_schema_under_its_own_name():
    registry = EventTypeRegistry()
    declared = registry.register(
        "chat.bot_escalated",
        ContactTransferredData,
        plugin="acme",
        requires=("contactid", "channel"),
    )
    schema = schema_for(declared)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == "https://callkpi.dev/schemas/plugins/acme/chat.bot_escalated.json"
    # A required extension loses its null branch: channel must be one of the channels.
    assert schema["properties"]["channel"]["enum"][:2] == ["voice", "chat"]
    assert schema["required"][-2:] == ["contactid", "channel"]


def test_the_future_limit_holds_to_the_second_between_events(runtime):
    # The validator reuses the limit it last read from the clock: an event just inside
    # 24 hours is accepted and one just beyond rejected, whichever was validated before.
    now = datetime.now(UTC)
    inside = changed("time", (now + timedelta(hours=24, seconds=-5)).isoformat())
    beyond = changed("time", (now + timedelta(hours=24, seconds=5)).isoformat())
    for order in ((inside, beyond), (beyond, inside), (inside, beyond, inside, beyond)):
        for event in order:
            if event is inside:
                assert runtime.validate(event).time == datetime.fromisoformat(inside["time"])
            else:
                with pytest.raises(InvalidEvent, match="more than 24 hours ahead"):
                    runtime.validate(event)
