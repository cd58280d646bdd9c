"""The Celery executor with real parts: a real broker (Redis and RabbitMQ), a daggo server
publishing runs, and `daggo worker celery` processes executing them, on SQLite and
PostgreSQL. Op bodies append a line to a file: every assertion about what ran, and how
often, reads it."""

from __future__ import annotations

import itertools
import os
import signal
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from celery import Celery
from daggo_celery.celery_app import TASK, make_celery
from daggo_celery.config import CeleryConfig
from daggo_celery.routing import queue_for

from daggo_core.config import load_config
from daggo_core.errors import ConfigError
from daggo_core.plugins import make_plugin_manager
from daggo_core.services.jobs import JobsLaunchRequest
from daggo_core.services.workers import (
    PoolStatus,
    PoolSummary,
    WorkersDrainRequest,
    WorkersGetManyRequest,
    WorkersResumeRequest,
    WorkerStatus,
    WorkerSummary,
)
from daggo_core.storage.records import Run, RunStatus
from daggo_core.testing.processes import wait_for
from tests.conftest import BackendUnderTest

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import Cluster

APP = '''
import os, time
from pathlib import Path
from attrs import frozen
from daggo_core import Context, Definitions, NoInput, dag

@frozen
class Gate:
    gate: str = ""

@frozen
class First:
    run_id: str

@frozen
class AfterFirst:
    first: First

@frozen
class Second:
    run_id: str

def record(ctx: Context, what: str) -> None:
    line = f"{ctx.run_id} {what} {os.getpid()} {time.time():.6f}\\n".encode()
    fd = os.open(os.environ["BODIES"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)

def first(ctx: Context, inp: NoInput) -> First:
    record(ctx, "first")
    gate = Path(os.environ["GATES"]) / (ctx.params.gate or "none")
    while ctx.params.gate and not gate.exists():
        time.sleep(0.05)
    record(ctx, "first-end")
    return First(run_id=ctx.run_id)

def second(ctx: Context, inp: AfterFirst) -> Second:
    record(ctx, "second")
    return Second(run_id=inp.first.run_id)

job = (dag.job("pair", params=Gate, run_retries=1)
       .add(dag.op("first", first), dag.op("second", second)).build())
solo = dag.job("solo", params=Gate, max_concurrent_runs=1).add(dag.op("first", first)).build()
defs = Definitions(jobs=[job, solo])
'''


def launch(cluster: Cluster, job: str = "pair", **params: str) -> str:
    return cluster.services.jobs.launch(JobsLaunchRequest(job=job, params=params)).run.id


def run_of(cluster: Cluster, run_id: str) -> Run:
    return cluster.storage.get_run(run_id)


def wait_finished(cluster: Cluster, run_ids: list[str], timeout: float = 60) -> list[Run]:
    def done() -> list[Run] | None:
        runs = cluster.storage.get_runs(run_ids)
        return runs if all(run.is_finished for run in runs) else None

    try:
        return wait_for(done, timeout, f"runs {run_ids} to finish")
    except AssertionError:
        names = [p for p in ("server", "worker1", "worker2", "worker3")
                 if (cluster.tmp / f"{p}.log").exists()]
        print("\n".join(f"--- {n}\n{cluster.log(n)[-4000:]}" for n in names))
        raise


def bodies(cluster: Cluster) -> Counter[tuple[str, str]]:
    return Counter((line.split()[0], line.split()[1]) for line in cluster.lines())


def worker_pid(run: Run) -> int:
    assert run.worker_id is not None
    return int(run.worker_id.rsplit(":", 1)[1])


def test_runs_complete_on_celery_workers(broker_url: str,
                                         make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster(APP, broker_url)
    cluster.server()
    cluster.worker("--concurrency=2")
    cluster.worker()
    run_ids = [launch(cluster) for _ in range(6)]
    runs = wait_finished(cluster, run_ids)
    assert [run.status for run in runs] == [RunStatus.SUCCESS] * 6
    seen = bodies(cluster)
    for run_id in run_ids:  # each op of each run ran once
        assert seen[(run_id, "first")] == seen[(run_id, "second")] == 1
    # The runs executed in the workers' pool processes, which registered as workers.
    def celery_workers() -> set[str] | None:
        workers = cluster.services.workers.get_many(WorkersGetManyRequest()).workers
        found = {w.id for w in workers if w.executor == "celery"
                 and w.queues == (cluster.env["DAGGO_CELERY_DEFAULT_QUEUE"],)}
        return found if len(found) == 3 else None

    assert {run.worker_id for run in runs} <= wait_for(celery_workers, 10, "3 pool processes")


def test_a_worker_killed_mid_run_is_detected_and_the_run_retried(
        redis_url: str, tmp_path: Path, make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster(APP, redis_url)
    cluster.server()
    cluster.worker()
    run_id = launch(cluster, gate="never")
    wait_for(lambda: bodies(cluster)[(run_id, "first")] == 1, 60, "the run's first op")
    pid = worker_pid(run_of(cluster, run_id))
    os.kill(pid, signal.SIGKILL)
    (lost,) = wait_finished(cluster, [run_id])
    assert lost.status is RunStatus.FAILURE
    assert lost.error is not None and lost.error.type == "WorkerLost"
    retry = _retry_of(cluster, run_id)
    (tmp_path / "never").write_text("open")  # the retry may pass the gate
    (done,) = wait_finished(cluster, [retry.id])
    assert done.status is RunStatus.SUCCESS
    assert worker_pid(done) != pid
    seen = bodies(cluster)
    # The lost attempt began once and never ended; the broker's redelivery of its message
    # (acknowledged late, rejected when the pool process died) executed nothing.
    assert seen[(run_id, "first")] == 1 and seen[(run_id, "first-end")] == 0
    assert seen[(retry.id, "first")] == 1 and seen[(retry.id, "second")] == 1


def _retry_of(cluster: Cluster, run_id: str) -> Run:
    from daggo_core.storage.base import RunFilter

    def found() -> Run | None:
        runs = [run for run in cluster.storage.list_runs(RunFilter(job_name="pair"))
                if run.parent_run_id == run_id]
        return runs[0] if runs else None

    return wait_for(found, 30, f"the retry of run {run_id}")


def publish_again(cluster: Cluster, run: Run, claimer: str) -> None:
    """The message the server published for `run`, published once more (a duplicate)."""
    settings = CeleryConfig(broker_url=cluster.env["DAGGO_CELERY_BROKER_URL"],
                            default_queue=cluster.env["DAGGO_CELERY_DEFAULT_QUEUE"])
    app: Celery = make_celery(settings)
    try:
        app.send_task(TASK, kwargs={"run_id": run.id, "attempt": run.attempt,
                                    "claimer": claimer}, queue=settings.default_queue)
    finally:
        app.close()


def test_a_message_delivered_again_runs_no_step_twice(
        redis_url: str, tmp_path: Path, make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster(APP, redis_url)
    server = cluster.server()
    cluster.worker()
    cluster.worker()
    running = launch(cluster, gate="held")
    wait_for(lambda: bodies(cluster)[(running, "first")] == 1, 60, "the run's first op")
    claimer = f"{os.uname().nodename}:{server.pid}"
    publish_again(cluster, run_of(cluster, running), claimer)  # while it runs
    finished = launch(cluster)
    (done,) = wait_finished(cluster, [finished])
    publish_again(cluster, done, claimer)  # after it ended
    (tmp_path / "held").write_text("open")
    wait_finished(cluster, [running])
    # Both duplicates were consumed (the next run is behind them in the queue) ...
    last = launch(cluster)
    wait_finished(cluster, [last])
    seen = bodies(cluster)
    # ... and executed nothing: every op of every run ran once.
    assert {key: n for key, n in seen.items() if n != 1} == {}
    assert seen[(running, "second")] == seen[(finished, "second")] == 1
    logs = cluster.log("worker1") + cluster.log("worker2")
    assert logs.count("not executed: no longer this message's to execute") == 2


def test_limits_hold_across_workers(storage_backend: BackendUnderTest, redis_url: str,
                                    make_cluster: Callable[..., Cluster]) -> None:
    """`solo` allows one run at a time: with three pool processes free, its runs still
    never overlap (the claim in the database decides, not the broker)."""
    cluster = make_cluster(APP, redis_url)
    cluster.server()
    cluster.worker("--concurrency=2")
    cluster.worker()
    run_ids = [launch(cluster, "solo") for _ in range(4)]
    runs = wait_finished(cluster, run_ids)
    assert {run.status for run in runs} == {RunStatus.SUCCESS}
    spans: dict[str, list[float]] = {}
    for line in cluster.lines():
        run_id, _what, _, at = line.split()
        spans.setdefault(run_id, []).append(float(at))
    ordered = sorted((min(times), max(times)) for times in spans.values())
    assert len(ordered) == 4
    for (_, end), (start, _) in itertools.pairwise(ordered):
        assert start >= end  # each began after the one before it ended


def test_a_broker_that_cannot_be_reached_is_reported_and_the_run_queued_again(
        tmp_path: Path, make_cluster: Callable[..., Cluster]) -> None:
    from daggo_core.testing.processes import free_port

    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    cluster = make_cluster(APP, dead)
    cluster.server()
    run_id = launch(cluster)

    def reported() -> str | None:
        answer = httpx.get(f"http://127.0.0.1:{cluster.port}/healthz")
        problem: str | None = answer.json()["problems"].get("executor")
        return problem if answer.status_code == 503 else None

    events = wait_for(lambda: [e for e in cluster.storage.list_events(run_id)
                               if "could not publish" in e.message], 60, "the publish error")
    assert "Celery queue" in events[0].message
    assert "unreachable" in wait_for(reported, 30, "/healthz to report the broker")
    # No worker heartbeats it: the monitor queues it again after the heartbeat timeout.
    wait_for(lambda: any(e.kind.value == "RUN_WORKER_LOST"
                         for e in cluster.storage.list_events(run_id)), 60, "a re-queue")
    assert run_of(cluster, run_id).attempt >= 1


def test_a_run_goes_to_its_jobs_queue_then_its_tags_then_the_default() -> None:
    settings = CeleryConfig(default_queue="main", job_queues={"nightly": "heavy"},
                            tag_queues={"team=ml": "gpu", "area=eu": "eu"})
    assert queue_for(Run(job_name="nightly", tags={"team": "ml"}), settings) == "heavy"
    assert queue_for(Run(job_name="train", tags={"team": "ml", "area": "eu"}),
                     settings) == "eu"  # the first tag by key: area, then team
    assert queue_for(Run(job_name="train", tags={"team": "ml"}), settings) == "gpu"
    assert queue_for(Run(job_name="train", tags={"team": "web"}), settings) == "main"


def test_bad_routes_are_refused_naming_the_setting(tmp_path: Path) -> None:
    (tmp_path / "daggo.toml").write_text(
        '[execution.celery]\ntag_queues = { "team" = "gpu" }\njob_queues = { a = "" }\n')
    sections = list(make_plugin_manager().config_sections().values())
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "daggo.toml", sections=sections)
    message = str(caught.value)
    assert 'execution.celery.tag_queues' in message and '"key=value"' in message
    assert "execution.celery.job_queues" in message and "expected a queue name" in message


def node_pool(cluster: Cluster, node: str) -> PoolSummary:
    """The pool of Celery node `node` (`worker1@<host>`), once it registered."""
    def found() -> PoolSummary | None:
        pools = cluster.services.workers.get_pools().pools
        return next((p for p in pools if p.name.startswith(f"{node}@")), None)

    return wait_for(found, 30, f"the pool of node {node}")


def node_workers(cluster: Cluster, pool: str) -> list[WorkerSummary]:
    workers = cluster.services.workers.get_many(WorkersGetManyRequest()).workers
    return [w for w in workers if w.pool == pool]


def test_a_drained_node_finishes_its_run_takes_no_more_and_resumes(
        broker_url: str, tmp_path: Path, make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster(APP, broker_url)
    cluster.server()
    cluster.worker("--concurrency=2")
    pool = node_pool(cluster, "worker1")
    assert (pool.executor, pool.queues) == ("celery",
                                            (cluster.env["DAGGO_CELERY_DEFAULT_QUEUE"],))
    wait_for(lambda: len(node_workers(cluster, pool.name)) == 2, 30, "its two processes")
    held = launch(cluster, gate="held")
    wait_for(lambda: bodies(cluster)[(held, "first")] == 1, 60, "the run's first op")
    workers = cluster.services.workers
    assert workers.drain(WorkersDrainRequest(pool=pool.name)).pool.state == PoolStatus.DRAINING
    wait_for(lambda: node_pool(cluster, "worker1").drain_accepted_at, 30, "the drain accepted")
    waiting = launch(cluster)  # published, but nothing consumes its queue
    (tmp_path / "held").write_text("open")
    wait_finished(cluster, [held])
    assert wait_for(lambda: node_pool(cluster, "worker1").state == PoolStatus.DRAINED
                    or None, 30, "the pool drained")
    shown = {w.state for w in node_workers(cluster, pool.name)}
    assert shown == {WorkerStatus.DRAINED}
    assert run_of(cluster, waiting).status is RunStatus.STARTING
    assert bodies(cluster)[(waiting, "first")] == 0
    workers.resume(WorkersResumeRequest(pool=pool.name))
    (done,) = wait_finished(cluster, [waiting])
    assert done.status is RunStatus.SUCCESS
    assert node_pool(cluster, "worker1").state == PoolStatus.ACTIVE
    seen = bodies(cluster)
    assert {key: n for key, n in seen.items() if n != 1} == {}
    assert "stopped consuming its queues: drained" in cluster.log("worker1")


def test_a_drained_pool_process_exits_and_another_takes_its_place(
        redis_url: str, make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster(APP, redis_url)
    cluster.server()
    cluster.worker("--concurrency=2")
    pool = node_pool(cluster, "worker1")
    first = wait_for(lambda: node_workers(cluster, pool.name) if len(
        node_workers(cluster, pool.name)) == 2 else None, 30, "its two processes")
    drained = first[0]
    cluster.services.workers.drain(WorkersDrainRequest(worker=drained.id))
    wait_for(lambda: not _alive(drained.pid), 30, "the drained process to exit")

    def replaced() -> set[int] | None:
        pids = {w.pid for w in node_workers(cluster, pool.name)}
        return pids if len(pids) == 2 and drained.pid not in pids else None

    pids = wait_for(replaced, 30, "a fresh process in its place")
    assert first[1].pid in pids
    # The node still executes runs on both processes, and each step once.
    run_ids = [launch(cluster) for _ in range(4)]
    runs = wait_finished(cluster, run_ids)
    assert {run.status for run in runs} == {RunStatus.SUCCESS}
    assert {worker_pid(run) for run in runs} <= pids
    assert {key: n for key, n in bodies(cluster).items() if n != 1} == {}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_published_run_that_ends_frees_its_slot_without_being_asked(
        storage_backend: BackendUnderTest) -> None:
    """The executor reads its published runs back on its own: the coordinator is woken
    once one ended, whether or not it asked for the free slots meanwhile."""
    import threading

    from daggo_celery.executor import CeleryExecutor

    from daggo_core.config import default_config
    from daggo_core.definitions.definitions import Definitions
    from daggo_core.extensions import ExecutorContext
    from daggo_core.storage.records import utcnow

    config = default_config()
    config.execution.sections["celery"] = CeleryConfig(broker_url="memory://")
    storage = storage_backend.open()
    freed = threading.Event()
    executor = CeleryExecutor(ExecutorContext(
        config=config, storage=storage, definitions=Definitions(), worker_command=None,
        on_slot_free=freed.set))
    try:
        run = Run(job_name="pair", status=RunStatus.STARTING, attempt=1,
                  worker_id=executor.claimer, heartbeat_at=utcnow())
        storage.add_run(run, [])
        executor.launch(run)
        assert executor.active_run_ids() == {run.id}
        storage.set_run_status(run.id, RunStatus.FAILURE)
        assert freed.wait(5), "the coordinator was not woken"
        assert executor.active_run_ids() == set()
    finally:
        executor.close()
