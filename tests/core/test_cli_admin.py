"""``callkpi centre``, ``apikey``, ``plugins`` and ``schema`` through CliRunner on a SQLite file."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from callkpi.cli import app
from callkpi.store.db import Store
from callkpi.store.tables import ApiKey

Run = Callable[..., Result]


def one_red_line(result: Result) -> str:
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    return line


def test_centre_add_and_list(run: Run):
    added = run(
        "centre", "add", "rotterdam", "--timezone", "Europe/Amsterdam", "--phone-region", "NL"
    )
    assert added.exit_code == 0 and "Added centre rotterdam (Europe/Amsterdam)." in added.output
    changed = run("centre", "add", "rotterdam", "--timezone", "Europe/Brussels")
    assert "Updated centre rotterdam" in changed.output
    listed = run("centre", "list").output
    # The store always has centre 'default' (UTC); rotterdam moved to Brussels and lost its region.
    assert re.search(r"default\s*│ UTC\s*│ —", listed)
    assert re.search(r"rotterdam\s*│ Europe/Brussels\s*│ —", listed)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("x", "--timezone", "Mars/Olympus"),
            "--timezone: timezone 'Mars/Olympus' is not an IANA time zone; "
            "expected a name such as 'Europe/Amsterdam'",
        ),
        (
            ("x", "--timezone", "UTC", "--phone-region", "nl"),
            "--phone-region = 'nl': not a known region",
        ),
        (("Rotterdam", "--timezone", "UTC"), "NAME = 'Rotterdam': expected lower-case letters"),
    ],
)
def test_centre_add_names_the_bad_value(run: Run, args: tuple[str, ...], message: str):
    assert message in one_red_line(run("centre", "add", *args))


def stored_keys(database: str) -> list[ApiKey]:
    store = Store.open(database)
    with store.transaction() as connection:
        rows = connection.execute(select(ApiKey.__table__)).all()
    store.dispose()
    return rows


def test_apikey_create_stores_only_a_hash_and_list_revoke(run: Run, database: str):
    created = run("apikey", "create", "--scope", "ingest", "--centre", "default", "--label", "pbx")
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    (row,) = stored_keys(database)
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in " ".join(str(value) for value in row)  # the secret itself is nowhere
    assert key.startswith(row.prefix) and len(row.prefix) == 11

    assert re.search(
        rf"{row.prefix}\s*│ ingest\s*│ default\s*│ pbx\s*│.*│ active", run("apikey", "list").output
    )
    assert run("apikey", "revoke", row.prefix).exit_code == 0
    assert re.search(rf"{row.prefix}.*│ revoked", run("apikey", "list").output)
    assert "already revoked" in one_red_line(run("apikey", "revoke", row.prefix))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("create", "--scope", "ingest", "--centre", "nowhere"),
            "centre = 'nowhere': no such centre",
        ),
        (
            ("create", "--scope", "write", "--centre", "default"),
            "scope = 'write': expected one of ingest, read, admin",
        ),
        (("revoke", "ck_unknown"), "prefix = 'ck_unknown': no API key has this prefix"),
    ],
)
def test_apikey_mistakes(run: Run, args: tuple[str, ...], message: str):
    assert message in one_red_line(run("apikey", *args))


def test_plugins_lists_loaded_and_skipped(monkeypatch: pytest.MonkeyPatch, database: str):
    monkeypatch.setenv("CALLKPI_DISABLED_PLUGINS", "jsonl")
    result = CliRunner().invoke(app, ["plugins"])
    assert result.exit_code == 0
    assert re.search(
        r"callkpi\s*│ callkpi\s*│ [0-9.]+\s*│ callkpi_register_event_types", result.output
    )
    assert re.search(
        r"jsonl\s*│ callkpi-connector-jsonl\s*│ disabled by CALLKPI_DISABLED_PLUGINS", result.output
    )


def test_schema_lists_types_and_prints_one(database: str):
    listed = CliRunner().invoke(app, ["schema"])
    assert re.search(r"contact\.offered\s*│ contactid", listed.output)
    printed = CliRunner().invoke(app, ["schema", "contact.offered"])
    schema = json.loads(printed.stdout)
    assert schema["title"] == "contact.offered" and "data" in schema["properties"]


def test_schema_of_unknown_type_suggests_the_nearest(database: str):
    result = CliRunner().invoke(app, ["schema", "contact.ofered"])
    assert (
        "TYPE = 'contact.ofered': not a registered event type — did you mean 'contact.offered'?"
        in one_red_line(result)
    )


def test_centre_survey_agent_policy_is_stored_in_the_centre_settings(run: Run, database: str):
    from callkpi.store.centres import load_centres

    result = run("centre", "survey-agent-policy", "default", "longest")
    assert result.exit_code == 0, result.output
    assert "survey answers go to the longest agent" in result.output
    store = Store.open(database)
    with store.transaction() as connection:
        assert load_centres(connection)["default"].settings.survey_agent_policy == "longest"
    store.dispose()
    assert "POLICY = 'loudest': expected one of last, first, longest" in one_red_line(
        run("centre", "survey-agent-policy", "default", "loudest")
    )
    assert "NAME = 'nowhere': no such centre" in one_red_line(
        run("centre", "survey-agent-policy", "nowhere", "first")
    )


def test_centre_queue_map_set_and_remove_are_stored_in_the_centre_settings(run: Run, database: str):
    from callkpi.store.centres import load_centres

    assert run("centre", "queue-map", "set", "default", "sales", "--team", "red").exit_code == 0
    result = run("centre", "queue-map", "set", "default", "sales", "--site", "ams")
    assert result.exit_code == 0, result.output
    assert run("centre", "queue-map", "set", "default", "support", "--team", "blue").exit_code == 0
    assert run("centre", "queue-map", "remove", "default", "support").exit_code == 0
    store = Store.open(database)
    with store.transaction() as connection:
        queue_map = load_centres(connection)["default"].settings.queue_map
    store.dispose()
    assert {queue: (a.team, a.site) for queue, a in queue_map.items()} == {"sales": ("red", "ams")}
    listed = run("centre", "queue-map", "list", "default", "--format", "csv")
    assert listed.output == "queue,team,site\nsales,red,ams\n", listed.output
    assert json.loads(run("centre", "queue-map", "list", "default", "--format", "json").output) == [
        {"queue": "sales", "team": "red", "site": "ams"}
    ]
    long_queue = "q-" + "x" * 100
    assert run("centre", "queue-map", "set", "default", long_queue, "--team", "red").exit_code == 0
    table = run("centre", "queue-map", "list", "default").output
    assert "x" * 20 in table and "…" not in table
    assert "--team, --site: neither given" in one_red_line(run("centre", "queue-map", "set", "default", "sales"))
    assert "QUEUE = 'billing': not in centre default's queue map" in one_red_line(
        run("centre", "queue-map", "remove", "default", "billing")
    )


def test_centre_survey_followup_deadline_is_stored_in_the_centre_settings(run: Run, database: str):
    from callkpi.store.centres import load_centres

    result = run("centre", "survey-followup-deadline", "default", "24")
    assert result.exit_code == 0, result.output
    assert "a detractor's follow-up is due 24 h after the answer" in result.output
    store = Store.open(database)
    with store.transaction() as connection:
        assert load_centres(connection)["default"].settings.survey_followup_deadline_h == 24
    store.dispose()
    assert "HOURS = 'soon': expected a number of hours above 0 and at most 8760" in one_red_line(
        run("centre", "survey-followup-deadline", "default", "soon")
    )
