"""What SQLite adds to the shared SQL storage: wake-ups between processes on one file."""

from __future__ import annotations

import threading
from collections.abc import Callable

from daggo_core.storage.base import WorkNotifier
from daggo_core.storage.sql_dialect import SqlDialect
from daggo_sqlite.wakeup import WakeupChannel, WakeupListener

__all__ = ["SqliteDialect"]


class SqliteDialect(SqlDialect):
    """SQLite's write transactions exclude each other, so no locks are needed; busy and
    locked errors are retried (the defaults). With `wakeup`, coordinators of every process
    on the file hear of queued and finished runs; `on_close` releases the database
    (an in-memory one's keeper connection)."""

    def __init__(self, wakeup: WakeupChannel | None = None,
                 on_close: Callable[[], None] | None = None) -> None:
        self.wakeup = wakeup
        self._on_close = on_close
        self._listener: WakeupListener | None = None
        self._lock = threading.Lock()

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
