"""A conformance base class for KPI plugins: a hand-worked contact timeline and the values it must give.

Subclass :class:`KpiTests` in a test module, write the timeline as canonical events and
list what each KPI (and variant, and parameter set) must compute, worked out by hand::

    class TestServiceLevel(KpiTests):
        day = date(2026, 1, 5)
        expected = (expect("service_level", 50.0), expect("service_level", 100.0, "asterisk_sl"))

        def timeline(self, make_event):
            return [...]

The events go through the real ingest and projector into a fresh store
(``callkpi_ingestor``; override the ``kpi_ingestor`` fixture to use another), and
:func:`run_report` computes one row for the centre and day.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from ..connectors import RawEvent
from .engine import run_report
from .registry import KpiRegistry
from .report import KpiSelection, Report, ReportRequest


@dataclass(frozen=True)
class Expectation:
    """What one KPI selection must compute on the timeline (``None``: no data)."""

    selection: KpiSelection
    value: float | None
    n: float | None = None


def expect(
    kpi: str,
    value: float | None,
    variant: str | None = None,
    *,
    n: float | None = None,
    **parameters: float,
) -> Expectation:
    """``kpi`` (``variant``, ``parameters``) must give ``value`` (and sample size ``n`` when given)."""
    return Expectation(KpiSelection(kpi, variant, parameters), value, n)


class KpiTests:
    """Base class of a KPI conformance test; see the module docstring."""

    day: date = date(2026, 1, 5)
    centre: str = "default"
    expected: tuple[Expectation, ...] = ()

    def timeline(self, make_event: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
        """The events of the timeline, all on :attr:`day` in the centre's local time."""
        raise NotImplementedError(
            "write the timeline: return a list of events built with make_event"
        )

    @pytest.fixture
    def kpi_ingestor(self, callkpi_ingestor: Any) -> Any:
        return callkpi_ingestor

    @pytest.fixture
    def kpi_registry(self, callkpi_pm: Any) -> KpiRegistry:
        return callkpi_pm.catalog.kpis

    def report(
        self, ingestor: Any, registry: KpiRegistry, make_event: Callable[..., dict[str, Any]]
    ) -> Report:
        """Ingest the timeline and compute every expected KPI for the centre and day."""
        events = self.timeline(make_event)
        outcomes = ingestor.ingest_batch(
            [RawEvent(e, f"timeline event {i}") for i, e in enumerate(events)]
        )
        refused = [(i, o.reasons) for i, o in enumerate(outcomes) if o.status != "accepted"]
        assert not refused, f"timeline events not accepted: {refused}"
        request = ReportRequest(
            tuple(e.selection for e in self.expected), self.day, self.day, centre=self.centre
        )
        return run_report(ingestor.store, request, registry=registry)

    def test_expected_values(
        self,
        kpi_ingestor: Any,
        kpi_registry: KpiRegistry,
        make_event: Callable[..., dict[str, Any]],
    ) -> None:
        (row,) = self.report(kpi_ingestor, kpi_registry, make_event).rows
        actual = {key: (value.value, value.n) for key, value in row.values.items()}
        wanted = {
            column: (e.value, actual[column][1] if e.n is None else e.n)
            for column, e in zip(actual, self.expected, strict=True)
        }
        assert actual == _approx(wanted)


def _approx(wanted: Mapping[str, tuple[float | None, float | None]]) -> Any:
    return {
        key: tuple(pytest.approx(v) if v is not None else None for v in pair)
        for key, pair in wanted.items()
    }
