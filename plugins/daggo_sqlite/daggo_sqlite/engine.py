"""SQLAlchemy engines for SQLite: WAL, busy timeout, foreign keys and explicit BEGINs."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.pool import StaticPool

from daggo_core.storage.sql import WRITE_OPTION

__all__ = ["create_file_engine", "create_memory_engine"]


def create_file_engine(path: str | os.PathLike[str], *, busy_timeout_ms: int = 5000) -> Engine:
    """An engine on the SQLite file at `path` (parent directories are created).

    Connections use WAL journaling, `synchronous=NORMAL`, foreign keys and a busy
    timeout; write transactions start with BEGIN IMMEDIATE so the write lock is taken
    up front, where the busy timeout applies, instead of failing on lock upgrade.
    """
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


def create_memory_engine() -> Engine:
    """An engine on a private in-memory database, shared by every thread of the process.

    All users share one connection, so each checkout holds a lock until the connection
    is returned: threads take turns instead of interleaving their transactions.
    """
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    _configure(engine, ("PRAGMA foreign_keys=ON",))
    lock = threading.RLock()

    @event.listens_for(engine.pool, "checkout")
    def _acquire(*_: Any) -> None:
        lock.acquire()

    @event.listens_for(engine.pool, "checkin")
    def _release(*_: Any) -> None:
        lock.release()

    return engine


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
