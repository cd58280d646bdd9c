"""The Celery worker side: `daggo worker celery` and the task that executes a run.

The command loads the app (config, definitions, plugins) once, in the worker's main
process; Celery then forks its pool's processes, and each one opens storage of its own
(a connection must not cross a fork), keeps a row in daggo's worker registry (executor
"celery", IDLE or RUNNING its run) and executes the runs it is handed, one at a time,
with `ClaimedRun`: only a run still STARTING, in the attempt the message names and
recorded to the process that published it, executes, so a message delivered twice never
runs a step twice. A pool process that dies mid-run stops heartbeating the run; the
server's run monitor then fails it, or queues a retry, per the job's `run_retries`.

The worker is a pool in the registry, named by its Celery node name: its main process
keeps the pool's row and stops consuming its queues while an admin drains it (the runs
in hand finish), consuming again once resumed. A pool process drained on its own takes
no more runs and exits once idle; Celery starts a fresh one in its place, as the
subprocess executor does with a drained warm worker. With the solo pool, the one process
is the pool: draining either stops the consuming.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

from attrs import frozen
from celery import Celery, bootsteps
from celery.exceptions import Reject
from celery.signals import celeryd_after_setup, worker_process_init, worker_process_shutdown
from celery.worker import state as celery_state

from daggo_celery.celery_app import TASK, make_celery
from daggo_celery.config import CeleryConfig
from daggo_core.config import Config
from daggo_core.definitions.definitions import Definitions
from daggo_core.errors import DaggoError
from daggo_core.execution.claimed_run import ClaimedRun
from daggo_core.execution.event_dispatch import open_listened_storage
from daggo_core.execution.worker_registry import DrainOrders, WorkerRegistry
from daggo_core.plugins import Hooks
from daggo_core.storage.base import Storage
from daggo_core.storage.records import WorkerState

__all__ = ["WorkerApp", "execute_run", "start_worker"]

logger = logging.getLogger("daggo.worker.celery")

#: Seconds a drain waits for the consumer's loop to stop (or restart) consuming.
CONSUMER_WAIT = 10.0


@frozen(kw_only=True)
class WorkerApp:
    """What every pool process of this worker executes runs with."""

    config: Config
    definitions: Definitions
    hooks: Hooks
    queues: tuple[str, ...]


def _registry(app: WorkerApp, storage: Storage, pool: str, *, saves_pool: bool,
              active_runs: Callable[[], int] | None = None) -> WorkerRegistry:
    return WorkerRegistry(storage, executor="celery", pool=pool, saves_pool=saves_pool,
                          queues=app.queues, version=app.config.deploy.effective_version,
                          heartbeat_interval=app.config.execution.heartbeat_interval_seconds,
                          active_runs=active_runs)


class _Node:
    """The worker's main process: its pool's row, and its consumer, which consumes the
    queues unless the pool (or, with the solo pool, its one process) is drained."""

    def __init__(self, app: WorkerApp, name: str, *, solo: bool) -> None:
        self.app = app
        self.name = name
        self.solo = solo
        self._stack = contextlib.ExitStack()
        self.storage: Storage = self._stack.enter_context(
            open_listened_storage(app.config, app.hooks))
        self.registry = _registry(app, self.storage, name, saves_pool=True,
                                  active_runs=lambda: len(celery_state.active_requests))
        self.registry.on_drain(self._obey)
        self._lock = threading.Lock()
        self._consumer: Any = None
        self._consuming = True  # what the consumer does now
        self._wanted = True  # what the drain orders want of it
        self._applied = threading.Condition(self._lock)

    def attach(self, consumer: Any) -> None:
        """The consumer started (or restarted, consuming every queue again)."""
        with self._lock:
            self._consumer, self._consuming = consumer, True
        consumer.call_soon(self._apply)

    def detach(self) -> None:
        with self._lock:
            self._consumer = None
            self._applied.notify_all()

    def close(self) -> None:
        self.registry.close()
        with contextlib.suppress(DaggoError):  # else pruned once silent
            self.storage.remove_pool(self.name)
        self._stack.close()

    def _obey(self, orders: DrainOrders) -> None:
        """A drain listener: stop consuming while drained, consume again once resumed;
        returns once the consumer did (or no consumer runs)."""
        wanted = not (orders.pool or (self.solo and os.getpid() in orders.pids))
        with self._lock:
            self._wanted = wanted
            consumer = self._consumer
            if consumer is None or self._consuming == wanted:
                return
        consumer.call_soon(self._apply)
        with self._lock:
            if not self._applied.wait_for(
                    lambda: self._consumer is None or self._consuming == self._wanted,
                    timeout=CONSUMER_WAIT):
                raise DaggoError(f"worker {self.name} did not {'resume' if wanted else 'stop'} "
                                 f"consuming within {CONSUMER_WAIT:.0f} s")

    def _apply(self) -> None:
        """On the consumer's loop: consume the queues, or not, as the orders want."""
        with self._lock:
            consumer, wanted = self._consumer, self._wanted
            if consumer is None or self._consuming == wanted:
                return
            for queue in self.app.queues:
                if wanted:
                    consumer.add_task_queue(queue)
                else:
                    consumer.cancel_task_queue(queue)
            self._consuming = wanted
            self._applied.notify_all()
        logger.info("worker %s %s", self.name,
                    "consumes its queues again: resumed" if wanted
                    else "stopped consuming its queues: drained")


class _DrainStep(bootsteps.StartStopStep):  # type: ignore[misc]
    """Hands the consumer to the node once it consumes its queues."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def start(self, parent: Any) -> None:
        if _node is not None:
            _node.attach(parent)

    def stop(self, parent: Any) -> None:
        if _node is not None:
            _node.detach()


class _PoolProcess:
    """A pool process's storage and registry row, from its start to its end.

    With `registry` (the solo pool: the node's), the row is kept in the node's registry;
    otherwise in one of the process's own, which retires the process when it alone is
    drained.
    """

    def __init__(self, app: WorkerApp, pool: str, registry: WorkerRegistry | None) -> None:
        self.app = app
        self._stack = contextlib.ExitStack()
        self.storage: Storage = self._stack.enter_context(
            open_listened_storage(app.config, app.hooks))
        self.pid = os.getpid()
        self._own = registry is None
        self.registry = registry or _registry(app, self.storage, pool, saves_pool=False)
        self._lock = threading.Lock()
        self._running = False
        self._retiring = False
        self.registry.update(self.pid, WorkerState.IDLE)
        self.registry.flush()
        self._stopped = threading.Event()
        self._flusher: threading.Thread | None = None
        if self._own:
            self.registry.on_drain(self._obey)
            self._flusher = threading.Thread(target=self._flush_loop, daemon=True,
                                             name="daggo-celery-registry")
            self._flusher.start()

    def execute(self, run_id: str, attempt: int, claimer: str) -> str:
        with self._lock:
            if self._retiring:  # back to the broker: another process takes it
                raise Reject("this pool process is drained", requeue=True)
            self._running = True
        try:
            return self._execute(run_id, attempt, claimer)
        finally:
            with self._lock:
                self._running = False

    def _execute(self, run_id: str, attempt: int, claimer: str) -> str:
        app = self.app
        claimed = ClaimedRun.take(run_id, config=app.config, storage=self.storage,
                                  definitions=app.definitions, handed_to=claimer,
                                  attempt=attempt)
        if claimed is None:
            return "not executed: no longer this message's to execute"
        # Stored by the flushing thread within a second: no transaction on the run's path.
        self.registry.update(self.pid, WorkerState.RUNNING, run_id)
        try:
            final = claimed.execute()
        finally:
            self.registry.update(self.pid, WorkerState.IDLE)
        return str(final.status)

    def close(self) -> None:
        self._stopped.set()
        if self._flusher is not None:
            self._flusher.join(timeout=5)
        self.registry.gone(self.pid)
        self.registry.flush()
        self._stack.close()

    def _obey(self, orders: DrainOrders) -> None:
        """Drained on its own (not with its pool, whose node stops consuming): take no
        more runs, and exit once idle."""
        with self._lock:
            self._retiring = self.pid in orders.pids and not orders.pool

    def _flush_loop(self) -> None:
        while not self._stopped.wait(1.0):
            self.registry.flush()
            with self._lock:
                if self._retiring and not self._running:
                    logger.info("pool process %s drained: it exits, and the worker starts "
                                "another", self.pid)
                    self.registry.gone(self.pid)
                    self.registry.flush()
                    self._stack.close()
                    os._exit(0)  # a message handed to it meanwhile goes back to the broker


_app: WorkerApp | None = None
_node: _Node | None = None
_process: _PoolProcess | None = None


def _pool_process() -> _PoolProcess:
    global _process
    if _process is None:  # a solo pool, or a process Celery did not announce
        assert _app is not None and _node is not None, "start_worker() sets the worker up"
        _process = _PoolProcess(_app, _node.name, _node.registry if _node.solo else None)
    return _process


def _open_pool_process(**_: Any) -> None:
    # The node's storage crossed the fork: this process never uses (or closes) it.
    if _app is not None:
        _pool_process()


def _close_pool_process(**_: Any) -> None:
    global _process
    if _process is not None:
        _process.close()
        _process = None


worker_process_init.connect(_open_pool_process)
worker_process_shutdown.connect(_close_pool_process)


def execute_run(run_id: str, attempt: int, claimer: str) -> str:
    """The task: execute attempt `attempt` of run `run_id`, published by `claimer`, if it
    is still this message's to execute; what happened, in words."""
    outcome = _pool_process().execute(run_id, attempt, claimer)
    logger.info("run %s (attempt %d): %s", run_id, attempt, outcome)
    return outcome


def worker_celery(config: CeleryConfig) -> Celery:
    """The Celery app of a worker, with daggo's task registered."""
    celery = make_celery(config)
    celery.task(name=TASK, acks_late=True, reject_on_worker_lost=True)(execute_run)
    return celery


def start_worker(app: WorkerApp, *, concurrency: int, pool: str, hostname: str | None,
                 extra_args: Sequence[str] = ()) -> None:
    """Run a Celery worker consuming `app.queues` until it is stopped (SIGTERM: warm
    shutdown, finishing the runs in flight)."""
    global _app
    _app = app
    celery = worker_celery(app.config.execution.section("celery", CeleryConfig))
    celery.steps["consumer"].add(_DrainStep)

    def open_node(sender: str, **_: Any) -> None:  # before the pool forks its processes
        global _node
        _node = _Node(app, sender, solo=pool == "solo")
        _node.registry.start()

    celeryd_after_setup.connect(open_node, weak=False)
    argv = ["worker", f"--queues={','.join(app.queues)}", f"--concurrency={concurrency}",
            f"--pool={pool}", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
    if hostname:
        argv.append(f"--hostname={hostname}")
    try:
        celery.worker_main([*argv, *extra_args])
    finally:
        _close_node()


def _close_node() -> None:
    global _node
    _close_pool_process()  # the solo pool's process keeps its row in the node's registry
    if _node is not None:
        node, _node = _node, None
        node.close()
