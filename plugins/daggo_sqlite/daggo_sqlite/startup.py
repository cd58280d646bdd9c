"""Opening SQLite storage: a file (with wake-ups between its processes) or memory."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine

from daggo_core.storage.migrate import migrate
from daggo_core.storage.sql import SqlStorage
from daggo_sqlite import wakeup
from daggo_sqlite.dialect import SqliteDialect
from daggo_sqlite.engine import create_file_engine, create_memory_engine
from daggo_sqlite.file_check import check_database_file

__all__ = ["open_memory", "open_sqlite"]


def open_sqlite(path: str | os.PathLike[str], *, busy_timeout_ms: int,
                retry_seconds: float = 0.0) -> SqlStorage:
    """The migrated storage in the SQLite file at `path` (created with its folders); a file
    there that is not an SQLite database is refused before anything is written. Writes
    are retried for `retry_seconds` while the file is locked."""
    file = Path(path).expanduser().resolve()
    check_database_file(file)
    engine = create_file_engine(file, busy_timeout_ms=busy_timeout_ms)
    channel = wakeup.WakeupChannel(file) if wakeup.supported() else None
    return _migrated(engine, SqliteDialect(wakeup=channel), retry_seconds)


def open_memory() -> SqlStorage:
    """A fresh private in-memory database, gone when the storage is closed."""
    memory = create_memory_engine()
    return _migrated(memory.engine, SqliteDialect(on_close=memory.close))


def _migrated(engine: Engine, dialect: SqliteDialect, retry_seconds: float = 0.0) -> SqlStorage:
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        dialect.close()
        raise
    return SqlStorage(engine, dialect, retry_seconds=retry_seconds)
