"""Pulling conversation details chunk by chunk, resuming from the last completed chunk.

The configured interval is cut into chunks (``chunk_hours``, UTC); each chunk is queried
page by page until a page holds fewer than ``page_size`` conversations. A conversation
belongs to the chunk in which it started: others the API returns (it answers by day) are
left to their own chunk. The checkpoint is the end of the last completed chunk, saved
after that chunk's events are stored, so ``callkpi sync genesys-cloud`` continues there.

A chunk holding a conversation that has not ended yet (and started less than
``max_open_hours`` ago) is not completed: the run stores what has ended and stops, and the
next sync reads that chunk again — stable ids make the repeat count as duplicates.

Each event's ``sequence`` is the source's order as the conversation gives it: its
``conversationStart`` in Unix milliseconds (the order the API returns conversations in),
then the event's index among the conversation's events (its participants and segments in
the order Genesys lists them). Both come from the conversation itself, never from a page
position, so a chunk read again stamps the same values.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from callkpi.connectors import IDLE, ConnectorRun, Idle, RawEvent, sequenced

from .api import Credentials, GenesysApi
from .mapping import ConversationMapper
from .segments import BadConversation, parse_time

OUTSIDE = "conversations started outside the queried chunk (read with their own chunk)"
IN_PROGRESS = "chunks stopped at: a conversation in it has not ended yet (read again next sync)"
NEVER_ENDED = "conversations without an end older than max_open_hours (read as they are)"
Clock = Callable[[], datetime]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)


def read(
    source: str,
    config: dict[str, Any],
    run: ConnectorRun | None = None,
    *,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    now: Clock = lambda: datetime.now(UTC),
) -> Iterator[RawEvent | Idle]:
    """Yield the events of every conversation in the configured interval not yet synced."""
    run = run or ConnectorRun(source)
    start, end = _window(config, now())
    done = run.checkpoint.get("done_until") if run.checkpoint else None
    if done:
        start = max(start, parse_time(done, "checkpoint done_until"))
    with ExitStack() as stack:
        if client is None:
            client = stack.enter_context(httpx.Client(timeout=config.get("timeout_s", 60)))
        api = _api(source, config, client, sleep)
        yield from _chunks(api, config, run, _intervals(start, end, config), now)


def _api(
    source: str, config: dict[str, Any], client: httpx.Client, sleep: Callable[[float], None]
) -> GenesysApi:
    api_url = source.rstrip("/")
    return GenesysApi(
        client,
        api_url,
        (config.get("login_url") or login_url_for(api_url)).rstrip("/"),
        Credentials(config["client_id"], config["client_secret"]),
        max_retries=config.get("max_retries", 5),
        max_retry_wait_s=config.get("max_retry_wait_s", 60),
        sleep=sleep,
    )


def login_url_for(api_url: str) -> str:
    """The login host of an API host: ``https://api.mypurecloud.de`` → ``https://login.mypurecloud.de``."""
    scheme, _, host = api_url.partition("://")
    if not host.startswith("api."):
        raise ValueError(
            f"source = {api_url!r}: cannot tell the login host; expected an API URL such as "
            "'https://api.mypurecloud.de', or set /login_url"
        )
    return f"{scheme}://login.{host.removeprefix('api.')}"


def _window(config: dict[str, Any], now: datetime) -> tuple[datetime, datetime]:
    start = _config_time(config["start"], "/start")
    if "end" in config:
        end = _config_time(config["end"], "/end")
    else:  # recent conversations are still being written; leave them to a later sync
        end = now - timedelta(minutes=config.get("settle_minutes", 30))
    return start, min(end, now)


def _config_time(value: str, path: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError(
            f"{path}: {value!r} is not a date or time; expected '2025-10-26' (UTC midnight) "
            "or '2025-10-26T00:00:00Z'"
        )
    return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC)


def _intervals(
    start: datetime, end: datetime, config: dict[str, Any]
) -> Iterator[tuple[datetime, datetime]]:
    step = timedelta(hours=config.get("chunk_hours", 24))
    while start < end:
        yield start, min(start + step, end)
        start += step


def _chunks(
    api: GenesysApi,
    config: dict[str, Any],
    run: ConnectorRun,
    intervals: Iterator[tuple[datetime, datetime]],
    now: Clock,
) -> Iterator[RawEvent | Idle]:
    mapper = ConversationMapper(config, run.notes)
    open_limit = now() - timedelta(hours=config.get("max_open_hours", 24))
    for begin, finish in intervals:
        complete = True
        for conversation, origin in _conversations(
            api, begin, finish, config.get("page_size", 100)
        ):
            if not _started_within(conversation, begin, finish):
                run.notes[OUTSIDE] += 1
                continue
            if not conversation.get("conversationEnd"):
                if _started(conversation) > open_limit:
                    complete = False
                    continue
                run.notes[NEVER_ENDED] += 1
            yield from _events(mapper, conversation, origin)
        if not complete:
            run.notes[IN_PROGRESS] += 1
            return
        run.checkpoint = {"done_until": _iso(finish)}
        yield IDLE  # store this chunk's events and save the checkpoint that covers them


def _conversations(
    api: GenesysApi, begin: datetime, finish: datetime, page_size: int
) -> Iterator[tuple[dict[str, Any], str]]:
    interval = f"{_iso(begin)}/{_iso(finish)}"
    page = 1
    while True:
        body = {
            "interval": interval,
            "order": "asc",
            "orderBy": "conversationStart",
            "paging": {"pageSize": page_size, "pageNumber": page},
        }
        conversations = api.query(body).get("conversations") or []
        for index, conversation in enumerate(conversations):
            yield conversation, f"{interval} page {page} #{index + 1}"
        if len(conversations) < page_size:
            return
        page += 1


def _events(
    mapper: ConversationMapper, conversation: dict[str, Any], origin: str
) -> Iterator[RawEvent]:
    try:
        events = mapper.events(conversation)
    except BadConversation as exc:
        name = conversation.get("conversationId", "?")
        yield RawEvent(conversation, origin, f"conversation {name}: {exc}")
        return
    for event in sequenced(events, (_started(conversation) - EPOCH) // MILLISECOND):
        yield RawEvent(event, origin)


def _started(conversation: dict[str, Any]) -> datetime:
    return parse_time(conversation.get("conversationStart"), "conversationStart")



def _started_within(conversation: dict[str, Any], begin: datetime, finish: datetime) -> bool:
    try:
        return begin <= _started(conversation) < finish
    except BadConversation:
        return True  # let the mapper quarantine it, with the reason


def _iso(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )
