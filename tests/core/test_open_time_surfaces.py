"""The still-open detail of agent time in ``callkpi report`` (table, CSV, JSON) and the reports API.

Centre ``north`` (UTC), 2026-01-05: agent a1 available from 09:00 and still so at the data end,
10:20, the time of a2's last state event (a2: available 09:00, on contact 10:20). a1 is staffed
09:00–10:20 = 4,800 s, all of it open; a2 4,800 s closed.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from api_app import asgi_client, bearer, make_app, make_keys
from typer.testing import CliRunner

from callkpi.cli import app as cli
from callkpi.testing import TEST_HMAC_KEY, event_factory

NOTE = "includes 4,800 s still open at 2026-01-05 10:20"


def floor_day() -> list[dict]:
    make = event_factory()

    def state(clock, agent, name):
        return make("agent.state_changed", f"2026-01-05T{clock}:00Z", {"state": name}, agentid=agent, centre="north")

    return [
        state("09:00", "a1", "available"),
        state("09:00", "a2", "available"),
        state("10:20", "a2", "on_contact"),
    ]


@pytest.fixture
def app(store, tmp_path):
    app = make_app(store, snapshot_dir=tmp_path / "snapshot")
    yield app
    app.state.callkpi.store.dispose()


@pytest.fixture
async def client(app, store):
    keys = make_keys(store)
    async with asgi_client(app) as client:
        response = await client.post("/v1/events", json=floor_day(), headers=bearer(keys["ingest"]))
        assert response.status_code == 200, response.text
        yield client, keys


@pytest.mark.anyio
async def test_the_api_says_how_much_is_still_open(client):
    client, keys = client
    body = {"date_from": "2026-01-05", "kpis": ["utilization"], "group_by": ["agent"]}
    response = await client.post("/v1/reports", json=body, headers=bearer(keys["read"]))
    assert response.status_code == 200, response.text
    rows = {row["dimensions"]["agent"]: row["values"]["utilization"] for row in response.json()["rows"]}
    assert (rows["a1"]["n"], rows["a1"]["details"]["open_s"], rows["a1"]["note"]) == (4800, 4800, NOTE)
    assert (rows["a2"]["n"], rows["a2"]["details"]["open_s"], rows["a2"]["note"]) == (4800, 0, None)
    response = await client.get(
        "/v1/reports.csv",
        params={"from": "2026-01-05", "kpi": "utilization", "by": "agent"},
        headers=bearer(keys["read"]),
    )
    assert list(csv.reader(io.StringIO(response.text))) == [
        ["agent", "utilization [%]", "utilization open [s]"],
        ["a1", "0.0", "4800.0"],
        ["a2", "0.0", "0.0"],
    ]


def test_the_cli_table_csv_and_json_say_how_much_is_still_open(store, app, tmp_path):
    # the app made the centres; the events go in through the CLI's own ingest
    events = tmp_path / "floor.jsonl"
    events.write_text("".join(json.dumps(event) + "\n" for event in floor_day()))
    invoke = CliRunner(env={"CALLKPI_HMAC_KEY": TEST_HMAC_KEY.hex(), "COLUMNS": "200"}).invoke
    ingested = invoke(cli, ["ingest", str(events), "--database", store.url])
    assert ingested.exit_code == 0, ingested.output

    def report(*options):
        result = invoke(cli, ["report", "--kpi", "utilization", "--by", "agent", "--centre", "north",
                              "--from", "2026-01-05", "--database", store.url, *options])  # fmt: skip
        assert result.exit_code == 0, result.output
        return result.stdout

    table = report("--format", "table")
    assert NOTE in table and "still open: agents' state episodes not ended yet" in table
    document = json.loads(report("--format", "json"))
    a1 = next(row for row in document["rows"] if row["dimensions"]["agent"] == "a1")["values"]["utilization"]
    assert (a1["details"]["open_s"], a1["note"]) == (4800, NOTE)
    assert report("--format", "csv").splitlines()[:2] == [
        "agent,utilization [%],utilization open [s]",
        "a1,0.0,4800.0",
    ]
