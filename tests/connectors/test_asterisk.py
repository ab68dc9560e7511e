"""The asterisk connector on a messy queue_log: every documented event, duplicated,
out-of-order, truncated and garbage lines, calls cut off at both ends, non-ASCII agents,
and the contact facts they make."""

from __future__ import annotations

import hashlib
import shutil
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from callkpi.checkpoints import sync_source
from callkpi.connector_conformance import ConnectorTests
from callkpi.connectors import ConnectorRun, RawEvent
from callkpi.store.tables import AgentIntervalFact, ContactFact

FIXTURES = Path(__file__).parent / "fixtures"
UTC = UTC
CONFIG = {"agents": {"Agent/4001": "karin"}}
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # epoch 1767603600, the fixture's first line


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0.timestamp() + seconds, UTC)


@pytest.fixture
def asterisk(callkpi_pm):
    return callkpi_pm.catalog.connectors.get("asterisk")


@pytest.fixture
def queue_log(tmp_path) -> Path:
    target = tmp_path / "queue_log"
    shutil.copy(FIXTURES / "queue_log", target)
    return target


def read(asterisk, path: Path, config: dict = CONFIG) -> tuple[list[RawEvent], ConnectorRun]:
    run = ConnectorRun(str(path))
    return [e for e in asterisk.events(str(path), config, run) if isinstance(e, RawEvent)], run


class TestAsteriskConformance(ConnectorTests):
    connector_id = "asterisk"

    def sample(self, tmp_path: Path) -> tuple[str, dict]:
        target = tmp_path / "queue_log"
        shutil.copy(FIXTURES / "queue_log", target)
        return str(target), CONFIG


EXPECTED_PER_EVENT = {
    "ENTERQUEUE": {"contact.offered"},
    "CONNECT": {"contact.answered", "agent.state_changed"},
    "COMPLETECALLER": {"contact.ended", "agent.state_changed"},
    "COMPLETEAGENT": {"contact.ended", "agent.state_changed"},
    "ABANDON": {"contact.abandoned"},
    "EXITWITHKEY": {"contact.abandoned"},
    "EXITWITHTIMEOUT": {"contact.ended"},
    "EXITEMPTY": {"contact.ended"},
    "FULL": {"contact.blocked"},
    "JOINEMPTY": {"contact.blocked"},
    "JOINUNAVAIL": {"contact.blocked"},
    "CLOSED": {"contact.blocked"},
    "TRANSFER": {"contact.transferred", "contact.ended", "agent.state_changed"},
    "BLINDTRANSFER": {"contact.transferred", "contact.ended", "agent.state_changed"},
    "ATTENDEDTRANSFER": {"contact.transferred", "contact.ended", "agent.state_changed"},
    "ADDMEMBER": {"agent.state_changed"},
    "REMOVEMEMBER": {"agent.state_changed"},
    "PAUSEALL": {"agent.state_changed"},
    "UNPAUSEALL": {"agent.state_changed"},
    "UNPAUSE": {"agent.state_changed"},
    "AGENTLOGIN": {"agent.state_changed"},
    "AGENTLOGOFF": {"agent.state_changed"},
    "AGENTCALLBACKLOGIN": {"agent.state_changed"},
    "AGENTCALLBACKLOGOFF": {"agent.state_changed"},
    # José's PAUSE emits not_ready; alice's PAUSE during a call emits nothing until the call ends.
    "PAUSE": {"agent.state_changed"},
    "RINGNOANSWER": set(),
    "RINGCANCELED": set(),
    "QUEUESTART": set(),
    "CONFIGRELOAD": set(),
    # alice's wrap-up: after_contact_work now, the call's wrap-up completed 30 s later.
    "WRAPUPSTART": {"agent.state_changed", "contact.wrapup_completed"},
    "OUTDIAL": set(),  # not documented anywhere (Asterisk logs outbound calls as OUTCALL)
}


def line_digest(text: str, centre: str = "default") -> str:
    """The part of an event id that names the line it came from (see the README)."""
    return hashlib.blake2b(f"{centre}\x1f{text}".encode(), digest_size=10).hexdigest()


def test_every_documented_event_maps_to_its_canonical_types(asterisk, queue_log):
    # Events are traced to their line by id, not by where they are yielded: an end held
    # back (a transfer's, the ready state after a call) comes out with a later line.
    kinds = {
        line_digest(line): line.split("|")[4]
        for line in queue_log.read_text().splitlines()
        if line.count("|") >= 4
    }
    emitted: dict[str, set[str]] = defaultdict(set)
    for event in read(asterisk, queue_log)[0]:
        digest = event.payload["id"].split("-")[1] if event.error is None else None
        if digest in kinds:
            emitted[kinds[digest]].add(event.payload["type"])
    assert {kind: emitted.get(kind, set()) for kind in EXPECTED_PER_EVENT} == EXPECTED_PER_EVENT


def test_messy_lines_are_reported_not_fatal(asterisk, queue_log):
    events, run = read(asterisk, queue_log)
    (bad,) = [e for e in events if e.error]
    assert (bad.origin, bad.payload) == ("queue_log:50", "garbage|line")
    assert (
        bad.error == "line 50: line has 2 '|'-separated fields; "
        "expected at least 5 (time|callid|queue|agent|event|data…)"
    )
    assert run.notes == {
        "OUTDIAL lines (unknown event, skipped)": 1,
        "RINGNOANSWER lines (informational, no canonical event)": 1,
        "RINGCANCELED lines (informational, no canonical event)": 1,
        "CONFIGRELOAD lines (informational, no canonical event)": 1,
        "lines that could not be read (quarantined)": 1,
        "incomplete last line (no newline yet): left for the next run": 1,
        "calls cut off at the start (no ENTERQUEUE): offer reconstructed from the logged wait": 1,
        "calls without an outcome at the end of the input (kept for the next run)": 1,
    }
    # The truncated last line '…|ENTERQ' is not consumed: the checkpoint stops before it.
    assert run.checkpoint["line"] == 50
    assert (
        run.checkpoint["position"]["offset"] == len(queue_log.read_bytes().rsplit(b"\n", 1)[0]) + 1
    )


def test_agents_pauses_and_non_ascii_names(asterisk, queue_log):
    states = [
        (e.payload["agentid"], e.payload["time"], e.payload["data"])
        for e in read(asterisk, queue_log)[0]
        if e.error is None and e.payload["type"] == "agent.state_changed"
    ]
    assert ("Jose_Garcia", at(1), {"state": "available"}) in states  # 'José García'
    assert ("karin", at(3), {"state": "available"}) in states  # named in the config's agents map
    assert ("Jose_Garcia", at(900), {"state": "not_ready", "reason": "Lunch"}) in states
    # alice pauses at +1010 while on c16; the pause starts when the call and its 30 s
    # wrap-up (WRAPUPSTART in the call's last second) end at +1130.
    alice = [
        (time, data) for agent, time, data in states if agent == "PJSIP/alice" and time >= at(1000)
    ]
    assert alice == [
        (at(1000), {"state": "on_contact"}),
        (at(1100), {"state": "after_contact_work"}),
        (at(1130), {"state": "not_ready", "reason": "Break"}),
        (at(1400), {"state": "logged_out"}),
    ]


def test_contact_facts_match_the_hand_worked_numbers(store, ingestor, asterisk, queue_log):
    summary = sync_source(asterisk, str(queue_log), CONFIG, ingestor).ingest
    # The duplicated CONNECT line is a duplicate; the garbage line is quarantined.
    assert (summary.duplicates, summary.quarantined) == (1, 1)
    with store.transaction() as connection:
        facts = {f.contactid: f for f in connection.execute(select(ContactFact)).all()}
    row = {cid: (f.outcome, f.wait_s, f.talk_s, f.transfers) for cid, f in facts.items()}
    assert row == {
        "1767603560.1": (
            "answered",
            25.0,
            60.0,
            0,
        ),  # cut off: offer = +10 − holdtime 25 → −15; talk +10..+70
        "1767603700.2": ("answered", 18.0, 180.0, 0),  # offered +100, answered +118, ended +298
        "1767603800.3": ("abandoned", 45.0, None, 0),  # +200 → +245
        "1767603900.4": (
            "answered",
            10.0,
            90.0,
            1,
        ),  # lines out of order: +300, +310, transfer at +400
        "1767604100.5": ("timed_out", 300.0, None, 0),  # EXITWITHTIMEOUT after 300 s
        "1767604110.6": ("timed_out", 10.0, None, 0),  # EXITEMPTY: the queue gave up on it
        "1767604130.7": ("abandoned", 10.0, None, 0),  # EXITWITHKEY: the caller left
        "1767604150.8": ("blocked", None, None, 0),
        "1767604151.9": ("blocked", None, None, 0),
        "1767604152.10": ("blocked", None, None, 0),
        "1767604153.11": ("blocked", None, None, 0),
        "1767604200.12": ("answered", 5.0, 60.0, 1),  # blind transfer +665 − connect +605
        "1767604300.14": ("answered", 2.0, 100.0, 1),  # attended transfer +802 − connect +702
        "1767604590.16": ("answered", 10.0, 100.0, 0),  # +990 → +1000 → +1100
        "1767605100.18": (None, None, None, 0),  # still waiting when the file ends
    }
    assert facts["1767603560.1"].offered_at == at(-15)


def test_alice_interval_states_from_pauses_and_calls(store, ingestor, asterisk, queue_log):
    sync_source(asterisk, str(queue_log), CONFIG, ingestor)
    with store.transaction() as connection:
        fact = connection.execute(
            select(AgentIntervalFact).where(
                AgentIntervalFact.agentid == "PJSIP/alice",
                AgentIntervalFact.interval_start == at(900),
            )
        ).one()
    # 09:15–09:23:20 staffed 500 s: available +900..+905 and +950..+1000 (55), Training
    # +905..+950 (45) and Break +1130..+1400 (270) not ready (315), on c16 +1000..+1100
    # (100), wrap-up +1100..+1130 (30).
    assert (
        fact.staffed_s,
        fact.available_s,
        fact.not_ready_s,
        fact.on_contact_s,
        fact.acw_s,
    ) == (500.0, 55.0, 315.0, 100.0, 30.0)


def test_next_run_continues_from_the_checkpoint_and_finishes_open_calls(
    store, ingestor, asterisk, queue_log
):
    first = sync_source(asterisk, str(queue_log), CONFIG, ingestor)
    again = sync_source(asterisk, str(queue_log), CONFIG, ingestor)
    assert again.ingest.total == 0  # nothing new: not even duplicates are re-read
    with queue_log.open("a", encoding="utf-8") as log:
        # Complete the truncated ENTERQUEUE of c15, then both waiting calls abandon.
        log.write(
            "UEUE||+31207777777|2\n1767605160|1767605100.18|support|NONE|ABANDON|1|1|60\n"
            "1767605230|1767605200.19|sales|NONE|ABANDON|1|1|30\n"
        )
    later = sync_source(asterisk, str(queue_log), CONFIG, ingestor)
    assert (later.ingest.accepted, later.ingest.duplicates) == (3, 0)
    assert first.checkpoint["line"] == 50 and later.checkpoint["line"] == 53
    with store.transaction() as connection:
        facts = {
            f.contactid: (f.outcome, f.wait_s)
            for f in connection.execute(select(ContactFact)).all()
        }
    # c14 offered at +1500 (first run), abandoned at +1560: 60 s; c15 +1600 → +1630: 30 s.
    assert facts["1767605100.18"] == ("abandoned", 60.0) and facts["1767605200.19"] == (
        "abandoned",
        30.0,
    )
    assert (
        "calls without an outcome at the end of the input (kept for the next run)"
        not in later.notes
    )


def test_rotated_or_truncated_file_is_read_from_the_start(store, ingestor, asterisk, queue_log):
    sync_source(asterisk, str(queue_log), CONFIG, ingestor)
    queue_log.write_text(
        "1767690000|1767690000.1|sales|NONE|ENTERQUEUE||+31201234567|1\n", encoding="utf-8"
    )
    rotated = sync_source(asterisk, str(queue_log), CONFIG, ingestor)
    assert rotated.ingest.accepted == 1
    assert (
        rotated.notes["file is shorter than at the last run (truncated): read from the start"] == 1
    )
    queue_log.write_text(
        "1767690100|1767690100.2|sales|NONE|ENTERQUEUE||+31201234567|1\n"
        "1767690101|1767690100.2|sales|NONE|ABANDON|1|1|1\n",
        encoding="utf-8",
    )
    replaced = sync_source(asterisk, str(queue_log), CONFIG, ingestor)
    assert replaced.ingest.accepted == 2
    assert (
        replaced.notes[
            "file starts differently than at the last run (rotated): read from the start"
        ]
        == 1
    )


def test_follow_reads_what_is_appended_and_stores_it_before_waiting(
    store, ingestor, asterisk, tmp_path
):
    log = tmp_path / "queue_log"
    log.write_text(
        "1767690000|1767690000.1|sales|NONE|ENTERQUEUE||+31201234567|1\n", encoding="utf-8"
    )
    looks = []

    def stop() -> bool:  # called after each pass: grow the file once, then stop
        looks.append(len(looks))
        if len(looks) == 1:
            with log.open("a", encoding="utf-8") as handle:
                handle.write("1767690030|1767690000.1|sales|NONE|ABANDON|1|1|30\n")
        return len(looks) > 1

    result = sync_source(
        asterisk, str(log), CONFIG, ingestor, follow=True, stop=stop, poll_interval_s=0
    )
    assert result.ingest.accepted == 2 and result.checkpoint["line"] == 2
    with store.transaction() as connection:
        fact = connection.execute(select(ContactFact)).one()
    assert (fact.outcome, fact.wait_s) == ("abandoned", 30.0)
