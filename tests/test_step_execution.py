"""Step execution: parallelism, retries, timeouts, output capture, cancellation, re-execution."""

import asyncio
import logging
import threading
import time

import pytest
from attrs import frozen

from daggo_core import Context, NoInput, RetryPolicy, dag, execute
from daggo_core.execution.local import start_run
from daggo_core.execution.run_worker import RunWorker
from daggo_core.storage.records import (
    REEXECUTE_TAG,
    ErrorSource,
    EventKind,
    Run,
    RunStatus,
    StepStatus,
)
from daggo_core.testing.processes import wait_for


@frozen
class Root:
    value: int


@frozen
class LeafIn:
    root: Root


@frozen
class Leaf:
    value: int


@frozen
class SumIn:
    leaves: list[Leaf]


@frozen
class Total:
    value: int


def root(ctx: Context, inp: NoInput) -> Root:
    return Root(1)


def total(ctx: Context, inp: SumIn) -> Total:
    return Total(sum(leaf.value for leaf in inp.leaves))


def fan(leaf_fn, n=4, **job_kwargs):
    leaves = [dag.op(f"leaf_{i}", leaf_fn) for i in range(n)]
    return dag.job("fan", **job_kwargs).add(dag.op("root", root), *leaves,
                                             dag.op("total", total)).build()


def logs(result, step=None):
    return [(e.step_key, e.level, e.message) for e in result.events()
            if e.kind is EventKind.LOG and (step is None or e.step_key == step)]


def test_independent_sync_steps_run_in_parallel_threads(storage):
    barrier = threading.Barrier(4, timeout=5)
    names = set()

    def leaf(ctx: Context, inp: LeafIn) -> Leaf:
        barrier.wait()  # deadlocks (BrokenBarrierError) unless all 4 run at once
        names.add(threading.current_thread().name)
        return Leaf(inp.root.value)

    result = execute(fan(leaf), storage=storage)
    assert result.success, result.steps
    assert result.output_for("total") == Total(4)
    assert len(names) == 4


def test_async_steps_run_concurrently_on_the_loop(storage):
    started: list[str] = []
    all_started: list[asyncio.Event] = []

    async def leaf(ctx: Context, inp: LeafIn) -> Leaf:
        if not all_started:
            all_started.append(asyncio.Event())  # on the run's own loop
        started.append(ctx.op_name)
        if len(started) == 6:
            all_started[0].set()
        await asyncio.wait_for(all_started[0].wait(), 10)  # times out unless all 6 run at once
        return Leaf(2)

    result = execute(fan(leaf, n=6), storage=storage)
    assert result.success, result.steps
    assert result.output_for("total") == Total(12)
    assert sorted(started) == [f"leaf_{i}" for i in range(6)]


def test_max_concurrent_steps_limits_parallelism(storage):
    active = []
    peak = []
    lock = threading.Lock()

    def leaf(ctx: Context, inp: LeafIn) -> Leaf:
        with lock:
            active.append(1)
            peak.append(len(active))
        time.sleep(0.05)
        with lock:
            active.pop()
        return Leaf(1)

    assert execute(fan(leaf, n=6, max_concurrent_steps=2), storage=storage).success
    assert max(peak) == 2


def test_print_and_logging_from_parallel_steps_land_in_their_own_step(storage):
    barrier = threading.Barrier(3, timeout=5)
    user_log = logging.getLogger("user.code")
    user_log.setLevel(logging.INFO)

    def leaf(ctx: Context, inp: LeafIn) -> Leaf:
        barrier.wait()
        for i in range(20):
            print(f"{ctx.step_key} line {i}")
        user_log.warning("warned from %s", ctx.step_key)
        return Leaf(1)

    result = execute(fan(leaf, n=3), storage=storage)
    assert result.success
    for i in range(3):
        key = f"leaf_{i}"
        lines = logs(result, key)
        printed = [m for _, lvl, m in lines if lvl == "STDOUT"]
        assert printed == [f"{key} line {n}" for n in range(20)]
        assert (key, "WARNING", f"warned from {key}") in lines


def test_async_step_output_is_captured_too(storage):
    async def leaf(ctx: Context, inp: LeafIn) -> Leaf:
        print("partial", end="")
        await asyncio.sleep(0)
        print(" line")
        return Leaf(1)

    result = execute(fan(leaf, n=1), storage=storage)
    assert ("leaf_0", "STDOUT", "partial line") in logs(result)


def test_retry_policy_retries_until_success_with_events(storage):
    calls = []

    def flaky(ctx: Context, inp: NoInput) -> Root:
        calls.append(ctx.attempt)
        if ctx.attempt < 3:
            raise ConnectionError(f"try {ctx.attempt}")
        return Root(ctx.attempt)

    policy = RetryPolicy(max_attempts=3, delay_seconds=0.01, jitter=0)
    result = execute(dag.job("flaky").add(dag.op("flaky", flaky, retry=policy)).build(),
        storage=storage)
    assert result.success and calls == [1, 2, 3]
    assert result.steps["flaky"].attempt == 3
    retries = [e for e in result.events() if e.kind is EventKind.STEP_RETRY]
    assert len(retries) == 2 and "try 1" in retries[0].message
    assert retries[0].data["delay_s"] == pytest.approx(0.01)


def test_retry_policy_only_retries_listed_errors_and_gives_up(storage):
    calls = []

    def bad(ctx: Context, inp: NoInput) -> Root:
        calls.append(1)
        raise ValueError("not retryable")

    policy = RetryPolicy(max_attempts=5, delay_seconds=0, retry_on=(ConnectionError,))
    result = execute(dag.job("bad").add(dag.op("bad", bad, retry=policy)).build(), storage=storage)
    assert not result.success and calls == [1]

    def always(ctx: Context, inp: NoInput) -> Root:
        calls.append(2)
        raise ConnectionError("down")

    policy = RetryPolicy(max_attempts=2, delay_seconds=0)
    result = execute(dag.job("always").add(dag.op("always", always, retry=policy)).build(),
        storage=storage)
    assert not result.success and calls.count(2) == 2
    assert result.steps["always"].error.type == "ConnectionError"


def test_retry_backoff_grows_and_is_capped():
    policy = RetryPolicy(delay_seconds=1, backoff=3, max_delay_seconds=5, jitter=0)
    assert [policy.delay_for(n) for n in (1, 2, 3)] == [1, 3, 5]
    jittered = RetryPolicy(delay_seconds=10, jitter=0.5)
    assert all(5 <= jittered.delay_for(1) <= 15 for _ in range(50))


def test_op_timeout_fails_a_sync_step_and_signals_it(storage):
    seen = {}

    def slow(ctx: Context, inp: NoInput) -> Root:
        seen["canceled"] = ctx.cancel_event.wait(5)
        return Root(0)

    result = execute(dag.job("slow").add(dag.op("slow", slow, timeout=0.2)).build(),
        storage=storage)
    assert result.steps["slow"].status is StepStatus.FAILURE
    assert result.steps["slow"].error.type == "StepTimeout"
    assert result.steps["slow"].error.source is ErrorSource.USER
    assert "0.2 s" in result.steps["slow"].error.message
    wait_for(lambda: "canceled" in seen, 10, "the op to return")
    assert seen["canceled"] is True  # its cancel event was set, not its 5 s wait ended


def test_op_timeout_cancels_an_async_step(storage):
    cancelled = []

    async def slow(ctx: Context, inp: NoInput) -> Root:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise
        return Root(0)

    result = execute(dag.job("slow").add(dag.op("slow", slow, timeout=0.1)).build(),
        storage=storage)
    assert result.steps["slow"].error.type == "StepTimeout"
    assert cancelled == [True]


def test_run_timeout_fails_the_run_and_cancels_what_runs(storage):
    async def slow(ctx: Context, inp: LeafIn) -> Leaf:
        await asyncio.sleep(30)
        return Leaf(0)

    result = execute(fan(slow, n=2, timeout=0.3), storage=storage)
    assert result.run.status is RunStatus.FAILURE
    assert result.run.error.type == "RunTimeout"
    assert result.steps["leaf_0"].status is StepStatus.CANCELED
    assert result.steps["total"].status is StepStatus.CANCELED


def run_in_thread(job, storage, **worker_options):
    run, worker = start_run(job, None, storage)
    if worker_options:
        worker = RunWorker(job, run, storage, **worker_options)
    holder = {}
    thread = threading.Thread(target=lambda: holder.update(run=worker.execute()))
    thread.start()
    return storage, run, worker, thread, holder


def cancel_once_started(job, storage, **worker_options):
    """Run `job` on a thread, cancel it once its first step is stored, return the result."""
    _, run, worker, thread, holder = run_in_thread(job, storage, **worker_options)
    while not storage.list_steps(run.id):
        time.sleep(0.01)
    worker.cancel()
    thread.join(5)
    assert not thread.is_alive()
    return holder["run"], storage.list_steps(run.id)


async def swallow_cancellation(ctx: Context, inp: NoInput) -> Root:
    while True:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            continue


def test_cancel_stops_async_steps_tells_sync_steps_and_starts_nothing_new(storage):
    sync_saw_cancel = threading.Event()

    async def slow_async(ctx: Context, inp: LeafIn) -> Leaf:
        await asyncio.sleep(30)
        return Leaf(0)

    def slow_sync(ctx: Context, inp: LeafIn) -> Leaf:
        if ctx.cancel_event.wait(10):
            sync_saw_cancel.set()
        return Leaf(1)

    job = dag.job("c").add(dag.op("root", root), dag.op("a", slow_async),
                           dag.op("s", slow_sync), dag.op("total", total)).build()
    storage, run, worker, thread, holder = run_in_thread(job, storage)
    deadline = time.monotonic() + 5
    while len([s for s in storage.list_steps(run.id) if s.status is StepStatus.RUNNING]) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    worker.cancel()
    thread.join(5)
    assert not thread.is_alive()
    final = holder["run"]
    assert final.status is RunStatus.CANCELED
    assert sync_saw_cancel.is_set()
    steps = {s.step_key: s.status for s in storage.list_steps(run.id)}
    assert steps == {"root": StepStatus.SUCCESS, "a": StepStatus.CANCELED,
                     "s": StepStatus.CANCELED, "total": StepStatus.CANCELED}
    kinds = [e.kind for e in storage.list_events(run.id)]
    assert EventKind.RUN_CANCELED in kinds and EventKind.RUN_SUCCESS not in kinds


def test_sync_step_ignoring_cancel_is_abandoned_after_the_grace(storage):
    release = threading.Event()

    def stubborn(ctx: Context, inp: NoInput) -> Root:
        release.wait(10)
        return Root(1)

    job = dag.job("stubborn").add(dag.op("stubborn", stubborn)).build()
    final, steps = cancel_once_started(job, storage, cancel_grace_seconds=0.2)
    release.set()
    assert final.status is RunStatus.CANCELED
    assert steps[0].status is StepStatus.CANCELED
    [ended] = [e for e in storage.list_events(final.id) if e.kind is EventKind.STEP_CANCELED]
    assert ended.message.startswith("step stubborn abandoned: still running 0.2 s after the")


def test_canceled_run_never_records_success_for_a_step_finishing_late(storage):
    def quick_after_cancel(ctx: Context, inp: NoInput) -> Root:
        ctx.cancel_event.wait(5)
        return Root(1)

    job = dag.job("late").add(dag.op("late", quick_after_cancel)).build()
    storage, run, worker, thread, holder = run_in_thread(job, storage)
    while not storage.list_steps(run.id):
        time.sleep(0.01)
    worker.cancel()
    thread.join(5)
    assert storage.list_steps(run.id)[0].status is StepStatus.CANCELED
    assert holder["run"].status is RunStatus.CANCELED


def test_worker_does_not_start_a_run_that_was_canceled_before_it_started(storage):
    job = dag.job("one").add(dag.op("root", root)).build()
    run = storage.add_run(Run(job_name="one"))
    storage.request_cancel(run.id)
    final = RunWorker(job, storage.get_run(run.id), storage).execute()
    assert final.status is RunStatus.CANCELED
    assert storage.list_steps(run.id) == []


def reexecute(storage, job, parent, mode):
    run = storage.add_run(Run(job_name=job.name, parent_run_id=parent.id,
                              status=RunStatus.STARTING, tags={REEXECUTE_TAG: mode}))
    return RunWorker(job, run, storage).execute(), run


def test_reexecution_from_failure_reuses_successful_outputs(storage):
    calls = []
    broken = {"yes": True}

    def leaf(ctx: Context, inp: LeafIn) -> Leaf:
        calls.append(ctx.step_key)
        if ctx.step_key == "leaf_1" and broken["yes"]:
            raise RuntimeError("flaky")
        return Leaf(inp.root.value + 1)

    job = fan(leaf, n=3)
    first = execute(job, storage=storage)
    assert not first.success
    broken["yes"] = False
    calls.clear()
    final, run = reexecute(storage, job, first.run, "failure")
    assert final.status is RunStatus.SUCCESS and final.parent_run_id == first.run_id
    assert sorted(calls) == ["leaf_1"]
    steps = {s.step_key: s for s in storage.list_steps(run.id)}
    assert steps["total"].output == {"value": 6}
    assert steps["root"].status is StepStatus.SUCCESS and steps["root"].started_at is None
    reused = [e.step_key for e in storage.list_events(run.id)
              if e.kind is EventKind.STEP_OUTPUT_REUSED]
    assert sorted(reused) == ["leaf_0", "leaf_2", "root"]


def test_reexecution_from_a_step_runs_it_and_its_downstream_only(storage):
    calls = []

    def leaf(ctx: Context, inp: LeafIn) -> Leaf:
        calls.append(ctx.step_key)
        return Leaf(1)

    job = fan(leaf, n=3)
    first = execute(job, storage=storage)
    calls.clear()
    final, run = reexecute(storage, job, first.run, "step:leaf_2")
    assert final.status is RunStatus.SUCCESS
    assert calls == ["leaf_2"]
    assert {s.step_key for s in storage.list_steps(run.id)} == {
        "root", "leaf_0", "leaf_1", "leaf_2", "total"}


def test_reexecution_from_an_unknown_step_fails_the_run_clearly(storage):
    job = fan(lambda_leaf, n=1)
    first = execute(job, storage=storage)
    final, _ = reexecute(storage, job, first.run, "step:nope")
    assert final.status is RunStatus.FAILURE
    assert "has no step 'nope'" in final.error.message


def lambda_leaf(ctx: Context, inp: LeafIn) -> Leaf:
    return Leaf(1)


def test_reexecute_run_service_queues_a_linked_run_and_checks_the_plan(storage):
    from daggo_core import Definitions
    from daggo_core.errors import DaggoError
    from daggo_core.services.runs import RunsReexecuteRequest, RunTrigger
    from daggo_core.testing.services import services_over
    from daggo_core.testing.storage_contract import claim_oldest

    job = fan(lambda_leaf, n=2)
    first = execute(job, storage=storage, tags={"team": "data"})
    runs = services_over(storage, Definitions(jobs=[job])).runs
    queued = runs.reexecute(RunsReexecuteRequest(run_id=first.run_id, from_step="leaf_1")).run
    assert queued.status is RunStatus.QUEUED and queued.parent_run_id == first.run_id
    assert queued.tags == {"team": "data", REEXECUTE_TAG: "step:leaf_1"}
    assert queued.trigger is RunTrigger.REEXECUTION
    with pytest.raises(DaggoError, match="no failed steps"):
        runs.reexecute(RunsReexecuteRequest(run_id=first.run_id))
    with pytest.raises(DaggoError, match="only finished runs"):
        services_over(storage).runs.reexecute(RunsReexecuteRequest(run_id=queued.id))
    (claimed,) = claim_oldest(storage, 1)
    final = RunWorker(job, claimed, storage).execute()
    assert final.status is RunStatus.SUCCESS


# -- robustness: ops that misbehave never hold or corrupt the run -----------------------


def test_async_op_swallowing_cancellation_is_left_behind(storage):
    job = dag.job("stubborn_async").add(dag.op("stubborn", swallow_cancellation)).build()
    final, steps = cancel_once_started(job, storage, cancel_grace_seconds=0.2)
    assert final.status is RunStatus.CANCELED
    assert steps[0].status is StepStatus.CANCELED
    [ended] = [e for e in storage.list_events(final.id) if e.kind is EventKind.STEP_CANCELED]
    assert ended.message.startswith("step stubborn abandoned: still running 0.2 s after the")


def test_run_timeout_is_not_held_by_an_op_swallowing_cancellation(storage):
    job = dag.job("stubborn_timeout", timeout=0.2).add(
        dag.op("stubborn", swallow_cancellation)).build()
    run, _ = start_run(job, None, storage)
    final = RunWorker(job, run, storage, timeout_grace_seconds=0.2).execute()
    assert final.status is RunStatus.FAILURE and final.error.type == "RunTimeout"
    # The op swallows every cancellation: its step was given up on, not waited for.
    [ended] = [e for e in storage.list_events(run.id) if e.kind is EventKind.STEP_CANCELED]
    assert ended.message == "step stubborn abandoned: still running 0.2 s after the run timed out"


def test_op_raising_cancelled_error_itself_fails_the_run(storage):
    async def cancelled_inside(ctx: Context, inp: NoInput) -> Root:
        raise asyncio.CancelledError("a library gave up")

    result = execute(dag.job("ci").add(dag.op("ci", cancelled_inside)).build(),
                     storage=storage)
    assert result.run.status is RunStatus.FAILURE
    assert result.steps["ci"].status is StepStatus.FAILURE
    assert result.steps["ci"].error.type == "CancelledError"


@frozen
class Picky:
    root: Root = None

    def __attrs_post_init__(self):
        raise ValueError("input rejected")


def picky(ctx: Context, inp: Picky) -> Leaf:
    return Leaf(1)


def test_errors_building_an_input_fail_the_run_instead_of_leaving_it_started(storage):
    result = execute(dag.job("picky").add(dag.op("root", root), dag.op("picky", picky)).build(),
                     storage=storage)
    assert result.run.status is RunStatus.FAILURE
    assert "input rejected" in result.run.error.message
    assert storage.get_run(result.run_id).status is RunStatus.FAILURE


def test_sys_exit_in_a_sync_op_fails_its_step(storage):
    def exits(ctx: Context, inp: NoInput) -> Root:
        raise SystemExit(3)

    result = execute(dag.job("exits").add(dag.op("exits", exits)).build(), storage=storage)
    assert result.run.status is RunStatus.FAILURE
    assert result.steps["exits"].error.type == "SystemExit"


def test_a_failing_event_listener_does_not_stop_the_run(storage):
    from daggo_core.execution.event_dispatch import EventDispatcher
    from daggo_core.plugins import RunEventListener

    def explode(run, event):
        raise RuntimeError("listener broke")

    dispatcher = EventDispatcher(storage, [RunEventListener("broken", explode)])
    storage.add_event_listener(dispatcher.publish)
    job = dag.job("cb").add(dag.op("root", root)).build()
    run, _ = start_run(job, None, storage)
    final = RunWorker(job, run, storage).execute()
    dispatcher.close()
    assert final.status is RunStatus.SUCCESS


def test_a_run_is_executed_by_one_worker_only(storage):
    calls = []

    def counted(ctx: Context, inp: NoInput) -> Root:
        calls.append(ctx.run_id)
        return Root(1)

    job = dag.job("once").add(dag.op("counted", counted)).build()
    run, _ = start_run(job, None, storage)
    first = RunWorker(job, run, storage).execute()
    second = RunWorker(job, run, storage).execute()
    assert first.status is RunStatus.SUCCESS and second.status is RunStatus.SUCCESS
    assert calls == [run.id]
    queued = storage.add_run(Run(job_name="once"))
    assert RunWorker(job, queued, storage).execute().status is RunStatus.QUEUED
    assert calls == [run.id]


def test_a_timed_out_sync_op_does_not_block_later_steps(storage):
    release, returned = threading.Event(), threading.Event()
    quick_saw: list[bool] = []

    def hangs(ctx: Context, inp: LeafIn) -> Leaf:
        release.wait(10)
        returned.set()
        return Leaf(0)

    def quick(ctx: Context, inp: LeafIn) -> Total:
        quick_saw.append(returned.is_set())
        return Total(1)

    job = dag.job("zombie", max_concurrent_steps=1).add(
        dag.op("root", root), dag.op("hangs", hangs, timeout=0.2), dag.op("quick", quick)
    ).build()
    result = execute(job, storage=storage)
    release.set()
    assert result.steps["hangs"].error.type == "StepTimeout"
    assert result.steps["quick"].status is StepStatus.SUCCESS
    assert quick_saw == [False]  # it ran while the timed-out op still held its thread


def test_timed_out_sync_op_sees_its_cancel_event(storage):
    saw = threading.Event()

    def slow(ctx: Context, inp: NoInput) -> Root:
        if ctx.cancel_event.wait(5):
            saw.set()
        return Root(0)

    execute(dag.job("slow2").add(dag.op("slow", slow, timeout=0.1)).build(), storage=storage)
    assert saw.wait(2)


def test_capture_leaves_a_stdout_redirect_made_during_a_run_alone(storage):
    import contextlib
    import io
    import sys

    before = sys.stdout
    buffer = io.StringIO()

    def redirects(ctx: Context, inp: NoInput) -> Root:
        print("captured")
        return Root(1)

    with contextlib.redirect_stdout(buffer):
        result = execute(dag.job("rd").add(dag.op("rd", redirects)).build(), storage=storage)
    assert sys.stdout is before
    assert ("rd", "STDOUT", "captured") in logs(result)
    assert "captured" in buffer.getvalue()


def test_retry_waits_its_backoff_between_attempts(storage):
    times = []

    def flaky(ctx: Context, inp: NoInput) -> Root:
        times.append(time.monotonic())
        if ctx.attempt < 3:
            raise ConnectionError("down")
        return Root(1)

    policy = RetryPolicy(max_attempts=3, delay_seconds=0.2, backoff=2, jitter=0)
    result = execute(dag.job("backoff").add(dag.op("flaky", flaky, retry=policy)).build(),
                     storage=storage)
    assert result.success
    assert times[1] - times[0] >= 0.2 and times[2] - times[1] >= 0.4


def test_two_runs_in_parallel_threads_capture_their_own_output(storage):
    import sys

    before = sys.stdout
    gate = threading.Barrier(2, timeout=5)

    def talk(ctx: Context, inp: NoInput) -> Root:
        gate.wait()
        print(f"from {ctx.job_name}")
        return Root(1)

    jobs = [dag.job(name).add(dag.op("talk", talk)).build() for name in ("left", "right")]
    results = {}
    threads = [threading.Thread(target=lambda j=j: results.update({j.name: execute(
        j, storage=storage)})) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sys.stdout is before
    for name in ("left", "right"):
        assert logs(results[name]) == [("talk", "STDOUT", f"from {name}")]
