"""Cases, quality evaluations and sales: ``fact_case``, ``fact_qa_evaluation``, ``fact_sale``.

Their events carry the case, evaluation or sale id only inside ``data``, which no index
reaches, so a row is not refolded from every stored event. Instead each row is the
*merge* of what its events say, and the merges are commutative, associative and
idempotent: merging a batch into the stored row gives the row every order, batching and
repetition of the same events gives (the order independence of DESIGN's "Data flow").

* A case opens at its earliest ``case.opened``; ``contactid``, ``agentid``, ``queue``,
  ``category``, ``kind``, ``surveyid`` and ``due_at`` are that event's (events at the same
  instant: the smaller value of each). It is resolved at its earliest ``case.resolved``;
  ``resolution_s`` = resolved − opened (never negative); ``met_deadline`` whether it was
  resolved by ``due_at`` (``None`` while open or without a due time); ``opened_epoch_s`` is
  the opening as Unix seconds; local buckets of the opening.
* An evaluation or a sale is its latest event (by time; at the same instant the larger
  row, compared column by column as text), with local buckets of that time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, select

from ..store.centres import CentreConfig
from ..store.tables import CaseFact, QaEvaluationFact, SaleFact
from .buckets import local_buckets
from .timeline import parse_time
from .upsert import chunks, upsert

CASES = CaseFact.__table__
EVALUATIONS = QaEvaluationFact.__table__
SALES = SaleFact.__table__
CASE_TYPES = ("case.opened", "case.resolved")
BUSINESS_TYPES = frozenset({*CASE_TYPES, "qa.evaluated", "sale.recorded"})
_CASE_IDENTITY = ("contactid", "agentid", "queue", "category", "kind", "surveyid", "due_at")
_CASE_DATA = ("category", "kind", "surveyid")
_ENVELOPE = ("contactid", "agentid", "queue")
Row = dict[str, Any]


def is_business_event(body: dict[str, Any]) -> bool:
    return body["type"] in BUSINESS_TYPES


def project_business(
    connection: Connection, centre: CentreConfig, bodies: list[dict[str, Any]]
) -> None:
    """Merge the case, evaluation and sale events in ``bodies`` (one centre) into their rows."""
    name, zone = centre.name, centre.zone
    by_type: dict[str, list[dict[str, Any]]] = {}
    for body in bodies:
        by_type.setdefault(body["type"], []).append(body)
    cases = [_case_part(name, b) for t in CASE_TYPES for b in by_type.get(t, ())]
    merge_rows(connection, CASES, cases, _merge_case, lambda row: _case_buckets(row, zone))
    evaluations = [_evaluation(name, b, zone) for b in by_type.get("qa.evaluated", ())]
    merge_rows(connection, EVALUATIONS, evaluations, latest_of("evaluated_at"))
    sales = [_sale(name, b, zone) for b in by_type.get("sale.recorded", ())]
    merge_rows(connection, SALES, sales, latest_of("sold_at"))


def merge_rows(
    connection: Connection,
    table: Table,
    rows: Sequence[Row],
    merge: Callable[[Row, Row], Row],
    finish: Callable[[Row], Row] = dict,
) -> None:
    """Merge ``rows`` with each other and with the stored rows of the same key, complete
    each merged row with ``finish`` (derived columns) and upsert them."""
    keys = [column.name for column in table.primary_key.columns]
    merged: dict[tuple[Any, ...], Row] = {}
    for row in [*rows, *_stored(connection, table, keys, rows)]:
        key = tuple(row[k] for k in keys)
        merged[key] = merge(merged[key], row) if key in merged else row
    upsert(connection, table, [finish(row) for row in merged.values()])


def _stored(
    connection: Connection, table: Table, keys: list[str], rows: Sequence[Row]
) -> list[Row]:
    *scope, last = keys  # every batch is one centre; the other key parts are few
    found: list[Row] = []
    for values in {tuple(row[k] for k in scope) for row in rows}:
        wanted = sorted({row[last] for row in rows if tuple(row[k] for k in scope) == values})
        for chunk in chunks(wanted):
            condition = [table.c[k] == v for k, v in zip(scope, values, strict=True)]
            query = select(table).where(*condition, table.c[last].in_(chunk))
            found.extend(dict(row) for row in connection.execute(query).mappings())
    return found


def latest_of(time_column: str) -> Callable[[Row, Row], Row]:
    """A merge keeping the row with the later ``time_column`` (ties: the larger row as text)."""

    def order(row: Row) -> tuple[datetime, tuple[str, ...]]:
        return row[time_column], tuple(str(row[name]) for name in sorted(row))

    return lambda a, b: max(a, b, key=order)


def _case_part(centre: str, body: dict[str, Any]) -> Row:
    time = parse_time(body["time"])
    row: Row = {"centre": centre, "caseid": body["data"]["caseid"]}
    if body["type"] == "case.opened":
        data = body["data"]
        due = data.get("due_at")
        identity = {k: body.get(k) for k in _ENVELOPE} | {k: data.get(k) for k in _CASE_DATA}
        return {**row, **identity, "due_at": parse_time(due) if due else None, "opened_at": time,
                "resolved_at": None}
    return {**row, **dict.fromkeys(_CASE_IDENTITY), "opened_at": None, "resolved_at": time}


def _merge_case(a: Row, b: Row) -> Row:
    merged = {**a, "resolved_at": _earliest(a["resolved_at"], b["resolved_at"])}
    opened_a, opened_b = a["opened_at"], b["opened_at"]
    if opened_b is not None and (opened_a is None or opened_b < opened_a):
        merged.update({k: b[k] for k in _CASE_IDENTITY} | {"opened_at": opened_b})
    elif opened_a is not None and opened_a == opened_b:
        merged.update({k: _smaller(a[k], b[k]) for k in _CASE_IDENTITY})
    return merged


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min((t for t in (a, b) if t is not None), default=None)


def _smaller(a: Any, b: Any) -> Any:
    return min((v for v in (a, b) if v is not None), default=None)


def _case_buckets(row: Row, zone: ZoneInfo) -> Row:
    opened, resolved = row["opened_at"], row["resolved_at"]
    resolution = None
    if opened is not None and resolved is not None:
        resolution = max((resolved - opened).total_seconds(), 0.0)
    due = row["due_at"]
    return {
        **row,
        "opened_epoch_s": opened.timestamp() if opened is not None else None,
        "resolution_s": resolution,
        "met_deadline": resolved <= due if resolved is not None and due is not None else None,
        **local_buckets(opened, zone),
    }


def _evaluation(centre: str, body: dict[str, Any], zone: ZoneInfo) -> Row:
    data, time = body["data"], parse_time(body["time"])
    return {
        "centre": centre,
        "evaluationid": data["evaluationid"],
        **{k: body.get(k) for k in _ENVELOPE},
        "form": data["form"],
        "score": float(data["score"]),
        "max_score": float(data["max_score"]),
        "evaluated_at": time,
        **local_buckets(time, zone),
    }


def _sale(centre: str, body: dict[str, Any], zone: ZoneInfo) -> Row:
    data, time = body["data"], parse_time(body["time"])
    return {
        "centre": centre,
        "saleid": data["saleid"],
        **{k: body.get(k) for k in _ENVELOPE},
        "amount": float(data["amount"]),
        "currency": data["currency"],
        "cross_sell": bool(data.get("cross_sell", False)),
        "sold_at": time,
        **local_buckets(time, zone),
    }
