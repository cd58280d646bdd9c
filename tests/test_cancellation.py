"""Cancellation: queued runs, cooperating steps, and workers that ignore the request."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from attrs import frozen

import daggo_core
from daggo_core import Context, NoInput, dag
from daggo_core.cli.worker_cmd import worker_command_for
from daggo_core.config import load_config
from daggo_core.services.runs import CancelOutcome, RunsCancelRequest
from daggo_core.storage.base import Storage
from daggo_core.storage.records import EventKind, Run, RunStatus, StepStatus
from daggo_core.testing.processes import pid_alive, wait_for
from daggo_core.testing.services import launch
from daggo_core.testing.storage_contract import claim_oldest
from tests.conftest import serve_worker_app

DAGGO = [sys.executable, "-m", "daggo_core.cli.main"]
INTERVAL = 0.2
GRACE = 0.5


def finished(storage: Storage, run_id: str) -> Callable[[], Run | None]:
    def check() -> Run | None:
        run = storage.get_run(run_id)
        return run if run.is_finished else None

    return check


@pytest.fixture
def env(worker_env: SimpleNamespace) -> SimpleNamespace:
    return worker_env


@pytest.fixture
def app(worker_app: daggo_core.DaggoApp) -> daggo_core.DaggoApp:
    return worker_app


def daggo(env: SimpleNamespace, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DAGGO, *args], cwd=env.tmp, capture_output=True, text=True,
                          timeout=60)


def started_pid(env: SimpleNamespace, run_id: str, step_key: str) -> int:
    marker = env.gate / f"started-{run_id}"
    pid = int(wait_for(lambda: marker.exists() and marker.read_text(), 20, "step start"))
    wait_for(lambda: any(s.step_key == step_key and s.status is StepStatus.RUNNING
                         for s in env.storage.list_steps(run_id)), 10, "step RUNNING stored")
    return pid


def assert_canceled_mid_step(env: SimpleNamespace, run: Run, step_key: str) -> None:
    assert run.status is RunStatus.CANCELED
    steps = {s.step_key: s for s in env.storage.list_steps(run.id)}
    assert steps[step_key].status is StepStatus.CANCELED
    assert not any(s.status is StepStatus.SUCCESS for s in steps.values())
    if "after" in steps:  # the downstream step never started
        assert steps["after"].status is StepStatus.CANCELED
        assert steps["after"].started_at is None
    assert not (env.gate / f"after-{run.id}").exists()


def test_cancel_of_a_queued_run_ends_it_at_once(env: SimpleNamespace) -> None:
    run = launch(env.storage, "gate_job", env.defs)
    result = daggo(env, "runs", "cancel", run.id)
    assert result.returncode == 0, result.stderr
    assert f"run {run.id} canceled: CANCELED (it had not started)" in result.stdout
    assert env.storage.get_run(run.id).status is RunStatus.CANCELED
    again = daggo(env, "runs", "cancel", run.id)
    assert "already finished: CANCELED; nothing to cancel" in again.stdout
    missing = daggo(env, "runs", "cancel", "nope")
    assert missing.returncode == 1 and "nope" in missing.stderr


def test_app_cancel_removes_a_queued_run_from_the_queue(app: daggo_core.DaggoApp) -> None:
    assert app.coordinator is not None
    run = app.launch("gate_job")
    assert app.cancel(run.id).status is RunStatus.CANCELED
    assert app.coordinator.dispatch_once() == 0
    assert app.storage.list_steps(run.id) == []


def stated_bound(message: str) -> float:
    """The seconds a cancel message promises the run ends within."""
    found = re.search(r"the run ends CANCELED within ([0-9.]+) s", message)
    assert found, message
    return float(found[1])


def took_to_end(storage: Storage, run: Run) -> float:
    """Seconds from the stored cancel request to the run's recorded end."""
    [asked] = [e.timestamp for e in storage.list_events(run.id)
               if e.kind is EventKind.RUN_CANCEL_REQUESTED]
    assert run.finished_at is not None
    return (run.finished_at - asked).total_seconds()


def test_cli_cancel_of_a_running_run_stops_it_at_the_next_heartbeat(
    env: SimpleNamespace,
) -> None:
    serve_worker_app(env)
    run = launch(env.storage, "gate_job")
    pid = started_pid(env, run.id, "wait_gate")
    result = daggo(env, "runs", "cancel", run.id)
    assert "cancellation requested" in result.stdout and "next heartbeat" in result.stdout
    final = wait_for(finished(env.storage, run.id), 5, "the run to end")
    assert_canceled_mid_step(env, final, "wait_gate")
    kinds = [e.kind for e in env.storage.list_events(run.id)]
    assert EventKind.RUN_CANCEL_REQUESTED in kinds and kinds[-1] is EventKind.RUN_CANCELED
    wait_for(lambda: not pid_alive(pid), 5, "the worker to exit")


# The bound a cancel states, from this module's settings: heartbeat 0.2 s, grace 0.5 s.
#   told through storage: 0.2 (next heartbeat) + 0.5 + 1 (kill delay) + 0.2 (after the
#   executor's kill) + 1 (recording) = 2.9 s; told at once: 0.5 + 1 + 1 = 2.5 s.
@pytest.mark.parametrize("job", ["deaf_job", "stubborn_job"])
def test_cli_cancel_states_its_bound_and_the_run_ends_within_it(
    env: SimpleNamespace, job: str,
) -> None:
    serve_worker_app(env)
    run = launch(env.storage, job)
    step = "ignore_cancel" if job == "deaf_job" else "stubborn"
    started_pid(env, run.id, step)
    result = daggo(env, "runs", "cancel", run.id)
    assert result.returncode == 0, result.stderr
    assert stated_bound(result.stdout) == 2.9
    assert "next heartbeat (within 0.2 s)" in result.stdout
    assert "Steps still running 0.5 s after that are abandoned" in result.stdout
    final = wait_for(finished(env.storage, run.id), 10, "the run to end")
    assert_canceled_mid_step(env, final, step)
    # A deaf sync step is abandoned after the grace; one blocking the worker's loop
    # outlasts that, and its worker ends the run itself: both within the bound.
    assert took_to_end(env.storage, final) <= 2.9
    ended = [e.message for e in env.storage.list_events(run.id)
             if e.kind is EventKind.RUN_CANCELED]
    assert ("worker exited" in ended[-1]) is (job == "stubborn_job")


def test_cancel_through_the_services_states_the_signalled_bound(
    env: SimpleNamespace, app: daggo_core.DaggoApp,
) -> None:
    assert app.coordinator is not None
    run = app.launch("stubborn_job")
    app.coordinator.dispatch_once()
    started_pid(env, run.id, "stubborn")
    response = app.services.runs.cancel(RunsCancelRequest(run_id=run.id))
    assert response.outcome is CancelOutcome.REQUESTED
    assert response.ends_within_seconds == stated_bound(response.message) == 2.5
    assert "its worker was told at once" in response.message
    final = wait_for(finished(env.storage, run.id), 10, "the run to end")
    assert final.status is RunStatus.CANCELED
    assert took_to_end(env.storage, final) <= 2.5


def test_app_cancel_signals_the_worker(env: SimpleNamespace, monkeypatch: pytest.MonkeyPatch,
                                       ) -> None:
    # Heartbeats far apart: only the signal can stop the run this fast.
    monkeypatch.setenv("DAGGO_EXECUTION_HEARTBEAT_INTERVAL_SECONDS", "30")
    monkeypatch.setenv("DAGGO_EXECUTION_HEARTBEAT_TIMEOUT_SECONDS", "90")
    opened = daggo_core.open(load_config(), env.defs)
    opened.worker_command = worker_command_for(None, None, "app.py")
    coordinator = opened.start_execution()
    try:
        run = opened.launch("gate_job")
        coordinator.dispatch_once()
        pid = started_pid(env, run.id, "wait_gate")
        opened.cancel(run.id)
        # The next heartbeat is 30 s away: ending at all within 5 s is the signal's doing.
        final = wait_for(finished(env.storage, run.id), 5, "the run to end")
        assert_canceled_mid_step(env, final, "wait_gate")
        wait_for(lambda: not pid_alive(pid), 5, "the worker to exit")
    finally:
        opened.close()


def test_worker_ignoring_cancellation_is_killed_after_the_grace_period(
    env: SimpleNamespace, app: daggo_core.DaggoApp
) -> None:
    assert app.coordinator is not None
    run = app.launch("stubborn_job")
    app.coordinator.dispatch_once()
    pid = started_pid(env, run.id, "stubborn")
    asked = time.monotonic()
    app.cancel(run.id)
    time.sleep(GRACE / 2)
    assert pid_alive(pid) and not env.storage.get_run(run.id).is_finished
    final = wait_for(finished(env.storage, run.id), 10, "the run to end")
    assert time.monotonic() - asked >= GRACE  # not before its grace period
    assert_canceled_mid_step(env, final, "stubborn")
    wait_for(lambda: not pid_alive(pid), 5, "the worker to be killed")
    ended = [e.message for e in env.storage.list_events(run.id)
             if e.kind is EventKind.RUN_CANCELED]
    assert ended and "killed by SIGKILL" in ended[-1]  # the executor killed it


def test_worker_without_a_server_gives_up_on_a_step_ignoring_cancellation(
    env: SimpleNamespace,
) -> None:
    run = launch(env.storage, "stubborn_job", env.defs)
    claim_oldest(env.storage, 1)
    worker = subprocess.Popen([*DAGGO, "worker", "-f", "app.py", "--run-id", run.id],
                              cwd=env.tmp, start_new_session=True)
    env.procs.append(worker)
    started_pid(env, run.id, "stubborn")
    asked = time.monotonic()
    env.storage.request_cancel(run.id)
    final = wait_for(finished(env.storage, run.id), 10, "the run to end")
    assert time.monotonic() - asked >= GRACE  # not before its grace period
    assert_canceled_mid_step(env, final, "stubborn")
    assert worker.wait(5) == 1  # it ended the run itself and exited hard


# -- the in-process executor ---------------------------------------------------


@frozen
class Step:
    n: int


@frozen
class NextIn:
    first: Step


@frozen
class Last:
    n: int


def cooperative(ctx: Context, inp: NoInput) -> Step:
    ctx.cancel_event.wait(30)
    return Step(1)


def never(ctx: Context, inp: NextIn) -> Last:
    raise AssertionError("a canceled run started a downstream step")


def test_in_process_executor_honours_a_cancel_requested_elsewhere(
    tmp_path: Path, apps: Callable[..., daggo_core.DaggoApp]
) -> None:
    cfg = daggo_core.default_config()
    cfg.database.sqlite.path = str(tmp_path / "daggo.sqlite")
    cfg.execution.executor = "in_process"
    cfg.execution.heartbeat_interval_seconds = INTERVAL
    job = dag.job("coop").add(dag.op("cooperative", cooperative), dag.op("never", never)).build()
    app = apps(cfg, job)
    coordinator = app.start_execution()
    run = app.launch("coop")
    coordinator.dispatch_once()
    wait_for(lambda: app.storage.list_steps(run.id), 5, "the first step to start")
    app.storage.request_cancel(run.id)  # as `daggo runs cancel` does from another process
    final = wait_for(finished(app.storage, run.id), 5, "the run to end")
    assert final.status is RunStatus.CANCELED
    steps = {s.step_key: s for s in app.storage.list_steps(run.id)}
    assert steps["cooperative"].status is StepStatus.CANCELED
    assert steps["never"].status is StepStatus.CANCELED and steps["never"].started_at is None
    app.close()
