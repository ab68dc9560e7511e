"""Contact lifecycle and contact summary event data."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, NonNegativeFloat, NonNegativeInt, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .envelope import EventData

Direction = Literal["inbound", "outbound"]
Outcome = Literal["answered", "abandoned", "blocked", "setup_failed", "self_served", "timed_out"]
Seconds = Annotated[NonNegativeFloat, Field(description="A duration in seconds, ≥ 0.")]
HMAC_PATTERN = r"^[0-9a-f]{64}$"
CALLBACK_OF = Field(
    None,
    pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,127}$",
    description=(
        "This contact calls the customer back for that earlier contact (its contactid): a queued "
        "callback (Amazon Connect InitiationMethod CALLBACK) or an outbound call returning a missed "
        "one. Reaching the customer on it counts as recovery by callback."
    ),
)
# What switches and carriers put in the caller field when the caller withheld the number or
# the network did not pass it on. Hashed, every such call would share one "customer" and
# count as one another's repeat contacts (FCR, repeat-contact gaps).
WITHHELD_CALLERS = frozenset({"anonymous", "restricted", "unavailable", "private", "unknown", "withheld"})
_ZEROS_ONLY = re.compile(r"^\+?[0\s-]*$")  # "", "+", "0", "+000 000": no number at all


def is_withheld(customer: str) -> bool:
    """Whether ``customer`` is a placeholder for a withheld or missing caller id, not a customer."""
    text = customer.strip()
    return text.lower() in WITHHELD_CALLERS or bool(_ZEROS_ONLY.match(text))


LEG_DESCRIPTION = (
    "A part of the contact that runs beside the others (docs/facts.md, \"Overlapping agents\"): "
    "an answer with `leg` opens an agent leg without ending the agents already on the contact "
    "(a consult, a conference, a transfer that creates a new task); an offer with `leg` is that "
    "part's queue leg; an end with `leg` ends that part only (the agent left the conference), "
    "and a wrap-up with `leg` is that agent leg's ACW. The contact itself ends with a "
    "`contact.ended` without `leg`, once every answered part has ended. Absent: the "
    "contact's one sequence of legs, as before."
)
LegId = Annotated[str | None, Field(None, min_length=1, max_length=128, description=LEG_DESCRIPTION)]


class CustomerFields(EventData):
    """Who the customer is. ``customer`` (a phone number or account id) never reaches the
    store: ingest replaces it by ``customer_hmac`` before the event is written."""

    customer: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="Phone number (E.164 preferred) or customer id, in clear; replaced at ingest.",
    )
    customer_hmac: str | None = Field(
        None, pattern=HMAC_PATTERN, description="HMAC-SHA256 of the normalised customer id; set by ingest."
    )

    @field_validator("customer", mode="before")
    @classmethod
    def _no_placeholder(cls, customer: object) -> object:
        """A withheld caller is no customer identity: kept as no customer at all."""
        return None if isinstance(customer, str) and is_withheld(customer) else customer


class ContactOfferedData(CustomerFields):
    leg: LegId = None
    direction: Direction = "inbound"
    language: str | None = Field(None, max_length=35, description="BCP 47 language tag of the customer.")
    entry_point: str | None = Field(
        None, max_length=64, description="Dialled number, chat widget or address the contact came in on."
    )
    callback_of: str | None = CALLBACK_OF


class ContactBlockedData(CustomerFields):
    direction: Direction = "inbound"
    reason: str | None = Field(None, max_length=64, description="Why: queue_full, closed, no_agents, trunk_busy …")


class ContactSetupFailedData(CustomerFields):
    direction: Direction = "inbound"
    reason: str | None = Field(None, max_length=64)


class ContactSelfServedData(CustomerFields):
    via: Literal["ivr", "bot", "web", "other"] = "ivr"
    language: str | None = Field(None, max_length=35)


class ContactAnsweredData(EventData):
    leg: LegId = None
    ring_s: Seconds | None = Field(None, description="How long it rang at the agent before being accepted.")


class ContactHoldStartedData(EventData):
    pass


class ContactHoldEndedData(EventData):
    pass


class ContactTransferredData(EventData):
    kind: Literal["blind", "attended", "consult", "unknown"] = "unknown"
    to_queue: str | None = Field(None, max_length=128)
    to_agent: str | None = Field(None, max_length=128)
    external: bool = False


class ContactAbandonedData(EventData):
    phase: Literal["queue", "ringing", "ivr"] = "queue"


class ContactEndedData(EventData):
    leg: LegId = None
    ended_by: Literal["customer", "agent", "system", "unknown"] = "unknown"
    timed_out: bool = Field(False, description="The queue gave up on the contact (max wait reached).")


class ContactWrapupCompletedData(EventData):
    leg: LegId = None
    disposition: str | None = Field(None, max_length=128)
    resolved: bool | None = Field(None, description="Did the agent mark the issue resolved?")


def _not_before(later: datetime | None, earlier: datetime | None, later_name: str, earlier_name: str) -> None:
    if later is not None and earlier is not None and later < earlier:
        raise PydanticCustomError(
            "time_order",
            "{later_name} {later} is before {earlier_name} {earlier}; expected {later_name} ≥ {earlier_name}",
            {
                "later_name": later_name,
                "later": later.isoformat(),
                "earlier_name": earlier_name,
                "earlier": earlier.isoformat(),
            },
        )


class ContactRecordedData(CustomerFields):
    """One complete contact, for sources that only export summaries."""

    outcome: Outcome
    direction: Direction = "inbound"
    language: str | None = Field(None, max_length=35)
    offered_at: AwareDatetime
    answered_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    wrapup_ended_at: AwareDatetime | None = None
    wait_s: Seconds | None = Field(None, description="Time in queue; derived from the timestamps when absent.")
    ring_s: Seconds | None = None
    talk_s: Seconds | None = Field(None, description="Talk time, excluding hold.")
    hold_s: Seconds | None = None
    hold_count: NonNegativeInt = 0
    longest_hold_s: Seconds | None = None
    acw_s: Seconds | None = None
    transfers: NonNegativeInt = 0
    disposition: str | None = Field(None, max_length=128)
    resolved: bool | None = None
    first_response_s: Seconds | None = Field(None, description="Non-voice: time to the agent's first reply.")
    callback_of: str | None = CALLBACK_OF
    leg: str | None = Field(
        None,
        max_length=128,
        description=(
            "The source's own id of this record when it reports a contact as one record per leg "
            "(an Amazon Connect transfer chain, a CSV row per leg): the contact's records with "
            "different `leg` are its legs, in order of offered_at; a later record of the same leg "
            "replaces it. Absent: every record of the contact is a version of its one summary."
        ),
    )

    @model_validator(mode="after")
    def _times_in_order(self) -> ContactRecordedData:
        _not_before(self.answered_at, self.offered_at, "answered_at", "offered_at")
        _not_before(
            self.ended_at,
            self.answered_at or self.offered_at,
            "ended_at",
            "answered_at" if self.answered_at else "offered_at",
        )
        _not_before(self.wrapup_ended_at, self.ended_at, "wrapup_ended_at", "ended_at")
        if self.outcome == "answered" and self.answered_at is None and self.talk_s is None:
            raise PydanticCustomError(
                "answered_without_answer",
                "outcome is 'answered' but neither answered_at nor talk_s is given; expected at least one",
            )
        return self
