"""Fixtures for the PostgreSQL backend's own tests: a server URL and a private schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from daggo_core.config import DatabaseConfig
from daggo_core.storage.sql import SqlStorage
from daggo_postgres.testing import (
    TEST_URL_VARIABLE,
    database_config,
    temporary_schema,
    test_url,
)


@pytest.fixture
def pg_url() -> str:
    url = test_url()
    if url is None:
        pytest.skip(f"{TEST_URL_VARIABLE} is not set (e.g. postgresql://postgres@127.0.0.1/test)")
    return url


@pytest.fixture
def schema(pg_url: str) -> Iterator[str]:
    """A schema name of this test's own, dropped afterwards."""
    with temporary_schema(pg_url) as name:
        yield name


@pytest.fixture
def pg_config(pg_url: str, schema: str) -> DatabaseConfig:
    return database_config(pg_url, schema)


@pytest.fixture
def pg_storage(pg_config: DatabaseConfig) -> Iterator[SqlStorage]:
    from daggo_postgres.startup import open_postgres

    storage = open_postgres(pg_config.postgres)
    yield storage
    storage.close()
