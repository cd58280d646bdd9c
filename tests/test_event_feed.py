"""The event feed on each backend: one shared tail query, holes in the ids re-read
(PostgreSQL commits ids out of order), bounded subscribers, idle when nobody listens."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import pytest

import daggo_core
from daggo_core.config import default_config
from daggo_core.errors import FailedPreconditionError
from daggo_core.execution.event_feed import EventFeed, FeedEnded, Subscription
from daggo_core.plugins import make_plugin_manager
from daggo_core.rpc.streams import sse
from daggo_core.services import open_services
from daggo_core.services.streams import (
    KeepAlive,
    RunsStatusStreamRequest,
    RunsStreamRequest,
    StreamedEvent,
    StreamStopped,
)
from daggo_core.storage.records import Event, EventKind, Run, RunStatus, utcnow
from daggo_core.storage.schema import events as events_table
from daggo_core.storage.sql import SqlStorage
from tests.conftest import BackendUnderTest


def _log(run_id: str, message: str) -> Event:
    return Event(run_id=run_id, kind=EventKind.LOG, level="INFO", message=message)


async def _drain(subscription: Subscription, count: int) -> list[str]:
    """The messages of the next `count` events (runs skipped), waiting up to 10 s each."""
    messages: list[str] = []
    while len(messages) < count:
        item = await subscription.get(10)
        assert item is not None, f"nothing after {messages}"
        if isinstance(item, Event):
            messages.append(item.message)
    return messages


def test_a_transaction_committing_a_lower_id_later_still_reaches_subscribers(
        storage_backend: BackendUnderTest) -> None:
    if storage_backend.name != "postgres":
        pytest.skip("SQLite has one writer at a time: its ids commit in order")
    storage = storage_backend.open()
    assert isinstance(storage, SqlStorage)
    run = storage.add_run(Run(job_name="job"))

    async def main() -> None:
        feed = EventFeed(storage, poll_interval=0.01)
        subscription = await feed.subscribe(run.id)
        with storage.engine.connect() as held:
            transaction = held.begin()
            held.execute(events_table.insert().values(
                run_id=run.id, kind="LOG", timestamp=utcnow(), level="INFO",
                message="committed last", data={}))
            storage.add_events([_log(run.id, "committed first")])
            assert await _drain(subscription, 1) == ["committed first"]
            reads = feed.counts.events
            while feed.counts.events < reads + 3:  # the hole is re-read meanwhile
                await asyncio.sleep(0.01)
            transaction.commit()
        assert await _drain(subscription, 1) == ["committed last"]
        storage.add_events([_log(run.id, "after")])
        assert await _drain(subscription, 1) == ["after"]  # nothing twice
        subscription.close()

    asyncio.run(main())


def test_a_hole_that_never_fills_holds_nothing_back(storage_backend: BackendUnderTest) -> None:
    storage = storage_backend.open()
    assert isinstance(storage, SqlStorage)
    run = storage.add_run(Run(job_name="job"))

    async def main() -> None:
        feed = EventFeed(storage, poll_interval=0.01, gap_seconds=60)
        subscription = await feed.subscribe(run.id)
        with storage.engine.connect() as conn:  # takes an id (on PostgreSQL), rolls back
            transaction = conn.begin()
            conn.execute(events_table.insert().values(
                run_id=run.id, kind="LOG", timestamp=utcnow(), level="INFO",
                message="rolled back", data={}))
            transaction.rollback()
        storage.add_events([_log(run.id, "kept")])
        assert await _drain(subscription, 1) == ["kept"]
        subscription.close()

    asyncio.run(main())


def test_the_feed_reads_only_while_someone_listens(storage_backend: BackendUnderTest) -> None:
    storage = storage_backend.open()
    run = storage.add_run(Run(job_name="job"))

    async def main() -> None:
        feed = EventFeed(storage, poll_interval=0.01)
        storage.add_events([_log(run.id, "nobody listens")])
        assert feed.counts.events == 0 and not feed.active
        first = await feed.subscribe(run.id)
        other = await feed.subscribe(run.id)
        storage.add_events([_log(run.id, "both")])
        assert await _drain(first, 1) == await _drain(other, 1) == ["both"]
        first.close()
        other.close()
        while feed.active:
            await asyncio.sleep(0.01)
        idle = feed.counts
        await asyncio.sleep(0.05)
        storage.add_events([_log(run.id, "nobody again")])
        assert feed.counts == idle

    asyncio.run(main())


class _TailHeldUntil:
    """The storage, its tail read held (in the feed's thread) until `ready()` is true."""

    def __init__(self, storage: SqlStorage, ready: Callable[[], bool]) -> None:
        self.storage = storage
        self.ready = ready
        self.held = False
        self.holding = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.storage, name)

    def list_events_since(self, after_id: int, **options: object) -> list[Event]:
        events = self.storage.list_events_since(after_id, **options)  # type: ignore[arg-type]
        if self.held and events:
            self.holding = True
            while not self.ready():
                time.sleep(0)
        return events


def test_a_read_released_while_a_subscriber_joins_is_one_it_may_receive(
        storage_backend: BackendUnderTest) -> None:
    """A subscriber registered while a tail read is on its way gets that read's events,
    and says so (a stream relies on it to skip what its pages sent: else twice)."""
    storage = storage_backend.open()
    assert isinstance(storage, SqlStorage)
    run = storage.add_run(Run(job_name="job"))

    async def main() -> None:
        held = _TailHeldUntil(storage, lambda: feed.subscriber_count == 2)
        feed = EventFeed(held, poll_interval=0.01)
        first = await feed.subscribe(run.id)
        held.held = True
        storage.add_events([_log(run.id, "while joining")])
        while not held.holding:  # the read of that event is on its way
            await asyncio.sleep(0.001)
        pending = asyncio.ensure_future(feed.subscribe(run.id))
        await asyncio.sleep(0)  # it registers, and waits for its turn
        while feed.subscriber_count < 2:
            await asyncio.sleep(0)
        time.sleep(0.2)  # the loop held: the read returns meanwhile, due before the join
        joining = await pending
        item = await joining.get(10)
        assert isinstance(item, Event) and item.message == "while joining"
        assert joining.may_receive(item.id or 0)
        assert await _drain(first, 1) == ["while joining"]

    asyncio.run(asyncio.wait_for(main(), 20))


def test_a_subscriber_canceled_before_the_feed_is_positioned_leaves_nothing_behind(
        storage_backend: BackendUnderTest) -> None:
    storage = storage_backend.open()
    run = storage.add_run(Run(job_name="job"))

    async def main() -> None:
        feed = EventFeed(storage, poll_interval=0.01)
        # Canceled at once: before the feed's first read says where the log ends.
        pending = asyncio.ensure_future(feed.subscribe(run.id))
        await asyncio.sleep(0)
        pending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pending
        assert feed.subscriber_count == 0
        while feed.active:  # with nobody left, the feed stops reading
            await asyncio.sleep(0.01)

    asyncio.run(asyncio.wait_for(main(), 10))


def test_run_changes_are_read_once_for_every_subscriber(
        storage_backend: BackendUnderTest) -> None:
    storage = storage_backend.open()
    run = storage.add_run(Run(job_name="job", status=RunStatus.STARTED))

    async def main() -> None:
        feed = EventFeed(storage, poll_interval=0.01)
        statuses = [await feed.subscribe(job="job") for _ in range(3)]
        other_job = await feed.subscribe(job="other")
        follower = await feed.subscribe(run.id)
        storage.set_run_status(run.id, RunStatus.SUCCESS, events=[Event(
            run_id=run.id, kind=EventKind.RUN_SUCCESS, level="INFO", message="done")])
        for subscription in statuses:
            changed = await subscription.get(10)
            assert isinstance(changed, Run) and changed.status is RunStatus.SUCCESS
        assert isinstance(await follower.get(10), Event)
        assert isinstance(await follower.get(10), Run)
        assert await other_job.get(0.05) is None
        assert feed.counts.runs == 1

    asyncio.run(main())


def test_a_subscriber_that_falls_behind_is_ended_alone(storage_backend: BackendUnderTest) -> None:
    storage = storage_backend.open()
    run = storage.add_run(Run(job_name="job"))

    async def main() -> None:
        feed = EventFeed(storage, poll_interval=0.01, capacity=3)
        slow = await feed.subscribe(run.id)
        quick = await feed.subscribe(run.id)
        for i in range(5):
            storage.add_events([_log(run.id, f"e{i}")])
            assert await _drain(quick, 1) == [f"e{i}"]
        with pytest.raises(FeedEnded) as ended:
            await slow.get(1)
        assert ended.value.reason == "overflow"
        assert feed.subscriber_count == 1

    asyncio.run(main())


def test_closing_the_feed_ends_every_subscription_and_refuses_new_ones(
        storage_backend: BackendUnderTest) -> None:
    storage = storage_backend.open()
    run = storage.add_run(Run(job_name="job"))

    async def main() -> None:
        feed = EventFeed(storage)
        subscription = await feed.subscribe(run.id)
        feed.close()
        with pytest.raises(FeedEnded, match="closed"):
            await subscription.get(10)
        with pytest.raises(FeedEnded, match="closed"):
            await feed.subscribe(run.id)
        while feed.active:
            await asyncio.sleep(0.01)

    asyncio.run(main())


def test_an_idle_stream_sends_keep_alives(storage_backend: BackendUnderTest,
                                          apps: Callable[..., daggo_core.DaggoApp]) -> None:
    cfg = default_config()
    cfg.database = storage_backend.database
    cfg.scheduler.enabled = False
    app = apps(cfg)
    run = app.storage.add_run(Run(job_name="job", status=RunStatus.STARTED))
    app.storage.add_events([_log(run.id, "stored")])

    async def main() -> list[object]:
        stream = app.services.streams.run_stream(RunsStreamRequest(run_id=run.id))
        messages = stream.messages(keep_alive=0.02)
        got = [await anext(messages), await anext(messages)]
        await messages.aclose()
        return got

    stored, idle = asyncio.run(main())
    assert isinstance(stored, StreamedEvent) and stored.event.message == "stored"
    assert isinstance(idle, KeepAlive)
    assert sse(idle) == b": keep-alive\n\n"
    assert sse(stored).decode().startswith(f"id: {stored.cursor}\nevent: event\ndata: {{")
    assert app.feed.subscriber_count == 0


def test_a_stream_that_falls_behind_ends_with_the_cursor_to_resume_from(
        storage_backend: BackendUnderTest, apps: Callable[..., daggo_core.DaggoApp]) -> None:
    cfg = default_config()
    cfg.database = storage_backend.database
    cfg.scheduler.enabled = False
    app = apps(cfg)
    app.feed.capacity = 2
    run = app.storage.add_run(Run(job_name="job", status=RunStatus.STARTED))
    app.storage.add_events([_log(run.id, "stored")])

    async def main() -> list[object]:
        stream = app.services.streams.run_stream(RunsStreamRequest(run_id=run.id))
        messages = stream.messages(keep_alive=10)
        first = await anext(messages)
        app.storage.add_events([_log(run.id, f"live {i}") for i in range(3)])
        while app.feed.subscriber_count:  # not read meanwhile: it overflows, the feed ends it
            await asyncio.sleep(0.01)
        return [first, *[m async for m in messages]]

    first, stopped = asyncio.run(main())
    assert isinstance(first, StreamedEvent)
    assert isinstance(stopped, StreamStopped) and stopped.code == "resource_exhausted"
    assert stopped.cursor == first.cursor and "Last-Event-ID" in stopped.message
    assert b"event: error\n" in sse(stopped)


def test_streams_need_a_server(storage_backend: BackendUnderTest) -> None:
    cfg = default_config()
    cfg.database = storage_backend.database
    with open_services(cfg, make_plugin_manager()) as services, pytest.raises(
            FailedPreconditionError, match="served by a daggo server"):
        services.streams.status_stream(RunsStatusStreamRequest())


def test_the_test_reader_of_event_streams_joins_data_lines_and_keeps_ids_per_message() -> None:
    from daggo_core.testing.sse import SseMessage, read_sse

    lines = ["id: 1", "event: x", 'data: {"a":', "data: 1}", "", ": keep-alive", "data: 2", ""]
    assert list(read_sse(lines)) == [SseMessage(event="x", data={"a": 1}, id="1"),
                                     SseMessage(event="message", data=2, id=None)]
