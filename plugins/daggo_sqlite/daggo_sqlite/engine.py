"""SQLAlchemy engines for SQLite: WAL, busy timeout, foreign keys and explicit BEGINs."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import URL
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

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

    There is one connection, lent to one thread at a time: others wait for it (up to
    30 s), so threads take turns instead of interleaving their transactions.
    """
    engine = create_engine(
        "sqlite://",
        poolclass=_SharedConnectionPool,
        connect_args={"check_same_thread": False},
    )
    _configure(engine, ("PRAGMA foreign_keys=ON",))
    return engine


class _SharedConnectionPool(StaticPool):
    """A StaticPool whose single connection is checked out by one user at a time."""

    checkout_timeout: float = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A plain Lock: the pool may return the connection from another thread (gc).
        self._turn = threading.Lock()

    def _do_get(self) -> ConnectionPoolEntry:
        if not self._turn.acquire(timeout=self.checkout_timeout):
            raise exc.TimeoutError(
                f"the in-memory database stayed checked out for {self.checkout_timeout}s"
            )
        try:
            return super()._do_get()
        except BaseException:
            self._turn.release()
            raise

    def _do_return_conn(self, record: ConnectionPoolEntry) -> None:
        super()._do_return_conn(record)
        self._turn.release()


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
