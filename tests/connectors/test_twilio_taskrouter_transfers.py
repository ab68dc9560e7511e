"""TaskRouter transfers as contact legs: hand-worked event sequences through the real pull
and ingest, on SQLite and PostgreSQL (the ``store`` fixture).

The sequences are written from Twilio's documented formats — the TaskRouter Events
reference (https://www.twilio.com/docs/taskrouter/api/event/reference: task-queue.entered,
reservation.accepted, task.transfer-initiated / -attempt-failed / -completed, task.wrapup,
task.completed) and the TaskRouter JS SDK's Transfer (mode COLD / WARM, type QUEUE / WORKER,
to = the target's sid, workerSid = the initiating worker) — not copied from real data. A
transfer keeps the task's sid: the target's reservation belongs to the same task.

Times are seconds after 2026-03-02T09:00:00Z (a Monday, UTC centre). Workers A (WK…a),
B (WK…b); queues Support (WQ…1) and Billing (WQ…2).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from twilio_taskrouter_api import ACCOUNT_SID, AUTH_TOKEN, serve_events_api

from callkpi.connectors import ConnectorRun, RawEvent
from callkpi.kpi.engine import run_report
from callkpi.kpi.report import ReportRequest
from callkpi.store.tables import ContactLegFact

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = date(2026, 3, 2)
A, B = "WK" + "a" * 32, "WK" + "b" * 32
SUPPORT, BILLING = "WQ" + "1" * 32, "WQ" + "2" * 32
QUEUE_NAMES = {SUPPORT: "Support", BILLING: "Billing"}
CONFIG = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
          "start_date": "2026-03-02T00:00:00Z", "settle_seconds": 0}


class Sequence:
    """REST-shaped TaskRouter events of one task, numbered in the order they are written."""

    def __init__(self, task: str) -> None:
        self.task = task
        self.items: list[dict[str, Any]] = []

    def add(self, type_: str, at: float, queue: str, **fields: str) -> Sequence:
        moment = START + timedelta(seconds=at)
        self.items.append({
            "sid": f"EV{self.task[-4:]}{len(self.items):028x}",
            "event_type": type_,
            "event_date": moment.isoformat().replace("+00:00", "Z"),
            "event_date_ms": int(moment.timestamp() * 1000),
            "event_data": {"task_sid": self.task, "task_queue_sid": queue,
                           "task_queue_name": QUEUE_NAMES[queue],
                           "task_channel_unique_name": "voice",
                           "task_attributes": '{"from": "+31201234567"}', **fields},
        })
        return self


def task(n: int) -> str:
    return "WT" + f"{0xc0 + n:032x}"


def cold_to_billing(entered: float = 201) -> Sequence:
    # A answers in Support at 20, cold-transfers to Billing at 200; the task enters Billing at
    # ``entered``; B answers there at 230, wraps up at 530, completes at 560.
    return (Sequence(task(1))
            .add("task.created", 0, SUPPORT).add("task-queue.entered", 0, SUPPORT)
            .add("reservation.accepted", 20, SUPPORT, worker_sid=A)
            .add("task.transfer-initiated", 200, SUPPORT, transfer_mode="COLD",
                 transfer_type="QUEUE", transfer_to=BILLING, transfer_initiating_worker_sid=A)
            .add("task-queue.entered", entered, BILLING)
            .add("reservation.accepted", 230, BILLING, worker_sid=B)
            .add("task.transfer-completed", 230, BILLING, transfer_mode="COLD",
                 transfer_type="QUEUE", transfer_to=BILLING, transfer_initiating_worker_sid=A)
            .add("task.wrapup", 530, BILLING).add("task.completed", 560, BILLING))


WARM_TO_B = {"transfer_mode": "WARM", "transfer_type": "WORKER", "transfer_to": B,
             "transfer_initiating_worker_sid": A}


def warm_to_b() -> Sequence:
    # A answers in Support at 10, starts a warm transfer to B at 100; B accepts at 130 (the
    # transfer completes then), wraps up at 430, completes at 450.
    return (Sequence(task(2))
            .add("task.created", 0, SUPPORT).add("task-queue.entered", 0, SUPPORT)
            .add("reservation.accepted", 10, SUPPORT, worker_sid=A)
            .add("task.transfer-initiated", 100, SUPPORT, **WARM_TO_B)
            .add("reservation.accepted", 130, SUPPORT, worker_sid=B)
            .add("task.transfer-completed", 130, SUPPORT, **WARM_TO_B)
            .add("task.wrapup", 430, SUPPORT).add("task.completed", 450, SUPPORT))


def failed_warm_to_b() -> Sequence:
    # A answers at 10, tries a warm transfer to B at 100; B lets it ring out, the attempt fails
    # at 130 and the transfer fails; A keeps the caller, wraps up at 400, completes at 420.
    return (Sequence(task(3))
            .add("task.created", 0, SUPPORT).add("task-queue.entered", 0, SUPPORT)
            .add("reservation.accepted", 10, SUPPORT, worker_sid=A)
            .add("task.transfer-initiated", 100, SUPPORT, **WARM_TO_B)
            .add("reservation.created", 100, SUPPORT, worker_sid=B)
            .add("reservation.timeout", 130, SUPPORT, worker_sid=B)
            .add("task.transfer-attempt-failed", 130, SUPPORT, **WARM_TO_B)
            .add("task.transfer-failed", 130, SUPPORT, **WARM_TO_B)
            .add("task.wrapup", 400, SUPPORT).add("task.completed", 420, SUPPORT))


@pytest.fixture
def connector(callkpi_pm):
    return callkpi_pm.catalog.connectors.get("twilio-taskrouter")


def ingest(connector, ingestor, sequence: Sequence) -> ConnectorRun:
    with serve_events_api(sequence.items) as api:
        run = ConnectorRun(api.url)
        raw = [e for e in connector.events(api.url, CONFIG, run) if isinstance(e, RawEvent)]
    assert [e.error for e in raw if e.error] == []
    summary = ingestor.ingest(raw)
    assert summary.quarantined == 0
    return run


def legs(ingestor) -> list[tuple]:
    columns = (ContactLegFact.leg, ContactLegFact.queue, ContactLegFact.agentid,
               ContactLegFact.outcome, ContactLegFact.wait_s, ContactLegFact.talk_s,
               ContactLegFact.acw_s, ContactLegFact.handle_s, ContactLegFact.transfer_kind,
               ContactLegFact.to_queue, ContactLegFact.to_agent)
    with ingestor.store.transaction() as connection:
        rows = connection.execute(select(*columns).order_by(ContactLegFact.seq)).all()
    return [tuple(row) for row in rows]


def by(ingestor, dimension: str, kpis: tuple[str, ...]) -> dict[str, dict[str, float | None]]:
    report = run_report(ingestor.store, ReportRequest(kpis, DAY, DAY, (dimension,)))
    return {row.dimensions[dimension]: {k: row[k] for k in kpis} for row in report.rows}


@pytest.mark.parametrize("entered", [201, 200], ids=["entered_later", "same_millisecond"])
def test_a_cold_transfer_to_another_queue_is_two_queue_and_two_agent_legs(
    connector, ingestor, entered
):
    run = ingest(connector, ingestor, cold_to_billing(entered))
    # Support: offered 0, answered by A at 20 (wait 20). A: talk 20→200 = 180, passed on
    # blind to Billing, no ACW of its own → handle 180. Billing: offered at 201 (or, logged in
    # the transfer's millisecond, 200), answered by B at 230 (wait 29 or 30). B: talk
    # 230→530 = 300, ACW 530→560 = 30 → handle 330.
    assert legs(ingestor) == [
        ("queue", "Support", A, "answered", 20, None, None, None, None, None, None),
        ("agent", "Support", A, "transferred", None, 180, None, 180, "blind", BILLING, None),
        ("queue", "Billing", B, "answered", 230 - entered, None, None, None, None, None, None),
        ("agent", "Billing", B, "completed", None, 300, 30, 330, None, None, None),
    ]
    assert by(ingestor, "queue", ("offered", "answered")) == {
        "Billing": {"offered": 1, "answered": 1}, "Support": {"offered": 1, "answered": 1}}
    # transfer rate (percent): A passed on 1 of its 1 contact = 100, B none of its 1 = 0.
    assert by(ingestor, "agent", ("aht", "transfer_rate")) == {
        A: {"aht": 180, "transfer_rate": 100.0}, B: {"aht": 330, "transfer_rate": 0.0}}
    # the transfer counted once: at its initiation, not again at its completion
    assert run.notes["task.transfer-completed events (cold: counted at initiation)"] == 1


def test_a_warm_transfer_to_a_worker_is_one_queue_leg_and_two_agent_legs(connector, ingestor):
    run = ingest(connector, ingestor, warm_to_b())
    assert run.notes["task.transfer-initiated events (warm: counted at completion)"] == 1
    # Support: answered by A at 10 (wait 10). A: talk 10→130 (stays on until B accepts) =
    # 120, attended to B → handle 120. B: no queue of its own (answered from Support, the
    # task's queue): talk 130→430 = 300, ACW 430→450 = 20 → handle 320.
    assert legs(ingestor) == [
        ("queue", "Support", A, "answered", 10, None, None, None, None, None, None),
        ("agent", "Support", A, "transferred", None, 120, None, 120, "attended", None, B),
        ("agent", "Support", B, "completed", None, 300, 20, 320, None, None, None),
    ]
    assert by(ingestor, "queue", ("offered",)) == {"Support": {"offered": 1}}
    assert by(ingestor, "agent", ("aht", "transfer_rate")) == {
        A: {"aht": 120, "transfer_rate": 100.0}, B: {"aht": 320, "transfer_rate": 0.0}}


def test_a_transfer_whose_attempt_fails_leaves_the_contact_with_its_worker(connector, ingestor):
    run = ingest(connector, ingestor, failed_warm_to_b())
    assert run.notes["task.transfer-attempt-failed events (informational, skipped)"] == 1
    # No transfer: A talks 10→400 = 390, ACW 400→420 = 20 → handle 410; B never had it.
    assert legs(ingestor) == [
        ("queue", "Support", A, "answered", 10, None, None, None, None, None, None),
        ("agent", "Support", A, "completed", None, 390, 20, 410, None, None, None),
    ]
    assert by(ingestor, "agent", ("aht", "transfer_rate")) == {
        A: {"aht": 410, "transfer_rate": 0.0}}
