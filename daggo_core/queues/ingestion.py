"""Ingestion: deliveries to a queue become stored items, each with one run per job.

Every way in (a route, a loader, the API) goes through an `Ingestor`: each value is
validated against the queue's payload class, keyed and partitioned, and stored in one
transaction (`QueueStorage.ingest`) with its runs, and the loader's cursor when there
is one. A bad value is rejected with a message naming what is wrong, and recorded on the
queue; the others are stored all the same. Deliveries without a cursor are written by
group commit (`daggo_core.queues.group_commit`): those that arrive while one is being
stored are stored together, each with its own outcome.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, Protocol

from attrs import frozen

from daggo_core.definitions.partitions import partition_key_problem
from daggo_core.definitions.queues import KEY_LIMIT, PushResult, QueueDefinition, QueueItemIn
from daggo_core.errors import (
    DaggoError,
    FailedPreconditionError,
    InvalidArgumentError,
    PayloadError,
    StorageError,
)
from daggo_core.queues.group_commit import GroupClosedError, GroupCommit
from daggo_core.serde import unstructure
from daggo_core.storage.asset_storage import PartitionStorage
from daggo_core.storage.base import CursorAdvance, NewItem, QueueStorage
from daggo_core.storage.records import (
    PARTITION_TAG,
    QUEUE_TAG,
    Event,
    EventKind,
    ItemSource,
    QueueError,
    QueueItem,
    Run,
    new_run_id,
)

__all__ = ["Delivered", "Ingestor"]

#: The most characters of a rejected value kept with its error.
_DETAIL_CHARS = 2000
#: Why a delivery is refused once its ingestor was closed.
STOPPING = "the server is stopping: push again to a running server"
#: The most items stored in one group-commit transaction (a delivery larger alone).
_GROUP_ITEMS = 1000


@frozen(kw_only=True)
class Delivered:
    """What became of a delivery: the items accepted, those deduplicated (each with the
    item it duplicates as `duplicate_of`), and one message per value rejected."""

    accepted: tuple[QueueItem, ...]
    duplicates: tuple[QueueItem, ...]
    rejected: tuple[str, ...]

    def result(self) -> PushResult:
        """As a push loader or route handler sees it."""
        return PushResult(accepted=tuple(item.id for item in self.accepted),
                          deduplicated=tuple((item.id, item.duplicate_of or "")
                                             for item in self.duplicates),
                          rejected=self.rejected)


@frozen(kw_only=True)
class _Delivery:
    """Values delivered at once; `key`, for a single value, is its explicit item key."""

    values: tuple[Any, ...]
    source: ItemSource
    key: str | None


@frozen(kw_only=True)
class _Prepared:
    """A delivery checked: the items to store, and one message per value rejected."""

    items: tuple[NewItem, ...]
    rejected: tuple[str, ...]
    errors: tuple[QueueError, ...]


class _IngestTarget(QueueStorage, PartitionStorage, Protocol):
    """What ingestion writes to."""


class Ingestor:
    """Stores deliveries to one queue; `on_accepted` is called after items were accepted
    (to wake this process's coordinator)."""

    def __init__(self, storage: _IngestTarget, queue: QueueDefinition[Any], *,
                 on_accepted: Callable[[], None] | None = None) -> None:
        self.storage = storage
        self.queue = queue
        self.on_accepted = on_accepted
        self._params = {job.name: job.params_dict(None) for job in queue.jobs}
        self._group: GroupCommit[_Delivery, Delivered] = GroupCommit(
            self._store_group, name=f"daggo-ingest-{queue.name}", most=_GROUP_ITEMS,
            size=lambda delivery: len(delivery.values))

    def deliver(self, values: Sequence[Any], *, source: ItemSource,
                key: str | None = None) -> Delivered:
        """Check and store `values` (payload instances, JSON mappings or QueueItemIn),
        with others delivered meanwhile (see the module doc); `key`, for a single value,
        is its explicit item key."""
        return self._submit(self._delivery(values, source, key)).result()

    async def deliver_async(self, values: Sequence[Any], *, source: ItemSource,
                            key: str | None = None) -> Delivered:
        """`deliver`, awaited without holding a thread of the event loop's."""
        return await asyncio.wrap_future(self._submit(self._delivery(values, source, key)))

    def _submit(self, delivery: _Delivery) -> Future[Delivered]:
        try:
            return self._group.submit(delivery)
        except GroupClosedError:
            raise FailedPreconditionError(STOPPING) from None

    def push(self, values: Sequence[Any], *, source: ItemSource,
             cursor: CursorAdvance | None = None) -> PushResult:
        """`deliver` for a loader: the cursor, if given, is stored with the items, alone in
        their transaction (CursorMovedError, storing nothing, if it moved meanwhile)."""
        if cursor is None:
            return self.deliver(values, source=source).result()
        (stored,) = self._store([self._delivery(values, source, None)], cursor=cursor)
        self._accepted([stored])
        return stored.result()

    def close(self) -> None:
        """Take no more deliveries; return once those under way are stored."""
        self._group.close()

    @staticmethod
    def _delivery(values: Sequence[Any], source: ItemSource, key: str | None) -> _Delivery:
        if key is not None and len(values) != 1:
            raise InvalidArgumentError(f"key: an explicit item key is for one item; "
                                       f"{len(values)} were given (give each its own key)")
        return _Delivery(values=tuple(values), source=source, key=key)

    def _store_group(self, deliveries: Sequence[_Delivery]) -> list[Delivered | BaseException]:
        """Store `deliveries` in one transaction; when one of them made it fail before
        anything was stored (a payload instance holding what JSON cannot encode, a value
        the database refuses), each alone, so that the one that cannot be stored fails
        alone. Any other failure (the database unreachable, a COMMIT whose outcome is not
        known) fails the group: storing again could store it twice."""
        try:
            outcomes: list[Delivered | BaseException] = list(self._store(deliveries))
        except (TypeError, ValueError, StorageError) as exc:
            if len(deliveries) == 1 or (isinstance(exc, StorageError) and not exc.refused):
                raise
            outcomes = [self._store_alone(delivery) for delivery in deliveries]
        self._accepted(outcomes)
        return outcomes

    def _store_alone(self, delivery: _Delivery) -> Delivered | BaseException:
        try:
            (stored,) = self._store([delivery])
        except Exception as exc:
            return exc
        return stored

    def _store(self, deliveries: Sequence[_Delivery], *,
               cursor: CursorAdvance | None = None) -> list[Delivered]:
        """Check and store `deliveries` (with `cursor`) in one transaction; what became
        of each."""
        prepared = [self._prepare(delivery) for delivery in deliveries]
        self._add_partitions(prepared)
        ingested = self.storage.ingest(
            self.queue.name, [item for p in prepared for item in p.items], cursor=cursor,
            errors=[error for p in prepared for error in p.errors])
        accepted = {item.id: item for item in ingested.accepted}
        duplicates = {item.id: item for item in ingested.duplicates}
        return [Delivered(
            accepted=tuple(accepted[new.item.id] for new in p.items if new.item.id in accepted),
            duplicates=tuple(duplicates[new.item.id] for new in p.items
                             if new.item.id in duplicates),
            rejected=p.rejected) for p in prepared]

    def _add_partitions(self, prepared: Sequence[_Prepared]) -> None:
        """Add the items' partition keys to the queue's dynamic partitions first, so that
        every run of a partitioned job finds its key there (a key added for an item
        that is then not stored stays, harmlessly). Asked of storage for each group of
        deliveries: a key deleted from the set meanwhile is added again."""
        dynamic = self.queue.dynamic_partitions
        if dynamic is None:
            return
        keys = list(dict.fromkeys(new.item.partition_key for p in prepared for new in p.items
                                  if new.item.partition_key is not None))
        if keys:
            self.storage.add_dynamic_partitions(dynamic.name, keys)

    def _accepted(self, outcomes: Sequence[Delivered | BaseException]) -> None:
        """Wake this process's coordinator when items were accepted."""
        if self.on_accepted is not None and any(
                isinstance(outcome, Delivered) and outcome.accepted for outcome in outcomes):
            self.on_accepted()

    def _prepare(self, delivery: _Delivery) -> _Prepared:
        """Check a delivery's values: the items to store, the values rejected."""
        values, source = delivery.values, delivery.source
        items: list[NewItem] = []
        rejected: list[str] = []
        errors: list[QueueError] = []
        for index, value in enumerate(values):
            try:
                items.append(self._item(value, source, delivery.key))
            except DaggoError as exc:  # PayloadError, or a key function's
                where = f"item {index}: " if len(values) > 1 else ""
                rejected.append(f"{where}{exc}")
                errors.append(QueueError(queue_name=self.queue.name, source=source,
                                         message=f"{where}{exc}", detail=_detail(value)))
        return _Prepared(items=tuple(items), rejected=tuple(rejected), errors=tuple(errors))

    def _item(self, value: Any, source: ItemSource, key: str | None) -> NewItem:
        if isinstance(value, QueueItemIn):
            value, key = value.payload, value.key if value.key is not None else key
        queue = self.queue
        if key is not None and (not isinstance(key, str) or not key or len(key) > KEY_LIMIT
                                or "\x00" in key):
            shown = key[:40] + "..." if isinstance(key, str) and len(key) > 40 else key
            raise PayloadError(f"item key {shown!r}: give a non-empty string of at most "
                               f"{KEY_LIMIT} characters, without NUL characters")
        payload = queue.make_payload(value)
        partition = queue.partition_of(payload)
        if partition is not None and queue.dynamic_partitions is not None:
            problem = partition_key_problem(partition)
            if problem:
                raise PayloadError(f"the item's {problem}")
        item_id = new_run_id()
        item = QueueItem(
            id=item_id, queue_name=queue.name, payload=unstructure(payload),
            item_key=key or queue.key_of(payload) or item_id, partition_key=partition,
            source=source, max_retries=queue.retries, retry_backoff=queue.retry_backoff)
        tags = {QUEUE_TAG: queue.name}
        if partition is not None:
            tags[PARTITION_TAG] = partition
        runs = [Run(job_name=name, params=dict(params), tags=dict(tags), queue_item_id=item_id,
                    partition_key=partition, created_at=item.created_at)
                for name, params in self._params.items()]
        events = [Event(run_id=run.id, kind=EventKind.RUN_QUEUED, level="INFO",
                        message=f"run queued for item {item_id} of queue {queue.name!r}",
                        data={"queue": queue.name, "item_id": item_id})
                  for run in runs]
        return NewItem(item=item, runs=runs, events=events)


def _detail(value: Any) -> str:
    """What was delivered, as JSON text where it can be, cut to a readable length."""
    if isinstance(value, QueueItemIn):
        value = {"key": value.key, "payload": value.payload}
    try:
        text = json.dumps(unstructure(value), default=repr)
    except Exception:
        text = repr(value)
    return text if len(text) <= _DETAIL_CHARS else text[:_DETAIL_CHARS] + "..."
