"""The store's tables. Times are aware datetimes stored as UTC (SQLModel's UTCDateTime);
local-time bucket columns are written by the projector, so no SQL dialect needs time zones."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class StoredEvent(SQLModel, table=True):
    """The append-only event store. ``body`` is the canonical JSON with customer ids hashed."""

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_contact", "centre", "contactid"),
        Index("ix_event_agent", "centre", "agentid", "time"),
        Index("ix_event_centre_received", "centre", "received_at"),  # the snapshot's watermark
    )

    id: str = Field(primary_key=True, max_length=200)
    type: str = Field(max_length=100, index=True)
    source: str = Field(max_length=500)
    time: datetime
    centre: str = Field(max_length=64)
    contactid: str | None = Field(default=None, max_length=128)
    agentid: str | None = Field(default=None, max_length=128)
    queue: str | None = Field(default=None, max_length=128)
    channel: str | None = Field(default=None, max_length=16)
    body: str = Field(sa_type=Text)
    content_hash: str = Field(max_length=64)
    received_at: datetime


class QuarantinedInput(SQLModel, table=True):
    """Input that could not be stored, kept whole with every reason so it can be fixed and replayed."""

    __tablename__ = "quarantine"

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(index=True)
    origin: str = Field(max_length=500, description="Where it came from: file:line, API request, connector row.")
    raw: str = Field(sa_type=Text)
    reasons: str = Field(sa_type=Text, description="JSON list of readable reasons.")
    event_id: str | None = Field(default=None, max_length=200, index=True)
    centre: str | None = Field(default=None, max_length=64)
    status: str = Field(default="open", max_length=16, index=True, description="open, replayed or discarded.")
    resolved_at: datetime | None = None


class Centre(SQLModel, table=True):
    """A contact centre (tenant) with its IANA time zone and its settings as JSON."""

    __tablename__ = "centre"

    name: str = Field(primary_key=True, max_length=64)
    timezone: str = Field(max_length=64)
    settings: str = Field(default="{}", sa_type=Text)
    created_at: datetime


class ApiKey(SQLModel, table=True):
    """An API key, stored as a SHA-256 hash; ``prefix`` identifies it in listings."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    prefix: str = Field(max_length=16, unique=True)
    key_hash: str = Field(max_length=64, unique=True)
    scope: str = Field(max_length=16, description="ingest, read, admin or survey.")
    centre: str = Field(max_length=64)
    label: str = Field(default="", max_length=128)
    created_at: datetime
    revoked_at: datetime | None = None


class Checkpoint(SQLModel, table=True):
    """Where a connector stopped reading a source (file offset, API cursor …), as JSON."""

    __tablename__ = "checkpoint"

    connector: str = Field(primary_key=True, max_length=64)
    source: str = Field(primary_key=True, max_length=500)
    value: str = Field(sa_type=Text)
    updated_at: datetime


class InstallationSetting(SQLModel, table=True):
    """Facts about this installation, e.g. the fingerprint of the HMAC key its facts were made with."""

    __tablename__ = "installation"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_type=Text)


class LocalBuckets(SQLModel):
    """Local-time bucket columns of the centre's time zone, written by the projector."""

    # indexed with the centre by period_index below
    local_date: date | None = None
    local_interval: int | None = Field(
        default=None, description="Minutes since local midnight of the 15-minute interval start."
    )
    local_hour: int | None = None
    local_weekday: int | None = Field(default=None, description="ISO weekday, 1 = Monday.")
    local_week: date | None = Field(default=None, description="Monday of the local ISO week.")
    local_month: date | None = Field(default=None, description="First day of the local month.")


class ContactFact(LocalBuckets, table=True):
    """One row per contact, folded from all of its events. Durations in seconds."""

    __tablename__ = "fact_contact"
    __table_args__ = (
        Index("ix_fact_contact_customer", "centre", "customer_hmac", "offered_at"),
        Index("ix_fact_contact_offered", "centre", "offered_at"),
        # the end of the data over every centre (the censoring KPIs' max(offered_at)) is
        # then one index step instead of a full scan; (centre, offered_at) serves one centre
        Index("ix_fact_contact_offered_at", "offered_at"),
    )

    centre: str = Field(primary_key=True, max_length=64)
    contactid: str = Field(primary_key=True, max_length=128)
    queue: str | None = Field(default=None, max_length=128, description="The queue it was first offered to.")
    channel: str | None = Field(default=None, max_length=16)
    direction: str | None = Field(default=None, max_length=16)
    agentid: str | None = Field(default=None, max_length=128, description="The first agent who answered.")
    customer_hmac: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=35)
    offered_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    wrapup_ended_at: datetime | None = None
    outcome: str | None = Field(default=None, max_length=16, description="None while the contact is in progress.")
    wait_s: float | None = None
    ring_s: float | None = None
    talk_s: float | None = None
    hold_s: float | None = None
    hold_count: int = 0
    longest_hold_s: float | None = None
    acw_s: float | None = None
    handle_s: float | None = None
    transfers: int = 0
    first_response_s: float | None = None
    disposition: str | None = Field(default=None, max_length=128)
    resolved: bool | None = None
    revenue: float = 0.0
    sales: int = 0
    next_contact_gap_s: float | None = Field(
        default=None, description="Seconds from this offer to the same customer's next offer."
    )
    callback_of: str | None = Field(default=None, max_length=128, description="The contact this one calls back.")
    recovered_after_s: float | None = Field(
        default=None,
        description="Abandoned or timed out: seconds from giving up to the customer being reached "
        "again (projector.recovery); None while not reached.",
    )
    recovered_by: str | None = Field(
        default=None, max_length=16, description="How the customer was reached again: inbound, outbound or callback."
    )
    recovery_contactid: str | None = Field(default=None, max_length=128, description="The contact that reached them.")


class ContactLegFact(LocalBuckets, table=True):
    """One row per leg of a contact (``projector.legs``): a *queue* leg each time it entered a
    queue, an *agent* leg for each agent who handled it. Queue KPIs count queue legs, agent KPIs
    agent legs (Amazon Connect: a contact record per transfer; Genesys Cloud: a segment per
    participant). A leg belongs to the local interval in which it was offered: a queue leg's
    offer, an agent leg's the offer of the queue leg it answered (else the transfer that
    routed it to the agent). Durations in seconds."""

    __tablename__ = "fact_contact_leg"
    __table_args__ = (Index("ix_fact_contact_leg_offered", "centre", "offered_at"),)

    centre: str = Field(primary_key=True, max_length=64)
    contactid: str = Field(primary_key=True, max_length=128)
    seq: int = Field(primary_key=True, description="The leg's place among the contact's legs, in time order.")
    leg: str = Field(max_length=8, description="queue or agent.")
    queue: str | None = Field(default=None, max_length=128, description="Agent leg: the queue it answered.")
    agentid: str | None = Field(default=None, max_length=128, description="Queue leg: who answered it.")
    channel: str | None = Field(default=None, max_length=16)
    direction: str | None = Field(default=None, max_length=16)
    language: str | None = Field(default=None, max_length=35)
    offered_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = Field(default=None, description="Left the queue, or the agent left.")
    wrapup_ended_at: datetime | None = None
    outcome: str | None = Field(
        default=None,
        max_length=16,
        description="Queue leg: answered, abandoned, timed_out or transferred; agent leg: completed or "
        "transferred; None while the leg lasts.",
    )
    wait_s: float | None = None
    ring_s: float | None = None
    talk_s: float | None = None
    hold_s: float | None = None
    hold_count: int = 0
    longest_hold_s: float | None = None
    acw_s: float | None = None
    handle_s: float | None = None
    transfer_kind: str | None = Field(default=None, max_length=16, description="blind, attended, consult or unknown.")
    to_queue: str | None = Field(default=None, max_length=128)
    to_agent: str | None = Field(default=None, max_length=128)


class AgentStateTime(LocalBuckets):
    """Per agent and 15-minute interval (UTC start): seconds in each state, breaks started."""

    centre: str = Field(primary_key=True, max_length=64)
    agentid: str = Field(primary_key=True, max_length=128)
    interval_start: datetime = Field(primary_key=True)
    staffed_s: float = 0.0
    available_s: float = 0.0
    on_contact_s: float = 0.0
    acw_s: float = 0.0
    not_ready_s: float = 0.0
    breaks_started: int = 0


class AgentIntervalFact(AgentStateTime, table=True):
    """An agent's closed state episodes per interval, and schedule adherence."""

    __tablename__ = "fact_agent_interval"

    scheduled_s: float = 0.0
    adherent_s: float = 0.0


class AgentOpenEpisode(SQLModel, table=True):
    """Each logged-in agent's still-open state episode: its latest ``agent.state_changed``
    when that is not logged_out (``projector.open_episodes``). Its time up to the centre's
    data end is in ``fact_agent_open_interval``; ``counted_to`` says up to when."""

    __tablename__ = "agent_open_episode"

    centre: str = Field(primary_key=True, max_length=64)
    agentid: str = Field(primary_key=True, max_length=128)
    state: str = Field(max_length=32)
    started_at: datetime
    is_break: bool = False
    counted_to: datetime | None = Field(
        default=None, description="The data end its interval rows reach; None: not counted yet."
    )


class AgentOpenIntervalFact(AgentStateTime, table=True):
    """The time of an agent's still-open episode per interval, from its start to the centre's
    data end. Refreshed lazily (before a report); deleted when the episode's end arrives,
    whose time ``fact_agent_interval`` then holds."""

    __tablename__ = "fact_agent_open_interval"


class CentreDataEnd(SQLModel, table=True):
    """The end of a centre's data: the latest ``time`` of its stored contact and agent-state
    events (``projector.open_episodes``), up to which open episodes are counted."""

    __tablename__ = "centre_data_end"

    centre: str = Field(primary_key=True, max_length=64)
    data_end: datetime


class ScheduleSegment(SQLModel, table=True):
    """One planned segment of a ``schedule.published`` event, so that ingest reads an agent's
    plan only where it reaches into a batch's window (``projector.schedule_segments``)."""

    __tablename__ = "schedule_segment"
    __table_args__ = (Index("ix_schedule_segment_agent_end", "centre", "agentid", "end_at"),)

    event_id: str = Field(primary_key=True, max_length=200)
    seq: int = Field(primary_key=True, description="The segment's place in its publication.")
    centre: str = Field(max_length=64)
    agentid: str = Field(max_length=128)
    published_at: datetime = Field(description="The publication's event time: later ones overwrite.")
    start_at: datetime
    end_at: datetime
    activity: str = Field(max_length=32)


class AgentDimension(SQLModel, table=True):
    """The agent dimension: who the agent is and where they sit, now. Reports attribute
    facts through :class:`AgentHistory` instead, by the fact's own time; ``joined_at`` is
    the start of the agent's current (or last) employment, ``left_at`` its end."""

    __tablename__ = "dim_agent"

    centre: str = Field(primary_key=True, max_length=64)
    agentid: str = Field(primary_key=True, max_length=128)
    name: str | None = Field(default=None, max_length=128)
    team: str | None = Field(default=None, max_length=128)
    site: str | None = Field(default=None, max_length=128)
    joined_at: datetime | None = None
    left_at: datetime | None = None


class AgentHistory(SQLModel, table=True):
    """The agent's attributes as they were: one version per stretch of time between roster
    events that changed something (``projector.roster``). Versions of an agent never overlap;
    ``valid_from`` None is "since always", ``valid_to`` None "still". Reports give a fact the
    team and site of the version its agent had at the fact's time (``kpi.facts``)."""

    __tablename__ = "dim_agent_history"

    centre: str = Field(primary_key=True, max_length=64)
    agentid: str = Field(primary_key=True, max_length=128)
    seq: int = Field(primary_key=True, description="The version's place in the agent's history, from 0.")
    valid_from: datetime | None = Field(default=None, description="Inclusive; None: before any roster event.")
    valid_to: datetime | None = Field(default=None, description="Exclusive; None: the current version.")
    name: str | None = Field(default=None, max_length=128)
    team: str | None = Field(default=None, max_length=128)
    site: str | None = Field(default=None, max_length=128)
    employed: bool = Field(description="Between an agent.joined and the next agent.left.")
    joined_at: datetime | None = Field(default=None, description="valid_from, when a join began this version.")
    left_at: datetime | None = Field(default=None, description="valid_from, when a leave began this version.")


class ContactAttribution(SQLModel):
    """What a survey takes from the contact it is about (``projector.survey_attribution``):
    the contact's queue, channel and wait, and the agent the centre's policy picks, with the
    time that agent answered (when the agent's team is looked up)."""

    contactid: str | None = Field(default=None, max_length=128)
    agentid: str | None = Field(default=None, max_length=128)
    agent_at: datetime | None = Field(default=None, description="When the attributed agent answered.")
    queue: str | None = Field(default=None, max_length=128)
    channel: str | None = Field(default=None, max_length=16, description="The contact's channel.")
    wait_s: float | None = Field(default=None, description="The contact's wait.")
    survey_channel: str | None = Field(
        default=None, max_length=16, description="The survey's own channel: sms, web …"
    )


class SurveyFact(ContactAttribution, LocalBuckets, table=True):
    """One row per survey, from its survey.* events; local buckets of the scheduling time."""

    __tablename__ = "fact_survey"
    __table_args__ = (Index("ix_fact_survey_contact", "centre", "contactid"),)

    centre: str = Field(primary_key=True, max_length=64)
    surveyid: str = Field(primary_key=True, max_length=128)
    language: str | None = Field(default=None, max_length=35)
    scheduled_at: datetime | None = None
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    failed_at: datetime | None = None
    expired_at: datetime | None = None
    opted_out: bool = False
    responses: int = Field(default=0, description="Questions answered.")
    first_response_at: datetime | None = None


class SurveyResponseFact(ContactAttribution, LocalBuckets, table=True):
    """One answer per survey and instrument (a later answer to the same question wins);
    local buckets of the response time. A centre's own question has its id as ``instrument``,
    its scale (``choice`` or ``min-max``) and, for a choice, the answer's id in ``choice``."""

    __tablename__ = "fact_survey_response"

    centre: str = Field(primary_key=True, max_length=64)
    surveyid: str = Field(primary_key=True, max_length=128)
    instrument: str = Field(primary_key=True, max_length=16)
    language: str | None = Field(default=None, max_length=35)
    scale: str = Field(max_length=8)
    score: float | None = None
    choice: str | None = Field(default=None, max_length=16,
                               description="A custom choice question's answer id (scale 'choice').")
    comment: str | None = Field(default=None, sa_type=Text)
    responded_at: datetime
    followed_up_at: datetime | None = Field(default=None, description="When a detractor was followed up.")
    followup_s: float | None = Field(default=None, description="followed_up_at − responded_at, in seconds.")


class CaseFact(LocalBuckets, table=True):
    """One row per case; local buckets of the opening time."""

    __tablename__ = "fact_case"
    __table_args__ = (Index("ix_fact_case_kind_surveyid", "centre", "kind", "surveyid"),)

    centre: str = Field(primary_key=True, max_length=64)
    caseid: str = Field(primary_key=True, max_length=128)
    contactid: str | None = Field(default=None, max_length=128)
    agentid: str | None = Field(default=None, max_length=128)
    queue: str | None = Field(default=None, max_length=128)
    category: str | None = Field(default=None, max_length=128)
    opened_at: datetime | None = None
    opened_epoch_s: float | None = Field(default=None, description="opened_at as Unix seconds, for additive age sums.")
    resolved_at: datetime | None = None
    resolution_s: float | None = None
    kind: str | None = Field(default=None, max_length=128, description="follow_up: a survey detractor's call-back.")
    surveyid: str | None = Field(default=None, max_length=128, description="The survey a follow-up is about.")
    due_at: datetime | None = Field(default=None, description="By when the case should be resolved.")
    met_deadline: bool | None = Field(
        default=None, description="Resolved by due_at (True) or after it (False); None while open or without a due_at."
    )


class QaEvaluationFact(LocalBuckets, table=True):
    """One row per quality evaluation; local buckets of the evaluation time."""

    __tablename__ = "fact_qa_evaluation"

    centre: str = Field(primary_key=True, max_length=64)
    evaluationid: str = Field(primary_key=True, max_length=128)
    agentid: str | None = Field(default=None, max_length=128)
    contactid: str | None = Field(default=None, max_length=128)
    queue: str | None = Field(default=None, max_length=128)
    form: str = Field(max_length=128)
    score: float
    max_score: float
    evaluated_at: datetime


class SaleFact(LocalBuckets, table=True):
    """One row per sale; local buckets of the sale time."""

    __tablename__ = "fact_sale"

    centre: str = Field(primary_key=True, max_length=64)
    saleid: str = Field(primary_key=True, max_length=128)
    contactid: str | None = Field(default=None, max_length=128)
    agentid: str | None = Field(default=None, max_length=128)
    queue: str | None = Field(default=None, max_length=128)
    amount: float
    currency: str = Field(max_length=3)
    cross_sell: bool = False
    sold_at: datetime


class ForecastIntervalFact(LocalBuckets, table=True):
    """Forecast per queue and 15-minute interval (30/60-minute forecasts are spread evenly);
    the latest publication for an interval wins."""

    __tablename__ = "fact_forecast_interval"

    centre: str = Field(primary_key=True, max_length=64)
    queue: str = Field(primary_key=True, max_length=128)
    interval_start: datetime = Field(primary_key=True)
    offered: float
    aht_s: float
    published_at: datetime


def period_index(fact: type[LocalBuckets]) -> Index:
    """``(local_date, centre)``: a report reads one period's rows, of one centre or of all.
    Led by the date, the index serves both; the centre beside it lets SQLite skip other
    centres' rows in the index instead of reading each row from the table."""
    table = fact.__table__
    return Index(f"ix_{table.name}_local_date_centre", table.c.local_date, table.c.centre)


PERIOD_INDEXES = tuple(
    period_index(fact)
    for fact in (
        ContactFact,
        ContactLegFact,
        AgentIntervalFact,
        AgentOpenIntervalFact,
        SurveyFact,
        SurveyResponseFact,
        CaseFact,
        QaEvaluationFact,
        SaleFact,
        ForecastIntervalFact,
    )
)


class LiveAgentState(SQLModel, table=True):
    """Each agent's latest ``agent.state_changed`` (by time, then event id), kept by the live
    plugin as events are recorded so the wallboard reads agent states without scanning events."""

    __tablename__ = "live_agent_state"

    centre: str = Field(primary_key=True, max_length=64)
    agentid: str = Field(primary_key=True, max_length=128)
    state: str = Field(max_length=32)
    reason: str | None = Field(default=None, max_length=128)
    queue: str | None = Field(default=None, max_length=128, description="The event's queue, when it named one.")
    since: datetime
    event_id: str = Field(max_length=200)


class AlertState(SQLModel, table=True):
    """Where an alert rule of a centre stands (ok or firing), shared by every server process."""

    __tablename__ = "alert_state"

    centre: str = Field(primary_key=True, max_length=64)
    rule_id: str = Field(primary_key=True, max_length=16)
    rule: str = Field(max_length=500)
    status: str = Field(max_length=16, description="ok or firing.")
    since: datetime
    value: float | None = None
    changes: int = Field(default=0, description="State changes so far: the optimistic lock and the dedup key.")
    evaluated_at: datetime


class AlertChange(SQLModel, table=True):
    """One state change of an alert rule (fired or resolved): the alert log and what webhooks send."""

    __tablename__ = "alert_change"
    __table_args__ = (
        UniqueConstraint("centre", "rule_id", "seq", name="uq_alert_change_rule_seq"),
        Index("ix_alert_change_centre_at", "centre", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    centre: str = Field(max_length=64)
    rule_id: str = Field(max_length=16)
    seq: int = Field(description="The rule's state-change number (AlertState.changes after it).")
    rule: str = Field(max_length=500)
    kpi: str = Field(max_length=64)
    queue: str | None = Field(default=None, max_length=128)
    status: str = Field(max_length=16, description="firing or resolved.")
    value: float | None = None
    threshold: float
    since: datetime
    at: datetime


class AlertDelivery(SQLModel, table=True):
    """One webhook POST of one alert change, retried with backoff until delivered or given up."""

    __tablename__ = "alert_delivery"
    __table_args__ = (
        UniqueConstraint("change_id", "url", name="uq_alert_delivery_change_url"),
        Index("ix_alert_delivery_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    change_id: int = Field(foreign_key="alert_change.id")
    url: str = Field(max_length=2000)
    status: str = Field(default="pending", max_length=16, description="pending, delivered or failed.")
    attempts: int = 0
    next_attempt_at: datetime
    delivered_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
