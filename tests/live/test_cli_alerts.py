"""``callkpi alerts`` in-process with Typer's CliRunner on a SQLite file."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from callkpi.cli import app
from callkpi.store.centres import load_centres
from callkpi.store.db import Store


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLKPI_KEY_FILE", str(tmp_path / "callkpi.key"))
    monkeypatch.setenv("COLUMNS", "200")
    database = f"sqlite:///{tmp_path / 'callkpi.db'}"
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, [*args, "--database", database])

    assert invoke("init").exit_code == 0
    invoke.database = database
    return invoke


def alert_settings(database: str):
    store = Store.open(database)
    try:
        with store.reading() as connection:
            return load_centres(connection)["default"].settings.alerts
    finally:
        store.dispose()


def test_add_list_and_remove_rules(run):
    added = run("alerts", "add", "abandon_rate>10% queue=sales")
    assert added.exit_code == 0, added.output
    assert "Added rule 'abandon_rate > 10 % queue=sales'" in added.output

    listed = run("alerts", "list")
    assert "abandon_rate > 10 % queue=sales" in listed.output and "not evaluated" in listed.output

    # removed by another spelling of the same rule
    removed = run("alerts", "remove", "abandon_rate > 10 % queue=sales")
    assert removed.exit_code == 0, removed.output
    assert alert_settings(run.database).rules == []


def test_bad_rules_and_unknown_rules_are_one_clear_line(run):
    bad = run("alerts", "add", "service_level < 80 for two intervals")
    twice = [run("alerts", "add", "waiting > 3"), run("alerts", "add", "waiting>3")][1]
    unknown = run("alerts", "remove", "waiting > 4")

    assert bad.exit_code == 1
    assert "alert rule 'service_level < 80 for two intervals': intervals 'two'; expected a whole number" in bad.output
    assert twice.exit_code == 1 and "already has rule 'waiting > 3'" in twice.output
    assert unknown.exit_code == 1 and "not a rule of centre default; expected one of 'waiting > 3'" in unknown.output


def test_webhooks_get_a_secret_and_can_be_removed(run):
    added = run("alerts", "webhook", "https://hooks.example/callkpi")
    assert added.exit_code == 0, added.output
    [hook] = alert_settings(run.database).webhooks
    assert hook.url == "https://hooks.example/callkpi" and hook.secret in added.output.replace("\n", "")

    short = run("alerts", "webhook", "https://hooks.example/other", "--secret", "short")
    assert short.exit_code == 1 and "at least 16 characters" in short.output

    assert run("alerts", "webhook", "https://hooks.example/callkpi", "--remove").exit_code == 0
    assert alert_settings(run.database).webhooks == []


def test_test_shows_values_without_recording(run):
    run("alerts", "add", "waiting >= 0")

    shown = run("alerts", "test")

    # 0 contacts waiting ≥ 0: it would fire, but nothing is recorded
    assert shown.exit_code == 0, shown.output
    assert "waiting >= 0" in shown.output and "yes" in shown.output
    assert "not evaluated" in run("alerts", "list").output
