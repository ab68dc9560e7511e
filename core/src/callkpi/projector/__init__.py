"""The projector: folds stored events into fact rows, inside the ingest transaction.

Order independence is the contract (DESIGN.md, "Data flow" step 3): any permutation,
duplication and batching of the same events yields the same facts. Every contact or
agent a batch touches is therefore recomputed from all of its stored events, never
patched. The rules live in the modules: ``contacts`` (fact_contact), ``legs``
(fact_contact_leg: a contact's queue and agent legs), ``gaps`` (the gap to
the customer's next contact), ``agents`` and ``schedule`` (fact_agent_interval),
``roster`` (dim_agent_history, dim_agent), ``surveys`` and ``survey_attribution``
(fact_survey, fact_survey_response), ``business_facts``
(fact_case, fact_qa_evaluation, fact_sale), ``forecasts`` (fact_forecast_interval),
``buckets`` (local-time columns), ``open_episodes`` (agents' still-open episodes and each
centre's data end).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from ..store.centres import CentreConfig
from .agent_intervals import is_agent_event, project_agents
from .business_facts import BUSINESS_TYPES, is_business_event, project_business
from .contact_facts import is_contact_event, project_contacts
from .forecasts import FORECAST_TYPE, is_forecast_event, project_forecasts
from .open_episodes import advance_data_end, refresh_open_time
from .rebuild import rebuild
from .roster import is_roster_event, project_roster
from .surveys import FOLLOW_UP, SURVEY_TYPES, is_survey_event, project_surveys, reattribute_surveys

__all__ = ["project", "rebuild", "refresh_open_time"]
# Projections of their own: an event may feed one of these besides a contact (a sale with
# a contact id is the contact's revenue and a fact_sale row).
_OTHER_FACTS = (
    (is_survey_event, project_surveys),
    (is_business_event, project_business),
    (is_forecast_event, project_forecasts),
)
# Every type one of those may take: most of a batch is contact and agent events, which one
# set look-up rules out before the three predicates run.
_OTHER_TYPES = frozenset({*SURVEY_TYPES, FOLLOW_UP, *BUSINESS_TYPES, FORECAST_TYPE})


def project(
    connection: Connection, events: Sequence[dict[str, Any]], centres: dict[str, CentreConfig]
) -> dict[tuple[str, str], dict[str, Any]]:
    """Update the facts touched by ``events`` (stored bodies, just inserted), inside
    ``connection``'s transaction; return the ``fact_contact`` rows written, by (centre,
    contact id), as they now stand in the store."""
    contact_facts: dict[tuple[str, str], dict[str, Any]] = {}
    for name, (contacts, agents, roster) in _by_centre(events).items():
        centre = _centre(centres, name)
        if contacts:
            written = project_contacts(connection, centre, contacts)
            contact_facts.update(((name, contactid), row) for contactid, row in written.items())
            reattribute_surveys(connection, centre, list(written))
        advance_data_end(connection, name, (*contacts, *agents))
        if agents:
            project_agents(connection, centre, agents)
        if roster:
            project_roster(connection, name, roster)
    _project_other_facts(connection, events, centres)
    return contact_facts


def _project_other_facts(
    connection: Connection, events: Sequence[dict[str, Any]], centres: dict[str, CentreConfig]
) -> None:
    candidates = [body for body in events if body["type"] in _OTHER_TYPES]
    for belongs, project_facts in _OTHER_FACTS:
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for body in candidates:
            if belongs(body):
                grouped[body.get("centre", "default")].append(body)
        for name, bodies in grouped.items():
            project_facts(connection, _centre(centres, name), bodies)


def _by_centre(
    events: Sequence[dict[str, Any]],
) -> dict[str, tuple[list[Any], list[Any], list[Any]]]:
    grouped: dict[str, tuple[list[Any], list[Any], list[Any]]] = defaultdict(lambda: ([], [], []))
    for body in events:
        contacts, agents, roster = grouped[body.get("centre", "default")]
        if is_contact_event(body):
            contacts.append(body)
        elif is_agent_event(body):
            agents.append(body)
        elif is_roster_event(body):
            roster.append(body)
    return grouped


def _centre(centres: dict[str, CentreConfig], name: str) -> CentreConfig:
    if name not in centres:
        known = ", ".join(sorted(centres)) or "none"
        raise KeyError(
            f"centre = {name!r}: events of a centre that is not configured; "
            f"expected one of: {known}"
        )
    return centres[name]
