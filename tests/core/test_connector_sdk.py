"""The connector SDK: declarations checked at registration, configs checked with every
error and its path, secrets never shown, checkpoints kept in the store, unmappable input
quarantined with the connector's reason, and the `connectors` / `sync` commands."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from callkpi import hookimpl
from callkpi.checkpoints import CheckpointStore
from callkpi.cli.connectors import mount
from callkpi.cli.runtime import CallkpiGroup
from callkpi.connector_config import InvalidConfig, redact, validate_config
from callkpi.connectors import Connector, RawEvent
from callkpi.plugins import get_plugin_manager
from callkpi.settings import Settings
from callkpi.store.quarantine import list_quarantined

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["url"],
    "properties": {
        "url": {"type": "string", "format": "uri"},
        "token": {"type": "string", "minLength": 20, "writeOnly": True},
        "mapping": {"type": "object", "properties": {"answered_at": {"enum": ["Time", "Date"]}}},
    },
}


def declaration(**changes: object) -> Connector:
    fields = {
        "id": "vendor-x",
        "title": "Vendor X",
        "emits": ("contact.recorded",),
        "read": lambda source, config: iter(()),
        "config_schema": SCHEMA,
    }
    return Connector(**{**fields, **changes})


def plugin_registering(connector: Connector) -> object:
    class Plugin:
        @hookimpl
        def callkpi_register_connectors(self, register) -> None:
            register(connector)

    return Plugin()


def test_an_invalid_config_schema_skips_the_plugin_naming_it_and_the_spot():
    broken = declaration(config_schema={"type": "object", "properties": {"url": {"type": "strng"}}})
    pm = get_plugin_manager(
        Settings(_env_file=None),
        entry_points_group=None,
        plugins=(("vendor_x", plugin_registering(broken)),),
    )
    assert "vendor-x" not in pm.catalog.connectors.connectors
    (skipped,) = pm.skipped
    assert skipped.name == "vendor_x"
    assert (
        "plugin 'vendor_x' registers connector 'vendor-x': config_schema is not a valid JSON Schema"
        in skipped.reason
    )
    assert "/properties/url/type" in skipped.reason


def test_emits_must_name_event_types():
    pm = get_plugin_manager(
        Settings(_env_file=None),
        entry_points_group=None,
        plugins=(("vendor_x", plugin_registering(declaration(emits=("Contact Recorded",)))),),
    )
    assert "vendor-x" not in pm.catalog.connectors.connectors
    assert (
        "emits = ['Contact Recorded']: expected a non-empty tuple of event type names"
        in pm.skipped[0].reason
    )


def test_every_config_error_is_reported_at_once_with_its_path():
    config = {"token": "short-secret", "mapping": {"answered_at": "Tiem"}, "colour": "blue"}
    with pytest.raises(InvalidConfig) as caught:
        validate_config(declaration(), config, where="vendor.toml")
    assert caught.value.errors == [
        "/: 'url' is a required property",
        "/: Additional properties are not allowed ('colour' was unexpected)",
        "/mapping/answered_at: 'Tiem' is not one of ['Time', 'Date']",
        "/token: the value (hidden: a secret) fails the 'minLength' check 20",
    ]
    assert "short-secret" not in str(caught.value)
    assert str(caught.value).startswith("vendor.toml is not a valid config:")


def test_redact_hides_secrets_only():
    config = {
        "url": "https://pbx.example",
        "token": "s3cr3t-token-value-123",
        "mapping": {"answered_at": "Time"},
    }
    assert redact(config, SCHEMA) == {
        "url": "https://pbx.example",
        "token": "***",
        "mapping": {"answered_at": "Time"},
    }


def test_checkpoints_are_kept_per_connector_and_source(store):
    checkpoints = CheckpointStore(store)
    assert checkpoints.load("asterisk", "/var/log/asterisk/queue_log") is None
    checkpoints.save("asterisk", "/var/log/asterisk/queue_log", {"offset": 10})
    checkpoints.save(
        "asterisk", "/var/log/asterisk/queue_log", {"offset": 250, "state": {"calls": {}}}
    )
    checkpoints.save("asterisk", "/other", {"offset": 1})
    assert checkpoints.load("asterisk", "/var/log/asterisk/queue_log") == {
        "offset": 250,
        "state": {"calls": {}},
    }
    assert checkpoints.load("csv", "/var/log/asterisk/queue_log") is None


def test_input_a_connector_could_not_map_is_quarantined_with_its_reason(store, ingestor):
    reason = (
        "row 4: talk_s: column 'Talk' = '2:5x': expected seconds (225), or a clock "
        "duration (3:45 or 0:03:45)"
    )
    (outcome,) = ingestor.ingest_batch(
        [RawEvent({"csv_row": {"Talk": "2:5x"}}, "export.csv:4", reason)]
    )
    assert (outcome.status, outcome.reasons) == ("quarantined", (reason,))
    with store.reading() as connection:
        (row,) = list_quarantined(connection, ingestor.quarantine_seal)
    assert (row.origin, json.loads(row.raw), row.reasons) == (
        "export.csv:4",
        {"csv_row": {"Talk": "2:5x"}},
        (reason,),
    )


@pytest.fixture
def cli(tmp_path, monkeypatch) -> tuple[CliRunner, typer.Typer]:
    monkeypatch.setenv("CALLKPI_DATABASE_URL", f"sqlite:///{tmp_path / 'callkpi.db'}")
    monkeypatch.setenv("CALLKPI_KEY_FILE", str(tmp_path / "callkpi.key"))
    root = typer.Typer(cls=CallkpiGroup)
    mount(root)
    return CliRunner(), root


def test_connectors_lists_installed_connectors_with_their_distribution(cli):
    runner, root = cli
    result = runner.invoke(root, ["connectors"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert (
        "callkpi-connector-asterisk" in result.output and "callkpi-connector-csv" in result.output
    )


def test_connectors_schema_prints_the_config_schema(cli):
    runner, root = cli
    result = runner.invoke(root, ["connectors", "schema", "csv"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["required"] == ["timezone", "mapping"]


def test_sync_continues_from_the_checkpoint_and_reports_notes(cli, tmp_path):
    runner, root = cli
    log = tmp_path / "queue_log"
    log.write_text(
        "1767690000|1767690000.1|sales|NONE|ENTERQUEUE||+31201234567|1\n"
        "1767690001|NONE|NONE|PJSIP/alice|OUTDIAL|0201234567\n",
        encoding="utf-8",
    )
    config = tmp_path / "asterisk.toml"
    config.write_text(f'source = "{log}"\n', encoding="utf-8")
    first = runner.invoke(
        root, ["sync", "asterisk", "--config", str(config)], env={"COLUMNS": "200"}
    )
    assert first.exit_code == 0, first.output
    assert (
        "Stored 1 new event(s)" in first.output
        and "OUTDIAL lines (unknown event, skipped)" in first.output
    )
    again = runner.invoke(
        root, ["sync", "asterisk", "--config", str(config)], env={"COLUMNS": "200"}
    )
    assert "The source held no events" in again.output


def test_sync_with_a_bad_config_lists_every_error(cli, tmp_path):
    runner, root = cli
    config = tmp_path / "csv.toml"
    config.write_text(
        'source = "x.csv"\ndelimiter = ";;"\n[mapping]\nwait_s = "Wait"\n', encoding="utf-8"
    )
    result = runner.invoke(root, ["sync", "csv", "--config", str(config)])
    assert result.exit_code == 1
    for expected in (
        "/: 'timezone' is a required property",
        "/delimiter: ';;' is too long",
        "/mapping: 'offered_at' is a required property",
    ):
        assert expected in result.output
