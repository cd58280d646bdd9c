"""Queues on SQL: queue metadata, items with their deduplication and roll-up, loader
cursors and health, ingestion errors.

An item's status is rolled up from its runs in every transaction that changes one of
them (`roll_up_items`, called by the run-writing transactions after their run writes):
the item's row is locked, then its runs are read in a later statement, so of two runs
of one item ending at once the second sees the first committed (READ COMMITTED, which a
server database's backend pins) and neither misses the other.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
from sqlalchemy import (
    Connection,
    RowMapping,
    bindparam,
    delete,
    func,
    select,
    update,
)

from daggo_core import serde
from daggo_core.definitions.snapshot import QueueSnapshot
from daggo_core.errors import CursorMovedError, QueueItemNotFoundError
from daggo_core.storage.base import CursorAdvance, Ingested, ItemFilter, ItemPosition, NewItem
from daggo_core.storage.bulk import BulkStatement
from daggo_core.storage.item_rollup import BAD_ITEM_STATUSES, settle_item
from daggo_core.storage.records import (
    Event,
    ItemSource,
    LoaderState,
    PartitionSummary,
    QueueError,
    QueueItem,
    QueueItemStatus,
    QueueRecord,
    Run,
    RunStatus,
    utcnow,
)
from daggo_core.storage.schema import queue_errors as _errors
from daggo_core.storage.schema import queue_items as _items
from daggo_core.storage.schema import queue_loaders as _loaders
from daggo_core.storage.schema import queue_partitions as _partitions
from daggo_core.storage.schema import queues as _queues
from daggo_core.storage.schema import runs as _runs
from daggo_core.storage.sql_dialect import LockArea
from daggo_core.storage.sql_rows import (
    RUN_COLUMNS,
    chunks,
    columns_of,
    insert_events,
    insert_runs,
    older_than,
    record_values,
    run_from_row,
    sync_active,
)
from daggo_core.storage.sql_transactions import Transactions

__all__ = ["QUEUE_ERRORS_KEPT", "SqlQueues", "delete_items", "roll_up_items"]

#: Ingestion errors kept per queue (older ones are deleted as new ones come).
QUEUE_ERRORS_KEPT = 1000

_QUEUE_COLUMNS = columns_of(_queues, QueueRecord)
_ITEM_COLUMNS = columns_of(_items, QueueItem)
_LOADER_COLUMNS = columns_of(_loaders, LoaderState)
_ERROR_COLUMNS = columns_of(_errors, QueueError)
_ITEM_ROW = (*(column.name for column in _ITEM_COLUMNS), "dedupe_key")
_INSERT_ITEMS = BulkStatement(_items.insert(), _ITEM_ROW)
_GET_ITEM = select(*_ITEM_COLUMNS).where(_items.c.id == bindparam("key_id"))
_ACCEPTED_KEYS = (select(_items.c.dedupe_key, _items.c.id)
                  .where(_items.c.queue_name == bindparam("queue_name"),
                         _items.c.dedupe_key.in_(bindparam("keys", expanding=True))))
_GET_LOADER = select(*_LOADER_COLUMNS).where(_loaders.c.queue_name == bindparam("key_name"))
_ADVANCE_CURSOR = (
    update(_loaders)
    .where(_loaders.c.queue_name == bindparam("key_name"),
           _loaders.c.version == bindparam("key_version"))
    .values(cursor=bindparam("cursor"), version=_loaders.c.version + 1,
            lag=bindparam("lag"), loaded=_loaders.c.loaded + bindparam("count"),
            updated_at=bindparam("at"))
)
# The items of some runs, row-locked where the database has row locks (see the module doc).
_LOCK_ITEMS = (select(*_ITEM_COLUMNS).where(_items.c.id.in_(bindparam("ids", expanding=True)))
               .order_by(_items.c.id).with_for_update())
_LOCK_ITEM = _GET_ITEM.with_for_update()
_RUNS_OF_ITEMS = (select(_runs.c.queue_item_id, _runs.c.job_name, _runs.c.status)
                  .where(_runs.c.queue_item_id.in_(bindparam("ids", expanding=True)))
                  .order_by(_runs.c.created_at, _runs.c.id))
_SETTLE_ITEM = (update(_items).where(_items.c.id == bindparam("key_id"))
                .values(status=bindparam("status"), finished_at=bindparam("finished_at"),
                        retry_at=bindparam("retry_at"),
                        dead_lettered_at=bindparam("dead_lettered_at"),
                        updated_at=bindparam("updated_at")))
_NEWEST_FIRST = (_items.c.created_at.desc(), _items.c.id.desc())
#: What an item's retry takes: finished, and not all succeeded.
_RETRIABLE = BAD_ITEM_STATUSES | {QueueItemStatus.CANCELED}
_LATEST_OF_ITEM = (select(_runs.c.id, _runs.c.job_name)
                   .where(_runs.c.queue_item_id == bindparam("key_id"))
                   .order_by(_runs.c.created_at, _runs.c.id))
_NEWEST_ACCEPTED = (select(_items.c.id, _items.c.created_at)
                    .where(_items.c.queue_name == bindparam("queue_name"),
                           _items.c.partition_key == bindparam("partition_key"),
                           _items.c.dedupe_key.is_not(None))
                    .order_by(*_NEWEST_FIRST).limit(1))
#: The column of `queue_partitions` counting the accepted items of each status.
_PARTITION_COUNT: dict[QueueItemStatus, str] = {
    status: status.value.lower() for status in QueueItemStatus
    if status is not QueueItemStatus.DEDUPLICATED}


def roll_up_items(conn: Connection, runs: Iterable[Run]) -> None:
    """Settle the items of those of `runs` that belong to one (nothing for the others):
    each item's status from the latest run of each of its jobs, and what a failure leads
    to (a retry due later, or the dead letter)."""
    ids = sorted({run.queue_item_id for run in runs if run.queue_item_id is not None})
    if not ids:
        return
    items = [_item_from_row(row._mapping) for row in conn.execute(_LOCK_ITEMS, {"ids": ids})]
    latest: dict[str, dict[str, RunStatus]] = {item_id: {} for item_id in ids}
    for item_id, job_name, status in conn.execute(_RUNS_OF_ITEMS, {"ids": ids}):
        latest[item_id][job_name] = RunStatus(status)  # oldest first: the last one stays
    now = utcnow()
    changes = []
    moved: dict[tuple[str, str], Counter[str]] = {}
    for item in items:
        settled = settle_item(latest[item.id].values(), attempt=item.attempt,
                              max_retries=item.max_retries, retry_backoff=item.retry_backoff,
                              now=now, finished_at=item.finished_at,
                              dead_lettered_at=item.dead_lettered_at)
        if (settled.status, settled.finished_at, settled.retry_at,
                settled.dead_lettered_at) != (item.status, item.finished_at, item.retry_at,
                                              item.dead_lettered_at):
            changes.append({"key_id": item.id, "status": settled.status.value,
                            "finished_at": settled.finished_at, "retry_at": settled.retry_at,
                            "dead_lettered_at": settled.dead_lettered_at, "updated_at": now})
            if item.partition_key is not None:
                delta = moved.setdefault((item.queue_name, item.partition_key), Counter())
                delta[_PARTITION_COUNT[item.status]] -= 1
                delta[_PARTITION_COUNT[settled.status]] += 1
                delta["dead_lettered"] += ((settled.dead_lettered_at is not None)
                                           - item.is_dead_lettered)
    if changes:
        conn.execute(_SETTLE_ITEM, changes)
    _count_in_partitions(conn, moved)


def _count_in_partitions(conn: Connection, moved: dict[tuple[str, str], Counter[str]]) -> None:
    """Add `moved` (count changes by column) to the partitions' rows (which exist: they
    were made when their first item was accepted)."""
    for (queue, key), delta in sorted(moved.items()):
        values = {column: _partitions.c[column] + change
                  for column, change in delta.items() if change}
        if values:
            conn.execute(update(_partitions).where(_partitions.c.queue_name == queue,
                                                   _partitions.c.partition_key == key)
                         .values(values))


def delete_items(conn: Connection, item_ids: Sequence[str]) -> int:
    """Delete accepted items (finished ones: see `SqlRetention`) and the deliveries
    deduplicated against them, and uncount them from their partitions: a partition whose
    latest item went shows its newest remaining one, or goes when none remains. Returns
    how many rows went."""
    items: list[tuple[str, str | None, str]] = []
    deleted = 0
    for part in chunks(sorted(item_ids)):
        items += [tuple(row) for row in conn.execute(
            select(_items.c.queue_name, _items.c.partition_key, _items.c.status)
            .where(_items.c.id.in_(part)))]
        deleted += conn.execute(delete(_items).where(_items.c.duplicate_of.in_(part))).rowcount
        deleted += conn.execute(delete(_items).where(_items.c.id.in_(part))).rowcount
    moved: dict[tuple[str, str], Counter[str]] = {}
    for queue_name, partition_key, status in items:
        if partition_key is not None:
            delta = moved.setdefault((queue_name, partition_key), Counter())
            delta[_PARTITION_COUNT[QueueItemStatus(status)]] -= 1
    _count_in_partitions(conn, moved)
    gone = set(item_ids)
    for queue_name, partition_key in sorted(moved):
        where = (_partitions.c.queue_name == queue_name,
                 _partitions.c.partition_key == partition_key)
        if conn.scalar(select(_partitions.c.latest_item_id).where(*where)) not in gone:
            continue
        newest = conn.execute(_NEWEST_ACCEPTED, {"queue_name": queue_name,
                                                 "partition_key": partition_key}).first()
        if newest is None:
            conn.execute(delete(_partitions).where(*where))
        else:
            conn.execute(update(_partitions).where(*where).values(
                latest_item_id=newest.id, latest_at=newest.created_at))
    return deleted


class SqlQueues:
    """The `QueueStorage` part of SqlStorage."""

    _tx: Transactions

    def sync_queues(self, queues: Sequence[QueueRecord]) -> None:
        """Upsert `queues` as the active set; queues missing from it become inactive."""
        rows = [{"name": q.name, "description": q.description,
                 "snapshot": serde.unstructure(q.snapshot), "active": True,
                 "updated_at": utcnow()} for q in {q.name: q for q in queues}.values()]
        self._tx.write_unique("sync_queues", lambda conn: sync_active(conn, _queues, rows))

    def get_queue(self, name: str) -> QueueRecord | None:
        """The queue named `name` (active or not), or None."""
        query = select(*_QUEUE_COLUMNS).where(_queues.c.name == name)
        row = self._tx.read("get_queue", lambda conn: conn.execute(query).one_or_none())
        return None if row is None else _queue_from_row(row._mapping)

    def list_queues(self, *, include_inactive: bool = False) -> list[QueueRecord]:
        """The queues by name."""
        query = select(*_QUEUE_COLUMNS).order_by(_queues.c.name)
        if not include_inactive:
            query = query.where(_queues.c.active.is_(True))
        rows = self._tx.read("list_queues", lambda conn: conn.execute(query).all())
        return [_queue_from_row(row._mapping) for row in rows]

    def ingest(self, queue_name: str, items: Sequence[NewItem], *,
               cursor: CursorAdvance | None = None,
               errors: Sequence[QueueError] = ()) -> Ingested:
        """Store a delivery in one transaction (see `QueueStorage.ingest`)."""
        dialect = self._tx.dialect
        # An item keyed by its own (new) id cannot duplicate one: no look-up for those.
        keys = sorted({new.item.item_key for new in items if new.item.item_key != new.item.id})

        def tx(conn: Connection) -> Ingested:
            dialect.lock(conn, LockArea.QUEUES)
            accepted_ids: dict[str, str] = dict(conn.execute(
                _ACCEPTED_KEYS, {"queue_name": queue_name, "keys": keys}).all()) if keys else {}
            accepted: list[NewItem] = []
            duplicates: list[QueueItem] = []
            for new in items:
                earlier = accepted_ids.get(new.item.item_key)
                if earlier is None:
                    accepted_ids[new.item.item_key] = new.item.id
                    accepted.append(new)
                else:
                    duplicates.append(attrs.evolve(
                        new.item, status=QueueItemStatus.DEDUPLICATED, duplicate_of=earlier))
            _INSERT_ITEMS.execute(conn, [_item_row(new.item, dedupe=True) for new in accepted]
                                  + [_item_row(item, dedupe=False) for item in duplicates],
                                  many=dialect)
            _accept_in_partitions(conn, queue_name, [new.item for new in accepted])
            insert_runs(conn, [run for new in accepted for run in new.runs], many=dialect)
            insert_events(conn, [event for new in accepted for event in new.events],
                          many=dialect)
            if errors:
                _insert_errors(conn, errors)
            if cursor is not None:
                _advance_cursor(conn, queue_name, cursor, len(accepted))
            return Ingested(accepted=tuple(new.item for new in accepted),
                            duplicates=tuple(duplicates))

        return self._tx.write("ingest", tx, announce=any(new.runs for new in items))

    def get_item(self, item_id: str) -> QueueItem:
        """The item of that id; raises QueueItemNotFoundError."""
        row = self._tx.read("get_item", lambda conn: conn.execute(
            _GET_ITEM, {"key_id": item_id}).one_or_none())
        if row is None:
            raise QueueItemNotFoundError(f"no queue item with id {item_id!r}")
        return _item_from_row(row._mapping)

    def find_item_ids(self, prefix: str, *, limit: int = 2) -> list[str]:
        """Up to `limit` item ids starting with `prefix`, in order."""
        query = (select(_items.c.id).where(_items.c.id.startswith(prefix, autoescape=True))
                 .order_by(_items.c.id).limit(limit))
        return self._tx.read("find_item_ids", lambda conn: list(conn.scalars(query)))

    def list_items(self, where: ItemFilter | None = None, *, limit: int = 50,
                   after: ItemPosition | None = None) -> list[QueueItem]:
        """Up to `limit` items matching `where`, newest first, after `after`."""
        query = select(*_ITEM_COLUMNS).where(*_item_conditions(where or ItemFilter()))
        if after is not None:
            query = query.where(older_than(_items, after.created_at, after.id))
        query = query.order_by(*_NEWEST_FIRST).limit(limit)
        rows = self._tx.read("list_items", lambda conn: conn.execute(query).all())
        return [_item_from_row(row._mapping) for row in rows]

    def count_items(self, where: ItemFilter | None = None) -> int:
        """How many items match `where`."""
        query = (select(func.count()).select_from(_items)
                 .where(*_item_conditions(where or ItemFilter())))
        return int(self._tx.read("count_items", lambda conn: conn.execute(query).scalar_one()))

    def count_items_by_status(self, queue_name: str | None = None
                              ) -> dict[str, dict[QueueItemStatus, int]]:
        """Items by queue, then status (of one queue if given)."""
        query = (select(_items.c.queue_name, _items.c.status, func.count())
                 .group_by(_items.c.queue_name, _items.c.status))
        if queue_name is not None:
            query = query.where(_items.c.queue_name == queue_name)
        rows = self._tx.read("count_items_by_status", lambda conn: conn.execute(query).all())
        counts: dict[str, dict[QueueItemStatus, int]] = {}
        for name, status, count in rows:
            counts.setdefault(name, {})[QueueItemStatus(status)] = count
        return counts

    def count_dead_lettered(self, queue_name: str | None = None) -> dict[str, int]:
        """Dead-lettered items by queue (of one queue if given)."""
        query = (select(_items.c.queue_name, func.count())
                 .where(_items.c.dead_lettered_at.is_not(None))
                 .group_by(_items.c.queue_name))
        if queue_name is not None:
            query = query.where(_items.c.queue_name == queue_name)
        rows = self._tx.read("count_dead_lettered", lambda conn: conn.execute(query).all())
        return {name: count for name, count in rows}

    def list_item_runs(self, item_id: str) -> list[Run]:
        """The runs of the item, oldest first."""
        query = (select(*RUN_COLUMNS).where(_runs.c.queue_item_id == item_id)
                 .order_by(_runs.c.created_at, _runs.c.id))
        rows = self._tx.read("list_item_runs", lambda conn: conn.execute(query).all())
        return [run_from_row(row._mapping) for row in rows]

    def list_partitions(self, queue_name: str, *, limit: int = 50,
                        after: str | None = None) -> list[PartitionSummary]:
        """The queue's partition keys (of accepted items) in order, after `after`: read
        from their counted rows, never by counting items."""
        query = (select(_partitions, _items.c.status.label("latest_status"))
                 .join(_items, _items.c.id == _partitions.c.latest_item_id)
                 .where(_partitions.c.queue_name == queue_name)
                 .order_by(_partitions.c.partition_key).limit(limit))
        if after is not None:
            query = query.where(_partitions.c.partition_key > after)
        rows = self._tx.read("list_partitions", lambda conn: conn.execute(query).all())
        summaries = []
        for row in rows:
            counts: dict[QueueItemStatus, int] = {
                status: row._mapping[column] for status, column in
                      _PARTITION_COUNT.items() if row._mapping.get(column)}
            summaries.append(PartitionSummary(
                queue_name=queue_name, partition_key=row.partition_key,
                items=sum(counts.values()), counts=counts,
                dead_lettered=row.dead_lettered, latest_item_id=row.latest_item_id,
                latest_status=QueueItemStatus(row.latest_status), latest_at=row.latest_at))
        return summaries

    def add_item_runs(self, item_id: str, runs: Sequence[Run], events: Sequence[Event], *,
                      attempt: int) -> QueueItem | None:
        """Retry a finished item in `attempt` (see `QueueStorage.add_item_runs`)."""

        def tx(conn: Connection) -> QueueItem | None:
            row = conn.execute(_LOCK_ITEM, {"key_id": item_id}).one_or_none()
            if row is None:
                raise QueueItemNotFoundError(f"no queue item with id {item_id!r}")
            item = _item_from_row(row._mapping)
            if item.attempt != attempt or item.status not in _RETRIABLE:
                return None
            latest: dict[str, str] = {}
            for run_id, job_name in conn.execute(_LATEST_OF_ITEM, {"key_id": item_id}):
                latest[job_name] = run_id  # oldest first: the last one stays
            if any(run.parent_run_id is not None
                   and latest.get(run.job_name) != run.parent_run_id for run in runs):
                return None  # a run it re-runs is no longer its job's latest
            conn.execute(update(_items).where(_items.c.id == item_id)
                         .values(attempt=attempt + 1, updated_at=utcnow()))
            insert_runs(conn, runs)
            insert_events(conn, events)
            roll_up_items(conn, runs)
            return _item_from_row(conn.execute(_GET_ITEM, {"key_id": item_id}).one()._mapping)

        return self._tx.write("add_item_runs", tx, announce=bool(runs))

    def due_item_retries(self, now: dt.datetime, *, limit: int = 100) -> list[QueueItem]:
        """Failed items whose automatic retry is due at `now`, earliest first."""
        query = (select(*_ITEM_COLUMNS).where(_items.c.retry_at <= now)
                 .order_by(_items.c.retry_at, _items.c.id).limit(limit))
        rows = self._tx.read("due_item_retries", lambda conn: conn.execute(query).all())
        return [_item_from_row(row._mapping) for row in rows]

    def merge_item_metadata(self, item_id: str, metadata: Mapping[str, object]) -> None:
        """Merge `metadata` into the item's (its keys replace the item's)."""

        def tx(conn: Connection) -> None:
            row = conn.execute(_LOCK_ITEM, {"key_id": item_id}).one_or_none()
            if row is None:
                raise QueueItemNotFoundError(f"no queue item with id {item_id!r}")
            merged = {**row._mapping["metadata"], **metadata}
            conn.execute(update(_items).where(_items.c.id == item_id)
                         .values(metadata=merged, updated_at=utcnow()))

        self._tx.write("merge_item_metadata", tx)

    def get_loader_state(self, queue_name: str) -> LoaderState:
        """The queue loader's cursor and health (a fresh state before its first poll)."""
        row = self._tx.read("get_loader_state", lambda conn: conn.execute(
            _GET_LOADER, {"key_name": queue_name}).one_or_none())
        return LoaderState(queue_name=queue_name) if row is None else LoaderState(**row._mapping)

    def list_loader_states(self) -> list[LoaderState]:
        """Every loader state stored, by queue name."""
        query = select(*_LOADER_COLUMNS).order_by(_loaders.c.queue_name)
        rows = self._tx.read("list_loader_states", lambda conn: conn.execute(query).all())
        return [LoaderState(**row._mapping) for row in rows]

    def record_loader_poll(self, queue_name: str, *, at: dt.datetime,
                           error: str | None = None, loaded: int = 0,
                           lag: int | None = None) -> LoaderState:
        """Record a poll of the loader (see `QueueStorage.record_loader_poll`)."""

        def tx(conn: Connection) -> LoaderState:
            row = conn.execute(_GET_LOADER.with_for_update(),
                               {"key_name": queue_name}).one_or_none()
            state = LoaderState(queue_name=queue_name) if row is None else LoaderState(
                **row._mapping)
            if error is None:
                state = attrs.evolve(state, last_poll_at=at, last_success_at=at, failures=0,
                                     loaded=state.loaded + loaded,
                                     lag=state.lag if lag is None else lag, updated_at=at)
            else:
                state = attrs.evolve(state, last_poll_at=at, last_error=error,
                                     last_error_at=at, failures=state.failures + 1,
                                     updated_at=at)
            values = record_values(state)
            if row is None:
                conn.execute(_loaders.insert(), values)
            else:
                conn.execute(update(_loaders).where(_loaders.c.queue_name == queue_name)
                             .values(values))
            return state

        return self._tx.write_unique("record_loader_poll", tx)

    def add_queue_errors(self, errors: Sequence[QueueError]) -> None:
        """Store ingestion errors; each queue keeps its newest `QUEUE_ERRORS_KEPT`."""
        if errors:
            self._tx.write("add_queue_errors", lambda conn: _insert_errors(conn, errors))

    def list_queue_errors(self, queue_name: str, *, limit: int = 20) -> list[QueueError]:
        """The queue's newest errors, newest first."""
        query = (select(*_ERROR_COLUMNS).where(_errors.c.queue_name == queue_name)
                 .order_by(_errors.c.id.desc()).limit(limit))
        rows = self._tx.read("list_queue_errors", lambda conn: conn.execute(query).all())
        return [QueueError(**{**row._mapping, "source": ItemSource(row._mapping["source"])})
                for row in rows]


def _accept_in_partitions(conn: Connection, queue_name: str,
                          accepted: Sequence[QueueItem]) -> None:
    """Count newly accepted (QUEUED) items in their partitions' rows, making the rows of
    keys seen first (under the ingestion lock: no other transaction makes rows)."""
    counts: Counter[str] = Counter()
    latest: dict[str, QueueItem] = {}
    for item in accepted:
        if item.partition_key is None:
            continue
        counts[item.partition_key] += 1
        newest = latest.get(item.partition_key)
        if newest is None or (item.created_at, item.id) > (newest.created_at, newest.id):
            latest[item.partition_key] = item
    if not counts:
        return
    keys = sorted(counts)
    known = dict(conn.execute(
        select(_partitions.c.partition_key, _partitions.c.latest_at)
        .where(_partitions.c.queue_name == queue_name,
               _partitions.c.partition_key.in_(keys))).all())
    for key in keys:
        item = latest[key]
        if key not in known:
            conn.execute(_partitions.insert().values(
                queue_name=queue_name, partition_key=key, queued=counts[key],
                latest_item_id=item.id, latest_at=item.created_at))
            continue
        values: dict[str, Any] = {"queued": _partitions.c.queued + counts[key]}
        if item.created_at >= known[key]:
            values.update(latest_item_id=item.id, latest_at=item.created_at)
        conn.execute(update(_partitions).where(_partitions.c.queue_name == queue_name,
                                               _partitions.c.partition_key == key)
                     .values(values))


def _insert_errors(conn: Connection, errors: Sequence[QueueError]) -> None:
    """Insert `errors`; each queue keeps its newest QUEUE_ERRORS_KEPT."""
    rows = [{**record_values(e), "source": ItemSource(e.source).value} for e in errors]
    for row in rows:
        del row["id"]
    conn.execute(_errors.insert(), rows)
    for name in sorted({e.queue_name for e in errors}):
        oldest_kept = (select(_errors.c.id).where(_errors.c.queue_name == name)
                       .order_by(_errors.c.id.desc())
                       .offset(QUEUE_ERRORS_KEPT - 1).limit(1).scalar_subquery())
        conn.execute(delete(_errors).where(_errors.c.queue_name == name,
                                           _errors.c.id < oldest_kept))


def _advance_cursor(conn: Connection, queue_name: str, cursor: CursorAdvance,
                    count: int) -> None:
    now = utcnow()
    moved = conn.execute(_ADVANCE_CURSOR, {
        "key_name": queue_name, "key_version": cursor.version, "cursor": cursor.cursor,
        "lag": cursor.lag, "count": count, "at": now}).rowcount
    if moved:
        return
    exists = conn.execute(_GET_LOADER, {"key_name": queue_name}).one_or_none()
    if exists is not None or cursor.version != 0:
        raise CursorMovedError(
            f"the cursor of queue {queue_name!r}'s loader moved past version "
            f"{cursor.version} meanwhile (another server stored that batch); nothing stored")
    conn.execute(_loaders.insert(), record_values(LoaderState(
        queue_name=queue_name, cursor=cursor.cursor, version=1, lag=cursor.lag,
        loaded=count, updated_at=now)))


def _item_conditions(where: ItemFilter) -> list[Any]:
    conditions: list[Any] = []
    if where.queue_name is not None:
        conditions.append(_items.c.queue_name == where.queue_name)
    if where.statuses is not None:
        conditions.append(_items.c.status.in_(sorted(s.value for s in where.statuses)))
    if where.partition_key is not None:
        conditions.append(_items.c.partition_key == where.partition_key)
    if where.dead_lettered is not None:
        conditions.append(_items.c.dead_lettered_at.is_not(None) if where.dead_lettered
                          else _items.c.dead_lettered_at.is_(None))
    if where.duplicate_of is not None:
        conditions.append(_items.c.duplicate_of == where.duplicate_of)
    if where.created_after is not None:
        conditions.append(_items.c.created_at >= where.created_after)
    if where.created_before is not None:
        conditions.append(_items.c.created_at < where.created_before)
    return conditions


def _item_row(item: QueueItem, *, dedupe: bool) -> tuple[Any, ...]:
    values = record_values(item)
    values.update(status=QueueItemStatus(item.status).value, source=ItemSource(item.source).value,
                  dedupe_key=item.item_key if dedupe else None)
    return tuple(values[name] for name in _ITEM_ROW)


def _item_from_row(row: RowMapping) -> QueueItem:
    return QueueItem(**{**row, "status": QueueItemStatus(row["status"]),
                        "source": ItemSource(row["source"])})


def _queue_from_row(row: RowMapping) -> QueueRecord:
    return QueueRecord(**{**row, "snapshot": serde.structure(row["snapshot"], QueueSnapshot),
                          "active": bool(row["active"])})

