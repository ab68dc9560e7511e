"""The genesys-cloud connector against a real HTTP server on 127.0.0.1 that implements the
login host's token endpoint and the analytics conversation details query, with paging,
one 429, a revocable token and day-based answers (a conversation crossing midnight comes
back for both days)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from callkpi.checkpoints import CheckpointStore, sync_source
from callkpi.connector_config import InvalidConfig, redact, validate_config
from callkpi.connector_conformance import ConnectorTests
from callkpi.connectors import ConnectorRun, RawEvent
from callkpi.kpi.engine import run_report
from callkpi.kpi.report import KpiSelection, ReportRequest
from callkpi.store.tables import ContactFact
from callkpi_connector_genesys_cloud.reader import read

FIXTURE = Path(__file__).parent / "fixtures" / "genesys" / "conversations.json"
CLIENT_ID, SECRET = "callkpi-sync", "s3cret-Ünïcode"
QUERY = "/api/v2/analytics/conversations/details/query"
Q_SUPPORT, Q_BILLING = (
    "5f2b7c1e-7a1d-4c3e-9b8a-0d1e2f3a4b01",
    "5f2b7c1e-7a1d-4c3e-9b8a-0d1e2f3a4b02",
)
ASA, BO = "9d8c7b6a-1111-4a2b-8c3d-4e5f6a7b8c01", "9d8c7b6a-2222-4a2b-8c3d-4e5f6a7b8c02"
SOLVED = "e1d2c3b4-0001-4f00-8a00-00000000aa01"


def iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


class GenesysServer:
    """The two Genesys Cloud endpoints, served for real by ``http.server``."""

    def __init__(self, conversations: list[dict[str, Any]]):
        self.conversations = conversations
        self.throttle = 0  # answer the next n queries with 429
        self.fail_with: tuple[int, dict[str, Any]] | None = None
        self.tokens: list[str] = []
        self.revoked: set[str] = set()
        self.queries: list[tuple[str, int]] = []
        self.revoke_after: int | None = None  # revoke every token after this many pages
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, payload, headers = server.answer(self.path, self.headers, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def answer(self, path: str, headers: Any, body: bytes) -> tuple[int, Any, dict[str, str]]:
        if path == "/oauth/token":
            return self._token(headers.get("Authorization", ""), body)
        if path != QUERY:
            return 404, {"message": f"no route {path}", "code": "not.found", "status": 404}, {}
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.tokens or token in self.revoked:
            return 401, {"message": "Invalid login credentials.", "code": "bad.credentials"}, {}
        if self.throttle:
            self.throttle -= 1
            return (
                429,
                {"message": "Rate limit exceeded", "code": "too.many.requests"},
                {"Retry-After": "3"},
            )
        if self.fail_with:
            return (*self.fail_with, {})
        return self._page(json.loads(body))

    def _token(self, authorization: str, body: bytes) -> tuple[int, Any, dict[str, str]]:
        expected = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
        if authorization != f"Basic {expected}" or body != b"grant_type=client_credentials":
            return 401, {"error": "invalid_client", "error_description": "client not found"}, {}
        self.tokens.append(f"token-{len(self.tokens) + 1}")
        return (
            200,
            {"access_token": self.tokens[-1], "token_type": "bearer", "expires_in": 86399},
            {},
        )

    def _page(self, query: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        start, end = (iso(part) for part in query["interval"].split("/"))
        size, number = query["paging"]["pageSize"], query["paging"]["pageNumber"]
        self.queries.append((query["interval"][:10], number))
        if len(self.queries) == self.revoke_after:
            self.revoked.update(self.tokens)
        # Like the API: every conversation with activity in the interval, oldest first.
        hits = [
            c
            for c in self.conversations
            if iso(c["conversationStart"]) < end
            and iso(c.get("conversationEnd", c["conversationStart"])) >= start
        ]
        hits.sort(key=lambda c: c["conversationStart"])
        page = hits[(number - 1) * size : number * size]
        return 200, ({"conversations": page} if page else {}) | {"totalHits": len(hits)}, {}


@pytest.fixture
def server() -> Iterator[GenesysServer]:
    running = GenesysServer(json.loads(FIXTURE.read_text(encoding="utf-8")))
    yield running
    running.httpd.shutdown()
    running.httpd.server_close()


def config_for(server: GenesysServer, **changes: Any) -> dict[str, Any]:
    config = {
        "source": server.url,
        "login_url": server.url,
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "start": "2025-10-26",
        "end": "2025-10-28",
        "page_size": 2,
        "queues": {Q_SUPPORT: "Support", Q_BILLING: "Billing"},
        "users": {ASA: "Åsa Öberg"},
        "wrapup_codes": {SOLVED: "Solved"},
    }
    return config | changes


def connector_with(connector, sleeps: list[float], **kwargs: Any):
    """The installed connector, reading through a client and sleep the test controls."""
    client = httpx.Client(timeout=10)
    return replace(connector, read=partial(read, client=client, sleep=sleeps.append, **kwargs))


@pytest.fixture
def genesys(callkpi_pm):
    return callkpi_pm.catalog.connectors.get("genesys-cloud")


class TestGenesysConformance(ConnectorTests):
    connector_id = "genesys-cloud"

    @pytest.fixture(autouse=True)
    def _serve(self, server: GenesysServer) -> None:
        self.server = server

    def sample(self, tmp_path: Path) -> tuple[str, dict[str, Any]]:
        return self.server.url, config_for(self.server)


def test_sync_pages_retries_429_and_folds_into_facts(genesys, server, ingestor) -> None:
    server.throttle = 1
    sleeps: list[float] = []
    result = sync_source(connector_with(genesys, sleeps), server.url, config_for(server), ingestor)
    # Day 26: G1 G2 G3 G4 G7 → pages of 2, 2, 1. Day 27: G7 (again: it ends after midnight),
    # G5, G6 → pages of 2, 1. The first query was answered 429 and retried after 3 s.
    assert server.queries == [
        ("2025-10-26", 1), ("2025-10-26", 2), ("2025-10-26", 3),
        ("2025-10-27", 1), ("2025-10-27", 2),
    ]  # fmt: skip
    assert (sleeps, server.tokens) == ([3.0], ["token-1"])  # one token, cached
    assert result.checkpoint == {"done_until": "2025-10-28T00:00:00.000Z"}
    assert (
        result.notes["conversations started outside the queried chunk (read with their own chunk)"]
        == 1
    )
    # G1 offered+answered+hold×2+ended+wrapup = 6; G2 offered+abandoned = 2; G3 offered,
    # answered, transferred, offered in Billing, answered by Bo, ended, 2 wrap-ups = 8;
    # G4 self_served = 1; G7 offered, answered, ended, wrapup = 4; G5 offered, answered,
    # ended = 3; G6 offered, ended = 2 → 26.
    assert (result.ingest.accepted, result.ingest.quarantined) == (26, 0)

    facts = contact_facts(ingestor.store)
    assert facts["6a0c0000-0000-4000-8000-000000000001"] == {
        "outcome": "answered",
        "queue": "Support",
        "agentid": "Asa_Oberg",
        "wait_s": 20.0,
        "ring_s": 8.0,
        "hold_s": 60.0,
        "hold_count": 1,
        "talk_s": 250.0,
        "acw_s": 30.0,
        "handle_s": 340.0,
        "transfers": 0,
        "disposition": "Solved",
        "channel": "voice",
    }  # fmt: skip  (answered 08:00:50 − offered 08:00:30; talk 310 s connected − 60 s hold)
    transferred = facts["6a0c0000-0000-4000-8000-000000000003"]
    # Åsa 10:00:05 … Bo hangs up 10:05:10: 305 s talk; Bo's wrap-up ends 10:05:40 → ACW 30.
    assert (transferred["transfers"], transferred["talk_s"], transferred["acw_s"]) == (
        1,
        305.0,
        30.0,
    )
    assert [facts[f"6a0c0000-0000-4000-8000-00000000000{n}"]["outcome"] for n in (2, 4, 6)] == [
        "abandoned", "self_served", "timed_out",
    ]  # fmt: skip


def contact_facts(store) -> dict[str, dict[str, Any]]:
    columns = ("outcome", "queue", "agentid", "wait_s", "ring_s", "hold_s", "hold_count",
               "talk_s", "acw_s", "handle_s", "transfers", "disposition", "channel")  # fmt: skip
    table = ContactFact.__table__
    with store.transaction() as connection:
        rows = connection.execute(select(table)).mappings().all()
    return {row["contactid"]: {name: row[name] for name in columns} for row in rows}


def test_kpis_of_the_synced_conversations(genesys, server, ingestor) -> None:
    sync_source(connector_with(genesys, []), server.url, config_for(server), ingestor)
    views = tuple(KpiSelection(kpi, "first_queue") for kpi in ("answered", "abandon_rate", "asa", "service_level"))
    report = run_report(
        ingestor.store,
        ReportRequest(
            ("answered", "abandon_rate", "asa", "aht", "service_level", *views, KpiSelection("aht", "per_contact")),
            date(2025, 10, 26),
            date(2025, 10, 27),
        ),
    )
    row = report.rows[0]
    # Queue legs: G1 G2 G3 (Support 10:00:00→10:00:05, then Billing 10:02:06→10:02:10) G5 G6 G7
    # = 7 offered; answered G1 20, G3 5 and 4, G5 40, G7 10 = 5; abandoned G2.
    # ASA (20 + 5 + 4 + 40 + 10) / 5 = 15.8; within 20 s: G1 (exactly 20), G3 ×2, G7 = 4 of 7.
    # Agent legs: G1 340; G3 Åsa 10:00:05→10:02:05 talk 120 + ACW to 10:02:15 = 130, Bo
    # 10:02:10→10:05:10 talk 180 + ACW 30 = 210; G5 600; G7 600 + 10 ACW: AHT 1890 / 5 = 378.
    assert row["answered"] == 5
    assert row["asa"] == pytest.approx(15.8)
    assert row["aht"] == pytest.approx(378.0)
    assert row["service_level"] == pytest.approx(400 / 7)
    assert row["abandon_rate"] == pytest.approx(100 / 7)
    # The contact views: offered (queued) G1 G2 G3 G5 G6 G7 = 6; answered G1 G3 G5 G7 = 4;
    # ASA (20 + 5 + 40 + 10) / 4 = 18.75; AHT (G1 340 + G3 335 + G5 600 + G7 600 + 10 ACW) / 4
    # = 471.25; service level: G1, G3, G7 = 3 of 6 = 50 %.
    assert row["answered:first_queue"] == 4
    assert row["asa:first_queue"] == pytest.approx(18.75)
    assert row["aht:per_contact"] == pytest.approx(471.25)
    assert row["service_level:first_queue"] == pytest.approx(50.0)
    assert row["abandon_rate:first_queue"] == pytest.approx(100 / 6)


def test_a_second_sync_continues_after_the_last_completed_chunk(genesys, server, ingestor) -> None:
    first = sync_source(
        connector_with(genesys, []), server.url, config_for(server, end="2025-10-27"), ingestor
    )
    assert first.checkpoint == {"done_until": "2025-10-27T00:00:00.000Z"}
    server.queries.clear()
    again = sync_source(connector_with(genesys, []), server.url, config_for(server), ingestor)
    # Only day 27 is asked for; its 3 conversations: G7 (started the 26th, skipped), G5, G6.
    assert server.queries == [("2025-10-27", 1), ("2025-10-27", 2)]
    assert (again.ingest.accepted, again.ingest.duplicates) == (5, 0)
    saved = CheckpointStore(ingestor.store).load("genesys-cloud", server.url)
    assert saved == {"done_until": "2025-10-28T00:00:00.000Z"}


def test_a_revoked_token_is_replaced_once(genesys, server) -> None:
    server.revoke_after = 1  # the token stops working after the first page
    events = read_events(genesys, server, config_for(server, end="2025-10-27"))
    assert server.tokens == ["token-1", "token-2"]
    assert len(events) == 21  # day 26 alone: 6 + 2 + 8 + 1 + 4


def read_events(genesys, server, config, sleeps=None, **kwargs) -> list[RawEvent]:
    connector = connector_with(genesys, [] if sleeps is None else sleeps, **kwargs)
    items = connector.events(server.url, config, ConnectorRun(server.url))
    return [item for item in items if isinstance(item, RawEvent)]


def test_client_errors_fail_with_the_api_message_and_no_secret(genesys, server) -> None:
    server.fail_with = (400, {"message": "Interval is longer than 7 days", "code": "bad.request"})
    with pytest.raises(
        ValueError, match=r"HTTP 400: Interval is longer than 7 days \(bad.request\)"
    ):
        read_events(genesys, server, config_for(server))
    with pytest.raises(ValueError, match="client not found") as refused:
        read_events(genesys, server, config_for(server, client_secret="wrong"))
    assert "wrong" not in str(refused.value) and SECRET not in str(refused.value)


def test_429_retries_are_bounded(genesys, server) -> None:
    server.throttle = 100
    sleeps: list[float] = []
    with pytest.raises(ValueError, match=r"still rate limited \(HTTP 429\) after 2 retries"):
        read_events(genesys, server, config_for(server, max_retries=2, max_retry_wait_s=1),
                    sleeps=sleeps)  # fmt: skip
    assert sleeps == [1.0, 1.0]  # Retry-After 3 capped at max_retry_wait_s


def still_talking(finished: dict[str, Any]) -> dict[str, Any]:
    """G1 moved to 11:40 on the 27th, with its agent still in wrap-up: not ended yet."""
    shift = timedelta(days=1, hours=3, minutes=40)
    talking = json.loads(json.dumps(finished))
    talking.update(conversationId="6a0c0000-0000-4000-8000-000000000099",
                   conversationStart="2025-10-27T11:40:00.000Z")  # fmt: skip
    del talking["conversationEnd"]
    for participant in talking["participants"]:
        for segment in participant["sessions"][0]["segments"]:
            for key in ("segmentStart", "segmentEnd"):
                segment[key] = (iso(segment[key]) + shift).isoformat()
            if segment["segmentType"] == "wrapup":
                del segment["segmentEnd"]
    return talking


def test_a_conversation_still_in_progress_holds_the_checkpoint(genesys, server, ingestor) -> None:
    now = datetime(2025, 10, 27, 12, 0, tzinfo=UTC)
    server.conversations.append(still_talking(server.conversations[0]))
    connector = connector_with(genesys, [], now=lambda: now)
    result = sync_source(connector, server.url, config_for(server, end=now.isoformat()), ingestor)
    # Day 26 completes; day 27 holds an open conversation, so its end is not claimed.
    assert result.checkpoint == {"done_until": "2025-10-27T00:00:00.000Z"}
    assert (
        result.notes[
            "chunks stopped at: a conversation in it has not ended yet (read again next sync)"
        ]
        == 1
    )


def test_the_secret_is_never_shown(genesys, server) -> None:
    shown = redact(config_for(server), genesys.config_schema)
    assert shown["client_secret"] == "***" and shown["client_id"] == CLIENT_ID
    with pytest.raises(InvalidConfig) as invalid:
        validate_config(genesys, config_for(server, client_secret="", page_size=500))
    message = str(invalid.value)
    assert "/client_secret: the value (hidden: a secret)" in message
    assert "/page_size: 500 is greater than the maximum of 100" in message


def test_a_transfer_maps_to_the_canonical_leg_sequence(genesys, server) -> None:
    events = read_events(genesys, server, config_for(server, end="2025-10-27"))
    g3 = [e.payload for e in events if e.payload["contactid"].endswith("0003")]
    # G3 names the Billing queue only on Bo's segments (no acd participant for it): the
    # Billing leg starts with Bo's first segment, his alert at 10:02:06. Åsa handed over when
    # her interact ended with disconnectType transfer, 10:02:05.
    assert [
        (e["type"], e["time"].strftime("%H:%M:%S"), e.get("agentid"), e.get("queue")) for e in g3
    ] == [
        ("contact.offered", "10:00:00", None, "Support"),
        ("contact.answered", "10:00:05", "Asa_Oberg", "Support"),
        ("contact.transferred", "10:02:05", "Asa_Oberg", "Support"),
        ("contact.offered", "10:02:06", None, "Billing"),
        ("contact.answered", "10:02:10", BO, "Billing"),
        ("contact.wrapup_completed", "10:02:15", "Asa_Oberg", "Support"),
        ("contact.ended", "10:05:10", BO, "Billing"),
        ("contact.wrapup_completed", "10:05:40", BO, "Billing"),
    ]
    transfer = g3[2]["data"]
    assert transfer == {"kind": "blind", "to_agent": BO, "to_queue": "Billing"}
    assert g3[0]["data"] == g3[3]["data"] == {"direction": "inbound", "customer": "+4930123456"}
    assert g3[4]["data"] == {"ring_s": 4.0}
