"""Run events as they are stored, for the streams: one shared tail of the events table.

Workers store a run's step events from other processes (subprocess workers, other
machines), so this process's own listeners never see them. While at least one stream
listens, the feed reads the events of every run stored after the last it saw with ONE
query every `poll_interval` seconds, and at once when this process stores events (the
storage's event listener wakes it); with nobody listening it makes no query at all. Each
subscriber has a bounded buffer filled by run id, so a slow one never holds back the others.

Where ids come from a sequence at insert (a server database with concurrent writers), a
transaction committing later can make a lower id visible after a higher one: a keyset
`id > last` would skip it. The feed keeps every hole below the highest id it saw pending
for `GAP_SECONDS`, re-reads those ids with each query and releases what fills them then,
once each (so such an event arrives after the higher ids it committed after). Nothing
waits for a hole: most never fill (rolled-back transactions, such as a worker's storage
warm-up, leave them).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Callable, Collection, Sequence
from typing import Protocol

from attrs import define, frozen

from daggo_core.errors import DaggoError
from daggo_core.storage.records import Event, Run

__all__ = ["GAP_SECONDS", "EventFeed", "FeedCounts", "FeedEnded", "FeedItem", "FeedStorage",
           "Subscription"]

logger = logging.getLogger("daggo.streams")

#: How long a hole in the ids seen stays pending (re-read by every tail query).
GAP_SECONDS = 5.0
#: The most events one tail query reads (a fuller backlog takes several, back to back).
BATCH = 1000
#: The most holes kept pending; older ones are given up first.
MAX_GAPS = 256
#: How long a new subscriber waits for the feed's first read of where the log ends.
POSITION_SECONDS = 30.0
#: Events (and runs) a subscriber may have waiting before its stream is ended.
SUBSCRIBER_CAPACITY = 4096

#: What a subscriber receives: an event of its run(s), or a run as read after a
#: run-level event of it (a status change).
FeedItem = Event | Run


class FeedStorage(Protocol):
    """What the feed reads: the tail of the events table, and runs."""

    def add_event_listener(self, listener: Callable[[Sequence[Event]], None]) -> None: ...

    def list_events_since(self, after_id: int, *, gaps: Sequence[tuple[int, int]] = (),
                          limit: int = 1000) -> list[Event]: ...

    def last_event_id(self) -> int: ...

    def get_runs(self, run_ids: Collection[str]) -> list[Run]: ...


class FeedEnded(DaggoError):
    """A subscription ended: the feed closed (`reason` "closed"), the subscriber fell
    too far behind ("overflow"), or the feed could not read the log ("unavailable")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Subscription:
    """A subscriber's buffer of feed items: one run's events and run changes, or (with
    `run_id` None) every run's changes, of job `job` if given. Close it when done."""

    def __init__(self, feed: EventFeed, run_id: str | None, job: str | None,
                 capacity: int) -> None:
        self.feed = feed
        self.run_id = run_id
        self.job = job
        self.capacity = capacity
        self.ended: str | None = None
        #: Where the feed was when this subscription joined it (registered, once the
        #: feed knows where the log ends): the highest id it had seen and the holes
        #: below it. Events at or below that id, outside the holes, were released
        #: before and never reach this subscription; every other event may.
        self.start_high: int | None = None
        self.start_gaps: tuple[tuple[int, int], ...] = ()
        self._items: collections.deque[FeedItem] = collections.deque()
        self._ready = asyncio.Event()

    async def get(self, timeout: float) -> FeedItem | None:
        """The next item, or None after `timeout` seconds without one; raises FeedEnded
        once the subscription ended (items still buffered are dropped then)."""
        if not self._items and self.ended is None:
            self._ready.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), timeout)
        if self.ended is not None:
            raise FeedEnded(self.ended)
        return self._items.popleft() if self._items else None

    def may_receive(self, event_id: int) -> bool:
        """Whether the event `event_id` may still reach this subscription (or reached it)."""
        assert self.start_high is not None, "the feed has not positioned this subscription"
        return event_id > self.start_high or any(
            low <= event_id <= high for low, high in self.start_gaps)

    def close(self) -> None:
        """Stop receiving; the feed stops reading when no subscriber is left."""
        self.feed._remove(self)

    def _put(self, item: FeedItem) -> None:
        if self.ended is not None:
            return
        if len(self._items) >= self.capacity:
            self._end("overflow")
            self.feed._remove(self)
            return
        self._items.append(item)
        self._ready.set()

    def _end(self, reason: str) -> None:
        self.ended = reason
        self._items.clear()
        self._ready.set()


@define
class _Gap:
    """Ids `low`..`high` (inclusive) not seen yet, pending since `since` (monotonic)."""

    low: int
    high: int
    since: float


@frozen
class FeedCounts:
    """Queries the feed made: tail reads (`events`) and reads of changed runs (`runs`,
    one query for the runs of one tail read)."""

    events: int
    runs: int


class EventFeed:
    """The shared tail of the events table of one server process (see the module doc).

    Runs on the event loop of its first subscriber, as a task that ends when the last
    subscriber leaves; `close()` ends every subscription and refuses new ones.
    """

    def __init__(self, storage: FeedStorage, *, poll_interval: float = 0.05,
                 capacity: int = SUBSCRIBER_CAPACITY, gap_seconds: float = GAP_SECONDS) -> None:
        self.storage = storage
        self.poll_interval = poll_interval
        self.capacity = capacity
        self.gap_seconds = gap_seconds
        self._by_run: dict[str, set[Subscription]] = {}
        self._statuses: set[Subscription] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._runner: asyncio.Task[None] | None = None
        self._positioned: asyncio.Event | None = None
        self._high = 0
        self._gaps: list[_Gap] = []
        self._event_reads = 0
        self._run_reads = 0
        self.closed = False
        storage.add_event_listener(self._stored_here)

    @property
    def counts(self) -> FeedCounts:
        return FeedCounts(events=self._event_reads, runs=self._run_reads)

    @property
    def subscriber_count(self) -> int:
        return len(self._statuses) + sum(map(len, self._by_run.values()))

    @property
    def active(self) -> bool:
        """Whether the feed's task runs (it reads only then)."""
        return self._runner is not None

    async def subscribe(self, run_id: str | None = None, *,
                        job: str | None = None) -> Subscription:
        """A subscription to `run_id`'s events and changes (every run's changes if None,
        only job `job`'s if given). Every event the feed releases from the moment it
        knows where the log ends reaches it, `may_receive` tells which ids those can be,
        and every lower id was stored before this returned. Raises FeedEnded when the
        feed is closed, or could not read where the log ends within POSITION_SECONDS; a
        subscriber canceled meanwhile leaves nothing behind."""
        if self.closed:
            raise FeedEnded("closed")
        subscription = Subscription(self, run_id, job, self.capacity)
        if run_id is None:
            self._statuses.add(subscription)
        else:
            self._by_run.setdefault(run_id, set()).add(subscription)
        if self._positioned is not None and self._positioned.is_set():
            self._position(subscription)  # now: a read completing meanwhile reaches it
        if self._runner is None:
            self._loop = asyncio.get_running_loop()
            self._wake = asyncio.Event()
            self._positioned = asyncio.Event()
            self._runner = self._loop.create_task(self._run(), name="daggo-event-feed")
        assert self._positioned is not None
        try:
            await asyncio.wait_for(self._positioned.wait(), POSITION_SECONDS)
        except TimeoutError:  # storage never answered
            self._remove(subscription)
            raise FeedEnded("unavailable") from None
        except BaseException:  # the client left (canceled)
            self._remove(subscription)
            raise
        if subscription.ended is not None:
            self._remove(subscription)
            raise FeedEnded(subscription.ended)
        return subscription

    def close(self) -> None:
        """End every subscription ("closed") and refuse new ones; safe from any thread."""
        self.closed = True
        loop = self._loop
        if loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._end_all()
        else:
            with contextlib.suppress(RuntimeError):  # that loop is closed: nothing listens
                loop.call_soon_threadsafe(self._end_all)

    # -- the feed's task ------------------------------------------------------------

    def _stored_here(self, events: Sequence[Event]) -> None:
        """Storage listener (any thread): this process stored events, read them now."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(wake.set)

    async def _run(self) -> None:
        assert self._wake is not None and self._positioned is not None
        wake, positioned = self._wake, self._positioned
        backoff = self.poll_interval
        try:
            while self._listened():
                try:
                    if not positioned.is_set():
                        self._event_reads += 1
                        self._high = await asyncio.to_thread(self.storage.last_event_id)
                        self._gaps = []
                        for subscription in self._subscriptions():
                            self._position(subscription)
                        positioned.set()
                        continue
                    wake.clear()
                    full = await self._read_once()
                    backoff = self.poll_interval
                except Exception:
                    logger.exception("reading new run events for the streams failed; "
                                     "retrying in %.1f s", backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 2.0)
                    continue
                if not full:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), self.poll_interval)
        finally:
            positioned.set()  # a subscriber still waiting sees the end
            self._runner = self._loop = self._wake = self._positioned = None

    def _listened(self) -> bool:
        return not self.closed and bool(self._statuses or self._by_run)

    async def _read_once(self) -> bool:
        """One tail query, fanned out; True when it read a full batch (more may wait)."""
        gaps = [(gap.low, gap.high) for gap in self._gaps]
        self._event_reads += 1
        events = await asyncio.to_thread(self.storage.list_events_since, self._high,
                                         gaps=gaps, limit=BATCH)
        released = self._release(events, time.monotonic())
        for event in released:
            for subscription in tuple(self._by_run.get(event.run_id, ())):
                subscription._put(event)
        changed = [run_id for run_id in dict.fromkeys(
            e.run_id for e in released if e.kind.startswith("RUN_"))
            if self._statuses or run_id in self._by_run]
        if changed:
            await self._fan_out_runs(changed)
        return len(events) >= BATCH

    def _release(self, events: list[Event], now: float) -> list[Event]:
        """Account `events` (id order; each above the highest id seen or in a hole)
        against the ids seen, and return them: each event is read once."""
        for event in events:
            event_id = event.id or 0
            if event_id > self._high:
                if event_id > self._high + 1:
                    self._gaps.append(_Gap(self._high + 1, event_id - 1, now))
                self._high = event_id
            else:
                self._fill(event_id)
        self._gaps = [gap for gap in self._gaps if now - gap.since < self.gap_seconds]
        del self._gaps[:-MAX_GAPS]
        return events

    def _fill(self, event_id: int) -> None:
        for index, gap in enumerate(self._gaps):
            if gap.low <= event_id <= gap.high:
                parts = [_Gap(low, high, gap.since)
                         for low, high in ((gap.low, event_id - 1), (event_id + 1, gap.high))
                         if low <= high]
                self._gaps[index:index + 1] = parts
                return

    async def _fan_out_runs(self, run_ids: list[str]) -> None:
        """Read the changed runs once (one query), for all their subscribers and the
        status ones; a run deleted meanwhile has no change to tell."""
        def read() -> list[Run]:
            self._run_reads += 1
            return self.storage.get_runs(run_ids)

        for run in await asyncio.to_thread(read):
            for subscription in tuple(self._by_run.get(run.id, ())):
                subscription._put(run)
            for subscription in tuple(self._statuses):
                if subscription.job is None or subscription.job == run.job_name:
                    subscription._put(run)

    def _position(self, subscription: Subscription) -> None:
        """Record where the feed is as `subscription`'s start (see Subscription)."""
        subscription.start_high = self._high
        subscription.start_gaps = tuple((gap.low, gap.high) for gap in self._gaps)

    def _subscriptions(self) -> list[Subscription]:
        return [*self._statuses, *(s for subs in self._by_run.values() for s in subs)]

    def _remove(self, subscription: Subscription) -> None:
        if subscription.run_id is None:
            self._statuses.discard(subscription)
        else:
            subscribers = self._by_run.get(subscription.run_id)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._by_run[subscription.run_id]
        if not self._listened() and self._wake is not None:
            self._wake.set()  # the last one left: the task stops now, not at its next poll

    def _end_all(self) -> None:
        for subscription in self._subscriptions():
            subscription._end("closed")
        self._statuses.clear()
        self._by_run.clear()
        if self._wake is not None:
            self._wake.set()
