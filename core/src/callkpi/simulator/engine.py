"""The discrete-event loop: arrivals, queues, agents, and the events all of it produces.

A heap of (time, sequence, handler, argument) drives everything; the sequence number
breaks ties in the order things were scheduled, so one seed always gives one history.
Waiting contacts sit in one FIFO per queue; a free agent takes the longest-waiting
contact of the queues it serves, and an arriving contact the agent idle the longest.
Contacts that hang up or move queue stay in their old FIFO and are skipped when reached
(each wait is a numbered *leg*, so a stale entry or patience timer is recognised).
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from .aftermath import Aftermath
from .agents import Agent, Shift, make_agents
from .config import QueueSpec, SimulationConfig
from .contacts import ANSWERED, GONE, WAITING, Contact, Outcome
from .durations import acw, talk
from .events import EventFactory
from .planning import Planner

PERSONAL_BREAK_SHARE = 0.03


class Simulation:
    """One seeded run of ``config``: iterate :meth:`events` for the canonical events, or
    call :meth:`run` and read :attr:`outcomes` (the queue statistics alone)."""

    def __init__(self, config: SimulationConfig):
        self.config = config
        self.rng = random.Random(config.seed)
        self.factory = EventFactory(f"sim{config.seed}", config.centre)
        self.queues = {q.name: q for q in config.queues}
        self.waiting: dict[str, deque[tuple[Contact, int]]] = {q: deque() for q in self.queues}
        self.queued = dict.fromkeys(self.queues, 0)
        self.idle: list[Agent] = []
        self.outcomes: list[Outcome] = []
        self.contacts = 0
        self._heap: list[tuple[float, int, Callable[[float, Any], None], Any]] = []
        self._sequence = count()
        self._out: list[dict[str, Any]] = []
        zone = ZoneInfo(config.timezone)
        self.day_starts = [
            datetime.combine(config.start + timedelta(days=d), time(), zone).timestamp()
            for d in range(config.days + 1)
        ]
        self.horizon = self.day_starts[-1]
        self.agents = make_agents(self.rng, config)
        self.aftermath = Aftermath(self)
        self.planner = Planner(self)

    def events(self) -> Iterator[dict[str, Any]]:
        """The run's events as canonical dicts, roughly in time order."""
        self.planner.plan()
        yield from self._drain()
        heap, pop = self._heap, heapq.heappop
        while heap:
            t, _, handler, argument = pop(heap)
            handler(t, argument)
            if self._out:
                yield from self._drain()

    def run(self) -> list[Outcome]:
        """Run to the end without keeping the events; the queued contacts' outcomes."""
        for _ in self.events():
            pass
        return self.outcomes

    def _drain(self) -> list[dict[str, Any]]:
        out, self._out = self._out, []
        return out

    # -- plumbing shared with the planner and the aftermath -------------------------------

    def at(self, t: float, handler: Callable[[float, Any], None], argument: Any = None) -> None:
        """Call ``handler(t, argument)`` at time ``t``."""
        heapq.heappush(self._heap, (t, next(self._sequence), handler, argument))

    def emit(self, t: float, event_type: str, data: dict[str, Any], **extensions: Any) -> None:
        """Record one event, unless it falls after the simulated days (it has not happened)."""
        if self.config.record_events and t < self.horizon:
            self._out.append(self.factory.event(t, event_type, data, **extensions))

    def contact_event(
        self,
        t: float,
        event_type: str,
        contact: Contact,
        data: dict[str, Any],
        agent: Agent | None = None,
    ) -> None:
        self.emit(
            t,
            event_type,
            data,
            contactid=contact.id,
            agentid=agent.id if agent else None,
            queue=contact.queue.name,
            channel=contact.queue.channel,
        )

    def set_state(self, t: float, agent: Agent, state: str, reason: str | None = None) -> None:
        if agent.state == state and state != "not_ready":
            return
        agent.state = state
        data = {"state": state} if reason is None else {"state": state, "reason": reason}
        self.emit(t, "agent.state_changed", data, agentid=agent.id)

    # -- contacts ----------------------------------------------------------------------------

    def arrive(self, t: float, repeat: tuple[QueueSpec, str] | None) -> None:
        """A contact arrives: a new customer, or ``(queue, customer)`` calling again."""
        queue, customer = repeat or (self._pick_queue(), self.aftermath.new_customer())
        self.contacts += 1
        contact = Contact(f"{self.factory.prefix}-c{self.contacts}", queue, customer, t, t)
        who = {"customer": customer}
        if queue.self_service_share and self.rng.random() < queue.self_service_share:
            self.contact_event(t, "contact.self_served", contact, {**who, "via": "ivr"})
        elif queue.max_queue is not None and self.queued[queue.name] >= queue.max_queue:
            self.contact_event(t, "contact.blocked", contact, {**who, "reason": "queue_full"})
        else:
            self.contact_event(t, "contact.offered", contact, {**who, "direction": "inbound"})
            self._enqueue(t, contact)

    def _pick_queue(self) -> QueueSpec:
        queues = self.config.queues
        if len(queues) == 1:
            return queues[0]
        return self.rng.choices(queues, weights=[q.share for q in queues])[0]

    def _enqueue(self, t: float, contact: Contact) -> None:
        agent = self._idle_agent(contact.queue.name)
        if agent is not None:
            self._answer(t, contact, agent)
            return
        self.waiting[contact.queue.name].append((contact, contact.leg))
        self.queued[contact.queue.name] += 1
        if not math.isinf(contact.queue.patience_s):
            patience = self.rng.expovariate(1 / contact.queue.patience_s)
            self.at(t + patience, self._abandon, (contact, contact.leg))

    def _idle_agent(self, queue: str) -> Agent | None:
        for index, agent in enumerate(self.idle):
            if queue in agent.skills:
                return self.idle.pop(index)
        return None

    def _abandon(self, t: float, waiting: tuple[Contact, int]) -> None:
        contact, leg = waiting
        if contact.state != WAITING or contact.leg != leg:
            return
        contact.state = GONE
        self.queued[contact.queue.name] -= 1
        self.contact_event(t, "contact.abandoned", contact, {"phase": "queue"})
        if leg == 0:
            self.outcomes.append(Outcome(contact.queue.name, t - contact.offered, False))
            self.aftermath.after_abandon(t, contact)

    def _answer(self, t: float, contact: Contact, agent: Agent) -> None:
        contact.state, contact.agent, agent.busy = ANSWERED, agent, True
        if contact.leg == 0:
            contact.wait = t - contact.offered
            self.outcomes.append(Outcome(contact.queue.name, contact.wait, True))
        self.contact_event(t, "contact.answered", contact, {}, agent)
        self.set_state(t, agent, "on_contact")
        end = t + talk(self.rng, contact.queue)
        end += self._hold(t, end, contact)
        queue = contact.queue
        moves = queue.transfer_to in self.queues and self.rng.random() < queue.transfer_share
        consults = not moves and queue.consult_share and self.rng.random() < queue.consult_share
        self.at(end, self._transfer if moves else self._consult if consults else self._end_talk, contact)

    def _hold(self, answered: float, talk_end: float, contact: Contact) -> float:
        """Maybe put the customer on hold once during the talk; the hold's length."""
        queue = contact.queue
        if not queue.hold_share or self.rng.random() >= queue.hold_share:
            return 0.0
        start = answered + self.rng.random() * (talk_end - answered)
        length = self.rng.expovariate(1 / queue.hold_s)
        self.contact_event(start, "contact.hold_started", contact, {}, contact.agent)
        self.contact_event(start + length, "contact.hold_ended", contact, {}, contact.agent)
        return length

    def _transfer(self, t: float, contact: Contact) -> None:
        target = self.queues[contact.queue.transfer_to or ""]
        self.contact_event(
            t,
            "contact.transferred",
            contact,
            {"kind": "blind", "to_queue": target.name},
            contact.agent,
        )
        agent = contact.agent
        assert agent is not None
        self.set_state(t, agent, "after_contact_work")
        self.at(t + acw(self.rng, contact.queue), self._passed_on_wrapup, (contact.id, contact.queue, agent))
        contact.queue, contact.leg, contact.state, contact.waited_from = (
            target,
            contact.leg + 1,
            WAITING,
            t,
        )
        # the canonical re-queue (DESIGN.md "Facts", contact legs): offered again, same contact
        self.contact_event(t, "contact.offered", contact, {"customer": contact.customer, "direction": "inbound"})
        self._enqueue(t, contact)

    def _consult(self, t: float, contact: Contact) -> None:
        """The agent puts the customer on hold and consults an idle colleague of the queue,
        then hands the contact over; with nobody idle the contact simply ends."""
        colleague = self._idle_agent(contact.queue.name)
        if colleague is None:
            self._end_talk(t, contact)
            return
        colleague.busy = True
        self.contact_event(t, "contact.hold_started", contact, {}, contact.agent)
        length = self.rng.expovariate(1 / contact.queue.consult_s)
        self.at(t + length, self._hand_over, (contact, colleague))

    def _hand_over(self, t: float, handing: tuple[Contact, Agent]) -> None:
        contact, colleague = handing
        agent = contact.agent
        assert agent is not None
        kind = self.rng.choice(("attended", "consult"))
        self.contact_event(t, "contact.answered", contact, {}, colleague)
        self.contact_event(t, "contact.hold_ended", contact, {}, colleague)
        data = {"kind": kind, "to_agent": colleague.id}
        self.contact_event(t, "contact.transferred", contact, data, agent)
        self.set_state(t, agent, "after_contact_work")
        self.at(t + acw(self.rng, contact.queue), self._passed_on_wrapup, (contact.id, contact.queue, agent))
        contact.agent = colleague
        self.set_state(t, colleague, "on_contact")
        self.at(t + talk(self.rng, contact.queue), self._end_talk, contact)

    def _passed_on_wrapup(self, t: float, passed: tuple[str, QueueSpec, Agent]) -> None:
        """The wrap-up of an agent who passed the contact on: their own ACW ends."""
        contactid, queue, agent = passed
        self.emit(
            t,
            "contact.wrapup_completed",
            {"disposition": "transferred"},
            contactid=contactid,
            agentid=agent.id,
            queue=queue.name,
            channel=queue.channel,
        )
        self.free(t, agent)

    def _end_talk(self, t: float, contact: Contact) -> None:
        self.contact_event(t, "contact.ended", contact, {"ended_by": "customer"})
        assert contact.agent is not None
        self.set_state(t, contact.agent, "after_contact_work")
        self.at(t + acw(self.rng, contact.queue), self._wrapup, contact)

    def _wrapup(self, t: float, contact: Contact) -> None:
        resolved = self.rng.random() >= contact.queue.unresolved_share
        disposition = "resolved" if resolved else "follow_up"
        self.contact_event(
            t,
            "contact.wrapup_completed",
            contact,
            {"disposition": disposition, "resolved": resolved},
            contact.agent,
        )
        self.aftermath.after_contact(t, contact, resolved)
        agent = contact.agent
        assert agent is not None
        if self.config.breaks and self.rng.random() < PERSONAL_BREAK_SHARE:
            agent.busy = False
            self.pause(t, agent, "personal", self.rng.uniform(120, 300))
        else:
            self.free(t, agent)

    # -- agents ------------------------------------------------------------------------------

    def login(self, t: float, agent: Agent) -> None:
        self.set_state(t, agent, "available")
        self.free(t, agent)

    def logout(self, t: float, agent: Agent) -> None:
        if agent.busy or agent.state == "not_ready":
            agent.pending = ("logout", 0.0)
            return
        if agent in self.idle:
            self.idle.remove(agent)
        self.set_state(t, agent, "logged_out")

    def planned_pause(self, t: float, pause: tuple[Agent, str, float]) -> None:
        agent, activity, length = pause
        if agent.state == "logged_out" or agent.pending is not None:
            return
        if agent.busy or agent.state == "not_ready":
            agent.pending = (activity, length)
        else:
            self.pause(t, agent, activity, length)

    def pause(self, t: float, agent: Agent, reason: str, length: float) -> None:
        if agent in self.idle:
            self.idle.remove(agent)
        self.set_state(t, agent, "not_ready", reason)
        self.at(t + length, self._resume, agent)

    def _resume(self, t: float, agent: Agent) -> None:
        agent.state = "resuming"  # not a reportable state: free() announces the next one
        self.free(t, agent)

    def free(self, t: float, agent: Agent) -> None:
        """The agent is done with what it was doing: a pending pause or logout, else the
        longest-waiting contact it can serve, else it waits for one."""
        agent.busy = False
        if agent.pending is not None:
            activity, length = agent.pending
            agent.pending = None
            if activity == "logout":
                self.logout(t, agent)
            else:
                self.pause(t, agent, activity, length)
            return
        contact = self._longest_waiting(agent)
        if contact is not None:
            self._answer(t, contact, agent)
            return
        self.set_state(t, agent, "available")
        self.idle.append(agent)

    def _longest_waiting(self, agent: Agent) -> Contact | None:
        best: deque[tuple[Contact, int]] | None = None
        for name in agent.skills:
            line = self.waiting[name]
            while line and (line[0][0].state != WAITING or line[0][0].leg != line[0][1]):
                line.popleft()
            if line and (best is None or line[0][0].waited_from < best[0][0].waited_from):
                best = line
        if best is None:
            return None
        contact = best.popleft()[0]
        self.queued[contact.queue.name] -= 1
        return contact

    def start_shift(self, shift: Shift, login_at: float) -> None:
        """Put one planned shift on the calendar: log in, the pauses, log out."""
        self.at(login_at, self.login, shift.agent)
        for pause in shift.pauses:
            self.at(pause.start, self.planned_pause, (shift.agent, pause.activity, pause.length))
        self.at(shift.end, self.logout, shift.agent)
