"""Making a package look installed without building a wheel: a ``*.dist-info`` directory with
``METADATA`` and ``entry_points.txt`` beside it, so ``importlib.metadata`` finds its entry
points exactly as it finds a pip-installed distribution's."""

from __future__ import annotations

import tomllib
from pathlib import Path


def write_dist_info(site: Path, distribution: str, version: str, entry_points: dict[str, str],
                    group: str = "callkpi") -> Path:
    """Write ``site/<distribution>-<version>.dist-info`` declaring ``entry_points`` (name →
    ``module``) in ``group``; returns the dist-info directory."""
    info = site / f"{distribution.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n")
    entries = "".join(f"{name} = {value}\n" for name, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[{group}]\n{entries}")
    return info


def write_project_dist_info(site: Path, project_dir: Path) -> Path:
    """The dist-info of the project in ``project_dir``, from its own ``pyproject.toml``."""
    project = tomllib.loads((project_dir / "pyproject.toml").read_text())["project"]
    return write_dist_info(site, project["name"], project["version"], project["entry-points"]["callkpi"])
