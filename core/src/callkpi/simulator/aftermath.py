"""What follows a contact: the customer calling again, surveys, sales, cases and QA.

The survey answers follow the experience: a long wait, an unresolved issue and a weaker
agent lower them, so NPS, CSAT and CES move with the service level as they do in life.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .events import iso

if TYPE_CHECKING:
    from .engine import Contact, Simulation

DAY_S = 86400.0
WAIT_PAIN_S = 300.0
"""A wait this long (or longer) costs the experience its full wait penalty."""
SALE_AMOUNT_MEDIAN = 80.0
SURVEY_DELAY_S = 300.0


class Aftermath:
    """Draws each contact's consequences with the simulation's random stream."""

    def __init__(self, simulation: Simulation):
        self.sim = simulation
        self.spec = simulation.config.aftermath
        self.customers = 0

    def new_customer(self) -> str:
        """A phone number nobody has called from yet in this run (London, E.164)."""
        self.customers += 1
        return f"+4420{self.sim.config.seed % 100:02d}{self.customers:06d}"

    def after_abandon(self, t: float, contact: Contact) -> None:
        """Some callers who hung up try again within the hour."""
        rng = self.sim.rng
        if rng.random() < self.spec.retry_after_abandon:
            self._call_again(t + rng.uniform(120, 3600), contact)

    def after_contact(self, t: float, contact: Contact, resolved: bool) -> None:
        """The consequences of an answered contact, once its wrap-up is done."""
        rng, spec = self.sim.rng, self.spec
        repeat_share = spec.repeat_if_resolved if resolved else spec.repeat_if_unresolved
        if rng.random() < repeat_share:
            # same time of day a day or a few later: the centre is open then too
            days = rng.choice((1, 1, 1, 2, 3))
            self._call_again(t + days * DAY_S + rng.gauss(0, 1800), contact)
        queue = contact.queue
        if queue.sale_share and rng.random() < queue.sale_share:
            self._sale(t, contact)
        if queue.case_share and rng.random() < queue.case_share:
            self._case(t, contact, resolved)
        if spec.qa_share and rng.random() < spec.qa_share:
            self._qa(t, contact)
        if spec.survey_share and rng.random() < spec.survey_share:
            self._survey(t, contact, resolved)

    def _call_again(self, t: float, contact: Contact) -> None:
        if t < self.sim.horizon:
            self.sim.at(t, self.sim.arrive, (contact.queue, contact.customer))

    def _sale(self, t: float, contact: Contact) -> None:
        rng = self.sim.rng
        data = {
            "saleid": f"{contact.id}-sale",
            "amount": round(rng.lognormvariate(0, 0.5) * SALE_AMOUNT_MEDIAN, 2),
            "currency": "EUR",
            "cross_sell": rng.random() < 0.3,
            "product": rng.choice(("broadband", "mobile", "tv")),
        }
        self.sim.contact_event(t, "sale.recorded", contact, data, contact.agent)

    def _case(self, t: float, contact: Contact, resolved: bool) -> None:
        caseid = f"{contact.id}-case"
        opened = {"caseid": caseid, "category": contact.queue.name}
        self.sim.contact_event(t, "case.opened", contact, opened, contact.agent)
        mean_s = DAY_S / 2 if resolved else 2 * DAY_S
        closed = t + self.sim.rng.expovariate(1 / mean_s)
        self.sim.contact_event(closed, "case.resolved", contact, {"caseid": caseid})

    def _qa(self, t: float, contact: Contact) -> None:
        rng, agent = self.sim.rng, contact.agent
        assert agent is not None
        score = min(100.0, max(0.0, rng.gauss(agent.quality * 100, 8)))
        data = {
            "evaluationid": f"{contact.id}-qa",
            "form": "standard",
            "score": round(score, 1),
            "max_score": 100.0,
            "evaluator": "qa-team",
        }
        self.sim.contact_event(t + rng.uniform(3600, DAY_S), "qa.evaluated", contact, data, agent)

    def _survey(self, t: float, contact: Contact, resolved: bool) -> None:
        sim = self.sim
        surveyid = f"{contact.id}-survey"
        channel = "sms" if contact.queue.channel == "voice" else "web"
        sent = t + SURVEY_DELAY_S
        scheduled = {
            "surveyid": surveyid,
            "instruments": ["nps", "csat", "ces"],
            "channel": channel,
            "due_at": iso(sent),
        }
        sim.contact_event(t, "survey.scheduled", contact, scheduled, contact.agent)
        sim.contact_event(sent, "survey.sent", contact, {"surveyid": surveyid, "channel": channel})
        sim.contact_event(sent + 5, "survey.delivered", contact, {"surveyid": surveyid})
        if sim.rng.random() < self.spec.survey_response_share:
            self._answers(sent + sim.rng.expovariate(1 / 1800), contact, surveyid, resolved)

    def _answers(self, t: float, contact: Contact, surveyid: str, resolved: bool) -> None:
        experience = self.experience(contact, resolved)
        for offset, (instrument, scale, low, high) in enumerate(INSTRUMENTS):
            score = round(low + (high - low) * experience)
            data = {
                "surveyid": surveyid,
                "instrument": instrument,
                "scale": scale,
                "score": min(high, max(low, score)),
            }
            self.sim.contact_event(t + 20 * offset, "survey.response_received", contact, data)

    def experience(self, contact: Contact, resolved: bool) -> float:
        """How the customer felt, from 0 (awful) to 1 (delighted), before rounding."""
        agent = contact.agent
        quality = agent.quality if agent else 0.5
        wait_pain = 0.35 * min(contact.wait / WAIT_PAIN_S, 1.0)
        mood = 0.55 + 0.45 * quality - wait_pain - (0 if resolved else 0.25)
        return min(1.0, max(0.0, mood + self.sim.rng.gauss(0, 0.12)))


INSTRUMENTS = (("nps", "0-10", 0, 10), ("csat", "1-5", 1, 5), ("ces", "1-7", 1, 7))  # the gateway asks CES 2.0 on 1–7
