"""A fake Twilio REST API on 127.0.0.1 speaking the real Messages shapes, for the official SDK.

    with running_fake_twilio() as fake:          # or the ``fake_twilio`` fixture
        fake.script("+31612345678", Failure.code(21211))   # next send to that number fails
        ... TwilioChannel.from_settings(settings) with twilio_api_base=fake.base_url ...
        fake.sent_to("+31612345678")             # the messages it accepted for that number
        fake.post_status(sid, "delivered")       # a signed status callback, as Twilio sends it

What it checks like Twilio: HTTP basic auth (401, code 20003), ``To`` / ``Body`` / sender
present (21604 / 21602 / 21603), form-encoded POST. Answers: 201 message resource (sid
``SM`` + 32 hex, status ``queued``, RFC 2822 dates), error JSON ``{"code", "message",
"more_info", "status"}``, GET list (``To``, ``DateSent``, ``DateSent<``, ``DateSent>``,
``PageSize`` filters; newest first) and GET one message.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "fake-auth-token-0123456789abcdef"
MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC\w+)/Messages(?:/(?P<sid>\w+))?\.json$")
ERROR_TEXT = {
    21211: "The 'To' number {to} is not a valid phone number.",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {to}.",
    21610: "Attempt to send to unsubscribed recipient",
    21612: "The 'To' phone number: {to}, is not currently reachable using the 'From' phone number via SMS.",
    21614: "'To' number is not a valid mobile number",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
}


@dataclass(frozen=True)
class Failure:
    """How the next request for a recipient fails: HTTP ``status`` with Twilio error ``code``,
    or (``delay_s`` > 0) a reply that comes late — after the message *was* created."""

    status: int = 400
    error: int = 0
    delay_s: float = 0.0

    @classmethod
    def code(cls, error: int) -> Failure:
        """A 400 with Twilio error ``error`` (21211, 21610 …)."""
        return cls(400, error)

    @classmethod
    def too_many_requests(cls) -> Failure:
        return cls(429, 20429)

    @classmethod
    def server_error(cls) -> Failure:
        return cls(500, 20500)

    @classmethod
    def slow(cls, delay_s: float) -> Failure:
        """Create the message, then answer only after ``delay_s`` (a client timeout)."""
        return cls(201, 0, delay_s)


class FakeTwilio:
    """The fake's state: accepted messages and scripted failures, safe across threads."""

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.base_url = ""
        self.messages: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, in order
        self._scripts: dict[str, deque[Failure]] = defaultdict(deque)
        self._lock = threading.Lock()

    def script(self, to: str, *failures: Failure) -> None:
        """Make the next requests to ``to`` fail as ``failures``, one each, in order."""
        with self._lock:
            self._scripts[to].extend(failures)

    def sent_to(self, to: str) -> list[dict[str, Any]]:
        """The messages accepted for ``to``, oldest first."""
        with self._lock:
            return [m for m in self.messages.values() if m["to"] == to]

    def post_status(self, sid: str, status: str, error_code: int | None = None, *,
                    client: httpx.Client | None = None) -> httpx.Response:
        """POST a status callback for ``sid`` to its StatusCallback URL, signed like Twilio signs it."""
        message = self.messages[sid]
        self._record_status(message, status, error_code)
        params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": self.account_sid, "MessageStatus": status,
                  "SmsStatus": status, "To": message["to"], "From": message["from"] or "", "ApiVersion": "2010-04-01"}
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        url = message["status_callback"]
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        send = client.post if client else httpx.post
        return send(url, data=params, headers={"X-Twilio-Signature": signature})

    def _record_status(self, message: dict[str, Any], status: str, error_code: int | None) -> None:
        now = format_datetime(datetime.now(UTC), usegmt=True)
        with self._lock:
            message.update(status=status, error_code=error_code, date_updated=now)
            if status in ("sent", "delivered") and message["date_sent"] is None:
                message["date_sent"] = now

    def _next_failure(self, to: str) -> Failure | None:
        with self._lock:
            queue = self._scripts.get(to)
            return queue.popleft() if queue else None

    def _create(self, form: dict[str, str]) -> dict[str, Any]:
        now = format_datetime(datetime.now(UTC), usegmt=True)
        sid = "SM" + secrets.token_hex(16)
        message = {
            "account_sid": self.account_sid, "api_version": "2010-04-01", "body": form["Body"],
            "date_created": now, "date_sent": None, "date_updated": now, "direction": "outbound-api",
            "error_code": None, "error_message": None, "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "num_media": "0", "num_segments": "1",
            "price": None, "price_unit": "USD", "sid": sid, "status": "queued", "to": form["To"],
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media.json"},
            "status_callback": form.get("StatusCallback"),
        }
        with self._lock:
            self.messages[sid] = message
        return message


def _error(code: int, status: int, **values: str) -> tuple[int, dict[str, Any]]:
    text = ERROR_TEXT.get(code, "{field} is required.").format(**values)
    return status, {"code": code, "message": text, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status}


def _public(message: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in message.items() if key != "status_callback"}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeTwilio
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm the body then waits for
    # the client's delayed ACK, about 40 ms a request (as a real server's TCP_NODELAY avoids).
    disable_nagle_algorithm = True

    def log_message(self, *_: Any) -> None:  # keep pytest output clean
        pass

    def do_POST(self) -> None:
        self._answer(*self._post())

    def do_GET(self) -> None:
        self._answer(*self._get())

    def _post(self) -> tuple[int, dict[str, Any]]:
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        problem = self._refusal("POST")
        if problem:
            return problem
        missing = self._missing(form)
        if missing:
            return missing
        return self._scripted_create(form)

    def _scripted_create(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        failure = self.fake._next_failure(form["To"])
        if failure is None:
            return 201, _public(self.fake._create(form))
        if failure.delay_s:
            message = self.fake._create(form)
            time.sleep(failure.delay_s)
            return 201, _public(message)
        return _error(failure.error, failure.status, to=form["To"], field="")

    def _missing(self, form: dict[str, str]) -> tuple[int, dict[str, Any]] | None:
        if not form.get("To"):
            return _error(21604, 400, field="A 'To' phone number")
        if not form.get("Body"):
            return _error(21602, 400, field="Message body")
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return _error(21603, 400, field="A 'From' phone number")
        return None

    def _get(self) -> tuple[int, dict[str, Any]]:
        problem = self._refusal("GET")
        if problem:
            return problem
        match = MESSAGES.match(urlsplit(self.path).path)
        if match["sid"]:
            message = self.fake.messages.get(match["sid"])
            return (200, _public(message)) if message else _error(20404, 404, field="The requested resource")
        return 200, self._page(parse_qs(urlsplit(self.path).query))

    def _page(self, query: dict[str, list[str]]) -> dict[str, Any]:
        size = int(query.get("PageSize", ["50"])[0])
        wanted = [m for m in reversed(list(self.fake.messages.values())) if _matches(m, query)][:size]
        uri = f"/2010-04-01/Accounts/{self.fake.account_sid}/Messages.json"
        return {"messages": [_public(m) for m in wanted], "end": max(len(wanted) - 1, 0), "first_page_uri": uri,
                "next_page_uri": None, "page": 0, "page_size": size, "previous_page_uri": None, "start": 0,
                "uri": uri}

    def _refusal(self, method: str) -> tuple[int, dict[str, Any]] | None:
        path = urlsplit(self.path).path
        self.fake.requests.append((method, path))
        match = MESSAGES.match(path)
        if not match or match["account"] != self.fake.account_sid:
            return _error(20404, 404, field="The requested resource")
        expected = base64.b64encode(f"{self.fake.account_sid}:{self.fake.auth_token}".encode()).decode()
        if self.headers.get("Authorization") != f"Basic {expected}":
            return 401, {"code": 20003, "message": "Authenticate", "more_info":
                         "https://www.twilio.com/docs/errors/20003", "status": 401}
        return None

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _matches(message: dict[str, Any], query: dict[str, list[str]]) -> bool:
    if "To" in query and message["to"] != query["To"][0]:
        return False
    sent = message["date_sent"]
    day = sent and datetime.strptime(sent, "%a, %d %b %Y %H:%M:%S %Z").date().isoformat()
    for key, accept in (("DateSent", day.__eq__ if day else None), ("DateSent>", day.__ge__ if day else None),
                        ("DateSent<", day.__le__ if day else None)):
        if key in query and (accept is None or not accept(query[key][0][:10])):
            return False
    return True


@contextmanager
def running_fake_twilio(fake: FakeTwilio | None = None) -> Iterator[FakeTwilio]:
    """Serve ``fake`` (default: a new one) on a free port of 127.0.0.1 until the block ends."""
    fake = fake or FakeTwilio()
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
