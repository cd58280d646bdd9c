"""SqlStorage: the one SQLAlchemy Core implementation of the Storage protocol.

It is composed of one part per concern (jobs, runs, steps, events, schedules, workers,
queues, assets, dynamic partitions, backfills, retention, deploy locks), each in its own module over
the shared `Transactions`. A backend plugin supplies the engine and a `SqlDialect` (locks, retries,
notifications); it never overrides a query.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, Select
from sqlalchemy.exc import OperationalError

from daggo_core.storage.base import WorkNotifier
from daggo_core.storage.records import ErrorInfo, Event, EventKind, Run, RunStatus, StepRecord
from daggo_core.storage.sql_assets import SqlAssets
from daggo_core.storage.sql_backfills import SqlBackfills
from daggo_core.storage.sql_deploy import SqlDeploy
from daggo_core.storage.sql_dialect import SqlDialect
from daggo_core.storage.sql_events import SqlEvents
from daggo_core.storage.sql_jobs import SqlJobs
from daggo_core.storage.sql_partitions import SqlPartitions
from daggo_core.storage.sql_queues import SqlQueues
from daggo_core.storage.sql_retention import SqlRetention
from daggo_core.storage.sql_runs import SqlRuns
from daggo_core.storage.sql_schedules import SqlSchedules
from daggo_core.storage.sql_steps import SqlSteps
from daggo_core.storage.sql_transactions import Transactions
from daggo_core.storage.sql_workers import SqlWorkers

__all__ = ["SqlStorage"]

logger = logging.getLogger("daggo.storage")

T = TypeVar("T")


class SqlStorage(SqlJobs, SqlRuns, SqlSteps, SqlEvents, SqlSchedules, SqlWorkers, SqlQueues,
                 SqlAssets, SqlPartitions, SqlBackfills, SqlRetention, SqlDeploy):
    """Storage on any SQLAlchemy engine whose dialect supports UPDATE ... RETURNING."""

    def __init__(self, engine: Engine, dialect: SqlDialect | None = None, *,
                 retry_seconds: float = 0.0) -> None:
        """`retry_seconds`: how long a write keeps being retried while the database is
        unreachable or busy (see `Transactions`)."""
        self.engine = engine
        self.dialect = dialect or SqlDialect()
        self._tx = Transactions(engine, self.dialect, retry_seconds=retry_seconds)
        self._candidates: dict[int, Select[tuple[str]]] = {}
        self._walk_after = ""  # where the next claim's walk over partition keys goes on

    def reading(self, fn: Callable[[], T]) -> T:
        """`fn()`, its reads of this storage in one read transaction; `fn` only reads."""
        return self._tx.reading_together("reading", fn)

    def work_notifier(self) -> WorkNotifier | None:
        """The dialect's notifier of work queued or finished anywhere, if it has one."""
        return self.dialect.work_notifier()

    def warm_up(self) -> None:
        """Execute the statements of a run's life once, in a transaction rolled back.

        SQLAlchemy compiles each statement shape on first use (a few ms in all); doing it
        here, before a run is handed over, keeps that cost out of the first run. Call it
        right after opening, before other threads use the storage. Nothing is stored.
        It needs a write transaction: when the database is busy (another process holds
        its write lock), it is skipped, and the first run compiles its statements.
        """
        try:
            with self._tx.rehearsing():
                self._rehearse_a_run()
        except OperationalError as exc:
            if not self.dialect.is_retryable(exc):
                raise
            logger.info("storage warm-up skipped: the database is busy (%s)", exc.orig)

    def _rehearse_a_run(self) -> None:
        # Of a queue item (none is stored): the roll-up's statements are compiled too.
        run = Run(job_name="daggo-warm-up", status=RunStatus.STARTING,
                  queue_item_id="0" * 32)
        event = Event(run_id=run.id, kind=EventKind.LOG, message="warm-up")
        self.add_run(run, [event])
        self.start_run(run.id, [event])
        self.heartbeat(run.id, "warm-up")
        steps = [StepRecord(run_id=run.id, step_key=f"s{i}") for i in range(3)]
        self.record_steps(steps[:1], [], [event])
        self.record_steps(steps[1:], steps[:1], [event, event])
        self.record_steps([], steps[1:], [])
        self.add_events([event])
        error = ErrorInfo(type="WarmUp", message="warm-up")
        for status in (RunStatus.SUCCESS, RunStatus.FAILURE, RunStatus.CANCELED):
            self.set_run_status(run.id, status, events=[event], expected=[RunStatus.STARTED])
            self.set_run_status(run.id, status, error=error, events=[event])

    def close(self) -> None:
        """Release the dialect's resources and dispose of the engine's connection pool."""
        self.dialect.close()
        self.engine.dispose()
