"""Shared fixtures: `storage_backend` and `storage`, parametrized over every SQL backend.

Each test gets a private database: a SQLite file under `tmp_path`, or a unique schema on
the server of `DAGGO_TEST_POSTGRES_URL` (dropped afterwards). Without that variable the
postgres cases are skipped.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest

from daggo_core.config import DatabaseConfig, SQLiteConfig
from daggo_core.plugins import make_plugin_manager
from daggo_core.storage.base import Storage

POSTGRES_URL_VARIABLE = "DAGGO_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgres")


@attrs.define
class BackendUnderTest:
    """One backend and this test's private database on it."""

    name: str
    database: DatabaseConfig
    opened: list[Storage] = attrs.field(factory=list)

    def open(self) -> Storage:
        """Open (another) storage on the test's database; closed after the test."""
        storage = make_plugin_manager().storage_backend(self.name).open(self.database)
        self.opened.append(storage)
        return storage


def _sqlite(tmp_path: Path) -> tuple[DatabaseConfig, Callable[[], None]]:
    path = str(tmp_path / "daggo.sqlite")
    return DatabaseConfig(driver="sqlite", sqlite=SQLiteConfig(path=path)), lambda: None


def _postgres() -> tuple[DatabaseConfig, Callable[[], None]]:
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set (e.g. postgresql://postgres@127.0.0.1/test)")
    from daggo_postgres.testing import database_config, drop_schema, unique_schema

    schema = unique_schema()
    return database_config(url, schema), lambda: drop_schema(url, schema)


@pytest.fixture(params=BACKENDS)
def storage_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BackendUnderTest]:
    """A backend with a private, not yet opened database; `.open()` gives storages on it."""
    database, cleanup = _sqlite(tmp_path) if request.param == "sqlite" else _postgres()
    backend = BackendUnderTest(name=request.param, database=database)
    try:
        yield backend
    finally:
        for storage in backend.opened:
            storage.close()
        cleanup()


@pytest.fixture
def storage(storage_backend: BackendUnderTest) -> Storage:
    """An empty, migrated storage on each backend."""
    return storage_backend.open()
