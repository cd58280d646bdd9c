"""The queue part of the storage contract (mixed into StorageContract): ingestion with
deduplication and cursors, the roll-up of an item's status from its runs in the
transactions that change them, retries, dead letters, partitions and loader health."""

from __future__ import annotations

import datetime as dt

import pytest
from attrs import evolve

from daggo_core.definitions.snapshot import QueueSnapshot
from daggo_core.errors import CursorMovedError, QueueItemNotFoundError
from daggo_core.storage.base import CursorAdvance, ItemFilter, ItemPosition, NewItem, Storage
from daggo_core.storage.records import (
    Event,
    EventKind,
    ItemSource,
    QueueError,
    QueueItem,
    QueueItemStatus,
    QueueRecord,
    Run,
    RunStatus,
)
from daggo_core.storage.sql_queues import QUEUE_ERRORS_KEPT

__all__ = ["QueueStorageContract"]

T0 = dt.datetime(2026, 6, 1, 10, 0, 0, 250000, tzinfo=dt.UTC)
JOBS = ("import", "audit")


def second(s: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=s)


def delivery(key: str, *, seconds: float = 0, partition: str | None = None,
             jobs: tuple[str, ...] = JOBS, queue: str = "imports",
             max_retries: int = 0) -> NewItem:
    """An item of `queue` with key `key`, starting one queued run per job."""
    item = QueueItem(queue_name=queue, item_key=key, payload={"key": key},
                     partition_key=partition, source=ItemSource.LOADER,
                     max_retries=max_retries, retry_backoff=30.0, created_at=second(seconds),
                     updated_at=second(seconds))
    runs = [Run(job_name=job, queue_item_id=item.id, partition_key=partition,
                created_at=second(seconds)) for job in jobs]
    return NewItem(item=item, runs=runs)


def end(storage: Storage, run: Run, status: RunStatus) -> Run:
    """Claim, start and end `run` with `status`."""
    storage.claim_runs(lambda queued, running: ([run.id], {}))
    storage.start_run(run.id)
    return storage.set_run_status(run.id, status)


class QueueStorageContract:
    """Queues: ingestion, roll-up, retries, dead letters, partitions, loaders, errors."""

    def test_queues_sync_as_the_active_set(self, storage: Storage) -> None:
        snapshot = QueueSnapshot(payload_type="Envelope", jobs=JOBS, routes=("/in",),
                                 loader_mode="poll", poll_every=2.0, retries=1)
        storage.sync_queues([QueueRecord(name="imports", description="d", snapshot=snapshot),
                             QueueRecord(name="other", snapshot=QueueSnapshot())])
        storage.sync_queues([QueueRecord(name="imports", description="d", snapshot=snapshot)])
        stored = storage.get_queue("imports")
        assert stored is not None and stored.snapshot == snapshot and stored.description == "d"
        assert [q.name for q in storage.list_queues()] == ["imports"]
        assert [q.name for q in storage.list_queues(include_inactive=True)] == [
            "imports", "other"]
        assert storage.get_queue("missing") is None

    def test_an_accepted_item_is_stored_with_its_runs(self, storage: Storage) -> None:
        new = delivery("a", partition="acme")
        ingested = storage.ingest("imports", [new])
        assert ingested.accepted == (new.item,) and ingested.duplicates == ()
        assert storage.get_item(new.item.id) == new.item
        runs = storage.list_item_runs(new.item.id)
        assert sorted(r.job_name for r in runs) == sorted(JOBS)
        assert {r.queue_item_id for r in runs} == {new.item.id}
        assert {r.partition_key for r in runs} == {"acme"}
        with pytest.raises(QueueItemNotFoundError):
            storage.get_item("0" * 32)

    def test_a_large_delivery_round_trips_every_item_run_tag_and_event(
            self, storage: Storage) -> None:
        news = [delivery(f"k{i}", seconds=i / 10, partition=f"p{i % 3}") for i in range(150)]
        tagged = [evolve(new, runs=[evolve(run, tags={"daggo/queue": "imports", "n": str(i)})
                                    for run in new.runs],
                         events=[Event(run_id=run.id, kind=EventKind.RUN_QUEUED,
                                       message=f"queued {i}") for run in new.runs])
                  for i, new in enumerate(news)]
        storage.ingest("imports", tagged)
        for i, new in enumerate(tagged):
            assert storage.get_item(new.item.id) == new.item
            runs = sorted(storage.list_item_runs(new.item.id), key=lambda r: r.job_name)
            assert runs == sorted(new.runs, key=lambda r: r.job_name)
            assert [e.message for e in storage.list_events(runs[0].id)] == [f"queued {i}"]

    def test_a_key_accepted_once_is_deduplicated_after_and_within_a_batch(
            self, storage: Storage) -> None:
        first = delivery("a")
        storage.ingest("imports", [first])
        again, other, twice = delivery("a", seconds=1), delivery("b", seconds=1), delivery(
            "b", seconds=1)
        ingested = storage.ingest("imports", [again, other, twice])
        assert ingested.accepted == (other.item,)
        assert [(d.id, d.duplicate_of, d.status) for d in ingested.duplicates] == [
            (again.item.id, first.item.id, QueueItemStatus.DEDUPLICATED),
            (twice.item.id, other.item.id, QueueItemStatus.DEDUPLICATED)]
        assert storage.get_item(again.item.id).duplicate_of == first.item.id
        assert storage.list_item_runs(again.item.id) == []
        assert storage.count_items(ItemFilter(duplicate_of=other.item.id)) == 1
        assert storage.count_items() == 4
        assert [i.id for i in storage.list_items(ItemFilter(duplicate_of=first.item.id))] == [
            again.item.id]
        # Another queue has keys of its own.
        assert storage.ingest("other", [delivery("a", queue="other")]).duplicates == ()

    def test_a_cursor_advances_with_its_batch_or_nothing_is_stored(
            self, storage: Storage) -> None:
        assert storage.get_loader_state("imports").version == 0
        storage.ingest("imports", [delivery("a")], cursor=CursorAdvance(version=0, cursor="1",
                                                                       lag=5))
        state = storage.get_loader_state("imports")
        assert (state.cursor, state.version, state.lag, state.loaded) == ("1", 1, 5, 1)
        late = delivery("b")
        refused = QueueError(queue_name="imports", source=ItemSource.LOADER, message="bad")
        for stale in (0, 2):
            with pytest.raises(CursorMovedError):
                storage.ingest("imports", [late], cursor=CursorAdvance(version=stale,
                                                                       cursor="2"),
                               errors=[refused])
        with pytest.raises(QueueItemNotFoundError):
            storage.get_item(late.item.id)
        assert storage.list_queue_errors("imports") == []
        storage.ingest("imports", [late, delivery("a")],
                       cursor=CursorAdvance(version=1, cursor="2"), errors=[refused])
        assert [e.message for e in storage.list_queue_errors("imports")] == ["bad"]
        state = storage.get_loader_state("imports")
        assert (state.cursor, state.version, state.loaded) == ("2", 2, 2)

    def test_an_item_rolls_up_from_its_runs_as_they_change(self, storage: Storage) -> None:
        new = delivery("a")
        storage.ingest("imports", [new])
        first, second_run = new.runs
        storage.claim_runs(lambda queued, running: ([first.id], {}))
        assert storage.get_item(new.item.id).status is QueueItemStatus.RUNNING
        storage.start_run(first.id)
        storage.set_run_status(first.id, RunStatus.SUCCESS)
        assert storage.get_item(new.item.id).status is QueueItemStatus.RUNNING
        end(storage, second_run, RunStatus.SUCCESS)
        item = storage.get_item(new.item.id)
        assert item.status is QueueItemStatus.SUCCEEDED and item.finished_at is not None
        assert not item.is_dead_lettered and item.retry_at is None

    def test_a_failed_item_without_retries_left_is_dead_lettered(self, storage: Storage) -> None:
        new = delivery("a")
        storage.ingest("imports", [new])
        end(storage, new.runs[0], RunStatus.SUCCESS)
        end(storage, new.runs[1], RunStatus.FAILURE)
        item = storage.get_item(new.item.id)
        assert item.status is QueueItemStatus.PARTIALLY_FAILED and item.is_dead_lettered
        assert storage.count_dead_lettered() == {"imports": 1}
        assert [i.id for i in storage.list_items(ItemFilter(dead_lettered=True))] == [item.id]
        assert storage.list_items(ItemFilter(dead_lettered=False)) == []
        # A re-execution of the failed run (linked to the item) takes it out again.
        storage.add_run(Run(job_name="audit", queue_item_id=item.id,
                            parent_run_id=new.runs[1].id))
        item = storage.get_item(new.item.id)
        assert item.status is QueueItemStatus.RUNNING and not item.is_dead_lettered

    def test_a_failed_item_with_retries_left_is_due_again_and_retried_once(
            self, storage: Storage) -> None:
        new = delivery("a", max_retries=1)
        storage.ingest("imports", [new])
        end(storage, new.runs[0], RunStatus.FAILURE)
        ended = end(storage, new.runs[1], RunStatus.FAILURE)
        item = storage.get_item(new.item.id)
        assert item.status is QueueItemStatus.FAILED and not item.is_dead_lettered
        assert item.retry_at is not None and item.finished_at is not None
        assert item.retry_at - item.finished_at == dt.timedelta(seconds=30)
        assert storage.due_item_retries(item.retry_at - dt.timedelta(seconds=1)) == []
        assert [i.id for i in storage.due_item_retries(item.retry_at)] == [item.id]
        retries = [Run(job_name=r.job_name, queue_item_id=item.id, parent_run_id=r.id)
                   for r in (new.runs[0], ended)]
        retried = storage.add_item_runs(item.id, retries, [], attempt=1)
        assert retried is not None and retried.attempt == 2
        assert retried.status is QueueItemStatus.QUEUED and retried.retry_at is None
        assert storage.add_item_runs(item.id, retries[:1], [], attempt=1) is None
        assert storage.due_item_retries(item.retry_at) == []
        for run in retries:
            end(storage, run, RunStatus.FAILURE)
        item = storage.get_item(new.item.id)  # attempt 2 of 1 retry: the dead letter
        assert item.is_dead_lettered and item.retry_at is None

    def test_a_retry_is_refused_once_the_item_succeeded_or_its_run_was_re_run(
            self, storage: Storage) -> None:
        new = delivery("a", jobs=("import",))
        storage.ingest("imports", [new])
        failed = end(storage, new.runs[0], RunStatus.FAILURE)
        rerun = storage.add_run(Run(job_name="import", queue_item_id=new.item.id,
                                    parent_run_id=failed.id))  # from the run page, say
        stale = Run(job_name="import", queue_item_id=new.item.id, parent_run_id=failed.id)
        end(storage, rerun, RunStatus.FAILURE)
        assert storage.add_item_runs(new.item.id, [stale], [], attempt=1) is None
        end(storage, storage.add_run(Run(job_name="import", queue_item_id=new.item.id,
                                         parent_run_id=rerun.id)), RunStatus.SUCCESS)
        assert storage.get_item(new.item.id).status is QueueItemStatus.SUCCEEDED
        again = Run(job_name="import", queue_item_id=new.item.id, parent_run_id=rerun.id)
        assert storage.add_item_runs(new.item.id, [again], [], attempt=1) is None

    def test_canceling_the_queued_runs_cancels_the_item(self, storage: Storage) -> None:
        new = delivery("a")
        storage.ingest("imports", [new])
        for run in new.runs:
            storage.request_cancel(run.id)
        item = storage.get_item(new.item.id)
        assert item.status is QueueItemStatus.CANCELED and not item.is_dead_lettered

    def test_items_are_listed_newest_first_in_keyset_pages_with_filters(
            self, storage: Storage) -> None:
        news = [delivery(f"k{i}", seconds=i, partition="acme" if i % 2 else "zen")
                for i in range(5)]
        storage.ingest("imports", news)
        storage.ingest("other", [delivery("x", queue="other", seconds=9)])
        listed = storage.list_items(ItemFilter(queue_name="imports"), limit=3)
        assert [i.item_key for i in listed] == ["k4", "k3", "k2"]
        last = listed[-1]
        rest = storage.list_items(ItemFilter(queue_name="imports"), limit=3,
                                  after=ItemPosition(last.created_at, last.id))
        assert [i.item_key for i in rest] == ["k1", "k0"]
        assert [i.item_key for i in storage.list_items(ItemFilter(partition_key="acme"))] == [
            "k3", "k1"]
        window = ItemFilter(created_after=second(1), created_before=second(3))
        assert [i.item_key for i in storage.list_items(window)] == ["k2", "k1"]
        end(storage, news[0].runs[0], RunStatus.SUCCESS)
        running = ItemFilter(statuses=(QueueItemStatus.RUNNING,))
        assert [i.item_key for i in storage.list_items(running)] == ["k0"]
        assert storage.count_items_by_status() == {
            "imports": {QueueItemStatus.QUEUED: 4, QueueItemStatus.RUNNING: 1},
            "other": {QueueItemStatus.QUEUED: 1}}
        assert storage.count_items_by_status("other") == {"other": {QueueItemStatus.QUEUED: 1}}
        assert storage.find_item_ids(news[2].item.id[:12]) == [news[2].item.id]

    def test_partitions_list_each_key_with_its_counts_and_latest_item(
            self, storage: Storage) -> None:
        news = [delivery("a", partition="acme"), delivery("b", seconds=1, partition="zen"),
                delivery("c", seconds=2, partition="acme"), delivery("d", seconds=3)]
        storage.ingest("imports", news)
        storage.ingest("imports", [delivery("c", seconds=4, partition="acme")])  # deduplicated
        for run in news[0].runs:
            end(storage, run, RunStatus.SUCCESS)
        first, second_page = (storage.list_partitions("imports", limit=1),
                              storage.list_partitions("imports", after="acme"))
        assert [(p.partition_key, p.items, dict(p.counts), p.latest_item_id, p.latest_status)
                for p in first + second_page] == [
            ("acme", 2, {QueueItemStatus.SUCCEEDED: 1, QueueItemStatus.QUEUED: 1},
             news[2].item.id, QueueItemStatus.QUEUED),
            ("zen", 1, {QueueItemStatus.QUEUED: 1}, news[1].item.id, QueueItemStatus.QUEUED)]
        assert first[0].latest_at == second(2)
        # Counted as items move: a dead letter, then its retry.
        end(storage, news[1].runs[0], RunStatus.SUCCESS)
        end(storage, news[1].runs[1], RunStatus.FAILURE)
        (zen,) = storage.list_partitions("imports", after="acme")
        assert (dict(zen.counts), zen.dead_lettered, zen.latest_status) == (
            {QueueItemStatus.PARTIALLY_FAILED: 1}, 1, QueueItemStatus.PARTIALLY_FAILED)
        storage.add_item_runs(news[1].item.id, [Run(job_name="audit",
                                                    queue_item_id=news[1].item.id)], [],
                              attempt=1)
        (zen,) = storage.list_partitions("imports", after="acme")
        assert (dict(zen.counts), zen.dead_lettered) == ({QueueItemStatus.RUNNING: 1}, 0)

    def test_metadata_merges_into_the_item(self, storage: Storage) -> None:
        new = delivery("a")
        storage.ingest("imports", [new])
        storage.merge_item_metadata(new.item.id, {"rows": 3, "file": "a.csv"})
        storage.merge_item_metadata(new.item.id, {"rows": 4})
        assert storage.get_item(new.item.id).metadata == {"rows": 4, "file": "a.csv"}

    def test_loader_polls_count_failures_until_one_succeeds(self, storage: Storage) -> None:
        storage.record_loader_poll("imports", at=second(1), error="boom")
        failed = storage.record_loader_poll("imports", at=second(2), error="boom again")
        assert (failed.failures, failed.last_error, failed.last_error_at) == (
            2, "boom again", second(2))
        assert failed.last_success_at is None
        storage.ingest("imports", [delivery("a")], cursor=CursorAdvance(version=0, cursor="c"))
        ok = storage.record_loader_poll("imports", at=second(3))
        assert (ok.failures, ok.last_success_at, ok.last_poll_at, ok.cursor) == (
            0, second(3), second(3), "c")
        assert ok.last_error == "boom again"  # kept, to show what last went wrong
        assert storage.list_loader_states() == [evolve(ok)]

    def test_queue_errors_keep_the_newest(self, storage: Storage) -> None:
        storage.add_queue_errors([QueueError(queue_name="imports", source=ItemSource.LOADER,
                                             message=f"bad {i}", detail="{}")
                                  for i in range(QUEUE_ERRORS_KEPT + 5)])
        storage.add_queue_errors([QueueError(queue_name="other", source=ItemSource.ROUTE,
                                             message="bad")])
        newest = storage.list_queue_errors("imports", limit=2)
        assert [e.message for e in newest] == [f"bad {QUEUE_ERRORS_KEPT + 4}",
                                              f"bad {QUEUE_ERRORS_KEPT + 3}"]
        assert len(storage.list_queue_errors("imports", limit=5000)) == QUEUE_ERRORS_KEPT
        assert [e.source for e in storage.list_queue_errors("other")] == [ItemSource.ROUTE]
