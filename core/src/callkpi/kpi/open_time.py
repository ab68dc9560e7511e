"""How much of an agent-time KPI's value is still open: a detail and a note on each value.

Agent time (``fact_agent_interval``) counts an agent's still-open state episode from its start
up to the centre's data end (``callkpi.projector.open_episodes``), so today's numbers and any
report whose period ends while agents are logged in include time that is not final yet. Every
KPI that reads agent time therefore gets, without declaring anything, one more measure — the
open share of the rows' staffed time, Σ ``open_s`` — and, in each row where it is not 0:

* ``details["open_s"]``: the seconds of still-open episodes in the row's agent time;
* ``details["open_until"]``: the data end they are counted to, as epoch seconds (the latest
  of the row's centres when the row spans several);
* ``note``: ``includes 1,234 s still open at 2026-03-02 10:15`` (the centre's local time; UTC
  for a row of several centres), after the formula's own note if it has one.

A column without open time anywhere carries neither, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from ..store.tables import CentreDataEnd
from .compiler import BoundMeasure
from .facts import OPEN_S

if TYPE_CHECKING:  # cells plans, and plans add the open measure
    from .cells import KpiCells

AGENT_TIME = "fact_agent_interval"
OPEN_MEASURE = "_open_s"
"""The measure name the engine adds to agent-time KPIs (a leading ``_``: no KPI's own)."""
OPEN_BOUND = BoundMeasure(AGENT_TIME, "sum", (OPEN_S,), ())
DATA_END = CentreDataEnd.__table__
UTC = ZoneInfo("UTC")


def with_open_measure(facts: tuple[str, ...], measures: dict[str, BoundMeasure]) -> dict[str, BoundMeasure]:
    """``measures``, plus the open-time measure when the KPI reads agent time."""
    return {**measures, OPEN_MEASURE: OPEN_BOUND} if AGENT_TIME in facts else measures


def data_ends(connection: Connection) -> dict[str, datetime]:
    """Every centre's data end: what open episodes are counted up to."""
    return {centre: end for centre, end in connection.execute(select(DATA_END.c.centre, DATA_END.c.data_end))}


def with_open_time(
    cells: KpiCells,
    open_s: Sequence[Any],
    centres: Sequence[str | None],
    ends: Mapping[str, datetime],
    zones: Mapping[str, ZoneInfo],
) -> KpiCells:
    """``cells`` with the open-time detail and note in each row with open time (``open_s``,
    per row; ``centres``: each row's centre, ``None`` for a row of every centre)."""
    if not any(open_s):
        return cells
    until = [_until(centre, ends) if seconds else None for seconds, centre in zip(open_s, centres, strict=True)]
    notes = [
        _note(note, seconds, moment, zones.get(centre, UTC) if centre else UTC)
        for note, seconds, moment, centre in zip(
            cells.note or [None] * len(open_s), open_s, until, centres, strict=True
        )
    ]
    details = {
        **cells.details,
        "open_s": [float(seconds or 0) for seconds in open_s],
        "open_until": [moment.timestamp() if moment else None for moment in until],
    }
    return replace(cells, details=details, note=notes)


def _until(centre: str | None, ends: Mapping[str, datetime]) -> datetime | None:
    if centre is not None:
        return ends.get(centre)
    return max(ends.values(), default=None)


def _note(note: str | None, seconds: float, moment: datetime | None, zone: ZoneInfo) -> str | None:
    if not seconds or moment is None:
        return note
    local = moment.astimezone(zone)
    clock = f"{local:%Y-%m-%d %H:%M}" if local.second == 0 else f"{local:%Y-%m-%d %H:%M:%S}"
    text = f"includes {seconds:,.0f} s still open at {clock}"
    return f"{note}; {text}" if note else text
