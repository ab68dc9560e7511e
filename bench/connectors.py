"""Connector parser benchmark: input lines per second, parser only, per installed connector.

    uv run python bench/connectors.py --lines 1000000

For every registered connector this script can feed (csv, asterisk, twilio-taskrouter,
amazon-connect; others are listed as skipped) it writes a ``--lines``-line input into a
temporary directory — not timed — then, in a fresh child process per connector, iterates
every event the connector yields, without validation or a store. It reports lines/s,
events/s and the child's peak resident memory. twilio-taskrouter's source is an HTTP API,
so its input is Events API items one per line fed through the connector's own item
reader and mapper (the HTTP paging is not measured). Target: ≥ 50,000 lines/s for the
asterisk and csv parsers.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from callkpi.connectors import ConnectorRun, RawEvent
from callkpi.plugins import get_plugin_manager

START = datetime(2026, 1, 5, 8, tzinfo=UTC)
AGENTS, QUEUES = 200, ("sales", "support", "billing", "retention")
TARGETS = {"asterisk": 50_000, "csv": 50_000}


@dataclass(frozen=True)
class Result:
    """One connector's run: what it read, how long, how much memory."""

    connector: str
    lines: int
    events: int
    errors: int
    seconds: float
    cpu_seconds: float
    peak_mb: float


# -- inputs: each writes ``lines`` lines and returns (source, config) ---------------------


def csv_input(folder: Path, lines: int) -> tuple[str, dict[str, Any]]:
    path = folder / "calls.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("CallID,Queue,Agent,Caller,Start,Answered,End,Wait,Talk,Status\n")
        for n in range(lines - 1):
            start = START + timedelta(seconds=n * 7)
            head = f"c{n},{QUEUES[n % 4]},"
            caller = f"+3120{n % 900_000:07d},{start:%Y-%m-%d %H:%M:%S},"
            if n % 9 == 0:  # abandoned: no agent, no answer, no end
                out.write(f"{head},{caller},,45,,Abandoned\n")
                continue
            answered, ended = start + timedelta(seconds=20), start + timedelta(seconds=200)
            out.write(f"{head}agent{n % AGENTS},{caller}{answered:%Y-%m-%d %H:%M:%S},"
                      f"{ended:%Y-%m-%d %H:%M:%S},20,180,Answered\n")
    mapping = {"contact_id": "CallID", "queue": "Queue", "agent": "Agent", "customer": "Caller",
               "offered_at": "Start", "answered_at": "Answered", "ended_at": "End",
               "wait_s": "Wait", "talk_s": "Talk",
               "outcome": {"column": "Status",
                           "values": {"Answered": "answered", "Abandoned": "abandoned"}}}
    return str(path), {"timezone": "Europe/Amsterdam", "datetime_format": "%Y-%m-%d %H:%M:%S",
                       "mapping": mapping}


def asterisk_input(folder: Path, lines: int) -> tuple[str, dict[str, Any]]:
    """Calls of three lines (ENTERQUEUE, CONNECT, COMPLETECALLER), every tenth abandoned."""
    path = folder / "queue_log"
    base = int(START.timestamp())
    with path.open("w", encoding="utf-8") as out:
        for n in range(lines // 3 + 1):
            at, queue, agent = base + n, QUEUES[n % 4], f"PJSIP/agent{n % AGENTS}"
            out.write(f"{at}|{at}.{n}|{queue}|NONE|ENTERQUEUE||+3120{n % 900_000:07d}|1\n")
            if n % 10 == 0:
                out.write(f"{at + 40}|{at}.{n}|{queue}|NONE|ABANDON|1|1|40\n")
                out.write(f"{at + 41}|NONE|{queue}|{agent}|PAUSE|lunch\n")
                continue
            out.write(f"{at + 20}|{at}.{n}|{queue}|{agent}|CONNECT|20|{at}.{n}9|3\n")
            out.write(f"{at + 200}|{at}.{n}|{queue}|{agent}|COMPLETECALLER|20|180|1\n")
    return str(path), {}


TASKROUTER_KINDS = ("task.created", "reservation.created", "reservation.accepted",
                    "task.wrapup", "reservation.wrapup", "task.completed",
                    "reservation.completed")


def taskrouter_input(folder: Path, lines: int) -> tuple[str, dict[str, Any]]:
    """Events API items, one per line: seven events per task."""
    path = folder / "taskrouter.jsonl"
    offsets = (0, 5, 20, 200, 200, 230, 230)
    with path.open("w", encoding="utf-8") as out:
        for n in range(lines):
            task, step = divmod(n, 7)
            moment = START + timedelta(seconds=task * 3 + offsets[step])
            caller = f"+3120{task % 900_000:07d}"
            attributes = f'{{\\"from\\": \\"{caller}\\", \\"direction\\": \\"inbound\\"}}'
            out.write(
                f'{{"sid": "EV{n:032x}", "event_type": "{TASKROUTER_KINDS[step]}", '
                f'"event_date": "{moment:%Y-%m-%dT%H:%M:%SZ}", '
                f'"event_date_ms": {int(moment.timestamp()) * 1000}, "event_data": {{'
                f'"task_sid": "WT{task:032x}", "task_queue_name": "{QUEUES[task % 4]}", '
                f'"task_channel_unique_name": "voice", "task_attributes": "{attributes}", '
                f'"worker_sid": "WK{task % AGENTS:032x}", "worker_name": "Agent {task % AGENTS}", '
                f'"worker_activity_name": "Available"}}}}\n')
    return str(path), {"auth_token": "bench"}


def connect_input(folder: Path, lines: int) -> tuple[str, dict[str, Any]]:
    """Amazon Connect contact records as Firehose writes them, one JSON record per line."""
    path = folder / "ctr.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for n in range(lines):
            start = START + timedelta(seconds=n * 2)

            def iso(seconds: int, start: datetime = start) -> str:
                return (start + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")

            out.write(
                f'{{"ContactId": "{n:08d}-0000-4000-8000-000000000000", "Channel": "VOICE", '
                f'"InitiationMethod": "INBOUND", "InitiationTimestamp": "{iso(0)}", '
                f'"LastUpdateTimestamp": "{iso(300)}", "DisconnectTimestamp": "{iso(230)}", '
                f'"CustomerEndpoint": {{"Address": "+3120{n % 900_000:07d}", '
                f'"Type": "TELEPHONE_NUMBER"}}, "Queue": {{"Name": "{QUEUES[n % 4]}", '
                f'"EnqueueTimestamp": "{iso(5)}", "Duration": 20}}, '
                f'"Agent": {{"Username": "agent{n % AGENTS}", '
                f'"ConnectedToAgentTimestamp": "{iso(25)}", "AgentInteractionDuration": 180, '
                f'"CustomerHoldDuration": 25, "NumberOfHolds": 1, '
                f'"AfterContactWorkDuration": 30, '
                f'"AfterContactWorkEndTimestamp": "{iso(260)}"}}}}\n')
    return str(path), {}


INPUTS: dict[str, Callable[[Path, int], tuple[str, dict[str, Any]]]] = {
    "csv": csv_input,
    "asterisk": asterisk_input,
    "twilio-taskrouter": taskrouter_input,
    "amazon-connect": connect_input,
}


# -- measuring, in a child process per connector ------------------------------------------


def count_lines(path: str) -> int:
    with open(path, "rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def events_of(connector_id: str, source: str, config: dict[str, Any]) -> Iterator[Any]:
    if connector_id == "twilio-taskrouter":
        return taskrouter_events(source, config)
    connector = get_plugin_manager().catalog.connectors.get(connector_id)
    return connector.events(source, config, ConnectorRun(source))


def taskrouter_events(source: str, config: dict[str, Any]) -> Iterator[RawEvent]:
    """The pull reader's per-item path (``EventsPuller._item``) over a file of items."""
    # Imported here, untimed: the connector is optional and its import pulls in FastAPI.
    from callkpi_connector_twilio_taskrouter.pull import Cursor, EventsPuller

    puller = EventsPuller(None, config, ConnectorRun(source))  # type: ignore[arg-type]
    return _items(source, puller, Cursor())


def _items(source: str, puller: Any, advanced: Any) -> Iterator[RawEvent]:
    with open(source, "rb") as handle:
        for number, line in enumerate(handle, 1):
            yield from puller._item(orjson.loads(line), f"line {number}", advanced)


def measure(connector_id: str, source: str, config: dict[str, Any], lines: int) -> Result:
    events = errors = 0
    stream = events_of(connector_id, source, config)  # loading the plugins is not timed
    began, began_cpu = time.perf_counter(), time.process_time()
    for event in stream:
        if isinstance(event, RawEvent):
            events += 1
            errors += event.error is not None
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - began_cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Result(connector_id, lines, events, errors, seconds, cpu_seconds, peak_mb)


def run_isolated(connector_id: str, source: str, config: dict[str, Any], lines: int) -> Result:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(measure, (connector_id, source, config, lines))


def report(results: list[Result], skipped: list[str]) -> None:
    """The table. ``CPU lines/s`` counts the child's own CPU time only: on a shared machine
    wall-clock rates fall with the load, CPU rates much less."""
    print(f"\n{'connector':<20}{'lines':>11}{'events':>11}{'errors':>8}{'wall s':>8}"
          f"{'lines/s':>10}{'CPU lines/s':>12}{'events/s':>10}{'peak MB':>8}  target (wall)")
    for r in results:
        target = TARGETS.get(r.connector)
        rate = r.lines / r.seconds
        verdict = "" if target is None else f"≥ {target:,}: {'met' if rate >= target else 'MISSED'}"
        print(f"{r.connector:<20}{r.lines:>11,}{r.events:>11,}{r.errors:>8,}{r.seconds:>8.1f}"
              f"{rate:>10,.0f}{r.lines / r.cpu_seconds:>12,.0f}{r.events / r.seconds:>10,.0f}"
              f"{r.peak_mb:>8.0f}  {verdict}")
    for line in skipped:
        print(f"skipped: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000, help="input lines per connector")
    parser.add_argument("--only", nargs="*", help="connector ids to run (default: all)")
    args = parser.parse_args()
    registered = set(get_plugin_manager().catalog.connectors.connectors)
    wanted = sorted(set(args.only) if args.only else registered)
    skipped = [f"{c} (no input generator here)" for c in wanted if c not in INPUTS]
    skipped += [f"{c} (not installed)" for c in wanted if c not in registered]
    results = []
    with tempfile.TemporaryDirectory(prefix="callkpi-bench-") as folder:
        for connector_id in (c for c in wanted if c in INPUTS and c in registered):
            began = time.perf_counter()
            source, config = INPUTS[connector_id](Path(folder), args.lines)
            lines = count_lines(source)
            print(f"{connector_id}: wrote {lines:,} lines in {time.perf_counter() - began:.1f} s "
                  "(not timed)", flush=True)
            results.append(run_isolated(connector_id, source, config, lines))
            Path(source).unlink()
    report(results, skipped)


if __name__ == "__main__":
    main()
