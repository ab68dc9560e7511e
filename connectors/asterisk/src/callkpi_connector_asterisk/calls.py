"""The calls a queue_log reader has seen but not finished, kept across runs in the checkpoint.

Each call is followed one queue leg at a time (Asterisk logs a fresh ENTERQUEUE each time
the same caller channel joins a queue): when the leg was offered and answered, so the
next line's logged duration can be laid from there (an answer at offer + CONNECT's
holdtime, an end at answer + COMPLETE's calltime, an abandon at offer + ABANDON's waittime).

A call whose ENTERQUEUE lies before the input's start (a rotated log, a partial export)
still says how long it waited (CONNECT's holdtime, ABANDON's waittime …), so its offer
time can be reconstructed; a call with no outcome at the input's end stays open for the
next run, and is dropped, reported, once it is older than any real call could be.

A transfer or a queue timeout may be followed by the same caller entering another queue
(a blind transfer to a queue, an overflow), so the ``contact.ended`` they would give is
held back as the leg's *pending end* until ``REQUEUE_GRACE_S`` of log time has passed
without that happening; a new ENTERQUEUE or CONNECT in time discards it and opens the
next leg instead, so a contact keeps one end: its last.
"""

from __future__ import annotations

import heapq
from collections import Counter
from typing import Any

from .lines import BadLine, QueueLogLine

NOT_A_CALL = frozenset({"", "NONE", "REALTIME", "MANAGER", "CLI"})
# How long after a transfer or a timeout the caller may still turn up in another queue.
# A blind transfer or an overflow re-enters within a second or two (the dialplan runs
# straight into Queue()); two minutes leaves room for an announcement in between.
REQUEUE_GRACE_S = 120.0
RECONSTRUCTED = (
    "calls cut off at the start (no ENTERQUEUE): offer reconstructed from the logged wait"
)
NO_OFFER = "calls cut off at the start (no ENTERQUEUE) without a logged wait: no offer event"
OPEN_AT_END = "calls without an outcome at the end of the input (kept for the next run)"
PENDING_AT_END = (
    "transferred or timed-out calls that may still re-enter a queue (end kept for the next run)"
)
TOO_OLD = "calls dropped after max_call_age_h without an outcome"
RESTARTED = "calls lost at an Asterisk restart (QUEUESTART)"


class CallBook:
    """Open calls by callid, short keys as it lives in JSON: queue ``q`` of the current leg,
    offered ``o``, finished ``x``, estimated offer time ``e``, last activity ``t``; the
    current leg's offer time ``oa`` and answer time ``aa`` (Unix seconds, None when not
    seen) and answering agent ``ag``, ``lt`` the time the leg last moved on (answer or
    end), ``tr`` the leg ended in a logged transfer, ``ab`` the caller left it, ``pe`` its
    pending end (see the module)."""

    def __init__(
        self, open_calls: dict[str, dict[str, Any]], notes: Counter[str], max_age_s: float
    ):
        self.open = open_calls
        self.notes = notes
        self.max_age_s = max_age_s
        self.newest = max((call["t"] for call in open_calls.values()), default=0.0)
        # (due time, callid) of the pending ends; stale entries are skipped
        self._due_heap = [
            (call["pe"]["at"] + REQUEUE_GRACE_S, callid)
            for callid, call in open_calls.items()
            if call.get("pe")
        ]
        heapq.heapify(self._due_heap)

    def call(self, line: QueueLogLine) -> dict[str, Any]:
        """The call of ``line`` (opened when first seen)."""
        if line.callid in NOT_A_CALL:
            raise BadLine(
                f"callid = {line.callid!r}: expected the caller channel's uniqueid on a "
                f"{line.event} line"
            )
        at = line.time.timestamp()
        self.newest = max(self.newest, at)
        call = self.open.get(line.callid)
        if call is None:
            call = self.open[line.callid] = {"q": line.queue, "o": False, "x": False, "e": None}
            _new_leg(call, line.queue)
            call["t"] = at
        if "oa" not in call:  # a checkpoint written before legs were followed
            _new_leg(call, call["q"])
        call["t"] = max(call["t"], at)
        return call

    def known(self, callid: str) -> bool:
        return callid in self.open

    def offered(self, line: QueueLogLine) -> None:
        call = self.call(line)
        call["o"] = True
        call["oa"] = line.time.timestamp()

    def requeued(self, line: QueueLogLine) -> None:
        """``line`` (ENTERQUEUE or CONNECT) opens the call's next queue leg."""
        call = self.call(line)
        call.update(x=False)
        _new_leg(call, line.queue)

    def answered(self, line: QueueLogLine, at: float, waited: float | None) -> None:
        call = self.call(line)
        self._estimate(call, at, waited)
        call["aa"] = call["lt"] = at

    def seen(self, line: QueueLogLine, at: float, waited: float | None) -> None:
        self._estimate(self.call(line), at, waited)

    def finished(self, line: QueueLogLine, at: float, waited: float | None) -> None:
        call = self.call(line)
        self._estimate(call, at, waited)
        call["x"], call["lt"] = True, at

    def left(self, line: QueueLogLine, at: float, waited: float | None) -> None:
        """The caller left the leg's queue (ABANDON, EXITWITHKEY)."""
        self.finished(line, at, waited)
        self.open[line.callid]["ab"] = True

    def pending(
        self, line: QueueLogLine, at: float, waited: float | None, end: dict[str, Any]
    ) -> None:
        """The leg ended in a transfer or a timeout: ``end`` waits for the grace to pass."""
        call = self.call(line)
        self._estimate(call, at, waited)
        call["lt"], call["pe"] = at, end
        heapq.heappush(self._due_heap, (end["at"] + REQUEUE_GRACE_S, line.callid))
        call["tr"] = call["tr"] or line.event.endswith("TRANSFER")

    def refused(self, line: QueueLogLine) -> None:
        call = self.call(line)
        call["o"] = call["x"] = True

    def _estimate(self, call: dict[str, Any], at: float, waited: float | None) -> None:
        if waited is not None and waited >= 0 and not call["o"]:
            start = at - waited
            call["e"] = start if call["e"] is None else min(call["e"], start)

    def due_ends(self, now: float, keep: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        """The pending ends whose grace has passed by log time ``now`` (the call ``keep`` —
        the one the line in hand belongs to — excepted): ``(callid, end)``, the call finished."""
        due, kept, heap = [], [], self._due_heap
        while heap and heap[0][0] <= now:
            entry = heapq.heappop(heap)
            call = self.open.get(entry[1])
            end = call.get("pe") if call else None
            if not end or end["at"] + REQUEUE_GRACE_S != entry[0]:
                continue  # requeued, forgotten or replaced meanwhile
            if entry[1] == keep:
                kept.append(entry)
                continue
            due.append((entry[1], end))
            call["pe"], call["x"] = None, True
        for entry in kept:
            heapq.heappush(heap, entry)
        return due

    def restarted(self) -> None:
        lost = [callid for callid, call in self.open.items() if call["o"] and not call["x"]]
        for callid in lost:
            del self.open[callid]
        if lost:
            self.notes[RESTARTED] += len(lost)

    def reconstruct(self, callid: str) -> tuple[str, str, float] | None:
        """``(callid, queue, offer time)`` of the offer to rebuild for a call cut off at the
        start, once; None when it was offered or logged no wait."""
        call = self.open[callid]
        if call["o"] or call["e"] is None:
            return None
        call["o"] = True
        self.notes[RECONSTRUCTED] += 1
        return callid, call["q"], call["e"]

    def close_pass(self) -> list[tuple[str, str, float]]:
        """End of the input: ``(callid, queue, offer time)`` of each offer to reconstruct;
        finished calls are forgotten, open ones counted, stale ones dropped."""
        reconstruct = [offer for callid in list(self.open) if (offer := self.reconstruct(callid))]
        for callid, call in list(self.open.items()):
            if call["x"] or self.newest - call["t"] > self.max_age_s:
                self._forget(callid, call)
        self._count(OPEN_AT_END, lambda call: call["o"] and not call.get("pe"))
        self._count(PENDING_AT_END, lambda call: bool(call.get("pe")))
        return reconstruct

    def _count(self, note: str, which: Any) -> None:
        count = sum(1 for call in self.open.values() if which(call))
        self.notes[note] = count
        if not count:
            del self.notes[note]

    def _forget(self, callid: str, call: dict[str, Any]) -> None:
        if not call["x"]:
            self.notes[TOO_OLD] += 1
        elif not call["o"]:
            self.notes[NO_OFFER] += 1
        del self.open[callid]


def _new_leg(call: dict[str, Any], queue: str) -> None:
    call.update(q=queue, oa=None, aa=None, ag=None, lt=None, tr=False, ab=False, pe=None)


def leg_moved_on(call: dict[str, Any]) -> bool:
    """The call's current leg got past waiting: answered, ended, left or transferred."""
    return call.get("lt") is not None or call.get("ab", False) or call["x"]
