"""``callkpi init``, ``ingest`` and ``quarantine`` through CliRunner on a SQLite file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from typer.testing import Result

from callkpi.store.db import Store
from callkpi.store.tables import QuarantinedInput, StoredEvent
from callkpi.testing import event_factory

Run = Callable[..., Result]


def write_jsonl(path: Path, *events: dict | str) -> str:
    path.write_text("".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in events))
    return path.name


def summary(output: str, label: str) -> int:
    return int(re.search(rf"{label}\s*│\s*(\d+)", output).group(1))


def count(database: str, table: type, **where: str) -> int:
    store = Store.open(database)
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(getattr(table, column) == value)
    with store.transaction() as connection:
        found = connection.execute(query).scalar_one()
    store.dispose()
    return found


make = event_factory("cli")


def offered(contact: str, **extensions: str) -> dict:
    return make(
        "contact.offered", "2026-01-05T09:00:00Z", contactid=contact, queue="sales", **extensions
    )


def test_init_creates_the_store_and_a_private_key_file(run: Run, tmp_path: Path):
    first = run("init")
    assert first.exit_code == 0, first.output
    assert "Store ready: sqlite:///" in first.output and "HMAC key (created)" in first.output
    assert (tmp_path / "callkpi.db").exists()
    assert (tmp_path / "callkpi.key").stat().st_mode & 0o777 == 0o600
    assert "HMAC key (existing)" in run("init").output


def test_ingest_good_file_then_again_stores_nothing_new(run: Run, database: str, tmp_path: Path):
    name = write_jsonl(
        tmp_path / "events.jsonl",
        offered("c1"),
        offered("c2"),
        make("contact.abandoned", "2026-01-05T09:01:00Z", contactid="c2"),
    )
    first = run("ingest", name)
    assert first.exit_code == 0, first.output
    # 3 lines, all valid and new: 3 accepted, of which 2 contact.offered and 1 contact.abandoned.
    assert [
        summary(first.output, label) for label in ("accepted", "duplicates", "quarantined")
    ] == [3, 0, 0]
    assert re.search(r"contact\.offered\s*│\s*2", first.output)
    assert re.search(r"contact\.abandoned\s*│\s*1", first.output)

    second = run("ingest", name)
    assert second.exit_code == 0
    assert [summary(second.output, label) for label in ("accepted", "duplicates")] == [0, 3]
    assert (
        "Nothing new was stored: all 3 valid event(s) were already in the store." in second.output
    )
    assert count(database, StoredEvent) == 3


def test_ingest_bad_input_exits_1_and_says_where_to_look(run: Run, database: str, tmp_path: Path):
    naive = {**offered("c2"), "time": "2026-01-05T09:00:00"}
    name = write_jsonl(tmp_path / "mixed.jsonl", offered("c1"), naive, "{not json")
    result = run("ingest", name)
    assert result.exit_code == 1
    # One good line; the naive time and the broken line are quarantined.
    assert [summary(result.output, label) for label in ("accepted", "quarantined")] == [1, 2]
    assert "callkpi quarantine list" in result.output
    assert count(database, QuarantinedInput) == 2


def test_the_console_script_ingests_stdin(database: str):
    # A real process with a real pipe: CliRunner's stdin is an in-memory stand-in.
    script = Path(sys.executable).with_name("callkpi")
    line = json.dumps(offered("c9")) + "\n"
    result = subprocess.run(
        [script, "ingest", "-", "--database", database],
        input=line.encode(),
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert summary(result.stdout.decode(), "accepted") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ingest", "missing.jsonl"), "FILE = 'missing.jsonl': no such file"),
        (
            ("ingest", "-", "--connector", "nosuch"),
            "--connector: no connector 'nosuch' is installed",
        ),
        (("ingest", "-", "--config", "missing.toml"), "--config = 'missing.toml'"),
    ],
)
def test_ingest_mistakes_are_one_red_line_not_a_traceback(
    run: Run, args: tuple[str, ...], message: str
):
    result = run(*args)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert message in result.stderr
    assert "Traceback" not in result.output


@pytest.fixture
def quarantined(run: Run, tmp_path: Path) -> Run:
    """A store with two quarantined lines: #1 of an unknown centre, #2 with a mistyped type."""
    typo = {**offered("c2"), "type": "contact.ofered"}
    run("ingest", write_jsonl(tmp_path / "events.jsonl", offered("c1", centre="rotterdam"), typo))
    return run


def test_quarantine_list_and_show(quarantined: Run):
    listed = quarantined("quarantine", "list")
    assert listed.exit_code == 0
    assert re.search(
        r"1\s*│.*events\.jsonl:1\s*│ centre = 'rotterdam': no such centre", listed.output
    )
    assert re.search(r"2\s*│.*events\.jsonl:2\s*│ type = 'contact.ofered'", listed.output)
    shown = quarantined("quarantine", "show", "2")
    assert (
        "did you mean 'contact.offered'?" in shown.output
        and '"type": "contact.ofered"' in shown.output
    )
    raw = quarantined("quarantine", "show", "2", "--raw")
    assert json.loads(raw.output)["type"] == "contact.ofered"


def test_replay_after_centre_add_stores_the_event_and_keeps_the_row(
    quarantined: Run, database: str
):
    too_early = quarantined("quarantine", "replay", "1")
    assert (
        too_early.exit_code == 1
        and "1: still quarantined: centre = 'rotterdam'" in too_early.output
    )

    assert (
        quarantined("centre", "add", "rotterdam", "--timezone", "Europe/Amsterdam").exit_code == 0
    )
    replayed = quarantined("quarantine", "replay", "1")
    assert replayed.exit_code == 0, replayed.output
    assert "Replayed 1 of 1." in replayed.output
    assert count(database, StoredEvent, centre="rotterdam") == 1
    # Nothing deleted, nothing added: the two rows stay, #1 now replayed.
    assert count(database, QuarantinedInput) == 2
    assert count(database, QuarantinedInput, status="replayed") == 1
    assert "No open" not in quarantined("quarantine", "list").output
    assert re.search(
        r"1\s*│.*│\s*replayed", quarantined("quarantine", "list", "--status", "all").output
    )


def test_replay_with_a_fixed_file_and_a_new_failure_updates_reasons(
    quarantined: Run, database: str, tmp_path: Path
):
    fixed = json.loads(quarantined("quarantine", "show", "2", "--raw").output)
    still_bad = tmp_path / "still_bad.json"
    still_bad.write_text(json.dumps({**fixed, "type": "contact.offered", "queue": ""}))
    failed = quarantined("quarantine", "replay", "2", "--file", str(still_bad))
    assert failed.exit_code == 1
    assert (
        "queue = ''" in quarantined("quarantine", "show", "2").output
    )  # the new reason replaced the old

    good = tmp_path / "fixed.json"
    good.write_text(json.dumps({**fixed, "type": "contact.offered"}))
    assert quarantined("quarantine", "replay", "2", "--file", str(good)).exit_code == 0
    assert count(database, StoredEvent) == 1 and count(database, QuarantinedInput) == 2


def test_discard_keeps_the_row_and_refuses_twice(quarantined: Run, database: str):
    assert quarantined("quarantine", "discard", "2").exit_code == 0
    again = quarantined("quarantine", "discard", "2")
    assert again.exit_code == 1 and "already discarded" in again.stderr
    assert count(database, QuarantinedInput, status="discarded") == 1
    # --all replays only open rows: #1 (unknown centre) still fails, #2 is left alone.
    assert "Replayed 0 of 1." in quarantined("quarantine", "replay", "--all").output


def test_seal_seals_rows_stored_in_clear_and_an_altered_row_is_one_red_line(quarantined: Run, database: str):
    assert "Sealed 0 quarantined inputs stored in clear." in quarantined("quarantine", "seal").output
    store = Store.open(database)
    table = QuarantinedInput.__table__
    with store.transaction() as connection:  # as a release before sealing stored it
        connection.execute(update(table).where(table.c.id == 2).values(raw='{"type": "contact.ofered"}'))
    assert "Sealed 1 quarantined input stored in clear." in quarantined("quarantine", "seal").output
    assert json.loads(quarantined("quarantine", "show", "2", "--raw").output) == {"type": "contact.ofered"}
    with store.transaction() as connection:
        sealed = connection.execute(select(table.c.raw).where(table.c.id == 2)).scalar_one()
        connection.execute(update(table).where(table.c.id == 2).values(raw=sealed[:-8] + "AAAAAAA="))
    store.dispose()
    altered = quarantined("quarantine", "show", "2")
    assert altered.exit_code == 1 and "Traceback" not in altered.output
    assert "quarantine: sealed with another key or altered" in altered.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("quarantine", "replay"), "expected either one or more IDs or --all"),
        (("quarantine", "replay", "1", "2", "--file", "x.json"), "expected exactly one ID with it"),
        (("quarantine", "show", "99"), "id = 99: no quarantined input has this id"),
        (
            ("quarantine", "list", "--status", "closed"),
            "status = 'closed': expected one of open, replayed",
        ),
    ],
)
def test_quarantine_mistakes_are_one_red_line(
    quarantined: Run, args: tuple[str, ...], message: str
):
    result = quarantined(*args)
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.output


def test_rebuild_recomputes_the_facts(run: Run, tmp_path: Path):
    events = (
        offered("c1"),
        make("contact.abandoned", "2026-01-05T09:01:00Z", contactid="c1"),
        offered("c2"),
    )
    run("ingest", write_jsonl(tmp_path / "events.jsonl", *events))
    result = run("rebuild")
    assert result.exit_code == 0, result.output
    # Two contacts (c1 abandoned, c2 still waiting) and no agent events.
    assert "1 centre(s); the store now holds 2 contact(s) and 0 agent interval(s)" in result.output
    assert "--centre = 'nowhere': no such centre" in run("rebuild", "--centre", "nowhere").stderr

