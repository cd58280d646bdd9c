"""The worker-registry part of the storage contract (mixed into StorageContract)."""

from __future__ import annotations

import datetime as dt

from attrs import evolve

from daggo_core.storage.base import Storage, WorkerPosition
from daggo_core.storage.drain_records import PoolRecord, WorkerBeat
from daggo_core.storage.records import Run, RunStatus, WorkerRecord, WorkerState

__all__ = ["WorkerStorageContract"]

T0 = dt.datetime(2026, 6, 1, 10, 0, 0, 250000, tzinfo=dt.UTC)


def second(s: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=s)


def worker(host: str = "host-a", pid: int = 100, *, state: WorkerState = WorkerState.IDLE,
           run_id: str | None = None, heartbeat_at: dt.datetime = T0,
           pool: str = "") -> WorkerRecord:
    """Worker `host:pid`, started at T0 (an IDLE one last heartbeated then, by default)."""
    return WorkerRecord(id=f"{host}:{pid}", host=host, pid=pid, executor="subprocess",
                        state=state, run_id=run_id, started_at=T0, heartbeat_at=heartbeat_at,
                        version="1.2.3", pool=pool)


def pool(name: str = "subprocess@host-a:1", *, heartbeat_at: dt.datetime = T0,
         active_runs: int | None = 0) -> PoolRecord:
    """Pool `name` of host-a, started at T0."""
    return PoolRecord(name=name, executor="subprocess", host="host-a", version="1.2.3",
                      queues=("a", "b"), active_runs=active_runs, started_at=T0,
                      heartbeat_at=heartbeat_at)


class WorkerStorageContract:
    """The worker registry: rows of workers and pools saved, heartbeated, listed, removed
    and pruned; drains requested, seen at heartbeats, accepted and resumed."""

    def test_a_saved_worker_round_trips_every_field(self, storage: Storage) -> None:
        running = evolve(worker(state=WorkerState.RUNNING, run_id="r" * 32,
                                heartbeat_at=second(2), pool="celery:a"), queues=("a", "b"))
        storage.save_worker(running)
        assert storage.list_workers(limit=10) == [running]
        assert storage.get_worker(running.id) == running
        assert storage.get_worker("host-a:404") is None

    def test_saving_a_worker_again_replaces_its_row(self, storage: Storage) -> None:
        storage.save_worker(worker(state=WorkerState.STARTING))
        again = worker(state=WorkerState.RUNNING, run_id="r" * 32, heartbeat_at=second(5))
        storage.save_worker(again)
        storage.save_worker(evolve(again, state=WorkerState.IDLE, run_id=None))
        assert storage.list_workers(limit=10) == [evolve(again, state=WorkerState.IDLE,
                                                         run_id=None)]

    def test_workers_are_listed_by_host_then_pid_in_keyset_pages(self,
                                                                 storage: Storage) -> None:
        for host, pid in (("host-b", 7), ("host-a", 100), ("host-a", 99), ("host-b", 1000)):
            storage.save_worker(worker(host, pid))
        order = [("host-a", 99), ("host-a", 100), ("host-b", 7), ("host-b", 1000)]
        assert [(w.host, w.pid) for w in storage.list_workers(limit=10)] == order
        first = storage.list_workers(limit=2)
        rest = storage.list_workers(limit=10, after=WorkerPosition(first[-1].host,
                                                                    first[-1].pid))
        assert [(w.host, w.pid) for w in first + rest] == order

    def test_heartbeat_workers_moves_those_given_in_one_go(self, storage: Storage) -> None:
        for pid in (1, 2, 3):
            storage.save_worker(worker(pid=pid))
        beat = storage.heartbeat_workers(["host-a:1", "host-a:3", "host-a:404"], second(9))
        assert beat.present == {"host-a:1", "host-a:3"}  # the missing one had no row
        assert not beat.draining and not beat.pool_draining
        assert {w.pid: w.heartbeat_at for w in storage.list_workers(limit=10)} == {
            1: second(9), 2: T0, 3: second(9)}
        assert storage.heartbeat_workers([], second(10)) == WorkerBeat()

    def test_remove_worker_deletes_its_row_only(self, storage: Storage) -> None:
        storage.save_worker(worker(pid=1))
        storage.save_worker(worker(pid=2))
        assert storage.remove_worker("host-a:1") is True
        assert storage.remove_worker("host-a:1") is False
        assert [w.pid for w in storage.list_workers(limit=10)] == [2]

    def test_prune_workers_deletes_the_rows_silent_since_before_a_time(
            self, storage: Storage) -> None:
        for pid, beat in ((1, 0), (2, 10), (3, 20)):
            storage.save_worker(worker(pid=pid, heartbeat_at=second(beat)))
        assert storage.prune_workers(second(10)) == 1
        assert [w.pid for w in storage.list_workers(limit=10)] == [2, 3]
        assert storage.prune_workers(second(10)) == 0

    def test_a_run_heartbeat_keeps_its_workers_row_alive(self, storage: Storage) -> None:
        run = storage.add_run(Run(job_name="job", status=RunStatus.STARTED))
        storage.save_worker(worker(pid=1, state=WorkerState.RUNNING, run_id=run.id))
        storage.save_worker(worker(pid=2))
        storage.heartbeat(run.id, "host-a:1")
        beats = {w.pid: w.heartbeat_at for w in storage.list_workers(limit=10)}
        assert beats[1] > T0 and beats[2] == T0
        storage.set_run_status(run.id, RunStatus.SUCCESS)
        storage.heartbeat(run.id, "host-a:2")  # a finished run's heartbeat changes nothing
        assert storage.list_workers(limit=10)[1].heartbeat_at == T0

    def test_a_saved_pool_round_trips_and_saving_it_again_replaces_its_row(
            self, storage: Storage) -> None:
        storage.save_pool(pool("b"))
        storage.save_pool(pool("a"))
        storage.save_pool(evolve(pool("a"), active_runs=None, heartbeat_at=second(3)))
        assert storage.list_pools() == [evolve(pool("a"), active_runs=None,
                                               heartbeat_at=second(3)), pool("b")]
        assert storage.remove_pool("a") is True and storage.remove_pool("a") is False
        assert [p.name for p in storage.list_pools()] == ["b"]

    def test_a_drained_worker_is_told_at_its_heartbeat_and_its_acceptance_kept_by_saves(
            self, storage: Storage) -> None:
        storage.save_worker(worker(pid=1))
        storage.save_worker(worker(pid=2))
        assert storage.request_drain(worker_id="host-a:1", at=second(1)) is True
        assert storage.request_drain(worker_id="host-a:404", at=second(1)) is False
        beat = storage.heartbeat_workers(["host-a:1", "host-a:2"], second(2))
        assert beat.draining == {"host-a:1"} and not beat.pool_draining
        storage.accept_drain(worker_ids=["host-a:1", "host-a:2"], at=second(3))
        storage.save_worker(worker(pid=1, state=WorkerState.RUNNING, run_id="r" * 32))
        first, second_ = storage.list_workers(limit=10)
        assert (first.drain_requested_at, first.drain_accepted_at) == (second(1), second(3))
        assert first.state is WorkerState.RUNNING  # the registrant's save kept the drain
        assert (second_.drain_requested_at, second_.drain_accepted_at) == (None, None)
        # Asked again: the first request (and its acceptance) stand.
        storage.request_drain(worker_id="host-a:1", at=second(9))
        assert storage.list_workers(limit=1)[0].drain_requested_at == second(1)
        assert storage.resume_drain(worker_id="host-a:1") is True
        assert storage.list_workers(limit=1)[0].drain_requested_at is None
        assert storage.heartbeat_workers(["host-a:1"], second(4)).draining == frozenset()
        storage.accept_drain(worker_ids=["host-a:1"], at=second(5))  # resumed: nothing
        assert storage.list_workers(limit=1)[0].drain_accepted_at is None

    def test_a_drained_pool_drains_its_workers_and_is_told_without_any(
            self, storage: Storage) -> None:
        storage.save_pool(pool("p"))
        storage.save_pool(pool("q"))
        storage.save_worker(worker(pid=1, pool="p"))
        storage.save_worker(worker(pid=2, pool="q"))
        assert storage.request_drain(pool="p", at=second(1)) is True
        assert storage.request_drain(pool="nope", at=second(1)) is False
        beat = storage.heartbeat_workers(["host-a:1", "host-a:2"], second(2), pool="p")
        assert beat.draining == {"host-a:1"} and beat.pool_draining
        assert storage.heartbeat_workers([], second(2), pool="p").pool_draining
        assert not storage.heartbeat_workers([], second(2), pool="q").pool_draining
        storage.accept_drain(pool="p", at=second(3))
        storage.save_pool(evolve(pool("p"), active_runs=2))
        (drained,) = [p for p in storage.list_pools() if p.name == "p"]
        assert (drained.drain_requested_at, drained.drain_accepted_at,
                drained.active_runs) == (second(1), second(3), 2)
        assert storage.resume_drain(pool="p") is True
        assert not storage.heartbeat_workers(["host-a:1"], second(4), pool="p").draining

    def test_prune_workers_deletes_silent_pools_too(self, storage: Storage) -> None:
        storage.save_pool(pool("old", heartbeat_at=second(0)))
        storage.save_pool(pool("new", heartbeat_at=second(20)))
        assert storage.prune_workers(second(10)) == 1
        assert [p.name for p in storage.list_pools()] == ["new"]
