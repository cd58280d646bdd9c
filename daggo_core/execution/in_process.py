"""The in-process executor: runs each claimed run on a thread of this process.

Each run heartbeats like a worker process does (as `hostname:pid` of this process), so
the run monitor leaves it alone while this process lives, and fails it if the process
dies; a heartbeat showing `cancel_requested` (e.g. `daggo runs cancel` from another
process) cancels the run.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from daggo_core.errors import DaggoError
from daggo_core.execution.claimed_run import ClaimedRun
from daggo_core.execution.error_info import error_info
from daggo_core.execution.run_worker import RunWorker
from daggo_core.extensions import ExecutorContext
from daggo_core.storage.records import ACTIVE_RUN_STATUSES, Event, EventKind, Run, RunStatus

__all__ = ["InProcessExecutor"]

logger = logging.getLogger("daggo.executor")


class InProcessExecutor:
    """Executes runs on a thread pool sized by `execution.max_concurrent_runs`."""

    def __init__(self, context: ExecutorContext) -> None:
        self.context = context
        self._pool = ThreadPoolExecutor(
            max_workers=context.config.execution.max_concurrent_runs,
            thread_name_prefix="daggo-run",
        )
        self._lock = threading.Lock()
        self._workers: dict[str, RunWorker | None] = {}

    def launch(self, run: Run) -> None:
        with self._lock:
            self._workers[run.id] = None
        future = self._pool.submit(self._execute, run)
        future.add_done_callback(lambda f: self._finished(run, f))

    def cancel(self, run_id: str) -> None:
        with self._lock:
            worker = self._workers.get(run_id)
        if worker is not None:
            worker.cancel()

    def active_run_ids(self) -> set[str]:
        with self._lock:
            return set(self._workers)

    def problem(self) -> str | None:
        return None  # runs execute on this process's threads: nothing to start

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _execute(self, run: Run) -> None:
        context = self.context
        claimed = ClaimedRun.take(run.id, config=context.config, storage=context.storage,
                                  definitions=context.definitions)
        if claimed is None:
            return
        with self._lock:
            self._workers[run.id] = claimed.worker
        claimed.execute()

    def _finished(self, run: Run, future: Future[None]) -> None:
        run_id = run.id
        with self._lock:
            self._workers.pop(run_id, None)
        exc = future.exception()
        if exc is not None:
            logger.error("run %s crashed in the executor", run_id, exc_info=exc)
            try:
                self.context.storage.set_run_status(
                    run_id, RunStatus.FAILURE, error=error_info(exc),
                    events=[Event(run_id=run_id, kind=EventKind.RUN_FAILURE, level="ERROR",
                                  message=f"executor error: {exc}")],
                    expected=ACTIVE_RUN_STATUSES, attempt=run.attempt,
                )
            except DaggoError:
                logger.exception("could not mark run %s as failed", run_id)
        self.context.on_slot_free()
