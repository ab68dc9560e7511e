"""The survey page: NPS, CSAT and CES with their confidence intervals, the response rate,
the latest comments and the latest detractors of a view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Row, Select, select

from ..kpi import KpiRegistry, KpiValue
from ..store.centres import CentreConfig
from ..store.db import Store
from ..store.tables import AgentDimension, SurveyResponseFact
from .display import value_text
from .queries import usable_kpis, view_report
from .query import DashboardQuery
from .views import Tile, tiles_of

SURVEY_KPIS = ("nps", "csat", "ces", "survey_response_rate", "detractor_followup_time")
LIST_LENGTH = 20
DETRACTOR_MAX_SCORE = 6  # 0–6 on the 0–10 recommend question


@dataclass(frozen=True)
class SurveyTile:
    """A tile plus its 95 % confidence interval as text ('' when the KPI has none)."""

    tile: Tile
    interval: str


@dataclass(frozen=True)
class Answer:
    """One survey answer as listed: when (in the centre's time zone), where, the score and
    the customer's words."""

    responded_at: datetime
    instrument: str
    score: str
    comment: str
    queue: str
    agent: str
    followed_up: bool


@dataclass(frozen=True)
class SurveyView:
    query: DashboardQuery
    timezone: str
    tiles: list[SurveyTile]
    comments: list[Answer]
    detractors: list[Answer]


def survey_view(
    store: Store, registry: KpiRegistry, query: DashboardQuery, config: CentreConfig | None
) -> SurveyView:
    """Everything the survey page shows for ``query``, its times in the centre's own zone (a
    manager reads "09:15" as their morning, not UTC's)."""
    zone = config.zone if config is not None else ZoneInfo("UTC")
    return SurveyView(
        query, zone.key, survey_tiles(store, registry, query, config), latest_comments(store, query, zone),
        detractors(store, query, zone),
    )


def survey_tiles(
    store: Store, registry: KpiRegistry, query: DashboardQuery, config: CentreConfig | None
) -> list[SurveyTile]:
    """NPS, CSAT, CES, response rate and detractor follow-up time, each with its interval where it has one."""
    report = view_report(store, registry, query, usable_kpis(registry, SURVEY_KPIS, config, query.filters))
    if report is None:
        return []
    values = report.rows[0].values if report.rows else {}
    return [SurveyTile(tile, _interval(values.get(column.key))) for tile, column in zip(
        tiles_of(report), report.columns, strict=True)]


def _interval(value: KpiValue | None) -> str:
    if value is None or value.ci_low is None or value.ci_high is None:
        return ""
    return f"95 % CI {value_text(value.ci_low, value.unit)} – {value_text(value.ci_high, value.unit)}"


def _answers(query: DashboardQuery) -> Select:
    """Responses of the view's centre, period and filters, newest first."""
    table = SurveyResponseFact
    statement = (
        select(table)
        .where(table.centre == query.centre, table.local_date.between(query.date_from, query.date_to))
        .order_by(table.responded_at.desc(), table.surveyid)
        .limit(LIST_LENGTH)
    )
    if "queue" in query.filters:
        statement = statement.where(table.queue.in_(query.filters["queue"]))
    if "agent" in query.filters:
        statement = statement.where(table.agentid.in_(query.filters["agent"]))
    if "team" in query.filters:
        team = select(AgentDimension.agentid).where(
            AgentDimension.centre == query.centre, AgentDimension.team.in_(query.filters["team"])
        )
        statement = statement.where(table.agentid.in_(team))
    return statement


def latest_comments(store: Store, query: DashboardQuery, zone: ZoneInfo) -> list[Answer]:
    """The newest free-text answers."""
    statement = _answers(query).where(SurveyResponseFact.comment.is_not(None), SurveyResponseFact.comment != "")
    with store.reading() as connection:
        return [_answer(row, row.comment, zone) for row in connection.execute(statement)]


def detractors(store: Store, query: DashboardQuery, zone: ZoneInfo) -> list[Answer]:
    """The newest detractors (0–6 on the recommend question) with the comment of the same survey."""
    statement = _answers(query).where(
        SurveyResponseFact.instrument == "nps", SurveyResponseFact.score <= DETRACTOR_MAX_SCORE
    )
    with store.reading() as connection:
        rows = connection.execute(statement).all()
        comments = _comments_of(connection, query.centre, [row.surveyid for row in rows])
    return [_answer(row, comments.get(row.surveyid, ""), zone) for row in rows]


def _comments_of(connection, centre: str, surveys: list[str]) -> dict[str, str]:
    table = SurveyResponseFact
    rows = connection.execute(
        select(table.surveyid, table.comment).where(
            table.centre == centre, table.surveyid.in_(surveys), table.comment.is_not(None)
        )
    )
    return {surveyid: comment for surveyid, comment in rows}


def _answer(row: Row, comment: str, zone: ZoneInfo) -> Answer:
    score = "" if row.score is None else f"{row.score:g} ({row.scale})"
    return Answer(row.responded_at.astimezone(zone), row.instrument, score, comment or "", row.queue or "",
                  row.agentid or "", row.followed_up_at is not None)
