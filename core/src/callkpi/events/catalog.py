"""The v1 event types that ship with callkpi core, declared as data."""

from __future__ import annotations

from typing import NamedTuple

from . import agent, business, contact, survey, workforce
from .envelope import EventData


class BuiltinType(NamedTuple):
    name: str
    data_model: type[EventData]
    requires: tuple[str, ...]
    description: str


CONTACT = ("contactid",)
AGENT = ("agentid",)

V1_TYPES: tuple[BuiltinType, ...] = (
    BuiltinType(
        "contact.offered",
        contact.ContactOfferedData,
        CONTACT,
        "A contact arrived and was offered to a queue (or, outbound, was dialled).",
    ),
    BuiltinType(
        "contact.blocked",
        contact.ContactBlockedData,
        CONTACT,
        "A contact was refused before queueing: busy signal, queue full, centre closed.",
    ),
    BuiltinType(
        "contact.setup_failed",
        contact.ContactSetupFailedData,
        CONTACT,
        "A contact attempt never connected (network or setup failure).",
    ),
    BuiltinType(
        "contact.self_served",
        contact.ContactSelfServedData,
        CONTACT,
        "A contact was completed in self-service (IVR, bot, web) without an agent.",
    ),
    BuiltinType(
        "contact.answered",
        contact.ContactAnsweredData,
        (*CONTACT, "agentid"),
        "An agent accepted the contact; the wait in queue ends here.",
    ),
    BuiltinType("contact.hold_started", contact.ContactHoldStartedData, CONTACT, "The agent put the customer on hold."),
    BuiltinType("contact.hold_ended", contact.ContactHoldEndedData, CONTACT, "The customer came back from hold."),
    BuiltinType(
        "contact.transferred",
        contact.ContactTransferredData,
        CONTACT,
        "The contact was transferred to another queue, agent or outside number.",
    ),
    BuiltinType(
        "contact.abandoned", contact.ContactAbandonedData, CONTACT, "The customer hung up before an agent answered."
    ),
    BuiltinType(
        "contact.ended",
        contact.ContactEndedData,
        CONTACT,
        "The conversation ended (talk ends; after-contact work may follow).",
    ),
    BuiltinType(
        "contact.wrapup_completed",
        contact.ContactWrapupCompletedData,
        CONTACT,
        "The agent finished after-contact work, with disposition and resolved flag.",
    ),
    BuiltinType(
        "contact.recorded",
        contact.ContactRecordedData,
        CONTACT,
        "One complete contact, for sources that only export summaries.",
    ),
    BuiltinType(
        "agent.state_changed",
        agent.AgentStateChangedData,
        AGENT,
        "An agent entered a state; the state lasts until the agent's next state change.",
    ),
    BuiltinType("agent.joined", agent.AgentJoinedData, AGENT, "An agent joined the centre."),
    BuiltinType("agent.left", agent.AgentLeftData, AGENT, "An agent left the centre."),
    BuiltinType("agent.updated", agent.AgentUpdatedData, AGENT, "An agent's name, team or site changed."),
    BuiltinType(
        "schedule.published", workforce.SchedulePublishedData, AGENT, "Planned activity segments for one agent."
    ),
    BuiltinType(
        "forecast.published",
        workforce.ForecastPublishedData,
        ("queue",),
        "Forecast offered volume and handle time per interval for one queue.",
    ),
    BuiltinType("case.opened", business.CaseOpenedData, (), "A case (ticket) was opened."),
    BuiltinType("case.resolved", business.CaseResolvedData, (), "A case was resolved."),
    BuiltinType("qa.evaluated", business.QaEvaluatedData, AGENT, "A quality evaluation of an agent's contact."),
    BuiltinType(
        "sale.recorded", business.SaleRecordedData, (), "A sale, attributed to a contact and agent when known."
    ),
    BuiltinType("survey.scheduled", survey.SurveyScheduledData, CONTACT, "A post-contact survey was scheduled."),
    BuiltinType("survey.sent", survey.SurveySentData, CONTACT, "The survey's first message was handed to the channel."),
    BuiltinType(
        "survey.delivered", survey.SurveyDeliveredData, CONTACT, "The channel confirmed delivery to the customer."
    ),
    BuiltinType("survey.failed", survey.SurveyFailedData, CONTACT, "The survey could not be delivered."),
    BuiltinType(
        "survey.response_received", survey.SurveyResponseReceivedData, CONTACT, "The customer answered one question."
    ),
    BuiltinType("survey.opted_out", survey.SurveyOptedOutData, (), "The customer asked never to be surveyed again."),
    BuiltinType(
        "survey.expired", survey.SurveyExpiredData, CONTACT, "The survey closed unanswered or partly answered."
    ),
)
