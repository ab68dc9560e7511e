"""Reading what the live views show: the board of a centre, its realtime snapshot and its alerts."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from ..api.deps import AppState
from ..api.models import ProblemItem
from ..api.problems import ProblemError
from ..store.centres import CentreConfig, load_centres
from .alerts.state import FIRING, current_states, recent_changes
from .models import AlertChangeOut, AlertRuleState, AlertsOverview, RealtimeSnapshot
from .realtime import Snapshot, take_snapshot
from .tiles import board


def centre_config(state: AppState, centre: str, where: ProblemItem) -> CentreConfig:
    """The configuration of ``centre``, or a 404 problem naming it."""
    with state.store.reading() as connection:
        config = load_centres(connection).get(centre)
    if config is None:
        detail = f"centre = {centre!r} is not a centre of this installation; expected one made with `callkpi centre`"
        raise ProblemError(404, "unknown-centre", "Not Found", detail, [where.model_copy(update={"detail": detail})])
    return config


def snapshot_now(state: AppState, centre: str) -> Snapshot:
    return take_snapshot(state.store, centre, datetime.now(UTC), state.pm.catalog.kpis)


def realtime(state: AppState, centre: str) -> RealtimeSnapshot:
    """The ``GET /v1/realtime`` body of ``centre`` now."""
    return RealtimeSnapshot.model_validate(asdict(snapshot_now(state, centre)))


def board_now(state: AppState, config: CentreConfig) -> dict[str, Any]:
    """The wallboard of ``config``'s centre now, with firing centre-wide alerts turning tiles red."""
    snapshot = snapshot_now(state, config.name)
    with state.store.reading() as connection:
        states = current_states(connection, config.name)
    firing = {
        rule.metric
        for rule in config.settings.alerts.parsed()
        if rule.queue is None and states.get(rule.id, {}).get("status") == FIRING
    }
    return board(snapshot, config, firing)


def alerts_overview(state: AppState, config: CentreConfig) -> AlertsOverview:
    """The centre's configured rules with their state, and its latest changes."""
    with state.store.reading() as connection:
        states = current_states(connection, config.name)
        changes = recent_changes(connection, config.name)
    rules = []
    for rule in config.settings.alerts.parsed():
        row = states.get(rule.id)
        fields = ("status", "since", "value", "evaluated_at")
        known = {key: row[key] for key in fields} if row else {"status": "unknown"}
        rules.append(AlertRuleState(id=rule.id, rule=rule.text, **known))
    return AlertsOverview(
        centre=config.name, rules=rules, changes=[AlertChangeOut.model_validate(change) for change in changes]
    )
