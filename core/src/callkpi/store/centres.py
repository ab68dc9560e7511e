"""Centres (tenants): their time zone and settings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Connection, insert, select, update

from ..live.alerts.config import AlertSettings
from .tables import Centre

DEFAULT_CENTRE = "default"
DEFAULT_BREAK_REASONS = ("break", "lunch", "coffee", "rest")


class KpiTarget(BaseModel):
    """A centre's target for one KPI: centre-wide, and per queue where a queue differs."""

    model_config = ConfigDict(extra="forbid")

    value: float | None = Field(None, description="The target for the whole centre; None: the KPI's default.")
    queues: dict[str, float] = Field(default_factory=dict, description="Targets of single queues, by queue name.")

    def for_queue(self, queue: str | None) -> float | None:
        """The target of ``queue`` (``None``: the centre as a whole)."""
        return self.queues.get(queue, self.value) if queue is not None else self.value


QUEUE_MAP_DIMENSIONS = ("team", "site")
"""What a queue can be mapped to: the agent dimensions a queue leg itself lacks."""


class QueueAssignment(BaseModel):
    """The team and site a queue belongs to, for queue KPIs by team or site (``kpi.queue_map``)."""

    model_config = ConfigDict(extra="forbid")

    team: str | None = Field(None, min_length=1, max_length=128, description="The team that serves the queue.")
    site: str | None = Field(None, min_length=1, max_length=128, description="The site that serves the queue.")


class CentreSettings(BaseModel):
    """A centre's configuration, stored as JSON on its row."""

    model_config = ConfigDict(extra="forbid")

    phone_region: str | None = Field(
        None, pattern=r"^[A-Z]{2}$", description="ISO country for numbers without a + prefix."
    )
    break_reasons: list[str] = Field(default_factory=lambda: list(DEFAULT_BREAK_REASONS))
    adherence_tolerance_s: float = Field(
        0.0, ge=0, description="State changes this close to a schedule boundary count as adherent."
    )
    currency: str | None = Field(
        None, pattern=r"^[A-Z]{3}$", description="ISO 4217 code of hourly_cost and fixed_cost."
    )
    hourly_cost: float | None = Field(
        None, ge=0, description="Cost of one staffed (logged-in) agent hour; None: not configured."
    )
    fixed_cost: float | None = Field(
        None, ge=0, description="Fixed cost (rent, licences …) per fixed_cost_period; None: not configured."
    )
    fixed_cost_period: Literal["day", "week", "month", "year"] = Field(
        "month", description="The period fixed_cost is per; a month is 730.5 hours."
    )
    enabled_kpis: list[str] | None = Field(
        None, description="Ids of the KPIs reported by default; None: every installed KPI."
    )
    kpi_targets: dict[str, KpiTarget] = Field(
        default_factory=dict, description="Targets by KPI id, overriding the KPI's default target."
    )
    alerts: AlertSettings = Field(
        default_factory=AlertSettings, description="Alert rules and the webhooks their changes are POSTed to."
    )
    survey_agent_policy: Literal["last", "first", "longest"] = Field(
        "last",
        description=(
            "Which agent of a contact its survey answers are credited to: the last to answer it, "
            "the first, or the one who handled it longest (projector.survey_attribution)."
        ),
    )
    queue_map: dict[str, QueueAssignment] = Field(
        default_factory=dict,
        description=(
            "Queue id → the team and site serving it: queue KPIs grouped or filtered by team or site "
            "count every leg of a queue, answered or not, for its queue's team and site (kpi.queue_map)."
        ),
    )
    survey_followup_deadline_h: float = Field(
        48,
        gt=0,
        le=24 * 365,
        description=(
            "Hours after a detractor's answer by which its follow-up case is due "
            "(the survey gateway's closed loop; KPI detractor_followup_rate)."
        ),
    )

    @field_validator("queue_map")
    @classmethod
    def _queue_ids(cls, value: dict[str, QueueAssignment]) -> dict[str, QueueAssignment]:
        for queue in value:
            if not 1 <= len(queue) <= 128:
                raise ValueError(f"queue_map: queue id {queue!r}; expected 1 to 128 characters, as events carry it")
        return value


class CentreConfig(BaseModel):
    name: str
    timezone: str
    settings: CentreSettings = Field(default_factory=CentreSettings)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        validate_timezone(value)
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def validate_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"timezone {name!r} is not an IANA time zone; expected a name such as 'Europe/Amsterdam'"
        ) from None


def add_centre(
    connection: Connection, name: str, timezone_name: str, settings: CentreSettings | None = None
) -> CentreConfig:
    config = CentreConfig(name=name, timezone=timezone_name, settings=settings or CentreSettings())
    row = {
        "name": name,
        "timezone": timezone_name,
        "settings": config.settings.model_dump_json(),
        "created_at": datetime.now(UTC),
    }
    if connection.execute(select(Centre.name).where(Centre.name == name)).first():
        connection.execute(
            update(Centre).where(Centre.name == name).values(timezone=timezone_name, settings=row["settings"])
        )
    else:
        connection.execute(insert(Centre).values(**row))
    return config


def ensure_default_centre(connection: Connection) -> None:
    if not connection.execute(select(Centre.name).where(Centre.name == DEFAULT_CENTRE)).first():
        add_centre(connection, DEFAULT_CENTRE, "UTC")


def load_centres(connection: Connection) -> dict[str, CentreConfig]:
    rows = connection.execute(select(Centre.name, Centre.timezone, Centre.settings)).all()
    return {
        r.name: CentreConfig(name=r.name, timezone=r.timezone, settings=CentreSettings(**json.loads(r.settings)))
        for r in rows
    }
