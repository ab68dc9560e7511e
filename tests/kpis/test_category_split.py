"""Measures filtering on a fact's category columns (a contact's outcome) are computed by an
inner GROUP BY that adds the categories and an outer one applying their conditions: the
numbers, and their types, must be those of the plain query on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pytest

from callkpi.kpi import compiler
from callkpi.kpi.compiler import BoundMeasure, Period, compile_query
from callkpi.store.db import Store

PERIOD = Period(date(2026, 1, 5), date(2026, 1, 6))
ANSWERED = ("outcome", "==", "answered")
MEASURES = (
    BoundMeasure("fact_contact", "count", (), ()),
    BoundMeasure("fact_contact", "count", (), (ANSWERED,)),
    BoundMeasure("fact_contact", "count", (), (("outcome", "in", ("answered", "abandoned")), ("wait_s", "<=", 20))),
    BoundMeasure("fact_contact", "count", ("wait_s",), (("outcome", "not in", ("blocked",)),)),
    BoundMeasure("fact_contact", "sum", ("wait_s",), (("outcome", "==", "abandoned"),)),
    BoundMeasure("fact_contact", "sum", ("sales",), (ANSWERED,)),
    BoundMeasure("fact_contact", "sum", ("talk_s", "hold_s"), (("outcome", "!=", "blocked"),)),
    BoundMeasure("fact_contact", "min", ("wait_s",), (("outcome", "is null"),)),
    BoundMeasure("fact_contact", "max", ("wait_s",), (ANSWERED, ("wait_s", "<", 30))),
    BoundMeasure("fact_contact", "max", ("transfers",), (("outcome", "not null"),)),
    BoundMeasure("fact_contact", "count_distinct", ("agentid",), (ANSWERED,)),
)
GROUPINGS = [(), ("agent",), ("queue", "date")]


def contact(number: int, outcome: str | None, **values: Any) -> dict[str, Any]:
    row = {"centre": "main", "contactid": f"c{number}", "outcome": outcome, "local_date": date(2026, 1, 5)}
    return {"queue": "sales", "channel": "voice", **row, **values}


CONTACTS = [
    contact(1, "answered", agentid="a1", wait_s=10.1, talk_s=100.5, hold_s=3.25, sales=2, transfers=1),
    contact(2, "answered", agentid="a1", wait_s=25.7, talk_s=80.0, sales=1),
    contact(3, "answered", agentid="a2", wait_s=0.3, hold_s=7.5, local_date=date(2026, 1, 6)),
    contact(4, "abandoned", wait_s=15.2),
    contact(5, "abandoned", wait_s=40.9, queue="support"),
    contact(6, "blocked", queue="support"),
    contact(7, None, wait_s=3.3, queue="support"),  # still in progress
    contact(8, "timed_out", wait_s=300.0, local_date=date(2026, 1, 6)),
    contact(9, "answered", agentid="a3", queue="support", talk_s=12.0, transfers=3),  # no wait_s
]


def rows(store: Store, dimensions: tuple[str, ...], measures: tuple[BoundMeasure, ...]) -> list[tuple]:
    with store.reading() as connection:
        found = connection.execute(compile_query("fact_contact", dimensions, measures, PERIOD)).all()
    return sorted((tuple(row) for row in found), key=repr)


def same(split: list[tuple], plain: list[tuple]) -> bool:
    """Equal row by row, integers as integers; float sums may differ in the last bits."""
    if len(split) != len(plain):
        return False
    pairs = [(a, b) for row, other in zip(split, plain, strict=True) for a, b in zip(row, other, strict=True)]
    return all(
        type(a) is type(b) and (a == b or (isinstance(a, float) and math.isclose(a, b, rel_tol=1e-12)))
        for a, b in pairs
    )


@pytest.mark.parametrize("dimensions", GROUPINGS)
def test_split_by_outcome_gives_the_plain_querys_numbers(store, insert_facts, monkeypatch, dimensions):
    insert_facts(contacts=CONTACTS)
    monkeypatch.setattr(compiler, "MIN_DROPPED_CONDITIONS", 10_000)
    plain = rows(store, dimensions, MEASURES)
    monkeypatch.setattr(compiler, "MIN_DROPPED_CONDITIONS", 1)
    assert "category_outcome" in str(compile_query("fact_contact", dimensions, MEASURES, PERIOD))
    split = rows(store, dimensions, MEASURES)
    assert same(split, plain), (split, plain)
    assert len(plain) == {(): 1, ("agent",): 4, ("queue", "date"): 3}[dimensions]


def test_a_distinct_count_not_pinned_to_one_outcome_keeps_the_plain_query(store, insert_facts, monkeypatch):
    insert_facts(contacts=CONTACTS)
    monkeypatch.setattr(compiler, "MIN_DROPPED_CONDITIONS", 1)
    measures = (*MEASURES, BoundMeasure("fact_contact", "count_distinct", ("queue",), ()))
    assert "category_outcome" not in str(compile_query("fact_contact", ("agent",), measures, PERIOD))
    assert rows(store, ("agent",), measures)[0][-1] == 1


def test_few_category_conditions_keep_the_plain_query():
    measures = (BoundMeasure("fact_contact", "count", (), (ANSWERED,)),)
    assert "category_outcome" not in str(compile_query("fact_contact", ("agent",), measures, PERIOD))
