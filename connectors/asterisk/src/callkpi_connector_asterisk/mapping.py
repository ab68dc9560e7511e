"""queue_log records → canonical events, keeping the little state a queue_log needs.

Field meanings follow Asterisk's queue_log documentation (docs.asterisk.org, Operation →
Logging → Queue Logs) and app_queue.c: ENTERQUEUE (url|callerid|position), CONNECT
(holdtime|bridged uniqueid|ringtime, seconds), COMPLETECALLER/COMPLETEAGENT
(holdtime|calltime|origposition), ABANDON and EXITWITHTIMEOUT/EXITEMPTY
(position|origposition|waittime), EXITWITHKEY (key|position|origposition|waittime),
TRANSFER/BLINDTRANSFER (extension|context|holdtime|calltime|origposition),
ATTENDEDTRANSFER (method|target…|holdtime|calltime|origposition), PAUSE/PAUSEALL (reason),
OUTCALL (written by the QueueUpdate application: dialstatus|talktime|totaltime|callednumber).
Wazo (ex-XiVO) adds WRAPUPSTART (data1 = wrap-up seconds) and DIVERT_CA_RATIO /
DIVERT_HOLDTIME (the call was diverted before queueing: too many calls per agent, or
the expected wait too long — Wazo's statistics count both as *saturated*).

Times. Where a line carries the PBX's own duration it is used, the line's timestamp only
where it does not: the answer is laid at the leg's offer + CONNECT's holdtime, the end
at the answer + COMPLETE*/TRANSFER's calltime, an abandon or a timeout at the offer + its
waittime; CONNECT's ringtime is ``ring_s``. So wait and talk are what Asterisk counted,
even where the timestamps were written late (a database backend) or are whole seconds.
Without the earlier line (a call cut off at the input's start) the line's own time is
the anchor and the earlier events are laid back from it.

Calls. A call seen only from its end (first line CONNECT, COMPLETE* or *TRANSFER) is
answered by the agent on that line: its offer is rebuilt from the logged holdtime, a
COMPLETE/TRANSFER without a CONNECT gives the answer at end − calltime. A CONNECT or
COMPLETE whose agent is ``NONE`` is answered by an unknown agent: the canonical
``contact.answered`` must name one, so it is the agentid ``unknown`` (the config's agents
map renames it with the key ``NONE``), with no agent state. The same callid entering a queue again (an
overflow after EXITWITHTIMEOUT, a blind transfer into a queue) or connecting again after
a transfer gives the contact-leg sequence: ``contact.transferred`` (``to_queue``; not
repeated when the transfer line already gave it, none after the caller left with
EXITWITHKEY), ``contact.offered`` in the new queue, then its answer — all one contact.
A transfer's or timeout's ``contact.ended`` waits to see whether that happens
(see ``calls``). An outbound QueueUpdate call (OUTCALL) is an outbound contact: offered,
answered and ended when the dial status is ANSWER, else ``contact.setup_failed`` with
the status as the reason.

State (kept in the checkpoint, so it spans runs): the open calls (``calls``) and each
agent's queues, login, pause, call and wrap-up (``agents``).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from callkpi.connectors import name_id

from .agents import AgentBook
from .calls import NOT_A_CALL, CallBook, leg_moved_on
from .lines import BadLine, QueueLogLine

Event = dict[str, Any]
BLOCKED = {
    "FULL": "queue_full",
    "JOINEMPTY": "no_agents",
    "JOINUNAVAIL": "no_agents",
    "CLOSED": "closed",
    "DIVERT_CA_RATIO": "saturated_ca_ratio",
    "DIVERT_HOLDTIME": "saturated_holdtime",
}
INFORMATIONAL = frozenset(
    {"RINGNOANSWER", "RINGCANCELED", "CONFIGRELOAD", "DID", "INFO", "SYSCOMPAT", "AGENTDUMP"}
)
TRANSFER_KIND = {"TRANSFER": "unknown", "BLINDTRANSFER": "blind", "ATTENDEDTRANSFER": "attended"}
UNKNOWN_CALLERS = frozenset(
    {"", "anonymous", "unknown", "restricted", "private", "withheld", "<unknown>"}
)
NO_ONE = frozenset({"", "NONE"})
# contact.answered must name an agent: a member logged as NONE answers as this agentid
# (the config's agents map may rename it, key "NONE").
UNKNOWN_AGENT = "unknown"


class EventMapper:
    """Maps records one at a time; ``finish`` closes a pass over the input."""

    def __init__(
        self, config: dict[str, Any], notes: Counter[str], state: dict[str, Any] | None = None
    ):
        state = state or {}
        self.centre: str = config.get("centre", "default")
        self.source_uri: str = config.get("source_uri", "asterisk")
        self.agent_ids: dict[str, str] = dict(config.get("agents", {}))
        self.unknown_agent = self.agent_ids.get("NONE", UNKNOWN_AGENT)
        self.notes = notes
        self.calls = CallBook(
            state.get("calls", {}), notes, config.get("max_call_age_h", 12) * 3600
        )
        self.agents = AgentBook(state.get("agents", {}), self._state_event)
        self._digest = ""
        self._carried: list[Event] = []
        self.latest = self.calls.newest  # the newest log time read (the end of a pass)
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
            "OUTCALL": self._outcall,
            "WRAPUPSTART": self._wrapup,
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
        return {"calls": self.calls.open, "agents": self.agents.records}

    def events(self, line: QueueLogLine, text: str) -> list[Event]:
        """The events of one record; ``text`` (the line as read) makes their ids. Ends held
        back (a transfer's, a wrap-up's) whose time has come by this line go first."""
        self.latest = max(self.latest, line.time.timestamp())
        handler = self.handlers.get(line.event)
        if handler is None:
            kind = (
                "informational, no canonical event"
                if line.event in INFORMATIONAL
                else "unknown event, skipped"
            )
            self.notes[f"{line.event} lines ({kind})"] += 1
            return self._due(line.time.timestamp(), keep=line.callid)
        self._digest = hashlib.blake2b(
            f"{self.centre}\x1f{text}".encode(), digest_size=10
        ).hexdigest()
        due = self._due(line.time.timestamp(), keep=line.callid)
        try:
            return [*due, *handler(line)]
        except BadLine:
            self._carried += due  # the line is quarantined; what fell due goes with the next
            raise

    def finish(self) -> list[Event]:
        """End of a pass: ends now due, offers reconstructed for calls cut off at the start."""
        events = self._due(self.latest, inclusive=True)
        for offer in self.calls.close_pass():
            events.append(self._reconstructed(*offer))
        return events

    def _due(self, now: float, keep: str | None = None, inclusive: bool = False) -> list[Event]:
        """Ends held back whose time has come by log time ``now`` (and any carried over)."""
        carried, self._carried = self._carried, []
        ends = [
            self._make(
                end["id"],
                _time(end["at"]),
                "contact.ended",
                end["data"],
                callid=callid,
                queue=end["queue"],
                agent=end["agent"],
            )
            for callid, end in self.calls.due_ends(now, keep)
        ]
        return [*carried, *ends, *self.agents.due(now, inclusive)]

    # -- building events ------------------------------------------------------------------

    def _id(self, suffix: str) -> str:
        return f"ast-{self._digest}-{suffix}"

    def _make(
        self,
        event_id: str,
        at: datetime,
        type_: str,
        data: Event,
        *,
        callid: str | None = None,
        queue: str | None = None,
        agent: str | None = None,
    ) -> Event:
        event = {
            "specversion": "1.0",
            "id": event_id,
            "source": self.source_uri,
            "type": type_,
            "time": at,
            "centre": self.centre,
            "data": data,
        }
        if callid is not None:
            event["contactid"] = name_id(callid)
            event["channel"] = "voice"
        if agent:
            event["agentid"] = agent
        if queue not in NO_ONE and queue is not None:
            event["queue"] = queue
        return event

    def _contact(
        self,
        line: QueueLogLine,
        suffix: str,
        type_: str,
        data: Event,
        at: datetime | None = None,
        agent: str | None = None,
    ) -> Event:
        return self._make(
            self._id(suffix),
            at or line.time,
            type_,
            data,
            callid=line.callid,
            queue=line.queue,
            agent=agent,
        )

    def _state_event(self, agent: str, at: datetime, data: Event, event_id: str) -> Event:
        return self._make(event_id, at, "agent.state_changed", data, agent=agent)

    def _reconstructed(self, callid: str, queue: str, offered: float) -> Event:
        digest = hashlib.blake2b(
            f"{self.centre}\x1f{callid}\x1freconstructed-offer".encode(), digest_size=10
        ).hexdigest()
        return self._make(
            f"ast-{digest}-o", _time(offered), "contact.offered", {}, callid=callid, queue=queue
        )

    def _agent(self, line: QueueLogLine) -> str:
        agent = self._agent_or_none(line)
        if agent is None:
            raise BadLine(
                f"agent = {line.agent!r}: expected the queue member's name on a {line.event} line"
            )
        return agent

    def _agent_or_none(self, line: QueueLogLine) -> str | None:
        """The agentid of the line's member; None for ``NONE`` (no agent state to keep)."""
        name = line.agent.strip()
        if name in NO_ONE:
            return None
        if name not in self.agent_ids:
            self.agent_ids[name] = name_id(name)
        return self.agent_ids[name]

    # -- calls -----------------------------------------------------------------------------

    def _enter(self, line: QueueLogLine) -> list[Event]:
        events: list[Event] = []
        if self.calls.known(line.callid) and self._next_leg(line):
            events = self._requeue(line)
        self.calls.offered(line)
        caller = line.data[1].strip() if len(line.data) > 1 else ""
        data = {"customer": caller[:64]} if caller.casefold() not in UNKNOWN_CALLERS else {}
        return [*events, self._contact(line, "o", "contact.offered", data)]

    def _next_leg(self, line: QueueLogLine) -> bool:
        """Does this ENTERQUEUE open the call's next queue leg? Yes when the current leg
        moved on (answered, ended, transferred) before it — an ENTERQUEUE older than that is
        the leg's own offer read out of order — or, still waiting, it is another queue."""
        call = self.calls.call(line)
        if leg_moved_on(call):
            return line.time.timestamp() >= (call["lt"] or call["t"])
        return call["o"] and line.queue != call["q"]

    def _requeue(self, line: QueueLogLine) -> list[Event]:
        """Close the call's current leg as left for ``line.queue`` and open the next one."""
        call = self.calls.call(line)
        events = []
        if offer := self.calls.reconstruct(line.callid):
            events.append(self._reconstructed(*offer))
        if not (call["tr"] or call["ab"]):
            on_it = call.get("ag") if call["aa"] is not None and not call["x"] else None
            data = {"kind": "unknown"}
            if line.queue not in NO_ONE:
                data["to_queue"] = line.queue
            events.append(self._contact(line, "t", "contact.transferred", data, agent=on_it))
        self.calls.requeued(line)
        return events

    def _connect(self, line: QueueLogLine) -> list[Event]:
        agent = self._agent_or_none(line)
        hold = _duration(line.number(0))
        events: list[Event] = []
        if self.calls.known(line.callid) and self._transferred_on(line):
            events = self._requeue(line)
            offered = line.time.timestamp() - (hold or 0.0)
            self.calls.offered(line)
            self.calls.call(line)["oa"] = offered
            events.append(self._contact(line, "o", "contact.offered", {}, _time(offered)))
        call = self.calls.call(line)
        at = _after(call["oa"], hold, line)
        self.calls.answered(line, at, waited=hold)
        who = call["ag"] = agent or self.unknown_agent
        ring = _duration(line.number(2))
        when = _time(at)
        data = {"ring_s": ring} if ring is not None else {}
        events.append(self._contact(line, "a", "contact.answered", data, when, who))
        if agent:
            events += self.agents.on_call(agent, line.callid, when, self._id("s"))
        return events

    def _transferred_on(self, line: QueueLogLine) -> bool:
        """A CONNECT after the call's leg ended in a transfer (or ended): its next leg."""
        call = self.calls.call(line)
        ended = bool(call.get("pe") or call["tr"] or call["x"])
        return ended and line.time.timestamp() >= (call["lt"] or call["t"])

    def _answered_at_end(
        self, line: QueueLogLine, agent: str | None, hold: float | None, talk: float | None
    ) -> tuple[list[Event], float]:
        """The answer of a call whose end comes without its CONNECT: at end − calltime by
        the agent on the line, waited holdtime; and the time the answer is at."""
        call = self.calls.call(line)
        if call["aa"] is not None:
            return [], call["aa"]
        at = line.time.timestamp() - (talk or 0.0)
        self.calls.answered(line, at, waited=hold)
        who = call["ag"] = agent or self.unknown_agent
        when = _time(at)
        events = [self._contact(line, "a", "contact.answered", {}, when, who)]
        if agent:
            events += self.agents.on_call(agent, line.callid, when, self._id("c"))
        return events, at

    def _complete(self, line: QueueLogLine) -> list[Event]:
        agent = self._agent_or_none(line)
        hold, talk = _duration(line.number(0)), _duration(line.number(1))
        events, answered = self._answered_at_end(line, agent, hold, talk)
        at = _after(answered, talk, line)
        self.calls.finished(line, at, waited=None)
        ended_by = "customer" if line.event == "COMPLETECALLER" else "agent"
        when = _time(at)
        who = agent or self.unknown_agent
        events.append(self._contact(line, "e", "contact.ended", {"ended_by": ended_by}, when, who))
        return events + self._free(agent, when, line)

    def _free(self, agent: str | None, when: datetime, line: QueueLogLine) -> list[Event]:
        return self.agents.free(agent, when, line.time, self._id("s")) if agent else []

    def _transfer(self, line: QueueLogLine) -> list[Event]:
        agent = self._agent_or_none(line)
        # ATTENDEDTRANSFER's target takes 1–2 fields: count from the end
        hold, talk = _duration(line.number(-3)), _duration(line.number(-2))
        events, answered = self._answered_at_end(line, agent, hold, talk)
        at = _after(answered, talk, line)
        end = {
            "at": at,
            "id": self._id("e"),
            "queue": line.queue,
            "agent": agent or self.unknown_agent,
            "data": {"ended_by": "agent"},
        }
        self.calls.pending(line, at, waited=None, end=end)
        when = _time(at)
        data = {"kind": TRANSFER_KIND[line.event]}
        who = agent or self.unknown_agent
        events.append(self._contact(line, "t", "contact.transferred", data, when, who))
        return events + self._free(agent, when, line)

    def _waited(self, line: QueueLogLine, index: int) -> tuple[float, float | None]:
        """When the caller left the queue (offer + the logged waittime in data ``index``)
        and that waittime."""
        waited = _duration(line.number(index))
        return _after(self.calls.call(line)["oa"], waited, line), waited

    def _abandon(self, line: QueueLogLine, index: int = 2) -> list[Event]:
        at, waited = self._waited(line, index)
        self.calls.left(line, at, waited)
        return [self._contact(line, "x", "contact.abandoned", {"phase": "queue"}, _time(at))]

    def _exit_with_key(self, line: QueueLogLine) -> list[Event]:
        return self._abandon(line, index=3)

    def _timeout(self, line: QueueLogLine) -> list[Event]:
        at, waited = self._waited(line, 2)
        end = {
            "at": at,
            "id": self._id("x"),
            "queue": line.queue,
            "agent": None,
            "data": {"ended_by": "system", "timed_out": True},
        }
        self.calls.pending(line, at, waited, end)
        return []

    def _blocked(self, line: QueueLogLine) -> list[Event]:
        self.calls.refused(line)
        return [self._contact(line, "b", "contact.blocked", {"reason": BLOCKED[line.event]})]

    def _outcall(self, line: QueueLogLine) -> list[Event]:
        """QueueUpdate's OUTCALL, logged at the outbound call's hangup: dialstatus|talktime|
        totaltime|callednumber (Asterisk's DIALSTATUS, ANSWEREDTIME, DIALEDTIME, DIALEDNUMBER)."""
        if line.callid in NOT_A_CALL:
            raise BadLine(f"callid = {line.callid!r}: expected the outbound call's uniqueid")
        status = line.data[0].strip().upper() if line.data else ""
        if not status:
            raise BadLine(
                "data1 = '': expected the dial status (ANSWER, BUSY, NOANSWER, CANCEL, "
                "CONGESTION, CHANUNAVAIL …) on an OUTCALL line"
            )
        agent = self._agent_or_none(line) or self.unknown_agent
        end = line.time.timestamp()
        talk, total = _duration(line.number(1)), _duration(line.number(2))
        dialled = _time(end - max(total or 0.0, talk or 0.0))
        called = line.data[3].strip() if len(line.data) > 3 else ""
        data: Event = {"direction": "outbound"}
        if called.casefold() not in UNKNOWN_CALLERS:
            data["customer"] = called[:64]
        if status != "ANSWER":
            data["reason"] = status.lower()[:64]
            return [self._contact(line, "f", "contact.setup_failed", data, dialled, agent)]
        answered = _time(end - (talk or 0.0))
        return [
            self._contact(line, "o", "contact.offered", data, dialled, agent),
            self._contact(line, "a", "contact.answered", {}, answered, agent),
            self._contact(line, "e", "contact.ended", {"ended_by": "unknown"}, None, agent),
        ]

    def _queue_start(self, line: QueueLogLine) -> list[Event]:
        self.calls.restarted()
        self.agents.restarted()
        return []

    # -- agents ----------------------------------------------------------------------------

    def _wrapup(self, line: QueueLogLine) -> list[Event]:
        agent = self._agent(line)
        seconds = _duration(line.number(0))
        if seconds is None:
            raise BadLine(
                f"data1 = {(line.data or ('',))[0]!r}: expected the wrap-up time in seconds "
                "on a WRAPUPSTART line"
            )
        events, ended = self.agents.wrapup(agent, line.time, seconds, self._id("s"), self._id("r"))
        callid = line.callid if line.callid not in NOT_A_CALL else self.agents.record(agent)["last"]
        if callid:
            events.append(
                self._make(
                    self._id("w"),
                    ended,
                    "contact.wrapup_completed",
                    {},
                    callid=callid,
                    queue=line.queue,
                    agent=agent,
                )
            )
        return events

    def _add_member(self, line: QueueLogLine) -> list[Event]:
        return self.agents.add_member(self._agent(line), line.queue, line.time, self._id("s"))

    def _remove_member(self, line: QueueLogLine) -> list[Event]:
        return self.agents.remove_member(self._agent(line), line.queue, line.time, self._id("s"))

    def _login(self, line: QueueLogLine) -> list[Event]:
        return self.agents.login(self._agent(line), line.time, self._id("s"))

    def _logoff(self, line: QueueLogLine) -> list[Event]:
        return self.agents.logoff(self._agent(line), line.time, self._id("s"))

    def _pause(self, line: QueueLogLine) -> list[Event]:
        reason = line.data[0].strip() if line.data else ""
        return self.agents.pause(self._agent(line), reason, line.time, self._id("s"))

    def _unpause(self, line: QueueLogLine) -> list[Event]:
        return self.agents.unpause(self._agent(line), line.time, self._id("s"))


def _duration(value: float | None) -> float | None:
    """A logged duration: a number ≥ 0, else None (absent or garbled)."""
    return value if value is not None and value >= 0 else None


def _after(start: float | None, duration: float | None, line: QueueLogLine) -> float:
    """``start`` + the logged ``duration`` where both are known, else the line's own time."""
    if start is None or duration is None:
        return line.time.timestamp()
    return start + duration


def _time(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
