"""The run monitor: finds runs whose worker went silent and fails, cancels or re-queues them.

Also home of the bookkeeping shared with the subprocess executor, which notices a dead
worker process at once instead of waiting for its heartbeat to go stale.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Mapping

from daggo_core.definitions.jobs import JobDefinition
from daggo_core.execution.local_workers import (
    ProcessState,
    beat_age,
    kill_worker,
    local_pid,
    process_state,
)
from daggo_core.storage.base import Fence, RunFilter, Storage
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
    "RUN_TIMEOUT",
    "WORKER_LOST",
    "WORKER_PRUNE_TIMEOUTS",
    "RunMonitor",
    "end_canceled_run",
    "end_timed_out_run",
    "retry_number",
    "settle_lost_run",
    "settle_silent_run",
]

logger = logging.getLogger("daggo.monitor")

#: ErrorInfo.type of a run whose worker disappeared.
WORKER_LOST = "WorkerLost"
#: ErrorInfo.type of a run that overran its timeout.
RUN_TIMEOUT = "RunTimeout"
#: A worker's registry row is deleted once silent for this many heartbeat timeouts (its
#: executor and its own run heartbeat both stopped: its server died, or it did).
WORKER_PRUNE_TIMEOUTS = 10
#: Active runs looked at per check for workers of this host.
_ACTIVE_SCAN_LIMIT = 10_000
_ACTIVE_STATUSES = tuple(sorted(ACTIVE_RUN_STATUSES))


def retry_number(run: Run) -> int:
    """How many times the run's original was re-queued before this run (0 for the first)."""
    try:
        return int(run.tags.get(RETRY_TAG, "0"))
    except ValueError:
        return 0


def settle_lost_run(storage: Storage, run: Run, reason: str,
                    jobs: Mapping[str, JobDefinition],
                    stale_before: dt.datetime | None = None) -> tuple[Run, Run | None]:
    """End the attempt of `run` (as the caller saw it) whose worker is gone; returns the
    run as stored, and its retry if any.

    A run whose cancellation was requested ends CANCELED; any other ends FAILURE with an
    ErrorInfo of type "WorkerLost" and `reason`, its RUNNING steps failed, and, if its job
    has `run_retries` left, a new QUEUED run of the same job, params and tags is added with
    `parent_run_id` pointing at it and the retry tag incremented. Nothing happens to a run
    no longer active in that attempt (another process settled it first, or it was
    claimed again), nor, with `stale_before`, to one that heartbeated since then.
    """
    current = storage.get_run(run.id)
    if current.status not in ACTIVE_RUN_STATUSES or current.attempt != run.attempt:
        return current, None
    if current.cancel_requested:
        return end_canceled_run(storage, current, f"run canceled: {reason}",
                                stale_before=stale_before), None
    error = ErrorInfo(type=WORKER_LOST, message=reason, source=ErrorSource.INFRASTRUCTURE)
    events = [
        Event(run_id=run.id, kind=EventKind.RUN_WORKER_LOST, level="ERROR", message=reason),
        Event(run_id=run.id, kind=EventKind.RUN_FAILURE, level="ERROR",
              message=f"run failed: {reason}"),
    ]
    job = jobs.get(run.job_name)
    attempt = retry_number(run)
    retry: Run | None = None
    if job is not None and attempt < job.run_retries:
        # The retry's id derives from the lost run's: one retry per lost run, whoever
        # settles it. It is queued in the transaction that ends the lost attempt.
        retry = Run(id=uuid.uuid5(uuid.NAMESPACE_URL, f"daggo:{run.id}/retry/{attempt + 1}").hex,
                    job_name=run.job_name, params=dict(run.params),
                    tags={**run.tags, RETRY_TAG: str(attempt + 1)}, parent_run_id=run.id,
                    queue_item_id=run.queue_item_id, partition_key=run.partition_key,
                    backfill_id=run.backfill_id)
        events.insert(1, Event(
            run_id=run.id, kind=EventKind.LOG, level="INFO",
            message=f"re-queued as run {retry.id} (retry {attempt + 1} of {job.run_retries})",
            data={"retry_run_id": retry.id}))
        queued = Event(run_id=retry.id, kind=EventKind.RUN_QUEUED, level="INFO",
                       message=f"run queued: retry {attempt + 1} of {job.run_retries} of "
                               f"run {run.id}, whose worker was lost")
    final, ended = storage.end_attempt(
        Fence(run.id, run.attempt), RunStatus.FAILURE, error=error, events=events,
        step_status=StepStatus.FAILURE, step_message=f"step interrupted: {reason}",
        stale_before=stale_before, retry=None if retry is None else (retry, [queued]))
    if not ended:
        return final, None
    logger.warning("run %s failed: %s", run.id, reason)
    if retry is not None:
        logger.info("run %s re-queued as %s (retry %d)", run.id, retry.id, attempt + 1)
    return final, retry


def settle_silent_run(storage: Storage, run: Run, reason: str,
                      jobs: Mapping[str, JobDefinition],
                      stale_before: dt.datetime | None = None) -> tuple[Run, bool]:
    """Settle `run`, whose worker is gone, hung or silent; returns it as stored and whether
    a run was queued (again).

    A STARTING run whose worker never began it (no steps, no cancellation requested) is
    put back in the queue, with a RUN_WORKER_LOST event saying why; any other is settled
    by `settle_lost_run`.
    """
    if run.status is RunStatus.STARTING and not run.cancel_requested and \
            not storage.list_steps(run.id):
        final = storage.set_run_status(run.id, RunStatus.QUEUED, events=[
            Event(run_id=run.id, kind=EventKind.RUN_WORKER_LOST, level="WARNING",
                  message=f"{reason}; it did not start the run: re-queued")
        ], expected=[RunStatus.STARTING], attempt=run.attempt)
        requeued = final.status is RunStatus.QUEUED and final.attempt == run.attempt
        if requeued:
            logger.warning("run %s: %s; it did not start the run: re-queued", run.id, reason)
        return final, requeued
    final, retry = settle_lost_run(storage, run, reason, jobs, stale_before=stale_before)
    return final, retry is not None


def end_canceled_run(storage: Storage, run: Run, message: str,
                     stale_before: dt.datetime | None = None) -> Run:
    """End the attempt of `run` CANCELED, its RUNNING steps CANCELED (its worker is gone
    or gave up); a run no longer active in that attempt is returned as stored."""
    final, _ = storage.end_attempt(
        Fence(run.id, run.attempt), RunStatus.CANCELED, error=None, events=[
            Event(run_id=run.id, kind=EventKind.RUN_CANCELED, level="INFO", message=message)
        ], step_status=StepStatus.CANCELED, step_message="step interrupted: run canceled",
        stale_before=stale_before)
    return final


def end_timed_out_run(storage: Storage, run: Run, message: str) -> Run:
    """End the attempt of `run` FAILURE with a RunTimeout error and `message`, its RUNNING
    steps CANCELED (its worker gives up on them); a run no longer active in that attempt
    is returned as stored."""
    final, _ = storage.end_attempt(
        Fence(run.id, run.attempt), RunStatus.FAILURE,
        error=ErrorInfo(type=RUN_TIMEOUT, message=message),
        events=[Event(run_id=run.id, kind=EventKind.RUN_FAILURE, level="ERROR",
                      message=f"run failed: {message}")],
        step_status=StepStatus.CANCELED, step_message="step abandoned: run timed out")
    return final


def _beats_locally(pid: int, timeout: float) -> bool:
    """Whether process `pid` of this host touched its beat file within `timeout`."""
    age = beat_age(pid)
    return age is not None and age < timeout


class RunMonitor:
    """Settles active runs whose worker is gone, hung or silent.

    Every `period` (half a heartbeat interval) it looks at the workers of this host by
    their process (`local_workers`): a run whose worker process is gone is settled at once,
    whatever its last heartbeat. A run silent for `heartbeat_timeout` is settled too,
    unless its worker is a process of this host that still touches its beat file (it
    waits for the database); if its worker is a live daggo worker of this host (hung),
    that process is killed first and the run settled only once it is gone, so a retry
    never overlaps it. A worker of another host is fenced instead: settling ends its
    attempt, and it stops once it sees.

    Settling (`settle_silent_run`) re-queues a STARTING run (its worker never took it
    over); a STARTED one is failed (or re-queued as a new run, per its job's
    `run_retries`) by `settle_lost_run`.
    After a check failed (the database was unreachable), heartbeats are not judged again
    until `heartbeat_timeout` has passed, so that workers can catch up. The first pass
    doubles as start-up recovery of runs a previous server left behind; runs whose
    workers still heartbeat are left alone. `on_requeue` is called after runs were put
    back in the queue (the coordinator's `wake`).

    Every heartbeat timeout, apart from the checks, `run_forever` also deletes the worker
    registry's rows silent for `WORKER_PRUNE_TIMEOUTS` heartbeat timeouts (not while
    catching up).
    """

    def __init__(self, storage: Storage, jobs: Mapping[str, JobDefinition], *,
                 heartbeat_interval: float, heartbeat_timeout: float,
                 on_requeue: Callable[[], None] | None = None) -> None:
        self.storage = storage
        self.jobs = jobs
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_timeout = heartbeat_timeout
        self.on_requeue = on_requeue
        self._failed_at: float | None = None  # monotonic time of the last failed check

    @property
    def period(self) -> float:
        """Seconds between checks: a silent worker is seen by `timeout + period` at worst."""
        return self.heartbeat_interval / 2

    def check_once(self, now: dt.datetime | None = None) -> list[Run]:
        """Settle every run whose worker is gone or silent, once; returns them as stored."""
        try:
            return self._check(now or utcnow())
        except Exception:
            self._failed_at = time.monotonic()
            raise

    def _check(self, now: dt.datetime) -> list[Run]:
        cutoff = now - dt.timedelta(seconds=self.heartbeat_timeout)
        settled: dict[str, tuple[Run, bool]] = {}
        for run in self._active_local_runs():
            pid = local_pid(run.worker_id)
            if pid is not None and process_state(pid) is ProcessState.GONE:
                settled[run.id] = settle_silent_run(
                    self.storage, run, f"worker process {pid} of this host is gone", self.jobs)
        if not self._catching_up():
            for run in self.storage.find_stale_runs(cutoff):
                if run.id in settled:
                    continue
                silent = (now - (run.heartbeat_at or run.created_at)).total_seconds()
                who = f"worker {run.worker_id}" if run.worker_id else "no worker"
                reason = (f"{who} stopped heartbeating: silent for {silent:.1f} s "
                          f"(timeout {self.heartbeat_timeout:g} s)")
                pid = local_pid(run.worker_id)
                if pid is not None and _beats_locally(pid, self.heartbeat_timeout):
                    continue  # alive and waiting for the database: not hung
                if pid is not None and process_state(pid) is ProcessState.WORKER:
                    # Killed before anything is written: a hung worker may hold the
                    # database's write lock (SQLite). Its executor, seeing it die, may
                    # settle the run first, giving this reason (`killed_because`).
                    reason += f"; its process {pid} on this host was hung and was killed"
                    if not kill_worker(pid, why=reason):
                        logger.error("run %s: %s; its process %s did not die when killed",
                                     run.id, reason, pid)
                        continue
                settled[run.id] = settle_silent_run(self.storage, run, reason, self.jobs,
                                                    stale_before=cutoff)
        if any(requeued for _, requeued in settled.values()) and self.on_requeue is not None:
            self.on_requeue()
        return [final for final, _ in settled.values()]

    def prune_workers(self, now: dt.datetime | None = None) -> int:
        """Delete the worker registry's rows silent for `WORKER_PRUNE_TIMEOUTS` heartbeat
        timeouts; returns how many."""
        silent = dt.timedelta(seconds=WORKER_PRUNE_TIMEOUTS * self.heartbeat_timeout)
        pruned = self.storage.prune_workers((now or utcnow()) - silent)
        if pruned:
            logger.info("removed %d worker row(s) silent for over %.0f s", pruned,
                        silent.total_seconds())
        return pruned

    def _catching_up(self) -> bool:
        """Whether a check failed less than a heartbeat timeout ago."""
        failed_at = self._failed_at
        return failed_at is not None and time.monotonic() - failed_at < self.heartbeat_timeout

    def _active_local_runs(self) -> list[Run]:
        active = self.storage.list_runs(RunFilter(statuses=_ACTIVE_STATUSES),
                                        limit=_ACTIVE_SCAN_LIMIT)
        return [run for run in active if local_pid(run.worker_id) is not None]

    async def run_forever(self) -> None:
        """Check every `period` seconds until cancelled, and prune the worker registry
        every heartbeat timeout on a task of its own; errors are logged and retried.

        A check only reads until it has killed what it settles: a write could wait for
        the very lock a hung worker holds (SQLite) for as long as writes are retried.
        """
        pruning = asyncio.create_task(self._prune_forever())
        try:
            while True:
                try:
                    await asyncio.to_thread(self.check_once)
                except Exception:
                    logger.exception("run monitor check failed; retrying")
                await asyncio.sleep(self.period)
        finally:
            pruning.cancel()

    async def _prune_forever(self) -> None:
        while True:
            if not self._catching_up():
                try:
                    await asyncio.to_thread(self.prune_workers)
                except Exception:
                    logger.exception("pruning the worker registry failed; retrying")
            await asyncio.sleep(self.heartbeat_timeout)
