"""A run's write path: step transitions and events buffered and stored in batches.

The worker hands every write to the recorder and goes on; a writer thread lets writes
gather for a few milliseconds and stores them in one transaction, so a run costs a few
transactions per batch of steps instead of two per step. Run status changes flush
first, so storage never shows a run finished before its steps.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from daggo_core.errors import StorageError
from daggo_core.storage.base import StepWrites, Storage
from daggo_core.storage.records import Event, StepRecord

T = TypeVar("T")

__all__ = ["StepRecorder"]

logger = logging.getLogger("daggo.recorder")


class StepRecorder:
    """Buffers one run's step states and events and stores them from a writer thread.

    A failed write is retried with backoff for up to `retry_seconds`; after that,
    `flush()` raises the StorageError.
    """

    def __init__(self, storage: Storage, *, retry_seconds: float = 30.0,
                 gather_seconds: float = 0.01) -> None:
        self.storage = storage
        self.gather_seconds = gather_seconds
        self.retry_seconds = retry_seconds
        self._cond = threading.Condition()
        self._steps: dict[str, StepRecord] = {}
        self._events: list[Event] = []
        self._stored_keys: set[str] = set()
        self._pending = 0
        self._done = 0
        self._error: StorageError | None = None
        self._closed = False
        self._idle = False
        self._writing = False  # a batch is being stored (by the writer or `store_with`)
        self._urgent = threading.Event()
        self._thread = threading.Thread(target=self._write_loop, daemon=True,
                                        name="daggo-recorder")
        self._thread.start()

    def record_step(self, step: StepRecord, events: Sequence[Event] = ()) -> None:
        """Queue the step's new state and its events."""
        with self._cond:
            self._steps[step.step_key] = step
            self._events.extend(events)
            self._pending += 1
            if self._idle:
                self._cond.notify_all()

    def add_events(self, events: Sequence[Event]) -> None:
        """Queue events (log lines)."""
        with self._cond:
            self._events.extend(events)
            self._pending += 1
            if self._idle:
                self._cond.notify_all()

    def flush(self) -> None:
        """Block until everything queued so far is stored; raises the write error if any."""
        with self._cond:
            target = self._pending
            self._urgent.set()
            self._cond.notify_all()
            while self._done < target and self._error is None:
                self._cond.wait()
            if self._error is not None:
                raise self._error

    def store_with(self, write: Callable[[StepWrites], T]) -> T:
        """Store everything queued through `write(pending)` on the calling thread and
        return its result: the caller puts the last steps and events in a transaction of
        its own (the run's final status), saving a transaction and two thread switches.

        A batch the writer thread is storing is waited for first. If `write` raises,
        the pending writes stay queued (`close()` stores them).
        """
        with self._cond:
            while self._writing and self._error is None:
                self._cond.wait()
            if self._error is not None:
                raise self._error
            self._writing = True
            steps, self._steps = self._steps, {}
            events, self._events = self._events, []
            upto = self._pending
        stored = False
        try:
            pending = self._split(list(steps.values()), events)
            result = write(pending)
            self._stored_keys.update(s.step_key for s in pending.new)
            stored = True
        finally:
            with self._cond:
                self._writing = False
                if stored:
                    self._done = max(self._done, upto)
                else:  # queued again, before anything recorded meanwhile
                    self._steps = {**steps, **self._steps}
                    self._events = events + self._events
                self._cond.notify_all()
        return result

    def close(self) -> None:
        """Flush, then stop the writer thread."""
        try:
            self.flush()
        finally:
            with self._cond:
                self._closed = True
                self._urgent.set()
                self._cond.notify_all()
            self._thread.join()

    def _write_loop(self) -> None:
        while True:
            with self._cond:
                self._idle = True
                while (self._done == self._pending or self._writing) and not self._closed:
                    self._cond.wait()
                self._idle = False
                if self._done == self._pending and self._closed:
                    return
            # Let a batch gather for a few ms, unless someone waits for it.
            self._urgent.wait(self.gather_seconds)
            with self._cond:
                while self._writing:
                    self._cond.wait()
                self._urgent.clear()
                steps, self._steps = list(self._steps.values()), {}
                events, self._events = self._events, []
                upto = self._pending
                self._writing = bool(steps or events)
            try:
                if steps or events:
                    self._store(steps, events)
            except Exception as exc:
                error = exc if isinstance(exc, StorageError) else StorageError(
                    f"storing step states failed: {type(exc).__name__}: {exc}")
                with self._cond:
                    self._error = error
                    self._writing = False
                    self._cond.notify_all()
                return
            with self._cond:
                self._writing = False
                self._done = max(self._done, upto)
                self._cond.notify_all()

    def _split(self, steps: list[StepRecord], events: list[Event]) -> StepWrites:
        """New steps (to insert) apart from ones stored before (to update)."""
        return StepWrites(new=[s for s in steps if s.step_key not in self._stored_keys],
                          changed=[s for s in steps if s.step_key in self._stored_keys],
                          events=events)

    def _store(self, steps: list[StepRecord], events: list[Event]) -> None:
        pending = self._split(steps, events)
        new, changed = pending.new, pending.changed
        deadline = time.monotonic() + self.retry_seconds
        delay = 0.05
        while True:
            try:
                self.storage.record_steps(new, changed, events)
            except StorageError as exc:
                if time.monotonic() + delay > deadline:
                    raise
                logger.warning("storing %d step states and %d events failed (%s); retrying",
                               len(steps), len(events), exc)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            self._stored_keys.update(s.step_key for s in new)
            return
