"""The run monitor: finds runs whose worker went silent and fails, cancels or re-queues them.

Also home of the bookkeeping shared with the subprocess executor, which notices a dead
worker process at once instead of waiting for its heartbeat to go stale.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Mapping

import attrs

from daggo_core.definitions.jobs import JobDefinition
from daggo_core.errors import RunNotFoundError, StorageError
from daggo_core.storage.base import Storage
from daggo_core.storage.records import (
    ACTIVE_RUN_STATUSES,
    RETRY_TAG,
    ErrorInfo,
    ErrorSource,
    Event,
    EventKind,
    Run,
    RunStatus,
    StepStatus,
    utcnow,
)

__all__ = [
    "WORKER_LOST",
    "RunMonitor",
    "end_canceled_run",
    "retry_number",
    "settle_lost_run",
]

logger = logging.getLogger("daggo.monitor")

#: ErrorInfo.type of a run whose worker disappeared.
WORKER_LOST = "WorkerLost"


def retry_number(run: Run) -> int:
    """How many times the run's original was re-queued before this run (0 for the first)."""
    try:
        return int(run.tags.get(RETRY_TAG, "0"))
    except ValueError:
        return 0


def settle_lost_run(storage: Storage, run: Run, reason: str,
                    jobs: Mapping[str, JobDefinition],
                    stale_before: dt.datetime | None = None) -> tuple[Run, Run | None]:
    """End an active run whose worker is gone; returns it as stored, and its retry if any.

    A run whose cancellation was requested ends CANCELED; any other ends FAILURE with an
    ErrorInfo of type "WorkerLost" and `reason`, its RUNNING steps failed, and, if its job
    has `run_retries` left, a new QUEUED run of the same job, params and tags is added with
    `parent_run_id` pointing at it and the retry tag incremented. Does nothing to a run
    that is no longer active (another process settled it first).
    """
    current = storage.get_run(run.id)
    if current.status not in ACTIVE_RUN_STATUSES:
        return current, None
    if (stale_before is not None and current.heartbeat_at is not None
            and current.heartbeat_at >= stale_before):
        return current, None  # its worker heartbeated again meanwhile: it was only slow
    if current.cancel_requested:
        return end_canceled_run(storage, run.id, f"run canceled: {reason}"), None
    error = ErrorInfo(type=WORKER_LOST, message=reason, source=ErrorSource.INFRASTRUCTURE)
    # Steps first: storage never shows a run finished while a step of it still runs.
    _close_running_steps(storage, run.id, StepStatus.FAILURE, error,
                         f"step interrupted: {reason}")
    final = storage.set_run_status(run.id, RunStatus.FAILURE, error=error, events=[
        Event(run_id=run.id, kind=EventKind.RUN_WORKER_LOST, level="ERROR", message=reason),
        Event(run_id=run.id, kind=EventKind.RUN_FAILURE, level="ERROR",
              message=f"run failed: {reason}"),
    ], expected=ACTIVE_RUN_STATUSES)
    if final.status is not RunStatus.FAILURE or final.error != error:
        return final, None
    logger.warning("run %s failed: %s", run.id, reason)
    job = jobs.get(run.job_name)
    attempt = retry_number(run)
    if job is None or attempt >= job.run_retries:
        return final, None
    # The retry's id derives from the lost run's, so two processes settling the same lost
    # run at once cannot both queue a retry: the second insert hits the primary key.
    retry_id = uuid.uuid5(uuid.NAMESPACE_URL, f"daggo:{run.id}/retry/{attempt + 1}").hex
    retry = Run(id=retry_id, job_name=run.job_name, params=dict(run.params),
                tags={**run.tags, RETRY_TAG: str(attempt + 1)}, parent_run_id=run.id)
    try:
        storage.add_run(retry, [Event(
            run_id=retry.id, kind=EventKind.RUN_QUEUED, level="INFO",
            message=f"run queued: retry {attempt + 1} of {job.run_retries} of run {run.id}, "
                    f"whose worker was lost")])
    except StorageError as exc:
        try:
            existing = storage.get_run(retry_id)
        except RunNotFoundError:
            raise exc from None
        return final, existing  # another process queued this retry first
    storage.add_events([Event(
        run_id=run.id, kind=EventKind.LOG, level="INFO",
        message=f"re-queued as run {retry.id} (retry {attempt + 1} of {job.run_retries})",
        data={"retry_run_id": retry.id})])
    logger.info("run %s re-queued as %s (retry %d of %d)", run.id, retry.id,
                attempt + 1, job.run_retries)
    return final, retry


def end_canceled_run(storage: Storage, run_id: str, message: str) -> Run:
    """End an active run CANCELED and mark its RUNNING steps CANCELED (its worker is gone)."""
    current = storage.get_run(run_id)
    if current.status not in ACTIVE_RUN_STATUSES:
        return current
    _close_running_steps(storage, run_id, StepStatus.CANCELED, None,
                         "step interrupted: run canceled")
    return storage.set_run_status(run_id, RunStatus.CANCELED, events=[
        Event(run_id=run_id, kind=EventKind.RUN_CANCELED, level="INFO", message=message)
    ], expected=ACTIVE_RUN_STATUSES)


def _close_running_steps(storage: Storage, run_id: str, status: StepStatus,
                         error: ErrorInfo | None, message: str) -> None:
    now = utcnow()
    kind = EventKind.STEP_FAILURE if status is StepStatus.FAILURE else EventKind.STEP_CANCELED
    open_steps = [step for step in storage.list_steps(run_id)
                  if step.status in (StepStatus.RUNNING, StepStatus.PENDING)]
    if not open_steps:
        return
    storage.record_steps(
        [], [attrs.evolve(step, status=status, finished_at=now, error=error)
             for step in open_steps],
        [Event(run_id=run_id, kind=kind, step_key=step.step_key, timestamp=now,
               level="ERROR" if error else "INFO", message=f"{message} ({step.step_key})")
         for step in open_steps],
    )


class RunMonitor:
    """Every half heartbeat interval, settles active runs silent for `heartbeat_timeout`.

    A STARTING run (its worker never took it over) is re-queued; a STARTED one is failed
    (or re-queued as a new run, per its job's `run_retries`) by `settle_lost_run`. The
    first pass doubles as start-up recovery of runs a previous server left behind; runs
    whose workers still heartbeat are left alone. `on_requeue` is called after runs were
    put back in the queue (the coordinator's `wake`).
    """

    def __init__(self, storage: Storage, jobs: Mapping[str, JobDefinition], *,
                 heartbeat_interval: float, heartbeat_timeout: float,
                 on_requeue: Callable[[], None] | None = None) -> None:
        self.storage = storage
        self.jobs = jobs
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_timeout = heartbeat_timeout
        self.on_requeue = on_requeue

    @property
    def period(self) -> float:
        """Seconds between checks: a lost worker is seen by `timeout + period` at worst."""
        return self.heartbeat_interval / 2

    def check_once(self, now: dt.datetime | None = None) -> list[Run]:
        """Settle every stale run once; returns them as stored afterwards."""
        now = now or utcnow()
        cutoff = now - dt.timedelta(seconds=self.heartbeat_timeout)
        settled: list[Run] = []
        requeued = False
        for run in self.storage.find_stale_runs(cutoff):
            silent = (now - (run.heartbeat_at or run.created_at)).total_seconds()
            who = f"worker {run.worker_id}" if run.worker_id else "no worker"
            if run.status is RunStatus.STARTING and not run.cancel_requested and \
                    not self.storage.list_steps(run.id):
                final = self._requeue(run, f"{who} did not start the run ({silent:.1f} s "
                                           f"without a heartbeat); re-queued")
                requeued = requeued or final.status is RunStatus.QUEUED
            else:
                reason = (f"{who} stopped heartbeating: silent for {silent:.1f} s "
                          f"(timeout {self.heartbeat_timeout:g} s)")
                final, retry = settle_lost_run(self.storage, run, reason, self.jobs,
                                               stale_before=cutoff)
                requeued = requeued or retry is not None
            settled.append(final)
        if requeued and self.on_requeue is not None:
            self.on_requeue()
        return settled

    def _requeue(self, run: Run, reason: str) -> Run:
        final = self.storage.set_run_status(run.id, RunStatus.QUEUED, events=[
            Event(run_id=run.id, kind=EventKind.RUN_WORKER_LOST, level="WARNING",
                  message=reason)
        ], expected=[RunStatus.STARTING])
        if final.status is RunStatus.QUEUED:
            logger.warning("run %s: %s", run.id, reason)
        return final

    async def run_forever(self) -> None:
        """Check every `period` seconds until cancelled; errors are logged and retried."""
        while True:
            try:
                await asyncio.to_thread(self.check_once)
            except Exception:
                logger.exception("run monitor check failed; retrying")
            await asyncio.sleep(self.period)
