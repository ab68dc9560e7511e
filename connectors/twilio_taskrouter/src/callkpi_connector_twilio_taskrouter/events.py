"""One TaskRouter event, read from either of the two shapes Twilio sends it in.

Event callbacks (webhooks) post form parameters in CamelCase (``EventType``, ``Sid``,
``TimestampMs``, ``TaskSid``, ``TaskQueueName`` …); the Events REST API returns JSON with
``sid``, ``event_type``, ``event_date``/``event_date_ms`` and an ``event_data`` object in
snake_case (``task_sid``, ``task_queue_name`` …). Field names are folded to one key —
lower case without underscores — so the mapping reads both alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

SID = re.compile(r"^[A-Za-z0-9]{2,64}$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BadEvent(ValueError):
    """Input that cannot be read as a TaskRouter event; the message names field and value."""


def fold(name: str) -> str:
    """The key both shapes share: ``TaskQueueName`` and ``task_queue_name`` → ``taskqueuename``."""
    return name.replace("_", "").lower()


@dataclass(frozen=True)
class TaskRouterEvent:
    """An event's sid (``EV…``), type (``task.created`` …), time and folded fields."""

    sid: str
    type: str
    time: datetime
    fields: dict[str, Any]

    def text(self, name: str) -> str | None:
        """The field ``name`` (folded) as stripped text; ``None`` when absent or empty."""
        value = self.fields.get(name)
        if value is None:
            return None
        text = str(value).strip()
        return text or None

    def attributes(self) -> dict[str, Any] | None:
        """The task's attributes (``TaskAttributes``, JSON text or an object); ``None`` when
        they are not a JSON object."""
        raw = self.fields.get("taskattributes")
        if raw is None or raw == "":
            return {}
        if isinstance(raw, dict):
            return raw
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, dict) else None


def from_callback(params: dict[str, str]) -> TaskRouterEvent:
    """The event of a callback's form parameters."""
    fields = {fold(name): value for name, value in params.items()}
    return TaskRouterEvent(
        _sid(fields.get("sid"), "Sid"),
        _type(fields.get("eventtype"), "EventType"),
        _callback_time(fields),
        fields,
    )


def from_rest(item: dict[str, Any]) -> TaskRouterEvent:
    """The event of one item of the Events API's ``events`` list."""
    data = item.get("event_data")
    if not isinstance(data, dict):
        raise BadEvent(f"event_data = {data!r}: expected an object with the event's fields")
    fields = {fold(name): value for name, value in data.items()}
    return TaskRouterEvent(
        _sid(item.get("sid"), "sid"),
        _type(item.get("event_type"), "event_type"),
        _rest_time(item),
        fields,
    )


def _sid(value: Any, name: str) -> str:
    if not isinstance(value, str) or not SID.match(value):
        raise BadEvent(
            f"{name} = {value!r}: expected the event's sid (EV followed by 32 hex digits)")
    return value


def _type(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadEvent(f"{name} = {value!r}: expected an event type such as 'task.created'")
    return value.strip()


def _callback_time(fields: dict[str, Any]) -> datetime:
    if fields.get("timestampms") not in (None, ""):
        return _epoch(fields["timestampms"], 1000, "TimestampMs")
    return _epoch(fields.get("timestamp"), 1, "Timestamp")


def _rest_time(item: dict[str, Any]) -> datetime:
    if item.get("event_date_ms") not in (None, ""):
        return _epoch(item["event_date_ms"], 1000, "event_date_ms")
    text = item.get("event_date")
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise BadEvent(
            f"event_date = {text!r}: expected an ISO 8601 time such as '2025-03-30T09:00:00Z'"
        ) from None
    if moment.tzinfo is None:
        raise BadEvent(f"event_date = {text!r}: expected a UTC offset (Z or +00:00)")
    return moment.astimezone(UTC)


def _epoch(value: Any, per_second: int, name: str) -> datetime:
    unit = "milliseconds" if per_second == 1000 else "seconds"
    try:
        number = int(str(value).strip())
        # Integer arithmetic: a float would turn 123 ms into 122.999 ms, and the pull
        # cursor compares times exactly.
        return EPOCH + timedelta(milliseconds=number * 1000 // per_second)
    except (TypeError, ValueError, OverflowError, OSError):
        raise BadEvent(f"{name} = {value!r}: expected Unix time in {unit}") from None
