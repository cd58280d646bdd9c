"""Queue loaders at run time: poll loaders called on their interval with their stored
cursor, push loaders kept running; both retried with backoff when they raise.

A poll's batch and its cursor are stored in one transaction that names the cursor
version the poll read, so a batch is stored once even with several servers polling: a
server whose cursor moved meanwhile drops its batch and reads the cursor again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
import threading
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from daggo_core.definitions.queues import Batch, LoaderMode, PushResult, QueueLoader
from daggo_core.errors import CursorMovedError
from daggo_core.queues.ingestion import Ingestor
from daggo_core.storage.base import CursorAdvance
from daggo_core.storage.records import ItemSource, QueueError, utcnow

__all__ = ["LoaderRunner", "StoredPusher", "loader_backoff"]

logger = logging.getLogger("daggo.queues")

#: The longest pause between the retries of a failing loader.
MAX_BACKOFF_SECONDS = 60.0
#: How often a push loader that keeps pushing records that it is healthy.
_HEALTH_EVERY = dt.timedelta(seconds=5)


def loader_backoff(poll_every: float, failures: int) -> float:
    """Seconds to wait after `failures` failed polls in a row (1 or more): the interval
    (at least one second), doubled with each failure, at most MAX_BACKOFF_SECONDS."""
    delay: float = max(poll_every, 1.0) * 2.0 ** min(failures - 1, 16)
    return min(delay, MAX_BACKOFF_SECONDS)


class LoaderRunner:
    """Runs the loader of one queue (see the module doc) until canceled."""

    def __init__(self, ingestor: Ingestor, loader: QueueLoader, *,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.ingestor = ingestor
        self.loader = loader
        self.clock = clock
        self.name = ingestor.queue.name

    async def run_forever(self) -> None:
        """Poll (or keep the push loader running) until canceled."""
        failures = 0
        while True:
            try:
                if self.loader.mode is LoaderMode.POLL:
                    ok, more = await self.poll_once()
                else:
                    ok, more = await self._run_pusher(), False
            except Exception as exc:  # storage unreachable past its retries, say
                await self._failed(exc)
                ok, more = False, False
            failures = 0 if ok else failures + 1
            if more:
                continue  # a full source: the next batch at once
            await asyncio.sleep(self.loader.poll_every if ok
                                else loader_backoff(self.loader.poll_every, failures))

    async def poll_once(self) -> tuple[bool, bool]:
        """One poll: call the loader with the stored cursor and store what it returned.
        Returns whether it went well, and whether the source said it holds more."""
        storage = self.ingestor.storage
        state = await asyncio.to_thread(storage.get_loader_state, self.name)
        try:
            returned = await self._call(state.cursor)
            items, cursor, lag = _batch_of(returned)
        except Exception as exc:
            await self._failed(exc)
            return False, False
        # Without a cursor there is nothing to fence: the source hands each batch out once
        # (a queue it consumes), or its items' keys deduplicate them.
        advance = None if cursor is None else CursorAdvance(version=state.version,
                                                            cursor=cursor, lag=lag)
        loaded = 0
        try:
            if (advance is not None and (cursor != state.cursor or lag != state.lag)) or items:
                pushed = await asyncio.to_thread(self.ingestor.push, items,
                                                 source=ItemSource.LOADER, cursor=advance)
                loaded = len(pushed.accepted)
        except CursorMovedError:
            logger.info("queue %r: another server stored this poll's batch; polling again",
                        self.name)
            return True, True
        except Exception as exc:
            await self._failed(exc)
            return False, False
        if advance is None:
            await asyncio.to_thread(storage.record_loader_poll, self.name, at=self.clock(),
                                    loaded=loaded, lag=lag)
        else:
            await asyncio.to_thread(storage.record_loader_poll, self.name, at=self.clock())
        return True, bool(items) and bool(lag)

    async def _call(self, argument: Any) -> Any:
        fn = self.loader.fn
        if self.loader.is_async:
            return await fn(argument)  # type: ignore[misc]
        if self.loader.mode is LoaderMode.PUSH:  # for the server's life: a thread its own
            result = await _on_own_thread(fn, argument, f"daggo-push-loader-{self.name}")
        else:
            result = await asyncio.to_thread(fn, argument)
        if inspect.isawaitable(result):  # a callable object with an async __call__
            return await result
        return result

    async def _run_pusher(self) -> bool:
        """Run the push loader until it returns (False: it raised)."""
        state = await asyncio.to_thread(self.ingestor.storage.get_loader_state, self.name)
        pusher = StoredPusher(self.ingestor, state.cursor, state.version, clock=self.clock)
        try:
            await self._call(pusher)
        except Exception as exc:
            await self._failed(exc)
            return False
        finally:
            pusher.stop()
        logger.info("queue %r: the push loader returned; it is started again", self.name)
        return True

    async def _failed(self, exc: Exception) -> None:
        logger.warning("queue %r: the loader failed: %s: %s", self.name,
                       type(exc).__name__, exc)
        message = f"the loader raised {type(exc).__name__}: {exc}"
        storage = self.ingestor.storage
        try:
            await asyncio.to_thread(storage.record_loader_poll, self.name, at=self.clock(),
                                    error=message)
            await asyncio.to_thread(storage.add_queue_errors, [QueueError(
                queue_name=self.name, source=ItemSource.LOADER, message=message,
                detail="".join(traceback.format_exception(exc)))])
        except Exception:
            logger.exception("queue %r: recording the loader's failure failed", self.name)


class StoredPusher:
    """The `Pusher` a push loader gets: `push` stores items (and the cursor) at once, from
    any thread; it blocks while it writes (an async loader may call it through
    `asyncio.to_thread`)."""

    def __init__(self, ingestor: Ingestor, cursor: str | None, version: int, *,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._ingestor = ingestor
        self._cursor = cursor
        self._version = version
        self._clock = clock
        self._healthy_at: dt.datetime | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    @property
    def cursor(self) -> str | None:
        """The cursor stored with the last push (the stored one before the first)."""
        return self._cursor

    @property
    def stopping(self) -> bool:
        """True once the server stops (a sync loader returns then)."""
        return self._stopping.is_set()

    def stop(self) -> None:
        """Tell the loader the server stops."""
        self._stopping.set()

    def push(self, items: Sequence[Any], *, cursor: str | None = None) -> PushResult:
        """Store `items` and, unless None, `cursor`; raises CursorMovedError, storing
        nothing, when another server moved the cursor meanwhile (`cursor` is then the
        stored one, to go on from)."""
        with self._lock:
            advance = None if cursor is None else CursorAdvance(version=self._version,
                                                                 cursor=cursor)
            try:
                result = self._ingestor.push(list(items), source=ItemSource.LOADER,
                                             cursor=advance)
            except CursorMovedError:  # where it is now, for a loader that goes on
                state = self._ingestor.storage.get_loader_state(self._ingestor.queue.name)
                self._cursor, self._version = state.cursor, state.version
                raise
            if advance is not None:
                self._cursor, self._version = cursor, self._version + 1
            now = self._clock()
            if self._healthy_at is None or now - self._healthy_at >= _HEALTH_EVERY:
                self._ingestor.storage.record_loader_poll(self._ingestor.queue.name, at=now)
                self._healthy_at = now
            return result


async def _on_own_thread(fn: Callable[[Any], Any], argument: Any, name: str) -> Any:
    """`fn(argument)` on a daemon thread of its own (not the loop's shared executor, which
    a loader running for the server's life would hold)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[Any] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if not done.done():
            if error is not None:
                done.set_exception(error)
            else:
                done.set_result(result)

    def target() -> None:
        try:
            result = fn(argument)
        except BaseException as exc:
            loop.call_soon_threadsafe(settle, None, exc)
        else:
            loop.call_soon_threadsafe(settle, result, None)

    threading.Thread(target=target, name=name, daemon=True).start()
    return await done


def _batch_of(returned: Any) -> tuple[list[Any], str | None, int | None]:
    """A poll loader's result as (items, cursor or None, lag or None)."""
    if isinstance(returned, Batch):
        return list(returned.items), returned.cursor, returned.lag
    if returned is None:
        return [], None, None
    if isinstance(returned, Sequence | tuple) and not isinstance(returned, str | bytes | Mapping):
        return list(returned), None, None
    raise TypeError(f"a poll loader returns a Batch or a list of items, not "
                    f"{type(returned).__name__}")
