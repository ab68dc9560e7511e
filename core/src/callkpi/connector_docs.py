"""A connector's configuration reference as Markdown, generated from its ``config_schema``.

Each connector README holds the generated tables between two markers, so the reference
cannot drift from the schema that ``callkpi sync`` validates against:

    uv run python -m callkpi.connector_docs --write    # regenerate every README's block
    uv run python -m callkpi.connector_docs            # only check; exit 1 naming stale files

Top-level keys form one table; a key that is itself a table with fixed keys (csv's
``[mapping]``), or a map whose entries are such tables (twilio's ``[activities]``), gets a
small table of its own below. Deeper nesting is left to the schema and the README's prose.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .plugins import get_plugin_manager
from .settings import Settings

BEGIN = "<!-- callkpi:config-table:begin -->"
END = "<!-- callkpi:config-table:end -->"
REGENERATE = "uv run python -m callkpi.connector_docs --write"
SECRET = "**secret** (write-only, never shown)"
TEMPLATE_DIR = Path("connectors") / "_template"

Schema = dict[str, Any]


def render_config_tables(schema: Schema) -> str:
    """The Markdown block documenting ``schema``'s keys (without the markers)."""
    sections = [_table(schema, schema)]
    for key, prop in schema.get("properties", {}).items():
        prop = _resolved(prop, schema)
        if "properties" in prop:
            sections.append(f"Keys of `[{key}]`:\n\n{_table(prop, schema)}")
        entry = prop.get("additionalProperties")
        if isinstance(entry, dict) and "properties" in entry:
            sections.append(f"Each entry of `[{key}]`:\n\n{_table(entry, schema)}")
    return "\n\n".join(sections) + "\n"


def _table(obj: Schema, root: Schema) -> str:
    required = set(obj.get("required", ()))
    conditions = _required_when(obj)
    rows = ["| key | type | required / default | description |", "|---|---|---|---|"]
    for key, prop in obj.get("properties", {}).items():
        resolved = _resolved(prop, root)
        presence = conditions.get(key) or _presence(key in required, prop, resolved)
        cells = (f"`{key}`", _type(resolved, root), presence, _description(prop, resolved))
        rows.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(rows)


def _required_when(obj: Schema) -> dict[str, str]:
    """Keys an ``if``/``then`` makes required, e.g. asterisk's timezone for the database layout.

    Only the simple form (``if`` one key equals a constant) is put into words."""
    condition = obj.get("if", {}).get("properties", {})
    if len(condition) != 1 or "const" not in next(iter(condition.values())):
        return {}
    ((key, test),) = condition.items()
    words = f"**required** when `{key} = {_toml(test['const'])}`"
    return {name: words for name in obj.get("then", {}).get("required", ())}


def _resolved(prop: Schema, root: Schema) -> Schema:
    """``prop`` with its local ``$ref`` chain merged in; the property's own words win."""
    merged = dict(prop)
    while "$ref" in merged:
        target = _follow(merged.pop("$ref"), root)
        merged = {**target, **merged}
    return merged


def _follow(ref: str, root: Schema) -> Schema:
    if not ref.startswith("#/"):
        raise ValueError(f"$ref = {ref!r}: expected a local reference such as '#/$defs/name'")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _type(prop: Schema, root: Schema) -> str:
    if "enum" in prop:
        return "one of " + ", ".join(f"`{_bare(value)}`" for value in prop["enum"])
    if "const" in prop:
        return f"`{_bare(prop['const'])}`"
    if "oneOf" in prop or "anyOf" in prop:
        kinds = [_type(_resolved(alt, root), root) for alt in prop.get("oneOf", prop.get("anyOf"))]
        return " or ".join(dict.fromkeys(kinds))
    return _plain_type(prop, root)


def _plain_type(prop: Schema, root: Schema) -> str:
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list of {_type(_resolved(prop.get('items', {}), root), root)}"
    if kind == "object":
        entry = prop.get("additionalProperties")
        if isinstance(entry, dict) and "properties" not in prop:
            return f"table of {_type(_resolved(entry, root), root)}"
        return "table"
    return {"integer": "integer", "number": "number", "boolean": "boolean"}.get(kind, kind)


def _presence(required: bool, prop: Schema, resolved: Schema) -> str:
    if required:
        return "**required**"
    if "default" in prop or "default" in resolved:
        return f"`{_toml(prop.get('default', resolved.get('default')))}`"
    return "optional"


def _description(prop: Schema, resolved: Schema) -> str:
    text = prop.get("description") or resolved.get("description") or ""
    if prop.get("writeOnly") or resolved.get("writeOnly"):
        text = f"{SECRET}. {text}" if text else SECRET
    return text


def _toml(value: Any) -> str:
    """A default as it would be written in the TOML config."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def _bare(value: Any) -> str:
    """An enum member: strings unquoted, so a long list of choices stays readable."""
    return value if isinstance(value, str) else _toml(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def replace_block(readme: str, block: str, *, where: str) -> str:
    """``readme`` with the text between the markers replaced by ``block``."""
    start, end = _block_span(readme, where)
    return readme[:start] + "\n" + block + readme[end:]


def current_block(readme: str, *, where: str) -> str:
    """The text between the markers of ``readme``, without the newline after BEGIN."""
    start, end = _block_span(readme, where)
    return readme[start:end].removeprefix("\n")


def _block_span(readme: str, where: str) -> tuple[int, int]:
    begin = readme.find(BEGIN)
    end = readme.find(END)
    if begin < 0 or end < begin:
        raise ValueError(f"{where}: expected the markers {BEGIN} and then {END}; add them "
                         f"where the configuration table belongs and run `{REGENERATE}`")
    return begin + len(BEGIN), end


@dataclass(frozen=True)
class ReadmeTarget:
    """A README that documents a connector config, and that config's schema."""

    readme: Path
    schema: Schema

    def generated(self) -> str:
        """The README's text with its block regenerated."""
        block = render_config_tables(self.schema)
        return replace_block(self.readme.read_text(encoding="utf-8"), block, where=str(self.readme))

    def is_stale(self) -> bool:
        """Whether the README's block differs from the one the schema generates."""
        text = self.readme.read_text(encoding="utf-8")
        return current_block(text, where=str(self.readme)) != render_config_tables(self.schema)


def workspace_readmes(root: Path) -> list[ReadmeTarget]:
    """Every installed connector whose distribution's README lies under ``root`` and whose
    config has keys, plus the connector template's README."""
    found = {target.readme: target for target in _installed(root.resolve())}
    template = root.resolve() / TEMPLATE_DIR
    for schema_file in sorted(template.glob("src/*/config.schema.json")):
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
        found[template / "README.md"] = ReadmeTarget(template / "README.md", schema)
    return [found[readme] for readme in sorted(found)]


def _installed(root: Path) -> Iterator[ReadmeTarget]:
    pm = get_plugin_manager(Settings(_env_file=None))
    for connector in pm.catalog.connectors.connectors.values():
        readme = _project_readme(pm.get_plugin(connector.plugin))
        if readme and readme.is_relative_to(root) and connector.config_schema.get("properties"):
            yield ReadmeTarget(readme, connector.config_schema)


def _project_readme(plugin: object) -> Path | None:
    """The README.md next to the pyproject.toml above the plugin's module, if any."""
    module = sys.modules.get(getattr(plugin, "__name__", ""))
    source = getattr(module, "__file__", None)
    if source is None:
        return None
    for folder in Path(source).resolve().parents:
        if (folder / "pyproject.toml").is_file():
            readme = folder / "README.md"
            return readme if readme.is_file() else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Check (or with ``--write`` regenerate) the config tables of the workspace's READMEs."""
    parser = argparse.ArgumentParser(prog="python -m callkpi.connector_docs", description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite stale README blocks")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the workspace root")
    args = parser.parse_args(argv)
    stale = [target for target in workspace_readmes(args.root) if target.is_stale()]
    for target in stale:
        if args.write:
            target.readme.write_text(target.generated(), encoding="utf-8")
        print(f"{'updated' if args.write else 'stale'}: {target.readme}")
    if stale and not args.write:
        print(f"regenerate with: {REGENERATE}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
