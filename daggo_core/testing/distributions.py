"""Plugin distributions written by a test and installed with pip, as a user installs one."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["pip_install", "write_distribution"]


def write_distribution(root: Path, dist: str, version: str, modules: Mapping[str, str],
                       entry_points: Mapping[str, str]) -> Path:
    """Write the project of distribution `dist` under `root`: a package named after it
    (dashes as underscores) holding `modules` (name -> source; `__init__` may be one),
    with `entry_points` (name -> module of the package) in group `daggo`. Returns the
    project's folder."""
    package = dist.replace("-", "_")
    project = root / dist
    (project / package).mkdir(parents=True)
    points = "\n".join(f'{name} = "{package}.{module}"' for name, module in entry_points.items())
    (project / "pyproject.toml").write_text(textwrap.dedent("""\
        [build-system]
        requires = ["setuptools>=65", "wheel"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{dist}"
        version = "{version}"
        requires-python = ">=3.11"
        dependencies = ["daggo>=0.1.0"]

        [project.entry-points.daggo]
        {points}

        [tool.setuptools]
        packages = ["{package}"]
    """).format(dist=dist, version=version, points=points, package=package))
    for module, source in {"__init__": "", **modules}.items():
        (project / package / f"{module}.py").write_text(source.lstrip())
    return project


def pip_install(projects: Sequence[Path], target: Path) -> Path:
    """Install `projects` with pip into the folder `target` (for PYTHONPATH); returns it.
    Raises AssertionError with pip's output when pip fails."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--no-input", "--target", str(target),
         *map(str, projects)],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return target
