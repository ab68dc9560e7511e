"""The connector template (connectors/_template) loads through the real entry-point path
and its own test suite passes — and can fail.

Instead of building a wheel, the test lays out what an installer would: the template's
``src`` on the path with a ``.dist-info`` holding ``entry_points.txt`` (taken from the
template's own pyproject.toml) beside the package, so ``importlib.metadata`` finds it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from callkpi.plugins import get_plugin_manager
from callkpi.settings import Settings
from dist_info import write_project_dist_info

TEMPLATE = Path(__file__).parents[2] / "connectors" / "_template"
PACKAGE = "callkpi_connector_example"
TEST_FILE = "tests/test_example_connector.py"


def install(template: Path) -> Path:
    """Make the template copy at ``template`` installed-looking; returns the path to add."""
    site = template / "src"
    write_project_dist_info(site, template)
    return site


def copy_template(target: Path) -> Path:
    return shutil.copytree(TEMPLATE, target, ignore=shutil.ignore_patterns("__pycache__"))


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the template on ``sys.path`` for this test only."""
    site = install(copy_template(tmp_path / "template"))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("CALLKPI_DISABLED_PLUGINS", raising=False)
    yield site
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def test_entry_point_registers_the_example_connector(installed: Path):
    pm = get_plugin_manager(Settings())
    assert not [s for s in pm.skipped if s.name == "example"], pm.skipped
    assert pm.distributions["example"] == ("callkpi-connector-example", "0.1.0")
    connector = pm.catalog.connectors.get("example")
    assert (connector.plugin, connector.emits) == ("example", ("contact.recorded",))
    # the schema came from the package data, and names the template's two options
    assert connector.config_schema["required"] == ["source_timezone"]
    assert {"source_timezone", "queue_map"} <= set(connector.config_schema["properties"])


def run_template_tests(template: Path, basetemp: Path) -> subprocess.CompletedProcess:
    """The template's own test file, in a fresh interpreter that sees the template installed."""
    environment = {**os.environ, "PYTHONPATH": str(template / "src")}
    environment.pop("CALLKPI_DISABLED_PLUGINS", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"--basetemp={basetemp}", TEST_FILE],
        cwd=template, env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_template_tests_pass_and_can_fail(tmp_path: Path):
    template = copy_template(tmp_path / "template")
    install(template)
    passed = run_template_tests(template, tmp_path / "run1")
    # ConnectorTests' 8 conformance checks (the tie-order one for two id arrangements) + the hand-worked log
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "9 passed" in passed.stdout, passed.stdout

    # the same suite with one expectation wrong (the log has 3 good calls, not 4) must fail
    broken = copy_template(tmp_path / "broken")
    install(broken)
    tests = broken / TEST_FILE
    source = tests.read_text()
    assert "(summary.accepted, summary.quarantined) == (3, 3)" in source
    tests.write_text(source.replace("== (3, 3)", "== (4, 2)"))
    failed = run_template_tests(broken, tmp_path / "run2")
    assert failed.returncode == 1 and "1 failed, 8 passed" in failed.stdout, failed.stdout
