"""Opening PostgreSQL storage: connect, create the schema, migrate, install the trigger."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from daggo_core.storage.migrate import migrate
from daggo_core.storage.sql import SqlStorage
from daggo_postgres.connection import connection_error, conninfo
from daggo_postgres.dialect import PostgresDialect, advisory_key
from daggo_postgres.engine import create_postgres_engine
from daggo_postgres.notify import WorkListener, install_notify_trigger

if TYPE_CHECKING:
    from daggo_postgres.config import PostgresConfig

__all__ = ["ensure_schema", "open_postgres"]


def open_postgres(pg: PostgresConfig, *, retry_seconds: float = 0.0) -> SqlStorage:
    """Connect, create `pg.schema` if missing, apply the bundled migrations, return storage
    (whose writes are retried for `retry_seconds` while the server is unreachable).

    Start-up steps run under a session advisory lock per schema, so processes starting
    together do not race to create or migrate it. A connection failure raises
    StorageError naming host, port, database and schema, never the password.
    """
    info = conninfo(pg)
    try:
        setup = psycopg.connect(info, autocommit=True)
    except psycopg.Error as exc:
        # `from None`: the driver's exception chain is not shown, in case it echoes secrets.
        raise connection_error("connect to", info, pg.schema, exc) from None
    with setup:
        try:
            setup.execute("SELECT pg_advisory_lock(%s)", (advisory_key("migrate", pg.schema),))
            ensure_schema(setup, pg.schema)
        except psycopg.Error as exc:
            raise connection_error("prepare the schema on", info, pg.schema, exc) from None
        engine = create_postgres_engine(info, pg.schema)
        try:
            migrate(engine)
            with engine.begin() as conn:
                install_notify_trigger(conn)
        except BaseException:
            engine.dispose()
            raise
    dialect = PostgresDialect(schema=pg.schema, listener=WorkListener(info, pg.schema))
    return SqlStorage(engine, dialect, retry_seconds=retry_seconds)


def ensure_schema(conn: psycopg.Connection[Any], schema: str) -> None:
    """Create `schema` unless it exists (checked first: CREATE needs a privilege)."""
    exists = conn.execute(
        "SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)
    ).fetchone()
    if exists is None:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
