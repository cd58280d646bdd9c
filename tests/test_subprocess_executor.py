"""The subprocess executor with real worker processes: warm pool, worker marker, lost workers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import daggo_core
from daggo_core.config import load_config
from daggo_core.errors import PluginError
from daggo_core.loading import load_definitions
from daggo_core.plugins import make_plugin_manager
from daggo_core.storage.base import RunFilter, Storage
from daggo_core.storage.records import RETRY_TAG, ErrorSource, RunStatus, StepStatus
from daggo_core.testing.processes import pid_alive, wait_for, wait_healthy
from daggo_core.testing.services import launch
from daggo_core.testing.storage_contract import claim_oldest
from tests.conftest import started_pid

DAGGO = [sys.executable, "-m", "daggo_core.cli.main"]
INTERVAL = 0.2

MAIN = '''
import daggo_core
from app import defs

if __name__ == "__main__":
    daggo_core.run(daggo_core.load_config(), defs)
'''


@pytest.fixture
def env(worker_env: SimpleNamespace) -> SimpleNamespace:
    return worker_env


def open_storage() -> Storage:
    cfg = load_config()
    return make_plugin_manager().storage_backend(cfg.database.driver).open(cfg.database)


@pytest.fixture
def app(worker_app: daggo_core.DaggoApp) -> daggo_core.DaggoApp:
    return worker_app


def start_server(env: SimpleNamespace, command: list[str]) -> subprocess.Popen[bytes]:
    log = (env.tmp / "server.log").open("wb")
    proc = subprocess.Popen(command, cwd=env.tmp, stdout=log, stderr=subprocess.STDOUT)
    wait_healthy(env.port, proc)
    return proc


@pytest.fixture
def servers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(20)


def finished(storage: Storage, run_id: str) -> Callable[[], Any]:
    def check() -> Any:
        run = storage.get_run(run_id)
        return run if run.is_finished else None

    return check


def wait_running(storage: Storage, run_id: str, step_key: str = "wait_gate") -> None:
    """Wait until the step's RUNNING state is stored (the worker writes in small batches)."""
    wait_for(lambda: any(s.step_key == step_key and s.status is StepStatus.RUNNING
                         for s in storage.list_steps(run_id)), 10, f"{step_key} RUNNING")


def test_unknown_executor_fails_at_start_listing_installed_ones(env: SimpleNamespace) -> None:
    cfg = load_config()
    cfg.execution.executor = "warp_drive"
    with pytest.raises(PluginError, match=r"warp_drive.*installed: celery, in_process, subprocess"):
        daggo_core.open(cfg, load_definitions(file=env.tmp / "app.py"))


def test_daggo_run_executes_runs_in_worker_processes(env: SimpleNamespace, servers: list) -> None:
    server = start_server(env, [*DAGGO, "run", "-f", "app.py"])
    servers.append(server)
    storage = open_storage()
    run = launch(storage, "pid_job")
    final = wait_for(finished(storage, run.id), what="the run to finish")
    assert final.status is RunStatus.SUCCESS
    (step,) = storage.list_steps(run.id)
    assert step.step_key == "pid" and step.status is StepStatus.SUCCESS
    worker_pid = step.output["value"]
    assert worker_pid not in (server.pid, os.getpid())
    assert final.worker_id is not None and final.worker_id.endswith(f":{worker_pid}")
    storage.close()


def test_workers_set_resources_up_and_tear_them_down_per_run(app: daggo_core.DaggoApp,
                                                              env: SimpleNamespace) -> None:
    assert app.coordinator is not None
    run = app.launch("resource_job")
    assert app.coordinator.dispatch_once() == 1
    final = wait_for(finished(app.storage, run.id), what="the run to finish")
    assert final.status is RunStatus.SUCCESS
    [step] = app.storage.list_steps(run.id)
    worker_pid = int(final.worker_id.rsplit(":", 1)[1]) if final.worker_id else 0
    assert step.output == {"resource": f"resource-{worker_pid}"}
    assert (env.gate / f"resource-{worker_pid}-closed").exists()


def test_warm_pool_serves_launches_with_pre_started_workers(app: daggo_core.DaggoApp) -> None:
    executor = app.executor
    assert executor is not None and app.coordinator is not None
    for _ in range(2):
        (warm,) = executor.idle_worker_pids()
        run = app.launch("pid_job")
        assert app.coordinator.dispatch_once() == 1
        final = wait_for(finished(app.storage, run.id), what="the run to finish")
        assert final.status is RunStatus.SUCCESS
        assert app.storage.list_steps(run.id)[0].output == {"value": warm}
        assert executor.idle_worker_pids() != [warm]  # replenished with a new worker


def test_script_calling_daggo_run_is_re_executed_as_its_own_worker(
    env: SimpleNamespace, servers: list
) -> None:
    (env.tmp / "main.py").write_text(MAIN)
    server = start_server(env, [sys.executable, "main.py"])
    servers.append(server)
    storage = open_storage()
    run = launch(storage, "gate_job")
    pid = started_pid(env, run.id)
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert cmdline[1:2] == [b"main.py"] and pid != server.pid
    (env.gate / "open").touch()
    final = wait_for(finished(storage, run.id), what="the run to finish")
    assert final.status is RunStatus.SUCCESS
    assert [s.status for s in storage.list_steps(run.id)] == [StepStatus.SUCCESS] * 2
    storage.close()


def test_killed_worker_fails_its_run_at_once(env: SimpleNamespace,
                                             app: daggo_core.DaggoApp) -> None:
    assert app.coordinator is not None
    run = app.launch("gate_job")
    app.coordinator.dispatch_once()
    pid = started_pid(env, run.id)
    wait_running(app.storage, run.id)
    os.kill(pid, signal.SIGKILL)
    final = wait_for(finished(app.storage, run.id), 5, "the run to be failed")
    assert final.status is RunStatus.FAILURE and final.error is not None
    assert (final.error.type, final.error.source) == ("WorkerLost", ErrorSource.INFRASTRUCTURE)
    # The executor's own watcher ended it (the monitor would say "stopped heartbeating").
    assert f"worker process {pid} exited with code -9" in final.error.message
    steps = {s.step_key: s.status for s in app.storage.list_steps(run.id)}
    assert steps == {"wait_gate": StepStatus.FAILURE}
    executor = app.executor
    assert executor is not None
    wait_for(lambda: run.id not in executor.active_run_ids(), 2, "the slot to be freed")


def test_a_killed_worker_whose_forked_child_lives_on_still_fails_its_run(
        env: SimpleNamespace, app: daggo_core.DaggoApp) -> None:
    assert app.coordinator is not None
    run = app.launch("forking_job")
    app.coordinator.dispatch_once()
    pid = started_pid(env, run.id)
    child = int((env.gate / f"child-{run.id}").read_text())
    try:
        wait_running(app.storage, run.id, "fork_then_wait")
        os.kill(pid, signal.SIGKILL)  # the child still holds the worker's done pipe
        final = wait_for(finished(app.storage, run.id), 10, "the run to be failed")
        assert final.status is RunStatus.FAILURE and final.error is not None
        assert f"worker process {pid} exited with code -9" in final.error.message
        executor = app.executor
        assert executor is not None
        wait_for(lambda: run.id not in executor.active_run_ids(), 5, "the slot to be freed")
        # What the worker's ops started (its process group) is killed before any retry.
        wait_for(lambda: not pid_alive(child), 5, "the worker's child to be killed")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


def test_lost_run_of_a_job_with_run_retries_is_queued_again(
    env: SimpleNamespace, app: daggo_core.DaggoApp
) -> None:
    assert app.coordinator is not None
    run = app.launch("retry_job")
    app.coordinator.dispatch_once()
    pid = started_pid(env, run.id)
    wait_running(app.storage, run.id)
    os.kill(pid, signal.SIGKILL)
    assert wait_for(finished(app.storage, run.id)).status is RunStatus.FAILURE
    (retry,) = app.storage.list_runs(RunFilter(statuses=(RunStatus.QUEUED,)))
    assert retry.parent_run_id == run.id and retry.tags[RETRY_TAG] == "1"
    assert app.coordinator.dispatch_once() == 1
    os.kill(started_pid(env, retry.id), signal.SIGKILL)
    assert wait_for(finished(app.storage, retry.id)).status is RunStatus.FAILURE
    assert app.storage.count_runs(RunFilter(statuses=(RunStatus.QUEUED,))) == 0  # retries used up


def test_worker_outlives_a_killed_server_and_finishes_its_run(
    env: SimpleNamespace, servers: list
) -> None:
    server = start_server(env, [*DAGGO, "run", "-f", "app.py"])
    servers.append(server)
    storage = open_storage()
    run = launch(storage, "gate_job")
    pid = started_pid(env, run.id)
    server.kill()
    server.wait(10)
    (env.gate / "open").touch()
    final = wait_for(finished(storage, run.id), what="the run to finish")
    assert final.status is RunStatus.SUCCESS
    assert [s.status for s in storage.list_steps(run.id)] == [StepStatus.SUCCESS] * 2
    wait_for(lambda: not pid_alive(pid), 10, "the worker to exit")
    storage.close()


def test_a_worker_dying_after_its_run_was_claimed_again_does_not_fail_that_run(
    env: SimpleNamespace, app: daggo_core.DaggoApp
) -> None:
    assert app.coordinator is not None and app.executor is not None
    executor = app.executor
    wait_for(lambda: executor.idle_worker_pids(), 30, "a warm worker")
    (warm,) = executor.idle_worker_pids()
    os.kill(warm, signal.SIGSTOP)  # it will not take the run it is handed
    run = app.launch("gate_job")
    app.coordinator.dispatch_once()
    handed = app.storage.get_run(run.id)
    assert (handed.status, handed.attempt) == (RunStatus.STARTING, 1)
    # The monitor gives the attempt up, and a claim starts another one (no worker yet).
    app.storage.set_run_status(run.id, RunStatus.QUEUED, expected=[RunStatus.STARTING],
                               attempt=1)
    (again,) = claim_oldest(app.storage, 1)
    assert (again.attempt, again.worker_id) == (2, None)
    os.kill(warm, signal.SIGKILL)  # the first attempt's worker dies
    wait_for(lambda: run.id not in executor.active_run_ids(), 10, "its slot to be freed")
    stored = app.storage.get_run(run.id)
    # Its executor leaves the second attempt alone.
    assert (stored.status, stored.attempt, stored.error) == (RunStatus.STARTING, 2, None)
