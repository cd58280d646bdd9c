"""The retention part of the storage contract (mixed into StorageContract): which old
runs a purge deletes with every row of theirs, which it keeps and why, dry runs, batches,
queue items and asset state."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from daggo_core.definitions.asset_snapshot import AssetSnapshot
from daggo_core.errors import QueueItemNotFoundError, RunNotFoundError
from daggo_core.retention.purge_policy import decide_purge
from daggo_core.storage.asset_records import (
    AssetEvent,
    AssetEventKind,
    AssetRecord,
    AssetStateChange,
    AssetWrites,
    Backfill,
    BackfillStatus,
    PartitionState,
)
from daggo_core.storage.base import ItemFilter, NewItem, RunFilter, Storage
from daggo_core.storage.purge import (
    KeptBecause,
    PurgeBatch,
    PurgeCounts,
    PurgePosition,
    PurgeSummary,
    RetentionCutoffs,
)
from daggo_core.storage.records import (
    Event,
    EventKind,
    ItemSource,
    QueueItem,
    QueueItemStatus,
    Run,
    RunStatus,
    StepRecord,
    StepStatus,
    utcnow,
)

__all__ = ["RetentionStorageContract"]

#: Runs finished more than 30 days before the tests started are old.
NOW = utcnow()
CUTOFFS = RetentionCutoffs(before=NOW - dt.timedelta(days=30))


def every_finished_run() -> RetentionCutoffs:
    """Cutoffs under which every run finished so far is old (for runs storage ended)."""
    return RetentionCutoffs(before=utcnow() + dt.timedelta(days=1))


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def finished(storage: Storage, job: str = "etl", *, days: float = 40,
             status: RunStatus = RunStatus.SUCCESS, **fields: Any) -> Run:
    """A run created and finished `days` ago."""
    at = days_ago(days)
    return storage.add_run(Run(job_name=job, status=status, created_at=at, started_at=at,
                               finished_at=at + dt.timedelta(minutes=1), **fields))


def purge(storage: Storage, cutoffs: RetentionCutoffs = CUTOFFS, *, limit: int = 100,
          dry_run: bool = False) -> PurgeSummary:
    """Every batch of a purge; what went."""
    summary, after = PurgeSummary(), None
    while True:
        batch = storage.purge_runs(cutoffs, decide_purge, limit=limit, after=after,
                                   dry_run=dry_run)
        summary += batch.summary
        if batch.next is None:
            return summary
        after = batch.next


def run_ids(storage: Storage) -> set[str]:
    return {run.id for run in storage.list_runs(limit=1000)}


def delivered(storage: Storage, key: str, *, partition: str | None = None,
              jobs: tuple[str, ...] = ("import", "audit"), max_retries: int = 0,
              days: float = 40) -> NewItem:
    """An item of queue `imports`, accepted `days` ago, with one queued run per job."""
    at = days_ago(days)
    item = QueueItem(queue_name="imports", item_key=key, payload={}, partition_key=partition,
                     source=ItemSource.API, max_retries=max_retries, created_at=at,
                     updated_at=at)
    new = NewItem(item=item, runs=[Run(job_name=job, queue_item_id=item.id, created_at=at)
                                   for job in jobs])
    storage.ingest("imports", [new])
    return new


def asset_writes(storage: Storage, run: Run, *events: AssetEvent,
                 states: tuple[AssetStateChange, ...] = ()) -> None:
    storage.record_steps([], [], assets=AssetWrites(events=events, states=states))


def made(run: Run, key: str, partition: str | None = None, *,
         kind: AssetEventKind = AssetEventKind.MATERIALIZATION) -> AssetEvent:
    return AssetEvent(asset_key=key, partition_key=partition, run_id=run.id, step_key="op",
                      kind=kind, timestamp=run.created_at)


class RetentionStorageContract:
    """Purges of old runs: what goes with them, what stays and why."""

    def test_an_old_finished_run_goes_with_every_row_of_it(self, storage: Storage) -> None:
        run = finished(storage, tags={"team": "data"})
        storage.record_steps(
            [StepRecord(run_id=run.id, step_key=key, status=StepStatus.SUCCESS,
                        output={"rows": 3}) for key in ("load", "save")], [],
            [Event(run_id=run.id, kind=EventKind.LOG, message=f"line {i}") for i in range(3)])
        assert purge(storage) == PurgeSummary(
            by_job={"etl": PurgeCounts(runs=1, steps=2, events=3)})
        with pytest.raises(RunNotFoundError):
            storage.get_run(run.id)
        assert storage.list_steps(run.id) == [] and storage.list_events(run.id) == []
        assert storage.list_runs(RunFilter(tags={"team": "data"})) == []
        assert purge(storage) == PurgeSummary()

    def test_running_recent_and_longer_kept_runs_stay(self, storage: Storage) -> None:
        cutoffs = RetentionCutoffs(before=days_ago(30),
                                   job_before={"nightly": days_ago(90), "audit": None})
        old, nightly_old = finished(storage), finished(storage, "nightly", days=100)
        stay = {
            storage.add_run(Run(job_name="etl", status=RunStatus.STARTED,
                                created_at=days_ago(50), started_at=days_ago(50))).id,
            storage.add_run(Run(job_name="etl", created_at=days_ago(50))).id,
            finished(storage, days=5).id,
            # Created long ago, finished lately: its finish counts.
            storage.add_run(Run(job_name="etl", status=RunStatus.FAILURE,
                                created_at=days_ago(50), finished_at=days_ago(2))).id,
            finished(storage, "nightly", days=60).id,
            finished(storage, "audit", days=400).id,
        }
        summary = purge(storage, cutoffs)
        assert summary.by_job == {"etl": PurgeCounts(runs=1), "nightly": PurgeCounts(runs=1)}
        assert run_ids(storage) == stay and not {old.id, nightly_old.id} & stay

    def test_only_the_jobs_asked_for_are_purged(self, storage: Storage) -> None:
        kept = finished(storage, "etl")
        finished(storage, "nightly")
        cutoffs = RetentionCutoffs(before=days_ago(30), only_jobs=frozenset({"nightly"}))
        assert purge(storage, cutoffs).by_job == {"nightly": PurgeCounts(runs=1)}
        assert run_ids(storage) == {kept.id}

    def test_cutoffs_that_keep_everything_purge_nothing(self, storage: Storage) -> None:
        run = finished(storage, days=1000)
        cutoffs = RetentionCutoffs(job_before={"etl": None})
        assert storage.purge_runs(cutoffs, decide_purge, limit=10) == PurgeBatch()
        assert run_ids(storage) == {run.id}

    def test_a_dry_run_deletes_nothing_and_counts_what_a_purge_deletes(
            self, storage: Storage) -> None:
        for days in (40, 41, 42):
            run = finished(storage, days=days)
            storage.add_events([Event(run_id=run.id, kind=EventKind.LOG, message="x")])
            storage.record_steps([StepRecord(run_id=run.id, step_key="op")], [])
        item = delivered(storage, "a", days=45)
        for run in item.runs:
            storage.set_run_status(run.id, RunStatus.SUCCESS)
        before, cutoffs = run_ids(storage), every_finished_run()
        dry = purge(storage, cutoffs, limit=2, dry_run=True)
        assert run_ids(storage) == before
        assert storage.get_item(item.item.id).id == item.item.id
        assert dry.total == PurgeCounts(runs=5, steps=3, events=3)
        assert dry.queue_items == 1
        assert purge(storage, cutoffs, limit=2) == dry
        assert run_ids(storage) == set()

    def test_small_batches_purge_every_old_run_in_several_transactions(
            self, storage: Storage) -> None:
        for days in range(40, 45):
            finished(storage, days=days)
        purged, after = [], None
        while True:
            batch = storage.purge_runs(CUTOFFS, decide_purge, limit=2, after=after)
            purged.append(batch.summary.total.runs)
            if batch.next is None:
                break
            after = batch.next
        assert purged == [2, 2, 1]
        assert storage.count_runs() == 0

    def test_a_batch_goes_on_after_the_runs_it_keeps(self, storage: Storage) -> None:
        parent = finished(storage, days=50)
        storage.add_run(Run(job_name="etl", parent_run_id=parent.id))  # queued: needs it
        later = finished(storage, days=40)
        first = storage.purge_runs(CUTOFFS, decide_purge, limit=1)
        assert first.summary == PurgeSummary(kept={KeptBecause.REEXECUTION: 1})
        assert first.next == PurgePosition(created_at=parent.created_at, id=parent.id)
        second = storage.purge_runs(CUTOFFS, decide_purge, limit=1, after=first.next)
        assert second.summary.total.runs == 1 and later.id not in run_ids(storage)

    def test_a_run_stays_while_its_reexecution_has_not_finished(self,
                                                                storage: Storage) -> None:
        parent = finished(storage)
        child = storage.add_run(Run(job_name="etl", parent_run_id=parent.id))
        assert purge(storage).kept == {KeptBecause.REEXECUTION: 1}
        storage.set_run_status(child.id, RunStatus.SUCCESS)  # its outputs were copied
        assert purge(storage).total.runs == 1
        assert run_ids(storage) == {child.id}

    def test_a_run_stays_while_its_backfill_has_not_finished(self, storage: Storage) -> None:
        backfill = storage.add_backfill(Backfill(job_name="etl", partitions=1, planned=1),
                                        ["2026-01-01"])
        run = finished(storage, backfill_id=backfill.id, partition_key="2026-01-01")
        assert purge(storage).kept == {KeptBecause.BACKFILL: 1}
        storage.set_backfill_status(backfill.id, BackfillStatus.COMPLETED,
                                    expected=(BackfillStatus.REQUESTED,))
        assert purge(storage).total.runs == 1 and run.id not in run_ids(storage)
        assert storage.get_backfill(backfill.id).status is BackfillStatus.COMPLETED

    def test_asset_partition_state_survives_and_its_latest_value_stays(
            self, storage: Storage) -> None:
        storage.sync_assets([AssetRecord(key=key, snapshot=AssetSnapshot()) for key in "ab"])
        first, second, third, failed, plain = (finished(storage, "assets", days=days)
                                               for days in (50, 49, 48, 47, 46))
        asset_writes(storage, first, made(first, "a", "p1"), made(first, "b"))
        asset_writes(storage, second, made(second, "a", "p1"))
        asset_writes(storage, third, made(third, "b"),
                     made(third, "a", kind=AssetEventKind.OBSERVATION))
        asset_writes(storage, failed, states=(AssetStateChange(
            asset_key="a", partition_keys=("p2",), state=PartitionState.FAILED,
            run_id=failed.id, at=failed.created_at),))
        statuses = storage.partition_statuses("a"), storage.partition_statuses("b")
        summary = purge(storage)
        assert summary.by_job == {"assets": PurgeCounts(runs=2)} and summary.asset_events == 2
        assert summary.kept == {KeptBecause.MATERIALIZATION: 2, KeptBecause.PARTITION: 1}
        assert run_ids(storage) == {second.id, third.id, failed.id}
        assert (storage.partition_statuses("a"), storage.partition_statuses("b")) == statuses
        p1 = storage.get_asset_partition("a", "p1")
        assert p1 is not None and p1.run_id == second.id
        latest = storage.latest_materializations({("a", "p1"), ("b", None)})
        assert {key: e.run_id for key, e in latest.items()} == {("a", "p1"): second.id,
                                                                ("b", None): third.id}
        assert {e.run_id for key in "ab" for e in storage.list_asset_events(key)} == {
            second.id, third.id}
        assert plain.id not in run_ids(storage)

    def test_a_finished_item_goes_with_its_runs_deliveries_and_partition_counts(
            self, storage: Storage) -> None:
        waiting = delivered(storage, "a", partition="acme", days=50)
        done = delivered(storage, "b", partition="acme", days=45)
        alone = delivered(storage, "c", partition="zen", days=45)
        storage.ingest("imports", [NewItem(item=QueueItem(
            queue_name="imports", item_key="b", payload={}, partition_key="acme"))])
        for item in (done, alone):
            for run in item.runs:
                storage.set_run_status(run.id, RunStatus.SUCCESS)
        summary = purge(storage, every_finished_run())
        assert summary.total.runs == 4 and summary.queue_items == 3  # b's delivery too
        for item in (done, alone):
            with pytest.raises(QueueItemNotFoundError):
                storage.get_item(item.item.id)
        assert [i.id for i in storage.list_items(ItemFilter(queue_name="imports"))] == [
            waiting.item.id]
        (acme,) = storage.list_partitions("imports")  # zen had no item left
        assert (acme.partition_key, acme.latest_item_id, acme.counts) == (
            "acme", waiting.item.id, {QueueItemStatus.QUEUED: 1})

    def test_an_unfinished_or_dead_lettered_item_stays_with_all_its_runs(
            self, storage: Storage) -> None:
        going, dead = delivered(storage, "a"), delivered(storage, "b")
        storage.set_run_status(going.runs[0].id, RunStatus.SUCCESS)
        for run in dead.runs:
            storage.set_run_status(run.id, RunStatus.FAILURE)
        assert storage.get_item(dead.item.id).is_dead_lettered
        summary = purge(storage, every_finished_run())
        assert summary.total.runs == 0 and summary.kept == {KeptBecause.QUEUE_ITEM: 3}
        assert len(run_ids(storage)) == 4
