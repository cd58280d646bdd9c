"""The worker registry on SQL: a row per worker process and per pool, kept by their
registrants, with the drain requests of admins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import (
    Connection,
    RowMapping,
    Table,
    bindparam,
    delete,
    select,
    tuple_,
    update,
)

from daggo_core.storage.base import WorkerPosition
from daggo_core.storage.drain_records import PoolRecord, WorkerBeat
from daggo_core.storage.records import WorkerRecord, WorkerState
from daggo_core.storage.schema import worker_pools as _pools
from daggo_core.storage.schema import workers as _workers
from daggo_core.storage.sql_rows import columns_of, record_values
from daggo_core.storage.sql_transactions import Transactions

__all__ = ["SqlWorkers"]

#: Columns only admins (a drain request) and the registrant's acceptance change.
_DRAIN_COLUMNS = ("drain_requested_at", "drain_accepted_at")
_WORKER_COLUMNS = columns_of(_workers, WorkerRecord)
_POOL_COLUMNS = columns_of(_pools, PoolRecord)
_UPDATE_WORKER = _workers.update().where(_workers.c.id == bindparam("key_id"))
_UPDATE_POOL = _pools.update().where(_pools.c.name == bindparam("key_name"))
_HEARTBEAT_WORKERS = (
    update(_workers).where(_workers.c.id.in_(bindparam("ids", expanding=True)))
    .values(heartbeat_at=bindparam("at"))
    .returning(_workers.c.id, _workers.c.pool, _workers.c.drain_requested_at)
)
_DRAINING_POOLS = select(_pools.c.name).where(
    _pools.c.name.in_(bindparam("names", expanding=True)),
    _pools.c.drain_requested_at.is_not(None))
_REMOVE_WORKER = delete(_workers).where(_workers.c.id == bindparam("key_id"))
_REMOVE_POOL = delete(_pools).where(_pools.c.name == bindparam("key_name"))
_PRUNE_WORKERS = delete(_workers).where(_workers.c.heartbeat_at < bindparam("before"))
_PRUNE_POOLS = delete(_pools).where(_pools.c.heartbeat_at < bindparam("before"))
_BY_HOST_AND_PID = (_workers.c.host, _workers.c.pid)


class SqlWorkers:
    """The `WorkerStorage` part of SqlStorage."""

    _tx: Transactions

    def save_worker(self, worker: WorkerRecord) -> None:
        """Insert the worker's row, or replace the row of the same id (an update first:
        a worker's row is saved again at each change of its state); its drain request
        and acceptance are kept."""
        values = _registered_values(worker)
        values["state"] = WorkerState(worker.state).value

        def tx(conn: Connection) -> None:
            if not conn.execute(_UPDATE_WORKER, {**values, "key_id": worker.id}).rowcount:
                conn.execute(_workers.insert(), values)

        self._tx.write_unique("save_worker", tx)

    def heartbeat_workers(self, ids: Collection[str], at: dt.datetime, *,
                          pool: str | None = None) -> WorkerBeat:
        """Set the `heartbeat_at` of workers `ids` to `at` in one statement, and read
        which of them (and whether `pool`) are asked to drain."""
        params = {"ids": sorted(set(ids)), "at": at}

        def tx(conn: Connection) -> WorkerBeat:
            rows = conn.execute(_HEARTBEAT_WORKERS, params).all() if ids else []
            pools = {row.pool for row in rows if row.pool} | ({pool} if pool else set())
            draining_pools = set(conn.scalars(_DRAINING_POOLS, {"names": sorted(pools)})
                                 ) if pools else set()
            return WorkerBeat(
                present=frozenset(row.id for row in rows),
                draining=frozenset(row.id for row in rows if row.drain_requested_at
                                   is not None or row.pool in draining_pools),
                pool_draining=pool in draining_pools)

        return self._tx.write("heartbeat_workers", tx)

    def remove_worker(self, worker_id: str) -> bool:
        """Delete the worker's row; whether there was one."""
        return bool(self._tx.write("remove_worker", lambda conn: conn.execute(
            _REMOVE_WORKER, {"key_id": worker_id}).rowcount))

    def get_worker(self, worker_id: str) -> WorkerRecord | None:
        """The worker's row, or None."""
        query = select(*_WORKER_COLUMNS).where(_workers.c.id == worker_id)
        row = self._tx.read("get_worker", lambda conn: conn.execute(query).first())
        return None if row is None else _worker_from_row(row._mapping)

    def list_workers(self, *, limit: int,
                     after: WorkerPosition | None = None) -> list[WorkerRecord]:
        """Up to `limit` workers by host, then pid, from just after `after`."""
        query = select(*_WORKER_COLUMNS).order_by(*_BY_HOST_AND_PID).limit(limit)
        if after is not None:
            query = query.where(tuple_(*_BY_HOST_AND_PID) > tuple_(after.host, after.pid))
        rows = self._tx.read("list_workers", lambda conn: conn.execute(query).all())
        return [_worker_from_row(row._mapping) for row in rows]

    def prune_workers(self, silent_before: dt.datetime) -> int:
        """Delete the rows of workers and pools silent since before `silent_before`;
        how many."""
        def tx(conn: Connection) -> int:
            params = {"before": silent_before}
            return int(conn.execute(_PRUNE_WORKERS, params).rowcount
                       + conn.execute(_PRUNE_POOLS, params).rowcount)

        return self._tx.write("prune_workers", tx)

    def save_pool(self, pool: PoolRecord) -> None:
        """Insert the pool's row, or replace the row of the same name; its drain request
        and acceptance are kept."""
        values = _registered_values(pool)

        def tx(conn: Connection) -> None:
            if not conn.execute(_UPDATE_POOL, {**values, "key_name": pool.name}).rowcount:
                conn.execute(_pools.insert(), values)

        self._tx.write_unique("save_pool", tx)

    def remove_pool(self, name: str) -> bool:
        """Delete the pool's row; whether there was one."""
        return bool(self._tx.write("remove_pool", lambda conn: conn.execute(
            _REMOVE_POOL, {"key_name": name}).rowcount))

    def list_pools(self) -> list[PoolRecord]:
        """Every pool, by name."""
        query = select(*_POOL_COLUMNS).order_by(_pools.c.name)
        rows = self._tx.read("list_pools", lambda conn: conn.execute(query).all())
        return [PoolRecord(**{**row._mapping, "queues": tuple(row.queues)}) for row in rows]

    def request_drain(self, *, worker_id: str | None = None, pool: str | None = None,
                      at: dt.datetime) -> bool:
        """Ask a worker or a pool to drain (an earlier request and its acceptance are
        kept); whether it had a row."""
        table, key = _target(worker_id, pool)

        def tx(conn: Connection) -> bool:
            found = conn.execute(select(key).where(key == bindparam("key"))
                                 .with_for_update(), {"key": worker_id or pool}).first()
            conn.execute(update(table).where(key == bindparam("key"),
                                             table.c.drain_requested_at.is_(None))
                         .values(drain_requested_at=at, drain_accepted_at=None),
                         {"key": worker_id or pool})
            return found is not None

        return self._tx.write("request_drain", tx)

    def resume_drain(self, *, worker_id: str | None = None, pool: str | None = None) -> bool:
        """Clear a worker's or a pool's drain; whether it had a row."""
        table, key = _target(worker_id, pool)
        statement = (update(table).where(key == bindparam("key"))
                     .values(drain_requested_at=None, drain_accepted_at=None))
        return bool(self._tx.write("resume_drain", lambda conn: conn.execute(
            statement, {"key": worker_id or pool}).rowcount))

    def accept_drain(self, *, worker_ids: Collection[str] = (), pool: str | None = None,
                     at: dt.datetime) -> None:
        """Accept the drain requested of `worker_ids` and `pool` (where one is)."""
        def accept(conn: Connection, table: Table, key: Any, keys: list[str]) -> None:
            conn.execute(update(table).where(
                key.in_(keys), table.c.drain_requested_at.is_not(None),
                table.c.drain_accepted_at.is_(None)).values(drain_accepted_at=at))

        def tx(conn: Connection) -> None:
            if worker_ids:
                accept(conn, _workers, _workers.c.id, sorted(set(worker_ids)))
            if pool is not None:
                accept(conn, _pools, _pools.c.name, [pool])

        if worker_ids or pool is not None:
            self._tx.write("accept_drain", tx)


def _target(worker_id: str | None, pool: str | None) -> tuple[Table, Any]:
    """The table and key column of a drain's target: a worker or a pool, not both."""
    if (worker_id is None) == (pool is None):
        raise ValueError("name a worker or a pool to drain, not both or neither")
    return (_workers, _workers.c.id) if worker_id is not None else (_pools, _pools.c.name)


def _registered_values(record: WorkerRecord | PoolRecord) -> dict[str, Any]:
    """A registrant's values of its row: every field but the drain columns."""
    values = record_values(record)
    for name in _DRAIN_COLUMNS:
        del values[name]
    values["queues"] = list(record.queues)
    return values


def _worker_from_row(row: RowMapping) -> WorkerRecord:
    return WorkerRecord(**{**row, "state": WorkerState(row["state"]),
                           "queues": tuple(row["queues"])})
