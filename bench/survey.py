"""Survey gateway benchmark: signed Twilio inbound replies per second, and their latency.

    uv run python bench/survey.py --replies 20000 --concurrency 32   # closed loop: the most it does
    uv run python bench/survey.py --replies 20000 --rate 500         # open loop: latency at 500/s

Creates a fresh SQLite store in a temporary directory with ``replies / 2`` active SMS surveys
(NPS then CSAT; numbers encrypted, found by HMAC) — not timed — and starts ``callkpi``'s app
with the survey gateway in a child process under uvicorn on 127.0.0.1, as ``callkpi serve``
would run it. Then it posts every reply as Twilio would (form-encoded, ``X-Twilio-Signature``
over the public URL, one ``MessageSid`` each) with the lean keep-alive client of
``bench/survey_load.py``: closed loop, at most ``--concurrency`` in flight; or, with
``--rate``, open loop, each request sent at its scheduled time over ``--concurrency``
connections and its latency counted from that time (no coordinated omission). First each
customer's NPS answer, then each one's CSAT answer, so every reply changes a survey (an
answer, the next question queued, or the thanks with the survey completed and its number
wiped), and the events flushed to ingest after each response. Requests, signatures
included, are built before the clock starts; a few hundred texts from unknown numbers warm
the server up first.

Reports replies/s, p50/p90/p99/max latency and the CPU a reply of the server and of this
client, then checks every answer was recorded. Targets: ≥ 500 replies/s with p99 < 100 ms
(in open loop: offered at least 500/s, and the server keeping up). The dispatcher is kept
idle (its interval is an hour and its Twilio base URL a closed local port), so only the
inbound path is measured.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
from cryptography.fernet import Fernet
from twilio.request_validator import RequestValidator

from callkpi.store.db import Store
from callkpi.store.privacy import CustomerHasher
from callkpi.store.tables import StoredEvent
from callkpi_survey_gateway.crypto import NumberCipher
from callkpi_survey_gateway.gateway_store import migrate_gateway
from callkpi_survey_gateway.tables import sg_answer, sg_event_outbox, sg_survey

sys.path.insert(0, str(Path(__file__).parent))
from survey_load import Load, closed_loop, open_loop, request_bytes

PUBLIC_BASE_URL = "https://surveys.bench.test"
INBOUND_PATH = "/twilio/sms/inbound"
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "b" * 32
SMS_FROM = "+3197010000000"
WARM_UP = 300
TARGET_RPS, TARGET_P99_MS = 500, 100


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux ``/proc``): on a shared machine
    the server's CPU per reply says more about its cost than the wall clock does."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def customer_number(index: int) -> str:
    return f"+316{10_000_000 + index:08d}"


def server_environment(folder: Path) -> dict[str, str]:
    """The child's ``CALLKPI_*`` settings: a SQLite file, keys, and the survey configuration."""
    config = folder / "callkpi-survey.toml"
    config.write_text(f'[centres.default]\nbrand = "Bench"\nsms_from = "{SMS_FROM}"\n', encoding="utf-8")
    return os.environ | {
        "CALLKPI_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
        "CALLKPI_HMAC_KEY": secrets.token_hex(32),
        "CALLKPI_SURVEY_CONFIG_FILE": str(config),
        "CALLKPI_SURVEY_PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "CALLKPI_SURVEY_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "CALLKPI_SURVEY_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "CALLKPI_SURVEY_TWILIO_API_BASE": "http://127.0.0.1:9",  # closed: nothing may leave this machine
        "CALLKPI_SURVEY_KEY": Fernet.generate_key().decode(),
        "CALLKPI_SURVEY_DISPATCH_INTERVAL_S": "3600",
    }


def create_surveys(env: dict[str, str], count: int) -> None:
    """``count`` active NPS-then-CSAT surveys, one per customer, sent a minute ago."""
    store = Store.open(env["CALLKPI_DATABASE_URL"])
    migrate_gateway(store)
    hasher = CustomerHasher(bytes.fromhex(env["CALLKPI_HMAC_KEY"]))
    cipher = NumberCipher(env["CALLKPI_SURVEY_KEY"])
    now = datetime.now(UTC)
    rows = [{
        "id": f"sv_{index:024x}", "centre": "default", "contactid": f"bench-{index}", "agentid": f"a-{index % 50}",
        "queue": "sales", "customer_hmac": hasher.hash(customer_number(index)),
        "number_enc": cipher.encrypt(customer_number(index)), "timezones": ["Europe/Amsterdam"], "language": "en",
        "instruments": ["nps", "csat"], "channel": "sms", "status": "active", "step": 0, "reprompts": 0,
        "created_at": now - timedelta(minutes=1), "due_at": now - timedelta(minutes=1),
        "expires_at": now + timedelta(hours=24), "reminder_at": None,
    } for index in range(count)]
    with store.transaction() as connection:
        connection.execute(sa.insert(sg_survey), rows)
    store.dispose()


def signed_replies(surveys: int) -> tuple[list[tuple[dict[str, str], str]], list[tuple[dict[str, str], str]]]:
    """(warm-up texts from unknown numbers, the measured replies), each a form and its signature."""
    validator = RequestValidator(AUTH_TOKEN)
    url = PUBLIC_BASE_URL + INBOUND_PATH

    def signed(sid: int, number: str, body: str) -> tuple[dict[str, str], str]:
        form = {"MessageSid": f"SM{sid:032x}", "AccountSid": ACCOUNT_SID, "From": number, "To": SMS_FROM,
                "Body": body, "NumSegments": "1", "ApiVersion": "2010-04-01"}
        return form, validator.compute_signature(url, form)

    warm = [signed(10**9 + i, f"+4479{i:08d}", "hello") for i in range(WARM_UP)]
    nps = [signed(i, customer_number(i), str(i % 11)) for i in range(surveys)]
    csat = [signed(surveys + i, customer_number(i), str(1 + i % 5)) for i in range(surveys)]
    return warm, nps + csat


def drive(port: int, replies: list[tuple[dict[str, str], str]], concurrency: int, rate: float | None) -> Load:
    """Post ``replies`` in order: open loop at ``rate`` a second, else closed loop."""
    import uvloop

    requests = [request_bytes(f"127.0.0.1:{port}", INBOUND_PATH, form, {"X-Twilio-Signature": signature})
                for form, signature in replies]
    if rate is None:
        return uvloop.run(closed_loop("127.0.0.1", port, requests, concurrency))
    return uvloop.run(open_loop("127.0.0.1", port, requests, concurrency, rate))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """``callkpi``'s app with every installed plugin, under uvicorn in a child process."""
    command = [sys.executable, __file__, "--serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"the benchmark server on port {port} did not start within 60 s")


def serve(port: int) -> None:
    import uvicorn

    from callkpi.api.main import create_app

    uvicorn.run(create_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def recorded_answers(env: dict[str, str]) -> tuple[int, int, int]:
    """Answers the gateway stored, ``survey.response_received`` events ingest stored, events still queued."""
    store = Store.open(env["CALLKPI_DATABASE_URL"], migrate=False)
    responses = sa.select(sa.func.count()).select_from(StoredEvent).where(
        StoredEvent.type == "survey.response_received")
    queued = sa.select(sa.func.count()).select_from(sg_event_outbox).where(sg_event_outbox.c.flushed_at.is_(None))
    with store.reading() as connection:
        counts = tuple(connection.execute(query).scalar() for query in (
            sa.select(sa.func.count()).select_from(sg_answer), responses, queued))
    store.dispose()
    return counts


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=1000)[round(share * 1000) - 1]


def report(load: Load, server_cpu_s: float, replies: int, concurrency: int, rate: float | None) -> bool:
    """Print the numbers; True when both targets are met and nothing failed."""
    achieved = len(load.latencies) / load.seconds
    p50, p90, p99 = (percentile(load.latencies, share) * 1000 for share in (0.5, 0.9, 0.99))
    mode = f"open loop at {rate:,.0f}/s over {concurrency} connections" if rate else f"{concurrency} in flight"
    print(f"{replies} signed inbound replies, {mode}, in {load.seconds:.2f} s")
    # Open loop: the achieved rate ends a hair under the offered one (the last replies' latency is in the clock)
    served = f"{achieved:,.0f} replies/s served of {rate:,.0f}/s offered" if rate else f"{achieved:,.0f} replies/s"
    print(f"  {served} (target ≥ {TARGET_RPS})   failed: {len(load.failures)}"
          + (f" (first: {load.failures[0]})" if load.failures else ""))
    print(f"  latency p50 {p50:.1f} ms   p90 {p90:.1f} ms   p99 {p99:.1f} ms (target < {TARGET_P99_MS})   "
          f"max {max(load.latencies) * 1000:.1f} ms" + ("  (from each request's scheduled time)" if rate else ""))
    cpu_ms = server_cpu_s / replies * 1000
    print(f"  server CPU {cpu_ms:.2f} ms a reply: at most {1000 / cpu_ms:,.0f} replies/s on one free core; "
          f"client CPU {load.client_cpu_s / replies * 1000:.2f} ms a reply "
          f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    offered = rate if rate else achieved
    return offered >= TARGET_RPS and achieved >= 0.98 * offered and p99 < TARGET_P99_MS and not load.failures


def measure(env: dict[str, str], warm: list, replies: list, concurrency: int, rate: float | None) -> tuple[Load, float]:
    """Serve ``env``'s store, warm it up, then drive ``replies``: the load and the server's CPU seconds."""
    port = free_port()
    server = start_server(env, port)
    try:
        drive(port, warm, concurrency, None)
        cpu_before = cpu_seconds(server.pid)
        load = drive(port, replies, concurrency, rate)
        return load, cpu_seconds(server.pid) - cpu_before
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=20_000, help="measured replies (even; two per survey)")
    parser.add_argument("--concurrency", type=int, default=32,
                        help="requests in flight (closed loop), or connections (open loop)")
    parser.add_argument("--rate", type=float, default=None, help="open loop: requests scheduled a second")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.port)
        return 0
    with tempfile.TemporaryDirectory(prefix="callkpi-survey-bench-") as folder:
        env = server_environment(Path(folder))
        create_surveys(env, args.replies // 2)
        warm, replies = signed_replies(args.replies // 2)
        load, server_cpu_s = measure(env, warm, replies, args.concurrency, args.rate)
        met = report(load, server_cpu_s, len(replies), args.concurrency, args.rate)
        answers, ingested, queued = recorded_answers(env)
        print(f"  answers recorded: {answers} of {len(replies)}; survey.response_received events ingested: "
              f"{ingested}; events still in the outbox: {queued}")
    return 0 if met and answers == ingested == len(replies) else 1

if __name__ == "__main__":
    sys.exit(main())
