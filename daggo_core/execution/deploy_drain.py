"""Deploy drain: a server of a new deploy version takes over claiming from the old ones.

A server started with `deploy.drain_enabled` announces its `deploy.version` on the lock
`deploy.lock_name` at start-up (`DeployStorage.announce_deploy`): a version other than
the lock's takes it over, DRAINING. From then on the claims of every other version claim
nothing (the claim transaction reads the lock under the claims' lock), and each server
of another version, reading the lock every interval, pauses its coordinator. The new
version claims nothing either until no run claimed by another version is active; then
the lock becomes ACTIVE and it claims. Runs of other versions still active at the
deadline (`deploy.drain_timeout_seconds` after the announcement) are handed back
(`hand_back_run`): the new version waits for their workers to be gone (their rows in the
worker registry no longer heartbeated), so a run handed back never executes beside the
attempt it replaces, and then takes over.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Callable

from daggo_core.execution.coordinator import RunCoordinator
from daggo_core.execution.heartbeat import worker_id
from daggo_core.execution.run_monitor import end_canceled_run
from daggo_core.storage.base import Fence, RunFilter, Storage, WorkerPosition
from daggo_core.storage.drain_records import DeployLock, DeployState
from daggo_core.storage.records import (
    ACTIVE_RUN_STATUSES,
    ErrorInfo,
    ErrorSource,
    Event,
    EventKind,
    Run,
    RunStatus,
    StepStatus,
    utcnow,
)

__all__ = ["DEPLOY_DRAIN_TIMEOUT", "DeployDrain", "hand_back_run", "other_version_runs"]

logger = logging.getLogger("daggo.deploy")

#: ErrorInfo.type of a run that was handed back at a deploy drain's deadline.
DEPLOY_DRAIN_TIMEOUT = "DeployDrainTimeout"
#: The coordinator's pause cause of a deploy drain.
PAUSE_CAUSE = "deploy"
#: Active runs looked at per pass.
_ACTIVE_SCAN_LIMIT = 10_000
_ACTIVE = RunFilter(statuses=tuple(sorted(ACTIVE_RUN_STATUSES)))
#: Workers listed per page while looking for those of handed-back runs.
_WORKERS_PAGE = 1000


def other_version_runs(storage: Storage, version: str) -> list[Run]:
    """The active runs claimed by a version other than `version` (or by none recorded)."""
    return [run for run in storage.list_runs(_ACTIVE, limit=_ACTIVE_SCAN_LIMIT)
            if run.claimed_version != version]


def hand_back_run(storage: Storage, run: Run, version: str) -> tuple[Run, bool]:
    """Hand back `run` (an active run of another version, as the caller saw it) to
    `version`: returns it as stored, and whether this call handed it back.

    A STARTING run no worker began (no steps, no cancellation asked) goes back to the
    queue as it is: its next claim is a new attempt, and the old worker, fenced, never
    starts it. A run being canceled ends CANCELED. Any other ends FAILURE with a
    `DeployDrainTimeout` error, its open steps interrupted, and a new run of the same job,
    params and tags is queued in the same transaction (its `parent_run_id` is the run),
    whatever the job's `run_retries`: the deploy interrupted it, not its code. Nothing
    happens to a run no longer active in that attempt.
    """
    current = storage.get_run(run.id)
    if current.status not in ACTIVE_RUN_STATUSES or current.attempt != run.attempt:
        return current, False
    reason = f"handed back to deploy version {version} at the end of the deploy drain"
    if current.status is RunStatus.STARTING and not current.cancel_requested and \
            not storage.list_steps(run.id):
        final = storage.set_run_status(run.id, RunStatus.QUEUED, events=[
            Event(run_id=run.id, kind=EventKind.LOG, level="WARNING",
                  message=f"{reason}: it had not started, re-queued")
        ], expected=[RunStatus.STARTING], attempt=run.attempt)
        return final, final.status is RunStatus.QUEUED and final.attempt == run.attempt
    if current.cancel_requested:
        final = end_canceled_run(storage, current, f"run canceled: {reason}")
        return final, final.status is RunStatus.CANCELED and final.attempt == run.attempt
    again = Run(id=uuid.uuid5(uuid.NAMESPACE_URL, f"daggo:{run.id}/handed-back").hex,
                job_name=run.job_name, params=dict(run.params), tags=dict(run.tags),
                parent_run_id=run.id, queue_item_id=run.queue_item_id,
                partition_key=run.partition_key, backfill_id=run.backfill_id)
    error = ErrorInfo(type=DEPLOY_DRAIN_TIMEOUT, message=reason,
                      source=ErrorSource.INFRASTRUCTURE)
    final, ended = storage.end_attempt(
        Fence(run.id, run.attempt), RunStatus.FAILURE, error=error, events=[
            Event(run_id=run.id, kind=EventKind.LOG, level="WARNING",
                  message=f"{reason}: re-queued as run {again.id}",
                  data={"handed_back_as": again.id}),
            Event(run_id=run.id, kind=EventKind.RUN_FAILURE, level="ERROR",
                  message=f"run failed: {reason}"),
        ], step_status=StepStatus.FAILURE, step_message=f"step interrupted: {reason}",
        retry=(again, [Event(run_id=again.id, kind=EventKind.RUN_QUEUED, level="INFO",
                             message=f"run queued: run {run.id} of deploy version "
                                     f"{run.claimed_version} handed back to {version}")]))
    return final, ended


class DeployDrain:
    """This server's part in deploy drain on lock `lock_name`, as version `version`.

    `announce()` at start-up, before the coordinator claims; then `check_once()` every
    `interval` seconds (`run_forever`) pauses or resumes `coordinator` as the lock
    says, finishes the drain when no run of another version is active, and hands those
    runs back once `timeout` seconds have passed since the announcement. A worker of a
    handed-back run is taken for gone once its registry row is missing or silent for
    `heartbeat_timeout` seconds. `clock` gives the time (aware UTC), for tests.
    """

    def __init__(self, storage: Storage, coordinator: RunCoordinator, *, lock_name: str,
                 version: str, timeout: float, interval: float, heartbeat_timeout: float,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.storage = storage
        self.coordinator = coordinator
        self.lock_name = lock_name
        self.version = version
        self.timeout = dt.timedelta(seconds=timeout)
        self.interval = interval
        self.heartbeat_timeout = dt.timedelta(seconds=heartbeat_timeout)
        self.clock = clock
        self._handed_workers: set[str] = set()  # workers of handed-back runs, till gone

    def announce(self) -> DeployLock:
        """Announce this version on the lock (taking it over from another version), pause
        the coordinator, then check the lock once."""
        self.coordinator.pause(PAUSE_CAUSE, f"deploy drain: version {self.version} is "
                                            "announcing itself")
        now = self.clock()
        lock = self.storage.announce_deploy(self.lock_name, self.version, holder=worker_id(),
                                            at=now, deadline=now + self.timeout)
        if lock.version == self.version and lock.previous_version is not None and \
                lock.state is DeployState.DRAINING:
            logger.info("deploy drain: version %s takes lock %r over from version %s, "
                        "waiting until %s at most", self.version, self.lock_name,
                        lock.previous_version, lock.deadline.isoformat())
        return self.check_once()

    def check_once(self) -> DeployLock:
        """Read the lock and act on it once; returns it as stored."""
        lock = self.storage.get_deploy_lock(self.lock_name)
        if lock is None:  # removed by hand: this server announces itself again
            return self.announce()
        if lock.version != self.version:
            self.coordinator.pause(PAUSE_CAUSE, (
                f"deploy drain: version {lock.version} took lock {self.lock_name!r} over; "
                f"this server (version {self.version}) claims no more runs"))
            return lock
        if lock.state is DeployState.DRAINING:
            lock = self._drain(lock)
        if lock.state is DeployState.ACTIVE:
            self.coordinator.resume(PAUSE_CAUSE)
        return lock

    def _drain(self, lock: DeployLock) -> DeployLock:
        now = self.clock()
        old = other_version_runs(self.storage, self.version)
        if old and now >= lock.deadline:
            handed = 0
            for run in old:
                if hand_back_run(self.storage, run, self.version)[1]:
                    handed += 1
                    if run.worker_id:
                        self._handed_workers.add(run.worker_id)
            if handed:
                self.storage.add_handed_back(self.lock_name, self.version, handed)
                lock = self.storage.get_deploy_lock(self.lock_name) or lock
                logger.warning("deploy drain: the deadline passed; %d run(s) of other "
                               "versions handed back to version %s", handed, self.version)
            old = other_version_runs(self.storage, self.version)
        if not old and not self._workers_alive(now):
            lock = self.storage.finish_deploy_drain(self.lock_name, self.version, at=now)
            if lock.state is DeployState.ACTIVE:
                logger.info("deploy drain: version %s claims runs now", self.version)
                return lock
        waiting = f"{len(old)} run(s) of other versions" if old else \
            "the workers of handed-back runs to stop"
        self.coordinator.pause(PAUSE_CAUSE, (
            f"deploy drain: version {self.version} waits for {waiting} (lock "
            f"{self.lock_name!r}, until {lock.deadline.isoformat(timespec='seconds')})"))
        return lock

    def _workers_alive(self, now: dt.datetime) -> bool:
        """Whether a worker of a handed-back run still has a row heartbeated lately."""
        if not self._handed_workers:
            return False
        silent_before = now - self.heartbeat_timeout
        alive: set[str] = set()
        page = self.storage.list_workers(limit=_WORKERS_PAGE)
        while page:
            alive.update(w.id for w in page if w.id in self._handed_workers
                         and w.heartbeat_at >= silent_before)
            if len(page) < _WORKERS_PAGE:
                break
            last = page[-1]
            page = self.storage.list_workers(limit=_WORKERS_PAGE,
                                             after=WorkerPosition(last.host, last.pid))
        self._handed_workers = alive
        return bool(alive)

    async def run_forever(self) -> None:
        """Check every `interval` seconds until cancelled; errors are logged and retried."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await asyncio.to_thread(self.check_once)
            except Exception:
                logger.exception("deploy drain check failed; retrying")
