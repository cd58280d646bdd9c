"""A plugin distribution written outside the repo, installed with pip, seen by `daggo`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from daggo_core.testing.distributions import pip_install, write_distribution

GOOD_PLUGIN = '''
"""daggo-hello: a UI panel and a CLI command."""

from __future__ import annotations

import click

from daggo_core import hookimpl
from daggo_core.extensions import UIPanel


@click.command("hello")
@click.option("--name", default="world")
def hello(name: str) -> None:
    """Say hello."""
    click.echo(f"hello {name} from daggo-hello")


@hookimpl
def daggo_ui_panels():
    return [UIPanel(name="hello", title="Hello", path="/hello", render=lambda ctx: "<p>hi</p>")]


@hookimpl
def daggo_cli_commands():
    return [hello]
'''

BROKEN_PLUGIN = '''
"""daggo-broken: needs an SDK that is not installed."""

raise ImportError("the frobnicate SDK is not installed")
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding daggo-hello 1.2.0 and daggo-broken 0.3.0, installed by pip."""
    root = tmp_path_factory.mktemp("third_party")
    return pip_install([
        write_distribution(root, "daggo-hello", "1.2.0", {"plugin": GOOD_PLUGIN},
                           {"hello": "plugin"}),
        write_distribution(root, "daggo-broken", "0.3.0", {"plugin": BROKEN_PLUGIN},
                           {"broken": "plugin"}),
    ], root / "site")


def _daggo(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "COLUMNS": "200"}
    env.pop("DAGGO_PLUGINS_BLOCK", None)
    return subprocess.run(
        [sys.executable, "-m", "daggo_core.cli.main", *args],
        capture_output=True, text=True, env=env, timeout=120,
    )


def _canonical(name: str) -> str:
    return name.replace("_", "-").lower()


def test_installed_plugin_is_listed_with_distribution_version_and_hooks(site: Path) -> None:
    result = _daggo(site, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    [hello] = [p for p in report["plugins"] if p["name"] == "hello"]
    assert _canonical(hello["distribution"]) == "daggo-hello"
    assert hello["version"] == "1.2.0"
    assert hello["hooks"] == ["daggo_cli_commands", "daggo_ui_panels"]


def test_installed_plugin_command_runs(site: Path) -> None:
    result = _daggo(site, "hello", "--name", "tester")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello tester from daggo-hello\n"

    listing = _daggo(site, "--help")
    assert listing.returncode == 0, listing.stderr
    assert "hello" in listing.stdout.split("Commands:")[1]


def test_broken_plugin_is_reported_by_name_with_its_error(site: Path) -> None:
    result = _daggo(site, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    [broken] = [f for f in report["failures"] if f["name"] == "broken"]
    assert _canonical(broken["distribution"]) == "daggo-broken"
    assert broken["version"] == "0.3.0"
    assert broken["error"] == "ImportError: the frobnicate SDK is not installed"
    assert "broken" not in {p["name"] for p in report["plugins"]}

    table = _daggo(site, "plugins")
    assert table.returncode == 0, table.stderr
    assert "Plugins that failed to load" in table.stdout
    [row] = [line for line in table.stdout.splitlines() if " broken " in line]
    assert "daggo" in row and "broken" in row
    assert "the frobnicate SDK is not installed" in table.stdout
    assert "\x1b[" not in table.stdout  # plain text when stdout is not a terminal


def test_blocked_third_party_plugin_is_neither_loaded_nor_reported(site: Path) -> None:
    env_block = {**os.environ, "PYTHONPATH": str(site), "DAGGO_PLUGINS_BLOCK": "broken,hello"}
    result = subprocess.run(
        [sys.executable, "-m", "daggo_core.cli.main", "plugins", "--json"],
        capture_output=True, text=True, env=env_block, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    names = {p["name"] for p in report["plugins"]} | {f["name"] for f in report["failures"]}
    assert not names & {"broken", "hello"}
