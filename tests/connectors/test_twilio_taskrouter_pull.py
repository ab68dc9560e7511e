"""Pull mode against a real HTTP server on 127.0.0.1 that answers like the Events API:
paging, a 429, the cursor checkpoint across runs, refused credentials, a foreign next page.

The clean fixture (the garbage-dated item left out) has 22 TaskRouter events plus one
re-delivery; they make 23 distinct canonical events (see test_twilio_taskrouter.py).
"""

from __future__ import annotations

import pytest
from twilio_taskrouter_api import ACCOUNT_SID, AUTH_TOKEN, fixture_events, serve_events_api
from typer.testing import CliRunner

from callkpi.checkpoints import CheckpointStore, source_key, sync_source
from callkpi.cli import app
from callkpi.connectors import ConnectorRun, RawEvent
from callkpi_connector_twilio_taskrouter.pull import ALREADY_SEEN, RETRIED

CONFIG = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
          "start_date": "2025-10-25T00:00:00Z", "page_size": 5, "max_retries": 2}
FIRST_HOUR_END = "2025-10-26T01:00:00Z"


def clean_events() -> list[dict]:
    return [e for e in fixture_events() if e["event_date"] != "yesterday at noon"]


@pytest.fixture
def connector(callkpi_pm):
    return callkpi_pm.catalog.connectors.get("twilio-taskrouter")


@pytest.fixture
def api():
    with serve_events_api(clean_events()) as running:
        yield running


def test_pages_are_followed_and_a_429_is_retried(connector, api) -> None:
    api.too_many_requests = 1
    run = ConnectorRun(api.url)
    events = [e for e in connector.events(api.url, CONFIG, run) if isinstance(e, RawEvent)]
    # 23 items in the window (22 + the re-delivery) at 5 per page = 5 pages, plus the 429.
    assert len(api.requests) == 6
    assert "PageToken=20" in api.requests[-1]
    assert run.notes[RETRIED] == 1
    # 23 distinct events + the re-delivery's 2 = 25, none an error.
    assert (len(events), sum(e.error is not None for e in events)) == (25, 0)


def test_a_rerun_continues_from_the_cursor_and_stores_nothing_twice(connector, api,
                                                                      ingestor) -> None:
    everything = api.events
    api.events = [e for e in everything if e["event_date"] <= FIRST_HOUR_END]
    first = sync_source(connector, api.url, CONFIG, ingestor)
    # Up to 01:00: 13 distinct events (2 activities, 2 offers, answer + state, end, ACW
    # state, end + wrap-up, state, break, offline) and the re-delivered answer + state.
    assert (first.ingest.accepted, first.ingest.duplicates) == (13, 2)
    saved = CheckpointStore(ingestor.store).load("twilio-taskrouter", source_key(api.url))
    assert saved["last_event_date"] == "2025-10-26T01:00:00+00:00"
    assert saved["sids_at_last"] == ["EV" + f"{12:032x}"]

    api.events = everything
    second = sync_source(connector, api.url, CONFIG, ingestor)
    # From 01:00 on: Offline again (already read, skipped) and 10 new canonical events.
    assert "StartDate=2025-10-26T01%3A00%3A00Z" in api.requests[-1]
    assert (second.ingest.accepted, second.ingest.duplicates) == (10, 0)
    assert second.notes[ALREADY_SEEN] == 1

    third = sync_source(connector, api.url, CONFIG, ingestor)
    # Nothing new; the two events of 02:10 (unknown type, task.deleted) are served again.
    assert (third.ingest.accepted, third.ingest.duplicates, third.notes[ALREADY_SEEN]) == (
        0, 0, 2)


def test_an_empty_first_window_is_not_read_again(connector, api, ingestor) -> None:
    api.events = []
    sync_source(connector, api.url, CONFIG, ingestor)
    api.events = clean_events()
    again = sync_source(connector, api.url, CONFIG, ingestor)
    # The second window starts where the first ended (now − settle), not at start_date:
    # the 2025 fixture lies before it, so nothing is read.
    assert "StartDate=2025-10-25" not in api.requests[-1]
    assert again.ingest.accepted == 0


def test_refused_credentials_name_the_config_fields_not_the_token(connector, api) -> None:
    config = {**CONFIG, "auth_token": "wrong-token-value"}
    with pytest.raises(ValueError, match="HTTP 401") as raised:
        list(connector.events(api.url, config, ConnectorRun(api.url)))
    assert "/account_sid and /auth_token" in str(raised.value)
    assert "wrong-token-value" not in str(raised.value)


def test_persistent_429_gives_up_after_max_retries(connector, api) -> None:
    api.too_many_requests = 10
    with pytest.raises(ValueError, match="HTTP 429 after 2 retries"):
        list(connector.events(api.url, CONFIG, ConnectorRun(api.url)))
    assert len(api.requests) == 3  # the first try and 2 retries


def test_credentials_never_follow_a_next_page_on_another_host(connector, api) -> None:
    served_at = api.url
    api.url = served_at.replace("127.0.0.1", "localhost")  # the pages now point elsewhere
    with pytest.raises(ValueError, match=r"meta\.next_page_url = 'http://localhost:"):
        list(connector.events(served_at, CONFIG, ConnectorRun(served_at)))
    assert len(api.requests) == 1


def test_callkpi_sync_reads_the_api_into_the_store(api, tmp_path) -> None:
    config = tmp_path / "twilio.toml"
    config.write_text(
        f'source = "{api.url}"\naccount_sid = "{ACCOUNT_SID}"\nauth_token = "{AUTH_TOKEN}"\n'
        'start_date = "2025-10-25T00:00:00Z"\n', encoding="utf-8")
    database = f"sqlite:///{tmp_path / 'callkpi.db'}"
    args = ["sync", "twilio-taskrouter", "--config", str(config), "--database", database]
    first = CliRunner().invoke(app, args)
    again = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    # The second run skips everything up to the cursor: the two events of 02:10.
    assert ALREADY_SEEN in again.output
    assert AUTH_TOKEN not in first.output + again.output
