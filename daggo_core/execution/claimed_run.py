"""Executing one already-claimed run, by id: the set-up every executor shares.

A coordinator claims a run (QUEUED -> STARTING) and hands its id to an executor; the
executor, in whatever process or machine it runs the run, calls `execute_claimed_run`
(or `ClaimedRun.take` to act on the run's heartbeat itself). It checks that the run is
still STARTING (and, for a hand-over, recorded to this worker), finds the job, validates
the params, and executes the run with the app's resources while heartbeating it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from daggo_core.config import Config
from daggo_core.definitions.definitions import Definitions
from daggo_core.errors import DaggoError
from daggo_core.execution.error_info import error_info
from daggo_core.execution.heartbeat import Heartbeat, worker_id
from daggo_core.execution.log_limits import LogLimits
from daggo_core.execution.run_worker import RunWorker
from daggo_core.storage.base import Storage
from daggo_core.storage.patience import patiently
from daggo_core.storage.records import (
    ACTIVE_RUN_STATUSES,
    Event,
    EventKind,
    Run,
    RunStatus,
    utcnow,
)

__all__ = ["ClaimedRun", "execute_claimed_run"]

logger = logging.getLogger("daggo.worker")


class ClaimedRun:
    """A claimed run set up to execute in this process: its worker and its heartbeat.

    The heartbeat cancels the run when it shows a cancel request or that the run ended
    elsewhere; set `heartbeat.on_stop` to act otherwise.
    """

    def __init__(self, run: Run, worker: RunWorker, heartbeat: Heartbeat) -> None:
        self.run = run
        self.worker = worker
        self.heartbeat = heartbeat

    @classmethod
    def take(cls, run_id: str, *, config: Config, storage: Storage, definitions: Definitions,
             worker: str | None = None, handed_to: str | None = None,
             attempt: int | None = None) -> ClaimedRun | None:
        """Set up the claimed run `run_id`, or None when it must not execute here.

        `worker` is the id heartbeats record (default: `hostname:pid`). With `handed_to`,
        the run executes only if it is recorded to that worker (a hand-over), so a run
        re-queued and claimed again meanwhile never runs twice; with `attempt`, only if
        the run is in that attempt (a message about an older claim executes nothing). A
        run whose job is not defined here, or whose params do not validate, is failed.
        """
        me = worker or worker_id()
        run = patiently(lambda: storage.get_run(run_id), config.database.retry_seconds)
        if run.status is not RunStatus.STARTING or (
                handed_to is not None and run.worker_id != handed_to) or (
                attempt is not None and run.attempt != attempt):
            logger.warning("worker %s: run %s is %s (worker %s, attempt %s), not a run "
                           "handed to this worker; not executing it", me, run_id, run.status,
                           run.worker_id, run.attempt)
            return None
        execution = config.execution
        heartbeat = Heartbeat(storage, run_id, me, attempt=run.attempt,
                              interval=execution.heartbeat_interval_seconds)
        heartbeat.start_local()  # this first write may wait for the database
        run = heartbeat.beat() or run
        if heartbeat.superseded(run):
            heartbeat.stop()
            logger.warning("worker %s: run %s was claimed again or ended before it started; "
                           "not executing it", me, run_id)
            return None
        job = definitions.jobs_by_name.get(run.job_name)
        try:
            if job is None:
                raise DaggoError(
                    f"job {run.job_name!r} is not defined in this worker; defined jobs: "
                    f"{', '.join(sorted(definitions.jobs_by_name)) or 'none'}")
            params = job.make_params(run.params)
        except DaggoError as exc:
            storage.set_run_status(run.id, RunStatus.FAILURE, error=error_info(exc), events=[
                Event(run_id=run.id, kind=EventKind.RUN_FAILURE, level="ERROR",
                      message=str(exc))
            ], expected=ACTIVE_RUN_STATUSES, attempt=run.attempt)
            heartbeat.stop()
            return None
        run_worker = RunWorker(job, run, storage, params=params,
                               resources=definitions.resources,
                               max_concurrent_steps=execution.max_concurrent_steps,
                               run_timeout=execution.run_timeout_seconds,
                               cancel_grace_seconds=execution.cancel_grace_seconds,
                               timeout_grace_seconds=execution.timeout_grace_seconds,
                               log_limits=LogLimits.of(execution))
        heartbeat.on_stop = lambda stored: (
            run_worker.supersede(f"the run is {stored.status} in attempt {stored.attempt}")
            if heartbeat.superseded(stored) else run_worker.cancel())
        return cls(run, run_worker, heartbeat)

    @classmethod
    def new(cls, job_name: str, params: Any, *, config: Config, storage: Storage,
            definitions: Definitions, tags: Mapping[str, str] | None = None,
            partition_key: str | None = None) -> ClaimedRun:
        """Store a new run of `job_name`, claimed by this process at once, and set it up:
        it heartbeats like any claimed run, so no run monitor takes it for lost.

        Raises the job's params error (storing nothing) when `params` do not validate.
        """
        job = definitions.job(job_name)
        params_value = job.make_params(params)
        me = worker_id()
        run = Run(job_name=job.name, status=RunStatus.STARTING, attempt=1,
                  params=job.params_dict(params_value), tags=dict(tags or {}),
                  worker_id=me, heartbeat_at=utcnow(), partition_key=partition_key)
        storage.add_run(run, [Event(run_id=run.id, kind=EventKind.RUN_STARTING,
                                    message=f"run started in process {me}")])
        claimed = cls.take(run.id, config=config, storage=storage, definitions=definitions,
                           worker=me, handed_to=me)
        if claimed is None:
            raise DaggoError(f"run {run.id} was taken by another process before it started")
        return claimed

    def execute(self) -> Run:
        """Execute the run to its end, heartbeating it meanwhile; returns it as it ended."""
        if self.run.cancel_requested:
            self.worker.cancel()
        self.heartbeat.start()
        try:
            final = self.worker.execute()
        finally:
            self.heartbeat.stop()
        logger.info("worker %s: run %s finished %s", self.heartbeat.worker, self.run.id,
                    final.status)
        return final


def execute_claimed_run(run_id: str, *, config: Config, storage: Storage,
                        definitions: Definitions, worker: str | None = None) -> Run:
    """Execute the claimed (STARTING) run `run_id` of `definitions` here, to its end.

    Returns the run as it ended, or as it is when it was not this worker's to execute
    (no longer STARTING) or could not start (its job or params are invalid: it is failed).
    """
    claimed = ClaimedRun.take(run_id, config=config, storage=storage,
                              definitions=definitions, worker=worker)
    if claimed is None:
        return storage.get_run(run_id)
    return claimed.execute()
