"""Workers: the executors' worker processes, read from the registry every process shares.

Executors keep a row per worker (its host and pid, what it does, its last heartbeat);
this service lists them for the RPC and the admin's Workers page, with the job of each
one's run. A worker silent for longer than `execution.heartbeat_timeout_seconds` is
shown LOST: nothing vouched for it since (its executor's server died, or the process was
lost with its machine), decided when read, never stored.
"""

from __future__ import annotations

import datetime as dt
import enum

from attrs import frozen

from daggo_core.errors import InvalidArgumentError
from daggo_core.services.context import ServiceContext
from daggo_core.services.cursors import decode_cursor, encode_cursor
from daggo_core.services.paging import check_limit, page_limit
from daggo_core.storage.base import WorkerPosition
from daggo_core.storage.records import WorkerRecord, WorkerState, utcnow

__all__ = [
    "WORKERS_PAGE",
    "WORKERS_PAGE_MAX",
    "WorkerStatus",
    "WorkerSummary",
    "WorkersGetManyRequest",
    "WorkersGetManyResponse",
    "WorkersService",
]

#: Page sizes of worker lists: the default and the most one request may ask for.
WORKERS_PAGE, WORKERS_PAGE_MAX = 100, 1000


class WorkerStatus(enum.StrEnum):
    """A worker's state as shown: what its executor stored, or LOST."""

    #: Started, importing the app (it may have been handed a run already).
    STARTING = "STARTING"
    #: Warm, waiting for a run.
    IDLE = "IDLE"
    #: Executing its run.
    RUNNING = "RUNNING"
    #: Silent for longer than the heartbeat timeout: nothing vouches for it any more.
    LOST = "LOST"


@frozen(kw_only=True)
class WorkerSummary:
    """One worker process: `id` is the `host:pid` its runs record as their worker;
    `run_id` and `job_name` are those of the run it executes (or last executed, when
    LOST); `version` is daggo's version in it."""

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


class WorkersService:
    """The worker registry, as the executors of every server keep it."""

    def __init__(self, context: ServiceContext) -> None:
        self.storage = context.storage
        self.lost_after = context.config.execution.heartbeat_timeout_seconds

    def get_many(self, request: WorkersGetManyRequest) -> WorkersGetManyResponse:
        """Workers by host, then pid, each with its run's job; a worker silent for longer
        than the heartbeat timeout is LOST."""
        limit = check_limit(request)
        after = _position(request.cursor)
        storage = self.storage

        def read() -> tuple[list[WorkerRecord], dict[str, str]]:
            found = storage.list_workers(limit=limit + 1, after=after)
            run_ids = {w.run_id for w in found[:limit] if w.run_id is not None}
            runs = storage.get_runs(run_ids) if run_ids else []
            return found, {run.id: run.job_name for run in runs}

        found, jobs = storage.reading(read)
        page = found[:limit]
        lost_before = utcnow() - dt.timedelta(seconds=self.lost_after)
        next_cursor = None
        if len(found) > limit:
            next_cursor = encode_cursor("workers", page[-1].host, page[-1].pid)
        return WorkersGetManyResponse(
            workers=tuple(_summary(w, jobs, lost_before) for w in page),
            next_cursor=next_cursor, lost_after_seconds=self.lost_after)


def _position(cursor: str | None) -> WorkerPosition | None:
    if cursor is None:
        return None
    host, pid = decode_cursor("workers", cursor, 2)
    if not (isinstance(host, str) and isinstance(pid, int) and not isinstance(pid, bool)):
        raise InvalidArgumentError("cursor: not a cursor of this list")
    return WorkerPosition(host, pid)


def _summary(worker: WorkerRecord, jobs: dict[str, str],
             lost_before: dt.datetime) -> WorkerSummary:
    state = (WorkerStatus.LOST if worker.heartbeat_at < lost_before
             else WorkerStatus(WorkerState(worker.state).value))
    return WorkerSummary(
        id=worker.id, host=worker.host, pid=worker.pid, executor=worker.executor,
        state=state, run_id=worker.run_id,
        job_name=jobs.get(worker.run_id) if worker.run_id else None,
        started_at=worker.started_at, heartbeat_at=worker.heartbeat_at,
        version=worker.version)
