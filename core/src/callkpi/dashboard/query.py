"""What a dashboard page shows, read from its URL: centre, period and filters.

Every choice lives in the query string (the filter form submits with GET), so a view
can be bookmarked and shared. A bad value raises :class:`BadQuery` naming the field,
the value and what was expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from ..store.centres import CentreConfig
from .auth import Viewer

FILTER_FIELDS = ("queue", "team", "agent")


class BadQuery(ValueError):
    """A query-string value the dashboard cannot use; ``status`` is 400, or 403 for a centre the key may not see."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class DashboardQuery:
    """One centre (``None``: every centre, in ``callkpi report`` files), an inclusive period
    of local dates and dimension filters."""

    centre: str | None
    date_from: date
    date_to: date
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def params(self) -> dict[str, object]:
        """The query-string parameters that reproduce this view."""
        values: dict[str, object] = {
            "centre": self.centre,
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
        }
        values.update({name: list(chosen) for name, chosen in self.filters.items()})
        return values

    def query_string(self, **changes: object) -> str:
        """This view's query string, with some parameters replaced."""
        return urlencode({**self.params(), **changes}, doseq=True)

    def with_period(self, date_from: date, date_to: date) -> DashboardQuery:
        return replace(self, date_from=date_from, date_to=date_to)

    def chosen(self, name: str) -> str:
        """The one value filter ``name`` is set to ('' for all), for the form's select boxes."""
        values = self.filters.get(name, ())
        return values[0] if len(values) == 1 else ""


def presets(today: date) -> dict[str, tuple[date, date]]:
    """The quick periods offered beside the date fields, by label."""
    return {
        "Today": (today, today),
        "Last 7 days": (today - timedelta(days=6), today),
        "This month": (today.replace(day=1), today),
    }


def local_today(config: CentreConfig, now: datetime | None = None) -> date:
    """Today's date in the centre's time zone."""
    return (now or datetime.now(config.zone)).astimezone(config.zone).date()


def parse_query(
    params: QueryParams, viewer: Viewer, centres: Mapping[str, CentreConfig]
) -> DashboardQuery:
    """The view ``params`` ask for; the period defaults to today in the centre's time zone."""
    config = _centre(params.get("centre") or viewer.centre, viewer, centres)
    today = local_today(config)
    date_from = _date("from", params.get("from"), today)
    date_to = _date("to", params.get("to"), date_from if params.get("from") else today)
    if date_to < date_from:
        raise BadQuery(
            f"to = {date_to.isoformat()!r}: before from = {date_from.isoformat()!r}; "
            "expected a last date on or after the first"
        )
    return DashboardQuery(config.name, date_from, date_to, _filters(params))


def _centre(name: str, viewer: Viewer, centres: Mapping[str, CentreConfig]) -> CentreConfig:
    # access first: a read key learns nothing about other centres, not even which exist
    if not viewer.may_see(name):
        raise BadQuery(
            f"centre = {name!r}: API key {viewer.key_prefix} (scope {viewer.scope}) may see only "
            f"centre {viewer.centre!r}; expected {viewer.centre!r} or an admin key",
            status=403,
        )
    if name not in centres:
        known = ", ".join(sorted(centres)) or "none configured"
        raise BadQuery(f"centre = {name!r}: no such centre; expected one of {known}")
    return centres[name]


def _date(name: str, text: str | None, default: date) -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadQuery(f"{name} = {text!r}: not a date; expected YYYY-MM-DD") from None


def _filters(params: QueryParams) -> dict[str, tuple[str, ...]]:
    chosen = {name: tuple(v for v in params.getlist(name) if v) for name in FILTER_FIELDS}
    return {name: values for name, values in chosen.items() if values}
