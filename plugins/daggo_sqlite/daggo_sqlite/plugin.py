"""The `sqlite` storage backend (hook implementations only; SQLAlchemy loads on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from daggo_core.extensions import ConfigSection, StorageBackend
from daggo_core.hookspecs import hookimpl
from daggo_sqlite.config import MEMORY_PATH, SECTION, SQLiteConfig

if TYPE_CHECKING:
    from daggo_core.config import DatabaseConfig
    from daggo_core.storage.base import Storage


@hookimpl
def daggo_config_sections() -> list[ConfigSection]:
    return [SECTION]


@hookimpl
def daggo_storage_backends() -> list[StorageBackend]:
    return [
        StorageBackend(
            name="sqlite",
            open=open_storage,
            ephemeral=ephemeral_storage,
            description="SQLite file (WAL); the embedded default",
        )
    ]


def open_storage(database_config: DatabaseConfig) -> Storage:
    """Open (creating and migrating as needed) the SQLite database of `database_config`.

    The path `:memory:` gives a private in-memory database, as `ephemeral_storage` does.
    """
    from daggo_sqlite.startup import open_sqlite

    sqlite = database_config.section("sqlite", SQLiteConfig)
    if sqlite.path == MEMORY_PATH:
        return ephemeral_storage()
    return open_sqlite(sqlite.path, busy_timeout_ms=sqlite.busy_timeout_ms,
                       retry_seconds=database_config.retry_seconds)


def ephemeral_storage() -> Storage:
    """A fresh in-memory database, gone when the storage is closed."""
    from daggo_sqlite.startup import open_memory

    return open_memory()
