"""What SQLite adds to the shared SQL storage: upserts and wake-ups between processes on
one file."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.sqlite import insert

from daggo_core.storage.base import WorkNotifier
from daggo_core.storage.bulk import BulkStatement
from daggo_core.storage.sql_dialect import SqlDialect, last_of_each_key
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

    def upsert(self, conn: Connection, table: Table, names: Sequence[str],
               rows: Sequence[Sequence[Any]], *, key: Sequence[str],
               update: Sequence[str]) -> None:
        """`INSERT ... ON CONFLICT (key) DO UPDATE SET column = excluded.column` (SQLite
        3.24), over the last row of each key: no read of the stored keys first."""
        _on_conflict(table, tuple(names), tuple(key), tuple(update)).execute(
            conn, list(last_of_each_key(names, rows, key).values()))

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


@functools.cache
def _on_conflict(table: Table, names: tuple[str, ...], key: tuple[str, ...],
                 update: tuple[str, ...]) -> BulkStatement:
    """The upsert of rows of `names` into `table`, built (and compiled) once per shape."""
    stmt = insert(table)
    return BulkStatement(stmt.on_conflict_do_update(
        index_elements=key, set_={column: stmt.excluded[column] for column in update}), names)
