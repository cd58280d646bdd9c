"""LISTEN/NOTIFY wake-ups: a trigger on `runs` notifies, a listener connection waits."""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Connection, text

__all__ = ["WorkListener", "channel_name", "install_notify_trigger"]

#: Statuses after which a coordinator may have work: a run to claim or a slot freed.
WAKE_STATUSES = ("QUEUED", "SUCCESS", "FAILURE", "CANCELED")

_FUNCTION = "daggo_notify_work"
_TRIGGER = "daggo_runs_notify_work"


def channel_name(schema: str) -> str:
    """The NOTIFY channel of `schema` (fixed length: channel names are capped at 63 bytes)."""
    return "daggo_" + hashlib.md5(schema.encode(), usedforsecurity=False).hexdigest()


def install_notify_trigger(conn: Connection) -> None:
    """Create the trigger that notifies the schema's channel when runs are queued or end.

    The notification is sent on commit, only if the transaction commits, and PostgreSQL
    folds identical notifications of one transaction into one. An existing trigger is
    left alone: creating one locks `runs`, which every process opening storage would do.
    """
    conn.exec_driver_sql(f"""
        CREATE OR REPLACE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('daggo_' || md5(TG_TABLE_SCHEMA), '');
            RETURN NULL;
        END $$""")
    exists = conn.execute(
        text("SELECT 1 FROM pg_trigger WHERE tgname = :name AND tgrelid = 'runs'::regclass"),
        {"name": _TRIGGER},
    ).first()
    if exists is None:
        statuses = ", ".join(f"'{status}'" for status in WAKE_STATUSES)
        conn.exec_driver_sql(f"""
            CREATE TRIGGER {_TRIGGER} AFTER INSERT OR UPDATE OF status ON runs
            FOR EACH ROW WHEN (NEW.status IN ({statuses}))
            EXECUTE FUNCTION {_FUNCTION}()""")


class WorkListener:
    """One autocommit connection LISTENing on a schema's channel, opened on first use.

    `wait_for_work` is meant for one waiting thread (the coordinator's); a lost connection is
    reopened on a later call, with backoff, and reported as a wake-up because
    notifications sent meanwhile were missed.
    """

    max_backoff_seconds: float = 5.0

    def __init__(self, conninfo: str, schema: str) -> None:
        self._conninfo = conninfo
        self._channel = channel_name(schema)
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._failures = 0

    def wait_for_work(self, timeout: float) -> bool:
        """Block up to `timeout` seconds for a notification; True if one (or more) came."""
        with self._lock:
            if self._closed:
                return False
            if self._conn is None or self._conn.closed:
                return self._connect(timeout)
            try:
                woken = any(True for _ in self._conn.notifies(timeout=timeout, stop_after=1))
                if woken:  # drain the backlog: one wake-up covers it
                    for _ in self._conn.notifies(timeout=0.0):
                        pass
                return woken
            except psycopg.Error:
                self._conn.close()
                return True

    def close(self) -> None:
        """Close the connection; later waits return False at once."""
        self._closed = True
        with self._lock:
            if self._conn is not None:
                self._conn.close()

    def _connect(self, timeout: float) -> bool:
        conn: psycopg.Connection[Any] | None = None
        try:
            conn = psycopg.connect(self._conninfo, autocommit=True)
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
        except psycopg.Error:
            if conn is not None:
                conn.close()
            self._failures += 1
            time.sleep(min(timeout, self.max_backoff_seconds, 0.1 * 2**self._failures))
            return False
        self._conn, self._failures = conn, 0
        return True
