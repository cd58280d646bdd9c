"""Explicit transactions for the SQL storage: retried when the dialect says they may be.

Every storage call runs `fn(conn)` in one transaction. A call whose failure the dialect
calls retryable (a busy or locked database, a server unreachable, restarting or whose
connection was lost before COMMIT) is run again with exponential backoff: a read a few
times, a write for as long as the retry window (`database.retry_seconds`) lasts, so
workers ride out an outage. A write whose COMMIT itself failed is first looked up by the
token the dialect gave for it, so it is never applied twice. Driver exceptions leave as
`StorageError`s naming the operation, without the statement and its parameters.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    SQLAlchemyError,
)

from daggo_core.errors import StorageError
from daggo_core.storage.base import EventListener
from daggo_core.storage.records import Event
from daggo_core.storage.sql_dialect import SqlDialect
from daggo_core.storage.sql_rows import STORED_EVENTS

__all__ = ["WRITE_OPTION", "Transactions"]

T = TypeVar("T")

logger = logging.getLogger("daggo.storage")

#: The longest pause between two tries of a call while the database is unreachable.
_MAX_BACKOFF_SECONDS = 2.0

#: Execution option set on connections that will write; a backend's "begin" listener may
#: use it to take its write lock up front (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION = "daggo_write"


#: The transactions and connection of the `reading_together` call running in this context.
_SHARED_READ: ContextVar[tuple[Transactions, Connection] | None] = ContextVar(
    "daggo_shared_read", default=None)


class _NotKnownYet(Exception):
    """Whether a transaction committed is not known yet."""


class Transactions:
    """Runs the storage's reads and writes on `engine`, as `dialect` advises: a call that
    fails retryably is tried again, a write for `retry_seconds` (when above 0), a read
    (or any call when it is 0) the dialect's `write_retries` times."""

    def __init__(self, engine: Engine, dialect: SqlDialect, *,
                 retry_seconds: float = 0.0) -> None:
        self.engine = engine
        self.dialect = dialect
        self.retry_seconds = retry_seconds
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})
        #: While set, every call runs on this connection instead (see `rehearsing`).
        self.rehearsal: Connection | None = None
        self.event_listeners: list[EventListener] = []

    @contextlib.contextmanager
    def rehearsing(self) -> Iterator[None]:
        """Run every call of the block in one write transaction, rolled back at the end:
        statements get compiled, nothing is stored, nothing is announced."""
        with self._write_engine.connect() as conn:
            transaction = conn.begin()
            self.rehearsal = conn
            try:
                yield
            finally:
                self.rehearsal = None
                transaction.rollback()

    def read(self, operation: str, fn: Callable[[Connection], T]) -> T:
        """`fn(conn)` in a read transaction (that of the `reading_together` call it is
        in, if any)."""
        shared = _SHARED_READ.get()
        if shared is not None and shared[0] is self and self.rehearsal is None:
            return fn(shared[1])  # the enclosing call retries and reports its failures
        return self._run(operation, self.engine, fn, writing=False)

    def reading_together(self, operation: str, fn: Callable[[], T]) -> T:
        """`fn()`, with every read it makes in this thread in one read transaction: one
        connection and one BEGIN for all of them. A retryable failure runs `fn` again,
        so `fn` must only read (its writes keep transactions of their own)."""
        shared = _SHARED_READ.get()
        if shared is not None and shared[0] is self:
            return fn()

        def together(conn: Connection) -> T:
            token = _SHARED_READ.set((self, conn))
            try:
                return fn()
            finally:
                _SHARED_READ.reset(token)

        return self._run(operation, self.engine, together, writing=False)

    def write(self, operation: str, fn: Callable[[Connection], T], *,
              announce: bool | Callable[[T], bool] = False) -> T:
        """`fn(conn)` in a write transaction; with `announce` (or when `announce(result)`
        is true), the dialect announces work (a run queued or ended) once it committed."""
        result = self._run(operation, self._write_engine, fn, writing=True)
        if callable(announce):
            announce = announce(result)
        if announce and self.rehearsal is None:
            self.dialect.announce_work()
        return result

    def write_unique(self, operation: str, fn: Callable[[Connection], T], *,
                     announce: bool = False) -> T:
        """A write that may insert what another process inserts at the same time: on a
        unique-constraint conflict it runs again, and then sees (and keeps) that row."""
        for _ in range(3):
            try:
                return self.write(operation, fn, announce=announce)
            except StorageError as exc:
                if not isinstance(exc.__cause__, IntegrityError):
                    raise
        return self.write(operation, fn, announce=announce)

    def _run(self, operation: str, engine: Engine, fn: Callable[[Connection], T], *,
             writing: bool) -> T:
        if self.rehearsal is not None:
            return fn(self.rehearsal)
        dialect = self.dialect
        attempt = 0
        started = time.monotonic()
        deadline = started + self.retry_seconds if writing else started
        # (token, result, events) of an attempt that ran to its COMMIT, which then raised.
        unsure: tuple[object, T, list[Event]] | None = None
        while True:
            try:
                if unsure is not None:
                    committed = dialect.transaction_committed(self.engine, unsure[0])
                    if committed:
                        self._stored(unsure[2])
                        return unsure[1]
                    if committed is None:
                        raise _NotKnownYet
                    unsure = None
                stored: list[Event] = []
                collecting = STORED_EVENTS.set(
                    stored if writing and self.event_listeners else None)
                try:
                    with engine.begin() as conn:
                        result = fn(conn)
                        token = dialect.transaction_token(conn) if writing else None
                        unsure = None if token is None else (token, result, stored)
                finally:
                    STORED_EVENTS.reset(collecting)
                self._stored(stored)
                return result
            except (OperationalError, _NotKnownYet) as exc:
                retryable = isinstance(exc, _NotKnownYet) or dialect.is_retryable(exc)
                now = time.monotonic()
                patient = writing and self.retry_seconds > 0
                # A COMMIT whose outcome is unknown is asked about until it is known,
                # window or not: giving up would let the caller write it again.
                if (isinstance(exc, _NotKnownYet) and patient) or (retryable and (
                        now < deadline if patient else attempt < dialect.write_retries)):
                    if attempt == dialect.write_retries:
                        logger.warning("%s: the database is unreachable or busy (%s); "
                                       "retrying for up to %.0f s", operation,
                                       _cause(exc), deadline - started)
                    time.sleep(min(dialect.retry_backoff_seconds * 2**min(attempt, 16),
                                   _MAX_BACKOFF_SECONDS))
                    attempt += 1
                    continue
                waited = now - started
                if isinstance(exc, _NotKnownYet):
                    raise StorageError(f"{operation}: the database did not say whether the "
                                       f"transaction committed (tried for {waited:.0f} s)",
                                       transient=True) from None
                if retryable:
                    raise StorageError(
                        f"{operation} failed: the database was unreachable or busy for "
                        f"{waited:.0f} s: {_cause(exc)}", transient=True) from exc
                raise _storage_error(operation, exc) from exc
            except SQLAlchemyError as exc:
                raise _storage_error(operation, exc) from exc

    def _stored(self, events: list[Event]) -> None:
        """Hand the events of a committed transaction to the listeners."""
        if events:
            for listener in self.event_listeners:
                listener(events)


def _storage_error(operation: str, exc: SQLAlchemyError) -> StorageError:
    return StorageError(f"{operation} failed: {_cause(exc)}",
                        refused=isinstance(exc, DataError | IntegrityError))


def _cause(exc: BaseException) -> str:
    """The driver's message, without SQLAlchemy's rendering of the statement and its
    parameters."""
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    return f"{type(cause).__name__}: {str(cause).strip()}"
