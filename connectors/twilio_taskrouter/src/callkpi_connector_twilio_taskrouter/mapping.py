"""TaskRouter events → canonical callkpi events, one event at a time and without state.

A task is a contact (``contactid`` = TaskSid), a worker an agent. Every canonical event's
id is ``twtr-<event sid>`` (plus a suffix when one TaskRouter event yields two), so a
re-delivered callback, a re-read page, or the same event from webhook *and* REST API is
a duplicate. No state is needed because the projector folds events in any order:

* ``task.created`` / ``task-queue.entered`` → ``contact.offered`` (the earliest wins);
* ``reservation.accepted`` → ``contact.answered`` (the earliest wins);
* ``task.wrapup`` → ``contact.ended``; ``task.completed`` → ``contact.ended`` (for tasks
  completed without a wrap-up; an earlier end wins) and ``contact.wrapup_completed``;
* ``task.canceled`` → ``contact.abandoned`` — TaskRouter cancels only tasks no worker has
  accepted — or, for a timeout reason, ``contact.ended`` with ``timed_out``;
* a transfer → ``contact.transferred`` of the initiating worker, when that worker leaves the
  task: a COLD one at ``task.transfer-initiated`` (the worker drops out at once), a WARM one at
  ``task.transfer-completed`` (the worker stays on until the target accepted; an attempt that
  fails emits nothing, so the first worker keeps the contact). The task keeps its sid, so the
  target's ``task-queue.entered`` (a queue transfer) and ``reservation.accepted`` continue the
  same contact: its next queue and agent legs;
* ``worker.activity.update`` → ``agent.state_changed`` through the activity map, and,
  with ``reservation_states``, reservation accepted / wrap-up / completed → on_contact /
  after_contact_work / the worker's activity, because Flex leaves the activity
  ``Available`` while a worker handles tasks;
* ``worker.created`` / ``worker.deleted`` → ``agent.joined`` / ``agent.left``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from callkpi.connectors import name_id

from .events import BadEvent, TaskRouterEvent

Event = dict[str, Any]
DEFAULT_CHANNELS = {"voice": "voice", "chat": "chat", "sms": "sms", "email": "email",
                    "video": "video", "default": "task"}
DEFAULT_ACTIVITIES: dict[str, dict[str, Any]] = {
    "available": {"state": "available"},
    "idle": {"state": "available"},
    "offline": {"state": "logged_out"},
    "busy": {"state": "on_contact"},
    "wrapup": {"state": "after_contact_work"},
    "wrap-up": {"state": "after_contact_work"},
    "wrap up": {"state": "after_contact_work"},
}
DEFAULT_TIMEOUT_REASONS = ("Task TTL Exceeded", "Task canceled on Workflow timeout")
# Known event types that carry nothing a KPI needs (counted, not mapped).
INFORMATIONAL = frozenset({
    "task.updated", "task.deleted", "task.system-deleted", "task-queue.moved",
    "task-queue.timeout", "reservation.created", "reservation.rejected",
    "reservation.timeout", "reservation.canceled", "reservation.rescinded",
    "reservation.failed", "task.transfer-failed",
    "task.transfer-attempt-failed", "task.transfer-canceled", "worker.attributes.update",
    "worker.capacity.update", "worker.channel.availability.update", "workflow.entered",
    "workflow.target-matched", "workflow.skipped", "workflow.timeout",
})
TRUE_WORDS = frozenset({"true", "yes", "1", "y"})
FALSE_WORDS = frozenset({"false", "no", "0", "n"})
UNKNOWN_CALLERS = frozenset({"anonymous", "unknown", "restricted", "private", "withheld"})


class EventMapper:
    """Maps TaskRouter events by the connector's config; counts what it skips in ``notes``."""

    def __init__(self, config: dict[str, Any], notes: Counter[str]):
        self.notes = notes
        self.centre: str = config.get("centre", "default")
        self.source_uri: str = config.get("source_uri", "twilio-taskrouter")
        self.agent_by_name = config.get("agent_id", "sid") == "name"
        self.customer_path: str = config.get("customer_attribute", "from")
        self.disposition_path: str = config.get("disposition_attribute", "disposition")
        self.resolved_path: str = config.get("resolved_attribute", "resolved")
        self.channels = {**DEFAULT_CHANNELS,
                         **{k.casefold(): v for k, v in config.get("channels", {}).items()}}
        self.activities = {**DEFAULT_ACTIVITIES,
                           **{k.casefold(): v for k, v in config.get("activities", {}).items()}}
        self.reservation_states: bool = config.get("reservation_states", True)
        self.timeout_reasons = {reason.casefold() for reason in
                                config.get("timeout_cancel_reasons", DEFAULT_TIMEOUT_REASONS)}
        self.handlers: dict[str, Callable[[TaskRouterEvent], list[Event]]] = {
            "task.created": self._offered,
            "task-queue.entered": self._offered,
            "reservation.accepted": self._accepted,
            "reservation.wrapup": self._reservation_wrapup,
            "reservation.completed": self._reservation_completed,
            "task.wrapup": self._wrapup,
            "task.completed": self._completed,
            "task.canceled": self._canceled,
            "task.transfer-initiated": self._transfer_initiated,
            "task.transfer-completed": self._transfer_completed,
            "worker.activity.update": self._activity,
            "worker.created": self._worker_created,
            "worker.deleted": self._worker_deleted,
        }

    def events(self, event: TaskRouterEvent) -> list[Event]:
        """The canonical events of one TaskRouter event; raises :class:`BadEvent`."""
        handler = self.handlers.get(event.type)
        if handler is None:
            kind = "informational" if event.type in INFORMATIONAL else "unknown event type"
            self.notes[f"{event.type} events ({kind}, skipped)"] += 1
            return []
        return handler(event)

    # -- building events -------------------------------------------------------------------

    def _event(self, source: TaskRouterEvent, type_: str, data: Event, suffix: str = "",
               **extensions: str | None) -> Event:
        event = {"specversion": "1.0", "id": f"twtr-{source.sid}{suffix}",
                 "source": self.source_uri, "type": type_, "time": source.time,
                 "centre": self.centre, "data": data}
        event.update({key: value for key, value in extensions.items() if value})
        return event

    def _contact(self, source: TaskRouterEvent, type_: str, data: Event, suffix: str = "",
                 agentid: str | None = None) -> Event:
        task = source.text("tasksid")
        if task is None:
            raise BadEvent(f"TaskSid = None: expected the task's sid on a {source.type} event")
        queue = source.text("taskqueuename") or source.text("taskqueuesid")
        return self._event(source, type_, data, suffix, contactid=name_id(task),
                           queue=queue[:128] if queue else None,
                           channel=self._channel(source), agentid=agentid)

    def _channel(self, source: TaskRouterEvent) -> str | None:
        name = source.text("taskchanneluniquename")
        if name is None:
            return None
        if name.casefold() not in self.channels:
            self.notes[f"task channel {name!r} not in channels (mapped to 'task')"] += 1
        return self.channels.get(name.casefold(), "task")

    def _agent(self, source: TaskRouterEvent) -> str:
        sid, name = source.text("workersid"), source.text("workername")
        chosen = name if self.agent_by_name and name else sid or name
        if chosen is None:
            raise BadEvent(f"WorkerSid = None: expected the worker's sid on a {source.type} event")
        return name_id(chosen)

    def _state(self, source: TaskRouterEvent, state: str, reason: str | None = None,
               is_break: bool | None = None, suffix: str = "") -> Event:
        data: Event = {"state": state}
        if reason:
            data["reason"] = reason[:64]
        if is_break is not None:
            data["is_break"] = is_break
        return self._event(source, "agent.state_changed", data, suffix,
                           agentid=self._agent(source))

    # -- contacts ----------------------------------------------------------------------------

    def _offered(self, source: TaskRouterEvent) -> list[Event]:
        attributes = self._attributes(source)
        data: Event = {}
        customer = _path(attributes, self.customer_path)
        if isinstance(customer, str | int) and str(customer).strip().casefold() not in (
            UNKNOWN_CALLERS | {""}
        ):
            data["customer"] = str(customer).strip()[:64]
        if str(attributes.get("direction", "")).casefold().startswith("outbound"):
            data["direction"] = "outbound"
        return [self._contact(source, "contact.offered", data)]

    def _accepted(self, source: TaskRouterEvent) -> list[Event]:
        agent = self._agent(source)
        answered = self._contact(source, "contact.answered", {}, agentid=agent)
        if not self.reservation_states:
            return [answered]
        return [answered, self._state(source, "on_contact", suffix="-s")]

    def _wrapup(self, source: TaskRouterEvent) -> list[Event]:
        return [self._contact(source, "contact.ended", {})]

    def _completed(self, source: TaskRouterEvent) -> list[Event]:
        attributes = self._attributes(source)
        data: Event = {}
        disposition = _path(attributes, self.disposition_path)
        if isinstance(disposition, str) and disposition.strip():
            data["disposition"] = disposition.strip()[:128]
        resolved = self._resolved(_path(attributes, self.resolved_path))
        if resolved is not None:
            data["resolved"] = resolved
        return [self._contact(source, "contact.ended", {}, "-e"),
                self._contact(source, "contact.wrapup_completed", data)]

    def _canceled(self, source: TaskRouterEvent) -> list[Event]:
        reason = source.text("taskcanceledreason") or source.text("reason") or ""
        if reason.casefold() in self.timeout_reasons:
            data = {"ended_by": "system", "timed_out": True}
            return [self._contact(source, "contact.ended", data)]
        return [self._contact(source, "contact.abandoned", {"phase": "queue"})]

    def _transfer_initiated(self, source: TaskRouterEvent) -> list[Event]:
        if _mode(source) != "COLD":  # a warm transfer's worker stays on until it completes
            self.notes["task.transfer-initiated events (warm: counted at completion)"] += 1
            return []
        return self._transferred(source)

    def _transfer_completed(self, source: TaskRouterEvent) -> list[Event]:
        if _mode(source) == "COLD":  # counted when it was initiated
            self.notes["task.transfer-completed events (cold: counted at initiation)"] += 1
            return []
        return self._transferred(source)

    def _transferred(self, source: TaskRouterEvent) -> list[Event]:
        data: Event = {"kind": {"COLD": "blind", "WARM": "attended"}.get(_mode(source), "unknown")}
        target, kind = source.text("transferto"), (source.text("transfertype") or "").upper()
        if target and kind in ("QUEUE", "WORKER"):
            data["to_queue" if kind == "QUEUE" else "to_agent"] = target[:128]
        return [self._contact(source, "contact.transferred", data,
                              agentid=self._initiating_worker(source))]

    def _initiating_worker(self, source: TaskRouterEvent) -> str | None:
        """The worker who passes the task on: its leg ends with the transfer. An event that
        names none — or, with ``agent_id = "name"``, no name — leaves the choice to the
        projector (the worker connected then) rather than name an agent no leg has."""
        sid = source.text("transferinitiatingworkersid") or source.text("workersid")
        chosen = source.text("workername") if self.agent_by_name else sid
        return name_id(chosen) if sid and chosen else None

    def _attributes(self, source: TaskRouterEvent) -> dict[str, Any]:
        attributes = source.attributes()
        if attributes is None:
            self.notes["TaskAttributes not a JSON object (customer, direction, "
                       "disposition not read)"] += 1
            return {}
        return attributes

    def _resolved(self, value: Any) -> bool | None:
        if isinstance(value, bool) or value is None:
            return value
        word = str(value).strip().casefold()
        if word in TRUE_WORDS | FALSE_WORDS:
            return word in TRUE_WORDS
        self.notes[f"{self.resolved_path} values not true/false (resolved left out)"] += 1
        return None

    # -- agents ------------------------------------------------------------------------------

    def _activity(self, source: TaskRouterEvent) -> list[Event]:
        name = source.text("workeractivityname")
        if name is None:
            raise BadEvent(
                "WorkerActivityName = None: expected the worker's new activity on a "
                "worker.activity.update event"
            )
        return [self._activity_state(source, name)]

    def _activity_state(self, source: TaskRouterEvent, name: str, suffix: str = "") -> Event:
        mapped = self.activities.get(name.casefold())
        if mapped is None:  # Break, Lunch, Meeting …: not ready, the activity is the reason
            return self._state(source, "not_ready", name, suffix=suffix)
        return self._state(source, mapped["state"], mapped.get("reason"), mapped.get("is_break"),
                           suffix)

    def _reservation_wrapup(self, source: TaskRouterEvent) -> list[Event]:
        if not self.reservation_states:
            self.notes["reservation.wrapup events (informational, skipped)"] += 1
            return []
        return [self._state(source, "after_contact_work", suffix="-s")]

    def _reservation_completed(self, source: TaskRouterEvent) -> list[Event]:
        name = source.text("workeractivityname")
        if not self.reservation_states or name is None:
            self.notes["reservation.completed events (informational, skipped)"] += 1
            return []
        return [self._activity_state(source, name, "-s")]

    def _worker_created(self, source: TaskRouterEvent) -> list[Event]:
        name = source.text("workername")
        data = {"name": name[:128]} if name else {}
        return [self._event(source, "agent.joined", data, agentid=self._agent(source))]

    def _worker_deleted(self, source: TaskRouterEvent) -> list[Event]:
        return [self._event(source, "agent.left", {}, agentid=self._agent(source))]


def _mode(source: TaskRouterEvent) -> str:
    """The transfer's TransferMode, COLD or WARM (upper case; empty when absent)."""
    return (source.text("transfermode") or "").upper()


def _path(attributes: dict[str, Any], dotted: str) -> Any:
    """``attributes['conversations']['outcome']`` for ``conversations.outcome``; None if absent."""
    value: Any = attributes
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
