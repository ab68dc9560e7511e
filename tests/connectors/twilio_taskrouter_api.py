"""Test helpers for the twilio-taskrouter connector: the fixture events, the same events as
webhook callback parameters, and a small real HTTP server on 127.0.0.1 that answers like
TaskRouter's Events API (basic auth, StartDate/EndDate filter, newest first, paged by
PageSize with ``meta.next_page_url``, and a 429 when told to)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

FIXTURES = Path(__file__).parent / "fixtures" / "twilio_taskrouter"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token-not-a-secret"
WORKSPACE = "WS" + "abcdef0123456789" * 2
EVENTS_PATH = f"/v1/Workspaces/{WORKSPACE}/Events"


def fixture_events() -> list[dict[str, Any]]:
    """The messy fixture as the Events API lists it (see its generator notes in the tests)."""
    return json.loads((FIXTURES / "events.json").read_text(encoding="utf-8"))


def as_callback(item: dict[str, Any]) -> dict[str, str]:
    """The REST item as the form parameters of its event callback (CamelCase, strings)."""
    params = {"Sid": item["sid"], "EventType": item["event_type"],
              "AccountSid": ACCOUNT_SID, "WorkspaceSid": WORKSPACE}
    if "event_date_ms" in item:
        params["TimestampMs"] = str(item["event_date_ms"])
        params["Timestamp"] = str(item["event_date_ms"] // 1000)
    for name, value in item["event_data"].items():
        params["".join(part.title() for part in name.split("_"))] = str(value)
    return params


@dataclass
class FakeEventsApi:
    """What the fake API serves and what it was asked."""

    events: list[dict[str, Any]]
    too_many_requests: int = 0
    requests: list[str] = field(default_factory=list)
    url: str = ""

    def page(self, query: dict[str, list[str]]) -> dict[str, Any]:
        chosen = sorted((e for e in self.events if self._in_window(e, query)),
                        key=_sort_time, reverse=True)
        size = int(query.get("PageSize", ["50"])[0])
        offset = int(query.get("PageToken", ["0"])[0])
        following = None
        if offset + size < len(chosen):
            rest = {key: values[0] for key, values in query.items()}
            following = f"{self.url}?{urlencode({**rest, 'PageToken': offset + size})}"
        return {"events": chosen[offset:offset + size],
                "meta": {"page_size": size, "next_page_url": following, "key": "events"}}

    @staticmethod
    def _in_window(event: dict[str, Any], query: dict[str, list[str]]) -> bool:
        moment = _time(event)
        if moment is None:  # garbage dates are served as they are, for the reader to refuse
            return True
        start = _time({"event_date": query["StartDate"][0]})
        end = _time({"event_date": query["EndDate"][0]})
        return start <= moment <= end


def _time(event: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(event.get("event_date")).replace("Z", "+00:00"))
    except ValueError:
        return None


def _sort_time(event: dict[str, Any]) -> str:
    return str(event.get("event_date"))


def _handler(api: FakeEventsApi) -> type[BaseHTTPRequestHandler]:
    expected_auth = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            api.requests.append(self.path)
            parts = urlsplit(self.path)
            if self.headers.get("Authorization") != expected_auth:
                return self._send(401, {"message": "Authenticate", "code": 20003})
            if parts.path != EVENTS_PATH:
                return self._send(404, {"message": "not found"})
            if api.too_many_requests:
                api.too_many_requests -= 1
                return self._send(429, {"message": "Too Many Requests"}, {"Retry-After": "0"})
            return self._send(200, api.page(parse_qs(parts.query)))

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] = {}) -> None:  # noqa: B006
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve_events_api(events: list[dict[str, Any]]) -> Iterator[FakeEventsApi]:
    """Run the fake API on a free port of 127.0.0.1 for the ``with`` block."""
    api = FakeEventsApi(events)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    api.url = f"http://127.0.0.1:{server.server_address[1]}{EVENTS_PATH}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
