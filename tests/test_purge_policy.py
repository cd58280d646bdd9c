"""Tests for daggo_core.retention.purge_policy: what a purge batch deletes and keeps."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from daggo_core.retention.purge_policy import decide_purge
from daggo_core.storage.purge import (
    KeptBecause,
    PurgeFacts,
    PurgeItem,
    PurgeRun,
    RetentionCutoffs,
)
from daggo_core.storage.records import QueueItemStatus, RunStatus

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
CUTOFFS = RetentionCutoffs(before=NOW - dt.timedelta(days=30))


def old(run_id: str, day: int = 1, **fields: Any) -> PurgeRun:
    """A run created and finished on `day` of January (before the cutoff)."""
    at = dt.datetime(2026, 1, day, tzinfo=dt.UTC)
    return PurgeRun(**{"id": run_id, "job_name": "etl", "status": RunStatus.SUCCESS,
                       "created_at": at, "finished_at": at, **fields})


def facts(*runs: PurgeRun, items: tuple[PurgeItem, ...] = (),
          candidates: tuple[str, ...] | None = None) -> PurgeFacts:
    return PurgeFacts(candidates=candidates or tuple(r.id for r in runs),
                      runs={r.id: r for r in runs}, items={i.id: i for i in items})


def test_old_runs_go_in_scan_order_and_kept_ones_are_counted_by_why() -> None:
    decision = decide_purge(facts(old("a"), old("b", kept=KeptBecause.MATERIALIZATION),
                                  old("c"), old("d", kept=KeptBecause.MATERIALIZATION)),
                            CUTOFFS)
    assert decision.runs == ("a", "c") and decision.items == ()
    assert decision.examined == 4
    assert decision.kept == {KeptBecause.MATERIALIZATION: 2}


def test_a_batch_stops_before_its_events_pass_the_budget() -> None:
    runs = [old("a", events=40), old("b", events=60), old("c", events=1)]
    decision = decide_purge(facts(*runs), CUTOFFS, max_events=100)
    assert decision.runs == ("a", "b") and decision.examined == 2  # c starts the next batch


def test_the_first_run_goes_even_when_its_events_alone_pass_the_budget() -> None:
    decision = decide_purge(facts(old("a", events=500), old("b")), CUTOFFS, max_events=100)
    assert decision.runs == ("a",) and decision.examined == 1


def test_a_finished_item_goes_whole_at_its_oldest_run_with_its_other_runs() -> None:
    item = PurgeItem(id="i", status=QueueItemStatus.SUCCEEDED, run_ids=("x", "y"))
    x, y = old("x", 1, queue_item_id="i"), old("y", 2, queue_item_id="i")
    decision = decide_purge(facts(x, old("z", 3), y, items=(item,),
                                  candidates=("x", "z", "y")), CUTOFFS)
    assert decision.runs == ("x", "y", "z") and decision.items == ("i",)
    assert decision.examined == 3  # y was decided with x


def test_a_later_batch_passes_over_an_item_decided_at_its_oldest_run() -> None:
    """A dry run sees the item's later run again in the next batch: not counted twice."""
    item = PurgeItem(id="i", status=QueueItemStatus.SUCCEEDED, run_ids=("x", "y"))
    decision = decide_purge(facts(old("x", 1, queue_item_id="i"),
                                  old("y", 2, queue_item_id="i"), items=(item,),
                                  candidates=("y",)), CUTOFFS)
    assert (decision.runs, decision.items, decision.examined) == ((), (), 1)
    assert decision.kept == {}


@pytest.mark.parametrize(("item", "runs"), [
    (PurgeItem(id="i", status=QueueItemStatus.RUNNING, run_ids=("x", "y")), ()),
    (PurgeItem(id="i", status=QueueItemStatus.FAILED, run_ids=("x", "y"),
               retry_at=NOW), ()),
    (PurgeItem(id="i", status=QueueItemStatus.FAILED, run_ids=("x", "y"),
               dead_lettered=True), ()),
])
def test_an_unfinished_retrying_or_dead_lettered_item_stays_whole(
        item: PurgeItem, runs: tuple[str, ...]) -> None:
    decision = decide_purge(facts(old("x", 1, queue_item_id="i"),
                                  old("y", 2, queue_item_id="i"), items=(item,)), CUTOFFS)
    assert decision.runs == runs and decision.items == ()
    assert decision.kept == {KeptBecause.QUEUE_ITEM: 2}


def test_an_item_with_a_recent_run_stays_and_only_its_old_runs_count_as_kept() -> None:
    recent = old("y", queue_item_id="i", created_at=NOW, finished_at=NOW)
    item = PurgeItem(id="i", status=QueueItemStatus.SUCCEEDED, run_ids=("x", "y"))
    decision = decide_purge(facts(old("x", queue_item_id="i"), recent, items=(item,),
                                  candidates=("x",)), CUTOFFS)
    assert decision.runs == () and decision.kept == {KeptBecause.QUEUE_ITEM: 1}


def test_an_item_one_of_whose_runs_is_needed_stays_for_that_reason() -> None:
    item = PurgeItem(id="i", status=QueueItemStatus.SUCCEEDED, run_ids=("x", "y"))
    decision = decide_purge(facts(old("x", 1, queue_item_id="i"),
                                  old("y", 2, queue_item_id="i", kept=KeptBecause.PARTITION),
                                  items=(item,)), CUTOFFS)
    assert decision.runs == () and decision.kept == {KeptBecause.PARTITION: 2}


def test_cutoffs_by_job_and_only_some_jobs() -> None:
    cutoffs = RetentionCutoffs.from_days(NOW, 30, {"nightly": 90, "audit": 0})
    assert cutoffs.of("etl") == NOW - dt.timedelta(days=30)
    assert cutoffs.of("nightly") == NOW - dt.timedelta(days=90)
    assert cutoffs.of("audit") is None
    only = RetentionCutoffs.from_days(NOW, 30, {"audit": 0}, only_jobs=["nightly", "audit"])
    assert only.of("nightly") == NOW - dt.timedelta(days=30) and only.of("etl") is None
    assert RetentionCutoffs.from_days(NOW, 0, {"audit": 0}).keeps_everything
    assert not RetentionCutoffs.from_days(NOW, 0, {"nightly": 7}).keeps_everything
    assert only.is_old(old("n", job_name="nightly"))
    assert not only.is_old(old("n", job_name="nightly", status=RunStatus.STARTED))
