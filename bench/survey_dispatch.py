"""Survey dispatcher benchmark: messages per second to the fake Twilio, send-time rules on.

    uv run python bench/survey_dispatch.py --messages 5000

Creates a fresh SQLite store in a temporary directory with ``--messages`` due surveys (not
timed): numbers of the Netherlands, China and Nepal, where Monday 10:00 UTC is inside the
allowed window, and one in ten of the United States and Australia (Brisbane), where it is
night, so the quiet-hours check holds those back. Every survey is of its own customer, so the
frequency-cap check runs (and finds nothing) for each. The fake Twilio of the tests runs in a
child process on 127.0.0.1 (its CPU is not this process's); the official Twilio SDK sends to
it. Then one dispatcher pass is timed: claim, the send-time rules (suppression, expiry,
frequency cap, quiet hours in the number's zones), the send, the outcome recorded.

Reports messages sent per second (wall and per CPU second of this process), and how many
were held for quiet hours; checks the fake Twilio received exactly the sent ones.
Target: ≥ 100 messages/s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
from cryptography.fernet import Fernet
from twilio.rest import Client

from callkpi.store.db import Store
from callkpi.store.privacy import CustomerHasher
from callkpi_survey_gateway.channels import Sender
from callkpi_survey_gateway.channels.twilio import RedirectingHttpClient, TwilioChannel
from callkpi_survey_gateway.config import GatewaySettings, SurveyConfig
from callkpi_survey_gateway.crypto import NumberCipher
from callkpi_survey_gateway.dispatcher import Dispatcher
from callkpi_survey_gateway.gateway_store import migrate_gateway
from callkpi_survey_gateway.outbox import enqueue
from callkpi_survey_gateway.tables import sg_survey

TESTS = Path(__file__).parents[1] / "tests" / "survey_gateway"
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
SMS_FROM = "+3197010000000"
DAY_NUMBERS = ("+316{:08d}", "+86138{:08d}", "+97798{:08d}")  # 11:00, 18:00, 15:45 local
NIGHT_NUMBERS = ("+1212{:07d}", "+617{:08d}")  # 05:00 New York, 20:00 Brisbane: quiet
FAKE_TWILIO = f"""
import sys
sys.path.insert(0, {str(TESTS)!r})
from fake_twilio import running_fake_twilio
with running_fake_twilio() as fake:
    print(fake.base_url, fake.account_sid, fake.auth_token, flush=True)
    sys.stdin.read()
    print(len(fake.messages), flush=True)
"""


def number(n: int) -> str:
    pattern = NIGHT_NUMBERS[n % 2] if n % 10 == 9 else DAY_NUMBERS[n % 3]
    return pattern.format(n)


def seed(store: Store, cipher: NumberCipher, hasher: CustomerHasher, count: int) -> None:
    with store.transaction() as connection:
        for n in range(count):
            survey_id, to = f"sv_{n:024x}", number(n)
            connection.execute(sa.insert(sg_survey).values(
                id=survey_id, centre="default", contactid=f"c-{n}", customer_hmac=hasher.hash(to),
                number_enc=cipher.encrypt(to), timezones=[], language="en", instruments=["nps"], channel="sms",
                status="scheduled", step=0, reprompts=0, created_at=NOW - timedelta(minutes=10),
                due_at=NOW - timedelta(minutes=5), expires_at=NOW + timedelta(hours=24)))
            enqueue(connection, survey_id, "first", f"Acme: survey {n}. Reply 0-10. Reply STOP to opt out.",
                    NOW - timedelta(minutes=5), NOW - timedelta(minutes=10))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000, help="due messages, one survey each")
    args = parser.parse_args()
    fake = subprocess.Popen([sys.executable, "-c", FAKE_TWILIO], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    base_url, account_sid, auth_token = fake.stdout.readline().split()
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(f"sqlite:///{folder}/bench.db")
        migrate_gateway(store)
        settings = GatewaySettings(key=Fernet.generate_key().decode(), twilio_account_sid=account_sid,
                                   twilio_auth_token=auth_token, public_base_url="https://surveys.bench.test",
                                   config_file=Path(folder) / "none.toml")
        cipher, hasher = NumberCipher.from_settings(settings), CustomerHasher(b"k" * 32)
        seed(store, cipher, hasher, args.messages)
        config = SurveyConfig(brand="Acme", sms_from=SMS_FROM)  # default quiet hours and frequency cap
        client = Client(account_sid, auth_token, http_client=RedirectingHttpClient(base_url))
        dispatcher = Dispatcher(store, TwilioChannel(client), settings, senders=lambda _: Sender(sms_from=SMS_FROM),
                                render_reminder=lambda _connection, _survey: "", clock=lambda: NOW,
                                configs=lambda _: config)
        httpx.get(base_url)  # the fake is up
        cpu, wall = time.process_time(), time.perf_counter()
        counts = dispatcher.run_once()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        store.dispose()
    received = int(fake.communicate("")[0].strip())
    sent, held = counts["sent"], counts["waiting"]
    print(f"{args.messages} due messages: {sent} sent, {held} held for quiet hours, in {wall:.2f} s wall, "
          f"{cpu:.2f} s CPU of the dispatcher's process")
    print(f"{sent / wall:.0f} messages/s wall, {sent / cpu:.0f} per CPU s; {wall / args.messages * 1000:.2f} ms "
          "a message (held ones included)")
    expected_held = sum(1 for n in range(args.messages) if n % 10 == 9)
    if received != sent or held != expected_held or sent + held != args.messages:
        print(f"MISMATCH: the fake Twilio received {received}, expected {sent}; held {held}, expected "
              f"{expected_held}", file=sys.stderr)
        return 1
    print("target ≥ 100 messages/s:", "met" if sent / wall >= 100 else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
