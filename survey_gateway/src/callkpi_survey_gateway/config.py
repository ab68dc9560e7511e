"""The gateway's settings (environment) and each centre's survey configuration (TOML).

``GatewaySettings`` come from ``CALLKPI_SURVEY_*`` environment variables. The survey
configuration is a TOML file (``CALLKPI_SURVEY_CONFIG_FILE``, default
``./callkpi-survey.toml``) with one ``[centres.<name>]`` table per centre::

    [centres.default]
    brand = "Acme"
    instruments = ["nps", "csat", "comment"]
    languages = ["nl", "en"]          # the first is the default
    sms_from = "+3197010203040"

    [centres.default.quiet_hours]
    sunday = ["13:00", "18:00"]

The file is checked against :data:`SURVEY_CONFIG_SCHEMA` (JSON Schema, Draft 2020-12,
generated from the pydantic models below), so every problem is reported at once, each
naming the file, the centre, the field, the value and what was expected.
"""

from __future__ import annotations

import tomllib
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal

from jsonschema import Draft202012Validator, ValidationError
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, ValidationInfo, model_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

from .messages import languages
from .wording import QUESTION_ID_PATTERN, CustomQuestion, WordingProblem, key_lines, line_of, wording_problems

CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"
SERVICE_SID_PATTERN = r"^MG[0-9a-fA-F]{32}$"
URL_PATTERN = r"^https?://"
LIMITS = {"minimum": "a number ≥ {}", "maximum": "a number ≤ {}", "exclusiveMinimum": "a number > {}",
          "exclusiveMaximum": "a number < {}", "minItems": "at least {} items", "maxItems": "at most {} items",
          "minLength": "at least {} characters", "maxLength": "at most {} characters"}
PATTERN_MEANINGS = {
    CLOCK_PATTERN: "expected a time of day as HH:MM (00:00 to 23:59)",
    E164_PATTERN: "expected a number in E.164 form such as +31201234567",
    SERVICE_SID_PATTERN: "expected a Twilio Messaging Service SID: MG and 32 hexadecimal digits",
    URL_PATTERN: "expected an http:// or https:// URL",
}

Clock = Annotated[
    time, PlainSerializer(lambda value: value.isoformat("minutes"), return_type=str),
    Field(json_schema_extra={"pattern": CLOCK_PATTERN}),
]
Window = Annotated[tuple[Clock, Clock], Field(description="Allowed sending window, [start, end), local time.")]


class SurveyConfigError(ValueError):
    """The survey configuration is wrong; the message lists every problem, one per line."""


class QuietHours(BaseModel):
    """When surveys may be sent, in the customer's local time (outside is quiet)."""

    model_config = ConfigDict(extra="forbid")

    weekdays: Window = (time(9), time(20))
    saturday: Window = (time(9), time(20))
    sunday: Window = (time(12), time(20))

    @model_validator(mode="after")
    def _windows_open_before_they_close(self) -> QuietHours:
        for day in ("weekdays", "saturday", "sunday"):
            start, end = getattr(self, day)
            if start >= end:
                raise ValueError(f"{day} = [{start:%H:%M}, {end:%H:%M}]: expected a start before "
                                 "the end, within one day")
        return self

    def window(self, weekday: int) -> tuple[time, time]:
        """The allowed window of a day (``weekday`` as ``date.weekday()``: 0 = Monday)."""
        return self.sunday if weekday == 6 else self.saturday if weekday == 5 else self.weekdays


class SurveyConfig(BaseModel):
    """One centre's surveys: what is asked, of whom, when, and in which languages."""

    model_config = ConfigDict(extra="forbid")

    brand: str = Field(min_length=1, max_length=30, description="The name the customer knows, in every SMS.")
    instruments: list[str] = Field(["nps", "csat"], min_length=1, description="Questions, in order: standard "
                                   "instruments (nps, csat, ces, resolved, comment) and custom question ids.",
                                   json_schema_extra={"items": {"pattern": QUESTION_ID_PATTERN}})
    questions: dict[str, CustomQuestion] = Field(default_factory=dict, description="The centre's own questions, "
                                                 "by id (a choice or a scale).")
    wording: dict[str, dict[str, str | list[str]]] = Field(
        default_factory=dict, description="Language → the centre's own texts, by SMS template kind, "
        "question.<id>, reprompt.<id> or choices.<id> (see callkpi_survey_gateway.wording).")
    channel: Literal["sms", "web", "both"] = "sms"
    sampling_rate: float = Field(1.0, ge=0, le=1, description="Share of eligible contacts surveyed.")
    eligible_queues: list[str] | None = Field(None, description="Queues surveyed; null: all queues.")
    eligible_channels: list[str] = Field(["voice"], min_length=1)
    eligible_outcomes: list[Literal["answered", "self_served"]] = Field(
        ["answered"], min_length=1, description="Contact outcomes surveyed (self_served: the IVR); abandoned, "
        "timed-out, blocked and failed contacts never are.")
    min_handle_s: float = Field(30, ge=0, description="Contacts shorter than this are not surveyed.")
    delay_s: int = Field(300, ge=0, description="Seconds after the contact ends before the first SMS.")
    frequency_cap_days: int = Field(30, ge=0, description="At most one survey per customer in this many days.")
    expiry_h: float = Field(24, gt=0, description="Hours after sending that answers are accepted.")
    reminder_after_h: float | None = Field(None, gt=0, description="Hours after sending of one reminder; null: none.")
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    languages: list[str] = Field(["en"], min_length=1, description="Languages offered; the first is the default.",
                                 json_schema_extra={"items": {"enum": languages()}})
    help_text: dict[str, str] = Field(default_factory=dict, description="Language → reply to HELP.")
    detractor_thresholds: dict[Literal["nps", "csat", "ces"], float] = Field(
        default_factory=lambda: {"nps": 6, "csat": 2, "ces": 2}, description="Scores at or below are detractors.")
    detractor_webhook_url: str | None = Field(None, pattern=URL_PATTERN)
    detractor_webhook_secret: str | None = Field(None, min_length=16, json_schema_extra={"writeOnly": True})
    sms_from: str | None = Field(None, pattern=E164_PATTERN, description="E.164 sender number.")
    messaging_service_sid: str | None = Field(None, pattern=SERVICE_SID_PATTERN)
    timezone: str | None = Field(None, description="IANA zone for quiet hours when neither the number's zone "
                                 "nor the centre's is known.")

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> SurveyConfig:
        problems = self.consistency_problems()
        if not (info.context or {}).get("wording_checked"):  # a file's loader checks them with line numbers
            problems += [problem.message for problem in wording_problems(
                "", self.instruments, self.questions, self.wording, self.languages)]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def consistency_problems(self) -> list[str]:
        """What the JSON Schema cannot express: unknown languages, repeated instruments, a
        reminder after expiry, help texts of languages not offered."""
        problems = []
        unknown_languages = sorted(set(self.languages) - set(languages()))
        if unknown_languages:
            problems.append(f"languages has {', '.join(unknown_languages)}: expected some of {', '.join(languages())}")
        if len(set(self.instruments)) != len(self.instruments):
            problems.append(f"instruments = {self.instruments}: expected each instrument at most once")
        if self.reminder_after_h is not None and self.reminder_after_h >= self.expiry_h:
            problems.append(f"reminder_after_h = {self.reminder_after_h}: expected less than expiry_h "
                            f"({self.expiry_h}), or the survey closes before the reminder")
        unoffered = sorted(set(self.help_text) - set(self.languages))
        if unoffered:
            problems.append(f"help_text has {', '.join(unoffered)}: expected only languages the centre offers "
                            f"({', '.join(self.languages)})")
        return problems

    @property
    def default_language(self) -> str:
        """The language of a customer whose language is not known."""
        return self.languages[0]


class GatewaySettings(BaseSettings):
    """The gateway's installation settings, from ``CALLKPI_SURVEY_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="CALLKPI_SURVEY_", extra="ignore")

    config_file: Path = Path("callkpi-survey.toml")
    public_base_url: str = Field("http://127.0.0.1:8000", pattern=URL_PATTERN,
                                 description="The URL Twilio signs webhooks against.")
    twilio_account_sid: str = ""
    twilio_auth_token: str = Field("", repr=False)
    twilio_api_base: str | None = Field(None, pattern=URL_PATTERN,
                                        description="Twilio REST base URL; tests: the fake Twilio.")
    key_file: Path = Field(Path("callkpi-survey.key"), description="Fernet key for numbers at rest (mode 0600).")
    key: str | None = Field(None, repr=False, description="The Fernet key itself (CALLKPI_SURVEY_KEY).")
    core_url: str | None = Field(None, pattern=URL_PATTERN,
                                 description="Send events over HTTP to this callkpi; None: in-process.")
    core_api_key: str | None = Field(None, repr=False)
    dispatch_interval_s: float = Field(2.0, gt=0)

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except PydanticValidationError as exc:
            lines = [_setting_problem(error, values) for error in exc.errors(include_url=False)]
            raise SurveyConfigError("bad survey gateway settings:\n  " + "\n  ".join(lines)) from None


def _setting_problem(error: ErrorDetails, init_values: dict[str, Any]) -> str:
    """``environment variable CALLKPI_SURVEY_X = 'value': expected …`` for one bad setting."""
    key = str(error["loc"][0]) if error["loc"] else "settings"
    origin = f"GatewaySettings({key}=…)" if key in init_values else f"environment variable CALLKPI_SURVEY_{key.upper()}"
    value = "(hidden: a secret)" if key in ("twilio_auth_token", "key", "core_api_key") else repr(error["input"])
    message = error["msg"].replace("Input should be ", "expected ", 1)
    return f"{origin} = {value}: {PATTERN_MEANINGS.get(error.get('ctx', {}).get('pattern'), message)}"


def _file_schema() -> dict[str, Any]:
    centre = SurveyConfig.model_json_schema(ref_template="#/$defs/{model}")
    definitions = centre.pop("$defs", {})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "callkpi survey gateway configuration",
        "type": "object",
        "properties": {"centres": {"type": "object", "minProperties": 1,
                                   "additionalProperties": {"$ref": "#/$defs/SurveyConfig"}}},
        "required": ["centres"],
        "additionalProperties": False,
        "$defs": definitions | {"SurveyConfig": centre},
    }


SURVEY_CONFIG_SCHEMA: dict[str, Any] = _file_schema()
"""JSON Schema (Draft 2020-12) of the whole survey configuration file."""


def load_survey_configs(settings: GatewaySettings) -> dict[str, SurveyConfig]:
    """Every centre's :class:`SurveyConfig` from ``settings.config_file``.

    A missing file at the default path means no centre is surveyed (``{}``); a missing
    file that was asked for, bad TOML, or a config breaking the schema raises
    :class:`SurveyConfigError` naming the file, centre, field, value and expectation.
    """
    path = settings.config_file
    if not path.is_file():
        if "config_file" in settings.model_fields_set:
            raise SurveyConfigError(f"{path}: no such file; expected a TOML file with [centres.<name>] tables")
        return {}
    text = _read_text(path)
    return parse_survey_configs(_parse(text, path), str(path), text)


def parse_survey_configs(document: dict[str, Any], where: str, text: str | None = None) -> dict[str, SurveyConfig]:
    """Validate a parsed configuration ``document`` (from ``where``, whose ``text`` gives the
    line numbers of wording problems) and build the configs. Every problem of every centre is
    reported at once."""
    plain = _json_compatible(document)
    errors = sorted(Draft202012Validator(SURVEY_CONFIG_SCHEMA).iter_errors(plain), key=_error_order)
    problems = list(dict.fromkeys(_describe(error) for error in errors))
    broken = {tuple(str(part) for part in error.absolute_path)[1:3] for error in errors
              if len(error.absolute_path) > 1}
    centres = plain.get("centres")
    tables = {name: table for name, table in centres.items() if isinstance(table, dict)} \
        if isinstance(centres, dict) else {}
    configs = {}
    lines = key_lines(text or "")
    for centre, table in tables.items():  # the checks the schema cannot express
        problems.extend(_located(where, lines, problem.path, f"centre {centre!r}: {problem.message}")
                        for problem in _own_survey_problems(centre, table, broken))
        if any(key[0] == centre for key in broken):
            continue
        try:
            configs[centre] = SurveyConfig.model_validate(table, context={"wording_checked": True})
        except PydanticValidationError as exc:
            problems.extend(f"centre {centre!r}: {_pydantic_message(error)}" for error in exc.errors(include_url=False))
    if problems:
        raise SurveyConfigError(_report(where, problems))
    return configs


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SurveyConfigError(f"{path}: cannot be read: {exc.strerror}") from None


def _parse(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SurveyConfigError(f"{path}: not valid TOML: {exc}") from None


def _own_survey_problems(centre: str, table: dict[str, Any], broken: set[tuple[str, ...]]) -> list[WordingProblem]:
    """The question and wording problems of a centre table, over the parts the schema passed
    (so a bad language elsewhere does not hide an unknown question)."""
    if {(centre, "questions"), (centre, "wording"), (centre, "instruments")} & broken:
        return []
    questions = {}
    for name, question in table.get("questions", {}).items():
        try:
            questions[name] = CustomQuestion.model_validate(question)
        except PydanticValidationError:  # reported with the centre's other model checks
            questions[name] = CustomQuestion.model_construct(kind="scale", choices=[], min=0, max=1)
    offered = [language for language in table.get("languages", ["en"]) if language in languages()]
    return wording_problems(centre, table.get("instruments", ["nps", "csat"]), questions,
                            table.get("wording", {}), offered)


def _located(where: str, lines: dict[tuple[str, ...], int], path: tuple[str, ...], message: str) -> str:
    """``message`` prefixed with ``file:line`` of ``path`` (its nearest parent with a line)."""
    line = line_of(lines, path)
    return f"{where}:{line}: {message}" if line else f"{where}: {message}"


def _json_compatible(value: Any) -> Any:
    """TOML local times (``sunday = [12:00:00, 20:00:00]``) as the ``"12:00"`` strings the schema
    describes; everything else is JSON already."""
    if isinstance(value, dict):
        return {key: _json_compatible(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_compatible(item) for item in value]
    if isinstance(value, time):
        return value.isoformat("seconds" if value.second else "minutes")
    return value


def _error_order(error: ValidationError) -> tuple[str, ...]:
    return tuple(str(part) for part in error.absolute_path)


def _describe(error: ValidationError) -> str:
    path = [str(part) for part in error.absolute_path]
    if len(path) < 2 or path[0] != "centres":
        return f"{'.'.join(path) or 'the file'}: {_file_expectation(error)}"
    where, field = f"centre {path[1]!r}", path[2:]
    if error.validator == "additionalProperties":
        return f"{where}: {_unexpected(error, field)}"
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return f"{where}: {', '.join('.'.join([*field, name]) for name in missing)}: missing; a value is required"
    value = "(hidden: a secret)" if "secret" in ".".join(field) else repr(error.instance)
    return f"{where}: {'.'.join(field)} = {value}: {_expectation(error)}"


def _file_expectation(error: ValidationError) -> str:
    if error.validator in ("additionalProperties", "required", "minProperties", "type"):
        return "expected only [centres.<name>] tables, at least one"
    return _expectation(error)


def _unexpected(error: ValidationError, parent: list[str]) -> str:
    known = sorted(error.schema.get("properties", {}))
    extra = [name for name in error.instance if name not in known]
    fields = ", ".join(".".join([*parent, name]) for name in extra)
    return f"{fields}: not a survey setting; expected one of {', '.join(known)}"


def _expectation(error: ValidationError) -> str:
    closest = [alternative for alternative in error.context or () if alternative.validator != "type"]
    if error.validator == "anyOf" and closest:  # e.g. a string breaking the pattern of "string or null"
        return _expectation(closest[0])
    if error.validator == "enum":
        return "expected one of " + ", ".join(map(str, error.validator_value))
    if error.validator == "pattern":
        return PATTERN_MEANINGS.get(error.validator_value, f"expected text matching {error.validator_value}")
    if error.validator in LIMITS:
        return "expected " + LIMITS[error.validator].format(error.validator_value)
    if error.validator in ("type", "anyOf"):
        return "expected " + " or ".join(_type_names(error.schema))
    return error.message


def _type_names(schema: dict[str, Any]) -> list[str]:
    """``number``, ``null`` … of a schema or of each ``anyOf`` alternative."""
    if "anyOf" in schema:
        return [name for alternative in schema["anyOf"] for name in _type_names(alternative)]
    kind = schema.get("type", "a value matching " + str(schema.get("$ref", "the schema")).rsplit("/", 1)[-1])
    return [kind] if isinstance(kind, str) else list(kind)


def _pydantic_message(error: ErrorDetails) -> str:
    """A model check's message (it names field, value and expectation itself), under its
    parent's name; any other error as ``field = value: message``."""
    where = ".".join(str(part) for part in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "value_error":
        return f"{where}.{message}" if where else message
    return f"{where} = {error['input']!r}: {message}"


def _report(where: str, problems: list[str]) -> str:
    return f"{where} is not a valid survey configuration:\n  " + "\n  ".join(problems)
