"""Run events to `daggo_run_event` listeners, off the engine's threads.

Storage hands every batch of events a transaction stored to `publish`, which only puts
it on a queue. A thread of the dispatcher's own, running an event loop, delivers them:
each listener has a queue and a task of its own, so every listener gets every event of
every run stored by this process, in the order stored, once; a sync listener runs on a
daemon thread of its own and an async one on the dispatcher's loop, so a slow or failing
listener delays neither the run nor the other listeners (an async listener that blocks
instead of awaiting holds up the async ones). `close()` delivers what is
queued before it returns (within a bound, so a listener that never returns cannot hold
a process forever).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import inspect
import logging
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from daggo_core.execution.step_threads import StepThreads
from daggo_core.plugins import Hooks, RunEventListener
from daggo_core.storage.base import RunStorage, Storage
from daggo_core.storage.patience import patiently
from daggo_core.storage.records import Event, Run

if TYPE_CHECKING:
    from daggo_core.config import Config

__all__ = ["DRAIN_SECONDS", "EventDispatcher", "attach_dispatcher", "open_listened_storage"]

logger = logging.getLogger("daggo.plugins")

#: How long `close()` waits for the listeners to take what is queued.
DRAIN_SECONDS = 30.0


class _Listener:
    """One listener's queue and the task delivering it, on the dispatcher's loop."""

    def __init__(self, listener: RunEventListener, loop: asyncio.AbstractEventLoop) -> None:
        self.listener = listener
        self.queue: asyncio.Queue[tuple[Run, Event]] = asyncio.Queue()
        self.thread = (None if inspect.iscoroutinefunction(listener.call)
                       else StepThreads(loop, 1, f"daggo-events-{listener.name}"))

    async def deliver(self) -> None:
        call = self.listener.call
        while True:
            run, event = await self.queue.get()
            try:
                if self.thread is None:
                    await call(run, event)
                else:
                    result = await self.thread.run(functools.partial(call, run, event))
                    if inspect.isawaitable(result):
                        await result
            except Exception:
                logger.exception("plugin %r failed in daggo_run_event on %s of run %s",
                                 self.listener.name, event.kind, run.id)
            finally:
                self.queue.task_done()


class EventDispatcher:
    """Delivers the run events stored by this process to `listeners`.

    `runs` gives each batch its run, read when the batch is delivered (so a listener sees
    the run at least as recent as the event).
    """

    def __init__(self, runs: RunStorage, listeners: Sequence[RunEventListener]) -> None:
        self.runs = runs
        self.listeners = tuple(listeners)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._queues: list[_Listener] = []
        self._intake: asyncio.Queue[list[Event]] | None = None
        self._closed = False

    def publish(self, events: Sequence[Event]) -> None:
        """Queue stored events for delivery; returns at once (safe from any thread)."""
        if not self.listeners:
            return
        loop = self._loop or self._start()
        with self._lock:
            # Under the lock, so a batch is either queued before close() drains or
            # reported here: none is lost unsaid.
            if loop is not None and not self._closed:
                assert self._intake is not None
                loop.call_soon_threadsafe(self._intake.put_nowait, list(events))
                return
        logger.warning("%d run event(s) stored after the event dispatcher closed are not "
                       "delivered to plugins", len(events))

    def close(self, timeout: float = DRAIN_SECONDS) -> None:
        """Deliver everything queued (waiting up to `timeout` seconds), then stop; closing
        again does nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        drained = asyncio.run_coroutine_threadsafe(self._drain(), loop)
        try:
            drained.result(timeout)
        except concurrent.futures.TimeoutError:
            left = sum(q.queue.qsize() for q in self._queues)
            logger.warning("run event listeners were still busy after %.1f s; %d queued "
                           "event(s) are dropped", timeout, left)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        for queue in self._queues:
            if queue.thread is not None:
                queue.thread.close()

    # -- the dispatcher's thread -------------------------------------------------

    def _start(self) -> asyncio.AbstractEventLoop | None:
        with self._lock:
            if self._loop is None and not self._closed:
                loop = asyncio.new_event_loop()
                started = threading.Event()
                self._thread = threading.Thread(target=self._serve, args=(loop, started),
                                                name="daggo-events", daemon=True)
                self._thread.start()
                started.wait()
                self._loop = loop
            return self._loop

    def _serve(self, loop: asyncio.AbstractEventLoop, started: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        self._intake = asyncio.Queue()
        self._queues = [_Listener(listener, loop) for listener in self.listeners]
        tasks = [loop.create_task(queue.deliver()) for queue in self._queues]
        tasks.append(loop.create_task(self._take_in(self._intake)))
        started.set()
        try:
            loop.run_forever()
        finally:
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()

    async def _take_in(self, intake: asyncio.Queue[list[Event]]) -> None:
        """Batch after batch, in order: read each event's run, queue it for every listener."""
        while True:
            events = await intake.get()
            try:
                runs = await asyncio.to_thread(self._runs_of, events)
                for event in events:
                    run = runs.get(event.run_id)
                    if run is not None:
                        for queue in self._queues:
                            queue.queue.put_nowait((run, event))
            finally:
                intake.task_done()

    def _runs_of(self, events: list[Event]) -> dict[str, Run]:
        runs: dict[str, Run] = {}
        for run_id in dict.fromkeys(event.run_id for event in events):
            try:
                runs[run_id] = self.runs.get_run(run_id)
            except Exception:
                logger.exception("reading run %s for its event listeners failed; its events "
                                 "are not delivered", run_id)
        return runs

    async def _drain(self) -> None:
        assert self._intake is not None
        await self._intake.join()
        await asyncio.gather(*(queue.queue.join() for queue in self._queues))


def attach_dispatcher(storage: Storage, hooks: Hooks) -> EventDispatcher | None:
    """A dispatcher delivering the events stored through `storage` to the plugins'
    `daggo_run_event` listeners, or None when no plugin listens."""
    listeners = hooks.run_event_listeners()
    if not listeners:
        return None
    dispatcher = EventDispatcher(storage, listeners)
    storage.add_event_listener(dispatcher.publish)
    return dispatcher


@contextlib.contextmanager
def open_listened_storage(config: Config, hooks: Hooks) -> Iterator[Storage]:
    """The configured storage, opened through its backend plugin, whose stored events
    reach the plugins' listeners; on exit the events still queued are delivered, then
    the storage is closed. While the database is unreachable, opening is tried again for
    `database.retry_seconds`."""
    backend = hooks.storage_backend(config.database.driver)
    storage = patiently(lambda: backend.open(config.database), config.database.retry_seconds)
    try:
        dispatcher = attach_dispatcher(storage, hooks)
    except BaseException:
        storage.close()
        raise
    try:
        yield storage
    finally:
        if dispatcher is not None:
            dispatcher.close()
        storage.close()
