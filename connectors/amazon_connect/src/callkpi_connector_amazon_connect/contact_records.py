"""An Amazon Connect contact record (``ContactTraceRecord``) → one ``contact.recorded`` event.

Field meanings follow Amazon Connect's contact record data model: timestamps are UTC
ISO 8601, durations whole seconds. ``Agent.AgentInteractionDuration`` is talk time without
hold (``Agent.CustomerHoldDuration``), so handle time = interaction + hold + ACW, as in
Connect's own metrics.

Amazon Connect delivers records at least once and again when a contact is updated; the
newest version has the highest ``LastUpdateTimestamp``. The event id is ``ContactId`` plus
that timestamp, so a new version is a new event, and the event ``time`` *is* that
timestamp, so the projector — which takes the latest ``contact.recorded`` of a leg by
time — uses the newest version whatever order the versions arrive in.

A transfer makes Connect write a new contact record for the next leg, linked by
``InitialContactId`` (the chain's first contact), ``PreviousContactId`` and
``NextContactId`` (Amazon Connect's contact record data model,
https://docs.aws.amazon.com/connect/latest/adminguide/ctr-data-model.html: the initial
contact's id on every related contact, the previous one's on all but the first). Every
record of a chain is one contact, ``contactid`` = its ``InitialContactId`` (a record without one began
its chain), and each record is one leg of it (``data.leg`` = its own ``ContactId``) with
its own queue, agent, wait, talk, hold and ACW: so a transferred call counts once, and its
second leg is never the customer's repeat contact.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from callkpi.connectors import name_id

Event = dict[str, Any]
CHANNELS = {"VOICE": "voice", "CHAT": "chat", "TASK": "task", "EMAIL": "email"}
OUTBOUND = frozenset({"OUTBOUND", "EXTERNAL_OUTBOUND", "AGENT_REPLY"})
# Contacts that continue an earlier one: their customer is not a new (repeat) contact.
CONTINUATIONS = frozenset({"TRANSFER", "QUEUE_TRANSFER"})
# The flow, not the customer, took the contact out of the queue (a queue timeout).
FLOW_ENDED = frozenset({"CONTACT_FLOW_DISCONNECT"})
UNKNOWN_CALLERS = frozenset({"", "anonymous", "unknown", "restricted", "private", "withheld"})
REQUIRED = ("ContactId", "InitiationTimestamp", "LastUpdateTimestamp")


class BadRecord(ValueError):
    """A contact record that cannot be mapped; the message names the field and value."""


def is_contact_record(value: Any) -> bool:
    return isinstance(value, dict) and "ContactId" in value and "EventType" not in value


def timestamp(record: dict[str, Any], *path: str) -> datetime:
    value = _get(record, path)
    if value is None:
        raise BadRecord(f"{'.'.join(path)} is missing; expected an ISO 8601 UTC timestamp")
    return _parse(value, path)


def optional_timestamp(record: dict[str, Any], *path: str) -> datetime | None:
    value = _get(record, path)
    return None if value in (None, "") else _parse(value, path)


def _parse(value: Any, path: tuple[str, ...]) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise BadRecord(
            f"{'.'.join(path)} = {value!r}: expected an ISO 8601 UTC timestamp such as "
            "'2025-10-26T09:15:00Z'"
        )
    return parsed.astimezone(UTC)


def _get(record: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = record
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def seconds(record: dict[str, Any], *path: str) -> float | None:
    value = _get(record, path)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise BadRecord(f"{'.'.join(path)} = {value!r}: expected a number of seconds ≥ 0")
    return float(value)


def agent_id(agent: dict[str, Any] | None, prefer: str) -> str | None:
    """The agent's callkpi id: the Connect user name (default) or the user id from the ARN."""
    if not agent:
        return None
    from_arn = str(agent.get("ARN") or "").rsplit("/", 1)[-1] or None
    username = agent.get("Username")
    chosen = (username or from_arn) if prefer == "username" else (from_arn or username)
    return name_id(chosen) if chosen else None


class ContactRecordMapper:
    """Maps contact records with the config's centre, source and agent id choice."""

    def __init__(self, config: dict[str, Any]):
        self.centre: str = config.get("centre", "default")
        self.source_uri: str = config.get("source_uri", "amazon-connect")
        self.agent_ids: str = config.get("agent_id", "username")

    def event(self, record: dict[str, Any]) -> Event:
        missing = [name for name in REQUIRED if not record.get(name)]
        if missing:
            raise BadRecord(
                f"{', '.join(missing)} missing; expected every contact record to have it"
            )
        updated = timestamp(record, "LastUpdateTimestamp")
        leg = name_id(str(record["ContactId"]))
        event: Event = {
            "specversion": "1.0",
            "id": f"aws-connect-{leg}-{_stamp(updated)}",
            "source": self.source_uri,
            "type": "contact.recorded",
            "time": updated,
            "centre": self.centre,
            "contactid": name_id(str(record.get("InitialContactId") or record["ContactId"])),
            "data": {**self._data(record), "leg": leg},
        }
        self._envelope(event, record)
        return event

    def _envelope(self, event: Event, record: dict[str, Any]) -> None:
        channel = CHANNELS.get(str(record.get("Channel") or "VOICE").upper())
        if channel is None:
            raise BadRecord(
                f"Channel = {record.get('Channel')!r}: expected one of {', '.join(CHANNELS)}"
            )
        event["channel"] = channel
        queue = _get(record, ("Queue", "Name"))
        if queue:
            event["queue"] = str(queue)[:128]
        agent = agent_id(record.get("Agent"), self.agent_ids)
        if agent:
            event["agentid"] = agent

    def _data(self, record: dict[str, Any]) -> dict[str, Any]:
        data = {
            **_times(record),
            "outcome": outcome(record),
            "direction": "outbound" if record.get("InitiationMethod") in OUTBOUND else "inbound",
            **_durations(record),
            "transfers": 1
            if record.get("NextContactId") or record.get("TransferCompletedTimestamp")
            else 0,
        }
        customer = _customer(record)
        if customer:
            data["customer"] = customer
        return {name: value for name, value in data.items() if value is not None}


def _stamp(moment: datetime) -> str:
    return f"{moment:%Y%m%dT%H%M%S}.{moment.microsecond // 1000:03d}Z"


def _times(record: dict[str, Any]) -> dict[str, datetime | None]:
    """Offered when it entered the queue; a contact never queued when it began."""
    enqueued = optional_timestamp(record, "Queue", "EnqueueTimestamp")
    return {
        "offered_at": enqueued or timestamp(record, "InitiationTimestamp"),
        "answered_at": optional_timestamp(record, "Agent", "ConnectedToAgentTimestamp"),
        "ended_at": optional_timestamp(record, "DisconnectTimestamp"),
        "wrapup_ended_at": optional_timestamp(record, "Agent", "AfterContactWorkEndTimestamp"),
    }


def _durations(record: dict[str, Any]) -> dict[str, float | int | None]:
    holds = _get(record, ("Agent", "NumberOfHolds"))
    if holds is not None and (not isinstance(holds, int) or isinstance(holds, bool) or holds < 0):
        raise BadRecord(f"Agent.NumberOfHolds = {holds!r}: expected a whole number ≥ 0")
    return {
        "wait_s": seconds(record, "Queue", "Duration"),
        "talk_s": seconds(record, "Agent", "AgentInteractionDuration"),
        "hold_s": seconds(record, "Agent", "CustomerHoldDuration"),
        "hold_count": holds or 0,
        "longest_hold_s": seconds(record, "Agent", "LongestHoldDuration"),
        "acw_s": seconds(record, "Agent", "AfterContactWorkDuration"),
    }


def outcome(record: dict[str, Any]) -> str:
    """answered (an agent connected); queued and never connected: abandoned, or timed_out when
    the flow took it out of the queue; never queued: self_served without an agent, else
    setup_failed (an outbound call no one picked up)."""
    if optional_timestamp(record, "Agent", "ConnectedToAgentTimestamp") is not None:
        return "answered"
    if optional_timestamp(record, "Queue", "EnqueueTimestamp") is not None:
        return "timed_out" if record.get("DisconnectReason") in FLOW_ENDED else "abandoned"
    return "setup_failed" if record.get("Agent") else "self_served"


def _customer(record: dict[str, Any]) -> str | None:
    if record.get("InitiationMethod") in CONTINUATIONS:
        return None
    endpoint = record.get("CustomerEndpoint") or {}
    address = str(endpoint.get("Address") or "").strip()
    if address.casefold() in UNKNOWN_CALLERS or len(address) > 64:
        return None
    return address
