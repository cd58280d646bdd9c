"""End to end: `daggo run` serving the example, `daggo job launch --wait` from another process."""

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from daggo_core.testing.processes import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "content_ingestion"
DAGGO = [sys.executable, "-m", "daggo_core.cli.main"]
STEPS = ["scrape_page", "extract_title", "extract_entities", "extract_links", "upsert_index"]


@pytest.fixture
def example(tmp_path):
    target = tmp_path / "content_ingestion"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".daggo", "__pycache__"))
    return target


def daggo(args, cwd, env=None, timeout=60):
    return subprocess.run([*DAGGO, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture
def server(example):
    port = free_port()
    env = {**os.environ, "DAGGO_ADMIN_PORT": str(port)}
    proc = subprocess.Popen([*DAGGO, "run"], cwd=example, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        assert wait_healthy(port, proc) == {"status": "ok", "database": "ok", "components": {
            "coordinator": "running", "monitor": "running", "scheduler": "running",
            "backfills": "running",
            "executor": "running"}, "problems": {},
            "process": {"pid": proc.pid, "role": "primary"}}
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_launch_wait_completes_with_five_successful_steps(example, server):
    result = daggo(["job", "launch", "content_ingestion", "--wait"], cwd=example)
    assert result.returncode == 0, result.stdout + result.stderr
    for step in STEPS:
        assert f"{step}: SUCCESS" in result.stdout
    run_id = result.stdout.split()[1]
    assert f"run {run_id} finished: SUCCESS" in result.stdout

    listed = daggo(["runs", "list"], cwd=example)
    assert run_id in listed.stdout and "SUCCESS" in listed.stdout
    shown = daggo(["runs", "show", run_id], cwd=example)
    assert shown.stdout.count("SUCCESS") >= 5
    logs = daggo(["runs", "logs", run_id, "--step", "scrape_page"], cwd=example)
    assert "fetched http://127.0.0.1" in logs.stdout and "STEP_SUCCESS" in logs.stdout

    with urllib.request.urlopen(server, timeout=5) as response:
        page = response.read().decode()
    assert "content_ingestion" in page and run_id[:8] in page
    with urllib.request.urlopen(f"{server}runs/{run_id}", timeout=5) as response:
        run_page = response.read().decode()
    assert all(step in run_page for step in STEPS)
    index = json.loads((example / ".daggo" / "search_index.json").read_text())
    (doc,) = index.values()
    assert doc["title"].startswith("Orchestrating Rivers")
    assert "Maria Novak" in doc["entities"]


def test_launch_of_unknown_job_names_the_known_ones(example, server):
    result = daggo(["job", "launch", "nope"], cwd=example)
    assert result.returncode == 1
    assert "no job named 'nope'" in result.stderr and "content_ingestion" in result.stderr


def test_launch_rejects_malformed_params(example):
    result = daggo(["job", "launch", "content_ingestion", "--params", "{bad"], cwd=example)
    assert result.returncode == 2
    assert "--params" in result.stderr and "not valid JSON" in result.stderr


def test_launch_local_runs_in_process_without_a_server(example):
    result = daggo(["job", "launch", "content_ingestion", "--local"], cwd=example)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") >= 6
    listed = daggo(["runs", "list", "--status", "success", "--job", "content_ingestion"],
                   cwd=example)
    assert "1 of 1 runs" in listed.stdout


def test_job_list_shows_synced_jobs_and_schedules(example):
    assert daggo(["db", "upgrade"], cwd=example).returncode == 0
    daggo(["job", "launch", "content_ingestion", "--local"], cwd=example)
    listed = daggo(["job", "list"], cwd=example)
    assert "content_ingestion" in listed.stdout and "*/15 * * * *" in listed.stdout


def test_run_with_a_missing_module_fails_clearly(tmp_path):
    result = daggo(["run", "-m", "no_such_module_here"], cwd=tmp_path)
    assert result.returncode == 1
    assert "could not import 'no_such_module_here'" in result.stderr


def test_version():
    result = daggo(["--version"], cwd=ROOT)
    assert result.stdout.strip() == "daggo 0.1.0"


def test_reexecute_from_a_step_queues_a_linked_run(example):
    first = daggo(["job", "launch", "content_ingestion", "--local"], cwd=example)
    run_id = first.stdout.split()[1]
    result = daggo(["runs", "reexecute", run_id, "--step", "upsert_index"], cwd=example)
    assert result.returncode == 0, result.stderr
    new_id = result.stdout.split()[1]
    assert f"re-execution of {run_id} from step upsert_index" in result.stdout
    shown = daggo(["runs", "list", "--status", "queued"], cwd=example)
    assert new_id in shown.stdout
    bad = daggo(["runs", "reexecute", run_id], cwd=example)
    assert bad.returncode == 1 and "no failed steps" in bad.stderr
    unknown = daggo(["runs", "reexecute", run_id, "--step", "nope"], cwd=example)
    assert unknown.returncode == 1 and "has no step 'nope'" in unknown.stderr


def test_an_app_that_raises_at_import_shows_the_users_line(tmp_path):
    (tmp_path / "helpers.py").write_text("def load():\n    return {}['missing']\n")
    (tmp_path / "pipeline.py").write_text(
        "import helpers\n\n\nSETTINGS = helpers.load()\n")
    result = daggo(["run", "-f", "pipeline.py"], cwd=tmp_path)
    assert result.returncode == 1
    assert "could not import 'pipeline.py': KeyError: 'missing'" in result.stderr
    assert "at helpers.py:2 in load: return {}['missing']" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_import_error_inside_a_library_of_the_apps_venv_shows_the_apps_line(tmp_path):
    site = tmp_path / ".venv" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (site / "vendorlib.py").write_text("def connect():\n    raise ValueError('no DSN')\n")
    (tmp_path / "pipeline.py").write_text(
        "import sys\nsys.path.insert(0, '.venv/lib/python3.11/site-packages')\n"
        "import vendorlib\n\nCONN = vendorlib.connect()\n")
    result = daggo(["run", "-f", "pipeline.py"], cwd=tmp_path)
    assert result.returncode == 1
    assert "at pipeline.py:5 in <module>: CONN = vendorlib.connect()" in result.stderr
