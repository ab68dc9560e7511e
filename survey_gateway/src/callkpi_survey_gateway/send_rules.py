"""The send-time rules: whether a claimed message may go *now*, checked just before each send.

The policy plans a survey's due time outside quiet hours, but a message goes out when the
dispatcher gets to it: after a backlog, a night's downtime or a 429 back-off that can be
hours later, into the night. So the dispatcher asks :func:`hold` right before handing a
message to the channel, and a message that may not go now is never sent:

1. **opted out** since it was scheduled: cancelled, the survey closed (the dispatcher's own
   suppression check; :data:`OPTED_OUT` is its recorded decision);
2. **expired**: the survey's ``expires_at`` has passed → the survey expires;
3. **frequency cap** (opening messages): another survey of the same customer and centre
   went out within ``frequency_cap_days`` (two contacts scheduled close together, two
   ingest processes at once) → the message waits until the cap ends, or the survey
   expires when that is after its expiry;
4. **quiet hours** in the customer's own zones (every zone of the number, most
   restrictive; the centre's zone when the number's is unknown, then the configuration's
   ``timezone``, then UTC) → the message waits for the next allowed moment, or the survey
   expires when that is after its expiry.

Replies inside a conversation the customer is having (the next question, a re-prompt, the
help text) answer a text the customer just sent: they may go in quiet hours within
:data:`REPLY_WINDOW` of that text, and wait for the morning after it like any other message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import Connection

from .config import QuietHours, SurveyConfig
from .decisions import Decision
from .quiet_hours import as_utc, first_known_zones, next_allowed, number_zones
from .tables import sg_message, sg_survey

OPENING_KINDS = frozenset({"first", "web_invite"})
CONVERSATION_KINDS = frozenset({"question", "reprompt", "help"})
REPLY_WINDOW = timedelta(minutes=15)
# an opening message in these statuses reached (or may have reached) the provider
HANDED_OVER = ("queued", "sent", "delivered", "unknown")


# the dispatcher checks the suppression list itself (it closes the survey); this is its record
OPTED_OUT = Decision("opted_out", "opted_out", "the customer opted out before the message was sent")


@dataclass(frozen=True)
class Hold:
    """Why a message may not go now: ``wait`` (until ``decision.until``) or ``expire`` the survey."""

    action: Literal["wait", "expire"]
    decision: Decision


def hold(connection: Connection, message: Mapping[str, Any], survey: Mapping[str, Any], number: str,
         config: SurveyConfig | None, centre_timezone: str | None, now: datetime) -> Hold | None:
    """Why ``message`` of ``survey`` (to ``number``) may not be sent at ``now``; ``None``: send it."""
    expires = as_utc(survey["expires_at"])
    if now >= expires:
        return Hold("expire", Decision("expired", "expired", f"the survey expired at {_utc(expires)} before its "
                                       f"{message['kind']} message was sent"))
    if message["kind"] in OPENING_KINDS and config is not None and config.frequency_cap_days > 0:
        capped = _capped(connection, message, survey, config, expires, now)
        if capped is not None:
            return capped
    zones = first_known_zones(number_zones(number), [centre_timezone], [config.timezone if config else None])
    return _quiet(message, zones, config.quiet_hours if config else QuietHours(), expires, now)


def _capped(connection: Connection, message: Mapping[str, Any], survey: Mapping[str, Any], config: SurveyConfig,
            expires: datetime, now: datetime) -> Hold | None:
    cap = timedelta(days=config.frequency_cap_days)
    last = _last_opening(connection, message, survey, now - cap)
    if last is None:
        return None
    ends = last + cap
    why = (f"another survey of this customer was sent at {_utc(last)}, within the {config.frequency_cap_days}-day "
           f"frequency cap (until {_utc(ends)})")
    if ends >= expires:
        return Hold("expire", Decision("expired", "capped", f"{why}, after the survey's expiry at {_utc(expires)}"))
    return Hold("wait", Decision("capped_wait", "capped", why, ends))


def _last_opening(connection: Connection, message: Mapping[str, Any], survey: Mapping[str, Any],
                  since: datetime) -> datetime | None:
    """When the newest opening message of the customer's other surveys in the centre went out
    since ``since``. A sibling still ``sending`` counts when its id is lower, so of two
    dispatchers sending to one customer at once exactly one goes ahead."""
    if not survey["customer_hmac"]:
        return None
    sent = sa.or_(sg_message.c.status.in_(HANDED_OVER),
                  sa.and_(sg_message.c.status == "sending", sg_message.c.id < message["id"]))
    query = (sa.select(sa.func.max(sg_message.c.claimed_at))
             .join(sg_survey, sg_survey.c.id == sg_message.c.survey_id)
             .where(sg_survey.c.customer_hmac == survey["customer_hmac"], sg_survey.c.centre == survey["centre"],
                    sg_survey.c.id != survey["id"], sg_message.c.kind.in_(sorted(OPENING_KINDS)), sent,
                    sg_message.c.claimed_at >= since))
    last = connection.execute(query).scalar()
    return as_utc(last) if last is not None else None


def _quiet(message: Mapping[str, Any], zones: list[ZoneInfo], quiet: QuietHours, expires: datetime,
           now: datetime) -> Hold | None:
    if message["kind"] in CONVERSATION_KINDS and now - as_utc(message["created_at"]) <= REPLY_WINDOW:
        return None  # the answer to a text the customer sent moments ago
    allowed = next_allowed(now, zones, quiet)
    if allowed <= now:
        return None
    local = ", ".join(f"{now.astimezone(zone):%H:%M} in {zone.key}" for zone in zones)
    why = f"quiet hours ({local}); the next allowed moment is {_utc(allowed)}"
    if allowed >= expires:
        return Hold("expire", Decision("expired", "quiet_hours", f"{why}, after the survey's expiry at "
                                       f"{_utc(expires)}"))
    return Hold("wait", Decision("quiet_hours_wait", "quiet_hours", why, allowed))


def _utc(when: datetime) -> str:
    return f"{as_utc(when):%Y-%m-%d %H:%M:%S} UTC"
