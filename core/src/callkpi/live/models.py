"""Response bodies of ``GET /v1/realtime`` and ``GET /v1/alerts``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class QueueRealtime(BaseModel):
    """Live numbers of one queue, or of the whole centre (``queue`` null)."""

    queue: str | None = Field(description="The queue; null for the centre as a whole.")
    waiting: int = Field(description="Contacts offered and not yet answered, abandoned or ended.")
    longest_wait_s: float | None = Field(description="Seconds the longest-waiting of them has waited; null if none.")
    agents_available: int = Field(description="Agents whose latest state is available.")
    agents_on_contact: int = Field(description="Agents on a contact.")
    agents_acw: int = Field(description="Agents in after-contact work.")
    agents_not_ready: int = Field(description="Agents not ready (breaks included). Logged-out agents are not counted.")
    offered: int = Field(description="Contacts offered today (local day) with a known outcome (the offered KPI).")
    answered: int = Field(description="Contacts answered today.")
    abandoned: int = Field(description="Contacts abandoned today.")
    service_level: float | None = Field(
        description="Service level so far today, % (default variant); null without data."
    )
    abandon_rate: float | None = Field(description="Abandon rate so far today, %; null without data.")
    targets: dict[str, float | None] = Field(
        default_factory=dict, description="Targets of service_level and abandon_rate (centre's, else the KPI's)."
    )
    staffed_s: float | None = Field(
        default=None,
        description="Seconds agents were logged in today (centre only), still-open episodes counted up to "
        "the end of the centre's data; null per queue or without the workforce KPIs.",
    )
    occupancy: float | None = Field(default=None, description="Occupancy today, %, open episodes included.")
    open_s: float | None = Field(default=None, description="How much of staffed_s is still open.")
    agent_note: str | None = Field(
        default=None, description="open_s in words, e.g. 'includes 1,234 s still open at …'."
    )


class RealtimeSnapshot(BaseModel):
    """A centre now: totals and one entry per queue."""

    centre: str
    at: datetime = Field(description="The moment of the snapshot (UTC).")
    local_date: date = Field(description="The centre's local date 'today' refers to.")
    timezone: str = Field(description="The centre's IANA time zone.")
    total: QueueRealtime
    queues: list[QueueRealtime]


class AlertChangeOut(BaseModel):
    """One state change of an alert rule, as the callkpi_alert hook and the webhooks receive it."""

    id: str = Field(description="centre:rule-id:change-number; the same on every webhook retry.")
    rule: str = Field(description="The rule's canonical text, e.g. 'service_level < 80 % for 2 intervals'.")
    kpi: str = Field(description="The metric the rule watches.")
    queue: str | None
    status: Literal["firing", "resolved"]
    value: float | None = Field(description="The value that caused the change; null without data.")
    threshold: float
    since: datetime = Field(description="When the rule started firing.")
    at: datetime = Field(description="When this change was recorded.")


class AlertRuleState(BaseModel):
    """A configured rule and where it stands."""

    id: str
    rule: str
    status: Literal["ok", "firing", "unknown"] = Field(description="unknown: not evaluated yet.")
    since: datetime | None = None
    value: float | None = None
    evaluated_at: datetime | None = None


class AlertsOverview(BaseModel):
    """A centre's alert rules with their state, and its latest alert changes (newest first)."""

    centre: str
    rules: list[AlertRuleState]
    changes: list[AlertChangeOut]
