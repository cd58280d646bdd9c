"""The Celery executor: each claimed run is published to a Celery queue.

The coordinator claims a run (QUEUED -> STARTING, recorded to this process) and calls
`launch`, which publishes a message naming the run, its attempt and this process to the
run's queue (`routing.queue_for`) and returns. A Celery worker (`daggo worker celery`)
executes it. Nothing about the run travels back through the broker: the worker writes
the run's progress to storage, where this server's coordinator and monitor see it.
Cancellation reaches the worker the same way (the run's heartbeat shows the flag).
While a published run waits in its queue for a free worker (still STARTING, recorded to
this process), this executor heartbeats it, so the run monitor does not take it for lost;
if this server dies, the beats stop and the monitor queues the run again.

A message that cannot be published leaves the run STARTING with an event saying why;
no worker heartbeats it, so the run monitor re-queues it after the heartbeat timeout
(the broker's outage then has a natural back-off), and `problem()` reports the broker
unreachable until a publish succeeds again.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from celery import Celery

from daggo_celery.celery_app import TASK, make_celery, task_id
from daggo_celery.config import CeleryConfig
from daggo_celery.routing import queue_for
from daggo_core.execution.heartbeat import worker_id
from daggo_core.extensions import ExecutorContext
from daggo_core.storage.base import Fence
from daggo_core.storage.records import (
    ACTIVE_RUN_STATUSES,
    Event,
    EventKind,
    Run,
    RunStatus,
    utcnow,
)

__all__ = ["CeleryExecutor"]

logger = logging.getLogger("daggo.executor.celery")

#: How often the runs this executor published are checked for their end.
REFRESH_SECONDS = 0.25


class CeleryExecutor:
    """Publishes runs to Celery queues; tracks the ones it published until they end.

    A thread reads the published runs back every `REFRESH_SECONDS` while there are any:
    those that ended free their slot (and wake the coordinator through
    `context.on_slot_free`), those still waiting for a worker are heartbeated.
    """

    def __init__(self, context: ExecutorContext, app: Celery | None = None) -> None:
        self.context = context
        self.config = context.config.execution.section("celery", CeleryConfig)
        self.app = app or make_celery(self.config)
        self.claimer = worker_id()
        self._lock = threading.Lock()
        self._published: dict[str, int] = {}  # run id: attempt, until the run ends
        self._problem: str | None = None
        self._closed = threading.Event()
        self._refresher = threading.Thread(target=self._refresh_forever, daemon=True,
                                           name="daggo-celery-published")
        self._refresher.start()

    def launch(self, run: Run) -> None:
        queue = queue_for(run, self.config)
        try:
            self.app.send_task(TASK, kwargs={"run_id": run.id, "attempt": run.attempt,
                                             "claimer": self.claimer},
                               queue=queue, task_id=task_id(run.id, run.attempt),
                               retry=True, retry_policy={"max_retries": 2})
        except Exception as exc:  # the coordinator must go on launching its other runs
            self._not_published(run, queue, exc)
            return
        with self._lock:
            self._published[run.id] = run.attempt
            self._problem = None

    def cancel(self, run_id: str) -> None:
        """Nothing to do here: `Runs.Cancel` flagged the run in storage, and the worker
        executing it (or the one that takes it) sees the flag on its heartbeat."""

    def active_run_ids(self) -> set[str]:
        """The runs this executor published that had not ended when last read back."""
        with self._lock:
            return set(self._published)

    def problem(self) -> str | None:
        with self._lock:
            return self._problem

    def close(self) -> None:
        """Publish no more; the runs already published execute on their workers."""
        self._closed.set()
        self._refresher.join(timeout=5)
        self.app.close()

    def _refresh_forever(self) -> None:
        while not self._closed.wait(REFRESH_SECONDS):
            try:
                self._refresh()
            except Exception:
                logger.warning("could not read the runs published to Celery", exc_info=True)

    def _refresh(self) -> None:
        """Forget the published runs that ended (waking the coordinator if any did);
        heartbeat those still waiting for a worker."""
        with self._lock:
            published = dict(self._published)
        if not published:
            return
        runs = self.context.storage.get_runs(list(published))
        ended = {run.id for run in runs
                 if run.status not in ACTIVE_RUN_STATUSES or run.attempt != published[run.id]}
        ended |= set(published) - {run.id for run in runs}  # purged meanwhile
        self._beat_waiting([run for run in runs if run.id not in ended])
        if ended:
            with self._lock:
                for run_id in ended:
                    self._published.pop(run_id, None)
            self.context.on_slot_free()

    def _beat_waiting(self, runs: list[Run]) -> None:
        """Heartbeat the published runs no worker has taken yet, once per interval."""
        execution = self.context.config.execution
        due = utcnow() - dt.timedelta(seconds=execution.heartbeat_interval_seconds)
        for run in runs:
            if (run.status is RunStatus.STARTING and run.worker_id == self.claimer
                    and (run.heartbeat_at is None or run.heartbeat_at < due)):
                try:
                    self.context.storage.keep_claim(Fence(run.id, run.attempt), self.claimer)
                except Exception:
                    logger.warning("could not heartbeat run %s, waiting for a Celery worker",
                                   run.id, exc_info=True)

    def _not_published(self, run: Run, queue: str, exc: Exception) -> None:
        why = (f"could not publish the run to Celery queue {queue!r} ({exc}); the run "
               "monitor queues it again once the heartbeat timeout passes")
        logger.error("run %s: %s", run.id, why)
        with self._lock:
            self._problem = f"the Celery broker is unreachable: {exc}"
        try:
            self.context.storage.add_events([Event(run_id=run.id, kind=EventKind.LOG,
                                                   level="ERROR", message=why)])
        except Exception:
            logger.exception("could not record on run %s that it was not published", run.id)
