"""Workers: the worker processes and pools of every server, read from the registry they
share, drained and resumed by admins; and the deploy lock.

Registrants keep a row per worker (its host and pid, what it does, its pool and queues,
its last heartbeat) and per pool; this service lists them for the RPC and the admin's
Workers page, with the job of each one's run. What is shown is decided when read, never
stored: a worker or pool silent for longer than `execution.heartbeat_timeout_seconds` is
LOST (its server died, or its machine was lost); one asked to drain is DRAINING until its
registrant accepted (it takes no more runs) and it holds no run, then DRAINED.
"""

from __future__ import annotations

import datetime as dt
import enum

from attrs import frozen

from daggo_core.errors import InvalidArgumentError, NotFoundError
from daggo_core.execution.deploy_drain import other_version_runs
from daggo_core.services.context import ServiceContext
from daggo_core.services.cursors import decode_cursor, encode_cursor
from daggo_core.services.paging import check_limit, page_limit
from daggo_core.storage.base import Storage, WorkerPosition
from daggo_core.storage.drain_records import DeployLock, DeployState, PoolRecord
from daggo_core.storage.records import Run, WorkerRecord, WorkerState, utcnow

__all__ = [
    "WORKERS_PAGE",
    "WORKERS_PAGE_MAX",
    "DeployState",
    "DeployStatus",
    "PoolStatus",
    "PoolSummary",
    "WorkerStatus",
    "WorkerSummary",
    "WorkersDrainRequest",
    "WorkersDrainResponse",
    "WorkersGetDeployRequest",
    "WorkersGetDeployResponse",
    "WorkersGetManyRequest",
    "WorkersGetManyResponse",
    "WorkersGetPoolsResponse",
    "WorkersResumeRequest",
    "WorkersResumeResponse",
    "WorkersService",
]

#: Page sizes of worker lists: the default and the most one request may ask for.
WORKERS_PAGE, WORKERS_PAGE_MAX = 100, 1000


class WorkerStatus(enum.StrEnum):
    """A worker's state as shown: what its registrant stored, a drain's, or LOST."""

    #: Started, importing the app (it may have been handed a run already).
    STARTING = "STARTING"
    #: Warm, waiting for a run.
    IDLE = "IDLE"
    #: Executing its run.
    RUNNING = "RUNNING"
    #: Asked to drain (by itself or its pool): finishing its run, or not yet told.
    DRAINING = "DRAINING"
    #: Drained: it takes no runs, and holds none.
    DRAINED = "DRAINED"
    #: Silent for longer than the heartbeat timeout: nothing vouches for it any more.
    LOST = "LOST"


class PoolStatus(enum.StrEnum):
    """A pool's state as shown."""

    #: Taking runs.
    ACTIVE = "ACTIVE"
    #: Asked to drain: not yet told, or finishing its runs.
    DRAINING = "DRAINING"
    #: Drained: it takes no runs, and executes none.
    DRAINED = "DRAINED"
    #: Silent for longer than the heartbeat timeout (its server is gone).
    LOST = "LOST"


@frozen(kw_only=True)
class WorkerSummary:
    """One worker process: `id` is the `host:pid` its runs record as their worker;
    `run_id` and `job_name` are those of the run it executes (or last executed, when
    LOST); `pool` is the pool it is drained with (None: none), `queues` the queues it
    takes runs from; `version` is the deploy version of its code; `drain_requested_at`
    when it (or its pool, then `drained_with_pool`) was asked to drain."""

    id: str
    host: str
    pid: int
    executor: str
    state: WorkerStatus
    run_id: str | None
    job_name: str | None
    started_at: dt.datetime
    heartbeat_at: dt.datetime
    version: str
    pool: str | None = None
    queues: tuple[str, ...] = ()
    drain_requested_at: dt.datetime | None = None
    drained_with_pool: bool = False


@frozen(kw_only=True)
class PoolSummary:
    """One pool: a server's coordinator and executor (`subprocess@host:pid`), or a
    plugin's pool of workers; `active_runs` are the runs it executes (as its owner counts
    them, or as its workers' rows hold them, whichever is more), `workers` how many
    worker rows are in it; `version` is the deploy version of its code;
    `drain_requested_at` when it was asked to drain, `drain_accepted_at` when its owner
    stopped taking runs."""

    name: str
    executor: str
    host: str
    version: str
    queues: tuple[str, ...]
    state: PoolStatus
    active_runs: int
    workers: int
    started_at: dt.datetime
    heartbeat_at: dt.datetime
    drain_requested_at: dt.datetime | None = None
    drain_accepted_at: dt.datetime | None = None


@frozen(kw_only=True)
class WorkersGetManyRequest:
    """A page of the workers, by host, then pid; `cursor` is the previous page's
    `next_cursor`."""

    limit: int = page_limit(WORKERS_PAGE, WORKERS_PAGE_MAX)
    cursor: str | None = None


@frozen(kw_only=True)
class WorkersGetManyResponse:
    """A page of workers; `next_cursor` is None on the last page; `lost_after_seconds` is
    the heartbeat timeout past which a silent worker is LOST."""

    workers: tuple[WorkerSummary, ...]
    next_cursor: str | None
    lost_after_seconds: float


@frozen(kw_only=True)
class WorkersGetPoolsResponse:
    """Every pool, by name (pools are few: one per server, or per queue of workers)."""

    pools: tuple[PoolSummary, ...]
    lost_after_seconds: float


@frozen(kw_only=True)
class WorkersDrainRequest:
    """Drain one worker (`worker`: its id, `host:pid`) or one pool (`pool`: its name):
    it finishes the runs it has and takes no more. Name one of them."""

    worker: str | None = None
    pool: str | None = None


@frozen(kw_only=True)
class WorkersDrainResponse:
    """The worker or the pool drained, as shown now (DRAINING until its registrant
    accepted, within a heartbeat interval, and its runs finished); neither when its row
    went meanwhile (the worker exited, or the pool's server stopped)."""

    worker: WorkerSummary | None = None
    pool: PoolSummary | None = None


@frozen(kw_only=True)
class WorkersResumeRequest:
    """Resume a drained (or draining) worker or pool: it takes runs again. Name one."""

    worker: str | None = None
    pool: str | None = None


@frozen(kw_only=True)
class WorkersResumeResponse:
    """The worker or the pool resumed, as shown now; neither when its row went
    meanwhile (the worker exited, or the pool's server stopped)."""

    worker: WorkerSummary | None = None
    pool: PoolSummary | None = None


@frozen(kw_only=True)
class WorkersGetDeployRequest:
    """The deploy lock `lock` (default: this server's `deploy.lock_name`)."""

    lock: str | None = None


@frozen(kw_only=True)
class DeployStatus:
    """A deploy lock: `version` claims (ACTIVE) or waits for the runs of other versions
    (DRAINING, since `draining_since`, until `deadline`); `runs_left` are the active runs
    claimed by other versions, by version ("unknown": claimed before versions were
    recorded); `handed_back` counts the runs handed back at the deadline."""

    lock: str
    version: str
    state: DeployState
    previous_version: str | None
    holder: str
    draining_since: dt.datetime
    deadline: dt.datetime
    active_since: dt.datetime | None
    handed_back: int
    runs_left: dict[str, int]


@frozen(kw_only=True)
class WorkersGetDeployResponse:
    """The lock (None: no server announced a deploy on it), with this server's own
    `deploy` settings: whether it drains and its version."""

    deploy: DeployStatus | None
    drain_enabled: bool
    version: str


class WorkersService:
    """The worker registry, as every server's registrants keep it, and its drains."""

    def __init__(self, context: ServiceContext) -> None:
        self.storage = context.storage
        self.lost_after = context.config.execution.heartbeat_timeout_seconds
        self.deploy = context.config.deploy

    def get_many(self, request: WorkersGetManyRequest) -> WorkersGetManyResponse:
        """Workers by host, then pid, each with its run's job; a worker silent for longer
        than the heartbeat timeout is LOST, one asked to drain DRAINING or DRAINED."""
        limit = check_limit(request)
        after = _position(request.cursor)
        storage = self.storage

        def read() -> tuple[list[WorkerRecord], dict[str, str], list[PoolRecord]]:
            found = storage.list_workers(limit=limit + 1, after=after)
            run_ids = {w.run_id for w in found[:limit] if w.run_id is not None}
            runs = storage.get_runs(run_ids) if run_ids else []
            return found, {run.id: run.job_name for run in runs}, storage.list_pools()

        found, jobs, pools = storage.reading(read)
        page = found[:limit]
        view = _View(self.lost_after, {p.name: p for p in pools})
        next_cursor = None
        if len(found) > limit:
            next_cursor = encode_cursor("workers", page[-1].host, page[-1].pid)
        return WorkersGetManyResponse(
            workers=tuple(view.worker(w, jobs) for w in page),
            next_cursor=next_cursor, lost_after_seconds=self.lost_after)

    def get_pools(self) -> WorkersGetPoolsResponse:
        """Every pool, with its state and the worker rows in it."""
        pools, workers = self.storage.reading(
            lambda: (self.storage.list_pools(), _all_workers(self.storage)))
        view = _View(self.lost_after, {p.name: p for p in pools})
        return WorkersGetPoolsResponse(pools=tuple(view.pool(p, workers) for p in pools),
                                       lost_after_seconds=self.lost_after)

    def drain(self, request: WorkersDrainRequest) -> WorkersDrainResponse:
        """Ask a worker or a pool to drain: it finishes what it runs and takes no more
        (its registrant sees it within a heartbeat interval). Draining a drained one
        again changes nothing."""
        worker, pool = _target(request.worker, request.pool)
        if not self.storage.request_drain(worker_id=worker, pool=pool, at=utcnow()):
            raise _unknown(worker, pool)
        found, shown = self._shown(worker, pool)  # None, None: it exited meanwhile
        return WorkersDrainResponse(worker=found, pool=shown)

    def resume(self, request: WorkersResumeRequest) -> WorkersResumeResponse:
        """End a worker's or a pool's drain: it takes runs again (its registrant sees it
        within a heartbeat interval)."""
        worker, pool = _target(request.worker, request.pool)
        if not self.storage.resume_drain(worker_id=worker, pool=pool):
            raise _unknown(worker, pool)
        found, shown = self._shown(worker, pool)  # None, None: it exited meanwhile
        return WorkersResumeResponse(worker=found, pool=shown)

    def get_deploy(self, request: WorkersGetDeployRequest) -> WorkersGetDeployResponse:
        """The deploy lock, with the active runs other versions still have."""
        name = request.lock or self.deploy.lock_name
        storage = self.storage
        def read() -> tuple[DeployLock | None, list[Run]]:
            lock = storage.get_deploy_lock(name)
            return lock, other_version_runs(storage, lock.version) if lock else []

        lock, runs = storage.reading(read)
        status = None
        if lock is not None:
            left: dict[str, int] = {}
            for run in runs:
                key = run.claimed_version or "unknown"
                left[key] = left.get(key, 0) + 1
            status = _deploy_status(lock, left)
        return WorkersGetDeployResponse(deploy=status, drain_enabled=self.deploy.drain_enabled,
                                        version=self.deploy.effective_version)

    def _shown(self, worker: str | None,
               pool: str | None) -> tuple[WorkerSummary | None, PoolSummary | None]:
        """The worker or pool just changed, as shown now; (None, None) if its row went
        since (a worker exits, or a server stops, at any moment)."""
        storage = self.storage
        pools = {p.name: p for p in storage.list_pools()}
        view = _View(self.lost_after, pools)
        if worker is not None:
            found = storage.get_worker(worker)
            if found is None:
                return None, None
            runs = storage.get_runs([found.run_id]) if found.run_id else []
            return view.worker(found, {r.id: r.job_name for r in runs}), None
        assert pool is not None
        if pool not in pools:
            return None, None
        return None, view.pool(pools[pool], _all_workers(storage))


class _View:
    """Shows rows as of now: LOST when silent past the timeout, and drains."""

    def __init__(self, lost_after: float, pools: dict[str, PoolRecord]) -> None:
        self.lost_before = utcnow() - dt.timedelta(seconds=lost_after)
        self.pools = pools

    def worker(self, worker: WorkerRecord, jobs: dict[str, str]) -> WorkerSummary:
        pool = self.pools.get(worker.pool)
        requested = worker.drain_requested_at or (pool.drain_requested_at if pool else None)
        accepted = worker.drain_accepted_at is not None or (
            pool is not None and pool.drain_accepted_at is not None)
        if worker.heartbeat_at < self.lost_before:
            state = WorkerStatus.LOST
        elif requested is None:
            state = WorkerStatus(WorkerState(worker.state).value)
        else:
            state = WorkerStatus.DRAINED if accepted and not _holds_run(worker) \
                else WorkerStatus.DRAINING
        return WorkerSummary(
            id=worker.id, host=worker.host, pid=worker.pid, executor=worker.executor,
            state=state, run_id=worker.run_id,
            job_name=jobs.get(worker.run_id) if worker.run_id else None,
            started_at=worker.started_at, heartbeat_at=worker.heartbeat_at,
            version=worker.version, pool=worker.pool or None, queues=worker.queues,
            drain_requested_at=requested,
            drained_with_pool=worker.drain_requested_at is None and requested is not None)

    def pool(self, pool: PoolRecord, workers: list[WorkerRecord]) -> PoolSummary:
        members = [w for w in workers if w.pool == pool.name]
        # A worker may hold its run a little longer than its owner counts it (it delivers
        # the run's events before it exits): the larger count is shown.
        running = max(pool.active_runs or 0, sum(
            1 for w in members if _holds_run(w) and w.heartbeat_at >= self.lost_before))
        if pool.heartbeat_at < self.lost_before:
            state = PoolStatus.LOST
        elif pool.drain_requested_at is None:
            state = PoolStatus.ACTIVE
        else:
            state = PoolStatus.DRAINED if pool.drain_accepted_at is not None and not running \
                else PoolStatus.DRAINING
        return PoolSummary(
            name=pool.name, executor=pool.executor, host=pool.host, version=pool.version,
            queues=pool.queues, state=state, active_runs=running, workers=len(members),
            started_at=pool.started_at, heartbeat_at=pool.heartbeat_at,
            drain_requested_at=pool.drain_requested_at,
            drain_accepted_at=pool.drain_accepted_at)


def _holds_run(worker: WorkerRecord) -> bool:
    return worker.run_id is not None and worker.state is not WorkerState.IDLE


def _all_workers(storage: Storage) -> list[WorkerRecord]:
    """Every worker row, page by page (the live workers: few)."""
    found: list[WorkerRecord] = []
    after: WorkerPosition | None = None
    while True:
        page = storage.list_workers(limit=WORKERS_PAGE_MAX, after=after)
        found += page
        if len(page) < WORKERS_PAGE_MAX:
            return found
        after = WorkerPosition(page[-1].host, page[-1].pid)


def _target(worker: str | None, pool: str | None) -> tuple[str | None, str | None]:
    if (worker is None) == (pool is None):
        raise InvalidArgumentError("worker, pool: name one of them (a worker's id, host:pid, "
                                   "or a pool's name; Workers.GetMany and Workers.GetPools "
                                   "list them)")
    return worker, pool


def _unknown(worker: str | None, pool: str | None) -> NotFoundError:
    if worker is not None:
        return NotFoundError(f"worker: no worker {worker!r} in the registry (Workers.GetMany "
                             "lists them; a worker's row goes when it exits)")
    return NotFoundError(f"pool: no pool {pool!r} in the registry (Workers.GetPools lists "
                         "them)")


def _deploy_status(lock: DeployLock, left: dict[str, int]) -> DeployStatus:
    return DeployStatus(
        lock=lock.name, version=lock.version, state=lock.state,
        previous_version=lock.previous_version, holder=lock.holder,
        draining_since=lock.draining_since, deadline=lock.deadline,
        active_since=lock.active_since, handed_back=lock.handed_back, runs_left=left)


def _position(cursor: str | None) -> WorkerPosition | None:
    if cursor is None:
        return None
    host, pid = decode_cursor("workers", cursor, 2)
    if not (isinstance(host, str) and isinstance(pid, int) and not isinstance(pid, bool)):
        raise InvalidArgumentError("cursor: not a cursor of this list")
    return WorkerPosition(host, pid)
