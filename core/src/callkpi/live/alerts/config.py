"""A centre's alert configuration (``CentreSettings.alerts``): its rules and the webhooks
their state changes are POSTed to. Rules are parsed when the settings are loaded, so a
bad rule fails where it is configured, not in the middle of an evaluation."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .rules import AlertRule, RuleError, parse_rule

MIN_SECRET_LENGTH = 16


class Webhook(BaseModel):
    """Where alert changes are POSTed, and the secret their HMAC-SHA256 signature uses."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^https?://\S+$", description="http(s) URL receiving the JSON POSTs.")
    secret: str = Field(
        min_length=MIN_SECRET_LENGTH, description="Shared secret of the X-Callkpi-Signature header."
    )


class AlertSettings(BaseModel):
    """Alert rules (e.g. ``"service_level < 80 for 2 intervals"``) and webhooks of one centre."""

    model_config = ConfigDict(extra="forbid")

    rules: list[str] = Field(default_factory=list, description="Rules in the alert grammar.")
    webhooks: list[Webhook] = Field(default_factory=list)

    @field_validator("rules")
    @classmethod
    def _canonical_rules(cls, rules: list[str]) -> list[str]:
        canonical = []
        for text in rules:
            try:
                canonical.append(parse_rule(text).text)
            except RuleError as error:
                raise ValueError(str(error)) from None
        return list(dict.fromkeys(canonical))  # a rule twice would notify twice

    def parsed(self) -> list[AlertRule]:
        """The rules, parsed."""
        return [parse_rule(text) for text in self.rules]
