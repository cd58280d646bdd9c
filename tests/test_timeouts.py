"""Run and op timeouts end what overruns at the timeout plus `timeout_grace_seconds`."""

from __future__ import annotations

import asyncio
import threading
import time
from types import SimpleNamespace

import pytest
from attrs import frozen

import daggo_core
from daggo_core import Context, NoInput, dag
from daggo_core.execution.local import start_run
from daggo_core.execution.run_worker import RunWorker
from daggo_core.execution.stop_deadlines import TIMEOUT_GIVE_UP_MARGIN
from daggo_core.storage.base import Storage
from daggo_core.storage.records import EventKind, Run, RunStatus, StepStatus
from daggo_core.testing.processes import wait_for

INTERVAL = 0.2
GRACE = 30.0  # the cancellation grace: far above anything a timeout may take
TIMEOUT_GRACE = 0.5
#: Slack for recording the end (the recorder's batches, the final transaction).
RECORDING_SLACK = 1.0


@frozen
class Root:
    value: int


def seconds(start: object, end: object) -> float:
    assert start is not None and end is not None
    return (end - start).total_seconds()  # type: ignore[operator]


def execute_with_grace(job: daggo_core.JobDefinition, storage: Storage) -> Run:
    run, _ = start_run(job, None, storage)
    return RunWorker(job, run, storage, cancel_grace_seconds=GRACE,
                     timeout_grace_seconds=TIMEOUT_GRACE).execute()


# -- in this process, on every backend ---------------------------------------------------


def test_run_timeout_abandons_steps_after_the_timeout_grace_not_the_cancel_grace(
    storage: Storage,
) -> None:
    release = threading.Event()

    def deaf(ctx: Context, inp: NoInput) -> Root:
        release.wait(30)  # ignores its cancel event
        return Root(1)

    job = dag.job("deaf", timeout=0.3).add(dag.op("deaf", deaf)).build()
    final = execute_with_grace(job, storage)
    release.set()
    assert final.status is RunStatus.FAILURE and final.error is not None
    assert (final.error.type, final.error.message) == (
        "RunTimeout", "run exceeded its timeout of 0.3 s")
    [ended] = [e for e in storage.list_events(final.id) if e.kind is EventKind.STEP_CANCELED]
    assert ended.message == "step deaf abandoned: still running 0.5 s after the run timed out"
    # Ended by the timeout's grace: the 30 s cancellation grace played no part.
    assert seconds(final.started_at, final.finished_at) < 0.3 + TIMEOUT_GRACE + RECORDING_SLACK


def test_cancel_after_a_timeout_keeps_the_timeout_deadline(storage: Storage) -> None:
    release = threading.Event()

    def deaf(ctx: Context, inp: NoInput) -> Root:
        release.wait(30)
        return Root(1)

    job = dag.job("deaf", timeout=0.2).add(dag.op("deaf", deaf)).build()
    run, _ = start_run(job, None, storage)
    worker = RunWorker(job, run, storage, cancel_grace_seconds=GRACE,
                       timeout_grace_seconds=TIMEOUT_GRACE)
    holder: dict[str, Run] = {}
    thread = threading.Thread(target=lambda: holder.update(run=worker.execute()))
    thread.start()
    wait_for(lambda: worker.stop.timed_out, 10, "the run to time out")
    worker.cancel()  # its 30 s grace must not push the timeout's deadline back
    thread.join(10)
    release.set()
    assert not thread.is_alive()
    assert holder["run"].status is RunStatus.CANCELED
    [ended] = [e for e in storage.list_events(run.id) if e.kind is EventKind.STEP_CANCELED]
    assert ended.message.endswith("still running 0.5 s after the run timed out")


def test_op_timeout_gives_a_sync_op_the_grace_to_return(storage: Storage) -> None:
    seen: dict[str, float] = {}

    def cleans_up(ctx: Context, inp: NoInput) -> Root:
        ctx.cancel_event.wait(30)
        time.sleep(0.1)  # cleaning up, within the grace
        seen["returned"] = time.monotonic()
        return Root(1)

    job = dag.job("slow").add(dag.op("slow", cleans_up, timeout=0.2)).build()
    final = execute_with_grace(job, storage)
    [step] = storage.list_steps(final.id)
    assert step.status is StepStatus.FAILURE and step.error is not None
    assert (step.error.type, step.error.message) == (
        "StepTimeout", "op 'slow' exceeded its timeout of 0.2 s")
    assert "returned" in seen  # the step ended once the op returned, not before


def test_op_timeout_abandons_an_op_still_running_after_the_grace(storage: Storage) -> None:
    release = threading.Event()

    def deaf(ctx: Context, inp: NoInput) -> Root:
        release.wait(30)
        return Root(1)

    job = dag.job("deaf").add(dag.op("deaf", deaf, timeout=0.2)).build()
    final = execute_with_grace(job, storage)
    release.set()
    [step] = storage.list_steps(final.id)
    assert step.error is not None and step.error.type == "StepTimeout"
    assert step.error.message == ("op 'deaf' exceeded its timeout of 0.2 s; abandoned, still "
                                  "running 0.5 s later")
    assert seconds(step.started_at, step.finished_at) < 0.2 + TIMEOUT_GRACE + RECORDING_SLACK


def test_op_timeout_lets_an_async_op_finish_its_cleanup_before_a_retry(
    storage: Storage,
) -> None:
    order: list[str] = []

    async def slow(ctx: Context, inp: NoInput) -> Root:
        order.append(f"attempt {ctx.attempt}")
        if ctx.attempt > 1:
            return Root(ctx.attempt)
        try:
            await asyncio.sleep(30)
        finally:
            await asyncio.sleep(0.1)  # cleanup that awaits, within the grace
            order.append("cleaned up")
        return Root(0)

    retry = daggo_core.RetryPolicy(max_attempts=2, delay_seconds=0, jitter=0)
    job = dag.job("slow").add(dag.op("slow", slow, timeout=0.2, retry=retry)).build()
    final = execute_with_grace(job, storage)
    assert final.status is RunStatus.SUCCESS
    assert order == ["attempt 1", "cleaned up", "attempt 2"]


# -- real worker processes ---------------------------------------------------------------


@pytest.fixture
def app(worker_app: daggo_core.DaggoApp) -> daggo_core.DaggoApp:
    return worker_app


def run_to_the_end(app: daggo_core.DaggoApp, env: SimpleNamespace, job: str) -> Run:
    assert app.coordinator is not None
    run = app.launch(job)
    app.coordinator.dispatch_once()

    def ended() -> Run | None:
        current = env.storage.get_run(run.id)
        return current if current.is_finished else None

    return wait_for(ended, 30, f"the run of {job} to end")


def test_run_timeout_ends_a_worker_run_within_the_timeout_and_its_grace(
    app: daggo_core.DaggoApp, worker_env: SimpleNamespace,
) -> None:
    final = run_to_the_end(app, worker_env, "run_timeout_job")
    assert final.status is RunStatus.FAILURE and final.error is not None
    assert final.error.type == "RunTimeout"
    steps = {s.step_key: s for s in worker_env.storage.list_steps(final.id)}
    assert steps["ignore_cancel"].status is StepStatus.CANCELED
    assert steps["after"].status is StepStatus.CANCELED and steps["after"].started_at is None
    # Timestamps the worker recorded: 2 s of timeout, 0.5 s of grace, then the run's end.
    assert seconds(final.started_at, final.finished_at) < 2.0 + TIMEOUT_GRACE + RECORDING_SLACK


def test_op_timeout_ends_a_worker_step_within_the_timeout_and_its_grace(
    app: daggo_core.DaggoApp, worker_env: SimpleNamespace,
) -> None:
    final = run_to_the_end(app, worker_env, "op_timeout_job")
    assert final.status is RunStatus.FAILURE
    step = {s.step_key: s for s in worker_env.storage.list_steps(final.id)}["ignore_cancel"]
    assert step.status is StepStatus.FAILURE and step.error is not None
    assert step.error.type == "StepTimeout" and "abandoned" in step.error.message
    assert seconds(step.started_at, step.finished_at) < 2.0 + TIMEOUT_GRACE + RECORDING_SLACK


def test_a_step_blocking_the_worker_past_the_run_timeout_is_ended_by_the_worker(
    app: daggo_core.DaggoApp, worker_env: SimpleNamespace,
) -> None:
    final = run_to_the_end(app, worker_env, "blocking_timeout_job")
    assert final.status is RunStatus.FAILURE and final.error is not None
    assert final.error.type == "RunTimeout" and "worker exited" in final.error.message
    [step] = worker_env.storage.list_steps(final.id)
    assert step.status is StepStatus.CANCELED
    limit = 2.0 + TIMEOUT_GRACE + TIMEOUT_GIVE_UP_MARGIN + RECORDING_SLACK
    assert seconds(final.started_at, final.finished_at) < limit
