"""What a step of a queue item's run knows of its item: `queue_meta(ctx)` and
`queue_payload(ctx, T)`; and `MetadataProvider`, the outputs that publish metadata onto
the item."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol, TypeVar, runtime_checkable

from attrs import frozen

from daggo_core.context import Context
from daggo_core.errors import DaggoError, UserError
from daggo_core.serde import structure

__all__ = ["MetadataProvider", "QueueMeta", "queue_meta", "queue_payload"]

T = TypeVar("T")


@frozen(kw_only=True)
class QueueMeta:
    """The queue item a run executes: its queue, id, key, partition key, when it was
    accepted, which attempt this is (1, then one more per retry) and its payload as
    JSON (`queue_payload` gives it typed)."""

    queue: str
    item_id: str
    item_key: str
    partition_key: str | None
    accepted_at: dt.datetime
    attempt: int
    payload: Mapping[str, Any]


@runtime_checkable
class MetadataProvider(Protocol):
    """A step output that publishes metadata onto its queue item when the step succeeds
    (shown with the item; a later value of a key replaces the earlier one)."""

    def queue_metadata(self) -> Mapping[str, Any]:
        """JSON values by key (None, bools, numbers, strings, lists and dicts of them)."""


def queue_meta(ctx: Context) -> QueueMeta:
    """The queue item the step's run executes; raises DaggoError for a run that is not a
    queue item's (launched by hand or by a schedule)."""
    if ctx.queue is None:
        raise DaggoError(f"run {ctx.run_id} of job {ctx.job_name!r} does not execute a "
                         "queue item (it was not started by a queue)")
    return ctx.queue


def queue_payload(ctx: Context, payload_type: type[T]) -> T:
    """The payload of the step's queue item as an instance of `payload_type` (the
    queue's payload class); raises UserError when it does not fit that class."""
    meta = queue_meta(ctx)
    try:
        return structure(dict(meta.payload), payload_type)
    except Exception as exc:
        raise UserError(f"the payload of item {meta.item_id} of queue {meta.queue!r} is not "
                        f"a {payload_type.__name__}: {exc}",
                        hint="pass the queue's payload class to queue_payload") from exc
