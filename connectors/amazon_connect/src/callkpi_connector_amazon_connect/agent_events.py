"""Amazon Connect agent event stream records → ``agent.state_changed``.

Each record (``EventType`` LOGIN, LOGOUT, STATE_CHANGE, HEART_BEAT) carries the agent's
``CurrentAgentSnapshot``: the status chosen in the CCP (``AgentStatus.Name``/``Type``) and
the agent's contacts with their ``State``. The callkpi state is derived from both, busiest
first: a contact CONNECTED or on hold → on_contact; a contact ENDED (after-contact work) →
after_contact_work; a contact MISSED, REJECTED or in ERROR → not_ready ("missed", Connect
stops routing to the agent until they are set available again); else the status: OFFLINE →
logged_out, ROUTABLE → available, a custom status → not_ready with its name as reason.

Only real changes become events: STATE_CHANGE also fires for a routing-profile edit or a
hold, and HEART_BEAT every two minutes; an event whose derived state equals the agent's
previous one (from ``PreviousAgentSnapshot``, else the last seen in this input) is dropped.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from callkpi.connectors import name_id

from .contact_records import BadRecord, agent_id, timestamp

Event = dict[str, Any]
State = tuple[str, str | None]
EVENT_TYPES = frozenset({"LOGIN", "LOGOUT", "STATE_CHANGE", "HEART_BEAT"})
ON_CONTACT = frozenset({"CONNECTED", "CONNECTED_ONHOLD", "PAUSED"})
MISSED = frozenset({"MISSED", "REJECTED", "ERROR"})
ACW_NAMES = frozenset({"aftercontactwork", "acw"})
UNCHANGED = "agent events without a state change (dropped)"
HEARTBEAT_FIRST = "HEART_BEAT events of an agent not yet seen in this input (dropped)"


def is_agent_event(value: Any) -> bool:
    return isinstance(value, dict) and "EventType" in value and "AgentARN" in value


def derived_state(event_type: str, snapshot: dict[str, Any] | None) -> State | None:
    """The callkpi state and reason a snapshot shows (``None`` without a snapshot)."""
    if event_type == "LOGOUT":
        return ("logged_out", None)
    if not isinstance(snapshot, dict):
        return None
    states = {str(c.get("State", "")).upper() for c in snapshot.get("Contacts") or ()}
    if states & ON_CONTACT:
        return ("on_contact", None)
    if "ENDED" in states:
        return ("after_contact_work", None)
    if states & MISSED:
        return ("not_ready", "missed")
    return _status_state(snapshot.get("AgentStatus") or {})


def _status_state(status: dict[str, Any]) -> State:
    name = str(status.get("Name") or "").strip()
    kind = str(status.get("Type") or "").upper()
    if kind == "OFFLINE" or name.casefold() == "offline":
        return ("logged_out", None)
    if name.replace(" ", "").casefold() in ACW_NAMES:
        return ("after_contact_work", None)
    if kind == "ROUTABLE" or name.casefold() == "available":
        return ("available", None)
    return ("not_ready", name[:64] or "unknown")


class AgentEventMapper:
    """Maps agent events, remembering each agent's last state within one input."""

    def __init__(self, config: dict[str, Any], notes: Counter[str]):
        self.centre: str = config.get("centre", "default")
        self.source_uri: str = config.get("source_uri", "amazon-connect")
        self.agent_ids: str = config.get("agent_id", "username")
        self.notes = notes
        self.last: dict[str, State] = {}

    def events(self, record: dict[str, Any]) -> list[Event]:
        kind = str(record.get("EventType", "")).upper()
        if kind not in EVENT_TYPES:
            raise BadRecord(
                f"EventType = {record.get('EventType')!r}: expected one of "
                f"{', '.join(sorted(EVENT_TYPES))}"
            )
        current = record.get("CurrentAgentSnapshot")
        agent = self._agent(record, current)
        state = derived_state(kind, current)
        if state is None:
            raise BadRecord(f"CurrentAgentSnapshot = {current!r}: expected the agent's snapshot")
        before = self._before(agent, record.get("PreviousAgentSnapshot"))
        self.last[agent] = state
        if before == state or (before is None and kind == "HEART_BEAT"):
            self.notes[UNCHANGED if before == state else HEARTBEAT_FIRST] += 1
            return []
        return [self._event(record, agent, state)]

    def _agent(self, record: dict[str, Any], snapshot: Any) -> str:
        configuration = snapshot.get("Configuration") if isinstance(snapshot, dict) else None
        fields = {"ARN": record.get("AgentARN"), **(configuration or {})}
        agent = agent_id(fields, self.agent_ids)
        if agent is None:
            raise BadRecord("AgentARN is missing; expected the agent's ARN")
        return agent

    def _before(self, agent: str, previous: Any) -> State | None:
        if isinstance(previous, dict):
            return derived_state("STATE_CHANGE", previous)
        return self.last.get(agent)

    def _event(self, record: dict[str, Any], agent: str, state: State) -> Event:
        if not record.get("EventId"):
            raise BadRecord("EventId is missing; expected the event's UUID")
        data: dict[str, Any] = {"state": state[0]}
        if state[1]:
            data["reason"] = state[1]
        return {
            "specversion": "1.0",
            "id": f"aws-connect-agent-{name_id(str(record['EventId']))}",
            "source": self.source_uri,
            "type": "agent.state_changed",
            "time": timestamp(record, "EventTimestamp"),
            "centre": self.centre,
            "agentid": agent,
            "data": data,
        }
