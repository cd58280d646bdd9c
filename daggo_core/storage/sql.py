"""SqlStorage: the one SQLAlchemy Core implementation of the Storage protocol.

Backends (SQLite, PostgreSQL) supply the engine and, where needed, a subclass that
overrides a dialect-specific query. Every call runs in one explicit transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Update,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from daggo_core import serde
from daggo_core.errors import RunNotFoundError, StorageError
from daggo_core.storage.base import ClaimChooser, StepWrites
from daggo_core.storage.bulk import BulkStatement
from daggo_core.storage.records import (
    ACTIVE_RUN_STATUSES,
    TERMINAL_RUN_STATUSES,
    ErrorInfo,
    Event,
    EventKind,
    JobRecord,
    Run,
    RunStatus,
    StepRecord,
    StepStatus,
    utcnow,
)
from daggo_core.storage.schema import events as _events
from daggo_core.storage.schema import jobs as _jobs
from daggo_core.storage.schema import runs as _runs
from daggo_core.storage.schema import steps as _steps
from daggo_core.storage.sql_rows import (
    RUN_COLUMNS,
    cancel_in_transaction,
    columns_of,
    error_from,
    error_value,
    get_run,
    insert_events,
    record_values,
    run_from_row,
    run_values,
)
from daggo_core.storage.sql_schedules import ScheduleSqlMixin

__all__ = ["WRITE_OPTION", "ClaimChooser", "SqlStorage"]

T = TypeVar("T")

#: Execution option set on connections that will write; a backend's "begin" listener may
#: use it to take its write lock up front (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION = "daggo_write"


_JOB_COLUMNS = columns_of(_jobs, JobRecord)
_STEP_COLUMNS = columns_of(_steps, StepRecord)
_EVENT_COLUMNS = columns_of(_events, Event)
_UPDATE_JOB = _jobs.update().where(_jobs.c.name == bindparam("key_name"))
_UPDATE_STEP = _steps.update().where(
    _steps.c.run_id == bindparam("key_run_id"), _steps.c.step_key == bindparam("key_step_key")
)
_NEXT_STEP_SEQ = (
    select(func.coalesce(func.max(_steps.c.seq), 0) + 1)
    .where(_steps.c.run_id == bindparam("seq_run_id"))
    .scalar_subquery()
)
#: The state columns a step row gives, in order (see `_step_state`).
_STEP_STATE = ("status", "attempt", "started_at", "finished_at", "error", "output")
_INSERT_STEPS = BulkStatement(_steps.insert().values(seq=_NEXT_STEP_SEQ),
                              ("run_id", "step_key", *_STEP_STATE, "seq_run_id"))
_UPDATE_STEPS = BulkStatement(_UPDATE_STEP, (*_STEP_STATE, "key_run_id", "key_step_key"))
_SET_WAIT_REASON = _runs.update().where(_runs.c.id == bindparam("key_id"))
_INSERT_RUN = _runs.insert()
_RUNS_BY_ID = (select(*RUN_COLUMNS).where(_runs.c.id.in_(bindparam("ids", expanding=True)))
               .order_by(_runs.c.created_at, _runs.c.id))
_ACTIVE_RUNS = select(*RUN_COLUMNS).where(
    _runs.c.status.in_(sorted(s.value for s in ACTIVE_RUN_STATUSES)))
_CLAIM = (
    update(_runs)
    .where(_runs.c.status == RunStatus.QUEUED.value,
           _runs.c.id.in_(bindparam("ids", expanding=True)))
    .values(status=RunStatus.STARTING.value, heartbeat_at=bindparam("heartbeat_at"),
            wait_reason=None)
    .returning(*RUN_COLUMNS)
)
_HEARTBEAT = (
    update(_runs).where(_runs.c.id == bindparam("key_id"))
    .values(heartbeat_at=bindparam("heartbeat_at"), worker_id=bindparam("worker_id"))
    .returning(*RUN_COLUMNS)
)
_START_RUN = (
    update(_runs)
    .where(_runs.c.id == bindparam("key_id"), _runs.c.status == RunStatus.STARTING.value)
    .values(status=RunStatus.STARTED.value, started_at=bindparam("started_at"))
    .returning(*RUN_COLUMNS)
)


class SqlStorage(ScheduleSqlMixin):
    """Storage on any SQLAlchemy engine whose dialect supports UPDATE ... RETURNING.

    Transactions that fail because the database is locked or busy (SQLite under
    concurrent writers) are retried `write_retries` times with exponential backoff.
    """

    write_retries: int = 5
    retry_backoff_seconds: float = 0.02

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})
        self._warm_up_conn: Connection | None = None
        self._candidates: dict[int, Select[tuple[str]]] = {}

    def warm_up(self) -> None:
        """Execute the statements of a run's life once, in a transaction rolled back.

        SQLAlchemy compiles each statement shape on first use (a few ms in all); doing it
        here, before a run is handed over, keeps that cost out of the first run. Call it
        right after opening, before other threads use the storage. Nothing is stored.
        """
        with self._write_engine.connect() as conn:
            transaction = conn.begin()
            self._warm_up_conn = conn
            try:
                self._rehearse_a_run()
            finally:
                self._warm_up_conn = None
                transaction.rollback()

    def _rehearse_a_run(self) -> None:
        run = Run(job_name="daggo-warm-up", status=RunStatus.STARTING)
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
        """Dispose of the engine's connection pool."""
        self.engine.dispose()

    # -- jobs -----------------------------------------------------------------

    def sync_jobs(self, jobs: Sequence[JobRecord]) -> None:
        """Upsert `jobs` as the active set; jobs missing from it are marked inactive."""
        by_name = {job.name: job for job in jobs}
        now = utcnow()

        def tx(conn: Connection) -> None:
            existing = set(conn.scalars(select(_jobs.c.name)))
            rows = [_job_values(job) for job in by_name.values()]
            updates = [{**row, "key_name": row["name"]} for row in rows if row["name"] in existing]
            inserts = [row for row in rows if row["name"] not in existing]
            if updates:
                conn.execute(_UPDATE_JOB, updates)
            if inserts:
                conn.execute(_jobs.insert(), inserts)
            conn.execute(
                update(_jobs)
                .where(_jobs.c.active.is_(True), _jobs.c.name.not_in(list(by_name)))
                .values(active=False, updated_at=now)
            )

        self._write("sync_jobs", tx)

    def get_job(self, name: str) -> JobRecord | None:
        """Return the job named `name` (active or not), or None."""
        query = select(*_JOB_COLUMNS).where(_jobs.c.name == name)
        row = self._read("get_job", lambda conn: conn.execute(query).one_or_none())
        return None if row is None else _job_from_row(row._mapping)

    def list_jobs(self, *, include_inactive: bool = False) -> list[JobRecord]:
        """Return jobs ordered by name."""
        query = select(*_JOB_COLUMNS).order_by(_jobs.c.name)
        if not include_inactive:
            query = query.where(_jobs.c.active.is_(True))
        rows = self._read("list_jobs", lambda conn: conn.execute(query).all())
        return [_job_from_row(row._mapping) for row in rows]

    # -- runs -----------------------------------------------------------------

    def add_run(self, run: Run, events: Sequence[Event] = ()) -> Run:
        """Insert a new run (and its first events) in one transaction; returns it."""

        def tx(conn: Connection) -> None:
            conn.execute(_INSERT_RUN, run_values(run))
            insert_events(conn, events)

        self._write("add_run", tx)
        return run

    def get_run(self, run_id: str) -> Run:
        """Return the run; raises RunNotFoundError if there is none."""
        return self._read("get_run", lambda conn: get_run(conn, run_id))

    def list_runs(
        self,
        *,
        job_name: str | None = None,
        statuses: Sequence[RunStatus] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Run]:
        """Return runs newest first, optionally filtered by job and status."""
        query = _filter_runs(select(*RUN_COLUMNS), job_name, statuses)
        query = query.order_by(_runs.c.created_at.desc(), _runs.c.id.desc())
        query = query.limit(limit).offset(offset)
        rows = self._read("list_runs", lambda conn: conn.execute(query).all())
        return [run_from_row(row._mapping) for row in rows]

    def count_runs(
        self, *, job_name: str | None = None, statuses: Sequence[RunStatus] | None = None
    ) -> int:
        """Count runs matching the same filters as `list_runs`."""
        query = _filter_runs(select(func.count()).select_from(_runs), job_name, statuses)
        return self._read("count_runs", lambda conn: conn.execute(query).scalar_one())

    def set_run_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        error: ErrorInfo | None = None,
        events: Sequence[Event] = (),
        expected: Collection[RunStatus] | None = None,
        steps: StepWrites | None = None,
    ) -> Run:
        """Move a run to `status` and append `events` in one transaction; returns the run.

        Sets `started_at` on STARTED and `finished_at` on a terminal status; `error`, when
        given, replaces the stored one. With `expected`, the run only moves (and the events
        are only stored) if its current status is one of them; otherwise it is returned
        unchanged. `steps` are stored first, in the same transaction, in any case.
        Raises RunNotFoundError for an unknown run.
        """
        status = RunStatus(status)
        now = utcnow()
        values: dict[str, Any] = {"status": status.value}
        if status == RunStatus.STARTED:
            values["started_at"] = now
        if status in TERMINAL_RUN_STATUSES:
            values["finished_at"] = now
            values["wait_reason"] = None
        if error is not None:
            values["error"] = serde.unstructure(error)
        stmt = _set_status_statement(
            tuple(values), None if expected is None else tuple(
                sorted(RunStatus(e).value for e in expected)))
        params = {"key_id": run_id, **{f"new_{name}": value for name, value in values.items()}}

        def tx(conn: Connection) -> Run:
            if steps is not None:
                _store_steps(conn, steps)
            row = conn.execute(stmt, params).one_or_none()
            if row is None:
                return get_run(conn, run_id)
            insert_events(conn, events)
            return run_from_row(row._mapping)

        return self._write("set_run_status", tx)

    def start_run(self, run_id: str, events: Sequence[Event] = ()) -> Run | None:
        """Move a STARTING run to STARTED (setting `started_at`) and append `events`.

        Returns the started run, or None when the run was not STARTING (another worker
        started it, it was canceled or re-queued): the caller must then not execute it.
        """
        params = {"key_id": run_id, "started_at": utcnow()}

        def tx(conn: Connection) -> Run | None:
            row = conn.execute(_START_RUN, params).one_or_none()
            if row is None:
                get_run(conn, run_id)
                return None
            insert_events(conn, events)
            return run_from_row(row._mapping)

        return self._write("start_run", tx)

    def _claim_candidates(self, limit: int) -> Select[tuple[str]]:
        cached = self._candidates.get(limit)
        if cached is None:
            cached = self._candidates[limit] = self.claim_candidates(limit)
        return cached

    def claim_candidates(self, limit: int) -> Select[tuple[str]]:
        """The query selecting the ids of the runs to claim, oldest first.

        Backends override this to lock the rows, e.g. PostgreSQL's
        `.with_for_update(skip_locked=True)`; the claim stays correct without it.
        """
        return (
            select(_runs.c.id)
            .where(_runs.c.status == RunStatus.QUEUED.value)
            .order_by(_runs.c.created_at, _runs.c.id)
            .limit(limit)
        )

    def lock_claims(self, conn: Connection) -> None:
        """Called first in every claim transaction; a no-op here.

        A backend whose write transactions do not exclude each other (a server database) takes a
        lock here so concurrent claimers decide limits on each other's committed claims.
        """

    def claim_queued_runs(self, limit: int) -> list[Run]:
        """Atomically move up to `limit` oldest QUEUED runs to STARTING and return them."""
        if limit <= 0:
            return []
        return self.claim_runs(lambda queued, running: ([r.id for r in queued[:limit]], {}),
                               scan_limit=limit)

    def claim_runs(self, choose: ClaimChooser, *, scan_limit: int = 500) -> list[Run]:
        """Claim the queued runs `choose` picks, in one write transaction.

        `choose(queued, running)` gets up to `scan_limit` oldest QUEUED runs and every
        STARTING/STARTED run, and returns the ids to claim plus, for runs left queued, why
        they wait (stored as `wait_reason`). Claimed runs move to STARTING with a fresh
        heartbeat and are returned in the order chosen. The UPDATE re-checks the status,
        so a run another claimer took in the meantime is never returned twice.
        """
        candidates = self._claim_candidates(scan_limit)

        def tx(conn: Connection) -> list[Run]:
            self.lock_claims(conn)
            ids = list(conn.scalars(candidates))
            if not ids:
                return []
            queued = [run_from_row(r._mapping)
                      for r in conn.execute(_RUNS_BY_ID, {"ids": ids})]
            running = [run_from_row(r._mapping) for r in conn.execute(_ACTIVE_RUNS)]
            chosen, waiting = choose(queued, running)
            claimed: dict[str, Run] = {}
            if chosen:
                rows = conn.execute(_CLAIM, {"ids": list(chosen), "heartbeat_at": utcnow()})
                claimed = {r.id: r for r in map(run_from_row, (row._mapping for row in rows))}
            changed = [
                {"key_id": run.id, "wait_reason": waiting[run.id]}
                for run in queued if run.id in waiting and waiting[run.id] != run.wait_reason
            ]
            if changed:
                conn.execute(_SET_WAIT_REASON, changed)
            return [claimed[run_id] for run_id in chosen if run_id in claimed]

        return self._write("claim_runs", tx)

    # -- workers and cancellation ---------------------------------------------

    def heartbeat(self, run_id: str, worker_id: str) -> Run:
        """Record that `worker_id` is alive and executing the run; returns the run.

        Callers read `cancel_requested` and `status` from the result. Raises
        RunNotFoundError for an unknown run.
        """
        params = {"key_id": run_id, "heartbeat_at": utcnow(), "worker_id": worker_id}

        def tx(conn: Connection) -> Run:
            row = conn.execute(_HEARTBEAT, params).one_or_none()
            if row is None:
                raise RunNotFoundError(f"no run with id {run_id!r}")
            return run_from_row(row._mapping)

        return self._write("heartbeat", tx)

    def request_cancel(self, run_id: str) -> Run:
        """Cancel a run: a QUEUED one ends CANCELED at once; an active one is flagged.

        A flagged run's worker sees `cancel_requested` on its next heartbeat and stops.
        A finished run is returned unchanged. Raises RunNotFoundError for an unknown run.
        """
        now = utcnow()
        return self._write("request_cancel",
                           lambda conn: cancel_in_transaction(conn, run_id, now))

    def find_stale_runs(self, cutoff: dt.datetime) -> list[Run]:
        """Active runs whose last heartbeat (or claim) is older than `cutoff`, oldest first."""
        query = (
            select(*RUN_COLUMNS)
            .where(_runs.c.status.in_([s.value for s in ACTIVE_RUN_STATUSES]),
                   func.coalesce(_runs.c.heartbeat_at, _runs.c.created_at) < cutoff)
            .order_by(_runs.c.created_at)
        )
        rows = self._read("find_stale_runs", lambda conn: conn.execute(query).all())
        return [run_from_row(row._mapping) for row in rows]

    # -- steps ----------------------------------------------------------------

    def record_step(self, step: StepRecord, events: Sequence[Event] = ()) -> None:
        """Insert or replace the state of one step and append `events`, in one transaction."""
        def tx(conn: Connection) -> None:
            if _UPDATE_STEPS.execute(conn, [_step_update_row(step)]) == 0:
                _INSERT_STEPS.execute(conn, [_step_insert_row(step)])
            insert_events(conn, events)

        self._write("record_step", tx)

    def record_steps(
        self,
        new: Sequence[StepRecord],
        changed: Sequence[StepRecord],
        events: Sequence[Event] = (),
    ) -> None:
        """Insert `new` steps, replace the state of `changed` ones and append `events`.

        One transaction for the whole batch, each part executed as one statement over many
        rows: the writer that owns a run's steps uses it to store many transitions at once.
        """
        writes = StepWrites(new=new, changed=changed, events=events)
        self._write("record_steps", lambda conn: _store_steps(conn, writes))

    def list_steps(self, run_id: str) -> list[StepRecord]:
        """Return the run's steps in the order they were first recorded."""
        query = (
            select(*_STEP_COLUMNS)
            .where(_steps.c.run_id == run_id)
            .order_by(_steps.c.seq, _steps.c.step_key)
        )
        rows = self._read("list_steps", lambda conn: conn.execute(query).all())
        return [_step_from_row(row._mapping) for row in rows]

    # -- events ---------------------------------------------------------------

    def add_events(self, events: Sequence[Event]) -> None:
        """Append events (log lines, transitions) to their runs' event logs."""
        if events:
            self._write("add_events", lambda conn: insert_events(conn, events))

    def list_events(
        self,
        run_id: str,
        *,
        after_id: int = 0,
        limit: int = 1000,
        step_key: str | None = None,
    ) -> list[Event]:
        """Return the run's events with id > `after_id`, oldest first."""
        query = select(*_EVENT_COLUMNS).where(_events.c.run_id == run_id, _events.c.id > after_id)
        if step_key is not None:
            query = query.where(_events.c.step_key == step_key)
        query = query.order_by(_events.c.id).limit(limit)
        rows = self._read("list_events", lambda conn: conn.execute(query).all())
        return [_event_from_row(row._mapping) for row in rows]

    # -- transactions ---------------------------------------------------------

    def _write(self, operation: str, fn: Callable[[Connection], T]) -> T:
        return self._transaction(operation, self._write_engine, fn)

    def _read(self, operation: str, fn: Callable[[Connection], T]) -> T:
        return self._transaction(operation, self.engine, fn)

    def is_retryable(self, exc: OperationalError) -> bool:
        """Whether a failed transaction may simply be run again (it was rolled back):
        here, when the database was locked or busy."""
        return _is_busy(exc)

    def transaction_token(self, conn: Connection) -> object | None:
        """An identifier of the write transaction on `conn`, asked for just before its
        COMMIT; None (the default) when a retry cannot apply anything twice.

        A backend reached over a network returns one if the transaction wrote, so that a
        transaction whose COMMIT failed in transit is looked up (`transaction_committed`)
        instead of run twice.
        """
        return None

    def transaction_committed(self, token: object) -> bool | None:
        """Whether the transaction of `token`, whose COMMIT raised, committed anyway;
        None while that is not known yet (asked again after a backoff)."""
        return False

    def _transaction(self, operation: str, engine: Engine, fn: Callable[[Connection], T]) -> T:
        if self._warm_up_conn is not None:
            return fn(self._warm_up_conn)
        writing = engine is self._write_engine
        attempt = 0
        # (token, result) of an attempt that ran to its COMMIT, which then raised.
        unsure: tuple[object, T] | None = None
        while True:
            try:
                if unsure is not None:
                    committed = self.transaction_committed(unsure[0])
                    if committed:
                        return unsure[1]
                    if committed is None:
                        raise _NotKnownYet
                    unsure = None
                with engine.begin() as conn:
                    result = fn(conn)
                    token = self.transaction_token(conn) if writing else None
                    unsure = None if token is None else (token, result)
                return result
            except (OperationalError, _NotKnownYet) as exc:
                if attempt < self.write_retries and (
                    isinstance(exc, _NotKnownYet) or self.is_retryable(exc)
                ):
                    time.sleep(self.retry_backoff_seconds * 2**attempt)
                    attempt += 1
                    continue
                if isinstance(exc, _NotKnownYet):
                    raise StorageError(f"{operation}: the database did not say whether the "
                                       "transaction committed") from None
                raise _storage_error(operation, exc) from exc
            except SQLAlchemyError as exc:
                raise _storage_error(operation, exc) from exc


class _NotKnownYet(Exception):
    """Whether a transaction committed is not known yet."""


def _is_busy(exc: OperationalError) -> bool:
    message = str(exc.orig).lower()
    return "locked" in message or "busy" in message


def _storage_error(operation: str, exc: SQLAlchemyError) -> StorageError:
    # The driver's message without SQLAlchemy's rendering of the statement and parameters.
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    return StorageError(f"{operation} failed: {type(cause).__name__}: {cause}")


@functools.cache
def _set_status_statement(columns: tuple[str, ...],
                          expected: tuple[str, ...] | None) -> Update:
    """The UPDATE of `set_run_status` setting `columns` (bound as `new_<column>`), built
    once per shape: building and hashing a statement costs more than running it."""
    where = [_runs.c.id == bindparam("key_id")]
    if expected is not None:
        where.append(_runs.c.status.in_(expected))
    return (update(_runs).where(*where)
            .values({name: bindparam(f"new_{name}") for name in columns})
            .returning(*RUN_COLUMNS))


def _filter_runs(
    query: Select[Any], job_name: str | None, statuses: Sequence[RunStatus] | None
) -> Select[Any]:
    if job_name is not None:
        query = query.where(_runs.c.job_name == job_name)
    if statuses is not None:
        query = query.where(_runs.c.status.in_([RunStatus(s).value for s in statuses]))
    return query


def _job_values(job: JobRecord) -> dict[str, Any]:
    return {**record_values(job), "active": True}


def _job_from_row(row: Mapping[str, Any]) -> JobRecord:
    return JobRecord(**{**row, "active": bool(row["active"])})


def _store_steps(conn: Connection, writes: StepWrites) -> None:
    """Insert the new steps, update the changed ones, append the events: one statement
    each."""
    _INSERT_STEPS.execute(conn, [_step_insert_row(step) for step in writes.new])
    _UPDATE_STEPS.execute(conn, [_step_update_row(step) for step in writes.changed])
    insert_events(conn, writes.events)


def _step_state(step: StepRecord) -> tuple[Any, ...]:
    """The step's fields named by `_STEP_STATE`, as stored."""
    return (StepStatus(step.status).value, step.attempt, step.started_at, step.finished_at,
            error_value(step.error), step.output)


def _step_insert_row(step: StepRecord) -> tuple[Any, ...]:
    """The values of `_INSERT_STEPS`: the step's key, its state and its run again (seq)."""
    return (step.run_id, step.step_key, *_step_state(step), step.run_id)


def _step_update_row(step: StepRecord) -> tuple[Any, ...]:
    """The values of `_UPDATE_STEPS`: the step's state, then its key."""
    return (*_step_state(step), step.run_id, step.step_key)


def _step_from_row(row: Mapping[str, Any]) -> StepRecord:
    status, error = StepStatus(row["status"]), error_from(row["error"])
    return StepRecord(**{**row, "status": status, "error": error})


def _event_from_row(row: Mapping[str, Any]) -> Event:
    return Event(**{**row, "kind": EventKind(row["kind"])})
