"""Generate docs/examples/events.jsonl: two days of a small contact centre, as canonical events.

    uv run python docs/examples/generate_events.py > docs/examples/events.jsonl

Deterministic (a fixed seed, standard library only), so the committed file can be checked
against this script's output. Centre ``default`` (UTC), queues ``sales`` and ``support``,
ten agents, voice and chat, 2026-03-02 and 2026-03-03. Callers' numbers come from the
Ofcom range reserved for drama (+44 20 7946 0000 to 0999): fictional by design.
"""

from __future__ import annotations

import json
import random
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

SEED = 20260302
DAYS = (date(2026, 3, 2), date(2026, 3, 3))
CONTACTS_PER_QUEUE_DAY = 78
CHAT_SHARE = {"sales": 0.15, "support": 0.3}
DISPOSITIONS = {"sales": ("sale", "quote_sent", "no_interest", "info"),
                "support": ("fixed", "advice", "escalated", "callback_promised")}
# A shift, as (minutes from shift start, minutes long, activity): 8 hours in all.
SHIFT = ((0, 120, "work"), (120, 15, "break"), (135, 105, "work"), (240, 30, "lunch"),
         (270, 120, "work"), (390, 15, "break"), (405, 75, "work"))
SOURCES = {"pbx": "urn:example:pbx", "wfm": "urn:example:wfm", "crm": "urn:example:crm",
           "qa": "urn:example:qa", "survey": "urn:example:survey-gateway"}

LONG_AGO = datetime.min.replace(tzinfo=UTC)


@dataclass
class Window:
    start: datetime
    end: datetime
    activity: str


@dataclass
class Agent:
    agentid: str
    name: str
    queue: str
    site: str
    windows: list[Window] = field(default_factory=list)
    free_at: datetime = LONG_AGO
    # (answered, ended, wrap-up end) of each handled contact, for the state timeline.
    handled: list[tuple[datetime, datetime, datetime]] = field(default_factory=list)

    def next_slot(self, earliest: datetime, length: timedelta) -> datetime | None:
        """The first moment at or after ``earliest`` when the agent is working, free, and
        can finish a contact of ``length`` before the working window closes."""
        for window in self.windows:
            start = max(earliest, window.start, self.free_at)
            if window.activity == "work" and start + length <= window.end:
                return start
        return None


AGENTS = [
    Agent("a01", "Ada Jansen", "sales", "amsterdam"),
    Agent("a02", "Bram de Vries", "sales", "amsterdam"),
    Agent("a03", "Chloë Bakker", "sales", "rotterdam"),
    Agent("a04", "Daan Visser", "sales", "rotterdam"),
    Agent("a05", "Eva Smit", "sales", "amsterdam"),
    Agent("a06", "Finn Meijer", "support", "amsterdam"),
    Agent("a07", "Gina Mulder", "support", "rotterdam"),
    Agent("a08", "Hugo de Boer", "support", "amsterdam"),
    Agent("a09", "Iris Dekker", "support", "rotterdam"),
    Agent("a10", "Jens Bos", "support", "amsterdam"),
]


class Feed:
    """The events made so far; written out in time order, the way a live feed would deliver them."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.events: list[tuple[datetime, int, dict[str, Any]]] = []

    def emit(self, type_: str, at: datetime, data: dict[str, Any] | None = None,
             source: str = "pbx", **extensions: Any) -> None:
        event_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        event = {"specversion": "1.0", "id": event_id,
                 "source": SOURCES[source], "type": type_, "time": stamp(at), "centre": "default"}
        event.update({key: value for key, value in extensions.items() if value is not None})
        event["data"] = data or {}
        self.events.append((at, len(self.events), event))

    def lines(self) -> list[str]:
        ordered = sorted(self.events, key=lambda e: e[:2])
        return [json.dumps(event, ensure_ascii=False) for _, _, event in ordered]


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def seconds(value: float) -> timedelta:
    return timedelta(seconds=round(value))


def plan_shifts(feed: Feed, day: date) -> None:
    for index, agent in enumerate(AGENTS):
        start = at(day, 8 if index % 2 == 0 else 9)
        shift = list(SHIFT)
        if agent.agentid == "a03" and day == DAYS[1]:  # a team meeting in a work block
            shift[4:5] = [(270, 30, "meeting"), (300, 90, "work")]
        agent.windows = [Window(start + timedelta(minutes=off),
                                start + timedelta(minutes=off + length), activity)
                         for off, length, activity in shift]
        segments = [{"start": stamp(w.start), "end": stamp(w.end), "activity": w.activity}
                    for w in agent.windows]
        published = datetime.combine(day - timedelta(days=3), time(12), tzinfo=UTC)
        feed.emit("schedule.published", published, {"segments": segments}, "wfm",
                  agentid=agent.agentid)


def arrival_times(rng: random.Random, day: date, count: int) -> list[datetime]:
    """Arrivals between 08:15 and 16:45 with a mid-morning peak."""
    minutes = [min(max(rng.triangular(15, 525, 150), 15), 525) for _ in range(count)]
    return sorted(at(day, 8) + seconds(m * 60) for m in minutes)


def publish_forecast(feed: Feed, day: date, queue: str) -> None:
    intervals = []
    for slot in range(36):  # 08:00 to 17:00 in 15-minute steps
        minute = slot * 15 + 7.5
        peak = 1 - abs(minute - 150) / 400
        offered = round(max(CONTACTS_PER_QUEUE_DAY * peak / 22, 0.5), 1)
        intervals.append({"start": stamp(at(day, 8) + timedelta(minutes=slot * 15)),
                          "offered": offered, "aht_s": 390.0 if queue == "sales" else 450.0})
    published = datetime.combine(day - timedelta(days=1), time(15), tzinfo=UTC)
    feed.emit("forecast.published", published, {"interval_minutes": 15, "intervals": intervals},
              "wfm", queue=queue)


@dataclass
class Call:
    contactid: str
    queue: str
    channel: str
    customer: str
    offered: datetime

    @property
    def ext(self) -> dict[str, str]:
        return {"contactid": self.contactid, "queue": self.queue, "channel": self.channel}


def customer_for(rng: random.Random, channel: str) -> str:
    """A small pool, so repeat callers happen as they do in life."""
    if channel == "chat":
        return f"cust-{rng.randrange(60):05d}"
    return f"+44 20 7946 0{rng.randrange(180):03d}"


def offer(feed: Feed, call: Call) -> None:
    data = {"customer": call.customer, "direction": "inbound",
            "language": "en-GB" if "+44" in call.customer else "nl-NL",
            "entry_point": "+44 20 7946 0999" if call.channel == "voice" else "web-chat"}
    feed.emit("contact.offered", call.offered, data, **call.ext)


def run_contact(feed: Feed, call: Call) -> None:
    rng = feed.rng
    offer(feed, call)
    announcement = seconds(rng.uniform(3, 25) if call.channel == "voice" else rng.uniform(5, 40))
    ring = seconds(rng.uniform(2, 9)) if call.channel == "voice" else timedelta(0)
    talk = seconds(rng.uniform(120, 540) if call.channel == "voice" else rng.uniform(180, 900))
    acw = seconds(rng.uniform(20, 120))
    patience = seconds(rng.uniform(15, 400))
    choices = [(slot, agent) for agent in AGENTS if agent.queue == call.queue
               if (slot := agent.next_slot(call.offered + announcement, ring + talk + acw))]
    slot, agent = min(choices, key=lambda pair: (pair[0], pair[1].agentid), default=(None, None))
    if slot is None or slot - call.offered > patience or rng.random() < 0.03:
        abandoned = call.offered + min(patience, announcement * 3)
        feed.emit("contact.abandoned", abandoned, {"phase": "queue"}, **call.ext)
        return
    answered = slot + ring
    ended = answered + talk
    wrapped = ended + acw
    agent.free_at = wrapped + seconds(rng.uniform(5, 30))
    agent.handled.append((answered, ended, wrapped))
    converse(feed, call, agent, answered, ended)
    wrap_up(feed, call, agent, ended, wrapped)


def converse(feed: Feed, call: Call, agent: Agent, answered: datetime, ended: datetime) -> None:
    rng, ext = feed.rng, {**call.ext, "agentid": agent.agentid}
    ring_s = None if call.channel == "chat" else float(rng.randint(2, 9))
    feed.emit("contact.answered", answered, {"ring_s": ring_s} if ring_s else {}, **ext)
    if call.channel == "voice" and rng.random() < 0.25:
        talk = (ended - answered).total_seconds()
        hold_start = answered + seconds(rng.uniform(0.2, 0.5) * talk)
        feed.emit("contact.hold_started", hold_start, **ext)
        feed.emit("contact.hold_ended", hold_start + seconds(rng.uniform(15, 0.3 * talk)), **ext)
    if rng.random() < 0.05:
        transfer = {"kind": "blind", "to_queue": "back-office", "external": True}
        feed.emit("contact.transferred", ended - seconds(2), transfer, **ext)
        feed.emit("contact.ended", ended, {"ended_by": "system"}, **ext)
        return
    feed.emit("contact.ended", ended, {"ended_by": rng.choice(("customer", "agent"))}, **ext)


def wrap_up(feed: Feed, call: Call, agent: Agent, ended: datetime, wrapped: datetime) -> None:
    rng, ext = feed.rng, {**call.ext, "agentid": agent.agentid}
    disposition = rng.choice(DISPOSITIONS[call.queue])
    resolved = disposition in {"sale", "fixed", "advice", "info"} or rng.random() < 0.2
    wrapup = {"disposition": disposition, "resolved": resolved}
    feed.emit("contact.wrapup_completed", wrapped, wrapup, **ext)
    if disposition == "sale":
        data = {"saleid": f"s-{call.contactid}", "amount": round(rng.uniform(20, 600), 2),
                "currency": "EUR", "cross_sell": rng.random() < 0.3,
                "product": rng.choice(("fibre-500", "mobile-xl", "tv-plus"))}
        feed.emit("sale.recorded", wrapped, data, "crm", **ext)
    if call.queue == "support" and not resolved:
        open_case(feed, call, agent, wrapped)
    if rng.random() < 0.08:
        score = float(rng.randint(55, 100))
        form = "voice-2026" if call.channel == "voice" else "chat-2026"
        data = {"evaluationid": f"qa-{call.contactid}", "form": form, "score": score,
                "max_score": 100.0, "evaluator": "tl-north"}
        evening = datetime.combine(wrapped.date(), time(18), tzinfo=UTC)
        feed.emit("qa.evaluated", evening, data, "qa", **ext)
    if call.channel == "voice" and rng.random() < 0.3:
        survey(feed, call, wrapped)


def open_case(feed: Feed, call: Call, agent: Agent, wrapped: datetime) -> None:
    caseid = f"case-{call.contactid}"
    ext = {"contactid": call.contactid, "agentid": agent.agentid}
    feed.emit("case.opened", wrapped, {"caseid": caseid, "category": "technical"}, "crm", **ext)
    if feed.rng.random() < 0.7:
        resolved = wrapped + seconds(feed.rng.uniform(1800, 30000))
        feed.emit("case.resolved", resolved, {"caseid": caseid}, "crm", **ext)


def survey(feed: Feed, call: Call, wrapped: datetime) -> None:
    rng, ext = feed.rng, {"contactid": call.contactid, "queue": call.queue, "channel": call.channel}
    surveyid = f"sv-{call.contactid}"
    due = wrapped + timedelta(minutes=5)
    plan = {"surveyid": surveyid, "instruments": ["nps", "csat"], "channel": "sms",
            "language": "en-GB", "due_at": stamp(due)}
    feed.emit("survey.scheduled", wrapped, plan, "survey", **ext)
    message = {"surveyid": surveyid, "message_id": f"SM{rng.getrandbits(64):016x}"}
    feed.emit("survey.sent", due, {**message, "channel": "sms"}, "survey", **ext)
    if rng.random() < 0.08:
        failure = {"surveyid": surveyid, "reason": "unreachable handset", "code": "30003"}
        feed.emit("survey.failed", due + seconds(4), failure, "survey", **ext)
        return
    feed.emit("survey.delivered", due + seconds(3), message, "survey", **ext)
    fate = rng.random()
    if fate < 0.3:
        expired = due + timedelta(hours=24)
        feed.emit("survey.expired", expired, {"surveyid": surveyid}, "survey", **ext)
        return
    if fate < 0.33:
        stop = {"surveyid": surveyid, "customer": call.customer, "channel": "sms"}
        feed.emit("survey.opted_out", due + seconds(40), stop, "survey", contactid=call.contactid)
        return
    answer(feed, ext, surveyid, due)


def answer(feed: Feed, ext: dict[str, str], surveyid: str, due: datetime) -> None:
    nps = float(min(10, max(0, round(feed.rng.gauss(7.8, 2.2)))))
    reply = {"surveyid": surveyid, "instrument": "nps", "scale": "0-10", "score": nps}
    feed.emit("survey.response_received", due + seconds(70), reply, "survey", **ext)
    csat = float(min(5, max(1, round(nps / 2))))
    reply = {"surveyid": surveyid, "instrument": "csat", "scale": "1-5", "score": csat}
    feed.emit("survey.response_received", due + seconds(95), reply, "survey", **ext)


def agent_timeline(feed: Feed, agent: Agent) -> None:
    """State changes that follow the shift: log in, contacts, breaks, log out."""
    ext = {"agentid": agent.agentid}

    def state(when: datetime, name: str, **data: Any) -> None:
        feed.emit("agent.state_changed", when, {"state": name, **data}, **ext)

    login = agent.windows[0].start - seconds(feed.rng.uniform(30, 240))
    state(login, "available")
    for answered, ended, wrapped in agent.handled:
        state(answered, "on_contact")
        state(ended, "after_contact_work")
        state(wrapped, "available")
    for window, following in zip(agent.windows, agent.windows[1:], strict=False):
        if window.activity != "work":
            is_break = window.activity != "meeting"
            state(window.start, "not_ready", reason=window.activity, is_break=is_break)
            if following.activity == "work":  # lunch then a meeting: one change, not two
                state(window.end, "available")
    state(agent.windows[-1].end + seconds(feed.rng.uniform(0, 300)), "logged_out")
    agent.handled.clear()


def roster(feed: Feed) -> None:
    joined = at(DAYS[0] - timedelta(days=1), 12)
    for agent in AGENTS:
        team = f"team-{agent.queue}"
        profile = {"name": agent.name, "team": team, "site": agent.site}
        feed.emit("agent.joined", joined, profile, "wfm", agentid=agent.agentid)
    feed.emit("agent.updated", at(DAYS[1], 7), {"site": "rotterdam"}, "wfm", agentid="a05")
    left = {"reason": "moved to back office"}
    feed.emit("agent.left", at(DAYS[1], 19), left, "wfm", agentid="a10")


def special_contacts(feed: Feed, day: date) -> None:
    """One of each rarer outcome per day, so every contact type appears."""
    n = day.day

    def ext(kind: str, queue: str = "support") -> dict[str, str]:
        return {"contactid": f"{kind}-{n:02d}", "queue": queue, "channel": "voice"}

    customer = {"customer": f"+44 20 7946 0{900 + n:03d}"}
    blocked, failed = {**customer, "reason": "queue_full"}, {**customer, "reason": "trunk_busy"}
    feed.emit("contact.blocked", at(day, 10, 2), blocked, **ext("blocked"))
    feed.emit("contact.setup_failed", at(day, 11, 41), failed, **ext("setup"))
    served = {**customer, "via": "ivr", "language": "en-GB"}
    feed.emit("contact.self_served", at(day, 12, 5), served, **ext("ivr", "sales"))
    feed.emit("contact.offered", at(day, 16, 50), customer, **ext("timeout"))
    timed_out = {"ended_by": "system", "timed_out": True}
    feed.emit("contact.ended", at(day, 17, 0), timed_out, **ext("timeout"))
    offered, answered = at(day, 13, 10), at(day, 13, 31)
    ended = answered + timedelta(minutes=6)
    summary = {**customer, "outcome": "answered", "offered_at": stamp(offered),
               "answered_at": stamp(answered), "ended_at": stamp(ended), "talk_s": 360.0,
               "disposition": "advice", "resolved": True, "first_response_s": 1260.0}
    email = {**ext("email"), "channel": "email", "agentid": "a07"}
    feed.emit("contact.recorded", ended, summary, "crm", **email)


def simulate_day(feed: Feed, day: date) -> None:
    plan_shifts(feed, day)
    calls = []
    for queue in ("sales", "support"):
        publish_forecast(feed, day, queue)
        arrivals = arrival_times(feed.rng, day, CONTACTS_PER_QUEUE_DAY)
        for number, offered in enumerate(arrivals, start=1):
            channel = "chat" if feed.rng.random() < CHAT_SHARE[queue] else "voice"
            contactid = f"{queue[:2]}-{day:%m%d}-{number:03d}"
            calls.append(Call(contactid, queue, channel, customer_for(feed.rng, channel), offered))
    for call in sorted(calls, key=lambda c: (c.offered, c.contactid)):
        run_contact(feed, call)
    for agent in AGENTS:
        agent_timeline(feed, agent)
    special_contacts(feed, day)


def main() -> None:
    feed = Feed(random.Random(SEED))
    roster(feed)
    for day in DAYS:
        simulate_day(feed, day)
    sys.stdout.write("".join(line + "\n" for line in feed.lines()))


if __name__ == "__main__":
    main()
