"""The example KPI plugin (docs/examples/kpi_plugin) loads through the real entry-point path.

Instead of building a wheel, the test lays out what an installer would: the package
and a ``.dist-info`` with ``entry_points.txt`` (taken from the example's own
pyproject.toml) in a directory put on the path, so ``importlib.metadata`` finds it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from callkpi.cli import app
from callkpi.plugins import get_plugin_manager
from callkpi.settings import Settings
from callkpi.store.db import Store
from callkpi.store.ingest import Ingestor
from callkpi.store.privacy import CustomerHasher
from callkpi.testing import TEST_HMAC_KEY, contact_timeline, event_factory, raw_events
from dist_info import write_project_dist_info

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "kpi_plugin"
PACKAGE = "callkpi_kpi_example"


def install(site: Path, example: Path = EXAMPLE) -> Path:
    """Lay the example out in ``site`` as pip would install it; returns ``site``."""
    shutil.copytree(example / "src" / PACKAGE, site / PACKAGE)
    write_project_dist_info(site, example)
    return site


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The example on ``sys.path`` for this test only."""
    site = install(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("CALLKPI_DISABLED_PLUGINS", raising=False)
    yield site
    sys.modules.pop(PACKAGE, None)


def test_entry_point_registers_the_example_kpis(installed: Path):
    pm = get_plugin_manager(Settings())
    kpis = pm.catalog.kpis
    assert not [s for s in pm.skipped if s.name == "kpi_example"], pm.skipped
    assert pm.distributions["kpi_example"] == ("callkpi-kpi-example", "0.1.0")
    assert kpis.get("long_call_rate").plugin == "kpi_example"
    assert list(kpis.get("long_call_rate").variants) == ["handle_time", "talk_only"]
    assert kpis.get("transfers_per_contact").kpi.unit == "ratio"


def test_report_computes_the_example_kpi(installed: Path, tmp_path: Path):
    database = f"sqlite:///{tmp_path / 'callkpi.db'}"
    make = event_factory()
    nine = datetime.fromisoformat("2026-01-05T09:00:00+00:00")
    store = Store.open(database)
    Ingestor(store, get_plugin_manager(Settings()), CustomerHasher(TEST_HMAC_KEY)).ingest(
        raw_events(
            [
                # handle 500 + 200 = 700 s: long; its talk alone (500 s) is not
                *contact_timeline(make, "c1", nine, talk_s=500, acw_s=200),
                # handle 100 + 30 = 130 s: short either way
                *contact_timeline(make, "c2", nine + timedelta(minutes=20), talk_s=100, acw_s=30),
            ]
        )
    )
    store.dispose()
    result = CliRunner().invoke(
        app,
        ["report", "--from", "2026-01-05", "--kpi", "long_call_rate", "--format", "json",
         "--variant", "long_call_rate=handle_time", "--variant", "long_call_rate=talk_only",
         "--database", database],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["rows"]
    # handle_time: 1 long (c1) ÷ 2 handled × 100 = 50; talk_only: 0 ÷ 2 = 0
    assert {key: value["value"] for key, value in row["values"].items()} == {
        "long_call_rate": 50.0,
        "long_call_rate:talk_only": 0.0,
    }
    # the KPI's default target 10 (lower is better): 50 misses it, 0 meets it
    assert [value["met"] for value in row["values"].values()] == [False, True]


def run_conformance(example: Path, site: Path, basetemp: Path) -> subprocess.CompletedProcess:
    """The example's own test suite, in a fresh interpreter that sees the example installed."""
    environment = {**os.environ, "PYTHONPATH": str(site)}
    environment.pop("CALLKPI_DISABLED_PLUGINS", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"--basetemp={basetemp}", "tests"],
        cwd=example, env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_example_conformance_test_passes_and_can_fail(tmp_path: Path):
    site = install(tmp_path / "site")
    passed = run_conformance(EXAMPLE, site, tmp_path / "run1")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "1 passed" in passed.stdout

    # the same suite with one expectation wrong (2 of 3 long calls is not 50 %) must fail
    broken = tmp_path / "broken"
    shutil.copytree(EXAMPLE, broken)
    tests = broken / "tests" / "test_kpis.py"
    source = tests.read_text()
    assert 'expect("long_call_rate", 200 / 3, n=3)' in source
    tests.write_text(source.replace('expect("long_call_rate", 200 / 3, n=3)',
                                    'expect("long_call_rate", 50.0, n=3)'))  # fmt: skip
    failed = run_conformance(broken, site, tmp_path / "run2")
    assert failed.returncode == 1 and "1 failed" in failed.stdout, failed.stdout
