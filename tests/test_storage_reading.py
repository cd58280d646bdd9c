"""`Storage.reading`: the reads of a block in one read transaction, on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from daggo_core.errors import RunNotFoundError
from daggo_core.services.runs import RunsEventsRequest, RunsGetManyRequest, RunsGetRequest
from daggo_core.storage.base import Storage
from daggo_core.storage.records import Event, EventKind, Run, RunStatus
from daggo_core.storage.sql import SqlStorage
from daggo_core.testing.services import services_over


@contextmanager
def counted_transactions(storage: Storage) -> Iterator[list[bool]]:
    """Every transaction begun on the storage's engine meanwhile, one item each."""
    assert isinstance(storage, SqlStorage)
    begun: list[bool] = []

    def begin(conn: Any) -> None:
        begun.append(True)

    event.listen(storage.engine, "begin", begin)
    try:
        yield begun
    finally:
        event.remove(storage.engine, "begin", begin)


def a_run(storage: Storage) -> Run:
    run = Run(job_name="job", status=RunStatus.SUCCESS)
    storage.add_run(run, [Event(run_id=run.id, kind=EventKind.LOG, message="line")])
    return run


def test_the_reads_of_a_block_share_one_transaction(storage: Storage) -> None:
    run = a_run(storage)

    def read() -> tuple[Any, ...]:
        return (storage.get_run(run.id), storage.list_steps(run.id),
                storage.list_events(run.id), storage.reading(lambda: storage.count_runs()))

    with counted_transactions(storage) as begun:
        got, steps, events, count = storage.reading(read)
    assert len(begun) == 1
    assert (got.id, steps, [e.message for e in events], count) == (run.id, [], ["line"], 1)
    with counted_transactions(storage) as begun:
        read()
    assert len(begun) == 4


def test_a_run_page_is_read_in_one_transaction(storage: Storage) -> None:
    run = a_run(storage)
    runs = services_over(storage).runs
    for call in (lambda: runs.get(RunsGetRequest(run_id=run.id[:8])),
                 lambda: runs.events(RunsEventsRequest(run_id=run.id)),
                 lambda: runs.get_many(RunsGetManyRequest())):
        with counted_transactions(storage) as begun:
            call()
        assert len(begun) == 1


def test_a_write_in_the_block_commits_on_its_own(storage: Storage) -> None:
    run = a_run(storage)

    def read_then_write() -> None:
        storage.get_run(run.id)
        storage.add_events([Event(run_id=run.id, kind=EventKind.LOG, message="written")])

    storage.reading(read_then_write)
    assert [e.message for e in storage.list_events(run.id)][-1] == "written"


def test_an_error_leaves_the_block_and_later_reads_work(storage: Storage) -> None:
    with pytest.raises(RunNotFoundError, match="no run with id 'nope'"):
        storage.reading(lambda: storage.get_run("nope"))
    run = a_run(storage)
    with counted_transactions(storage) as begun:
        assert storage.get_run(run.id).id == run.id
        assert storage.list_steps(run.id) == []
    assert len(begun) == 2
