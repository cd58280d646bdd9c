"""Several claimers and listeners on one schema: exact limits, SKIP LOCKED, NOTIFY wake-ups."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from daggo_core.config import DatabaseConfig
from daggo_core.storage.base import RunFilter
from daggo_core.storage.records import Run, RunStatus
from daggo_core.storage.schema import runs
from daggo_core.storage.sql import SqlStorage
from daggo_core.testing.storage_contract import claim_oldest
from daggo_postgres.startup import open_postgres
from daggo_postgres.testing import database_config, temporary_schema

LIMIT = 3


@pytest.fixture
def storages(pg_config: DatabaseConfig) -> Iterator[list[SqlStorage]]:
    """Four storages (four pools, as in four processes) on the test's schema."""
    opened = [open_postgres(pg_config.postgres) for _ in range(4)]
    yield opened
    for storage in opened:
        storage.close()


def test_claim_candidates_skip_locked_rows(pg_storage: SqlStorage) -> None:
    candidates = pg_storage.dialect.claim_candidates(select(runs.c.id))
    query = candidates.compile(dialect=postgresql.dialect())
    assert "FOR UPDATE SKIP LOCKED" in str(query)


def test_concurrent_limited_claims_never_exceed_the_global_limit(
    storages: list[SqlStorage],
) -> None:
    for i in range(20):
        storages[0].add_run(Run(job_name=f"j{i}"))
    barrier = threading.Barrier(len(storages))
    claimed: list[Run] = []

    def choose(queued: list[Run], running: list[Run]) -> tuple[list[str], dict[str, str]]:
        time.sleep(0.05)  # widen the window in which unserialized claimers would overlap
        room = max(0, LIMIT - len(running))
        return [run.id for run in queued[:room]], {}

    def claimer(storage: SqlStorage) -> None:
        barrier.wait()
        claimed.extend(storage.claim_runs(choose, scan_limit=5))  # each sees other rows

    threads = [threading.Thread(target=claimer, args=(s,)) for s in storages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == LIMIT == len({run.id for run in claimed})
    assert storages[0].count_runs(RunFilter(statuses=(RunStatus.STARTING,))) == LIMIT


def test_concurrent_plain_claims_hand_out_each_run_once(storages: list[SqlStorage]) -> None:
    ids = {storages[0].add_run(Run(job_name="j")).id for _ in range(40)}
    barrier = threading.Barrier(len(storages))
    claimed: list[str] = []

    def claimer(storage: SqlStorage) -> None:
        barrier.wait()
        while batch := claim_oldest(storage, 3):
            claimed.extend(run.id for run in batch)

    threads = [threading.Thread(target=claimer, args=(s,)) for s in storages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(ids)


def test_wait_for_work_wakes_on_runs_queued_or_ended_elsewhere(
    storages: list[SqlStorage],
) -> None:
    listener, other = storages[0].work_notifier(), storages[1]
    assert listener is not None
    assert listener.wait_for_work(1.0) is True  # first call connects: may have missed some
    assert listener.wait_for_work(0.05) is False
    run = other.add_run(Run(job_name="j"))
    assert listener.wait_for_work(5.0) is True
    assert listener.wait_for_work(0.05) is False
    claim_oldest(other, 1)  # QUEUED -> STARTING is nobody's work: no notification
    assert listener.wait_for_work(0.2) is False
    other.set_run_status(run.id, RunStatus.SUCCESS)
    assert listener.wait_for_work(5.0) is True


def test_wake_up_arrives_while_waiting(storages: list[SqlStorage]) -> None:
    listener, other = storages[0].work_notifier(), storages[1]
    assert listener is not None
    listener.wait_for_work(1.0)
    timer = threading.Timer(0.2, other.add_run, args=(Run(job_name="j"),))
    timer.start()
    assert listener.wait_for_work(10.0) is True  # woken: a timeout returns False
    timer.join()


def test_other_schemas_do_not_wake_a_listener(pg_url: str, pg_storage: SqlStorage) -> None:
    pg_storage.work_notifier().wait_for_work(1.0)
    with temporary_schema(pg_url) as other_schema:
        other = open_postgres(database_config(pg_url, other_schema).postgres)
        try:
            other.add_run(Run(job_name="j"))
            assert pg_storage.work_notifier().wait_for_work(0.3) is False
        finally:
            other.close()


def test_closed_storage_stops_waiting(pg_config: DatabaseConfig) -> None:
    storage = open_postgres(pg_config.postgres)
    storage.work_notifier().wait_for_work(1.0)
    storage.close()
    assert storage.work_notifier().wait_for_work(5.0) is False
