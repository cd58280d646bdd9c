"""A queue item's status from its runs, and what its failure leads to: pure functions.

An item has one run per job of its queue; a retry or re-execution of one of them adds
a later run of that job. Only the latest run of each job counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from attrs import frozen

from daggo_core.storage.records import QueueItemStatus, RunStatus

__all__ = ["BAD_ITEM_STATUSES", "FINISHED_ITEM_STATUSES", "MAX_RETRY_DELAY", "ItemSettlement",
           "item_status", "settle_item"]

#: Item statuses after which nothing runs until the item is retried.
FINISHED_ITEM_STATUSES = frozenset({
    QueueItemStatus.SUCCEEDED, QueueItemStatus.FAILED, QueueItemStatus.PARTIALLY_FAILED,
    QueueItemStatus.CANCELED})
#: Finished statuses with a job that did not succeed, which retries and replays re-run.
BAD_ITEM_STATUSES = frozenset({QueueItemStatus.FAILED, QueueItemStatus.PARTIALLY_FAILED})

#: The longest wait before an automatic retry, however many were made.
MAX_RETRY_DELAY = dt.timedelta(days=1)

_WAITING = frozenset({RunStatus.QUEUED})
_GOING = frozenset({RunStatus.STARTING, RunStatus.STARTED})


def item_status(latest: Iterable[RunStatus]) -> QueueItemStatus:
    """The status of an item whose jobs' latest runs are `latest`.

    QUEUED while every run waits, RUNNING while any other run is unfinished; once all
    ended: SUCCEEDED when all succeeded, CANCELED when all were canceled,
    PARTIALLY_FAILED when some succeeded and others did not, else FAILED.
    """
    statuses = list(latest)
    if not statuses or all(s in _WAITING for s in statuses):
        return QueueItemStatus.QUEUED
    if any(s in _WAITING or s in _GOING for s in statuses):
        return QueueItemStatus.RUNNING
    if all(s is RunStatus.SUCCESS for s in statuses):
        return QueueItemStatus.SUCCEEDED
    if all(s is RunStatus.CANCELED for s in statuses):
        return QueueItemStatus.CANCELED
    if any(s is RunStatus.SUCCESS for s in statuses):
        return QueueItemStatus.PARTIALLY_FAILED
    return QueueItemStatus.FAILED


@frozen(kw_only=True)
class ItemSettlement:
    """What an item's row says once its runs were rolled up."""

    status: QueueItemStatus
    finished_at: dt.datetime | None
    retry_at: dt.datetime | None
    dead_lettered_at: dt.datetime | None


def settle_item(latest: Iterable[RunStatus], *, attempt: int, max_retries: int,
                retry_backoff: float, now: dt.datetime,
                finished_at: dt.datetime | None = None,
                dead_lettered_at: dt.datetime | None = None) -> ItemSettlement:
    """Roll `latest` up, and decide what a failure leads to.

    A failed (or partially failed) item with retries left (`attempt` <= `max_retries`)
    is due again after `retry_backoff` seconds, doubled for each retry already made (at
    most MAX_RETRY_DELAY); one without is dead-lettered. An item one of whose latest runs
    was canceled is neither, whatever its status: it was stopped on purpose.
    `finished_at` and `dead_lettered_at` are the item's current ones, kept while it
    stays finished.
    """
    statuses = list(latest)
    status = item_status(statuses)
    if status not in FINISHED_ITEM_STATUSES:
        return ItemSettlement(status=status, finished_at=None, retry_at=None,
                              dead_lettered_at=None)
    finished = finished_at or now
    if status not in BAD_ITEM_STATUSES or RunStatus.CANCELED in statuses:
        return ItemSettlement(status=status, finished_at=finished, retry_at=None,
                              dead_lettered_at=None)
    if dead_lettered_at is None and attempt <= max_retries:
        delay = dt.timedelta(seconds=min(retry_backoff * 2.0 ** min(attempt - 1, 32),
                                         MAX_RETRY_DELAY.total_seconds()))
        return ItemSettlement(status=status, finished_at=finished, retry_at=finished + delay,
                              dead_lettered_at=None)
    return ItemSettlement(status=status, finished_at=finished, retry_at=None,
                          dead_lettered_at=dead_lettered_at or now)
