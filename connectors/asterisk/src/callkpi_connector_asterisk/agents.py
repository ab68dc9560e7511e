"""Each queue member's state as the queue_log tells it, kept across runs in the checkpoint.

Per agent: the queues it is a member of, whether it is logged in, its pause reason, the
call it is on, the last call it had and a wrap-up in progress. The rules:

* A login (AGENTLOGIN, AGENTCALLBACKLOGIN, the first ADDMEMBER) makes the agent available,
  a logoff (AGENTLOGOFF, AGENTCALLBACKLOGOFF, the last REMOVEMEMBER) logged out, at the
  times logged. While logged out, PAUSE / UNPAUSE / UNPAUSEALL change nothing: Wazo writes
  UNPAUSEALL (and an UNPAUSE per queue) a second *after* AGENTCALLBACKLOGOFF, and that is
  not a login. An agent never seen logging in (the input starts mid-shift) counts as
  logged in once it does anything.
* A pause during a call or a wrap-up takes effect when that ends.
* WRAPUPSTART (Wazo; data1 = the wrap-up time in seconds) puts the agent in
  after_contact_work for that long from the end of the call it follows (the call's
  logged end; WRAPUPSTART's own time when there is none), then back to available (or
  not_ready if paused meanwhile).
* The ready state after a call or a wrap-up is held back until a line *later* than the
  one that gave it is read: Wazo logs WRAPUPSTART in the same second as the call's
  COMPLETE*, and in the flat file's whole seconds an "available" and an
  "after_contact_work" at the same instant would have no order. A WRAPUPSTART (or the
  next call) in that instant replaces it.
* The same change logged per queue (PAUSEALL then a PAUSE for each queue) is one change.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Event = dict[str, Any]
# (agentid, time, data, event id) → the agent.state_changed event
MakeState = Callable[[str, datetime, Event, str], Event]


class AgentBook:
    """Agent records by agentid, short keys as they live in JSON: ``queues``, ``login`` (True, False, or
    None when never seen), ``paused`` (reason, "" or None), ``busy`` (callid), ``last``
    (callid), ``ready`` (the held-back ready state: {"at": its time, "after": the time a
    line must pass to release it (Unix s), "id": event id} or None), ``state`` ([state,
    reason])."""

    def __init__(self, records: dict[str, dict[str, Any]], make_state: MakeState):
        self.records = records
        self.make_state = make_state
        # (release time, agent) of the held-back ready states; stale entries are skipped
        self._due_heap = [
            (_after(r["ready"]), agent) for agent, r in records.items() if r.get("ready")
        ]
        heapq.heapify(self._due_heap)

    def record(self, agent: str) -> dict[str, Any]:
        record = self.records.get(agent)
        if record is None:
            record = self.records[agent] = {"queues": [], "paused": None, "busy": None}
        if "ready" not in record:  # new, or from a checkpoint older than these keys
            for key in ("state", "login", "last", "ready"):
                record.setdefault(key, None)
        return record

    def _logged_out(self, agent: str) -> bool:
        return self.record(agent)["login"] is False

    def _occupied(self, agent: str) -> bool:
        record = self.record(agent)
        return bool(record["busy"] or record["ready"])

    def change(
        self, agent: str, at: datetime, event_id: str, state: str, reason: str | None = None
    ) -> list[Event]:
        record = self.record(agent)
        if record["state"] == [state, reason]:  # per-queue repeats of one change
            return []
        record["state"] = [state, reason]
        data = {"state": state, "reason": reason[:64]} if reason else {"state": state}
        return [self.make_state(agent, at, data, event_id)]

    def ready(self, agent: str, at: datetime, event_id: str) -> list[Event]:
        """Available, or not_ready with the pause reason if paused."""
        paused = self.record(agent)["paused"]
        if paused is None:
            return self.change(agent, at, event_id, "available")
        return self.change(agent, at, event_id, "not_ready", paused or None)

    # -- calls -----------------------------------------------------------------------------

    def on_call(self, agent: str, callid: str, at: datetime, event_id: str) -> list[Event]:
        record = self.record(agent)
        record.update(login=True, busy=callid, last=callid, ready=None)
        return self.change(agent, at, event_id, "on_contact")

    def free(self, agent: str, at: datetime, line_time: datetime, event_id: str) -> list[Event]:
        """The call ended at ``at`` (logged on a line of ``line_time``): ready then, held
        back (see the module)."""
        record = self.record(agent)
        record["busy"] = None
        if not self._logged_out(agent) and not record["ready"]:
            after = max(at, line_time).timestamp()
            record["ready"] = {"at": at.timestamp(), "after": after, "id": event_id}
            heapq.heappush(self._due_heap, (after, agent))
        return []

    def wrapup(
        self, agent: str, line_time: datetime, seconds: float, event_id: str, end_id: str
    ) -> tuple[list[Event], datetime]:
        """After-contact work from the end of the call just ended; and when it ends."""
        record = self.record(agent)
        held = record["ready"]
        start = line_time.timestamp()
        if held and not record["busy"]:
            start = min(start, held["at"])
        end = start + seconds
        after = max(end, line_time.timestamp())
        record.update(login=True, ready={"at": end, "after": after, "id": end_id})
        heapq.heappush(self._due_heap, (after, agent))
        started = datetime.fromtimestamp(start, UTC)
        events = self.change(agent, started, event_id, "after_contact_work")
        return events, datetime.fromtimestamp(end, UTC)

    def due(self, now: float, inclusive: bool = False) -> list[Event]:
        """The held-back ready states released by a line at log time ``now`` (or by the
        input's end, ``inclusive``), each agent back to available or not ready."""
        events = []
        heap = self._due_heap
        while heap and (heap[0][0] < now or (inclusive and heap[0][0] == now)):
            after, agent = heapq.heappop(heap)
            ready = self.records[agent].get("ready")
            if ready and _after(ready) == after:  # else replaced or dropped meanwhile
                self.records[agent]["ready"] = None
                at = datetime.fromtimestamp(ready["at"], UTC)
                events += self.ready(agent, at, ready["id"])
        return events

    def restarted(self) -> None:
        for record in self.records.values():
            record["busy"] = None

    # -- logins and pauses -----------------------------------------------------------------

    def login(self, agent: str, at: datetime, event_id: str) -> list[Event]:
        self.record(agent)["login"] = True
        return [] if self._occupied(agent) else self.ready(agent, at, event_id)

    def logoff(self, agent: str, at: datetime, event_id: str) -> list[Event]:
        self.record(agent).update(queues=[], paused=None, busy=None, ready=None, login=False)
        return self.change(agent, at, event_id, "logged_out")

    def add_member(self, agent: str, queue: str, at: datetime, event_id: str) -> list[Event]:
        record = self.record(agent)
        if queue not in record["queues"]:
            record["queues"].append(queue)
        return self.login(agent, at, event_id)

    def remove_member(self, agent: str, queue: str, at: datetime, event_id: str) -> list[Event]:
        record = self.record(agent)
        record["queues"] = [q for q in record["queues"] if q != queue]
        return [] if record["queues"] else self.logoff(agent, at, event_id)

    def pause(self, agent: str, reason: str, at: datetime, event_id: str) -> list[Event]:
        if self._logged_out(agent):
            return []
        self.record(agent)["paused"] = reason
        return [] if self._occupied(agent) else self.ready(agent, at, event_id)

    def unpause(self, agent: str, at: datetime, event_id: str) -> list[Event]:
        if self._logged_out(agent):
            return []
        self.record(agent)["paused"] = None
        return [] if self._occupied(agent) else self.ready(agent, at, event_id)


def _after(ready: dict[str, Any]) -> float:
    """When a line releases a held-back ready state."""
    return ready.get("after", ready["at"])
