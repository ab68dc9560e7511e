"""Constants and helpers of the gateway tests, importable by name (``from gateway_testing import …``);
``conftest.py`` builds its fixtures from them."""

from __future__ import annotations

from datetime import time

from twilio.request_validator import RequestValidator

from callkpi_survey_gateway.config import SurveyConfig

PUBLIC_BASE_URL = "https://surveys.example.test"
SMS_FROM = "+3197010203040"
ALL_DAY = (time(0, 0), time(23, 59, 59))


class TwilioSigner:
    """Computes ``X-Twilio-Signature`` for a URL and posted form, as Twilio does."""

    def __init__(self, auth_token: str):
        self.validator = RequestValidator(auth_token)

    def sign(self, url: str, params: dict[str, str]) -> str:
        """The signature of a POST of ``params`` to ``url``."""
        return self.validator.compute_signature(url, params)

    def headers(self, url: str, params: dict[str, str]) -> dict[str, str]:
        """Request headers carrying that signature."""
        return {"X-Twilio-Signature": self.sign(url, params)}


def toml_table(name: str, config: SurveyConfig) -> str:
    """``config`` as the TOML table ``[name]`` (the subset of TOML its fields need)."""
    lines = [f"[{name}]"]
    quiet = []
    for key, value in config.model_dump(mode="json", exclude_none=True).items():
        if key == "quiet_hours":
            quiet = [f"{day} = {_toml(window)}" for day, window in value.items()]
        else:
            lines.append(f"{key} = {_toml(value)}")
    return "\n".join([*lines, f"[{name}.quiet_hours]", *quiet]) + "\n"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return "{" + ", ".join(f"{_toml(key)} = {_toml(item)}" for key, item in value.items()) + "}"

