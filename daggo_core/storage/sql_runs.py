"""Runs on SQL: their lifecycle, claims within the concurrency limits, and keyset lists."""

from __future__ import annotations

import datetime as dt
import functools
import re
import typing
from collections.abc import Collection, Sequence
from typing import Any

import attrs
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Select,
    String,
    Update,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    type_coerce,
    union_all,
    update,
)

from daggo_core import serde
from daggo_core.storage.base import ClaimChooser, Fence, RunFilter, RunPosition, StepWrites
from daggo_core.storage.records import (
    ACTIVE_RUN_STATUSES,
    TERMINAL_RUN_STATUSES,
    ErrorInfo,
    Event,
    EventKind,
    Run,
    RunBar,
    RunStatus,
    StepStatus,
    utcnow,
)
from daggo_core.storage.schema import UTCDateTime
from daggo_core.storage.schema import run_tags as _run_tags
from daggo_core.storage.schema import runs as _runs
from daggo_core.storage.schema import workers as _workers
from daggo_core.storage.sql_assets import settle_running_partitions
from daggo_core.storage.sql_deploy import claims_allowed
from daggo_core.storage.sql_dialect import LockArea, SqlDialect
from daggo_core.storage.sql_queues import roll_up_items
from daggo_core.storage.sql_rows import (
    RUN_COLUMNS,
    cancel_in_transaction,
    get_run,
    insert_events,
    insert_runs,
    run_from_row,
)
from daggo_core.storage.sql_steps import list_steps, store_steps
from daggo_core.storage.sql_transactions import Transactions

__all__ = ["SqlRuns"]

_SET_WAIT_REASON = _runs.update().where(_runs.c.id == bindparam("key_id"))
_RUNS_BY_ID = (select(*RUN_COLUMNS).where(_runs.c.id.in_(bindparam("ids", expanding=True)))
               .order_by(_runs.c.created_at, _runs.c.id))
_QUEUED = _runs.c.status == RunStatus.QUEUED.value


def _oldest_queued(*where: ColumnElement[bool]) -> Select[tuple[str]]:
    return (select(_runs.c.id).where(_QUEUED, *where)
            .order_by(_runs.c.created_at, _runs.c.id).limit(1))


def _partition_walk() -> Select[Any]:
    """Each partition key after `after` that has QUEUED runs (up to `keys` of them, in
    order) with its oldest QUEUED run's id: a walk over the keys through the
    (status, partition_key, created_at) index, a look-up per key, whatever is queued
    before it."""
    walk = (select(func.min(_runs.c.partition_key).label("key"))
            .where(_QUEUED, _runs.c.partition_key > bindparam("after"))
            .cte("queued_partition_keys", recursive=True))
    following = (select(func.min(_runs.c.partition_key))
                 .where(_QUEUED, _runs.c.partition_key > walk.c.key).scalar_subquery())
    walk = walk.union_all(select(following).where(walk.c.key.is_not(None)))
    return (select(walk.c.key, _oldest_queued(_runs.c.partition_key == walk.c.key)
                   .scalar_subquery())
            .where(walk.c.key.is_not(None)).limit(bindparam("keys")))


_PARTITION_WALK = _partition_walk()
_OLDEST_WITHOUT_PARTITION = _oldest_queued(_runs.c.partition_key.is_(None))
#: What `SqlDialect.epoch_ms` counts from.
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MS = dt.timedelta(milliseconds=1)
_UNFINISHED_VALUES = sorted(s.value for s in {RunStatus.QUEUED, *ACTIVE_RUN_STATUSES})
_ACTIVE_RUNS = select(*RUN_COLUMNS).where(
    _runs.c.status.in_(sorted(s.value for s in ACTIVE_RUN_STATUSES)))
_CLAIM = (
    update(_runs)
    .where(_runs.c.status == RunStatus.QUEUED.value,
           _runs.c.id.in_(bindparam("ids", expanding=True)))
    # A new attempt, recorded to its claimer until the executor records the worker it
    # hands the run to.
    .values(status=RunStatus.STARTING.value, heartbeat_at=bindparam("heartbeat_at"),
            wait_reason=None, worker_id=bindparam("claimer"), attempt=_runs.c.attempt + 1,
            claimed_version=bindparam("version"))
    .returning(*RUN_COLUMNS)
)
_ACTIVE_VALUES = sorted(s.value for s in ACTIVE_RUN_STATUSES)
_HEARTBEAT = (
    update(_runs).where(_runs.c.id == bindparam("key_id"), _runs.c.status.in_(_ACTIVE_VALUES))
    .values(heartbeat_at=bindparam("heartbeat_at"), worker_id=bindparam("worker_id"))
    .returning(*RUN_COLUMNS)
)
_FENCED_HEARTBEAT = _HEARTBEAT.where(_runs.c.attempt == bindparam("key_attempt"))
# A worker heartbeating its run keeps its registry row alive too, also once the executor
# that started it (and kept the row) is gone.
_HEARTBEAT_WORKER = (update(_workers).where(_workers.c.id == bindparam("key_id"))
                     .values(heartbeat_at=bindparam("heartbeat_at")))
_KEEP_CLAIM = (
    update(_runs)
    .where(_runs.c.id == bindparam("key_id"), _runs.c.status == RunStatus.STARTING.value,
           _runs.c.attempt == bindparam("key_attempt"),
           _runs.c.worker_id == bindparam("key_worker"))
    .values(heartbeat_at=bindparam("heartbeat_at"))
)
_START_RUN = (
    update(_runs)
    .where(_runs.c.id == bindparam("key_id"), _runs.c.status == RunStatus.STARTING.value)
    .values(status=RunStatus.STARTED.value, started_at=bindparam("started_at"))
    .returning(*RUN_COLUMNS)
)
_FENCED_START_RUN = _START_RUN.where(_runs.c.attempt == bindparam("key_attempt"))
# The lost attempt's run, row-locked where the database has row locks, so that its steps
# are read and closed before any fenced write of its worker can land.
_LOCK_ATTEMPT = (select(*RUN_COLUMNS)
                 .where(_runs.c.id == bindparam("key_id"),
                        _runs.c.attempt == bindparam("key_attempt"),
                        _runs.c.status.in_(_ACTIVE_VALUES))
                 .with_for_update())
_STALE_RUNS = (
    select(*RUN_COLUMNS)
    .where(_runs.c.status.in_(sorted(s.value for s in ACTIVE_RUN_STATUSES)),
           func.coalesce(_runs.c.heartbeat_at, _runs.c.created_at) < bindparam("cutoff"))
    .order_by(_runs.c.created_at)
)
_ALL_RUNS = RunFilter()
#: How long settling a lost attempt or claiming waits for a row or advisory lock before
#: failing (the monitor and coordinator try again on their next pass).
_SETTLE_LOCK_WAIT_SECONDS = 10.0
_NEWEST_FIRST = (_runs.c.created_at.desc(), _runs.c.id.desc())
#: Statuses after which a coordinator may have work: a run to claim or a slot freed.
_WAKING_STATUSES = frozenset({RunStatus.QUEUED, *TERMINAL_RUN_STATUSES})
RUN_ID_LENGTH = 32
_HEX = re.compile(r"[0-9a-f]+")
_HEX_DIGITS = "0123456789abcdef"


class SqlRuns:
    """The `RunStorage` part of SqlStorage."""

    _tx: Transactions
    _candidates: dict[int, Select[tuple[str]]]
    _walk_after: str

    def add_run(self, run: Run, events: Sequence[Event] = ()) -> Run:
        """Insert a new run (with its tags) and its first events in one transaction."""

        def tx(conn: Connection) -> None:
            insert_runs(conn, [run])
            insert_events(conn, events)
            roll_up_items(conn, [run])

        self._tx.write("add_run", tx, announce=run.status in _WAKING_STATUSES)
        return run

    def get_run(self, run_id: str) -> Run:
        """Return the run; raises RunNotFoundError if there is none."""
        return self._tx.read("get_run", lambda conn: get_run(conn, run_id))

    def get_runs(self, run_ids: Collection[str]) -> list[Run]:
        """The runs of `run_ids` that exist (one query), in no particular order."""
        if not run_ids:
            return []
        rows = self._tx.read("get_runs", lambda conn: conn.execute(
            _RUNS_BY_ID, {"ids": list(run_ids)}).all())
        return [run_from_row(row._mapping) for row in rows]

    def find_run_ids(self, prefix: str, *, limit: int = 2) -> list[str]:
        """Ids of up to `limit` runs whose id starts with `prefix`, in id order."""
        query = select(_runs.c.id).order_by(_runs.c.id).limit(limit)
        if len(prefix) == RUN_ID_LENGTH:
            query = query.where(_runs.c.id == prefix)
        elif _HEX.fullmatch(prefix):
            # A range of the primary key's index; hex digits sort alike under every
            # collation, where a bound such as "ab1:" would not.
            query = query.where(_runs.c.id >= prefix)
            end = _hex_successor(prefix)
            if end is not None:
                query = query.where(_runs.c.id < end)
        elif prefix:
            query = query.where(func.substr(_runs.c.id, 1, len(prefix)) == prefix)
        return list(self._tx.read("find_run_ids", lambda conn: conn.scalars(query).all()))

    def list_runs(self, where: RunFilter | None = None, *, limit: int = 50,
                  after: RunPosition | None = None) -> list[Run]:
        """Runs matching `where` (all runs if None), newest first, from just after `after`."""
        conditions = _conditions(where or _ALL_RUNS)
        if after is not None:
            conditions.append(or_(_runs.c.created_at < after.created_at,
                                  and_(_runs.c.created_at == after.created_at,
                                       _runs.c.id < after.id)))
        query = select(*RUN_COLUMNS).where(*conditions).order_by(*_NEWEST_FIRST).limit(limit)
        rows = self._tx.read("list_runs", lambda conn: conn.execute(query).all())
        return [run_from_row(row._mapping) for row in rows]

    def list_run_bars(self, start: dt.datetime, end: dt.datetime, *,
                      created_after: dt.datetime, gap: dt.timedelta, now: dt.datetime,
                      job_name: str | None = None) -> list[RunBar]:
        """One query: the window's runs (a range of the `created_at` index, and the
        unfinished runs created before it through the status index) counted by job, slot and
        status, and the slots merged into bars by window functions (`_RunBarQuery`)."""
        query = _RunBarQuery(self._tx.dialect, start, end, now,
                             max(1, int(gap / dt.timedelta(milliseconds=1))))
        job = () if job_name is None else (_runs.c.job_name == job_name,)
        spans = union_all(
            query.spans(*job, _runs.c.created_at >= created_after, _runs.c.created_at < end,
                        or_(_runs.c.finished_at.is_(None), _runs.c.finished_at >= start)),
            query.spans(*job, _runs.c.status.in_(_UNFINISHED_VALUES),
                        _runs.c.created_at < min(created_after, end)))
        rows = self._tx.read("list_run_bars",
                             lambda conn: conn.execute(query.bars(spans)).all())

        def moment(ms: int) -> dt.datetime:  # the window's own bounds where cut to them
            at = _EPOCH + dt.timedelta(milliseconds=int(ms))
            return start if abs(at - start) < _MS else end if abs(at - end) < _MS else at

        by_bar: dict[tuple[str, int], list[Any]] = {}
        for row in rows:
            by_bar.setdefault((row[0], row[1]), []).append(row)
        bars = []
        for (job_name_, _), parts in by_bar.items():
            begin = moment(min(part[4] for part in parts))
            runs = sum(int(part[3]) for part in parts)
            bars.append(RunBar(
                job_name=job_name_, begin=begin,
                finish=max(begin, moment(max(part[5] for part in parts))),
                counts={RunStatus(part[2]): int(part[3]) for part in parts},
                first_created=_stored_time(min(part[6] for part in parts)),
                last_created=_stored_time(max(part[7] for part in parts)),
                run_id=parts[0][8] if runs == 1 else None))
        bars.sort(key=lambda bar: (bar.job_name, bar.begin))
        return bars

    def count_runs(self, where: RunFilter | None = None) -> int:
        """How many runs match `where`."""
        query = select(func.count()).select_from(_runs).where(*_conditions(where or _ALL_RUNS))
        return int(self._tx.read("count_runs", lambda conn: conn.execute(query).scalar_one()))

    def count_runs_by_job_status(
            self, where: RunFilter | None = None) -> dict[tuple[str, RunStatus], int]:
        """How many runs match `where`, by (job name, status): one GROUP BY."""
        query = (select(_runs.c.job_name, _runs.c.status, func.count())
                 .where(*_conditions(where or _ALL_RUNS))
                 .group_by(_runs.c.job_name, _runs.c.status))
        rows = self._tx.read("count_runs_by_job_status", lambda conn: conn.execute(query).all())
        return {(job, RunStatus(status)): int(count) for job, status, count in rows}

    def set_run_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        error: ErrorInfo | None = None,
        events: Sequence[Event] = (),
        expected: Collection[RunStatus] | None = None,
        steps: StepWrites | None = None,
        attempt: int | None = None,
    ) -> Run:
        """Move a run to `status` and append `events` in one transaction; returns the run.

        Sets `started_at` on STARTED and `finished_at` on a terminal status; `error`, when
        given, replaces the stored one. With `expected`, the run only moves (and the events
        are only stored) if its current status is one of them, and with `attempt` only if
        it is in that attempt; otherwise it is returned unchanged. `steps` are stored in
        the same transaction when the run moves. Raises RunNotFoundError for an unknown run.
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
                sorted(RunStatus(e).value for e in expected)), attempt is not None)
        params = {"key_id": run_id, "key_attempt": attempt,
                  **{f"new_{name}": value for name, value in values.items()}}

        def tx(conn: Connection) -> Run:
            row = conn.execute(stmt, params).one_or_none()
            if row is None:
                return get_run(conn, run_id)
            if steps is not None:  # their events before the run's own
                store_steps(conn, steps, self._tx.dialect)
            insert_events(conn, events)
            run = run_from_row(row._mapping)
            roll_up_items(conn, [run])
            return run

        return self._tx.write("set_run_status", tx, announce=status in _WAKING_STATUSES)

    def start_run(self, run_id: str, events: Sequence[Event] = (), *,
                  attempt: int | None = None) -> Run | None:
        """Move a STARTING run to STARTED (setting `started_at`) and append `events`.

        Returns the started run, or None when the run was not STARTING (in `attempt`, if
        given: another worker started it, it was canceled, re-queued or claimed again):
        the caller must then not execute it.
        """
        params = {"key_id": run_id, "started_at": utcnow(), "key_attempt": attempt}
        stmt = _START_RUN if attempt is None else _FENCED_START_RUN

        def tx(conn: Connection) -> Run | None:
            row = conn.execute(stmt, params).one_or_none()
            if row is None:
                get_run(conn, run_id)
                return None
            insert_events(conn, events)
            run = run_from_row(row._mapping)
            roll_up_items(conn, [run])
            return run

        return self._tx.write("start_run", tx)

    def claim_runs(self, choose: ClaimChooser, *, scan_limit: int = 500,
                   key_scan_limit: int = 1000, claimer: str | None = None,
                   version: str | None = None, deploy_lock: str | None = None) -> list[Run]:
        """Claim the queued runs `choose` picks, in one write transaction.

        `choose(queued, running)` gets up to `scan_limit` oldest QUEUED runs (when there
        are more, also the oldest of up to `key_scan_limit` partition keys, each key in
        turn over successive claims, and of the runs without one: a backlog of one key
        does not keep the others' oldest runs from being considered) and every
        STARTING/STARTED run, and returns the ids to claim plus, for runs left queued, why
        they wait (stored as `wait_reason`). Claimed runs move to STARTING in a new
        attempt with a fresh heartbeat, recorded to `claimer` (the claiming process's
        worker id, so that a claim whose process died is seen at once), each with a
        RUN_STARTING event, and are returned in the order chosen. The UPDATE re-checks
        the status,
        so a run another claimer took in the meantime is never returned twice. Claimed
        runs record `version` as their `claimed_version`; with `deploy_lock`, nothing is
        claimed unless that deploy lock is absent or ACTIVE for `version` (read under the
        claims' lock, which deploy locks change under too).
        """
        candidates = self._claim_candidates(scan_limit)
        dialect = self._tx.dialect

        def tx(conn: Connection) -> list[Run]:
            dialect.limit_lock_wait(conn, _SETTLE_LOCK_WAIT_SECONDS)
            dialect.lock(conn, LockArea.CLAIMS)
            if deploy_lock is not None and not claims_allowed(conn, deploy_lock, version):
                return []
            ids: list[str] = list(conn.scalars(candidates))
            if not ids:
                return []
            if len(ids) == scan_limit:  # a full window: other keys' runs may lie beyond
                ids += self._beyond_window(conn, set(ids), key_scan_limit)
            queued = [run_from_row(r._mapping)
                      for r in conn.execute(_RUNS_BY_ID, {"ids": ids})]
            running = [run_from_row(r._mapping) for r in conn.execute(_ACTIVE_RUNS)]
            chosen, waiting = choose(queued, running)
            claimed: dict[str, Run] = {}
            if chosen:
                rows = conn.execute(_CLAIM, {"ids": list(chosen), "heartbeat_at": utcnow(),
                                             "claimer": claimer, "version": version})
                claimed = {run.id: run for run in (run_from_row(row._mapping) for row in rows)}
                insert_events(conn, [_starting_event(run, claimer) for run in claimed.values()])
                roll_up_items(conn, claimed.values())
            changed = [
                {"key_id": run.id, "wait_reason": waiting[run.id]}
                for run in queued if run.id in waiting and waiting[run.id] != run.wait_reason
            ]
            if changed:
                conn.execute(_SET_WAIT_REASON, changed)
            return [claimed[run_id] for run_id in chosen if run_id in claimed]

        return self._tx.write("claim_runs", tx)

    def _beyond_window(self, conn: Connection, scanned: set[str],
                       key_limit: int) -> list[str]:
        """The oldest QUEUED run of up to `key_limit` partition keys, going on after the
        last key of the previous call (so that every key comes round), and of the runs
        without one; those not `scanned` already."""
        walked = conn.execute(_PARTITION_WALK, {"after": self._walk_after,
                                                "keys": key_limit}).all()
        self._walk_after = str(walked[-1][0]) if len(walked) == key_limit else ""
        found: list[str] = [row[1] for row in walked]
        found.extend(conn.scalars(_OLDEST_WITHOUT_PARTITION))
        return [run_id for run_id in found if run_id not in scanned]

    def _claim_candidates(self, limit: int) -> Select[tuple[str]]:
        cached = self._candidates.get(limit)
        if cached is None:
            cached = self._candidates[limit] = self._tx.dialect.claim_candidates(
                select(_runs.c.id)
                .where(_runs.c.status == RunStatus.QUEUED.value)
                .order_by(_runs.c.created_at, _runs.c.id)
                .limit(limit)
            )
        return cached

    def heartbeat(self, run_id: str, worker_id: str, *, attempt: int | None = None) -> Run:
        """Record that `worker_id` is alive and executing the run; returns the run.

        Only an active run (in `attempt`, when given) is changed: a queued or finished
        one, or one claimed again, is returned as it is (a worker's `Heartbeat` then stops
        it). Callers read `cancel_requested`, `status` and `attempt` from the result.
        A changed run's worker row, if it has one, gets the same `heartbeat_at`. Raises
        RunNotFoundError for an unknown run.
        """
        params = {"key_id": run_id, "heartbeat_at": utcnow(), "worker_id": worker_id,
                  "key_attempt": attempt}
        stmt = _HEARTBEAT if attempt is None else _FENCED_HEARTBEAT

        def tx(conn: Connection) -> Run:
            row = conn.execute(stmt, params).one_or_none()
            if row is None:
                return get_run(conn, run_id)
            conn.execute(_HEARTBEAT_WORKER, {"key_id": worker_id,
                                             "heartbeat_at": params["heartbeat_at"]})
            return run_from_row(row._mapping)

        return self._tx.write("heartbeat", tx)

    def keep_claim(self, fence: Fence, claimer: str) -> bool:
        """Refresh the heartbeat of a run handed to a remote worker that has not taken it
        yet: only while it is STARTING in attempt `fence`, recorded to `claimer`. Whether
        it was refreshed."""
        params = {"key_id": fence.run_id, "key_attempt": fence.attempt,
                  "key_worker": claimer, "heartbeat_at": utcnow()}
        return bool(self._tx.write("keep_claim", lambda conn: conn.execute(
            _KEEP_CLAIM, params).rowcount))

    def request_cancel(self, run_id: str) -> Run:
        """Cancel a run: a QUEUED one ends CANCELED at once; an active one is flagged.

        A flagged run's worker sees `cancel_requested` on its next heartbeat and stops.
        A finished run is returned unchanged. Raises RunNotFoundError for an unknown run.
        """
        now = utcnow()
        # Coordinators hear of it only when it ended a queued run (their counts changed).
        def tx(conn: Connection) -> tuple[Run, bool]:
            outcome = cancel_in_transaction(conn, run_id, now)
            roll_up_items(conn, [outcome[0]])
            return outcome

        run, _ = self._tx.write("request_cancel", tx, announce=lambda outcome: outcome[1])
        return run

    def end_attempt(self, fence: Fence, status: RunStatus, *, error: ErrorInfo | None,
                    events: Sequence[Event], step_status: StepStatus, step_message: str,
                    stale_before: dt.datetime | None = None,
                    retry: tuple[Run, Sequence[Event]] | None = None) -> tuple[Run, bool]:
        """End the attempt `fence` of a run whose worker is gone, in one transaction.

        Only while the run is active in that attempt (and its heartbeat is older than
        `stale_before`, if given): RUNNING and PENDING steps end `step_status` with
        `error` and an event each, then the run moves to `status` with `events`, and
        `retry` (a new run and its first events), if given, is added. Returns the run as
        stored and whether this call ended it.
        """
        now = utcnow()
        kind = (EventKind.STEP_FAILURE if step_status is StepStatus.FAILURE
                else EventKind.STEP_CANCELED)

        def tx(conn: Connection) -> tuple[Run, bool]:
            self._tx.dialect.limit_lock_wait(conn, _SETTLE_LOCK_WAIT_SECONDS)
            row = conn.execute(_LOCK_ATTEMPT, {"key_id": fence.run_id,
                                               "key_attempt": fence.attempt}).one_or_none()
            if row is None:
                return get_run(conn, fence.run_id), False
            run = run_from_row(row._mapping)
            if (stale_before is not None and run.heartbeat_at is not None
                    and run.heartbeat_at >= stale_before):
                return run, False  # its worker heartbeated meanwhile: it was only slow
            open_steps = [step for step in list_steps(conn, fence.run_id)
                          if step.status in (StepStatus.RUNNING, StepStatus.PENDING)]
            store_steps(conn, StepWrites(
                changed=[attrs.evolve(step, status=step_status, finished_at=now, error=error)
                         for step in open_steps],
                events=[Event(run_id=fence.run_id, kind=kind, step_key=step.step_key,
                              timestamp=now, level="ERROR" if error else "INFO",
                              message=f"{step_message} ({step.step_key})")
                        for step in open_steps]), self._tx.dialect)
            if open_steps:  # the partitions its steps were making are not, after all
                settle_running_partitions(conn, fence.run_id, step_status, now)
            values: dict[str, Any] = {"status": status.value, "finished_at": now,
                                      "wait_reason": None}
            if error is not None:
                values["error"] = serde.unstructure(error)
            ended = conn.execute(update(_runs).where(_runs.c.id == fence.run_id)
                                 .values(values).returning(*RUN_COLUMNS)).one()
            insert_events(conn, events)
            run = run_from_row(ended._mapping)
            if retry is not None:
                insert_runs(conn, [retry[0]])
                insert_events(conn, retry[1])
            roll_up_items(conn, [run] if retry is None else [run, retry[0]])
            return run, True

        return self._tx.write("end_attempt", tx, announce=lambda outcome: outcome[1])

    def find_stale_runs(self, cutoff: dt.datetime) -> list[Run]:
        """Active runs whose last heartbeat (or claim) is older than `cutoff`, oldest first."""
        rows = self._tx.read("find_stale_runs",
                             lambda conn: conn.execute(_STALE_RUNS, {"cutoff": cutoff}).all())
        return [run_from_row(row._mapping) for row in rows]


@functools.cache
def _set_status_statement(columns: tuple[str, ...], expected: tuple[str, ...] | None,
                          fenced: bool) -> Update:
    """The UPDATE of `set_run_status` setting `columns` (bound as `new_<column>`), built
    once per shape: building and hashing a statement costs more than running it."""
    where = [_runs.c.id == bindparam("key_id")]
    if expected is not None:
        where.append(_runs.c.status.in_(expected))
    if fenced:
        where.append(_runs.c.attempt == bindparam("key_attempt"))
    return (update(_runs).where(*where)
            .values({name: bindparam(f"new_{name}") for name in columns})
            .returning(*RUN_COLUMNS))


def _conditions(where: RunFilter) -> list[ColumnElement[bool]]:
    """The WHERE clauses of `where`, each served by an index of `runs` or `run_tags`."""
    conditions: list[ColumnElement[bool]] = []
    if where.job_name is not None:
        conditions.append(_runs.c.job_name == where.job_name)
    if where.statuses is not None:
        conditions.append(_runs.c.status.in_([RunStatus(s).value for s in where.statuses]))
    if where.triggers is not None:
        conditions.append(_runs.c.trigger.in_([t.value for t in where.triggers]))
    for key, value in sorted(where.tags.items()):
        conditions.append(select(_run_tags.c.run_id).where(
            _run_tags.c.run_id == _runs.c.id, _run_tags.c.key == key,
            _run_tags.c.value == value).exists())
    if where.backfill_id is not None:
        conditions.append(_runs.c.backfill_id == where.backfill_id)
    if where.created_after is not None:
        conditions.append(_runs.c.created_at >= where.created_after)
    if where.created_before is not None:
        conditions.append(_runs.c.created_at < where.created_before)
    return conditions


class _RunBarQuery:
    """The SQL of `list_run_bars`: spans in milliseconds (cut to the window), counted by
    job, slot and status, then merged into bars. A slot opens a new bar when it begins at least
    `gap_ms` after the latest end of the job's slots before it (a running maximum: gaps
    and islands); each bar is then one group."""

    def __init__(self, dialect: SqlDialect, start: dt.datetime, end: dt.datetime,
                 now: dt.datetime, gap_ms: int) -> None:
        self.dialect = dialect
        self.gap_ms = gap_ms
        self.start = bindparam("window_start", start, type_=UTCDateTime())
        self.end = bindparam("window_end", end, type_=UTCDateTime())
        self.now = bindparam("now", now, type_=UTCDateTime())

    def spans(self, *where: ColumnElement[bool]) -> Select[Any]:
        """A row per run: its job, status, id, creation, cut span and slot."""
        begin = func.coalesce(_runs.c.started_at, _runs.c.created_at)
        finish = func.coalesce(_runs.c.finished_at, self.now)
        begin_ms = self.dialect.epoch_ms(case((begin < self.start, self.start), else_=begin))
        finish_ms = self.dialect.epoch_ms(case((finish > self.end, self.end), else_=finish))
        slot = (begin_ms - self.dialect.epoch_ms(self.start)) // self.gap_ms
        return select(_runs.c.job_name, _runs.c.status, _runs.c.id, _runs.c.created_at,
                      begin_ms.label("begin_ms"), finish_ms.label("finish_ms"),
                      slot.label("slot")).where(*where)

    def bars(self, spans: CompoundSelect[Any]) -> Select[Any]:
        """The bars of `spans`, a row per bar and status: job, bar number, status, runs,
        begin, end, first and last creation, least run id."""
        rows = spans.subquery("spans")
        cells = select(
            rows.c.job_name, rows.c.slot, rows.c.status, func.count().label("runs"),
            func.min(rows.c.begin_ms).label("begin_ms"),
            func.max(rows.c.finish_ms).label("finish_ms"),
            func.min(rows.c.created_at).label("first"), func.max(rows.c.created_at).label("last"),
            func.min(rows.c.id).label("run_id"),
        ).group_by(rows.c.job_name, rows.c.slot, rows.c.status).subquery("cells")
        # A slot's earliest cell decides whether it opens a bar (its others never do).
        before = select(*cells.c, func.max(cells.c.finish_ms).over(
            partition_by=cells.c.job_name, order_by=(cells.c.slot, cells.c.begin_ms),
            rows=(None, -1),
        ).label("ended")).subquery("before")
        opens = select(*before.c, case(
            (or_(before.c.ended.is_(None), before.c.begin_ms >= before.c.ended + self.gap_ms),
             1), else_=0).label("opens")).subquery("opens")
        numbered = select(*opens.c, func.sum(opens.c.opens).over(
            partition_by=opens.c.job_name, order_by=(opens.c.slot, opens.c.begin_ms),
            rows=(None, 0),
        ).label("bar")).subquery("numbered")
        # Times as the driver gives them (text or naive datetimes, by backend), parsed by
        # `_stored_time`: the generic conversion is skipped.
        return (select(numbered.c.job_name, numbered.c.bar, numbered.c.status,
                       func.sum(numbered.c.runs), func.min(numbered.c.begin_ms),
                       func.max(numbered.c.finish_ms),
                       type_coerce(func.min(numbered.c.first), String),
                       type_coerce(func.max(numbered.c.last), String),
                       func.min(numbered.c.run_id))
                .group_by(numbered.c.job_name, numbered.c.bar, numbered.c.status))


@typing.overload
def _stored_time(value: None) -> None: ...


@typing.overload
def _stored_time(value: str | dt.datetime) -> dt.datetime: ...


def _stored_time(value: str | dt.datetime | None) -> dt.datetime | None:
    """A time as the driver read it (naive UTC, as `UTCDateTime` stores it), made aware."""
    if value is None:
        return None
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value + "+00:00")
    return value.replace(tzinfo=dt.UTC)


def _hex_successor(prefix: str) -> str | None:
    """The smallest hex string above every string starting with `prefix` (None if all f)."""
    stripped = prefix.rstrip("f")
    if not stripped:
        return None
    return stripped[:-1] + _HEX_DIGITS[_HEX_DIGITS.index(stripped[-1]) + 1]


def _starting_event(run: Run, claimer: str | None) -> Event:
    """The RUN_STARTING event of a claimed run."""
    by = f" by {claimer}" if claimer else ""
    return Event(run_id=run.id, kind=EventKind.RUN_STARTING, level="INFO",
                 message=f"run claimed{by} (attempt {run.attempt}), starting",
                 data={"attempt": run.attempt})
