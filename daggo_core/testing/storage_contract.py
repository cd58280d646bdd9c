"""The storage contract: pytest tests every Storage backend must pass.

Subclass `StorageContract` in a class named `Test...` and implement `make_storage`, or
override the `storage` fixture (e.g. to take a database from a session fixture). Each
test expects an empty, migrated storage of its own.
"""

from __future__ import annotations

import collections
import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from daggo_core.definitions.snapshot import JobSnapshot, OpSnapshot
from daggo_core.errors import AttemptSupersededError, RunNotFoundError
from daggo_core.storage.base import (
    EventFilter,
    Fence,
    RunFilter,
    RunPosition,
    StepWrites,
    Storage,
)
from daggo_core.storage.records import (
    REEXECUTE_TAG,
    RETRY_TAG,
    ErrorInfo,
    ErrorSource,
    Event,
    EventKind,
    JobRecord,
    Run,
    RunStatus,
    RunTrigger,
    StepRecord,
    StepStatus,
    utcnow,
)
from daggo_core.testing.asset_storage_contract import AssetStorageContract
from daggo_core.testing.deploy_storage_contract import DeployStorageContract
from daggo_core.testing.queue_storage_contract import QueueStorageContract
from daggo_core.testing.retention_storage_contract import RetentionStorageContract
from daggo_core.testing.schedule_storage_contract import ScheduleStorageContract
from daggo_core.testing.worker_storage_contract import WorkerStorageContract

__all__ = ["StorageContract"]

T0 = dt.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    """A fixed aware UTC time `seconds` after T0, for deterministic ordering."""
    return T0 + dt.timedelta(seconds=seconds)


def make_run(job_name: str = "job", seconds: float = 0, **fields: Any) -> Run:
    return Run(job_name=job_name, created_at=at(seconds), **fields)


def log(run_id: str, message: str, step_key: str | None = None, level: str = "INFO") -> Event:
    return Event(run_id=run_id, kind=EventKind.LOG, message=message, step_key=step_key,
                 level=level)


def snapshot(*op_names: str) -> JobSnapshot:
    return JobSnapshot(ops=tuple(OpSnapshot(name=name) for name in op_names))


def record_step(storage: Storage, step: StepRecord, events: list[Event] | None = None,
                *, new: bool = True) -> None:
    """Store one step: as a new one, or (`new=False`) as a change of a stored one."""
    storage.record_steps([step] if new else [], [] if new else [step], events or [])


def claim_oldest(storage: Storage, limit: int) -> list[Run]:
    """Claim up to `limit` of the oldest queued runs."""
    if limit <= 0:
        return []
    return storage.claim_runs(lambda queued, running: ([r.id for r in queued[:limit]], {}),
                              scan_limit=limit)


class StorageContract(ScheduleStorageContract, WorkerStorageContract, QueueStorageContract,
                      AssetStorageContract, RetentionStorageContract, DeployStorageContract):
    """Behaviour shared by every Storage implementation."""

    def make_storage(self, tmp_path: Path) -> Storage:
        """Return a new, empty, migrated storage; `tmp_path` is private to the test."""
        raise TypeError(
            f"{type(self).__name__} must implement make_storage(tmp_path) or override the "
            "`storage` fixture to give each contract test an empty storage"
        )

    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[Storage]:
        storage = self.make_storage(tmp_path)
        try:
            yield storage
        finally:
            storage.close()

    def test_satisfies_the_protocol(self, storage: Storage) -> None:
        assert isinstance(storage, Storage)

    # -- jobs -----------------------------------------------------------------

    def test_sync_jobs_inserts_and_lists_by_name(self, storage: Storage) -> None:
        storage.sync_jobs(
            [
                JobRecord(name="b", description="B job", snapshot=snapshot("x", "y")),
                JobRecord(name="a", updated_at=at(5)),
            ]
        )
        assert [job.name for job in storage.list_jobs()] == ["a", "b"]
        job = storage.get_job("b")
        assert job is not None
        assert (job.description, job.snapshot, job.active) == ("B job", snapshot("x", "y"), True)
        a = storage.get_job("a")
        assert a is not None and a.updated_at == at(5)

    def test_list_jobs_pages_by_name(self, storage: Storage) -> None:
        storage.sync_jobs([JobRecord(name=name) for name in ("d", "a", "c", "b")])
        storage.sync_jobs([JobRecord(name=name) for name in ("d", "a", "b")])  # c inactive
        assert [job.name for job in storage.list_jobs(limit=2)] == ["a", "b"]
        assert [job.name for job in storage.list_jobs(after="b", limit=2)] == ["d"]
        assert [job.name for job in storage.list_jobs(after="bb")] == ["d"]
        assert [job.name for job in storage.list_jobs(after="a", limit=2,
                                                      include_inactive=True)] == ["b", "c"]

    def test_sync_jobs_updates_and_marks_missing_inactive(self, storage: Storage) -> None:
        storage.sync_jobs([JobRecord(name="a"), JobRecord(name="b")])
        storage.sync_jobs([JobRecord(name="a", description="new", snapshot=snapshot("v"))])
        assert [job.name for job in storage.list_jobs()] == ["a"]
        assert [job.name for job in storage.list_jobs(include_inactive=True)] == ["a", "b"]
        a, b = storage.get_job("a"), storage.get_job("b")
        assert a is not None and (a.description, a.snapshot, a.active) == ("new", snapshot("v"),
                                                                            True)
        assert b is not None and b.active is False

    def test_sync_jobs_reactivates_a_returning_job(self, storage: Storage) -> None:
        storage.sync_jobs([JobRecord(name="a")])
        storage.sync_jobs([])
        assert storage.list_jobs() == []
        storage.sync_jobs([JobRecord(name="a")])
        job = storage.get_job("a")
        assert job is not None and job.active is True

    def test_get_job_unknown_is_none(self, storage: Storage) -> None:
        assert storage.get_job("missing") is None

    # -- runs -----------------------------------------------------------------

    def test_add_run_round_trips_every_field(self, storage: Storage) -> None:
        run = Run(
            job_name="etl",
            status=RunStatus.FAILURE,
            params={"n": 3, "nested": {"xs": [1, 2.5, "s", None, True]}},
            tags={"team": "data", "origin": "schedule"},
            created_at=at(0),
            started_at=at(1.5),
            finished_at=at(9.25),
            parent_run_id="0" * 32,
            error=ErrorInfo(type="ValueError", message="bad", traceback="Traceback ...\n",
                            source=ErrorSource.STARTUP, hint="fix the app's import"),
        )
        assert storage.add_run(run) == run
        stored = storage.get_run(run.id)
        assert stored == run
        for value in (stored.created_at, stored.started_at, stored.finished_at):
            assert value is not None and value.utcoffset() == dt.timedelta(0)

    def test_add_run_stores_minimal_run(self, storage: Storage) -> None:
        run = storage.add_run(Run(job_name="etl"))
        assert storage.get_run(run.id) == run

    def test_timestamps_are_stored_as_utc(self, storage: Storage) -> None:
        plus_two = dt.timezone(dt.timedelta(hours=2))
        created = dt.datetime(2024, 5, 1, 14, 0, tzinfo=plus_two)
        run = storage.add_run(Run(job_name="etl", created_at=created))
        stored = storage.get_run(run.id).created_at
        assert stored == created and stored.utcoffset() == dt.timedelta(0)
        assert stored.hour == 12

    def test_add_run_stores_its_first_events(self, storage: Storage) -> None:
        run = make_run()
        queued = Event(run_id=run.id, kind=EventKind.RUN_QUEUED, message="queued")
        storage.add_run(run, [queued])
        assert [e.kind for e in storage.list_events(run.id)] == [EventKind.RUN_QUEUED]

    def test_list_jobs_finds_names_containing_a_text_in_any_case(
        self, storage: Storage
    ) -> None:
        storage.sync_jobs([JobRecord(name=n, description="", snapshot=JobSnapshot())
                           for n in ("Nightly_load", "nightly-report", "hourly", "50%_done")])
        found = [j.name for j in storage.list_jobs(name_contains="NIGHTLY")]
        assert sorted(found) == ["Nightly_load", "nightly-report"]
        assert found == [j.name for j in storage.list_jobs() if j.name in found]  # in order
        assert [j.name for j in storage.list_jobs(name_contains="%")] == ["50%_done"]
        assert [j.name for j in storage.list_jobs(name_contains="y_")] == ["Nightly_load"]

    def test_get_runs_reads_the_runs_that_exist(self, storage: Storage) -> None:
        runs = [storage.add_run(make_run(seconds=s)) for s in range(3)]
        found = storage.get_runs([runs[2].id, "f" * 32, runs[0].id])
        assert sorted(found, key=lambda r: r.id) == sorted([runs[0], runs[2]],
                                                           key=lambda r: r.id)
        assert storage.get_runs([]) == []

    def test_get_run_unknown_raises(self, storage: Storage) -> None:
        with pytest.raises(RunNotFoundError):
            storage.get_run("f" * 32)

    def test_list_runs_newest_first(self, storage: Storage) -> None:
        runs = [storage.add_run(make_run(seconds=s)) for s in (2, 0, 1)]
        assert [r.id for r in storage.list_runs()] == [runs[0].id, runs[2].id, runs[1].id]

    def test_list_runs_filters_by_job_and_status(self, storage: Storage) -> None:
        a1 = storage.add_run(make_run("a", 0))
        a2 = storage.add_run(make_run("a", 1, status=RunStatus.SUCCESS))
        b1 = storage.add_run(make_run("b", 2, status=RunStatus.FAILURE))
        assert [r.id for r in storage.list_runs(RunFilter(job_name="a"))] == [a2.id, a1.id]
        failed = storage.list_runs(RunFilter(statuses=(RunStatus.FAILURE,)))
        assert [r.id for r in failed] == [b1.id]
        both = storage.list_runs(RunFilter(statuses=(RunStatus.QUEUED, RunStatus.FAILURE)))
        assert [r.id for r in both] == [b1.id, a1.id]
        only = storage.list_runs(RunFilter(job_name="a", statuses=(RunStatus.SUCCESS,)))
        assert [r.id for r in only] == [a2.id]
        assert storage.list_runs(RunFilter(job_name="missing")) == []
        assert storage.list_runs(RunFilter(statuses=())) == []

    def test_list_runs_pages_by_keyset(self, storage: Storage) -> None:
        ids = [storage.add_run(make_run(seconds=s)).id for s in range(5)]
        # Two runs created at the same instant are ordered by id.
        twins = sorted((storage.add_run(make_run(seconds=2)).id, ids[2]), reverse=True)
        newest_first = [ids[4], ids[3], *twins, ids[1], ids[0]]
        first = storage.list_runs(limit=2)
        assert [r.id for r in first] == newest_first[:2]
        pages, after = [], None
        while True:
            page = storage.list_runs(limit=2, after=after)
            if not page:
                break
            pages.append([r.id for r in page])
            after = RunPosition(page[-1].created_at, page[-1].id)
        assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:6]]

    def test_list_runs_by_trigger_tag_and_time(self, storage: Storage) -> None:
        manual = storage.add_run(make_run(seconds=0, tags={"team": "data"}))
        scheduled = storage.add_run(make_run(seconds=1, schedule_key="hourly",
                                             scheduled_for=at(1), tags={"team": "web"}))
        retry = storage.add_run(make_run(seconds=2, tags={RETRY_TAG: "1", "team": "data"}))
        again = storage.add_run(make_run(seconds=3, tags={REEXECUTE_TAG: "failure"}))

        def ids(where: RunFilter) -> list[str]:
            return [r.id for r in storage.list_runs(where)]

        assert (manual.trigger, scheduled.trigger, retry.trigger, again.trigger) == (
            RunTrigger.MANUAL, RunTrigger.SCHEDULE, RunTrigger.RETRY, RunTrigger.REEXECUTION)
        assert ids(RunFilter(triggers=(RunTrigger.MANUAL,))) == [manual.id]
        assert ids(RunFilter(triggers=(RunTrigger.SCHEDULE, RunTrigger.RETRY))) == [
            retry.id, scheduled.id]
        assert ids(RunFilter(tags={"team": "data"})) == [retry.id, manual.id]
        assert ids(RunFilter(tags={"team": "data", RETRY_TAG: "1"})) == [retry.id]
        assert ids(RunFilter(tags={"team": "nobody"})) == []
        assert ids(RunFilter(created_after=at(1), created_before=at(3))) == [
            retry.id, scheduled.id]
        assert storage.count_runs(RunFilter(tags={"team": "data"})) == 2
        assert storage.count_runs(RunFilter(triggers=(RunTrigger.REEXECUTION,))) == 1

    def test_find_run_ids_by_prefix(self, storage: Storage) -> None:
        for run_id in ("ab12" + "0" * 28, "ab13" + "0" * 28, "cd00" + "0" * 28):
            storage.add_run(make_run(id=run_id))
        assert storage.find_run_ids("ab1") == ["ab12" + "0" * 28, "ab13" + "0" * 28]
        assert storage.find_run_ids("ab12") == ["ab12" + "0" * 28]
        assert storage.find_run_ids("cd00" + "0" * 28) == ["cd00" + "0" * 28]
        assert storage.find_run_ids("ef") == []
        assert storage.find_run_ids("a", limit=1) == ["ab12" + "0" * 28]

    def test_find_run_ids_at_digit_and_f_boundaries(self, storage: Storage) -> None:
        ids = ["a9" + "0" * 30, "a9f" + "0" * 29, "aa" + "0" * 30, "ff" + "f" * 30]
        for run_id in ids:
            storage.add_run(make_run(id=run_id))
        assert storage.find_run_ids("a9", limit=5) == ids[:2]
        assert storage.find_run_ids("a9f", limit=5) == [ids[1]]
        assert storage.find_run_ids("a", limit=5) == ids[:3]
        assert storage.find_run_ids("fff", limit=5) == [ids[3]]
        assert storage.find_run_ids("a9:", limit=5) == []
        assert storage.find_run_ids("A9", limit=5) == []

    def test_count_runs(self, storage: Storage) -> None:
        storage.add_run(make_run("a", 0))
        storage.add_run(make_run("a", 1, status=RunStatus.SUCCESS))
        storage.add_run(make_run("b", 2))
        queued = (RunStatus.QUEUED,)
        assert storage.count_runs() == 3
        assert storage.count_runs(RunFilter(job_name="a")) == 2
        assert storage.count_runs(RunFilter(statuses=queued)) == 2
        assert storage.count_runs(RunFilter(job_name="a", statuses=queued)) == 1
        assert storage.count_runs(RunFilter(job_name="missing")) == 0

    def test_count_runs_by_job_status(self, storage: Storage) -> None:
        assert storage.count_runs_by_job_status() == {}
        storage.add_run(make_run("a", 0))
        storage.add_run(make_run("a", 1))
        storage.add_run(make_run("a", 2, status=RunStatus.SUCCESS))
        storage.add_run(make_run("b", 3, status=RunStatus.FAILURE))
        assert storage.count_runs_by_job_status() == {
            ("a", RunStatus.QUEUED): 2, ("a", RunStatus.SUCCESS): 1,
            ("b", RunStatus.FAILURE): 1}
        assert storage.count_runs_by_job_status(RunFilter(job_name="b")) == {
            ("b", RunStatus.FAILURE): 1}

    def test_list_run_bars_merges_the_runs_overlapping_a_window(
            self, storage: Storage) -> None:
        def run(name: str, created: float, status: RunStatus = RunStatus.SUCCESS,
                started: float | None = None, finished: float | None = None) -> Run:
            return storage.add_run(make_run(
                name, created, status=status,
                started_at=None if started is None else at(started),
                finished_at=None if finished is None else at(finished)))

        def ms(seconds: float) -> dt.datetime:  # bars are drawn to the millisecond
            moment = at(seconds)
            return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

        run("ended-before", 10, started=11, finished=50)
        long_one = run("long", 20, started=21, finished=150)
        run("inside", 120, started=121, finished=130)
        run("inside", 125, started=129.5, finished=160)  # its slot's bar ends last
        run("inside", 128, RunStatus.FAILURE, started=128, finished=129)
        run("inside", 141, started=141, finished=142)  # less than a gap after 160: joins
        alone = run("inside", 175, started=175, finished=176)  # a gap after: a new bar
        queued = run("queued", 140, RunStatus.QUEUED)
        old_active = run("old-active", 0, RunStatus.STARTED, started=1)
        run("too-old", 0, started=1, finished=150)  # before the scan's bound
        run("after", 300, started=301, finished=302)

        def bars(job_name: str | None = None) -> list[tuple[Any, ...]]:
            return [(bar.job_name, bar.begin, bar.finish, dict(bar.counts), bar.first_created,
                     bar.last_created, bar.run_id)
                    for bar in storage.list_run_bars(
                        at(100), at(200), created_after=at(5), gap=dt.timedelta(seconds=10),
                        now=at(250), job_name=job_name)]

        success, failure = RunStatus.SUCCESS, RunStatus.FAILURE
        assert bars() == [
            ("inside", ms(121), ms(160), {success: 3, failure: 1}, at(120), at(141), None),
            ("inside", ms(175), ms(176), {success: 1}, at(175), at(175), alone.id),
            # Cut to the window: begun before it, or still going after it.
            ("long", at(100), ms(150), {success: 1}, at(20), at(20), long_one.id),
            ("old-active", at(100), at(200), {RunStatus.STARTED: 1}, at(0), at(0),
             old_active.id),
            ("queued", ms(140), at(200), {RunStatus.QUEUED: 1}, at(140), at(140), queued.id),
        ]
        assert [bar[0] for bar in bars("inside")] == ["inside", "inside"]
        assert [bar[0] for bar in bars("old-active")] == ["old-active"]

    def test_set_run_status_started_sets_started_at(self, storage: Storage) -> None:
        run = storage.add_run(make_run())
        before = utcnow()
        started = storage.set_run_status(run.id, RunStatus.STARTED)
        assert started.status == RunStatus.STARTED
        assert started.started_at is not None and before <= started.started_at <= utcnow()
        assert started.finished_at is None
        assert storage.get_run(run.id) == started

    def test_set_run_status_terminal_sets_finished_at_and_error(self, storage: Storage) -> None:
        run = storage.add_run(make_run())
        storage.set_run_status(run.id, RunStatus.STARTED)
        error = ErrorInfo(type="KeyError", message="'x'", traceback="tb")
        before = utcnow()
        failed = storage.set_run_status(run.id, RunStatus.FAILURE, error=error)
        assert failed.status == RunStatus.FAILURE and failed.error == error
        assert failed.finished_at is not None and failed.finished_at >= before
        assert failed.started_at is not None and failed.started_at <= failed.finished_at
        assert storage.get_run(run.id) == failed

    def test_set_run_status_keeps_other_fields(self, storage: Storage) -> None:
        run = storage.add_run(make_run(params={"p": 1}, tags={"t": "v"}))
        starting = storage.set_run_status(run.id, RunStatus.STARTING)
        assert starting == attrs.evolve(run, status=RunStatus.STARTING)

    def test_set_run_status_appends_events_in_order(self, storage: Storage) -> None:
        run = make_run()
        storage.add_run(run, [Event(run_id=run.id, kind=EventKind.RUN_QUEUED)])
        storage.set_run_status(
            run.id, RunStatus.STARTING, events=[Event(run_id=run.id, kind=EventKind.RUN_STARTING)]
        )
        storage.set_run_status(
            run.id,
            RunStatus.STARTED,
            events=[Event(run_id=run.id, kind=EventKind.RUN_STARTED), log(run.id, "hello")],
        )
        stored = storage.list_events(run.id)
        assert [e.kind for e in stored] == [
            EventKind.RUN_QUEUED,
            EventKind.RUN_STARTING,
            EventKind.RUN_STARTED,
            EventKind.LOG,
        ]
        ids = [e.id or 0 for e in stored]
        assert all(ids) and ids == sorted(set(ids))

    def test_set_run_status_unknown_raises(self, storage: Storage) -> None:
        with pytest.raises(RunNotFoundError):
            storage.set_run_status("f" * 32, RunStatus.STARTED)

    # -- claiming -------------------------------------------------------------

    def test_claim_oldest_first(self, storage: Storage) -> None:
        queued = {s: storage.add_run(make_run(seconds=s)) for s in (3, 1, 4, 0, 2)}
        storage.add_run(make_run(seconds=-1, status=RunStatus.STARTED))
        first = claim_oldest(storage, 2)
        assert [r.id for r in first] == [queued[0].id, queued[1].id]
        assert all(r.status == RunStatus.STARTING for r in first)
        assert storage.get_run(queued[0].id).status == RunStatus.STARTING
        rest = claim_oldest(storage, 10)
        assert [r.id for r in rest] == [queued[s].id for s in (2, 3, 4)]
        assert claim_oldest(storage, 10) == []
        assert storage.count_runs(RunFilter(statuses=(RunStatus.STARTING,))) == 5

    def test_claim_with_zero_limit(self, storage: Storage) -> None:
        storage.add_run(make_run())
        assert claim_oldest(storage, 0) == []
        assert storage.count_runs(RunFilter(statuses=(RunStatus.QUEUED,))) == 1

    def test_concurrent_claimers_get_each_run_once(self, storage: Storage) -> None:
        ids = {storage.add_run(make_run(seconds=s)).id for s in range(50)}
        claimed: list[str] = []
        errors: list[BaseException] = []
        barrier = threading.Barrier(2)

        def claimer() -> None:
            try:
                barrier.wait()
                while True:
                    got = claim_oldest(storage, 3)
                    claimed.extend(run.id for run in got)
                    if not got and storage.count_runs(RunFilter(statuses=(RunStatus.QUEUED,))) == 0:
                        return
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=claimer) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert collections.Counter(claimed) == collections.Counter(ids)

    def test_concurrent_writers_and_readers(self, storage: Storage) -> None:
        errors: list[BaseException] = []

        def worker(name: str) -> None:
            try:
                for i in range(25):
                    run = storage.add_run(make_run(name, i))
                    storage.set_run_status(run.id, RunStatus.STARTED)
                    record_step(storage, StepRecord(run_id=run.id, step_key="s"))
                    storage.add_events([log(run.id, "hi", step_key="s")])
                    assert storage.list_steps(run.id)[0].step_key == "s"
                    storage.list_runs(RunFilter(job_name=name), limit=5)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(f"job{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert storage.count_runs(RunFilter(statuses=(RunStatus.STARTED,))) == 100

    # -- steps ----------------------------------------------------------------

    def test_steps_insert_then_update_keep_first_recorded_order(
        self, storage: Storage
    ) -> None:
        run = storage.add_run(make_run())
        for key in ("b", "a", "c"):
            record_step(storage, StepRecord(run_id=run.id, step_key=key))
        storage.record_steps([], [
            StepRecord(run_id=run.id, step_key="a", status=StepStatus.RUNNING, started_at=at(1)),
            StepRecord(run_id=run.id, step_key="b", status=StepStatus.SUCCESS, output=[1, 2]),
        ])
        steps = storage.list_steps(run.id)
        assert [s.step_key for s in steps] == ["b", "a", "c"]
        assert [s.status for s in steps] == [
            StepStatus.SUCCESS,
            StepStatus.RUNNING,
            StepStatus.PENDING,
        ]
        assert steps[0].output == [1, 2] and steps[1].started_at == at(1)

    def test_steps_of_a_wide_run_keep_their_order(self, storage: Storage) -> None:
        run = storage.add_run(make_run())
        keys = [f"op_{i:05d}" for i in range(2500)][::-1]
        for start in range(0, len(keys), 500):
            batch = [StepRecord(run_id=run.id, step_key=k) for k in keys[start:start + 500]]
            storage.record_steps(batch, [])
        assert [s.step_key for s in storage.list_steps(run.id)] == keys

    def test_changed_step_replaces_the_whole_state(self, storage: Storage) -> None:
        run = storage.add_run(make_run())
        error = ErrorInfo(type="TimeoutError", message="slow")
        failed = StepRecord(
            run_id=run.id, step_key="s", status=StepStatus.FAILURE, error=error, output={"a": 1},
            metadata={"rows": 3},
        )
        record_step(storage, failed)
        retry = StepRecord(run_id=run.id, step_key="s", status=StepStatus.RUNNING, attempt=2)
        record_step(storage, retry, new=False)
        assert storage.list_steps(run.id) == [retry]

    def test_step_round_trips_every_field(self, storage: Storage) -> None:
        run = storage.add_run(make_run())
        step = StepRecord(
            run_id=run.id,
            step_key="transform",
            status=StepStatus.FAILURE,
            attempt=3,
            started_at=at(1),
            finished_at=at(2.5),
            error=ErrorInfo(type="RuntimeError", message="boom", traceback="tb"),
            output={"rows": [{"id": 1, "name": "ü"}], "ok": True, "ratio": 0.5, "none": None},
            metadata={"rows": 120, "path": "s3://b/k", "cols": ["a", "b"], "stats": {"n": None}},
        )
        record_step(storage, step)
        assert storage.list_steps(run.id) == [step]

    def test_step_without_metadata_reads_back_empty(self, storage: Storage) -> None:
        run = storage.add_run(make_run())
        record_step(storage, StepRecord(run_id=run.id, step_key="s", metadata={"n": 1}))
        record_step(storage, StepRecord(run_id=run.id, step_key="s"), new=False)
        assert storage.list_steps(run.id)[0].metadata == {}

    @pytest.mark.parametrize("output", [None, 0, 3.25, "text", True, [1, "a", None], {"k": {}}])
    def test_step_output_json_round_trip(self, storage: Storage, output: Any) -> None:
        run = storage.add_run(make_run())
        record_step(storage, StepRecord(run_id=run.id, step_key="s", output=output))
        assert storage.list_steps(run.id)[0].output == output

    def test_record_steps_appends_events(self, storage: Storage) -> None:
        run = storage.add_run(make_run())
        started = Event(run_id=run.id, kind=EventKind.STEP_STARTED, step_key="s")
        record_step(storage, StepRecord(run_id=run.id, step_key="s"), [started])
        assert [e.kind for e in storage.list_events(run.id)] == [EventKind.STEP_STARTED]

    def test_list_steps_only_returns_that_run(self, storage: Storage) -> None:
        one, two = storage.add_run(make_run()), storage.add_run(make_run())
        record_step(storage, StepRecord(run_id=one.id, step_key="x"))
        record_step(storage, StepRecord(run_id=two.id, step_key="y"))
        assert [s.step_key for s in storage.list_steps(one.id)] == ["x"]
        assert storage.list_steps("f" * 32) == []

    # -- events ---------------------------------------------------------------

    def test_event_round_trips_every_field(self, storage: Storage) -> None:
        run = storage.add_run(make_run())
        event = Event(
            run_id=run.id,
            kind=EventKind.LOG,
            step_key="s",
            timestamp=at(7),
            level="WARNING",
            message="careful\nsecond line",
            data={"rows": 10, "tags": ["a"]},
        )
        storage.add_events([event])
        (stored,) = storage.list_events(run.id)
        assert stored.id is not None and stored == attrs.evolve(event, id=stored.id)

    def test_list_events_after_id(self, storage: Storage) -> None:
        run = storage.add_run(make_run())
        storage.add_events([log(run.id, f"m{i}") for i in range(5)])
        events = storage.list_events(run.id)
        assert [e.message for e in events] == [f"m{i}" for i in range(5)]
        after = storage.list_events(run.id, after_id=events[1].id or 0)
        assert [e.message for e in after] == ["m2", "m3", "m4"]
        assert storage.list_events(run.id, after_id=events[-1].id or 0) == []

    def test_list_events_before_id_and_newest_first(self, storage: Storage) -> None:
        run = storage.add_run(make_run())
        storage.add_events([log(run.id, f"m{i}", step_key="ab"[i % 2]) for i in range(6)])
        ids = [e.id or 0 for e in storage.list_events(run.id)]

        def messages(**page: Any) -> list[str]:
            return [e.message for e in storage.list_events(run.id, **page)]

        assert messages(newest_first=True, limit=2) == ["m5", "m4"]
        assert messages(before_id=ids[3]) == ["m0", "m1", "m2"]
        assert messages(before_id=ids[3], newest_first=True, limit=2) == ["m2", "m1"]
        assert messages(after_id=ids[0], before_id=ids[3]) == ["m1", "m2"]
        assert messages(where=EventFilter(step_key="b"), newest_first=True, limit=2,
                        before_id=ids[5]) == ["m3", "m1"]
        assert messages(before_id=ids[0]) == []

    def test_list_events_by_step_key_and_limit(self, storage: Storage) -> None:
        run = storage.add_run(make_run())
        storage.add_events([log(run.id, f"m{i}", step_key="ab"[i % 2]) for i in range(6)])
        by_step = storage.list_events(run.id, EventFilter(step_key="b"))
        assert [e.message for e in by_step] == ["m1", "m3", "m5"]
        assert [e.message for e in storage.list_events(run.id, limit=2)] == ["m0", "m1"]
        limited = storage.list_events(run.id, EventFilter(step_key="a"), limit=2,
                                      after_id=by_step[0].id or 0)
        assert [e.message for e in limited] == ["m2", "m4"]

    def test_list_events_by_kind_level_and_text(self, storage: Storage) -> None:
        run = storage.add_run(make_run())
        storage.add_events([
            log(run.id, "Loaded 10 rows", level="INFO"),
            log(run.id, "disk 90% full", level="WARNING"),
            Event(run_id=run.id, kind=EventKind.STEP_FAILURE, step_key="s", level="ERROR",
                  message="step s failed: KeyError"),
            log(run.id, "retrying_now", level="ERROR"),
        ])

        def messages(where: EventFilter) -> list[str]:
            return [e.message for e in storage.list_events(run.id, where)]

        assert messages(EventFilter(kinds=(EventKind.STEP_FAILURE,))) == [
            "step s failed: KeyError"]
        assert messages(EventFilter(levels=("WARNING", "ERROR"))) == [
            "disk 90% full", "step s failed: KeyError", "retrying_now"]
        assert messages(EventFilter(search="ROWS")) == ["Loaded 10 rows"]
        assert messages(EventFilter(search="90%")) == ["disk 90% full"]
        assert messages(EventFilter(search="_now")) == ["retrying_now"]
        assert messages(EventFilter(kinds=(EventKind.LOG,), levels=("ERROR",))) == [
            "retrying_now"]

    def test_list_events_of_several_kinds_interleave_in_id_order(
            self, storage: Storage) -> None:
        run = storage.add_run(make_run())
        kinds = [EventKind.STEP_STARTED, EventKind.LOG, EventKind.STEP_SUCCESS, EventKind.LOG]
        storage.add_events([
            Event(run_id=run.id, kind=kinds[i % 4], step_key="s", message=f"m{i}")
            for i in range(12)])
        step_kinds = EventFilter(kinds=(EventKind.STEP_SUCCESS, EventKind.STEP_STARTED))

        def messages(where: EventFilter = step_kinds, **kwargs: Any) -> list[str]:
            return [e.message for e in storage.list_events(run.id, where, **kwargs)]

        assert messages() == ["m0", "m2", "m4", "m6", "m8", "m10"]
        assert messages(limit=3) == ["m0", "m2", "m4"]
        assert messages(newest_first=True, limit=3) == ["m10", "m8", "m6"]
        ids = [e.id or 0 for e in storage.list_events(run.id)]
        assert messages(after_id=ids[2], before_id=ids[9]) == ["m4", "m6", "m8"]
        assert messages(newest_first=True, before_id=ids[6], limit=2) == ["m4", "m2"]
        assert messages(EventFilter(kinds=step_kinds.kinds, search="M1")) == ["m10"]
        assert messages(EventFilter(kinds=(EventKind.LOG, EventKind.STEP_STARTED),
                                    step_key="s"), limit=4) == ["m0", "m1", "m3", "m4"]

    def test_list_events_only_returns_that_run(self, storage: Storage) -> None:
        one, two = storage.add_run(make_run()), storage.add_run(make_run())
        storage.add_events([log(one.id, "one"), log(two.id, "two"), log(one.id, "one again")])
        assert [e.message for e in storage.list_events(one.id)] == ["one", "one again"]
        assert [e.message for e in storage.list_events(two.id)] == ["two"]

    def test_list_events_since_tails_every_run_with_gaps(self, storage: Storage) -> None:
        assert storage.last_event_id() == 0
        assert storage.list_events_since(0) == []
        one, two = storage.add_run(make_run()), storage.add_run(make_run())
        storage.add_events([log(one.id, f"e{i}") if i % 2 else log(two.id, f"e{i}")
                            for i in range(6)])
        every = storage.list_events_since(0)
        assert [e.message for e in every] == [f"e{i}" for i in range(6)]
        assert [e.run_id for e in every[:2]] == [two.id, one.id]
        ids = [e.id or 0 for e in every]
        assert storage.last_event_id() == ids[-1]
        assert [e.message for e in storage.list_events_since(ids[3])] == ["e4", "e5"]
        assert [e.message for e in storage.list_events_since(0, limit=2)] == ["e0", "e1"]
        again = storage.list_events_since(ids[4], gaps=[(ids[0], ids[0]), (ids[2], ids[3])])
        assert [e.message for e in again] == ["e0", "e2", "e3", "e5"]
        assert again[0] == every[0]

    def test_add_no_events_is_a_no_op(self, storage: Storage) -> None:
        run = storage.add_run(make_run())
        storage.add_events([])
        assert storage.list_events(run.id) == []

    def test_set_run_status_stores_steps_first_in_the_same_transaction(
        self, storage: Storage
    ) -> None:
        run = storage.add_run(make_run(status=RunStatus.STARTED))
        record_step(storage, StepRecord(run_id=run.id, step_key="a"))
        writes = StepWrites(
            new=[StepRecord(run_id=run.id, step_key="b", status=StepStatus.SUCCESS, output=2)],
            changed=[StepRecord(run_id=run.id, step_key="a", status=StepStatus.SUCCESS)],
            events=[log(run.id, "step b done")],
        )
        final = storage.set_run_status(run.id, RunStatus.SUCCESS, steps=writes,
                                       events=[Event(run_id=run.id, kind=EventKind.RUN_SUCCESS)])
        assert final.status is RunStatus.SUCCESS
        assert [(s.step_key, s.status) for s in storage.list_steps(run.id)] == [
            ("a", StepStatus.SUCCESS), ("b", StepStatus.SUCCESS)]
        assert [e.kind for e in storage.list_events(run.id)] == [EventKind.LOG,
                                                                EventKind.RUN_SUCCESS]

    def test_set_run_status_stores_no_steps_when_the_status_does_not_move(
        self, storage: Storage
    ) -> None:
        run = storage.add_run(make_run(status=RunStatus.CANCELED))
        writes = StepWrites(new=[StepRecord(run_id=run.id, step_key="a")],
                            events=[log(run.id, "late")])
        kept = storage.set_run_status(run.id, RunStatus.SUCCESS, expected=[RunStatus.STARTED],
                                      steps=writes)
        assert kept.status is RunStatus.CANCELED
        assert storage.list_steps(run.id) == []  # a finished run's record never changes
        assert storage.list_events(run.id) == []

    # -- fencing --------------------------------------------------------------

    def test_each_claim_starts_a_new_attempt_recorded_to_no_worker(
        self, storage: Storage
    ) -> None:
        run = storage.add_run(make_run())
        assert run.attempt == 0
        (first,) = claim_oldest(storage, 1)
        assert first.attempt == 1
        storage.heartbeat(run.id, "host:1", attempt=1)
        storage.set_run_status(run.id, RunStatus.QUEUED, expected=[RunStatus.STARTING])
        (second,) = claim_oldest(storage, 1)
        assert (second.attempt, second.worker_id) == (2, None)
        storage.set_run_status(run.id, RunStatus.QUEUED, expected=[RunStatus.STARTING])
        (third,) = storage.claim_runs(lambda queued, running: ([queued[0].id], {}),
                                      claimer="server:7")
        assert (third.attempt, third.worker_id) == (3, "server:7")

    def test_keep_claim_beats_only_a_run_no_worker_took_over(self, storage: Storage) -> None:
        run = storage.add_run(make_run())
        (claimed,) = storage.claim_runs(lambda queued, running: ([queued[0].id], {}),
                                        claimer="server:7")
        assert storage.keep_claim(Fence(run.id, 1), "server:7")
        beat = storage.get_run(run.id).heartbeat_at
        assert beat is not None and (claimed.heartbeat_at is None
                                     or beat >= claimed.heartbeat_at)
        assert not storage.keep_claim(Fence(run.id, 2), "server:7")  # not this attempt
        assert not storage.keep_claim(Fence(run.id, 1), "server:8")  # not its claimer
        storage.heartbeat(run.id, "worker:9", attempt=1)  # a worker took it over
        assert not storage.keep_claim(Fence(run.id, 1), "server:7")
        assert storage.get_run(run.id).worker_id == "worker:9"
        storage.start_run(run.id, attempt=1)
        assert not storage.keep_claim(Fence(run.id, 1), "worker:9")  # STARTED: not waiting

    def test_writes_of_a_superseded_attempt_are_refused_and_store_nothing(
        self, storage: Storage
    ) -> None:
        run = storage.add_run(make_run())
        claim_oldest(storage, 1)
        storage.set_run_status(run.id, RunStatus.QUEUED, expected=[RunStatus.STARTING])
        claim_oldest(storage, 1)  # attempt 2
        old, current = Fence(run.id, 1), Fence(run.id, 2)
        assert storage.start_run(run.id, attempt=1) is None
        assert storage.heartbeat(run.id, "old:1", attempt=1).worker_id is None
        step = StepRecord(run_id=run.id, step_key="a", status=StepStatus.RUNNING)
        with pytest.raises(AttemptSupersededError, match="attempt 1 was superseded"):
            storage.record_steps([step], [], [log(run.id, "old")], fence=old)
        with pytest.raises(AttemptSupersededError):
            storage.add_events([log(run.id, "old")], fence=old)
        moved = storage.set_run_status(run.id, RunStatus.FAILURE, attempt=1,
                                       steps=StepWrites(new=[step]))
        assert moved.status is RunStatus.STARTING
        assert storage.list_steps(run.id) == []
        # Only each claim's RUN_STARTING event: none of the superseded attempt's.
        claims = storage.list_events(run.id)
        assert [(e.kind, e.data) for e in claims] == [
            (EventKind.RUN_STARTING, {"attempt": 1}), (EventKind.RUN_STARTING, {"attempt": 2})]
        started = storage.start_run(run.id, attempt=2)
        assert started is not None and started.status is RunStatus.STARTED
        storage.record_steps([step], [], [log(run.id, "current")], fence=current)
        assert [e.message for e in storage.list_events(run.id)][2:] == ["current"]

    def test_fenced_writes_to_a_finished_run_are_refused(self, storage: Storage) -> None:
        run = storage.add_run(make_run(status=RunStatus.SUCCESS, attempt=1))
        with pytest.raises(AttemptSupersededError, match="success"):
            storage.record_steps([StepRecord(run_id=run.id, step_key="a")], [],
                                 fence=Fence(run.id, 1))
        assert storage.list_steps(run.id) == []

    def test_end_attempt_closes_open_steps_and_ends_the_run_in_one_go(
        self, storage: Storage
    ) -> None:
        run = storage.add_run(make_run(status=RunStatus.STARTED, attempt=3))
        storage.record_steps([StepRecord(run_id=run.id, step_key="done",
                                         status=StepStatus.SUCCESS),
                              StepRecord(run_id=run.id, step_key="busy",
                                         status=StepStatus.RUNNING)], [])
        error = ErrorInfo(type="WorkerLost", message="gone")
        ended, moved = storage.end_attempt(
            Fence(run.id, 3), RunStatus.FAILURE, error=error,
            events=[log(run.id, "run failed")], step_status=StepStatus.FAILURE,
            step_message="step interrupted")
        assert moved and ended.status is RunStatus.FAILURE and ended.error == error
        assert ended.finished_at is not None
        steps = {s.step_key: s for s in storage.list_steps(run.id)}
        assert steps["done"].status is StepStatus.SUCCESS
        assert (steps["busy"].status, steps["busy"].error) == (StepStatus.FAILURE, error)
        assert [(e.step_key, e.message) for e in storage.list_events(run.id)] == [
            ("busy", "step interrupted (busy)"), (None, "run failed")]

    def test_end_attempt_queues_its_retry_in_the_same_transaction_once(
        self, storage: Storage
    ) -> None:
        run = storage.add_run(make_run(status=RunStatus.STARTED, attempt=1))
        retry = make_run(parent_run_id=run.id)
        kwargs: dict[str, Any] = {"error": None, "events": [],
                                  "step_status": StepStatus.FAILURE, "step_message": "x",
                                  "retry": (retry, [log(retry.id, "queued")])}
        assert storage.end_attempt(Fence(run.id, 1), RunStatus.FAILURE, **kwargs)[1]
        assert storage.get_run(retry.id).status is RunStatus.QUEUED
        assert [e.message for e in storage.list_events(retry.id)] == ["queued"]
        # Settled again (another process): nothing more, and no second retry.
        assert not storage.end_attempt(Fence(run.id, 1), RunStatus.FAILURE, **kwargs)[1]
        assert len(storage.list_runs(RunFilter(), limit=10)) == 2

    def test_end_attempt_leaves_other_attempts_finished_runs_and_live_workers_alone(
        self, storage: Storage
    ) -> None:
        kwargs: dict[str, Any] = {"error": None, "events": [],
                                  "step_status": StepStatus.CANCELED, "step_message": "x"}
        newer = storage.add_run(make_run(status=RunStatus.STARTED, attempt=2))
        ended, moved = storage.end_attempt(Fence(newer.id, 1), RunStatus.CANCELED, **kwargs)
        assert not moved and ended.status is RunStatus.STARTED
        done = storage.add_run(make_run(status=RunStatus.SUCCESS, attempt=1))
        assert storage.end_attempt(Fence(done.id, 1), RunStatus.CANCELED, **kwargs)[1] is False
        beating = storage.add_run(make_run(status=RunStatus.STARTED, attempt=1))
        storage.heartbeat(beating.id, "host:1", attempt=1)
        ended, moved = storage.end_attempt(Fence(beating.id, 1), RunStatus.CANCELED,
                                           stale_before=utcnow() - dt.timedelta(seconds=30),
                                           **kwargs)
        assert not moved and ended.status is RunStatus.STARTED

    # -- coordination ---------------------------------------------------------

    def test_set_run_status_with_expected_only_moves_matching_runs(
        self, storage: Storage
    ) -> None:
        run = storage.add_run(make_run(status=RunStatus.STARTED))
        storage.set_run_status(run.id, RunStatus.FAILURE)
        kept = storage.set_run_status(run.id, RunStatus.SUCCESS, expected=[RunStatus.STARTED],
                                      events=[log(run.id, "late success")])
        assert kept.status is RunStatus.FAILURE
        assert storage.get_run(run.id).status is RunStatus.FAILURE
        assert storage.list_events(run.id) == []
        moved = storage.set_run_status(run.id, RunStatus.CANCELED,
                                       expected=[RunStatus.FAILURE])
        assert moved.status is RunStatus.CANCELED

    def test_claim_runs_applies_the_choice_and_stores_wait_reasons(
        self, storage: Storage
    ) -> None:
        queued = [storage.add_run(make_run(f"job{i}", seconds=i)) for i in range(3)]
        busy = storage.add_run(make_run("busy", seconds=-1, status=RunStatus.STARTED))
        seen: dict[str, Any] = {}

        def choose(q: list[Run], running: list[Run]) -> tuple[list[str], dict[str, str]]:
            seen["queued"] = [r.id for r in q]
            seen["running"] = [r.id for r in running]
            return [queued[2].id, queued[0].id], {queued[1].id: "job limit reached"}

        claimed = storage.claim_runs(choose)
        assert seen == {"queued": [r.id for r in queued], "running": [busy.id]}
        assert [r.id for r in claimed] == [queued[2].id, queued[0].id]
        assert all(r.status is RunStatus.STARTING and r.heartbeat_at for r in claimed)
        waiting = storage.get_run(queued[1].id)
        assert waiting.status is RunStatus.QUEUED
        assert waiting.wait_reason == "job limit reached"
        storage.claim_runs(lambda q, r: ([q[0].id], {}))
        assert storage.get_run(queued[1].id).wait_reason is None

    def test_a_full_claim_window_adds_the_oldest_run_of_every_partition_key(
        self, storage: Storage
    ) -> None:
        backlog = [storage.add_run(make_run("imports", seconds=i, partition_key="acme"))
                   for i in range(6)]
        later = [storage.add_run(make_run("imports", seconds=10 + i, partition_key=key))
                 for i, key in enumerate(["zen", "zen", "bolt"])]
        manual = storage.add_run(make_run("report", seconds=20))
        seen: list[list[str]] = []

        def choose(q: list[Run], running: list[Run]) -> tuple[list[str], dict[str, str]]:
            seen.append([r.id for r in q])
            return [], {}

        storage.claim_runs(choose, scan_limit=4)  # a full window: acme's runs alone
        assert seen[-1] == [*(r.id for r in backlog[:4]), later[0].id, later[2].id,
                            manual.id]  # oldest first, each key's oldest run added
        storage.claim_runs(choose, scan_limit=20)  # the window holds every queued run
        assert seen[-1] == [r.id for r in [*backlog, *later, manual]]
        # One key per claim: the keys come in turn (acme, in the window, then bolt, zen),
        # then round again.
        beyond = []
        for _ in range(4):
            storage.claim_runs(choose, scan_limit=4, key_scan_limit=1)
            beyond.append(seen[-1][4:])
        assert beyond == [[manual.id], [later[2].id, manual.id], [later[0].id, manual.id],
                          [manual.id]]

    def test_heartbeat_records_worker_and_time(self, storage: Storage) -> None:
        run = storage.add_run(make_run(status=RunStatus.STARTED))
        before = utcnow()
        beat = storage.heartbeat(run.id, "host:123")
        assert beat.worker_id == "host:123"
        assert beat.heartbeat_at is not None and beat.heartbeat_at >= before
        assert beat.cancel_requested is False
        with pytest.raises(RunNotFoundError):
            storage.heartbeat("nope", "w")

    def test_heartbeat_leaves_queued_and_finished_runs_as_they_are(
            self, storage: Storage) -> None:
        for status in (RunStatus.QUEUED, RunStatus.SUCCESS, RunStatus.CANCELED):
            run = storage.add_run(make_run(status=status))
            assert storage.heartbeat(run.id, "late:1") == run
            assert storage.get_run(run.id) == run

    def test_request_cancel_of_a_queued_run_ends_it(self, storage: Storage) -> None:
        run = storage.add_run(make_run())
        canceled = storage.request_cancel(run.id)
        assert canceled.status is RunStatus.CANCELED and canceled.finished_at
        assert [e.kind for e in storage.list_events(run.id)] == [EventKind.RUN_CANCELED]
        assert claim_oldest(storage, 5) == []

    def test_request_cancel_of_an_active_run_flags_it_once(self, storage: Storage) -> None:
        run = storage.add_run(make_run(status=RunStatus.STARTED))
        assert storage.request_cancel(run.id).cancel_requested is True
        storage.request_cancel(run.id)
        assert storage.get_run(run.id).status is RunStatus.STARTED
        assert storage.heartbeat(run.id, "w").cancel_requested is True
        kinds = [e.kind for e in storage.list_events(run.id)]
        assert kinds == [EventKind.RUN_CANCEL_REQUESTED]

    def test_request_cancel_of_a_finished_run_changes_nothing(self, storage: Storage) -> None:
        run = storage.add_run(make_run(status=RunStatus.SUCCESS))
        assert storage.request_cancel(run.id).status is RunStatus.SUCCESS
        assert storage.list_events(run.id) == []
        with pytest.raises(RunNotFoundError):
            storage.request_cancel("nope")

    def test_find_stale_runs(self, storage: Storage) -> None:
        fresh = storage.add_run(make_run(seconds=0, status=RunStatus.STARTED))
        stale = storage.add_run(make_run(seconds=1, status=RunStatus.STARTED))
        never = storage.add_run(make_run(seconds=2, status=RunStatus.STARTING))
        storage.add_run(make_run(seconds=3, status=RunStatus.FAILURE))
        storage.add_run(make_run(seconds=4))
        cutoff = utcnow()
        storage.heartbeat(fresh.id, "w")
        found = storage.find_stale_runs(cutoff)
        assert [r.id for r in found] == [stale.id, never.id]

    def test_start_run_starts_a_starting_run_exactly_once(self, storage: Storage) -> None:
        run = storage.add_run(make_run(status=RunStatus.STARTING))
        started = storage.start_run(run.id, [log(run.id, "started")])
        assert started is not None and started.status is RunStatus.STARTED
        assert started.started_at is not None
        assert storage.start_run(run.id, [log(run.id, "again")]) is None
        assert [e.message for e in storage.list_events(run.id)] == ["started"]
        queued = storage.add_run(make_run())
        assert storage.start_run(queued.id) is None
        assert storage.get_run(queued.id).status is RunStatus.QUEUED
        with pytest.raises(RunNotFoundError):
            storage.start_run("nope")

    def test_warm_up_stores_nothing(self, storage: Storage) -> None:
        storage.warm_up()
        storage.warm_up()
        assert storage.list_runs() == [] and storage.count_runs() == 0
        run = storage.add_run(make_run(status=RunStatus.STARTING))
        assert storage.start_run(run.id) is not None
