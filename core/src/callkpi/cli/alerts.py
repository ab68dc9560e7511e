"""``callkpi alerts``: a centre's alert rules and webhooks (see docs/wallboard_and_alerts.md)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from ..live.alerts.config import Webhook
from ..live.alerts.evaluate import evaluate_rules
from ..live.alerts.rules import AlertRule, RuleError, parse_rule
from ..live.alerts.state import current_states
from ..store.centres import DEFAULT_CENTRE, CentreConfig
from .kpis import CentreOption, load_centre, save_centre
from .runtime import DatabaseOption, UserError, opened_store, out, plugin_manager, settings_for

app = typer.Typer(help="Alert rules of a centre, and the webhooks their changes are POSTed to.", no_args_is_help=True)
RuleArgument = Annotated[str, typer.Argument(metavar="RULE", help="e.g. 'service_level < 80 for 2 intervals'.")]


@app.command("list")
def list_rules(centre: CentreOption = DEFAULT_CENTRE, database: DatabaseOption = None) -> None:
    """List the centre's rules with their state, and its webhooks."""
    with opened_store(settings_for(database)) as store:
        config = load_centre(store, centre)
        with store.reading() as connection:
            states = current_states(connection, centre)
    table = Table("id", "rule", "status", "since", "value", title=f"Alert rules of {centre}")
    for rule in config.settings.alerts.parsed():
        state = states.get(rule.id)
        since = state["since"].strftime("%Y-%m-%d %H:%M UTC") if state else "—"
        value = f"{state['value']:g}" if state and state["value"] is not None else "—"
        table.add_row(rule.id, rule.text, state["status"] if state else "not evaluated", since, value)
    out().print(table)
    for webhook in config.settings.alerts.webhooks:
        out().print(f"webhook {webhook.url} (secret {webhook.secret[:4]}…)")


@app.command()
def add(rule: RuleArgument, centre: CentreOption = DEFAULT_CENTRE, database: DatabaseOption = None) -> None:
    """Add a rule to the centre."""
    text = _parsed(rule).text
    with opened_store(settings_for(database)) as store:
        config = load_centre(store, centre)
        if text in config.settings.alerts.rules:
            raise UserError(f"RULE = {rule!r}: centre {centre} already has rule {text!r}; expected a new rule")
        save_centre(store, _with_rules(config, [*config.settings.alerts.rules, text]))
    out().print(f"Added rule {text!r} ({parse_rule(text).id}) to centre {centre}.")


@app.command()
def remove(
    rule: Annotated[str, typer.Argument(metavar="RULE|ID", help="The rule's text or its id from `list`.")],
    centre: CentreOption = DEFAULT_CENTRE,
    database: DatabaseOption = None,
) -> None:
    """Remove a rule from the centre."""
    with opened_store(settings_for(database)) as store:
        config = load_centre(store, centre)
        kept = [r for r in config.settings.alerts.parsed() if rule not in (r.id, r.text) and not _same(rule, r.text)]
        if len(kept) == len(config.settings.alerts.rules):
            known = ", ".join(repr(r) for r in config.settings.alerts.rules) or "none"
            raise UserError(f"RULE = {rule!r}: not a rule of centre {centre}; expected one of {known}")
        save_centre(store, _with_rules(config, [r.text for r in kept]))
    out().print(f"Removed rule {rule!r} from centre {centre}.")


@app.command()
def webhook(
    url: Annotated[str, typer.Argument(metavar="URL", help="http(s) URL receiving the alert POSTs.")],
    secret: Annotated[str | None, typer.Option(help="Signing secret (≥ 16 characters); default: a new one.")] = None,
    remove_it: Annotated[bool, typer.Option("--remove", help="Stop POSTing to URL.")] = False,
    centre: CentreOption = DEFAULT_CENTRE,
    database: DatabaseOption = None,
) -> None:
    """Add (or with --remove, remove) a webhook; a new secret is printed once."""
    with opened_store(settings_for(database)) as store:
        config = load_centre(store, centre)
        hooks = [hook for hook in config.settings.alerts.webhooks if hook.url != url]
        if not remove_it:
            secret = secret or secrets.token_urlsafe(24)
            hooks.append(_webhook(url, secret))
        save_centre(store, _with_alerts(config, webhooks=hooks))
    out().print(f"Removed webhook {url}." if remove_it else f"Webhook {url} signs with secret {secret}")


@app.command()
def test(centre: CentreOption = DEFAULT_CENTRE, database: DatabaseOption = None) -> None:
    """Evaluate the centre's rules now and show their values, without recording or notifying."""
    settings = settings_for(database)
    with opened_store(settings) as store:
        config = load_centre(store, centre)
        rules = config.settings.alerts.parsed()
        now = datetime.now(UTC)
        evaluations = evaluate_rules(store, centre, config.zone, rules, now, plugin_manager(settings).catalog.kpis)
    table = Table("rule", "value", "would fire", title=f"Alert rules of {centre} at {now:%H:%M:%S} UTC")
    for evaluation in evaluations:
        value = "no data" if evaluation.value is None else f"{evaluation.value:g}"
        table.add_row(evaluation.rule.text, value, "yes" if evaluation.breached else "no")
    out().print(table)


def _parsed(rule: str) -> AlertRule:
    try:
        return parse_rule(rule)
    except RuleError as error:
        raise UserError(str(error)) from None


def _same(given: str, text: str) -> bool:
    try:
        return parse_rule(given).text == text
    except RuleError:
        return False


def _webhook(url: str, secret: str) -> Webhook:
    try:
        return Webhook(url=url, secret=secret)
    except ValueError as error:
        raise UserError(f"webhook {url!r}: {error}") from None


def _with_rules(config: CentreConfig, rules: list[str]) -> CentreConfig:
    return _with_alerts(config, rules=rules)


def _with_alerts(config: CentreConfig, **changes: object) -> CentreConfig:
    alerts = config.settings.alerts.model_copy(update=changes)
    return config.model_copy(update={"settings": config.settings.model_copy(update={"alerts": alerts})})
