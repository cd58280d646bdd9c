"""Helpers for tests against a real PostgreSQL: one throw-away schema per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from daggo_core.config import DatabaseConfig
from daggo_postgres.config import PostgresConfig

__all__ = [
    "TEST_URL_VARIABLE",
    "database_config",
    "drop_schema",
    "temporary_schema",
    "test_url",
    "unique_schema",
]

#: The environment variable holding the test server's URL (set by .ci/run).
TEST_URL_VARIABLE = "DAGGO_TEST_POSTGRES_URL"


def test_url() -> str | None:
    """The PostgreSQL URL tests may use, or None when the variable is unset."""
    return os.environ.get(TEST_URL_VARIABLE) or None


def unique_schema(prefix: str = "daggo_test") -> str:
    """A schema name no other test uses."""
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


def database_config(url: str, schema: str) -> DatabaseConfig:
    """A config selecting the postgres backend on `url`, in `schema`."""
    return DatabaseConfig(driver="postgres",
                          sections={"postgres": PostgresConfig(dsn=url, schema=schema)})


def drop_schema(url: str, schema: str) -> None:
    """DROP SCHEMA ... CASCADE, if it exists."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@contextmanager
def temporary_schema(url: str, prefix: str = "daggo_test") -> Iterator[str]:
    """A unique schema name, dropped (with everything in it) on exit."""
    schema = unique_schema(prefix)
    try:
        yield schema
    finally:
        drop_schema(url, schema)
