"""queue_log records → canonical events, keeping the little state a queue_log needs.

Field meanings follow Asterisk's queue_log documentation and app_queue.c: ENTERQUEUE
(url|callerid|position), CONNECT (holdtime|bridged uniqueid|ringtime, seconds),
COMPLETECALLER/COMPLETEAGENT (holdtime|calltime|origposition), ABANDON and
EXITWITHTIMEOUT/EXITEMPTY (position|origposition|waittime), EXITWITHKEY
(key|position|origposition|waittime), TRANSFER/BLINDTRANSFER
(extension|context|holdtime|calltime|origposition), ATTENDEDTRANSFER
(method|target…|holdtime|calltime|origposition), PAUSE/PAUSEALL (reason).

State (kept in the checkpoint, so it spans runs): calls seen but not finished, to
reconstruct an offer cut off at the input's start and to report calls still open at its
end; per agent the queues, the pause reason and the call in progress, so a pause taken
during a call starts when the call ends.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from callkpi.connectors import name_id

from .calls import CallBook
from .lines import BadLine, QueueLogLine

Event = dict[str, Any]
BLOCKED = {
    "FULL": "queue_full",
    "JOINEMPTY": "no_agents",
    "JOINUNAVAIL": "no_agents",
    "CLOSED": "closed",
}
INFORMATIONAL = frozenset(
    {"RINGNOANSWER", "RINGCANCELED", "CONFIGRELOAD", "DID", "INFO", "SYSCOMPAT", "AGENTDUMP"}
)
TRANSFER_KIND = {"TRANSFER": "unknown", "BLINDTRANSFER": "blind", "ATTENDEDTRANSFER": "attended"}
UNKNOWN_CALLERS = frozenset(
    {"", "anonymous", "unknown", "restricted", "private", "withheld", "<unknown>"}
)
NO_ONE = frozenset({"", "NONE"})


class EventMapper:
    """Maps records one at a time; ``finish`` closes a pass over the input."""

    def __init__(
        self, config: dict[str, Any], notes: Counter[str], state: dict[str, Any] | None = None
    ):
        state = state or {}
        self.centre: str = config.get("centre", "default")
        self.source_uri: str = config.get("source_uri", "asterisk")
        self.agent_ids: dict[str, str] = dict(config.get("agents", {}))
        self.notes = notes
        self.calls = CallBook(
            state.get("calls", {}), notes, config.get("max_call_age_h", 12) * 3600
        )
        self.agents: dict[str, dict[str, Any]] = state.get("agents", {})
        self._digest = ""
        self.handlers: dict[str, Callable[[QueueLogLine], list[Event]]] = {
            "ENTERQUEUE": self._enter,
            "CONNECT": self._connect,
            "ABANDON": self._abandon,
            "COMPLETECALLER": self._complete,
            "COMPLETEAGENT": self._complete,
            "EXITWITHTIMEOUT": self._timeout,
            "EXITEMPTY": self._timeout,
            "EXITWITHKEY": self._exit_with_key,
            "TRANSFER": self._transfer,
            "BLINDTRANSFER": self._transfer,
            "ATTENDEDTRANSFER": self._transfer,
            "ADDMEMBER": self._add_member,
            "REMOVEMEMBER": self._remove_member,
            "PAUSE": self._pause,
            "PAUSEALL": self._pause,
            "UNPAUSE": self._unpause,
            "UNPAUSEALL": self._unpause,
            "AGENTLOGIN": self._login,
            "AGENTCALLBACKLOGIN": self._login,
            "AGENTLOGOFF": self._logoff,
            "AGENTCALLBACKLOGOFF": self._logoff,
            "QUEUESTART": self._queue_start,
            **dict.fromkeys(BLOCKED, self._blocked),
        }

    def state(self) -> dict[str, Any]:
        """The JSON-able state to keep in the checkpoint (live: it changes as lines are mapped)."""
        return {"calls": self.calls.open, "agents": self.agents}

    def events(self, line: QueueLogLine, text: str) -> list[Event]:
        """The events of one record; ``text`` (the line as read) makes their ids."""
        handler = self.handlers.get(line.event)
        if handler is None:
            kind = (
                "informational, no canonical event"
                if line.event in INFORMATIONAL
                else "unknown event, skipped"
            )
            self.notes[f"{line.event} lines ({kind})"] += 1
            return []
        self._digest = hashlib.blake2b(
            f"{self.centre}\x1f{text}".encode(), digest_size=10
        ).hexdigest()
        return handler(line)

    def finish(self) -> list[Event]:
        """End of a pass: offers reconstructed for calls cut off at the start."""
        events = []
        for callid, queue, offered in self.calls.close_pass():
            self._digest = hashlib.blake2b(
                f"{self.centre}\x1f{callid}\x1freconstructed-offer".encode(), digest_size=10
            ).hexdigest()
            line = QueueLogLine(
                datetime.fromtimestamp(offered, UTC), callid, queue, "NONE", "ENTERQUEUE", ()
            )
            events.append(self._event(line, "o", "contact.offered", {}))
        return events

    # -- building events ------------------------------------------------------------------

    def _event(
        self,
        line: QueueLogLine,
        suffix: str,
        type_: str,
        data: Event,
        *,
        contact: bool = True,
        agent: str | None = None,
    ) -> Event:
        event = {
            "specversion": "1.0",
            "id": f"ast-{self._digest}-{suffix}",
            "source": self.source_uri,
            "type": type_,
            "time": line.time,
            "centre": self.centre,
            "data": data,
        }
        if contact:
            event["contactid"] = name_id(line.callid)
            event["channel"] = "voice"
        if agent:
            event["agentid"] = agent
        if line.queue not in NO_ONE:
            event["queue"] = line.queue
        return event

    def _agent(self, line: QueueLogLine) -> str:
        name = line.agent.strip()
        if name in NO_ONE:
            raise BadLine(
                f"agent = {line.agent!r}: expected the queue member's name on a {line.event} line"
            )
        if name not in self.agent_ids:
            self.agent_ids[name] = name_id(name)
        return self.agent_ids[name]

    def _agent_record(self, agent: str) -> dict[str, Any]:
        return self.agents.setdefault(
            agent, {"queues": [], "paused": None, "busy": None, "state": None}
        )

    def _agent_state(
        self, line: QueueLogLine, agent: str, state: str, reason: str | None = None
    ) -> list[Event]:
        record = self._agent_record(agent)
        if record["state"] == [
            state,
            reason,
        ]:  # per-queue repeats of one change (PAUSEALL + PAUSE …)
            return []
        record["state"] = [state, reason]
        data = {"state": state, "reason": reason[:64]} if reason else {"state": state}
        return [self._event(line, "s", "agent.state_changed", data, contact=False, agent=agent)]

    def _ready(self, line: QueueLogLine, agent: str) -> list[Event]:
        paused = self._agent_record(agent)["paused"]
        if paused is None:
            return self._agent_state(line, agent, "available")
        return self._agent_state(line, agent, "not_ready", paused or None)

    # -- calls -----------------------------------------------------------------------------

    def _enter(self, line: QueueLogLine) -> list[Event]:
        self.calls.offered(line)
        caller = line.data[1].strip() if len(line.data) > 1 else ""
        data = {"customer": caller[:64]} if caller.casefold() not in UNKNOWN_CALLERS else {}
        return [self._event(line, "o", "contact.offered", data)]

    def _connect(self, line: QueueLogLine) -> list[Event]:
        agent = self._agent(line)
        self.calls.seen(line, waited=line.number(0))
        ring = line.number(2)
        self._agent_record(agent)["busy"] = line.callid
        answered = self._event(
            line,
            "a",
            "contact.answered",
            {"ring_s": ring} if ring is not None and ring >= 0 else {},
            agent=agent,
        )
        return [answered, *self._agent_state(line, agent, "on_contact")]

    def _complete(self, line: QueueLogLine) -> list[Event]:
        agent = self._agent(line)
        hold, talk = line.number(0), line.number(1)
        self.calls.finished(
            line, waited=hold + talk if hold is not None and talk is not None else None
        )
        ended_by = "customer" if line.event == "COMPLETECALLER" else "agent"
        return [
            self._event(line, "e", "contact.ended", {"ended_by": ended_by}, agent=agent),
            *self._agent_free(line, agent),
        ]

    def _transfer(self, line: QueueLogLine) -> list[Event]:
        agent = self._agent(line)
        hold, talk = (
            line.number(-3),
            line.number(-2),
        )  # ATTENDEDTRANSFER's target takes 1–2 fields: count from the end
        self.calls.finished(
            line, waited=hold + talk if hold is not None and talk is not None else None
        )
        transferred = self._event(
            line, "t", "contact.transferred", {"kind": TRANSFER_KIND[line.event]}, agent=agent
        )
        ended = self._event(line, "e", "contact.ended", {"ended_by": "agent"}, agent=agent)
        return [transferred, ended, *self._agent_free(line, agent)]

    def _agent_free(self, line: QueueLogLine, agent: str) -> list[Event]:
        self._agent_record(agent)["busy"] = None
        return self._ready(line, agent)

    def _abandon(self, line: QueueLogLine) -> list[Event]:
        self.calls.finished(line, waited=line.number(2))
        return [self._event(line, "x", "contact.abandoned", {"phase": "queue"})]

    def _exit_with_key(self, line: QueueLogLine) -> list[Event]:
        self.calls.finished(line, waited=line.number(3))
        return [self._event(line, "x", "contact.abandoned", {"phase": "queue"})]

    def _timeout(self, line: QueueLogLine) -> list[Event]:
        self.calls.finished(line, waited=line.number(2))
        return [self._event(line, "x", "contact.ended", {"ended_by": "system", "timed_out": True})]

    def _blocked(self, line: QueueLogLine) -> list[Event]:
        self.calls.refused(line)
        return [self._event(line, "b", "contact.blocked", {"reason": BLOCKED[line.event]})]

    def _queue_start(self, line: QueueLogLine) -> list[Event]:
        self.calls.restarted()
        for record in self.agents.values():
            record["busy"] = None
        return []

    # -- agents ----------------------------------------------------------------------------

    def _add_member(self, line: QueueLogLine) -> list[Event]:
        agent = self._agent(line)
        record = self._agent_record(agent)
        if line.queue not in record["queues"]:
            record["queues"].append(line.queue)
        return [] if record["busy"] else self._ready(line, agent)

    def _remove_member(self, line: QueueLogLine) -> list[Event]:
        agent = self._agent(line)
        record = self._agent_record(agent)
        record["queues"] = [queue for queue in record["queues"] if queue != line.queue]
        return [] if record["queues"] else self._agent_state(line, agent, "logged_out")

    def _login(self, line: QueueLogLine) -> list[Event]:
        return self._ready(line, self._agent(line))

    def _logoff(self, line: QueueLogLine) -> list[Event]:
        agent = self._agent(line)
        self.agents[agent] = {
            "queues": [],
            "paused": None,
            "busy": None,
            "state": self._agent_record(agent)["state"],
        }
        return self._agent_state(line, agent, "logged_out")

    def _pause(self, line: QueueLogLine) -> list[Event]:
        agent = self._agent(line)
        record = self._agent_record(agent)
        record["paused"] = line.data[0].strip() if line.data else ""
        return [] if record["busy"] else self._ready(line, agent)

    def _unpause(self, line: QueueLogLine) -> list[Event]:
        agent = self._agent(line)
        record = self._agent_record(agent)
        record["paused"] = None
        return [] if record["busy"] else self._ready(line, agent)
