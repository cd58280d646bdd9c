"""Ingestion: deliveries to a queue become stored items, each with one run per job.

Every way in (a route, a loader, the API) goes through `Ingestor.push`: each value is
validated against the queue's payload class, keyed and partitioned, and the whole
delivery is stored in one transaction (`QueueStorage.ingest`), with the loader's cursor
when there is one. A bad value is rejected with a message naming what is wrong, and
recorded on the queue; the others are stored all the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from attrs import frozen

from daggo_core.definitions.queues import KEY_LIMIT, PushResult, QueueDefinition, QueueItemIn
from daggo_core.errors import DaggoError, InvalidArgumentError, PayloadError
from daggo_core.serde import unstructure
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

__all__ = ["Ingestor"]

#: The most characters of a rejected value kept with its error.
_DETAIL_CHARS = 2000


@frozen(kw_only=True)
class _Prepared:
    """A delivery checked: the items to store, and one message per value rejected."""

    items: tuple[NewItem, ...]
    rejected: tuple[str, ...]
    errors: tuple[QueueError, ...]


class _IngestTarget(QueueStorage, Protocol):
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

    def _prepare(self, values: Sequence[Any], *, source: ItemSource,
                 key: str | None = None) -> _Prepared:
        """Check `values` (payload instances, JSON mappings or QueueItemIn); `key`, for a
        single value, is its explicit item key."""
        items: list[NewItem] = []
        rejected: list[str] = []
        errors: list[QueueError] = []
        for index, value in enumerate(values):
            try:
                items.append(self._item(value, source, key))
            except DaggoError as exc:  # PayloadError, or a key function's
                where = f"item {index}: " if len(values) > 1 else ""
                rejected.append(f"{where}{exc}")
                errors.append(QueueError(queue_name=self.queue.name, source=source,
                                         message=f"{where}{exc}", detail=_detail(value)))
        return _Prepared(items=tuple(items), rejected=tuple(rejected), errors=tuple(errors))

    def push(self, values: Sequence[Any], *, source: ItemSource, key: str | None = None,
             cursor: CursorAdvance | None = None) -> PushResult:
        """Check and store a delivery (see the module doc); the cursor, if given, is
        stored with it (CursorMovedError, storing nothing, if it moved meanwhile)."""
        if key is not None and len(values) != 1:
            raise InvalidArgumentError(f"key: an explicit item key is for one item; "
                                       f"{len(values)} were given (give each its own key)")
        prepared = self._prepare(values, source=source, key=key)
        ingested = self.storage.ingest(self.queue.name, prepared.items, cursor=cursor,
                                       errors=prepared.errors)
        if ingested.accepted and self.on_accepted is not None:
            self.on_accepted()
        return PushResult(
            accepted=tuple(item.id for item in ingested.accepted),
            deduplicated=tuple((item.id, item.duplicate_of or "")
                               for item in ingested.duplicates),
            rejected=prepared.rejected)

    def _item(self, value: Any, source: ItemSource, key: str | None) -> NewItem:
        if isinstance(value, QueueItemIn):
            value, key = value.payload, value.key if value.key is not None else key
        queue = self.queue
        if key is not None and (not isinstance(key, str) or not key or len(key) > KEY_LIMIT):
            shown = key[:40] + "..." if isinstance(key, str) and len(key) > 40 else key
            raise PayloadError(f"item key {shown!r}: give a non-empty string of at most "
                               f"{KEY_LIMIT} characters")
        payload = queue.make_payload(value)
        partition = queue.partition_of(payload)
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
