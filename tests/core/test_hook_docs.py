"""docs/plugin_hooks.md and the hookspec docstrings stay true to the real hookspecs."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from callkpi import hookspecs

HEADINGS = ("**Purpose**", "**When it fires**", "**Parameters**", "**Returns**", "**Example**")
DOC = Path(__file__).parents[2] / "docs" / "plugin_hooks.md"
SECTION = re.compile(r"^## (\S+)\s*$", re.MULTILINE)
FIRST_CODE_LINE = re.compile(r"```[a-z]*\n(.+)\n")
HOOKSPECS = {name: spec for name, spec in vars(hookspecs).items() if name.startswith("callkpi_")}


def real_signature(function: object) -> str:
    """The signature as written in the source: under ``from __future__ import annotations``
    every annotation is already the source text, so it is used unquoted."""
    signature = inspect.signature(function)
    params = ", ".join(f"{p.name}: {p.annotation}" for p in signature.parameters.values())
    return normalise(f"{function.__name__}({params}) -> {signature.return_annotation}")


def normalise(signature: str) -> str:
    return re.sub(r"\s+", " ", signature.replace("`", "")).strip()


def documented_sections() -> dict[str, str]:
    text = DOC.read_text()
    parts = SECTION.split(text)
    # split() gives [preamble, name1, body1, name2, body2, ...]
    return {name: body for name, body in zip(parts[1::2], parts[2::2], strict=True)
            if name.startswith("callkpi_")}


def test_every_hookspec_is_documented_and_nothing_else():
    documented = set(documented_sections())
    assert sorted(set(HOOKSPECS) - documented) == [], "hookspecs without a section in the docs"
    assert sorted(documented - set(HOOKSPECS)) == [], "sections in the docs for no hookspec"


@pytest.mark.parametrize("name", sorted(HOOKSPECS))
def test_documented_signature_is_the_real_one(name: str):
    body = documented_sections()[name]
    first_code_line = FIRST_CODE_LINE.search(body)
    assert first_code_line, f"section {name} has no code block"
    assert normalise(first_code_line.group(1)) == real_signature(HOOKSPECS[name])


@pytest.mark.parametrize("name", sorted(HOOKSPECS))
def test_documented_section_covers_purpose_firing_parameters_return_and_example(name: str):
    body = documented_sections()[name]
    for heading in HEADINGS:
        assert heading in body, f"section {name} lacks {heading}"
    for parameter in inspect.signature(HOOKSPECS[name]).parameters:
        assert f"`{parameter}`" in body, f"section {name} does not describe parameter {parameter}"
    assert "@hookimpl" in body and f"def {name}(" in body, f"section {name} has no example hookimpl"


@pytest.mark.parametrize("name", sorted(HOOKSPECS))
def test_hookspec_docstring_has_purpose_firing_params_and_return(name: str):
    doc = inspect.getdoc(HOOKSPECS[name]) or ""
    purpose = doc.split("\n", 1)[0]
    assert purpose.endswith("."), f"{name}: the first docstring line should state the purpose"
    assert "Fires " in doc, f"{name}: the docstring should say when the hook fires ('Fires …')"
    for parameter in inspect.signature(HOOKSPECS[name]).parameters:
        assert f":param {parameter}:" in doc, f"{name}: parameter {parameter} is undocumented"
    assert ":return:" in doc, f"{name}: the return value is undocumented"


def test_signature_check_catches_a_wrong_annotation():
    # The check must be able to fail: a documented annotation that differs is not equal.
    documented = "callkpi_register_event_types(register: Callable[..., str]) -> None"
    assert normalise(documented) != real_signature(hookspecs.callkpi_register_event_types)
