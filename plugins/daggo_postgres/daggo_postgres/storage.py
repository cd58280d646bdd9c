"""PostgresStorage: the shared SQL storage plus PostgreSQL's locking and wake-ups."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from psycopg.errors import UniqueViolation
from sqlalchemy import Connection, Engine, Select, text
from sqlalchemy.exc import OperationalError

from daggo_core.errors import StorageError
from daggo_core.storage.records import JobRecord
from daggo_core.storage.sql import SqlStorage
from daggo_postgres.notify import WorkListener

__all__ = ["PostgresStorage", "advisory_key"]

_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_TXID = text("SELECT txid_current_if_assigned()")
_TXID_STATUS = text("SELECT txid_status(:txid)")
#: SQLSTATEs of transactions PostgreSQL rolled back and that may be retried as they are.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock


def advisory_key(purpose: str, schema: str) -> int:
    """A signed 64-bit advisory lock key for `purpose` in `schema` (one per project)."""
    digest = hashlib.blake2b(f"daggo.{purpose}.{schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresStorage(SqlStorage):
    """SqlStorage on PostgreSQL.

    Claims lock candidate rows with `FOR UPDATE SKIP LOCKED` and first take a
    transaction-level advisory lock per schema, so concurrency-limit decisions of several
    coordinators are made one after another on committed state. `wait_for_work` blocks on
    LISTEN until a run is queued or finishes anywhere on the database. A write whose
    COMMIT is lost with its connection is looked up by transaction id before it is
    retried, so it is never applied twice.
    """

    #: Lost connections are retried for about 25 s (0.1 s doubling), e.g. a server restart.
    write_retries = 8
    retry_backoff_seconds = 0.1

    def __init__(self, engine: Engine, *, schema: str, listener: WorkListener) -> None:
        super().__init__(engine)
        self.schema = schema
        self.listener = listener
        self._claim_key = advisory_key("claim", schema)
        self._schedule_key = advisory_key("schedule", schema)

    def sync_jobs(self, jobs: Sequence[JobRecord]) -> None:
        """Upsert `jobs` as the active set; retried once if another process inserted one
        of them concurrently (processes starting together sync the same jobs)."""
        try:
            super().sync_jobs(jobs)
        except StorageError as exc:
            if not isinstance(getattr(exc.__cause__, "orig", None), UniqueViolation):
                raise
            super().sync_jobs(jobs)

    def claim_candidates(self, limit: int) -> Select[tuple[str]]:
        """The oldest QUEUED run ids, skipping rows another transaction holds."""
        return super().claim_candidates(limit).with_for_update(skip_locked=True)

    def lock_claims(self, conn: Connection) -> None:
        """Serialize claim decisions of this schema until the transaction ends."""
        conn.execute(_LOCK, {"key": self._claim_key})

    def lock_schedules(self, conn: Connection) -> None:
        """Serialize the schema's tick claims and scheduler state changes until the
        transaction ends (a lock of their own: run claims do not wait for them)."""
        conn.execute(_LOCK, {"key": self._schedule_key})

    def transaction_token(self, conn: Connection) -> object | None:
        """The transaction's id if it wrote (`txid_current_if_assigned()`), to look up
        if its COMMIT is lost; None for a transaction that wrote nothing."""
        return conn.execute(_TXID).scalar_one()

    def transaction_committed(self, token: object) -> bool | None:
        """`txid_status()`: True if committed, False if aborted, None if still running."""
        with self.engine.connect() as conn:
            status = conn.execute(_TXID_STATUS, {"txid": token}).scalar_one()
        return {"committed": True, "aborted": False}.get(status)

    def is_retryable(self, exc: OperationalError) -> bool:
        """Lost connections (server restart, terminated backend), deadlocks and
        serialization failures: the transaction did not commit, so it is run again."""
        sqlstate = getattr(exc.orig, "sqlstate", None)
        return exc.connection_invalidated or sqlstate in _RETRYABLE_SQLSTATES

    def wait_for_work(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True when a run was queued or finished meanwhile."""
        return self.listener.wait(timeout)

    def close(self) -> None:
        """Close the listener connection and dispose of the pool."""
        self.listener.close()
        super().close()
