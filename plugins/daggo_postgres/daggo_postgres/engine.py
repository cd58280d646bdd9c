"""The SQLAlchemy engine for PostgreSQL: psycopg 3, every connection on daggo's schema."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Engine, create_engine, event

__all__ = ["create_postgres_engine", "set_search_path"]


def create_postgres_engine(conninfo: str, schema: str) -> Engine:
    """A pooled engine whose connections all have `search_path` set to `schema` only.

    Pooled connections are pinged on checkout, so connections broken by a server restart
    are replaced instead of failing the next transaction.
    """
    engine = create_engine(
        "postgresql+psycopg://",
        creator=lambda: psycopg.connect(conninfo),
        pool_pre_ping=True,
        # Whatever the server's default: a queue item's roll-up locks the item, then
        # reads its runs in a later statement, which must see what committed meanwhile.
        isolation_level="READ COMMITTED",
    )

    # insert=True: before the dialect's first-connect initialisation reads
    # current_schema(), so SQLAlchemy's default schema is daggo's.
    @event.listens_for(engine, "connect", insert=True)
    def _on_connect(dbapi_connection: psycopg.Connection[Any], _record: Any) -> None:
        set_search_path(dbapi_connection, schema)

    return engine


def set_search_path(conn: psycopg.Connection[Any], schema: str) -> None:
    """Make `schema` the connection's only search_path entry, for the whole session."""
    autocommit = conn.autocommit
    conn.autocommit = True
    try:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
    finally:
        conn.autocommit = autocommit
