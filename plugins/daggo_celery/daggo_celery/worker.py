"""The Celery worker side: `daggo worker celery` and the task that executes a run.

The command loads the app (config, definitions, plugins) once, in the worker's main
process; Celery then forks its pool's processes, and each one opens storage of its own
(a connection must not cross a fork), keeps a row in daggo's worker registry (executor
"celery", IDLE or RUNNING its run) and executes the runs it is handed, one at a time,
with `ClaimedRun`: only a run still STARTING, in the attempt the message names and
recorded to the process that published it, executes, so a message delivered twice never
runs a step twice. A pool process that dies mid-run stops heartbeating the run; the
server's run monitor then fails it, or queues a retry, per the job's `run_retries`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Sequence
from typing import Any

from attrs import frozen
from celery import Celery
from celery.signals import worker_process_init, worker_process_shutdown

from daggo_celery.celery_app import TASK, make_celery
from daggo_celery.config import CeleryConfig
from daggo_core.config import Config
from daggo_core.definitions.definitions import Definitions
from daggo_core.execution.claimed_run import ClaimedRun
from daggo_core.execution.event_dispatch import open_listened_storage
from daggo_core.execution.worker_registry import WorkerRegistry
from daggo_core.plugins import Hooks
from daggo_core.storage.base import Storage
from daggo_core.storage.records import WorkerState

__all__ = ["WorkerApp", "execute_run", "start_worker"]

logger = logging.getLogger("daggo.worker.celery")


@frozen(kw_only=True)
class WorkerApp:
    """What every pool process of this worker executes runs with."""

    config: Config
    definitions: Definitions
    hooks: Hooks
    queues: tuple[str, ...]


class _PoolProcess:
    """A pool process's storage and registry row, from its start to its end."""

    def __init__(self, app: WorkerApp) -> None:
        self.app = app
        self._stack = contextlib.ExitStack()
        self.storage: Storage = self._stack.enter_context(
            open_listened_storage(app.config, app.hooks))
        execution = app.config.execution
        self.registry = WorkerRegistry(self.storage, executor="celery", queues=app.queues,
                                       heartbeat_interval=execution.heartbeat_interval_seconds)
        self.pid = os.getpid()
        self.registry.update(self.pid, WorkerState.IDLE)
        self.registry.flush()
        self._stopped = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, daemon=True,
                                         name="daggo-celery-registry")
        self._flusher.start()

    def execute(self, run_id: str, attempt: int, claimer: str) -> str:
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
        self._flusher.join(timeout=5)
        self.registry.gone(self.pid)
        self.registry.flush()
        self._stack.close()

    def _flush_loop(self) -> None:
        while not self._stopped.wait(1.0):
            self.registry.flush()


_app: WorkerApp | None = None
_process: _PoolProcess | None = None


def _pool_process() -> _PoolProcess:
    global _process
    if _process is None:  # a solo pool, or a process Celery did not announce
        assert _app is not None, "start_worker() sets the worker's app up first"
        _process = _PoolProcess(_app)
    return _process


def _open_pool_process(**_: Any) -> None:
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
    argv = ["worker", f"--queues={','.join(app.queues)}", f"--concurrency={concurrency}",
            f"--pool={pool}", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
    if hostname:
        argv.append(f"--hostname={hostname}")
    celery.worker_main([*argv, *extra_args])
