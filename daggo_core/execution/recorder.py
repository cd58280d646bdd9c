"""A run's write path: step transitions and events buffered and stored in batches.

The worker hands every write to the recorder and goes on; a writer thread lets writes
gather for a few milliseconds and stores them in one transaction, so a run costs a few
transactions per batch of steps instead of two per step. Run status changes flush
first, so storage never shows a run finished before its steps.

Every batch is fenced with the run's attempt: once the run was claimed again or ended
elsewhere, storage refuses it, and the recorder drops what it holds and says so. While the
database is unreachable, writes wait (storage retries each for `database.retry_seconds`)
and later ones stay buffered, in order; a batch that still fails after that window is kept
and retried until it is stored, and the recorder says the database was lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from daggo_core.errors import AttemptSupersededError, StorageError
from daggo_core.storage.asset_records import AssetWrites
from daggo_core.storage.base import Fence, StepWrites, Storage
from daggo_core.storage.records import Event, StepRecord

T = TypeVar("T")

__all__ = ["StepRecorder"]

logger = logging.getLogger("daggo.recorder")

#: The pause between two tries of a batch once the database is lost (each try already
#: waits for storage's own retry window).
_LOST_RETRY_SECONDS = 1.0


class StepRecorder:
    """Buffers one run's step states and events and stores them from a writer thread.

    Writes carry `fence`. A write that fails because the database stayed unreachable
    (a transient StorageError) calls `on_storage_lost(error)` once and is retried until
    it is stored; a superseded attempt calls `on_superseded(error)`, drops what is
    buffered and makes `flush()` raise AttemptSupersededError; any other StorageError
    makes `flush()` raise it.
    """

    def __init__(self, storage: Storage, *, fence: Fence | None = None,
                 on_superseded: Callable[[AttemptSupersededError], None] | None = None,
                 on_storage_lost: Callable[[StorageError], None] | None = None,
                 gather_seconds: float = 0.01) -> None:
        self.storage = storage
        self.fence = fence
        self.on_superseded = on_superseded
        self.on_storage_lost = on_storage_lost
        self.gather_seconds = gather_seconds
        self._cond = threading.Condition()
        self._steps: dict[str, StepRecord] = {}
        self._events: list[Event] = []
        self._assets = AssetWrites()
        self._stored_keys: set[str] = set()
        self._pending = 0
        self._done = 0
        self._error: StorageError | AttemptSupersededError | None = None
        self._closed = False
        self._idle = False
        self._writing = False  # a batch is being stored (by the writer or `store_with`)
        self._urgent = threading.Event()
        self._thread = threading.Thread(target=self._write_loop, daemon=True,
                                        name="daggo-recorder")
        self._thread.start()

    def record_step(self, step: StepRecord, events: Sequence[Event] = (),
                    assets: AssetWrites | None = None) -> None:
        """Queue the step's new state, its events and what it did to assets."""
        with self._cond:
            self._steps[step.step_key] = step
            self._events.extend(events)
            if assets:
                self._assets = self._assets + assets
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
            assets, self._assets = self._assets, AssetWrites()
            upto = self._pending
        stored = False
        try:
            pending = self._split(list(steps.values()), events, assets)
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
                    self._assets = assets + self._assets
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
                assets, self._assets = self._assets, AssetWrites()
                upto = self._pending
                self._writing = bool(steps or events or assets)
            try:
                if steps or events or assets:
                    self._store(steps, events, assets)
            except Exception as exc:
                error = exc if isinstance(exc, (StorageError, AttemptSupersededError)) \
                    else StorageError(f"storing step states failed: {type(exc).__name__}: {exc}")
                with self._cond:
                    self._error = error
                    self._writing = False
                    self._steps, self._events, self._assets = {}, [], AssetWrites()
                    self._cond.notify_all()
                if isinstance(error, AttemptSupersededError) and self.on_superseded:
                    self.on_superseded(error)
                return
            with self._cond:
                self._writing = False
                self._done = max(self._done, upto)
                self._cond.notify_all()

    def _split(self, steps: list[StepRecord], events: list[Event],
               assets: AssetWrites) -> StepWrites:
        """New steps (to insert) apart from ones stored before (to update)."""
        return StepWrites(new=[s for s in steps if s.step_key not in self._stored_keys],
                          changed=[s for s in steps if s.step_key in self._stored_keys],
                          events=events, assets=assets)

    def _store(self, steps: list[StepRecord], events: list[Event], assets: AssetWrites) -> None:
        pending = self._split(steps, events, assets)
        new, changed = pending.new, pending.changed
        lost = False
        while True:
            try:
                self.storage.record_steps(new, changed, events, fence=self.fence,
                                          assets=assets or None)
            except StorageError as exc:
                if not exc.transient:
                    raise
                if not lost:
                    lost = True
                    logger.error("storing %d step states and %d events: %s; keeping them "
                                 "until the database is back", len(steps), len(events), exc)
                    if self.on_storage_lost is not None:
                        self.on_storage_lost(exc)
                time.sleep(_LOST_RETRY_SECONDS)
                continue
            self._stored_keys.update(s.step_key for s in new)
            return
