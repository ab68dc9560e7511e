"""``callkpi survey preview``: every message a customer of a centre would get, in one language,
as it would be sent, with its SMS encoding and segment count.

The texts go through the same :func:`~callkpi_survey_gateway.centre_texts.survey_text` as a
real survey; only what a real survey learns at send time is stood in for: the agent's first
name (``--agent``; without it, the brand, as for an agent whose name is unknown) and the web
link (a token of the real length, so the segment count is right).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from .centre_texts import question_text, survey_text
from .config import GatewaySettings, SurveyConfig
from .sms_encoding import SmsInfo, encode_info
from .web import LINK_PATH, TOKEN_BYTES


@dataclass(frozen=True)
class PreviewMessage:
    """One message: what it is (``first``, ``question.reason``, ``thanks`` …), its text and
    how it is sent."""

    kind: str
    text: str
    sms: SmsInfo


def preview_messages(centre: str, config: SurveyConfig, language: str, settings: GatewaySettings,
                     agent: str | None = None, queue: str | None = None) -> list[PreviewMessage]:
    """The messages of a survey of ``centre`` in ``language``, in the order a customer who
    answers everything gets them, then the ones that depend on what the customer does."""
    survey = {"centre": centre, "language": language, "agentid": None, "queue": queue}
    values: dict[str, Any] = {"agent": agent} if agent else {}
    url = settings.public_base_url.rstrip("/") + LINK_PATH + secrets.token_urlsafe(TOKEN_BYTES)
    first, *rest = config.instruments
    texts: list[tuple[str, str]] = []
    if config.channel == "web":
        texts.append(("web_invite", survey_text(None, centre, "web_invite", language, survey, url=url, **values)))
    else:
        opening = survey_text(None, centre, "first", language, survey, instrument=first, **values)
        texts.append(("first", f"{opening} {url}" if config.channel == "both" else opening))
        texts += [(f"question.{name}", question_text(None, survey, name, **values)) for name in rest]
        texts.append(("thanks", survey_text(None, centre, "thanks", language, survey, **values)))
        texts += [(f"reprompt.{name}", question_text(None, survey, name, "reprompt", **values))
                  for name in config.instruments]
    if config.reminder_after_h is not None:
        texts.append(("reminder", survey_text(None, centre, "reminder", language, survey, instrument=first, **values)))
    help_text = config.help_text.get(language) or survey_text(None, centre, "help", language, survey, **values)
    texts.append(("help", help_text))
    texts += [(kind, survey_text(None, centre, kind, language, survey, **values))
              for kind in ("closed", "opted_out", "opted_in")]
    return [PreviewMessage(kind, text, encode_info(text)) for kind, text in texts]


def preview_lines(messages: list[PreviewMessage]) -> list[str]:
    """The preview as printed: a heading per message, then its text exactly as sent."""
    lines = []
    for message in messages:
        info = message.sms
        lines.append(f"── {message.kind} · {info.encoding} · {info.units} "
                     f"{'septets' if info.encoding == 'GSM-7' else 'UTF-16 units'} · "
                     f"{info.segments} segment{'s' if info.segments != 1 else ''}")
        lines.append(message.text)
        lines.append("")
    return lines
