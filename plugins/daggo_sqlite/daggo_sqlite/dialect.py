"""What SQLite adds to the shared SQL storage: wake-ups between processes on one file."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

from daggo_core.storage.base import WorkNotifier
from daggo_core.storage.sql_dialect import SqlDialect
from daggo_sqlite.wakeup import WakeupChannel, WakeupListener

__all__ = ["SqliteDialect"]


class SqliteDialect(SqlDialect):
    """SQLite's write transactions exclude each other, so no locks are needed; busy and
    locked errors are retried (the defaults). This process's writers take turns
    (`write_turn`), each waiting at most `busy_timeout_ms`. With `wakeup`, coordinators of
    every process on the file hear of queued and finished runs; `on_close` releases the
    database (an in-memory one's keeper connection)."""

    def __init__(self, *, busy_timeout_ms: int, wakeup: WakeupChannel | None = None,
                 on_close: Callable[[], None] | None = None) -> None:
        self.wakeup = wakeup
        self._on_close = on_close
        self._listener: WakeupListener | None = None
        self._lock = threading.Lock()
        # Reentrant: a write begun inside another of the same thread meets SQLite's own
        # lock (and its busy timeout) as before, rather than waiting on itself here.
        self._writers = threading.RLock()
        self._turn_wait = busy_timeout_ms / 1000

    @contextlib.contextmanager
    def write_turn(self) -> Iterator[None]:
        """Wait for this process's other writers in a lock, which wakes the next writer
        as soon as one ends, instead of in SQLite's busy handler, which sleeps (1, 2, 5,
        10 ms and longer) between tries: that sleep, not the writes, bounded concurrent
        ingestion. After the busy timeout the write goes on without its turn, and SQLite
        decides (a busy error, retried as before)."""
        taken = self._writers.acquire(timeout=self._turn_wait)
        try:
            yield
        finally:
            if taken:
                self._writers.release()

    def work_notifier(self) -> WorkNotifier | None:
        """This process's wake-up listener, created on first use."""
        if self.wakeup is None:
            return None
        with self._lock:
            if self._listener is None:
                self._listener = self.wakeup.listen()
            return self._listener

    def announce_work(self) -> None:
        """Wake the coordinators listening on this database file."""
        if self.wakeup is not None:
            self.wakeup.announce()

    def close(self) -> None:
        """Stop listening and release the database."""
        with self._lock:
            if self._listener is not None:
                self._listener.close()
            if self.wakeup is not None:
                self.wakeup.close()
        if self._on_close is not None:
            self._on_close()
