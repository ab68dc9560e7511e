"""The calls a queue_log reader has seen but not finished, kept across runs in the checkpoint.

A call whose ENTERQUEUE lies before the input's start (a rotated log, a partial export)
still says how long it waited (CONNECT's holdtime, ABANDON's waittime …), so its offer
time can be reconstructed; a call with no outcome at the input's end stays open for the
next run, and is dropped, reported, once it is older than any real call could be.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .lines import BadLine, QueueLogLine

NOT_A_CALL = frozenset({"", "NONE", "REALTIME"})
RECONSTRUCTED = (
    "calls cut off at the start (no ENTERQUEUE): offer reconstructed from the logged wait"
)
NO_OFFER = "calls cut off at the start (no ENTERQUEUE) without a logged wait: no offer event"
OPEN_AT_END = "calls without an outcome at the end of the input (kept for the next run)"
TOO_OLD = "calls dropped after max_call_age_h without an outcome"
RESTARTED = "calls lost at an Asterisk restart (QUEUESTART)"


class CallBook:
    """Open calls by callid: queue ``q``, offered ``o``, finished ``x``, estimated offer
    time ``e`` and last activity ``t`` (Unix seconds) — short keys, as it lives in JSON."""

    def __init__(
        self, open_calls: dict[str, dict[str, Any]], notes: Counter[str], max_age_s: float
    ):
        self.open = open_calls
        self.notes = notes
        self.max_age_s = max_age_s
        self.newest = max((call["t"] for call in open_calls.values()), default=0.0)

    def _call(self, line: QueueLogLine) -> dict[str, Any]:
        if line.callid in NOT_A_CALL:
            raise BadLine(
                f"callid = {line.callid!r}: expected the caller channel's uniqueid on a "
                f"{line.event} line"
            )
        at = line.time.timestamp()
        self.newest = max(self.newest, at)
        call = self.open.get(line.callid)
        if call is None:
            call = self.open[line.callid] = {
                "q": line.queue,
                "o": False,
                "x": False,
                "e": None,
                "t": at,
            }
        call["t"] = max(call["t"], at)
        return call

    def offered(self, line: QueueLogLine) -> None:
        self._call(line)["o"] = True

    def seen(self, line: QueueLogLine, waited: float | None) -> None:
        call = self._call(line)
        if waited is not None and waited >= 0 and not call["o"]:
            at = line.time.timestamp() - waited
            call["e"] = at if call["e"] is None else min(call["e"], at)

    def finished(self, line: QueueLogLine, waited: float | None) -> None:
        self.seen(line, waited)
        self.open[line.callid]["x"] = True

    def refused(self, line: QueueLogLine) -> None:
        call = self._call(line)
        call["o"] = call["x"] = True

    def restarted(self) -> None:
        lost = [callid for callid, call in self.open.items() if call["o"] and not call["x"]]
        for callid in lost:
            del self.open[callid]
        if lost:
            self.notes[RESTARTED] += len(lost)

    def close_pass(self) -> list[tuple[str, str, float]]:
        """End of the input: ``(callid, queue, offer time)`` of each offer to reconstruct;
        finished calls are forgotten, open ones counted, stale ones dropped."""
        reconstruct = []
        for callid, call in list(self.open.items()):
            if not call["o"] and call["e"] is not None:
                reconstruct.append((callid, call["q"], call["e"]))
                call["o"] = True
                self.notes[RECONSTRUCTED] += 1
            if call["x"] or self.newest - call["t"] > self.max_age_s:
                self._forget(callid, call)
        still_open = sum(1 for call in self.open.values() if call["o"])
        self.notes[OPEN_AT_END] = still_open
        if not still_open:
            del self.notes[OPEN_AT_END]
        return reconstruct

    def _forget(self, callid: str, call: dict[str, Any]) -> None:
        if not call["x"]:
            self.notes[TOO_OLD] += 1
        elif not call["o"]:
            self.notes[NO_OFFER] += 1
        del self.open[callid]
