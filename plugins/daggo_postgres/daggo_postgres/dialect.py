"""What PostgreSQL adds to the shared SQL storage: locks, lost commits, wake-ups, time
arithmetic, upserts and COPY for large batches of rows."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    Select,
    Table,
    cast,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import OperationalError

from daggo_core.storage.base import WorkNotifier
from daggo_core.storage.bulk import BulkStatement
from daggo_core.storage.sql_dialect import LockArea, SqlDialect, last_of_each_key
from daggo_postgres.connection import is_transient
from daggo_postgres.notify import WorkListener

__all__ = ["PostgresDialect", "advisory_key"]

_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_TXID = text("SELECT txid_current_if_assigned()")
_TXID_STATUS = text("SELECT txid_status(:txid)")


def advisory_key(purpose: str, schema: str) -> int:
    """A signed 64-bit advisory lock key for `purpose` in `schema` (one per project)."""
    digest = hashlib.blake2b(f"daggo.{purpose}.{schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresDialect(SqlDialect):
    """PostgreSQL for the shared SQL storage, in one schema.

    Claims lock candidate rows with `FOR UPDATE SKIP LOCKED` and first take a
    transaction-level advisory lock per schema and area, so the concurrency-limit and
    tick decisions of several processes are made one after another on committed state.
    Coordinators wait on LISTEN (a trigger on `runs` notifies when a run is queued or
    ends). A write whose COMMIT is lost with its connection is looked up by transaction
    id before it is retried, so it is never applied twice.
    """

    #: Lost connections are retried for about 25 s (0.1 s doubling), e.g. a server restart.
    write_retries = 8
    retry_backoff_seconds = 0.1

    def __init__(self, *, schema: str, listener: WorkListener) -> None:
        self.schema = schema
        self.listener = listener
        self._keys = {area: advisory_key(area.value, schema) for area in LockArea}

    def insert_many(self, conn: Connection, table: str, names: Sequence[str],
                    rows: Sequence[Sequence[Any]]) -> bool:
        """COPY the rows in: one statement for all, no plan per row."""
        quote = conn.dialect.identifier_preparer.quote
        columns = ", ".join(quote(name) for name in names)
        cursor = conn.connection.cursor()
        try:
            with cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()
        return True

    def upsert(self, conn: Connection, table: Table, names: Sequence[str],
               rows: Sequence[Sequence[Any]], *, key: Sequence[str],
               update: Sequence[str]) -> None:
        """`INSERT ... ON CONFLICT (key) DO UPDATE SET column = excluded.column`, over
        the last row of each key (psycopg pipelines the rows: one round trip). No read of
        the stored keys, whose generic plan might scan the table."""
        _on_conflict(table, tuple(names), tuple(key), tuple(update)).execute(
            conn, list(last_of_each_key(names, rows, key).values()))

    def lock(self, conn: Connection, area: LockArea) -> None:
        """Serialize the schema's decisions of `area` until the transaction ends."""
        conn.execute(_LOCK, {"key": self._keys[area]})

    def limit_lock_wait(self, conn: Connection, seconds: float) -> None:
        """`SET LOCAL lock_timeout`: past it, the transaction fails (55P03) and the
        caller tries again on its next pass."""
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(seconds * 1000)}ms'")

    def epoch_ms(self, moment: ColumnElement[Any]) -> ColumnElement[int]:
        """`floor(extract(epoch from moment) * 1000)`: a stored time is naive UTC, whose
        epoch PostgreSQL counts as UTC."""
        return cast(func.floor(func.extract("epoch", moment) * 1000), BigInteger)

    def claim_candidates(self, query: Select[tuple[str]]) -> Select[tuple[str]]:
        """The oldest QUEUED run ids, skipping rows another transaction holds."""
        return query.with_for_update(skip_locked=True)

    def is_retryable(self, exc: OperationalError) -> bool:
        """Lost or refused connections (server down or restarting, terminated backend,
        network), deadlocks and serialization failures: the transaction did not commit
        (or is looked up first, see `transaction_committed`), so it is run again.

        An OperationalError without a SQLSTATE comes from the client side: the
        connection could not be made or was cut (see `is_transient`).
        """
        sqlstate: str | None = getattr(exc.orig, "sqlstate", None)
        return exc.connection_invalidated or is_transient(sqlstate, str(exc.orig))

    def transaction_token(self, conn: Connection) -> object | None:
        """The transaction's id if it wrote (`txid_current_if_assigned()`), to look up
        if its COMMIT is lost; None for a transaction that wrote nothing."""
        token: object | None = conn.execute(_TXID).scalar_one()
        return token

    def transaction_committed(self, engine: Engine, token: object) -> bool | None:
        """`txid_status()`: True if committed, False if aborted, None if still running."""
        with engine.connect() as conn:
            status = conn.execute(_TXID_STATUS, {"txid": token}).scalar_one()
        return {"committed": True, "aborted": False}.get(status)

    def work_notifier(self) -> WorkNotifier:
        """The LISTEN connection of this schema's channel."""
        return self.listener

    def close(self) -> None:
        """Close the listener connection."""
        self.listener.close()


@functools.cache
def _on_conflict(table: Table, names: tuple[str, ...], key: tuple[str, ...],
                 update: tuple[str, ...]) -> BulkStatement:
    """The upsert of rows of `names` into `table`, built (and compiled) once per shape."""
    stmt = insert(table)
    return BulkStatement(stmt.on_conflict_do_update(
        index_elements=key, set_={column: stmt.excluded[column] for column in update}), names)
