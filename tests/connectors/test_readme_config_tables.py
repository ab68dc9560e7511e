"""Each connector README's configuration tables are the ones its config schema generates
(callkpi.connector_docs), so the documentation cannot drift from what `callkpi sync` checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from callkpi.cli.connectors import mount
from callkpi.cli.runtime import CallkpiGroup
from callkpi.connector_docs import (
    BEGIN,
    END,
    REGENERATE,
    ReadmeTarget,
    current_block,
    main,
    render_config_tables,
    replace_block,
    workspace_readmes,
)

ROOT = Path(__file__).parents[2]
DOCUMENTED = (
    "_template", "amazon_connect", "asterisk", "csv", "genesys_cloud", "twilio_taskrouter"
)


@pytest.fixture(scope="module")
def targets() -> dict[str, ReadmeTarget]:
    return {target.readme.parent.name: target for target in workspace_readmes(ROOT)}


def test_every_connector_with_config_keys_is_found(targets):
    # jsonl has no config keys, so it has no table; the other five plus the template do.
    assert sorted(targets) == sorted(DOCUMENTED)


@pytest.mark.parametrize("connector_dir", DOCUMENTED)
def test_readme_config_block_is_the_generated_one(targets, connector_dir):
    target = targets[connector_dir]
    text = target.readme.read_text(encoding="utf-8")
    block = current_block(text, where=str(target.readme))
    assert block == render_config_tables(target.schema), (
        f"{target.readme.relative_to(ROOT)}: the configuration table differs from the one "
        f"generated from the connector's config schema; regenerate it with `{REGENERATE}`"
    )


SMALL_SCHEMA = {
    "type": "object",
    "required": ["token", "rules"],
    "properties": {
        "token": {"type": "string", "writeOnly": True, "description": "API token."},
        "mode": {"enum": ["a|b", "c"], "default": "c", "description": "x | y"},
        "zone": {"$ref": "#/$defs/zone"},
        "retries": {"type": "integer", "default": 3},
        "rules": {
            "type": "object",
            "description": "Fixed keys.",
            "required": ["column"],
            "properties": {"column": {"type": "string"}, "flags": {"type": "array",
                                                                   "items": {"type": "boolean"}}},
        },
    },
    "if": {"properties": {"mode": {"const": "c"}}, "required": ["mode"]},
    "then": {"required": ["zone"]},
    "$defs": {"zone": {"oneOf": [{"type": "string"}, {"type": "object"}],
                       "description": "From the $ref."}},
}


def test_render_covers_secrets_defaults_refs_conditions_and_nested_tables():
    # Pipes in cells are escaped (`a\|b`, `x \| y`); the $ref's description is used when the
    # property has none; `zone` is required only when mode = "c"; `rules` gets its own table.
    assert render_config_tables(SMALL_SCHEMA) == (
        "| key | type | required / default | description |\n"
        "|---|---|---|---|\n"
        "| `token` | string | **required** | **secret** (write-only, never shown). API token. |\n"
        "| `mode` | one of `a\\|b`, `c` | `\"c\"` | x \\| y |\n"
        "| `zone` | string or table | **required** when `mode = \"c\"` | From the $ref. |\n"
        "| `retries` | integer | `3` |  |\n"
        "| `rules` | table | **required** | Fixed keys. |\n"
        "\n"
        "Keys of `[rules]`:\n"
        "\n"
        "| key | type | required / default | description |\n"
        "|---|---|---|---|\n"
        "| `column` | string | **required** |  |\n"
        "| `flags` | list of boolean | optional |  |\n"
    )


def test_replace_block_keeps_the_prose_around_it():
    readme = f"# X\n\nBefore.\n\n{BEGIN}\nold table\n{END}\n\nAfter.\n"
    expected = f"# X\n\nBefore.\n\n{BEGIN}\nnew\n{END}\n\nAfter.\n"
    assert replace_block(readme, "new\n", where="X") == expected


def test_a_readme_without_markers_is_named_with_the_command():
    with pytest.raises(ValueError) as error:
        current_block("# No markers\n", where="connectors/x/README.md")
    assert str(error.value).startswith("connectors/x/README.md: expected the markers")
    assert REGENERATE in str(error.value)


def test_a_hand_edited_template_table_is_found_stale_and_regenerated(tmp_path, capsys):
    template = tmp_path / "connectors" / "_template"
    shutil.copytree(ROOT / "connectors" / "_template", template)
    readme = template / "README.md"
    good = readme.read_text(encoding="utf-8")
    edited = good.replace("| `centre` | string |", "| `centre` | text |")
    assert edited != good
    readme.write_text(edited, encoding="utf-8")

    assert main(["--root", str(tmp_path)]) == 1
    assert f"stale: {readme}" in capsys.readouterr().out
    assert main(["--root", str(tmp_path), "--write"]) == 0
    assert readme.read_text(encoding="utf-8") == good
    assert main(["--root", str(tmp_path)]) == 0


def test_connectors_schema_markdown_prints_the_readme_block(tmp_path, monkeypatch, targets):
    monkeypatch.setenv("CALLKPI_DATABASE_URL", f"sqlite:///{tmp_path / 'callkpi.db'}")
    monkeypatch.setenv("CALLKPI_KEY_FILE", str(tmp_path / "callkpi.key"))
    root = typer.Typer(cls=CallkpiGroup)
    mount(root)
    result = CliRunner().invoke(root, ["connectors", "schema", "asterisk", "--markdown"])
    assert result.exit_code == 0, result.output
    readme = targets["asterisk"].readme
    assert result.output == current_block(readme.read_text(encoding="utf-8"), where=str(readme))
