"""What a SQL backend adds to the shared implementation: locks, retries, notifications,
and the arithmetic on stored times that SQL does not standardise.

`SqlStorage` holds every query; a backend plugin hands it an engine and a `SqlDialect`
saying how its database locks, which failures may simply be retried, how to learn whether
a COMMIT lost in transit went through, and how coordinators hear of new work. The
defaults suit an embedded database whose write transactions exclude each other (SQLite).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, ColumnElement, Connection, Engine, Select, cast, func
from sqlalchemy.exc import OperationalError

if TYPE_CHECKING:
    from daggo_core.storage.base import WorkNotifier

__all__ = ["LockArea", "SqlDialect"]

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
    #: Writing assets' partition states, events and latest materializations, and adding
    #: dynamic partition keys: upserts by key, so that two transactions never both insert
    #: one row; it also keeps a transaction's asset events the newest of all while it
    #: reads their ids back.
    ASSETS = "asset"


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
