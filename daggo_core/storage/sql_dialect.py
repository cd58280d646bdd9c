"""What a SQL backend adds to the shared implementation: locks, retries, notifications,
upserts, and the arithmetic on stored times that SQL does not standardise.

`SqlStorage` holds every query; a backend plugin hands it an engine and a `SqlDialect`
saying how its database locks, how it writes a row whether or not its key is stored,
which failures may simply be retried, how to learn whether a COMMIT lost in transit went
through, and how coordinators hear of new work. The defaults suit an embedded database
whose write transactions exclude each other (SQLite).
"""

from __future__ import annotations

import enum
import functools
import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from attrs import frozen
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    Select,
    Table,
    bindparam,
    cast,
    func,
    select,
)
from sqlalchemy.exc import OperationalError

from daggo_core.storage.bulk import BulkStatement
from daggo_core.storage.sql_rows import chunks

if TYPE_CHECKING:
    from daggo_core.storage.base import WorkNotifier

__all__ = ["LockArea", "SqlDialect", "last_of_each_key"]

#: The Julian day number of 1970-01-01 00:00 UTC.
_UNIX_EPOCH_JULIAN_DAY = 2440587.5


class LockArea(enum.StrEnum):
    """Decisions that must be taken one at a time across processes."""

    #: Claiming queued runs within the concurrency limits.
    CLAIMS = "claim"
    #: Claiming schedule ticks and changing scheduler state.
    SCHEDULES = "schedule"
    #: Accepting queue items (deduplication by key) and advancing loader cursors.
    QUEUES = "queue"
    #: Writing assets' partition states (see `SqlDialect.upsert`), events and latest
    #: materializations, and adding dynamic partition keys: upserts by key, so that two
    #: transactions never both insert one row; it also keeps a transaction's asset events
    #: the newest of all while it reads their ids back.
    ASSETS = "asset"
    #: Purging old runs: one purger at a time deletes, so none counts another's rows.
    RETENTION = "retention"


class SqlDialect:
    """The backend-specific part of the SQL storage; subclass and override what differs."""

    #: Times a transaction that failed retryably (see `is_retryable`) is run again.
    write_retries: int = 5
    #: The first pause before a retry; it doubles with each attempt.
    retry_backoff_seconds: float = 0.02

    def lock(self, conn: Connection, area: LockArea) -> None:
        """Called first in a write transaction deciding for `area`; a no-op here.

        A database whose write transactions do not exclude each other takes a lock until
        the transaction ends, so that concurrent deciders see each other's commits.
        """

    def limit_lock_wait(self, conn: Connection, seconds: float) -> None:
        """Called first in a transaction that must not wait long for a row lock (settling a
        lost attempt, claiming): the backend bounds the wait, failing the transaction, so
        that a worker hung inside a transaction cannot stall the caller; a no-op here."""

    def claim_candidates(self, query: Select[tuple[str]]) -> Select[tuple[str]]:
        """The query selecting queued run ids to claim, e.g. with `FOR UPDATE SKIP LOCKED`;
        unchanged here (the claim re-checks each run's status, so it stays correct)."""
        return query

    def epoch_ms(self, moment: ColumnElement[Any]) -> ColumnElement[int]:
        """The stored time `moment` as whole milliseconds since 1970-01-01 UTC; here
        through `julianday`, which counts in milliseconds."""
        return cast(func.round((func.julianday(moment) - _UNIX_EPOCH_JULIAN_DAY)
                               * 86_400_000.0), BigInteger)

    def insert_many(self, conn: Connection, table: str, names: Sequence[str],
                    rows: Sequence[Sequence[Any]]) -> bool:
        """Insert `rows` (values in the order of the columns `names`, as their types bind
        them) into the table named `table` faster than one INSERT per row, and return
        True; here False: the caller executes the INSERT for each row (fast enough where
        no server plans each statement)."""
        return False

    def upsert(self, conn: Connection, table: Table, names: Sequence[str],
               rows: Sequence[Sequence[Any]], *, key: Sequence[str],
               update: Sequence[str]) -> None:
        """Write `rows` (values in the order of the columns `names`) into `table` by its
        unique columns `key` (among `names`): a row whose key is stored sets the columns
        `update` of the stored one, keeping its others; any other row is inserted whole.
        Of several rows with one key, the last wins.

        Here a read of which keys are stored (an IN list per key column, per
        IN_LIST_LIMIT values), an UPDATE of those and an INSERT of the others: the
        caller holds the lock of an area (see `LockArea`) under which no other
        transaction writes `table`, so none inserts one of the keys meanwhile. A
        backend with an upsert statement runs that instead, taking no lock.
        """
        latest = last_of_each_key(names, rows, key)
        if not latest:
            return
        statements = _generic_upsert(table, tuple(names), tuple(key), tuple(update))
        stored: set[tuple[Any, ...]] = set()
        values = [sorted({k[i] for k in latest}) for i in range(len(key))]
        for parts in itertools.product(*(list(chunks(column)) for column in values)):
            found = conn.execute(statements.stored, {
                f"in_{column}": list(part) for column, part in zip(key, parts, strict=True)})
            stored.update(k for k in map(tuple, found) if k in latest)
        at = [names.index(column) for column in update]
        statements.update.execute(conn, [(*(row[i] for i in at), *k)
                                         for k, row in latest.items() if k in stored])
        statements.insert.execute(conn, [row for k, row in latest.items() if k not in stored],
                                  many=self)

    def is_retryable(self, exc: OperationalError) -> bool:
        """Whether a failed transaction was rolled back and may simply run again: here,
        when the database was locked or busy."""
        message = str(exc.orig).lower()
        return "locked" in message or "busy" in message

    def transaction_token(self, conn: Connection) -> object | None:
        """An identifier of the write transaction on `conn`, asked for just before its
        COMMIT; None (the default) when a retry cannot apply anything twice.

        A database reached over a network returns one if the transaction wrote, so that a
        transaction whose COMMIT failed in transit is looked up (`transaction_committed`)
        instead of run twice.
        """
        return None

    def transaction_committed(self, engine: Engine, token: object) -> bool | None:
        """Whether the transaction of `token`, whose COMMIT raised, committed anyway;
        None while that is not known yet (asked again after a backoff)."""
        return False

    def work_notifier(self) -> WorkNotifier | None:
        """How coordinators hear that a run was queued or ended anywhere; None: they poll."""
        return None

    def announce_work(self) -> None:
        """Called after a transaction that queued or ended runs committed; a no-op here
        (a server database may notify from a trigger instead)."""

    def close(self) -> None:
        """Release what the dialect holds (listener connections, sockets)."""


def last_of_each_key(names: Sequence[str], rows: Sequence[Sequence[Any]],
                     key: Sequence[str]) -> dict[tuple[Any, ...], Sequence[Any]]:
    """The last of `rows` (values in the order of the columns `names`) for each value of
    the columns `key`, by that value: what an upsert writes (one statement must not
    update a row twice)."""
    at = [names.index(column) for column in key]
    return {tuple(row[i] for i in at): row for row in rows}


@frozen
class _GenericUpsert:
    #: The stored keys among the values of an IN list per key column.
    stored: Select[Any]
    update: BulkStatement
    insert: BulkStatement


@functools.cache
def _generic_upsert(table: Table, names: tuple[str, ...], key: tuple[str, ...],
                    update: tuple[str, ...]) -> _GenericUpsert:
    """The statements of `SqlDialect.upsert`, built (and compiled) once per shape."""
    # An IN list per column, through the key's index; a row-value IN is slower on SQLite.
    stored = select(*(table.c[column] for column in key)).where(
        *(table.c[column].in_(bindparam(f"in_{column}", expanding=True)) for column in key))
    where = [table.c[column] == bindparam(f"key_{column}") for column in key]
    return _GenericUpsert(
        stored=stored,
        update=BulkStatement(table.update().where(*where),
                             (*update, *(f"key_{column}" for column in key))),
        insert=BulkStatement(table.insert(), names))
