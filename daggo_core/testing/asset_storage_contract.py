"""The asset part of the storage contract (mixed into StorageContract): assets synced
from code, their events, the state of each partition written with the steps, check
results, dynamic partition keys, and backfills created in batches."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence

import attrs
import pytest

from daggo_core.definitions.asset_snapshot import AssetSnapshot, CheckOutcome, CheckSnapshot
from daggo_core.errors import AssetNotFoundError, AttemptSupersededError, BackfillNotFoundError
from daggo_core.storage.asset_records import (
    AssetEvent,
    AssetEventKind,
    AssetPartition,
    AssetRecord,
    AssetStateChange,
    AssetWrites,
    Backfill,
    BackfillStatus,
    CheckResultRecord,
    PartitionState,
    PartitionStatus,
)
from daggo_core.storage.asset_storage import BackfillPosition
from daggo_core.storage.base import Fence, RunFilter, StepWrites, Storage
from daggo_core.storage.records import Event, EventKind, Run, RunStatus, StepRecord

__all__ = ["AssetStorageContract"]

T0 = dt.datetime(2026, 7, 1, 8, 0, 0, 500000, tzinfo=dt.UTC)
OBSERVATION = AssetEventKind.OBSERVATION


def second(s: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=s)


def asset(key: str, *, description: str = "", group: str = "default") -> AssetRecord:
    return AssetRecord(key=key, description=description, group=group,
                       snapshot=AssetSnapshot(), updated_at=T0)


def made(key: str, partition: str | None = None, *, run: str | None = None, at: float = 0,
         kind: AssetEventKind = AssetEventKind.MATERIALIZATION) -> AssetEvent:
    """A materialization (or, with `kind`, an observation) of `key` at second `at`."""
    return AssetEvent(asset_key=key, partition_key=partition, run_id=run, kind=kind,
                      timestamp=second(at), metadata={"rows": at})


def state(key: str, run: Run, change: PartitionState, *partitions: str,
          at: float = 0) -> AssetStateChange:
    return AssetStateChange(asset_key=key, partition_keys=partitions, state=change,
                            run_id=run.id, at=second(at))


def started(storage: Storage, *, attempt: int = 0) -> Run:
    return storage.add_run(Run(job_name="assets", status=RunStatus.STARTED, attempt=attempt))


def write(storage: Storage, *, states: Sequence[AssetStateChange] = (),
          events: Sequence[AssetEvent] = (), checks: Sequence[CheckResultRecord] = ()) -> None:
    """Store asset writes as a run's step writer does."""
    storage.record_steps([], [], assets=AssetWrites(states=states, events=events,
                                                    checks=checks))


def submit(storage: Storage, backfill: Backfill, limit: int) -> Backfill | None:
    """Create the next `limit` runs of the backfill, each with a RUN_QUEUED event."""
    plan = storage.unsubmitted_plan(backfill.id, limit=limit)
    runs = [Run(job_name=backfill.job_name, backfill_id=backfill.id,
                partition_key=part.partition_key) for part in plan]
    events = [Event(run_id=run.id, kind=EventKind.RUN_QUEUED) for run in runs]
    return storage.submit_backfill_runs(backfill.id, plan, runs, events)


def check(key: str, name: str, outcome: CheckOutcome, at: float = 0) -> CheckResultRecord:
    return CheckResultRecord(asset_key=key, check_name=name, outcome=outcome,
                             description=f"{name} {outcome}", timestamp=second(at))


class AssetStorageContract:
    """Assets, partition states, checks, dynamic partitions and backfills."""

    # -- assets ---------------------------------------------------------------

    def test_an_asset_round_trips_every_field(self, storage: Storage) -> None:
        snapshot = AssetSnapshot(owners=("etl",), upstream=("raw",), deps=("seed",),
                                 output_type="Table", partitions={"kind": "daily"},
                                 checks=(CheckSnapshot(name="rows", blocking=True),),
                                 automation_debounce_seconds=5.0, tags={"team": "data"})
        record = AssetRecord(key="orders", description="Orders.", group="sales",
                             job_name="etl", op_name="orders", snapshot=snapshot,
                             updated_at=second(1))
        storage.sync_assets([record])
        assert storage.get_asset("orders") == record
        assert storage.get_asset("missing") is None

    def test_events_and_check_results_round_trip_every_field(self, storage: Storage) -> None:
        storage.sync_assets([asset("a")])
        run = started(storage)
        event = AssetEvent(asset_key="a", kind=OBSERVATION, partition_key="p", run_id=run.id,
                           step_key="load", timestamp=second(1), metadata={"size": [1, "kB"]})
        result = CheckResultRecord(asset_key="a", check_name="rows", outcome=CheckOutcome.WARN,
                                   partition_key="p", run_id=run.id, step_key="load",
                                   description="few rows", metadata={"rows": 2},
                                   timestamp=second(2))
        write(storage, events=[event], checks=[result])
        (stored,) = storage.list_asset_events("a")
        assert stored == attrs.evolve(event, id=stored.id) and stored.id is not None
        (checked,) = storage.list_check_results("a")
        assert checked == attrs.evolve(result, id=checked.id) and checked.id is not None

    def test_sync_assets_sets_the_active_set_and_keeps_what_storage_knows(
            self, storage: Storage) -> None:
        storage.sync_assets([asset("b"), asset("a")])
        event, _ = storage.add_asset_events([made("a", at=1), made("a", kind=OBSERVATION, at=2)])
        storage.sync_assets([asset("a", description="new", group="g")])
        assert [a.key for a in storage.list_assets()] == ["a"]
        assert [a.key for a in storage.list_assets(include_inactive=True)] == ["a", "b"]
        a = storage.get_asset("a")
        assert a is not None and (a.description, a.group, a.active) == ("new", "g", True)
        assert (a.last_event_id, a.last_materialized_at, a.last_observed_at) == (
            event.id, second(1), second(2))
        b = storage.get_asset("b")
        assert b is not None and b.active is False
        storage.sync_assets([asset("a"), asset("b")])
        assert [a.key for a in storage.list_assets()] == ["a", "b"]

    def test_events_from_outside_a_run_get_ids_and_move_the_asset_and_partition(
            self, storage: Storage) -> None:
        storage.sync_assets([asset("a")])
        stored = storage.add_asset_events([made("a", "p1", at=1), made("a", "p2", at=2),
                                           made("a", "p1", kind=OBSERVATION, at=3)])
        ids = [event.id or 0 for event in stored]
        assert 0 < ids[0] < ids[1] < ids[2]
        a = storage.get_asset("a")
        assert a is not None
        assert (a.last_event_id, a.last_materialized_at, a.last_run_id,
                a.last_observed_at) == (ids[1], second(2), None, second(3))
        assert storage.partition_statuses("a") == {"p1": PartitionStatus.MATERIALIZED,
                                                   "p2": PartitionStatus.MATERIALIZED}
        assert storage.get_asset_partition("a", "p1") == AssetPartition(
            asset_key="a", partition_key="p1", state=PartitionState.MATERIALIZED,
            materialized_at=second(1), run_id=None, updated_at=second(1))
        assert storage.list_asset_events("a", limit=1) == [stored[2]]

    def test_events_of_an_asset_not_stored_are_refused_storing_nothing(
            self, storage: Storage) -> None:
        storage.sync_assets([asset("a")])
        with pytest.raises(AssetNotFoundError, match="'ghost'"):
            storage.add_asset_events([made("a", "p"), made("ghost")])
        assert storage.list_asset_events("a") == []
        assert storage.get_asset_partition("a", "p") is None
        assert storage.add_asset_events([]) == []

    def test_list_asset_events_newest_first_by_kind_partition_and_page(
            self, storage: Storage) -> None:
        storage.sync_assets([asset("a"), asset("b")])
        events = storage.add_asset_events(
            [made("a", "p1", at=1), made("a", "p2", at=2), made("b", "p1", at=3),
             made("a", "p1", kind=OBSERVATION, at=4), made("a", "p1", at=5)])
        a1, a2, _, observed, a5 = events
        assert storage.list_asset_events("a") == [a5, observed, a2, a1]
        assert storage.list_asset_events("a", kind=AssetEventKind.MATERIALIZATION) == [
            a5, a2, a1]
        assert storage.list_asset_events("a", partition_key="p1") == [a5, observed, a1]
        assert storage.list_asset_events("a", limit=2, before_id=observed.id) == [a2, a1]
        assert a5.metadata == {"rows": 5}

    def test_latest_materializations_by_asset_and_partition(self, storage: Storage) -> None:
        storage.sync_assets([asset("a"), asset("whole")])
        a1, _, a1_again, whole, _ = storage.add_asset_events([
            made("a", "p1", at=1), made("a", "p2", at=2), made("a", "p1", at=3),
            made("whole", at=4), made("whole", kind=OBSERVATION, at=5)])
        latest = storage.latest_materializations(
            [("a", "p1"), ("a", "p9"), ("whole", None), ("missing", None)])
        assert latest == {("a", "p1"): a1_again, ("whole", None): whole}
        assert a1.id is not None and a1_again.id is not None and a1.id < a1_again.id
        assert storage.latest_materializations([]) == {}

    # -- partition states, with the steps ---------------------------------------

    def test_steps_store_states_then_materializations_then_checks(
            self, storage: Storage) -> None:
        storage.sync_assets([asset("a")])
        run = started(storage)
        storage.record_steps([StepRecord(run_id=run.id, step_key="s")], [], assets=AssetWrites(
            states=[state("a", run, PartitionState.RUNNING, "p1", "p2")],
            events=[made("a", "p1", run=run.id, at=5)],
            checks=[check("a", "rows", CheckOutcome.PASS, at=6)]))
        assert storage.partition_statuses("a") == {"p1": PartitionStatus.MATERIALIZED,
                                                   "p2": PartitionStatus.IN_PROGRESS}
        assert storage.get_asset_partition("a", "p2") == AssetPartition(
            asset_key="a", partition_key="p2", state=PartitionState.RUNNING,
            materialized_at=None, run_id=run.id, updated_at=second(0))
        a = storage.get_asset("a")
        assert a is not None and (a.last_materialized_at, a.last_run_id) == (second(5), run.id)
        assert [(c.check_name, c.outcome) for c in storage.list_check_results("a")] == [
            ("rows", CheckOutcome.PASS)]
        assert [s.step_key for s in storage.list_steps(run.id)] == ["s"]

    def test_set_run_status_stores_asset_writes_only_when_the_run_moves(
            self, storage: Storage) -> None:
        storage.sync_assets([asset("a")])
        run = started(storage)
        writes = StepWrites(assets=AssetWrites(events=[made("a", run=run.id, at=1)]))
        storage.set_run_status(run.id, RunStatus.SUCCESS, steps=writes)
        assert storage.partition_statuses("a") == {"": PartitionStatus.MATERIALIZED}
        late = StepWrites(assets=AssetWrites(
            states=[state("a", run, PartitionState.FAILED, at=2)]))
        storage.set_run_status(run.id, RunStatus.FAILURE, steps=late,
                               expected=[RunStatus.STARTED])
        assert storage.partition_statuses("a") == {"": PartitionStatus.MATERIALIZED}
        assert len(storage.list_asset_events("a")) == 1

    def test_a_refused_fenced_write_stores_no_asset_writes(self, storage: Storage) -> None:
        storage.sync_assets([asset("a")])
        run = started(storage, attempt=2)
        with pytest.raises(AttemptSupersededError):
            storage.record_steps([], [], fence=Fence(run.id, 1), assets=AssetWrites(
                states=[state("a", run, PartitionState.RUNNING, "p")],
                events=[made("a", "q", run=run.id)],
                checks=[check("a", "rows", CheckOutcome.FAIL)]))
        assert storage.partition_statuses("a") == {}
        assert storage.list_asset_events("a") == [] and storage.list_check_results("a") == []
        storage.record_steps([], [], fence=Fence(run.id, 2), assets=AssetWrites(
            states=[state("a", run, PartitionState.RUNNING, "p")]))
        assert storage.partition_statuses("a") == {"p": PartitionStatus.IN_PROGRESS}

    def test_a_partition_shows_what_its_latest_step_did(self, storage: Storage) -> None:
        storage.sync_assets([asset("a")])
        run = started(storage)
        steps = [(PartitionState.RUNNING, PartitionStatus.IN_PROGRESS),
                 (PartitionState.FAILED, PartitionStatus.FAILED),
                 (PartitionState.RUNNING, PartitionStatus.IN_PROGRESS)]
        for i, (change, shown) in enumerate(steps):
            write(storage, states=[state("a", run, change, "p", "never", at=i)])
            assert storage.partition_statuses("a") == {"p": shown, "never": shown}
        write(storage, events=[made("a", "p", run=run.id, at=10)])
        assert storage.partition_statuses("a")["p"] is PartitionStatus.MATERIALIZED
        again = started(storage)
        write(storage, states=[state("a", again, PartitionState.CANCELED, "p", "never", at=11)])
        # Canceled: what it was before, materialized or missing.
        assert storage.partition_statuses("a") == {"p": PartitionStatus.MATERIALIZED,
                                                   "never": PartitionStatus.MISSING}
        stored = storage.get_asset_partition("a", "p")
        assert stored is not None and (stored.state, stored.materialized_at, stored.run_id,
                                       stored.updated_at) == (
            PartitionState.CANCELED, second(10), again.id, second(11))
        assert stored.status is PartitionStatus.MATERIALIZED

    def test_of_writes_to_one_partition_in_one_batch_the_last_wins(
            self, storage: Storage) -> None:
        storage.sync_assets([asset("a")])
        one, two = started(storage), started(storage)

        def stored(key: str) -> tuple[object, ...]:
            got = storage.get_asset_partition("a", key)
            assert got is not None
            return got.state, got.materialized_at, got.run_id, got.updated_at

        # New partitions, then stored ones: states first, then materializations.
        write(storage, states=[state("a", one, PartitionState.RUNNING, "p", "q", at=1),
                               state("a", two, PartitionState.FAILED, "q", at=2)],
              events=[made("a", "p", run=one.id, at=3), made("a", "p", run=two.id, at=4)])
        assert stored("p") == (PartitionState.MATERIALIZED, second(4), two.id, second(4))
        assert stored("q") == (PartitionState.FAILED, None, two.id, second(2))
        write(storage, states=[state("a", two, PartitionState.RUNNING, "p", "q", at=5),
                               state("a", one, PartitionState.CANCELED, "p", "q", at=6)],
              events=[made("a", "q", run=two.id, at=7), made("a", "q", run=one.id, at=8)])
        assert stored("p") == (PartitionState.CANCELED, second(4), one.id, second(6))
        assert stored("q") == (PartitionState.MATERIALIZED, second(8), one.id, second(8))
        a = storage.get_asset("a")
        assert a is not None and (a.last_materialized_at, a.last_run_id) == (second(8), one.id)

    def test_a_range_of_partitions_is_written_and_counted_by_status(
            self, storage: Storage) -> None:
        storage.sync_assets([asset("daily"), asset("other")])
        run = started(storage)
        keys = [f"2026-{day:04d}" for day in range(1200)]
        write(storage, states=[state("daily", run, PartitionState.RUNNING, *keys)])
        write(storage, states=[state("daily", run, PartitionState.FAILED, *keys[:100])],
              events=[made("daily", key, run=run.id) for key in keys[500:]])
        write(storage, states=[state("other", run, PartitionState.RUNNING)])
        statuses = storage.partition_statuses("daily")
        assert len(statuses) == 1200 and statuses[keys[0]] is PartitionStatus.FAILED
        assert statuses[keys[300]] is PartitionStatus.IN_PROGRESS
        assert statuses[keys[-1]] is PartitionStatus.MATERIALIZED
        daily = {PartitionStatus.FAILED: 100, PartitionStatus.IN_PROGRESS: 400,
                 PartitionStatus.MATERIALIZED: 700}
        assert storage.count_partition_statuses() == {
            "daily": daily, "other": {PartitionStatus.IN_PROGRESS: 1}}
        assert storage.count_partition_statuses(["daily", "none"]) == {"daily": daily}
        assert storage.count_partition_statuses([]) == {}
        assert storage.partition_statuses("none") == {}

    def test_writers_of_the_same_new_partitions_at_once_each_store_theirs(
            self, storage: Storage) -> None:
        storage.sync_assets([asset("a")])
        runs = [started(storage) for _ in range(4)]
        errors: list[BaseException] = []
        barrier = threading.Barrier(len(runs))

        def writer(run: Run) -> None:
            try:
                barrier.wait()
                for i in range(5):
                    write(storage, states=[state("a", run, PartitionState.RUNNING, f"p{i}",
                                                 f"p{i + 1}")])
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(run,)) for run in runs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert storage.partition_statuses("a") == {
            f"p{i}": PartitionStatus.IN_PROGRESS for i in range(6)}

    def test_check_results_newest_first_and_the_latest_of_each_check(
            self, storage: Storage) -> None:
        storage.sync_assets([asset("a"), asset("b")])
        write(storage, checks=[check("a", "rows", CheckOutcome.PASS, 1),
                               check("a", "fresh", CheckOutcome.WARN, 2),
                               check("b", "rows", CheckOutcome.FAIL, 3),
                               check("a", "rows", CheckOutcome.FAIL, 4)])
        results = storage.list_check_results("a")
        assert [(r.check_name, r.outcome, r.timestamp) for r in results] == [
            ("rows", CheckOutcome.FAIL, second(4)), ("fresh", CheckOutcome.WARN, second(2)),
            ("rows", CheckOutcome.PASS, second(1))]
        assert results[0].description == "rows fail"
        assert storage.list_check_results("a", check_name="rows", before_id=results[0].id
                                          ) == [results[2]]
        latest = storage.latest_check_results(["a", "b"])
        assert {key: r.outcome for key, r in latest.items()} == {
            ("a", "rows"): CheckOutcome.FAIL, ("a", "fresh"): CheckOutcome.WARN,
            ("b", "rows"): CheckOutcome.FAIL}
        assert latest[("a", "rows")] == results[0]
        assert storage.latest_check_results([]) == {}

    # -- dynamic partitions -----------------------------------------------------

    def test_dynamic_partitions_keep_the_order_added_once_each(self, storage: Storage) -> None:
        assert storage.add_dynamic_partitions("customers", ["b", "a", "b"]) == ["b", "a"]
        assert storage.add_dynamic_partitions("customers", ["c", "a"]) == ["c"]
        assert storage.add_dynamic_partitions("regions", ["a"]) == ["a"]
        assert storage.list_dynamic_partitions("customers") == ["b", "a", "c"]
        assert storage.delete_dynamic_partitions("customers", ["a", "zz"]) == 1
        assert storage.add_dynamic_partitions("customers", ["a"]) == ["a"]
        assert storage.list_dynamic_partitions("customers") == ["b", "c", "a"]
        assert storage.list_dynamic_partitions("regions") == ["a"]
        assert storage.list_dynamic_partitions("none") == []
        assert storage.delete_dynamic_partitions("customers", []) == 0

    # -- backfills --------------------------------------------------------------

    def test_a_backfill_round_trips_with_its_plan(self, storage: Storage) -> None:
        backfill = Backfill(job_name="etl", asset_key="daily", description="d", partitions=6,
                            chunk_size=2, only_missing=True, params={"n": 1},
                            tags={"team": "data"}, created_at=second(1),
                            updated_at=second(1))
        stored = storage.add_backfill(backfill, ["a...b", "c...d", "e...f"])
        assert stored.planned == 3 and storage.get_backfill(backfill.id) == stored
        page = storage.list_backfill_partitions(backfill.id, limit=2)
        assert [(p.seq, p.partition_key, p.run_id, p.run_status) for p in page] == [
            (0, "a...b", None, None), (1, "c...d", None, None)]
        rest = storage.list_backfill_partitions(backfill.id, after_seq=page[-1].seq)
        assert [p.partition_key for p in rest] == ["e...f"]
        with pytest.raises(BackfillNotFoundError):
            storage.get_backfill("f" * 32)

    def test_backfill_runs_are_created_in_batches_until_it_is_running(
            self, storage: Storage) -> None:
        backfill = storage.add_backfill(Backfill(job_name="etl"), list("abcde"))
        assert [p.seq for p in storage.unsubmitted_plan(backfill.id, limit=2)] == [0, 1]
        for submitted, status in ((2, BackfillStatus.REQUESTED),
                                  (4, BackfillStatus.REQUESTED), (5, BackfillStatus.RUNNING)):
            moved = submit(storage, backfill, 2)
            assert moved is not None and (moved.submitted, moved.status) == (submitted, status)
        assert storage.unsubmitted_plan(backfill.id, limit=2) == []
        assert storage.get_backfill(backfill.id).status is BackfillStatus.RUNNING
        plan = storage.list_backfill_partitions(backfill.id)
        runs = storage.list_runs(RunFilter(backfill_id=backfill.id), limit=10)
        assert {p.run_id: p.partition_key for p in plan} == {
            r.id: r.partition_key for r in runs}
        assert all(p.run_status is RunStatus.QUEUED for p in plan) and len(runs) == 5
        assert [e.kind for e in storage.list_events(plan[0].run_id or "")] == [
            EventKind.RUN_QUEUED]
        assert storage.backfill_run_counts(backfill.id) == {RunStatus.QUEUED: 5}
        empty = storage.add_backfill(Backfill(job_name="etl"), [])
        done = submit(storage, empty, 2)
        assert done is not None and (done.planned, done.status) == (0, BackfillStatus.RUNNING)

    def test_a_batch_is_created_once_and_only_while_requested(self, storage: Storage) -> None:
        backfill = storage.add_backfill(Backfill(job_name="etl"), list("abcd"))
        plan = storage.unsubmitted_plan(backfill.id, limit=2)
        assert submit(storage, backfill, 2) is not None
        again = [Run(job_name="etl", backfill_id=backfill.id) for _ in plan]
        assert storage.submit_backfill_runs(backfill.id, plan, again, []) is None
        assert storage.get_runs([run.id for run in again]) == []
        skipping = storage.unsubmitted_plan(backfill.id, limit=2)[1:]
        with pytest.raises(ValueError, match="plan order"):
            storage.submit_backfill_runs(backfill.id, skipping, again[:1], [])
        assert storage.set_backfill_status(backfill.id, BackfillStatus.CANCELING,
                                           expected=[BackfillStatus.REQUESTED]) is not None
        assert submit(storage, backfill, 2) is None
        assert storage.count_runs(RunFilter(backfill_id=backfill.id)) == 2
        assert storage.get_backfill(backfill.id).submitted == 2
        assert [p.seq for p in storage.unsubmitted_plan(backfill.id, limit=5)] == [2, 3]

    def test_set_backfill_status_moves_only_from_what_is_expected(
            self, storage: Storage) -> None:
        backfill = storage.add_backfill(Backfill(job_name="etl", updated_at=second(0)), ["a"])
        assert storage.set_backfill_status(backfill.id, BackfillStatus.COMPLETED,
                                           expected=[BackfillStatus.RUNNING]) is None
        failed = storage.set_backfill_status(backfill.id, BackfillStatus.FAILED,
                                             expected=[BackfillStatus.REQUESTED],
                                             error="no such partition")
        assert failed is not None and failed.status is BackfillStatus.FAILED
        assert failed.error == "no such partition" and failed.updated_at > second(0)
        assert storage.get_backfill(backfill.id) == failed

    def test_canceling_a_backfill_ends_its_queued_runs_and_stops_its_active_ones(
            self, storage: Storage) -> None:
        backfill = storage.add_backfill(Backfill(job_name="etl"), list("abcde"))
        submit(storage, backfill, 5)
        ids = [p.run_id or "" for p in storage.list_backfill_partitions(backfill.id)]
        storage.set_run_status(ids[0], RunStatus.STARTED)
        storage.set_run_status(ids[1], RunStatus.SUCCESS)
        other = storage.add_backfill(Backfill(job_name="etl"), ["a"])
        submit(storage, other, 1)
        assert storage.cancel_backfill_runs(backfill.id, limit=2) == 3  # 2 queued, 1 flagged
        assert storage.cancel_backfill_runs(backfill.id, limit=2) == 1
        assert storage.cancel_backfill_runs(backfill.id, limit=2) == 0
        assert storage.backfill_run_counts(backfill.id) == {
            RunStatus.STARTED: 1, RunStatus.SUCCESS: 1, RunStatus.CANCELED: 3}
        assert storage.backfill_run_counts(other.id) == {RunStatus.QUEUED: 1}
        assert storage.get_run(ids[0]).cancel_requested is True
        assert [e.kind for e in storage.list_events(ids[0])] == [
            EventKind.RUN_QUEUED, EventKind.RUN_CANCEL_REQUESTED]
        canceled = storage.get_run(ids[4])
        assert canceled.status is RunStatus.CANCELED and canceled.finished_at is not None
        assert [(e.kind, e.message) for e in storage.list_events(ids[4])][1:] == [
            (EventKind.RUN_CANCELED, "run canceled: its backfill was canceled")]
        assert [p.run_status for p in storage.list_backfill_partitions(backfill.id)] == [
            RunStatus.STARTED, RunStatus.SUCCESS, *[RunStatus.CANCELED] * 3]

    def test_list_backfills_newest_first_by_job_and_page_and_the_active_oldest_first(
            self, storage: Storage) -> None:
        made_ = [storage.add_backfill(Backfill(job_name=job, created_at=second(s)), ["a"])
                 for s, job in enumerate(["etl", "report", "etl", "etl"])]
        assert storage.list_backfills() == made_[::-1]
        first = storage.list_backfills(job_name="etl", limit=2)
        assert first == [made_[3], made_[2]]
        after = BackfillPosition(first[-1].created_at, first[-1].id)
        assert storage.list_backfills(job_name="etl", after=after) == [made_[0]]
        storage.set_backfill_status(made_[1].id, BackfillStatus.COMPLETED,
                                    expected=[BackfillStatus.REQUESTED])
        storage.set_backfill_status(made_[2].id, BackfillStatus.CANCELING,
                                    expected=[BackfillStatus.REQUESTED])
        assert [b.id for b in storage.active_backfills()] == [
            made_[0].id, made_[2].id, made_[3].id]

    def test_runs_are_listed_and_counted_by_backfill(self, storage: Storage) -> None:
        backfill = storage.add_backfill(Backfill(job_name="etl"), ["a", "b"])
        submit(storage, backfill, 2)
        storage.add_run(Run(job_name="etl"))
        where = RunFilter(backfill_id=backfill.id)
        runs = storage.list_runs(where)
        assert len(runs) == 2 and all(r.backfill_id == backfill.id for r in runs)
        assert storage.count_runs(where) == 2 and storage.count_runs() == 3
        assert storage.count_runs_by_job_status(where) == {("etl", RunStatus.QUEUED): 2}
