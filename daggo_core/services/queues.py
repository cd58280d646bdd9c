"""Queues, their items and partitions: what was delivered, what each item started, why it
waits, and pushing, retrying and replaying items.

`Queues.*` covers the queues (counts, loader health, recent ingestion errors) and
pushing; `QueueItems.*` lists and explains items and retries them, one or in bulk
(replay); `Partitions.GetMany` lists a queue's partition keys with their latest status.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from daggo_core.definitions.queues import QueueDefinition
from daggo_core.errors import (
    FailedPreconditionError,
    InvalidArgumentError,
    PayloadError,
    QueueItemNotFoundError,
    QueueNotFoundError,
)
from daggo_core.queues.ingestion import STOPPING, Delivered, Ingestor
from daggo_core.queues.retries import retry_item
from daggo_core.services.context import ServiceContext
from daggo_core.services.cursors import cursor_moment, decode_cursor, encode_cursor
from daggo_core.services.paging import check_limit, page_limit
from daggo_core.services.runs import RunSummary
from daggo_core.storage.base import ItemFilter, ItemPosition
from daggo_core.storage.item_rollup import BAD_ITEM_STATUSES
from daggo_core.storage.records import (
    PARTITION_TAG,
    QUEUE_TAG,
    ItemSource,
    LoaderState,
    PartitionSummary,
    QueueError,
    QueueItem,
    QueueItemStatus,
    QueueRecord,
)

__all__ = [
    "ITEMS_PAGE",
    "ITEMS_PAGE_MAX",
    "PARTITIONS_PAGE",
    "PARTITIONS_PAGE_MAX",
    "PARTITION_TAG",
    "PUSH_MAX",
    "QUEUE_TAG",
    "REPLAY_MAX",
    "ItemSource",
    "ItemSummary",
    "LoaderHealth",
    "PartitionInfo",
    "PartitionsGetManyRequest",
    "PartitionsGetManyResponse",
    "PartitionsService",
    "QueueDetail",
    "QueueErrorInfo",
    "QueueItemStatus",
    "QueueItemsGetManyRequest",
    "QueueItemsGetManyResponse",
    "QueueItemsGetRequest",
    "QueueItemsGetResponse",
    "QueueItemsReplayRequest",
    "QueueItemsReplayResponse",
    "QueueItemsRetryRequest",
    "QueueItemsRetryResponse",
    "QueueItemsService",
    "QueueSummary",
    "QueuesGetManyResponse",
    "QueuesGetRequest",
    "QueuesGetResponse",
    "QueuesPushRequest",
    "QueuesPushResponse",
    "QueuesService",
]

#: Page sizes of item lists: the default and the most one request may ask for.
ITEMS_PAGE, ITEMS_PAGE_MAX = 50, 500
#: Page sizes of partition lists.
PARTITIONS_PAGE, PARTITIONS_PAGE_MAX = 100, 1000
#: The most items one Replay request retries.
REPLAY_MAX = 1000
#: The most items one Push request delivers.
PUSH_MAX = 10_000
#: Deliveries deduplicated against an item that its detail lists.
_DUPLICATES_SHOWN = 20
_WHOLE_ID = re.compile(r"[0-9a-f]{32}")


@frozen(kw_only=True)
class LoaderHealth:
    """A queue loader's health: `healthy` unless its last poll failed; `failures` in a
    row; `lag` is what it last said its source still holds; `loaded` counts the items
    it delivered."""

    mode: str
    poll_every_seconds: float | None
    healthy: bool
    last_poll_at: dt.datetime | None
    last_success_at: dt.datetime | None
    last_error: str | None
    last_error_at: dt.datetime | None
    failures: int
    lag: int | None
    loaded: int
    cursor: str | None


@frozen(kw_only=True)
class QueueSummary:
    """A queue: its items by status, how many are dead-lettered, and its loader."""

    name: str
    description: str
    active: bool
    jobs: tuple[str, ...]
    routes: tuple[str, ...]
    payload_type: str
    counts: Mapping[QueueItemStatus, int]
    dead_lettered: int
    loader: LoaderHealth | None


@frozen(kw_only=True)
class QueueErrorInfo:
    """A problem ingesting into the queue (a bad item, a loader that raised)."""

    source: ItemSource
    message: str
    detail: str
    created_at: dt.datetime


@frozen(kw_only=True)
class QueueDetail:
    """A queue with its policies and its recent ingestion errors, newest first."""

    queue: QueueSummary
    has_partition_key: bool
    has_item_key: bool
    retries: int
    retry_backoff_seconds: float
    per_partition_limit: int | None
    payload_fields: tuple[str, ...]
    errors: tuple[QueueErrorInfo, ...]


@frozen(kw_only=True)
class ItemSummary:
    """One delivery to a queue: accepted (with its status rolled up from its runs) or
    DEDUPLICATED against `duplicate_of`. `attempt` counts its runs' rounds; a failed item
    with retries left has `retry_at`, one without is `dead_lettered`."""

    id: str
    queue_name: str
    item_key: str
    partition_key: str | None
    status: QueueItemStatus
    source: ItemSource
    duplicate_of: str | None
    dead_lettered: bool
    attempt: int
    max_retries: int
    retry_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None

    @classmethod
    def of(cls, item: QueueItem) -> ItemSummary:
        return cls(id=item.id, queue_name=item.queue_name, item_key=item.item_key,
                   partition_key=item.partition_key, status=item.status, source=item.source,
                   duplicate_of=item.duplicate_of, dead_lettered=item.is_dead_lettered,
                   attempt=item.attempt, max_retries=item.max_retries, retry_at=item.retry_at,
                   created_at=item.created_at, updated_at=item.updated_at,
                   finished_at=item.finished_at)


@frozen(kw_only=True)
class QueuesGetManyResponse:
    queues: tuple[QueueSummary, ...]


@frozen(kw_only=True)
class QueuesGetRequest:
    queue: str


@frozen(kw_only=True)
class QueuesGetResponse:
    queue: QueueDetail


@frozen(kw_only=True)
class QueuesPushRequest:
    """Items to deliver to `queue`: payloads, JSON objects of its payload class (callers in
    the process may give payload instances and QueueItemIn too); `key`, for one item, is
    its item key (else the queue's item key function's, if any)."""

    queue: str
    items: tuple[Mapping[str, Any], ...]
    key: str | None = None


@frozen(kw_only=True)
class QueuesPushResponse:
    """The items `accepted` (their ids), those `deduplicated` (each a new record and the
    earlier item it duplicates) and one message per item `rejected`."""

    accepted: tuple[str, ...]
    deduplicated: tuple[ItemSummary, ...]
    rejected: tuple[str, ...]


@frozen(kw_only=True)
class QueueItemsGetManyRequest:
    """A page of items, newest first, optionally one queue's, of some statuses, one
    partition key, dead-lettered (or not) and created in [created_after, created_before);
    `cursor` is the previous page's `next_cursor`."""

    queue: str | None = None
    statuses: tuple[QueueItemStatus, ...] = ()
    partition_key: str | None = None
    dead_lettered: bool | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    limit: int = page_limit(ITEMS_PAGE, ITEMS_PAGE_MAX)
    cursor: str | None = None


@frozen(kw_only=True)
class QueueItemsGetManyResponse:
    items: tuple[ItemSummary, ...]
    next_cursor: str | None


@frozen(kw_only=True)
class QueueItemsGetRequest:
    """An item by id, or by a unique prefix of its id."""

    item_id: str


@frozen(kw_only=True)
class QueueItemsGetResponse:
    """An item with its payload and metadata, every run it started (oldest first; a
    queued run's `wait_reason` says why it waits), the deliveries deduplicated against
    it (`duplicates`, the newest, of `duplicate_count`) and, for a deduplicated one,
    the item it duplicates."""

    item: ItemSummary
    payload: Mapping[str, Any]
    metadata: Mapping[str, Any]
    runs: tuple[RunSummary, ...]
    duplicates: tuple[ItemSummary, ...]
    duplicate_count: int
    original: ItemSummary | None


@frozen(kw_only=True)
class QueueItemsRetryRequest:
    item_id: str


@frozen(kw_only=True)
class QueueItemsRetryResponse:
    """The item retried, and its new runs (one per job that had not succeeded)."""

    item: ItemSummary
    runs: tuple[RunSummary, ...]


@frozen(kw_only=True)
class QueueItemsReplayRequest:
    """Retry, in bulk, the finished items of `queue` that did not succeed (FAILED and
    PARTIALLY_FAILED unless `statuses` says), optionally only dead-lettered ones, of one
    partition key, created in [created_after, created_before); at most `limit`."""

    queue: str
    statuses: tuple[QueueItemStatus, ...] = ()
    dead_lettered: bool | None = None
    partition_key: str | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    limit: int = page_limit(REPLAY_MAX, REPLAY_MAX)


@frozen(kw_only=True)
class QueueItemsReplayResponse:
    """The ids of the items replayed, and how many matched but had nothing to re-run
    (or were retried meanwhile)."""

    replayed: tuple[str, ...]
    skipped: int


@frozen(kw_only=True)
class PartitionsGetManyRequest:
    """A page of a queue's partition keys, in order; `cursor` is the previous page's
    `next_cursor`."""

    queue: str
    limit: int = page_limit(PARTITIONS_PAGE, PARTITIONS_PAGE_MAX)
    cursor: str | None = None


@frozen(kw_only=True)
class PartitionInfo:
    """A partition key: its items by status (and how many are dead-lettered), and its
    latest item."""

    partition_key: str
    items: int
    counts: Mapping[QueueItemStatus, int]
    dead_lettered: int
    latest_item_id: str
    latest_status: QueueItemStatus
    latest_at: dt.datetime

    @classmethod
    def of(cls, summary: PartitionSummary) -> PartitionInfo:
        return cls(partition_key=summary.partition_key, items=summary.items,
                   counts=dict(summary.counts), dead_lettered=summary.dead_lettered,
                   latest_item_id=summary.latest_item_id,
                   latest_status=summary.latest_status, latest_at=summary.latest_at)


@frozen(kw_only=True)
class PartitionsGetManyResponse:
    partitions: tuple[PartitionInfo, ...]
    next_cursor: str | None


class QueuesService:
    """The queues synced from code, and pushing items to them."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self.storage = context.storage
        self._ingestors: dict[str, Ingestor] = {}
        self._opening = threading.Lock()
        self._closed = False

    def get_many(self) -> QueuesGetManyResponse:
        """Every active queue with its items by status, dead letters and loader health."""
        storage = self.storage

        def read() -> tuple[list[QueueRecord], dict[str, dict[QueueItemStatus, int]],
                            dict[str, int], dict[str, LoaderState]]:
            return (storage.list_queues(), storage.count_items_by_status(),
                    storage.count_dead_lettered(),
                    {s.queue_name: s for s in storage.list_loader_states()})

        queues, counts, dead, loaders = storage.reading(read)
        return QueuesGetManyResponse(queues=tuple(
            _summary(q, counts.get(q.name, {}), dead.get(q.name, 0), loaders.get(q.name))
            for q in queues))

    def get(self, request: QueuesGetRequest) -> QueuesGetResponse:
        """One queue (active or not) with its policies and recent ingestion errors."""
        storage = self.storage
        name = request.queue

        def read() -> tuple[QueueRecord | None, dict[str, dict[QueueItemStatus, int]],
                            dict[str, int], LoaderState, list[QueueError]]:
            return (storage.get_queue(name), storage.count_items_by_status(name),
                    storage.count_dead_lettered(name), storage.get_loader_state(name),
                    storage.list_queue_errors(name))

        record, counts, dead, loader, errors = storage.reading(read)
        if record is None:
            raise _unknown_queue(self.storage, name)
        snapshot = record.snapshot
        return QueuesGetResponse(queue=QueueDetail(
            queue=_summary(record, counts.get(name, {}), dead.get(name, 0), loader),
            has_partition_key=snapshot.has_partition_key, has_item_key=snapshot.has_item_key,
            retries=snapshot.retries, retry_backoff_seconds=snapshot.retry_backoff,
            per_partition_limit=snapshot.per_partition_limit,
            payload_fields=tuple(f.name for f in snapshot.payload_fields),
            errors=tuple(QueueErrorInfo(source=e.source, message=e.message, detail=e.detail,
                                        created_at=e.created_at) for e in errors)))

    def push(self, request: QueuesPushRequest) -> QueuesPushResponse:
        """Deliver items to a queue: each is checked against the queue's payload class,
        deduplicated on its key and, when accepted, starts one run per job of the queue.
        Raises PayloadError (an invalid argument) naming the bad fields when no item was
        accepted because every one was bad; otherwise the bad ones are in `rejected`."""
        return self.deliver(request, source=ItemSource.API)

    async def push_async(self, request: QueuesPushRequest) -> QueuesPushResponse:
        """`push`, awaited on an event loop (how the API answers it)."""
        return await self.deliver_async(request, source=ItemSource.API)

    def deliver(self, request: QueuesPushRequest, *, source: ItemSource) -> QueuesPushResponse:
        """`push` of items that came from `source` (a route's request), as their items
        record; not an RPC method (it takes more than the request)."""
        ingestor = self._checked(request)
        return _pushed(ingestor.deliver(list(request.items), source=source, key=request.key))

    async def deliver_async(self, request: QueuesPushRequest, *,
                            source: ItemSource) -> QueuesPushResponse:
        """`deliver`, awaited on an event loop without holding a thread while the items
        are stored."""
        ingestor = self._checked(request)
        return _pushed(await ingestor.deliver_async(list(request.items), source=source,
                                                    key=request.key))

    def close(self) -> None:
        """Take no more pushes; return once those under way are stored."""
        with self._opening:
            self._closed = True
            ingestors = list(self._ingestors.values())
        for ingestor in ingestors:
            ingestor.close()

    def _checked(self, request: QueuesPushRequest) -> Ingestor:
        if not request.items:
            raise InvalidArgumentError("items: give at least one item to push")
        if len(request.items) > PUSH_MAX:
            raise InvalidArgumentError(f"items: at most {PUSH_MAX} items per push, got "
                                       f"{len(request.items)}; push them in batches")
        return self.ingestor(request.queue)

    def ingestor(self, name: str) -> Ingestor:
        """The ingestor of queue `name` (it needs the app's code, which checks items)."""
        found = self._ingestors.get(name)
        if found is not None:
            return found
        definitions = self.context.definitions
        if definitions is None:
            raise FailedPreconditionError(
                "pushing items needs the app's code, which checks them: push to a "
                "running server (daggo queue push --url URL), or give the app (-m/-f)")
        queue: QueueDefinition[Any] = definitions.queue(name)
        runtime = self.context.runtime
        with self._opening:
            if self._closed:
                raise FailedPreconditionError(STOPPING)
            found = self._ingestors.get(queue.name)
            if found is None:
                found = self._ingestors[queue.name] = Ingestor(
                    self.storage, queue,
                    on_accepted=runtime.wake_coordinator if runtime is not None else None)
        return found


class QueueItemsService:
    """Queue items: listed, explained, retried and replayed."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self.storage = context.storage

    def get_many(self, request: QueueItemsGetManyRequest) -> QueueItemsGetManyResponse:
        """A page of items matching the request, newest first."""
        limit = check_limit(request)
        if request.queue is not None and self.storage.get_queue(request.queue) is None:
            raise _unknown_queue(self.storage, request.queue)
        after = None
        if request.cursor is not None:
            created_at, item_id = decode_cursor("items", request.cursor, 2)
            after = ItemPosition(cursor_moment(created_at), str(item_id))
        where = ItemFilter(queue_name=request.queue, statuses=request.statuses or None,
                           partition_key=request.partition_key,
                           dead_lettered=request.dead_lettered,
                           created_after=request.created_after,
                           created_before=request.created_before)
        found = self.storage.list_items(where, limit=limit + 1, after=after)
        page = found[:limit]
        next_cursor = None
        if len(found) > limit:
            next_cursor = encode_cursor("items", page[-1].created_at.isoformat(), page[-1].id)
        return QueueItemsGetManyResponse(items=tuple(map(ItemSummary.of, page)),
                                         next_cursor=next_cursor)

    def get(self, request: QueueItemsGetRequest) -> QueueItemsGetResponse:
        """An item with its payload, metadata, runs and deduplicated deliveries."""
        item_id = self.resolve_id(request.item_id)
        storage = self.storage

        def read() -> tuple[QueueItem, list[Any], list[QueueItem], QueueItem | None]:
            item = storage.get_item(item_id)
            duplicates = storage.list_items(ItemFilter(duplicate_of=item.id),
                                            limit=_DUPLICATES_SHOWN + 1)
            original = (storage.get_item(item.duplicate_of)
                        if item.duplicate_of is not None else None)
            return item, storage.list_item_runs(item.id), duplicates, original

        item, runs, duplicates, original = storage.reading(read)
        count = len(duplicates)
        if count > _DUPLICATES_SHOWN:
            count = storage.count_items(ItemFilter(duplicate_of=item.id))
        return QueueItemsGetResponse(
            item=ItemSummary.of(item), payload=item.payload, metadata=item.metadata,
            runs=tuple(map(RunSummary.of, runs)),
            duplicates=tuple(map(ItemSummary.of, duplicates[:_DUPLICATES_SHOWN])),
            duplicate_count=count,
            original=None if original is None else ItemSummary.of(original))

    def retry(self, request: QueueItemsRetryRequest) -> QueueItemsRetryResponse:
        """Run the item's jobs that did not succeed again (each a re-execution from
        failure of its latest run, linked to the item); a dead-lettered item leaves the
        dead letter. Fails for an item that runs, succeeded or was deduplicated."""
        item = self.storage.get_item(self.resolve_id(request.item_id))
        if item.status is QueueItemStatus.DEDUPLICATED:
            raise FailedPreconditionError(
                f"item {item.id} was deduplicated against item {item.duplicate_of}; retry "
                "that one")
        if item.status not in BAD_ITEM_STATUSES and item.status is not QueueItemStatus.CANCELED:
            raise FailedPreconditionError(
                f"item {item.id} is {item.status}; only a failed, partially failed or "
                "canceled item can be retried")
        retried = retry_item(self.storage, self._jobs(), item, reason="retried")
        if retried is None:
            raise FailedPreconditionError(f"item {item.id} was retried meanwhile")
        self._wake()
        return QueueItemsRetryResponse(item=ItemSummary.of(retried.item),
                                       runs=tuple(map(RunSummary.of, retried.runs)))

    def replay(self, request: QueueItemsReplayRequest) -> QueueItemsReplayResponse:
        """Retry the matching finished items that did not succeed, oldest first."""
        limit = check_limit(request)
        if self.storage.get_queue(request.queue) is None:
            raise _unknown_queue(self.storage, request.queue)
        statuses = request.statuses or tuple(sorted(BAD_ITEM_STATUSES))
        wrong = [s for s in statuses if s not in BAD_ITEM_STATUSES
                 and s is not QueueItemStatus.CANCELED]
        if wrong:
            raise InvalidArgumentError(
                f"statuses: {', '.join(wrong)} items have nothing to replay; choose among "
                "FAILED, PARTIALLY_FAILED and CANCELED")
        where = ItemFilter(queue_name=request.queue, statuses=statuses,
                           partition_key=request.partition_key,
                           dead_lettered=request.dead_lettered,
                           created_after=request.created_after,
                           created_before=request.created_before)
        matching = self.storage.list_items(where, limit=limit)
        jobs = self._jobs()
        replayed = [item.id for item in reversed(matching)
                    if retry_item(self.storage, jobs, item, reason="replayed") is not None]
        if replayed:
            self._wake()
        return QueueItemsReplayResponse(replayed=tuple(replayed),
                                        skipped=len(matching) - len(replayed))

    def resolve_id(self, item_id: str) -> str:
        """The full id of the item `item_id` names: an id or a unique prefix of one."""
        ref = item_id.strip().lower()
        if not ref:
            raise InvalidArgumentError("item_id: give an item id or a prefix of one")
        if _WHOLE_ID.fullmatch(ref):
            return ref
        found = self.storage.find_item_ids(ref, limit=2)
        if not found:
            raise QueueItemNotFoundError(f"no queue item with id {item_id!r} (nor one "
                                         "starting with it)")
        if len(found) > 1:
            raise InvalidArgumentError(f"item id prefix {item_id!r} is ambiguous; give more "
                                       "characters")
        return found[0]

    def _jobs(self) -> Mapping[str, Any]:
        definitions = self.context.definitions
        return {} if definitions is None else definitions.jobs_by_name

    def _wake(self) -> None:
        if self.context.runtime is not None:
            self.context.runtime.wake_coordinator()


class PartitionsService:
    """A queue's partition keys, each with its items' statuses and its latest item."""

    def __init__(self, context: ServiceContext) -> None:
        self.storage = context.storage

    def get_many(self, request: PartitionsGetManyRequest) -> PartitionsGetManyResponse:
        """A page of the queue's partition keys, in order."""
        limit = check_limit(request)
        if self.storage.get_queue(request.queue) is None:
            raise _unknown_queue(self.storage, request.queue)
        after = None
        if request.cursor is not None:
            (key,) = decode_cursor("partitions", request.cursor, 1)
            after = str(key)
        found = self.storage.list_partitions(request.queue, limit=limit + 1, after=after)
        page = found[:limit]
        next_cursor = (encode_cursor("partitions", page[-1].partition_key)
                       if len(found) > limit else None)
        return PartitionsGetManyResponse(partitions=tuple(map(PartitionInfo.of, page)),
                                         next_cursor=next_cursor)


def _pushed(delivered: Delivered) -> QueuesPushResponse:
    """The answer to a push; PayloadError naming the bad fields when every item was bad."""
    if delivered.rejected and not delivered.accepted and not delivered.duplicates:
        raise PayloadError("; ".join(delivered.rejected))
    return QueuesPushResponse(accepted=tuple(item.id for item in delivered.accepted),
                              deduplicated=tuple(ItemSummary.of(item)
                                                 for item in delivered.duplicates),
                              rejected=delivered.rejected)


def _summary(record: QueueRecord, counts: Mapping[QueueItemStatus, int], dead: int,
             loader: LoaderState | None) -> QueueSummary:
    snapshot = record.snapshot
    health = None
    if snapshot.loader_mode is not None:
        state = loader or LoaderState(queue_name=record.name)
        health = LoaderHealth(
            mode=snapshot.loader_mode, poll_every_seconds=snapshot.poll_every,
            healthy=state.failures == 0, last_poll_at=state.last_poll_at,
            last_success_at=state.last_success_at, last_error=state.last_error,
            last_error_at=state.last_error_at, failures=state.failures, lag=state.lag,
            loaded=state.loaded, cursor=state.cursor)
    return QueueSummary(name=record.name, description=record.description,
                        active=record.active, jobs=snapshot.jobs, routes=snapshot.routes,
                        payload_type=snapshot.payload_type, counts=dict(counts),
                        dead_lettered=dead, loader=health)


def _unknown_queue(storage: Any, name: str) -> QueueNotFoundError:
    known = ", ".join(q.name for q in storage.list_queues()) or "none"
    return QueueNotFoundError(f"no queue named {name!r} (queues: {known})")
