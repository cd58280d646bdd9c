"""The roll-up of a queue item's status from the latest run of each of its jobs, and what
a failure leads to: a table of cases."""

from __future__ import annotations

import datetime as dt

import pytest

from daggo_core.storage.item_rollup import MAX_RETRY_DELAY, item_status, settle_item
from daggo_core.storage.records import QueueItemStatus as Item
from daggo_core.storage.records import RunStatus as Run

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("runs", "expected"), [
    ((), Item.QUEUED),
    ((Run.QUEUED,), Item.QUEUED),
    ((Run.QUEUED, Run.QUEUED), Item.QUEUED),
    ((Run.STARTING,), Item.RUNNING),
    ((Run.QUEUED, Run.STARTED), Item.RUNNING),
    ((Run.SUCCESS, Run.QUEUED), Item.RUNNING),
    ((Run.FAILURE, Run.STARTED), Item.RUNNING),
    ((Run.SUCCESS,), Item.SUCCEEDED),
    ((Run.SUCCESS, Run.SUCCESS), Item.SUCCEEDED),
    ((Run.FAILURE,), Item.FAILED),
    ((Run.FAILURE, Run.FAILURE), Item.FAILED),
    ((Run.FAILURE, Run.CANCELED), Item.FAILED),
    ((Run.SUCCESS, Run.FAILURE), Item.PARTIALLY_FAILED),
    ((Run.SUCCESS, Run.CANCELED), Item.PARTIALLY_FAILED),
    ((Run.SUCCESS, Run.FAILURE, Run.CANCELED), Item.PARTIALLY_FAILED),
    ((Run.CANCELED,), Item.CANCELED),
    ((Run.CANCELED, Run.CANCELED), Item.CANCELED),
])
def test_an_items_status_rolls_up_from_its_runs(runs: tuple[Run, ...], expected: Item) -> None:
    assert item_status(runs) is expected


@pytest.mark.parametrize(("runs", "attempt", "retry_in", "dead"), [
    ((Run.FAILURE,), 1, 30.0, False),          # retries left: due after the backoff
    ((Run.SUCCESS, Run.FAILURE), 2, 60.0, False),  # doubled for each retry made
    ((Run.FAILURE,), 3, None, True),           # none left: the dead letter
    ((Run.CANCELED,), 1, None, False),         # stopped on purpose: neither
    ((Run.SUCCESS, Run.CANCELED), 1, None, False),  # partly, too
    ((Run.FAILURE, Run.CANCELED), 3, None, False),
    ((Run.SUCCESS,), 1, None, False),
    ((Run.STARTED,), 3, None, False),
])
def test_what_a_finished_item_leads_to(runs: tuple[Run, ...], attempt: int,
                                       retry_in: float | None, dead: bool) -> None:
    settled = settle_item(runs, attempt=attempt, max_retries=2, retry_backoff=30.0, now=NOW)
    assert settled.retry_at == (None if retry_in is None
                                else NOW + dt.timedelta(seconds=retry_in))
    assert (settled.dead_lettered_at is not None) is dead
    assert (settled.finished_at is not None) is (item_status(runs) is not Item.RUNNING)


def test_the_wait_before_a_retry_is_capped() -> None:
    settled = settle_item((Run.FAILURE,), attempt=60, max_retries=100, retry_backoff=1e9,
                          now=NOW)
    assert settled.retry_at == NOW + MAX_RETRY_DELAY


def test_a_finished_item_keeps_when_it_finished_and_was_dead_lettered() -> None:
    before = NOW - dt.timedelta(hours=1)
    settled = settle_item((Run.FAILURE,), attempt=1, max_retries=0, retry_backoff=30.0,
                          now=NOW, finished_at=before, dead_lettered_at=before)
    assert (settled.finished_at, settled.dead_lettered_at) == (before, before)
    running = settle_item((Run.QUEUED,), attempt=2, max_retries=0, retry_backoff=30.0,
                          now=NOW, finished_at=before, dead_lettered_at=before)
    assert (running.finished_at, running.dead_lettered_at) == (None, None)
