"""Backfills on SQL: each with its plan (a row per run to create, in order), the runs
created from it in batches, and its progress."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import attrs
from sqlalchemy import Connection, RowMapping, bindparam, func, select, update

from daggo_core.errors import BackfillNotFoundError
from daggo_core.storage.asset_records import (
    ACTIVE_BACKFILL_STATUSES,
    Backfill,
    BackfillPartition,
    BackfillStatus,
)
from daggo_core.storage.asset_storage import BackfillPosition
from daggo_core.storage.bulk import BulkStatement
from daggo_core.storage.records import Event, Run, RunStatus, utcnow
from daggo_core.storage.schema import backfill_plan as _plan
from daggo_core.storage.schema import backfills as _backfills
from daggo_core.storage.schema import runs as _runs
from daggo_core.storage.sql_queues import roll_up_items
from daggo_core.storage.sql_rows import (
    cancel_queued_runs,
    columns_of,
    insert_events,
    insert_runs,
    older_than,
    record_values,
    request_cancel_of_active_runs,
)
from daggo_core.storage.sql_transactions import Transactions

__all__ = ["SqlBackfills"]

_BACKFILL_COLUMNS = columns_of(_backfills, Backfill)
_BACKFILL_ROW = tuple(column.name for column in _BACKFILL_COLUMNS)
_INSERT_BACKFILL = BulkStatement(_backfills.insert(), _BACKFILL_ROW)
_INSERT_PLAN = BulkStatement(_plan.insert(), ("backfill_id", "seq", "partition_key"))
_GET_BACKFILL = select(*_BACKFILL_COLUMNS).where(_backfills.c.id == bindparam("key_id"))
# Row-locked where the database has row locks: submitters of one backfill take turns.
_LOCK_BACKFILL = _GET_BACKFILL.with_for_update()
_SET_RUN_OF_PLAN = BulkStatement(
    _plan.update().where(_plan.c.backfill_id == bindparam("key_backfill_id"),
                         _plan.c.seq == bindparam("key_seq")),
    ("run_id", "key_backfill_id", "key_seq"))
_CREATED_IN = (select(func.count()).select_from(_plan)
               .where(_plan.c.backfill_id == bindparam("key_id"),
                      _plan.c.seq.between(bindparam("first"), bindparam("last")),
                      _plan.c.run_id.is_not(None)))
_PLAN_COLUMNS = (_plan.c.backfill_id, _plan.c.seq, _plan.c.partition_key, _plan.c.run_id)
# Runs are created in plan order: the rows from `submitted` on are those not created yet,
# an index range that never passes over the created ones.
_UNSUBMITTED = (
    select(*_PLAN_COLUMNS)
    .where(_plan.c.backfill_id == bindparam("key_id"),
           _plan.c.seq >= select(_backfills.c.submitted)
           .where(_backfills.c.id == bindparam("key_id")).scalar_subquery())
    .order_by(_plan.c.seq).limit(bindparam("limit")))
_PARTITIONS = (
    select(*_PLAN_COLUMNS, _runs.c.status)
    .select_from(_plan.outerjoin(_runs, _runs.c.id == _plan.c.run_id))
    .where(_plan.c.backfill_id == bindparam("key_id"), _plan.c.seq > bindparam("after_seq"))
    .order_by(_plan.c.seq).limit(bindparam("limit")))
_RUN_COUNTS = (select(_runs.c.status, func.count())
               .where(_runs.c.backfill_id == bindparam("key_id"))
               .group_by(_runs.c.status))
_ACTIVE = (select(*_BACKFILL_COLUMNS)
           .where(_backfills.c.status.in_(sorted(s.value for s in ACTIVE_BACKFILL_STATUSES)))
           .order_by(_backfills.c.created_at, _backfills.c.id))
_NEWEST_FIRST = (_backfills.c.created_at.desc(), _backfills.c.id.desc())
_CANCELED_MESSAGE = "run canceled: its backfill was canceled"


class SqlBackfills:
    """The `BackfillStorage` part of SqlStorage."""

    _tx: Transactions

    def add_backfill(self, backfill: Backfill, plan: Sequence[str]) -> Backfill:
        """Store a new backfill and its plan (one insert for all its rows, `seq` from 0);
        returns it, `planned` being the plan's length."""
        stored = attrs.evolve(backfill, planned=len(plan))
        row = _backfill_row(stored)
        dialect = self._tx.dialect

        def tx(conn: Connection) -> None:
            _INSERT_BACKFILL.execute(conn, [row])
            _INSERT_PLAN.execute(conn, [(stored.id, seq, key) for seq, key in enumerate(plan)],
                                 many=dialect)

        self._tx.write("add_backfill", tx)
        return stored

    def get_backfill(self, backfill_id: str) -> Backfill:
        """The backfill; raises BackfillNotFoundError."""
        row = self._tx.read("get_backfill", lambda conn: conn.execute(
            _GET_BACKFILL, {"key_id": backfill_id}).one_or_none())
        if row is None:
            raise BackfillNotFoundError(f"no backfill with id {backfill_id!r}")
        return _backfill_from_row(row._mapping)

    def list_backfills(self, *, job_name: str | None = None, limit: int = 50,
                       after: BackfillPosition | None = None) -> list[Backfill]:
        """Backfills (of one job), newest first, after `after`."""
        query = select(*_BACKFILL_COLUMNS)
        if job_name is not None:
            query = query.where(_backfills.c.job_name == job_name)
        if after is not None:
            query = query.where(older_than(_backfills, after.created_at, after.id))
        query = query.order_by(*_NEWEST_FIRST).limit(limit)
        rows = self._tx.read("list_backfills", lambda conn: conn.execute(query).all())
        return [_backfill_from_row(row._mapping) for row in rows]

    def active_backfills(self) -> list[Backfill]:
        """Backfills REQUESTED, RUNNING or CANCELING, oldest first."""
        rows = self._tx.read("active_backfills", lambda conn: conn.execute(_ACTIVE).all())
        return [_backfill_from_row(row._mapping) for row in rows]

    def unsubmitted_plan(self, backfill_id: str, *, limit: int) -> list[BackfillPartition]:
        """The first `limit` planned runs of the backfill not created yet, in order."""
        rows = self._tx.read("unsubmitted_plan", lambda conn: conn.execute(
            _UNSUBMITTED, {"key_id": backfill_id, "limit": limit}).all())
        return [BackfillPartition(**row._mapping) for row in rows]

    def submit_backfill_runs(self, backfill_id: str, plan: Sequence[BackfillPartition],
                             runs: Sequence[Run], events: Sequence[Event]) -> Backfill | None:
        """Create the runs of `plan` (the next planned runs, in order) with their events,
        and record them in the plan, in one transaction; None, storing nothing, when the
        backfill is no longer REQUESTED or one of those runs was created before."""
        if len(runs) != len(plan):
            raise ValueError(f"{len(runs)} runs given for {len(plan)} planned runs; give "
                             "one run per planned run, in the same order")
        seqs = [part.seq for part in plan]
        dialect = self._tx.dialect

        def tx(conn: Connection) -> Backfill | None:
            row = conn.execute(_LOCK_BACKFILL, {"key_id": backfill_id}).one_or_none()
            if row is None:
                raise BackfillNotFoundError(f"no backfill with id {backfill_id!r}")
            backfill = _backfill_from_row(row._mapping)
            if backfill.status is not BackfillStatus.REQUESTED:
                return None
            if seqs and conn.execute(_CREATED_IN, {"key_id": backfill_id, "first": min(seqs),
                                                   "last": max(seqs)}).scalar_one():
                return None
            if seqs != list(range(backfill.submitted, backfill.submitted + len(plan))):
                raise ValueError(
                    f"backfill {backfill_id}: runs are created in plan order, the next "
                    f"from seq {backfill.submitted}; got seqs {seqs[0]}..{seqs[-1]} "
                    "(take them from unsubmitted_plan)")
            insert_runs(conn, runs, many=dialect)
            insert_events(conn, events, many=dialect)
            _SET_RUN_OF_PLAN.execute(conn, [(run.id, backfill_id, part.seq)
                                            for part, run in zip(plan, runs, strict=True)])
            submitted = backfill.submitted + len(plan)
            status = (BackfillStatus.RUNNING if submitted >= backfill.planned
                      else BackfillStatus.REQUESTED)
            moved = conn.execute(
                update(_backfills).where(_backfills.c.id == backfill_id)
                .values(submitted=submitted, status=status.value, updated_at=utcnow())
                .returning(*_BACKFILL_COLUMNS)).one()
            return _backfill_from_row(moved._mapping)

        return self._tx.write("submit_backfill_runs", tx,
                              announce=lambda stored: stored is not None)

    def set_backfill_status(self, backfill_id: str, status: BackfillStatus, *,
                            expected: Collection[BackfillStatus],
                            error: str | None = None) -> Backfill | None:
        """Move the backfill to `status` (with `error`, if given) if it is in one of
        `expected`; None otherwise."""
        values: dict[str, Any] = {"status": BackfillStatus(status).value, "updated_at": utcnow()}
        if error is not None:
            values["error"] = error
        stmt = (update(_backfills)
                .where(_backfills.c.id == backfill_id,
                       _backfills.c.status.in_(sorted(BackfillStatus(s).value
                                                      for s in expected)))
                .values(values).returning(*_BACKFILL_COLUMNS))
        row = self._tx.write("set_backfill_status",
                             lambda conn: conn.execute(stmt).one_or_none())
        return None if row is None else _backfill_from_row(row._mapping)

    def cancel_backfill_runs(self, backfill_id: str, *, limit: int = 500) -> int:
        """End up to `limit` of the backfill's QUEUED runs as CANCELED (oldest first) and
        flag its active ones not flagged yet, each with its event; returns how many runs
        it changed."""
        queued = (select(_runs.c.id)
                  .where(_runs.c.backfill_id == backfill_id,
                         _runs.c.status == RunStatus.QUEUED.value)
                  .order_by(_runs.c.created_at, _runs.c.id).limit(limit).scalar_subquery())

        def tx(conn: Connection) -> tuple[int, int]:
            now = utcnow()
            canceled = cancel_queued_runs(conn, _runs.c.id.in_(queued), now,
                                          message=_CANCELED_MESSAGE)
            flagged = request_cancel_of_active_runs(
                conn, _runs.c.backfill_id == backfill_id, now)
            roll_up_items(conn, [*canceled, *flagged])
            return len(canceled), len(flagged)

        # Coordinators hear of it when queued runs ended (their counts changed).
        canceled, flagged = self._tx.write("cancel_backfill_runs", tx,
                                           announce=lambda counts: counts[0] > 0)
        return canceled + flagged

    def backfill_run_counts(self, backfill_id: str) -> dict[RunStatus, int]:
        """The backfill's created runs by status: one GROUP BY over the runs' index by
        (backfill, status)."""
        rows = self._tx.read("backfill_run_counts", lambda conn: conn.execute(
            _RUN_COUNTS, {"key_id": backfill_id}).all())
        return {RunStatus(status): int(count) for status, count in rows}

    def list_backfill_partitions(self, backfill_id: str, *, limit: int = 100,
                                 after_seq: int = -1) -> list[BackfillPartition]:
        """The backfill's planned runs in order after `after_seq`, with their runs'
        statuses."""
        rows = self._tx.read("list_backfill_partitions", lambda conn: conn.execute(
            _PARTITIONS, {"key_id": backfill_id, "after_seq": after_seq, "limit": limit}
        ).all())
        return [BackfillPartition(backfill_id=row.backfill_id, seq=row.seq,
                                  partition_key=row.partition_key, run_id=row.run_id,
                                  run_status=None if row.status is None
                                  else RunStatus(row.status))
                for row in rows]


def _backfill_row(backfill: Backfill) -> tuple[Any, ...]:
    values = record_values(backfill)
    values["status"] = BackfillStatus(backfill.status).value
    return tuple(values[name] for name in _BACKFILL_ROW)


def _backfill_from_row(row: RowMapping) -> Backfill:
    return Backfill(**{**row, "status": BackfillStatus(row["status"]),
                       "only_missing": bool(row["only_missing"])})
