"""Pull mode: page through the TaskRouter Events REST API from a cursor checkpoint.

``source`` is the workspace's Events URL
(``https://taskrouter.twilio.com/v1/Workspaces/WS…/Events``). A run asks for the events
from the cursor to now minus ``settle_seconds`` and follows ``meta.next_page_url``. The
order of events within the answer is not relied on: the cursor — the latest event time
seen and the sids seen at exactly that time — is advanced only once the whole window has
been read, so an interrupted run re-reads its window (duplicates, never gaps).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from callkpi.connectors import ConnectorRun, RawEvent

from .events import BadEvent, TaskRouterEvent, from_rest
from .mapping import EventMapper

FIRST_RUN_LOOKBACK = timedelta(hours=24)
MAX_RETRY_WAIT_S = 60.0
ALREADY_SEEN = "events already read by an earlier run (skipped)"
RETRIED = "HTTP 429/5xx answers (retried)"


@dataclass
class Cursor:
    """The latest event time read and the sids read at exactly that time."""

    last: datetime | None = None
    sids: set[str] = field(default_factory=set)

    @classmethod
    def from_checkpoint(cls, saved: dict[str, Any] | None) -> Cursor:
        if not saved or not saved.get("last_event_date"):
            return cls()
        return cls(datetime.fromisoformat(saved["last_event_date"]), set(saved["sids_at_last"]))

    def covers(self, event: TaskRouterEvent) -> bool:
        if self.last is None:
            return False
        return event.time < self.last or (event.time == self.last and event.sid in self.sids)

    def advance(self, event: TaskRouterEvent) -> None:
        if self.last is None or event.time > self.last:
            self.last, self.sids = event.time, {event.sid}
        elif event.time == self.last:
            self.sids.add(event.sid)

    def to_json(self) -> dict[str, Any]:
        return {"last_event_date": self.last.isoformat() if self.last else None,
                "sids_at_last": sorted(self.sids)}


def read(source: str, config: dict[str, Any], run: ConnectorRun | None = None
         ) -> Iterator[RawEvent]:
    """Yield the events of the Events API at ``source`` after ``run``'s checkpoint."""
    auth = (_required(config, "account_sid"), _required(config, "auth_token"))
    with httpx.Client(auth=auth, timeout=30.0, headers={"Accept": "application/json"}) as client:
        yield from EventsPuller(client, config, run or ConnectorRun(source)).read(source)


def _required(config: dict[str, Any], name: str) -> str:
    if not config.get(name):
        raise ValueError(f"/{name}: missing; expected it in the config to read the Events API")
    return config[name]


class EventsPuller:
    """One run over the Events API through ``client`` (which carries the credentials)."""

    def __init__(self, client: httpx.Client, config: dict[str, Any], run: ConnectorRun,
                 now: datetime | None = None):
        self.client = client
        self.run = run
        self.mapper = EventMapper(config, run.notes)
        self.page_size: int = config.get("page_size", 1000)
        self.max_retries: int = config.get("max_retries", 5)
        self.cursor = Cursor.from_checkpoint(run.checkpoint)
        now = now or datetime.now(UTC)
        self.end = now - timedelta(seconds=config.get("settle_seconds", 15))
        read_until = (run.checkpoint or {}).get("read_until")
        # With no event read yet, the previous window's end: nothing lay before it.
        self.start = self.cursor.last or (
            datetime.fromisoformat(read_until) if read_until else _start_date(config, now))

    def read(self, url: str) -> Iterator[RawEvent]:
        _check_url(url, "source")
        params: dict[str, Any] | None = {
            "StartDate": _iso(self.start.replace(microsecond=0)),
            "EndDate": _iso(self.end), "PageSize": self.page_size}
        advanced = Cursor(self.cursor.last, set(self.cursor.sids))
        page_number = 0
        while url:
            page_number += 1
            page = self._get(url, params)
            for index, item in enumerate(_events(page, url), 1):
                yield from self._item(item, f"events page {page_number} item {index}", advanced)
            url, params = self._next(page, url), None
        self.run.checkpoint = {**advanced.to_json(), "read_until": self.end.isoformat()}

    def _item(self, item: Any, origin: str, advanced: Cursor) -> Iterator[RawEvent]:
        try:
            event = from_rest(item if isinstance(item, dict) else {})
            if self.cursor.covers(event):
                self.run.notes[ALREADY_SEEN] += 1
                return
            mapped = self.mapper.events(event)
        except BadEvent as exc:
            yield RawEvent(item if isinstance(item, dict) else repr(item), origin, str(exc))
            return
        advanced.advance(event)
        for payload in mapped:
            yield RawEvent(payload, f"{origin} ({event.sid})")

    def _next(self, page: dict[str, Any], current: str) -> str | None:
        meta = page.get("meta") if isinstance(page.get("meta"), dict) else {}
        following = meta.get("next_page_url")
        if not following:
            return None
        _same_origin(following, current)
        return following

    def _get(self, url: str, params: dict[str, Any] | None) -> dict[str, Any]:
        for attempt in range(self.max_retries + 1):
            try:
                response = self.client.get(url, params=params)
            except httpx.TransportError as exc:
                if attempt == self.max_retries:
                    raise ValueError(
                        f"GET {url}: {exc}; expected the Events API to answer") from None
                self._wait(None, attempt)
                continue
            if response.status_code == 429 or response.status_code >= 500:
                if attempt == self.max_retries:
                    break
                self._wait(response, attempt)
                continue
            return _page(response, url)
        raise ValueError(f"GET {url}: HTTP {response.status_code} after {self.max_retries} "
                         "retries; expected 200 (try again later, or raise /max_retries)")

    def _wait(self, response: httpx.Response | None, attempt: int) -> None:
        self.run.notes[RETRIED] += 1
        time.sleep(_retry_after(response, attempt))


def _page(response: httpx.Response, url: str) -> dict[str, Any]:
    if response.status_code in (401, 403):
        raise ValueError(f"GET {url}: HTTP {response.status_code}: the credentials were refused; "
                         "expected a valid /account_sid and /auth_token for this workspace")
    if response.status_code != 200:
        raise ValueError(f"GET {url}: HTTP {response.status_code} {response.text[:200]!r}; "
                         "expected 200 and a page of events")
    try:
        page = response.json()
    except ValueError:
        raise ValueError(f"GET {url}: the answer is not JSON; expected a page of events") from None
    if not isinstance(page, dict):
        raise ValueError(f"GET {url}: the answer is a JSON {type(page).__name__}; expected an "
                         "object with 'events' and 'meta'")
    return page


def _events(page: dict[str, Any], url: str) -> list[Any]:
    events = page.get("events")
    if not isinstance(events, list):
        raise ValueError(f"GET {url}: events = {events!r:.80}; expected a list of events")
    return events


def _retry_after(response: httpx.Response | None, attempt: int) -> float:
    header = response.headers.get("Retry-After") if response is not None else None
    if header is not None and header.strip().isdigit():
        return min(float(header), MAX_RETRY_WAIT_S)
    return min(2.0**attempt, MAX_RETRY_WAIT_S)


def _start_date(config: dict[str, Any], now: datetime) -> datetime:
    given = config.get("start_date")
    if not given:
        return now - FIRST_RUN_LOOKBACK
    try:
        start = datetime.fromisoformat(given.replace("Z", "+00:00"))
    except ValueError:
        start = None
    if start is None or start.tzinfo is None:
        raise ValueError(f"/start_date: {given!r}: expected an ISO 8601 time with a UTC offset, "
                         "such as '2025-03-01T00:00:00Z'")
    return start.astimezone(UTC)


def _check_url(url: str, name: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"/{name}: {url!r}: expected the Events URL, such as "
                         "'https://taskrouter.twilio.com/v1/Workspaces/WS…/Events'")


def _same_origin(following: str, current: str) -> None:
    """The credentials go only to the host the config names, never to one a page names."""
    ours, theirs = urlsplit(current), urlsplit(following)
    if (ours.scheme, ours.netloc) != (theirs.scheme, theirs.netloc):
        raise ValueError(f"meta.next_page_url = {following!r}: expected a URL on "
                         f"{ours.scheme}://{ours.netloc}, the host of /source")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
