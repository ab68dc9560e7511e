"""``fact_forecast_interval`` from ``forecast.published``.

A forecast for a 30- or 60-minute interval is spread evenly over its 15-minute rows: the
offered volume divided among them, the handle time (an average) repeated. For each queue
and 15-minute interval the latest publication (by event time; at the same instant the
larger row as text) wins, merged with the stored row exactly like sales (see
``business_facts``), so arrival order does not matter.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from ..store.centres import CentreConfig
from ..store.tables import ForecastIntervalFact
from .buckets import INTERVAL, floor_interval, local_buckets
from .business_facts import Row, latest_of, merge_rows
from .timeline import parse_time

FORECASTS = ForecastIntervalFact.__table__
FORECAST_TYPE = "forecast.published"


def is_forecast_event(body: dict[str, Any]) -> bool:
    return body["type"] == FORECAST_TYPE and "queue" in body


def project_forecasts(
    connection: Connection, centre: CentreConfig, bodies: list[dict[str, Any]]
) -> None:
    """Merge the forecast intervals published in ``bodies`` (one centre) into their rows."""
    rows = [row for body in bodies for row in forecast_rows(centre.name, body, centre.zone)]
    merge_rows(connection, FORECASTS, rows, latest_of("published_at"))


def forecast_rows(centre: str, body: dict[str, Any], zone: ZoneInfo) -> list[Row]:
    """The 15-minute rows one publication gives, in the order of its intervals."""
    published = parse_time(body["time"])
    minutes = body["data"].get("interval_minutes", 15)
    parts = minutes // 15
    rows = []
    for interval in body["data"]["intervals"]:
        start = floor_interval(parse_time(interval["start"]))
        for part in range(parts):
            moment = start + part * INTERVAL
            rows.append(
                {
                    "centre": centre,
                    "queue": body["queue"],
                    "interval_start": moment,
                    "offered": float(interval["offered"]) / parts,
                    "aht_s": float(interval["aht_s"]),
                    "published_at": published,
                    **local_buckets(moment, zone),
                }
            )
    return rows
