"""``POST /twilio/sms/status``: Twilio's delivery status callbacks for outbound survey messages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from callkpi.api.deps import State
from callkpi.api.models import ProblemItem
from callkpi.api.problems import ProblemError

from ..signatures import SIGNED_WEBHOOK_ERRORS, twilio_signed_form
from ..status_updates import apply_status_callback
from .schema_ready import gateway_tables_ready

router = APIRouter(tags=["survey gateway"], dependencies=[Depends(gateway_tables_ready)])
REQUIRED = ("MessageSid", "MessageStatus")


@router.post("/twilio/sms/status", status_code=204, summary="Twilio message status callback",
             responses=SIGNED_WEBHOOK_ERRORS)
def sms_status(
    form: Annotated[dict[str, str], Depends(twilio_signed_form)],
    state: State,
    m: Annotated[int | None, Query(description="The outbox id the callback URL was given.")] = None,
) -> Response:
    """Record a message's new status (deduplicated, forward only). Signed requests only."""
    missing = [name for name in REQUIRED if not form.get(name)]
    if missing:
        detail = f"form field {missing[0]} is missing; expected Twilio's status callback parameters"
        raise ProblemError(400, "bad-request", "Bad Request", detail, [ProblemItem(detail=detail)])
    with state.store.transaction() as connection:
        apply_status_callback(connection, form["MessageSid"], form["MessageStatus"], form.get("ErrorCode") or None,
                              m, datetime.now(UTC))
    return Response(status_code=204)
