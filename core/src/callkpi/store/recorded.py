"""Telling plugins about each newly stored event once its batch committed
(``callkpi_event_recorded``).

The hook fires once per event, so a bulk ingest calls it tens of thousands of times a
second, and pluggy's dispatch cost more per call than the live views' listener does. When
no implementation wraps the hook, the implementations are called directly the way pluggy
calls them: last registered first, positionally with the arguments each one names, the
event's remaining listeners skipped once one raises.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from pluggy import HookCaller, HookImpl

from ..events import Envelope

Listener = Callable[[Envelope, str | None], Any]
_ARGUMENTS = ("event", "customer")
log = logging.getLogger(__name__)


def announce_recorded(hook: HookCaller, stored: Iterable[tuple[Envelope, str | None]]) -> None:
    """Call ``hook`` for each (stored event, customer in clear) in turn; a listener's failure
    is logged, since it must not undo a committed ingest."""
    listeners = direct_listeners(hook)
    for event, customer in stored:
        try:
            if listeners is None:
                hook(event=event, customer=customer)
            else:
                for listen in listeners:
                    listen(event, customer)
        except Exception:
            log.exception("a callkpi_event_recorded hook failed for event %s", event.id)


def direct_listeners(hook: HookCaller) -> list[Listener] | None:
    """The hook's implementations as plain calls in pluggy's order, or ``None`` when a
    wrapper needs pluggy's own call."""
    implementations = hook.get_hookimpls()
    if any(impl.hookwrapper or impl.wrapper for impl in implementations):
        return None
    return [_listener(impl) for impl in reversed(implementations)]


def _listener(impl: HookImpl) -> Listener:
    function = impl.function
    positions = tuple(_ARGUMENTS.index(name) for name in impl.argnames)
    if positions == (0,):  # the common listener takes the event alone
        return lambda event, _customer: function(event)
    return lambda *given: function(*(given[index] for index in positions))
