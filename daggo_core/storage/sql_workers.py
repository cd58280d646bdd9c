"""The worker registry on SQL: a row per worker process, kept by the executor that started it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, delete, select, tuple_, update

from daggo_core.storage.base import WorkerPosition
from daggo_core.storage.records import WorkerRecord, WorkerState
from daggo_core.storage.schema import workers as _workers
from daggo_core.storage.sql_rows import columns_of, record_values
from daggo_core.storage.sql_transactions import Transactions

__all__ = ["SqlWorkers"]

_WORKER_COLUMNS = columns_of(_workers, WorkerRecord)
_UPDATE_WORKER = _workers.update().where(_workers.c.id == bindparam("key_id"))
_HEARTBEAT_WORKERS = (
    update(_workers).where(_workers.c.id.in_(bindparam("ids", expanding=True)))
    .values(heartbeat_at=bindparam("at")).returning(_workers.c.id)
)
_REMOVE_WORKER = delete(_workers).where(_workers.c.id == bindparam("key_id"))
_PRUNE_WORKERS = delete(_workers).where(_workers.c.heartbeat_at < bindparam("before"))
_BY_HOST_AND_PID = (_workers.c.host, _workers.c.pid)


class SqlWorkers:
    """The `WorkerStorage` part of SqlStorage."""

    _tx: Transactions

    def save_worker(self, worker: WorkerRecord) -> None:
        """Insert the worker's row, or replace the row of the same id (an update first:
        a worker's row is saved again at each change of its state)."""
        values = _worker_values(worker)

        def tx(conn: Connection) -> None:
            if not conn.execute(_UPDATE_WORKER, {**values, "key_id": worker.id}).rowcount:
                conn.execute(_workers.insert(), values)

        self._tx.write_unique("save_worker", tx)

    def heartbeat_workers(self, ids: Collection[str], at: dt.datetime) -> set[str]:
        """Set the `heartbeat_at` of workers `ids` to `at` in one statement; returns the
        ids that had a row."""
        if not ids:
            return set()
        params = {"ids": sorted(set(ids)), "at": at}
        return self._tx.write("heartbeat_workers",
                              lambda conn: set(conn.scalars(_HEARTBEAT_WORKERS, params)))

    def remove_worker(self, worker_id: str) -> bool:
        """Delete the worker's row; whether there was one."""
        return bool(self._tx.write("remove_worker", lambda conn: conn.execute(
            _REMOVE_WORKER, {"key_id": worker_id}).rowcount))

    def list_workers(self, *, limit: int,
                     after: WorkerPosition | None = None) -> list[WorkerRecord]:
        """Up to `limit` workers by host, then pid, from just after `after`."""
        query = select(*_WORKER_COLUMNS).order_by(*_BY_HOST_AND_PID).limit(limit)
        if after is not None:
            query = query.where(tuple_(*_BY_HOST_AND_PID) > tuple_(after.host, after.pid))
        rows = self._tx.read("list_workers", lambda conn: conn.execute(query).all())
        return [_worker_from_row(row._mapping) for row in rows]

    def prune_workers(self, silent_before: dt.datetime) -> int:
        """Delete the rows of workers silent since before `silent_before`; how many."""
        return int(self._tx.write("prune_workers", lambda conn: conn.execute(
            _PRUNE_WORKERS, {"before": silent_before}).rowcount))


def _worker_values(worker: WorkerRecord) -> dict[str, Any]:
    values = record_values(worker)
    values["state"] = WorkerState(worker.state).value
    return values


def _worker_from_row(row: RowMapping) -> WorkerRecord:
    return WorkerRecord(**{**row, "state": WorkerState(row["state"])})
