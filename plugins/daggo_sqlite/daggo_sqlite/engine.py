"""SQLAlchemy engines for SQLite: WAL, busy timeout, foreign keys and explicit BEGINs."""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL

from daggo_core.errors import StorageError
from daggo_core.storage.sql_transactions import WRITE_OPTION

__all__ = ["MIN_SQLITE", "MemoryEngine", "create_file_engine", "create_memory_engine",
           "require_sqlite"]

#: UPDATE ... RETURNING needs 3.35, the in-memory database's `memdb` VFS 3.36.
MIN_SQLITE = (3, 36, 0)

#: Threads sharing the in-memory database wait this long for each other's transactions.
_MEMORY_BUSY_TIMEOUT_MS = 30_000


def create_file_engine(path: str | os.PathLike[str], *, busy_timeout_ms: int = 5000) -> Engine:
    """An engine on the SQLite file at `path` (parent directories are created).

    Connections use WAL journaling, `synchronous=NORMAL`, foreign keys and a busy
    timeout; write transactions start with BEGIN IMMEDIATE so the write lock is taken
    up front, where the busy timeout applies, instead of failing on lock upgrade.
    """
    require_sqlite()
    file = Path(path).expanduser().resolve()
    file.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(URL.create("sqlite", database=str(file)))
    pragmas = (
        "PRAGMA journal_mode=WAL",
        f"PRAGMA busy_timeout={int(busy_timeout_ms)}",
        "PRAGMA foreign_keys=ON",
        "PRAGMA synchronous=NORMAL",
    )
    _configure(engine, pragmas)
    return engine


def create_memory_engine() -> MemoryEngine:
    """An engine on a private in-memory database that every thread of the process shares.

    The database lives in SQLite's `memdb` VFS under a unique name: each pooled
    connection opens the same database, with SQLite's own locking and busy timeout
    between them, and `MemoryEngine.keeper` holds it open until `close()`.
    """
    require_sqlite()
    uri = f"file:/daggo-{uuid.uuid4().hex}?vfs=memdb"
    keeper = sqlite3.connect(uri, uri=True, check_same_thread=False)
    engine = create_engine(f"sqlite:///{uri}&uri=true",
                           connect_args={"check_same_thread": False})
    _configure(engine, (f"PRAGMA busy_timeout={_MEMORY_BUSY_TIMEOUT_MS}",
                        "PRAGMA foreign_keys=ON"))
    return MemoryEngine(engine=engine, keeper=keeper)


def require_sqlite(version: tuple[int, int, int] = sqlite3.sqlite_version_info) -> None:
    """Refuse an SQLite library older than MIN_SQLITE, saying what to do."""
    if version < MIN_SQLITE:
        have, need = ".".join(map(str, version)), ".".join(map(str, MIN_SQLITE))
        raise StorageError(
            f"daggo needs SQLite {need} or newer; this Python uses SQLite {have}. Use a "
            "Python built with a newer SQLite (python.org builds and current Linux "
            "distributions have one), or use PostgreSQL (database.driver = \"postgres\")")


@frozen
class MemoryEngine:
    """An in-memory database's engine and the connection that keeps the database alive."""

    engine: Engine
    keeper: sqlite3.Connection

    def close(self) -> None:
        """Let the database go: it is freed once the pool's connections close too."""
        self.keeper.close()


def _configure(engine: Engine, pragmas: tuple[str, ...]) -> None:
    # pysqlite's own transaction handling skips BEGIN before SELECT and DDL; turn it off
    # and emit BEGIN ourselves (the SQLAlchemy recipe for correct SQLite transactions).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
