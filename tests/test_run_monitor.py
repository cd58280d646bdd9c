"""The run monitor: lost workers, start-up recovery of a previous server's runs, run retries."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from attrs import frozen

import daggo_core
from daggo_core import Context, NoInput, dag
from daggo_core.execution.heartbeat import Heartbeat, worker_id
from daggo_core.execution.local import ephemeral_storage
from daggo_core.execution.run_monitor import RunMonitor
from daggo_core.loading import load_definitions
from daggo_core.storage.base import RunFilter, Storage
from daggo_core.storage.records import (
    RETRY_TAG,
    EventKind,
    Run,
    RunStatus,
    StepRecord,
    StepStatus,
    utcnow,
)
from daggo_core.testing.processes import wait_for
from daggo_core.testing.services import launch
from daggo_core.testing.storage_contract import claim_oldest
from tests.conftest import serve_worker_app

DAGGO = [sys.executable, "-m", "daggo_core.cli.main"]
INTERVAL = 0.2
FINISHED = (RunStatus.SUCCESS, RunStatus.FAILURE, RunStatus.CANCELED)


def status_of(storage: Storage, run_id: str, *statuses: RunStatus) -> Callable[[], Run | None]:
    def check() -> Run | None:
        run = storage.get_run(run_id)
        return run if run.status in statuses else None

    return check


@pytest.fixture
def env(worker_env: SimpleNamespace) -> SimpleNamespace:
    return worker_env


def started_pid(env: SimpleNamespace, run_id: str) -> int:
    marker = env.gate / f"started-{run_id}"
    pid = int(wait_for(lambda: marker.exists() and marker.read_text(), 20, "step start"))
    wait_for(lambda: any(s.status is StepStatus.RUNNING
                         for s in env.storage.list_steps(run_id)), 10, "step RUNNING stored")
    return pid


@contextlib.contextmanager
def monitoring(monitor: RunMonitor) -> Iterator[None]:
    """Run `monitor.run_forever()` on an event loop of a background thread."""
    loop = asyncio.new_event_loop()
    task: list[asyncio.Task[None]] = []

    def main() -> None:
        task.append(loop.create_task(monitor.run_forever()))
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(task[0])
        loop.close()

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    try:
        yield
    finally:
        wait_for(lambda: task, 5)
        loop.call_soon_threadsafe(task[0].cancel)
        thread.join(5)


def test_monitor_fails_the_run_of_a_killed_worker_within_two_intervals(
    env: SimpleNamespace,
) -> None:
    storage = env.storage
    defs = load_definitions(file=env.tmp / "app.py")
    run = launch(storage, "gate_job", defs)
    (claimed,) = claim_oldest(storage, 1)
    assert claimed.id == run.id
    worker = subprocess.Popen([*DAGGO, "worker", "-f", "app.py", "--run-id", run.id],
                              cwd=env.tmp, start_new_session=True)
    env.procs.append(worker)
    assert started_pid(env, run.id) == worker.pid
    monitor = RunMonitor(storage, defs.jobs_by_name, heartbeat_interval=INTERVAL,
                         heartbeat_timeout=1.5 * INTERVAL)
    with monitoring(monitor):
        time.sleep(4 * INTERVAL)  # the worker heartbeats: the monitor leaves its run alone
        assert storage.get_run(run.id).status is RunStatus.STARTED
        os.kill(worker.pid, signal.SIGKILL)
        final = wait_for(status_of(storage, run.id, RunStatus.FAILURE), 5, "FAILURE")
    assert final.error is not None and final.error.type == "WorkerLost"
    assert f"worker process {worker.pid} of this host is gone" in final.error.message
    assert [s.status for s in storage.list_steps(run.id)] == [StepStatus.FAILURE]
    kinds = [e.kind for e in storage.list_events(run.id)]
    assert EventKind.RUN_WORKER_LOST in kinds and kinds[-1] is EventKind.RUN_FAILURE


def test_restarted_server_recovers_runs_left_by_a_lost_one(env: SimpleNamespace) -> None:
    storage = env.storage
    first = serve_worker_app(env)
    lost = launch(storage, "gate_job")
    worker_pid = started_pid(env, lost.id)
    # The machine is lost: the server and its worker die without a word.
    first.kill()
    os.kill(worker_pid, signal.SIGKILL)
    first.wait(10)
    old = utcnow() - dt.timedelta(minutes=5)
    # Claimed by the lost server, never handed to a worker.
    unstarted = storage.add_run(Run(job_name="pid_job", status=RunStatus.STARTING,
                                    heartbeat_at=old, created_at=old))
    queued = launch(storage, "pid_job")
    # Executed elsewhere by a worker that is alive and heartbeating.
    live = storage.add_run(Run(job_name="gate_job", status=RunStatus.STARTED,
                               started_at=old, created_at=old))
    beating = Heartbeat(storage, live.id, "elsewhere:1", attempt=live.attempt,
                        interval=INTERVAL).start()
    try:
        serve_worker_app(env)
        failed = wait_for(status_of(storage, lost.id, RunStatus.FAILURE), 30, "lost run failed")
        assert failed.error is not None and failed.error.type == "WorkerLost"
            # Its worker was on this host: its process is gone, whatever its heartbeat says.
        assert f"worker process {worker_pid} of this host is gone" in failed.error.message
        assert [s.status for s in storage.list_steps(lost.id)] == [StepStatus.FAILURE]
        for run in (unstarted, queued):
            done = wait_for(status_of(storage, run.id, *FINISHED), 30, "run done")
            assert done.status is RunStatus.SUCCESS, (
                done, [e.message for e in storage.list_events(run.id)],
                [p.read_text() for p in env.tmp.glob("server-*.log")])
            assert done.worker_id is not None
        assert any(e.kind is EventKind.RUN_WORKER_LOST and "re-queued" in e.message
                   for e in storage.list_events(unstarted.id))
        assert storage.get_run(live.id).status is RunStatus.STARTED
    finally:
        beating.stop()
    # Once its heartbeat stops, the live run is not left STARTED forever either.
    assert wait_for(status_of(storage, live.id, RunStatus.FAILURE), 5, "silent run failed")


def test_a_worker_slow_to_start_is_not_taken_for_hung(env: SimpleNamespace) -> None:
    # Its import outlasts several heartbeat timeouts (0.6 s) but not the start timeout.
    (env.gate / "slow-import").write_text("2.5")
    serve_worker_app(env)
    run = launch(env.storage, "pid_job")
    done = wait_for(status_of(env.storage, run.id, *FINISHED), 30, "run done")
    events = env.storage.list_events(run.id)
    assert done.status is RunStatus.SUCCESS, [e.message for e in events]
    assert not any(e.kind is EventKind.RUN_WORKER_LOST for e in events)


def test_a_worker_that_never_starts_is_killed_and_its_run_queued_again(
    env: SimpleNamespace, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DAGGO_EXECUTION_START_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("DAGGO_EXECUTION_WARM_WORKERS", "0")
    slow = env.gate / "slow-import"
    slow.write_text("60")
    serve_worker_app(env)
    run = launch(env.storage, "pid_job")

    def lost() -> list[str]:
        return [e.message for e in env.storage.list_events(run.id)
                if e.kind is EventKind.RUN_WORKER_LOST]

    (reason,) = wait_for(lost, 20, "the starting worker taken for hung")
    slow.unlink()  # the next worker starts at once
    assert "was hung and was killed" in reason and reason.endswith("re-queued"), reason
    done = wait_for(status_of(env.storage, run.id, *FINISHED), 30, "run done")
    assert done.status is RunStatus.SUCCESS, [e.message for e in env.storage.list_events(run.id)]
    assert done.attempt == 2  # claimed again, by a worker that took it over


# -- the monitor's decisions, on an in-memory storage --------------------------


@frozen
class Out:
    value: int


def op(ctx: Context, inp: NoInput) -> Out:
    return Out(1)


JOBS = {
    "plain": dag.job("plain").add(dag.op("op", op)).build(),
    "retried": dag.job("retried", run_retries=1).add(dag.op("op", op)).build(),
}


def stale(storage: Storage, job: str, status: RunStatus, **fields: Any) -> Run:
    old = utcnow() - dt.timedelta(seconds=60)
    return storage.add_run(Run(job_name=job, status=status, heartbeat_at=old, created_at=old,
                               worker_id="host:1", **fields))


def test_monitor_requeues_unstarted_runs_and_leaves_heartbeating_ones_alone() -> None:
    storage = ephemeral_storage()
    monitor = RunMonitor(storage, JOBS, heartbeat_interval=1, heartbeat_timeout=5)
    unstarted = stale(storage, "plain", RunStatus.STARTING)
    fresh = storage.add_run(Run(job_name="plain", status=RunStatus.STARTED,
                                heartbeat_at=utcnow()))
    canceling = stale(storage, "plain", RunStatus.STARTED, cancel_requested=True)
    settled = {run.id: run.status for run in monitor.check_once()}
    assert settled == {unstarted.id: RunStatus.QUEUED, canceling.id: RunStatus.CANCELED}
    assert storage.get_run(fresh.id).status is RunStatus.STARTED
    assert monitor.check_once() == []


def test_lost_runs_are_retried_up_to_the_jobs_run_retries() -> None:
    storage = ephemeral_storage()
    woken: list[bool] = []
    monitor = RunMonitor(storage, JOBS, heartbeat_interval=1, heartbeat_timeout=5,
                         on_requeue=lambda: woken.append(True))
    lost = stale(storage, "retried", RunStatus.STARTED, params={}, tags={"team": "a"})
    storage.record_steps([StepRecord(run_id=lost.id, step_key="op", status=StepStatus.RUNNING,
                                     started_at=utcnow())], [])
    plain = stale(storage, "plain", RunStatus.STARTED)
    monitor.check_once()
    assert storage.get_run(lost.id).status is RunStatus.FAILURE
    assert storage.list_steps(lost.id)[0].status is StepStatus.FAILURE
    assert storage.get_run(plain.id).status is RunStatus.FAILURE
    (retry,) = storage.list_runs(RunFilter(statuses=(RunStatus.QUEUED,)))
    assert retry.parent_run_id == lost.id and retry.job_name == "retried"
    assert retry.tags == {"team": "a", RETRY_TAG: "1"} and woken == [True]
    # The retry is lost too: no retries left.
    second = stale(storage, "retried", RunStatus.STARTED, tags=dict(retry.tags),
                   parent_run_id=lost.id)
    monitor.check_once()
    assert storage.get_run(second.id).status is RunStatus.FAILURE
    assert storage.count_runs(RunFilter(statuses=(RunStatus.QUEUED,))) == 1  # only the first retry


def slow(ctx: Context, inp: NoInput) -> Out:
    ctx.cancel_event.wait(1.0)
    return Out(2)


def test_in_process_runs_heartbeat_so_the_monitor_leaves_them_alone(
    tmp_path: Path, apps: Callable[..., daggo_core.DaggoApp]
) -> None:
    cfg = daggo_core.default_config()
    cfg.database.sqlite.path = str(tmp_path / "daggo.sqlite")
    cfg.execution.executor = "in_process"
    cfg.execution.heartbeat_interval_seconds = INTERVAL
    cfg.execution.heartbeat_timeout_seconds = 2 * INTERVAL
    app = apps(cfg, dag.job("slow").add(dag.op("slow", slow)).build())
    coordinator = app.start_execution()
    assert app.monitor is not None
    run = app.launch("slow")
    coordinator.dispatch_once()
    while not app.storage.get_run(run.id).is_finished:
        assert app.monitor.check_once() == []
        time.sleep(INTERVAL / 4)
    assert app.storage.get_run(run.id).status is RunStatus.SUCCESS
    app.close()


def test_a_lost_run_settled_twice_gets_one_retry() -> None:
    from daggo_core.execution.run_monitor import settle_lost_run

    storage = ephemeral_storage()
    lost = stale(storage, "retried", RunStatus.STARTED)
    first = settle_lost_run(storage, lost, "worker gone", JOBS)
    # A second process that read the run as active before the first one settled it: its
    # settlement applies to that attempt, which has ended.
    second = settle_lost_run(storage, lost, "worker gone", JOBS)
    assert first[1] is not None and second == (first[0], None)
    retries = [r for r in storage.list_runs() if r.parent_run_id == lost.id]
    assert [r.id for r in retries] == [first[1].id]
    assert [e.message for e in storage.list_events(lost.id)][-3:] == [
        "worker gone", f"re-queued as run {first[1].id} (retry 1 of 1)",
        "run failed: worker gone"]


def test_a_run_executed_in_the_cli_process_heartbeats_so_no_monitor_takes_it_for_lost(
        tmp_path: Path) -> None:
    from daggo_core.config import default_config
    from daggo_core.definitions.definitions import Definitions
    from daggo_core.services.jobs import JobsLaunchRequest
    from daggo_core.testing.services import services_over

    ran = tmp_path / "ran"
    release = threading.Event()

    def slow(ctx: Context, inp: NoInput) -> Out:
        with ran.open("a") as out:
            out.write(f"{ctx.run_id}\n")
        release.wait(30)
        return Out(1)

    defs = Definitions(jobs=[dag.job("slow").add(dag.op("slow", slow)).build()])
    cfg = default_config()
    cfg.execution.heartbeat_interval_seconds = INTERVAL
    storage = ephemeral_storage()
    services = services_over(storage, defs, config=cfg)
    monitor = RunMonitor(storage, defs.jobs_by_name, heartbeat_interval=INTERVAL,
                         heartbeat_timeout=1.5 * INTERVAL)
    results: list[Any] = []
    executing = threading.Thread(target=lambda: results.append(
        services.jobs.execute_here(JobsLaunchRequest(job="slow"))))
    executing.start()
    try:
        wait_for(ran.exists, 10, "the op to start")
        with monitoring(monitor):
            time.sleep(6 * INTERVAL)  # four heartbeat timeouts: the run beats through them
        [run] = storage.list_runs()
        assert (run.status, run.worker_id) == (RunStatus.STARTED, worker_id())
    finally:
        release.set()
        executing.join(30)
    assert results[0].status is RunStatus.SUCCESS
    assert ran.read_text().splitlines() == [run.id]  # executed once, never re-queued
    storage.close()


def test_a_heartbeat_stops_a_worker_whose_run_was_queued_again_claimed_again_or_ended(
) -> None:
    storage = ephemeral_storage()
    stopped: list[tuple[RunStatus, int]] = []
    for status, attempt in ((RunStatus.QUEUED, 1), (RunStatus.FAILURE, 1),
                            (RunStatus.STARTED, 2), (RunStatus.STARTED, 1)):
        run = storage.add_run(Run(job_name="plain", status=status, attempt=attempt,
                                  worker_id="host:2"))
        beat = Heartbeat(storage, run.id, "host:1", attempt=1, interval=1,
                         on_stop=lambda r: stopped.append((r.status, r.attempt))).beat()
        assert beat is not None and beat.status is status
        # A superseded attempt's heartbeat records nothing.
        assert beat.worker_id == ("host:1" if attempt == 1 and status is RunStatus.STARTED
                                  else "host:2")
    # The current attempt of the last STARTED run carries on.
    assert stopped == [(RunStatus.QUEUED, 1), (RunStatus.FAILURE, 1), (RunStatus.STARTED, 2)]
    storage.close()
