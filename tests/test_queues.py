"""Queues at run time, on each backend: pushed and loaded items start one run per job,
roll up from them, are deduplicated on their key, retried, dead-lettered and replayed;
bad items are refused naming the field; a failing loader is retried and recovers."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from attrs import frozen

import daggo_core
from daggo_core import Batch, Context, NoInput, Queue, dag
from daggo_core.app import DaggoApp
from daggo_core.config import Config, default_config
from daggo_core.errors import FailedPreconditionError, PayloadError, QueueNotFoundError
from daggo_core.services.queues import (
    ItemSource,
    QueueItemsGetManyRequest,
    QueueItemsGetRequest,
    QueueItemsReplayRequest,
    QueueItemsRetryRequest,
    QueuesGetRequest,
    QueuesPushRequest,
    QueuesPushResponse,
)
from daggo_core.services.runs import RunsReexecuteRequest
from daggo_core.storage.records import PARTITION_TAG, QUEUE_TAG, QueueItemStatus, RunStatus
from daggo_core.testing.processes import wait_for
from tests.conftest import BackendUnderTest


@frozen
class Envelope:
    customer: str
    batch: int


@frozen
class Imported:
    rows: int

    def queue_metadata(self) -> dict[str, Any]:
        return {"rows": self.rows}


#: Customers whose imports fail (set by a test), and what each op saw.
FAILING: set[str] = set()
SEEN: list[tuple[str, int, str | None, int]] = []


def import_rows(ctx: Context, inp: NoInput) -> Imported:
    envelope = daggo_core.queue_payload(ctx, Envelope)
    meta = daggo_core.queue_meta(ctx)
    SEEN.append((envelope.customer, envelope.batch, meta.partition_key, meta.attempt))
    if envelope.customer in FAILING:
        raise RuntimeError(f"cannot import {envelope.customer}")
    return Imported(rows=envelope.batch * 10)


@frozen
class Audited:
    ok: bool


def audit(ctx: Context, inp: NoInput) -> Audited:
    return Audited(ok=True)


IMPORT = dag.job("import").add(dag.op("import_rows", import_rows)).build()
AUDIT = dag.job("audit").add(dag.op("audit", audit)).build()


def imports_queue(**options: Any) -> Any:
    queue = (Queue[Envelope]("imports").partition_key(lambda e: e.customer)
             .item_key(lambda e: f"{e.customer}/{e.batch}").jobs(IMPORT, AUDIT))
    if "retries" in options:
        queue = queue.retries(options["retries"], backoff=0.05)
    if "loader" in options:
        queue = queue.loader(options["loader"], poll_every=0.05)
    return queue.build()


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    FAILING.clear()
    SEEN.clear()
    yield
    FAILING.clear()


@pytest.fixture
def config(storage_backend: BackendUnderTest, tmp_path: Path) -> Config:
    config = default_config()
    config.database = storage_backend.database
    config.execution.executor = "in_process"
    config.execution.poll_interval_seconds = 0.05
    return config


def serving(app: DaggoApp, check: Callable[[], None]) -> None:
    """Run `check` (blocking) in a thread while the app's runtime runs."""
    async def main() -> None:
        async with app.running():
            await asyncio.to_thread(check)

    asyncio.run(main())


def item_status(app: DaggoApp, item_id: str) -> QueueItemStatus:
    return app.services.queue_items.get(QueueItemsGetRequest(item_id=item_id)).item.status


def test_a_pushed_item_runs_each_job_and_rolls_up_with_its_metadata(
        config: Config, apps: Callable[..., DaggoApp]) -> None:
    app = apps(config, daggo_core.Definitions(jobs=[IMPORT, AUDIT], queues=[imports_queue()]))

    def check() -> None:
        pushed = app.push("imports", {"customer": "acme", "batch": 3})
        (item_id,) = pushed.accepted
        wait_for(lambda: item_status(app, item_id) is QueueItemStatus.SUCCEEDED,
                 what="the item to succeed")
        detail = app.services.queue_items.get(QueueItemsGetRequest(item_id=item_id[:10]))
        assert sorted(r.job_name for r in detail.runs) == ["audit", "import"]
        assert {r.status for r in detail.runs} == {RunStatus.SUCCESS}
        assert detail.item.partition_key == "acme" and detail.item.item_key == "acme/3"
        assert detail.payload == {"customer": "acme", "batch": 3}
        assert detail.metadata == {"rows": 30}
        assert SEEN == [("acme", 3, "acme", 1)]

    serving(app, check)


def test_a_key_delivered_again_is_deduplicated_and_starts_nothing(
        config: Config, apps: Callable[..., DaggoApp]) -> None:
    app = apps(config, daggo_core.Definitions(jobs=[IMPORT, AUDIT], queues=[imports_queue()]))
    first = app.push("imports", Envelope("acme", 1)).accepted[0]
    again = app.push("imports", {"customer": "acme", "batch": 1}, {"customer": "zen",
                                                                   "batch": 1})
    assert len(again.accepted) == 1
    (duplicate,) = again.deduplicated
    assert duplicate.duplicate_of == first and duplicate.status is QueueItemStatus.DEDUPLICATED
    detail = app.services.queue_items.get(QueueItemsGetRequest(item_id=first))
    assert [d.id for d in detail.duplicates] == [duplicate.id] and detail.duplicate_count == 1
    assert app.services.queue_items.get(QueueItemsGetRequest(item_id=duplicate.id)).runs == ()


def test_a_bad_payload_is_refused_naming_the_field_and_kept_as_an_error(
        config: Config, apps: Callable[..., DaggoApp]) -> None:
    app = apps(config, daggo_core.Definitions(jobs=[IMPORT, AUDIT], queues=[imports_queue()]))
    with pytest.raises(PayloadError, match=r"batch: expected int, got str 'x'"):
        app.push("imports", {"customer": "acme", "batch": "x"})
    mixed = app.push("imports", {"customer": "acme", "batch": 1}, {"customer": "acme"})
    assert len(mixed.accepted) == 1
    assert mixed.rejected and "item 1" in mixed.rejected[0] and "batch" in mixed.rejected[0]
    errors = app.services.queues.get(QueuesGetRequest(queue="imports")).queue.errors
    assert len(errors) == 2 and "batch" in errors[0].message and '"customer"' in errors[0].detail
    with pytest.raises(QueueNotFoundError, match="imports"):
        app.push("exports", {"customer": "acme", "batch": 1})
    # PostgreSQL keeps no NUL in a text column: such a key is refused before storing.
    with pytest.raises(PayloadError, match="without NUL characters"):
        app.push("imports", daggo_core.QueueItemIn({"customer": "acme", "batch": 2},
                                                   key="acme\x00/2"))


@frozen
class Note:
    text: str


#: Set while the first push's partition is resolved ("hold"), which waits for RELEASE.
HOLDING, RELEASE = threading.Event(), threading.Event()


def _held_partition(note: Note) -> str:
    if note.text == "hold":
        HOLDING.set()
        RELEASE.wait(10)
    return "notes"


def grouped_pushes(app: DaggoApp, pushes: list[tuple[Any, str | None]]
                   ) -> list[QueuesPushResponse | BaseException]:
    """The answers to `pushes` ((item, key) each), all submitted while a first push is
    being stored, so that they are stored in one group after it."""
    HOLDING.clear()
    RELEASE.clear()
    queues = app.services.queues

    def push(item: Any, key: str | None = None) -> asyncio.Future[QueuesPushResponse]:
        return asyncio.ensure_future(queues.deliver_async(
            QueuesPushRequest(queue="notes", items=(item,), key=key), source=ItemSource.API))

    async def main() -> list[QueuesPushResponse | BaseException]:
        first = push({"text": "hold"})
        await asyncio.to_thread(HOLDING.wait, 10)
        later = [push(item, key) for item, key in pushes]
        await asyncio.sleep(0)  # each has run up to its wait: all are submitted
        RELEASE.set()
        assert len((await first).accepted) == 1
        return await asyncio.gather(*later, return_exceptions=True)

    return asyncio.run(main())


def notes_app(config: Config, apps: Callable[..., DaggoApp]) -> DaggoApp:
    notes = Queue[Note]("notes").partition_key(_held_partition).jobs(AUDIT).build()
    return apps(config, daggo_core.Definitions(jobs=[AUDIT], queues=[notes]))


def test_pushes_stored_together_keep_their_own_outcomes_and_deduplicate_each_other(
        config: Config, apps: Callable[..., DaggoApp]) -> None:
    app = notes_app(config, apps)
    first, again, other = grouped_pushes(app, [({"text": "a"}, "k"), ({"text": "b"}, "k"),
                                               ({"text": "c"}, None)])
    assert isinstance(first, QueuesPushResponse) and isinstance(again, QueuesPushResponse)
    assert isinstance(other, QueuesPushResponse)
    assert len(first.accepted) == 1 and len(other.accepted) == 1 and again.accepted == ()
    assert [d.duplicate_of for d in again.deduplicated] == list(first.accepted)
    assert app.storage.count_runs() == 3  # "hold", "a" and "c"


def test_a_push_that_cannot_be_stored_fails_alone_in_its_group(
        config: Config, apps: Callable[..., DaggoApp]) -> None:
    app = notes_app(config, apps)
    # A payload instance is stored as it is: one holding what JSON cannot encode fails
    # its transaction, and the group's other pushes are stored each in its own.
    bad, good = grouped_pushes(app, [(Note(object()), None),  # type: ignore[arg-type]
                                     ({"text": "fine"}, None)])
    assert isinstance(bad, TypeError) and "not JSON serializable" in str(bad)
    assert isinstance(good, QueuesPushResponse) and len(good.accepted) == 1
    assert app.storage.count_runs() == 2


def test_pushes_are_refused_once_the_queues_closed(
        config: Config, apps: Callable[..., DaggoApp]) -> None:
    app = notes_app(config, apps)
    assert len(app.push("notes", {"text": "a"}).accepted) == 1
    app.services.queues.close()
    with pytest.raises(FailedPreconditionError, match="the server is stopping"):
        app.push("notes", {"text": "b"})
    other = Queue[Note]("other").jobs(AUDIT).build()
    app = apps(config, daggo_core.Definitions(jobs=[AUDIT], queues=[other]))
    app.services.queues.close()  # before any push: no ingestor is made afterwards
    with pytest.raises(FailedPreconditionError, match="the server is stopping"):
        app.push("other", {"text": "c"})
    assert app.storage.count_runs() == 1


def test_a_failed_item_is_retried_then_dead_lettered_and_replayed(
        config: Config, apps: Callable[..., DaggoApp]) -> None:
    FAILING.add("acme")
    app = apps(config, daggo_core.Definitions(jobs=[IMPORT, AUDIT],
                                              queues=[imports_queue(retries=1)]))

    def check() -> None:
        (item_id,) = app.push("imports", {"customer": "acme", "batch": 1}).accepted
        dead = wait_for(lambda: (d := app.services.queue_items.get(
            QueueItemsGetRequest(item_id=item_id))).item.dead_lettered and d,
            what="the item to be dead-lettered")
        assert dead.item.status is QueueItemStatus.PARTIALLY_FAILED and dead.item.attempt == 2
        # The retry re-ran the failed job only, as a re-execution linked to the item.
        assert sorted(r.job_name for r in dead.runs) == ["audit", "import", "import"]
        assert SEEN == [("acme", 1, "acme", 1), ("acme", 1, "acme", 2)]
        FAILING.clear()
        replayed = app.services.queue_items.replay(QueueItemsReplayRequest(
            queue="imports", dead_lettered=True))
        assert replayed.replayed == (item_id,) and replayed.skipped == 0
        wait_for(lambda: item_status(app, item_id) is QueueItemStatus.SUCCEEDED,
                 what="the replayed item to succeed")
        item = app.services.queue_items.get(QueueItemsGetRequest(item_id=item_id)).item
        assert not item.dead_lettered and item.attempt == 3
        with pytest.raises(daggo_core.DaggoError, match="SUCCEEDED"):
            app.services.queue_items.retry(QueueItemsRetryRequest(item_id=item_id))

    serving(app, check)


def test_a_poll_loader_delivers_batches_with_its_cursor_and_recovers_from_failures(
        config: Config, apps: Callable[..., DaggoApp]) -> None:
    calls: list[str | None] = []
    broken = threading.Event()

    def load(cursor: str | None) -> Batch[Envelope]:
        calls.append(cursor)
        if broken.is_set():
            raise ConnectionError("the source is down")
        start = int(cursor or 0)
        if start >= 4:
            return Batch(items=[], cursor=cursor, lag=0)
        return Batch(items=[Envelope("acme", start + 1),
                            {"customer": "zen", "batch": start + 2}, {"bad": True}],
                     cursor=str(start + 2), lag=4 - start - 2)

    app = apps(config, daggo_core.Definitions(jobs=[IMPORT, AUDIT],
                                              queues=[imports_queue(loader=load)]))

    def check() -> None:
        summary = wait_for(lambda: (q := app.services.queues.get_many().queues[0]).loader
                           and q.loader.cursor == "4" and q, what="the loader to reach 4")
        assert summary.loader is not None and summary.loader.loaded == 4
        assert summary.loader.healthy and summary.loader.lag == 0
        assert calls[:2] == [None, "2"]  # a source with more: polled again at once
        errors = app.services.queues.get(QueuesGetRequest(queue="imports")).queue.errors
        assert len(errors) == 2 and all("bad" in e.message for e in errors)
        broken.set()
        unhealthy = wait_for(lambda: (q := app.services.queues.get_many().queues[0]).loader
                             and q.loader.failures >= 2 and q, what="failures")
        assert unhealthy.loader is not None and not unhealthy.loader.healthy
        assert "ConnectionError: the source is down" in (unhealthy.loader.last_error or "")
        broken.clear()
        wait_for(lambda: (q := app.services.queues.get_many().queues[0]).loader
                 and q.loader.healthy, what="the loader to recover")

    serving(app, check)


def test_the_ready_made_directory_loader_delivers_dropped_files(
        config: Config, apps: Callable[..., DaggoApp], tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.json").write_text(json.dumps({"customer": "acme", "batch": 1}))
    (inbox / "b.json").write_text(json.dumps([{"customer": "zen", "batch": 1},
                                              {"customer": "zen", "batch": 2}]))
    (inbox / "c.json").write_text("{not json")
    queue = (Queue[Envelope]("imports")
             .loader(daggo_core.queue_loader("directory", path=inbox), poll_every=0.05)
             .jobs(IMPORT, AUDIT).build())
    app = apps(config, daggo_core.Definitions(jobs=[IMPORT, AUDIT], queues=[queue]))

    def loaded() -> Any:
        loader = app.services.queues.get_many().queues[0].loader
        return loader if loader is not None and loader.cursor is not None else None

    def check() -> None:
        assert wait_for(lambda: (s := loaded()) and s.cursor == "c.json" and s).loaded == 3
        keys = sorted(i.item_key for i in app.services.queue_items.get_many(
            QueueItemsGetManyRequest(queue="imports")).items)
        assert keys == ["a.json#0", "b.json#0", "b.json#1"]
        errors = app.services.queues.get(QueuesGetRequest(queue="imports")).queue.errors
        assert len(errors) == 1 and "c.json: not JSON" in errors[0].detail
        (inbox / "d.json").write_text(json.dumps({"customer": "acme", "batch": 2}))
        assert wait_for(lambda: (s := loaded()) and s.cursor == "d.json" and s).loaded == 4

    serving(app, check)
    with pytest.raises(daggo_core.errors.PluginError, match="directory"):
        daggo_core.queue_loader("carrier-pigeon")


def test_a_push_loader_pushes_with_its_cursor_and_resumes_from_it(
        config: Config, apps: Callable[..., DaggoApp]) -> None:
    seen: list[str | None] = []

    async def listen(pusher: daggo_core.Pusher) -> None:
        seen.append(pusher.cursor)
        start = int(pusher.cursor or 0)
        pusher.push([Envelope("acme", start + 1), Envelope("acme", start + 2)],
                    cursor=str(start + 2))
        await asyncio.sleep(3600)  # listening, until the server stops

    queue = (Queue[Envelope]("imports").loader(listen, mode="push")
             .item_key(lambda e: f"{e.customer}/{e.batch}").jobs(IMPORT, AUDIT).build())
    definitions = daggo_core.Definitions(jobs=[IMPORT, AUDIT], queues=[queue])
    for cursor in ("2", "4"):
        app = apps(config, definitions)
        serving(app, lambda app=app, cursor=cursor: wait_for(
            lambda: app.storage.get_loader_state("imports").cursor == cursor))
        app.close()
    assert seen == [None, "2"]
    items = app.services.queue_items.get_many(QueueItemsGetManyRequest(queue="imports")).items
    assert sorted(i.item_key for i in items) == [f"acme/{n}" for n in range(1, 5)]


def test_a_re_execution_of_an_items_run_stays_linked_and_settles_the_item(
        config: Config, apps: Callable[..., DaggoApp]) -> None:
    FAILING.add("acme")
    app = apps(config, daggo_core.Definitions(jobs=[IMPORT, AUDIT], queues=[imports_queue()]))

    def check() -> None:
        (item_id,) = app.push("imports", {"customer": "acme", "batch": 1}).accepted
        wait_for(lambda: app.services.queue_items.get(
            QueueItemsGetRequest(item_id=item_id)).item.dead_lettered)
        failed = next(r for r in app.services.queue_items.get(
            QueueItemsGetRequest(item_id=item_id)).runs if r.status is RunStatus.FAILURE)
        FAILING.clear()
        rerun = app.services.runs.reexecute(RunsReexecuteRequest(run_id=failed.id)).run
        assert rerun.tags[QUEUE_TAG] == "imports" and rerun.tags[PARTITION_TAG] == "acme"
        wait_for(lambda: item_status(app, item_id) is QueueItemStatus.SUCCEEDED)
        detail = app.services.queue_items.get(QueueItemsGetRequest(item_id=item_id))
        assert rerun.id in {r.id for r in detail.runs} and not detail.item.dead_lettered

    serving(app, check)


def test_a_queues_partitions_share_run_slots_fairly_within_its_per_partition_limit(
        config: Config, apps: Callable[..., DaggoApp]) -> None:
    limited = (Queue[Envelope]("imports").partition_key(lambda e: e.customer)
               .concurrency(per_partition=2).jobs(IMPORT, AUDIT).build())
    app = apps(config, daggo_core.Definitions(jobs=[IMPORT, AUDIT], queues=[limited]))
    coordinator = app.start_execution()
    assert coordinator.fair_share_tag == PARTITION_TAG
    assert coordinator.partition_limits == {"imports": 2}
    config.execution.fair_share_tag = "team"
    chosen = apps(config, daggo_core.Definitions(jobs=[IMPORT, AUDIT], queues=[limited]))
    assert chosen.start_execution().fair_share_tag == "team"


def test_a_backlog_of_one_partition_beyond_the_claim_window_starves_no_other(
        config: Config, apps: Callable[..., DaggoApp]) -> None:
    limited = (Queue[Envelope]("imports").partition_key(lambda e: e.customer)
               .concurrency(per_partition=1).jobs(AUDIT).build())
    config.execution.max_concurrent_runs = 4
    app = apps(config, daggo_core.Definitions(jobs=[AUDIT], queues=[limited]))
    # More runs of acme queued first than a claim scans (500): zen's run lies beyond.
    app.push("imports", *(Envelope("acme", n) for n in range(501)))
    (zen,) = app.push("imports", Envelope("zen", 1)).accepted
    coordinator = app.start_execution()
    assert coordinator.dispatch_once() == 2  # one run of each key: acme's limit is 1
    assert item_status(app, zen) in (QueueItemStatus.RUNNING, QueueItemStatus.SUCCEEDED)


def test_the_directory_loader_fails_a_poll_of_a_path_that_is_no_directory(
        tmp_path: Path) -> None:
    load = daggo_core.queue_loader("directory", path=tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="is not a directory; create it"):
        load(None)
    (tmp_path / "b.json").write_text("[]")
    (tmp_path / "a.json").write_text('{"customer": "acme", "batch": 1}')
    batch = daggo_core.queue_loader("directory", path=tmp_path, batch_files=1)(None)
    assert (batch.cursor, batch.lag, [i.key for i in batch.items]) == ("a.json", 1,
                                                                       ["a.json#0"])


def test_a_loader_without_a_cursor_delivers_what_its_source_hands_out_once(
        config: Config, apps: Callable[..., DaggoApp]) -> None:
    source = [Envelope("acme", n) for n in range(5)]

    def consume(cursor: str | None) -> list[Envelope]:
        taken = source[:2]
        del source[:2]
        return taken

    queue = (Queue[Envelope]("imports").loader(consume, poll_every=0.05)
             .jobs(IMPORT, AUDIT).build())
    app = apps(config, daggo_core.Definitions(jobs=[IMPORT, AUDIT], queues=[queue]))

    def check() -> None:
        wait_for(lambda: (q := app.services.queues.get_many().queues[0]).loader
                 and q.loader.loaded == 5, what="the 5 items loaded")
        state = app.storage.get_loader_state("imports")
        assert state.cursor is None and state.version == 0  # nothing to fence
        items = app.services.queue_items.get_many(QueueItemsGetManyRequest(queue="imports"))
        assert len(items.items) == 5

    serving(app, check)


CUSTOMERS = daggo_core.DynamicPartitions("customers")
PER_CUSTOMER_SEEN: list[str | None] = []


@frozen
class Signup:
    customer: str


def _per_customer(ctx: Context, inp: NoInput) -> Audited:
    PER_CUSTOMER_SEEN.append(ctx.partition_key)
    return Audited(ok=True)


def test_a_queue_adds_its_partition_keys_to_dynamic_partitions_its_jobs_run_for(
        config: Config, apps: Callable[..., DaggoApp]) -> None:
    job = (dag.job("per_customer", partitions=CUSTOMERS)
           .add(dag.op("count", _per_customer, assets=["signups"])).build())
    queue = (Queue[Signup]("signups").partition_key(lambda s: s.customer, partitions=CUSTOMERS)
             .jobs(job).build())
    app = apps(config, daggo_core.Definitions(jobs=[job], queues=[queue]))
    PER_CUSTOMER_SEEN.clear()

    def check() -> None:
        accepted = app.push("signups", {"customer": "acme"}, {"customer": "zen"},
                            {"customer": "acme"}).accepted
        wait_for(lambda: all(item_status(app, i) is QueueItemStatus.SUCCEEDED
                             for i in accepted), what="the items to succeed")
        with pytest.raises(PayloadError, match=r"partition key 'a\.\.\.b'"):
            app.push("signups", {"customer": "a...b"})

    serving(app, check)
    storage = app.services.context.storage
    assert storage.list_dynamic_partitions("customers") == ["acme", "zen"]
    assert sorted(PER_CUSTOMER_SEEN, key=str) == ["acme", "acme", "zen"]
    assert set(storage.partition_statuses("signups")) == {"acme", "zen"}
