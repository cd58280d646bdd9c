"""Build the wheels, install them into a fresh venv, and run the `daggo` it installs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PIP_CACHE = ROOT / ".tmp" / "pip-cache"  # kept between runs so reinstalls are fast


def _run(*args: str | Path, timeout: float = 900, **kwargs: object) -> str:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    env.pop("PYTHONPATH", None)
    env.pop("DAGGO_PLUGINS_BLOCK", None)
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=timeout, env=env,
        **kwargs,  # type: ignore[arg-type]
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, args))} exited {result.returncode}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    return result.stdout


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheels")
    for project in (ROOT, ROOT / "plugins" / "daggo_sqlite"):
        _run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", out, project)
    return out


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheels: Path) -> Path:
    env_dir = tmp_path_factory.mktemp("venv")
    _run(sys.executable, "-m", "venv", env_dir)
    _run(env_dir / "bin" / "python", "-m", "pip", "install", "--cache-dir", PIP_CACHE,
         "--find-links", wheels, "daggo")
    return env_dir


def _wheel(wheels: Path, prefix: str) -> Path:
    [path] = wheels.glob(f"{prefix}-*.whl")
    return path


def test_core_wheel_contains_package_data(wheels: Path) -> None:
    names = zipfile.ZipFile(_wheel(wheels, "daggo")).namelist()
    assert "daggo_core/cli/main.py" in names
    assert "daggo_core/hookspecs.py" in names
    if (ROOT / "daggo_core" / "storage" / "migrations" / "env.py").exists():
        assert "daggo_core/storage/migrations/env.py" in names
    templates = ROOT / "daggo_core" / "web" / "templates"
    if templates.is_dir() and any(p.is_file() for p in templates.rglob("*")):
        assert any(n.startswith("daggo_core/web/templates/") for n in names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(_wheel(wheels, "daggo")).read(entry_points).decode()
    assert "daggo = daggo_core.cli.main:main" in text
    assert "in_process = daggo_core.execution.in_process_plugin" in text


def test_sqlite_wheel_declares_its_entry_point(wheels: Path) -> None:
    wheel = zipfile.ZipFile(_wheel(wheels, "daggo_sqlite"))
    assert "daggo_sqlite/plugin.py" in wheel.namelist()
    entry_points = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    assert "sqlite = daggo_sqlite.plugin" in wheel.read(entry_points).decode()


def test_installed_daggo_reports_its_version(venv: Path) -> None:
    assert _run(venv / "bin" / "daggo", "--version", timeout=120) == "daggo 0.1.0\n"


def test_installed_daggo_lists_builtin_and_sqlite_plugins(venv: Path) -> None:
    report = json.loads(_run(venv / "bin" / "daggo", "plugins", "--json", timeout=120, cwd=venv))
    distributions = {p["name"]: p["distribution"] for p in report["plugins"]}
    assert distributions.get("sqlite") == "daggo-sqlite", report
    assert distributions.get("in_process") == "daggo", report
    assert distributions.get("admin") == "daggo", report
    assert report["failures"] == [], report

    table = _run(venv / "bin" / "daggo", "plugins", timeout=120, cwd=venv)
    for name in ("sqlite", "daggo-sqlite", "in_process", "admin"):
        assert name in table, table


def test_extras_name_only_plugin_distributions_of_this_repository() -> None:
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    ours = {tomllib.loads(p.read_text())["project"]["name"]
            for p in (ROOT / "plugins").glob("*/pyproject.toml")}
    named = {re.split(r"[<>=!~\[ ;]", req, maxsplit=1)[0]
             for reqs in project["optional-dependencies"].values() for req in reqs}
    assert named <= ours, f"extras name distributions that do not exist: {named - ours}"
