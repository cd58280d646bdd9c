"""The `postgres` storage backend (hook implementations only; psycopg loads on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from daggo_core.extensions import ConfigSection, StorageBackend
from daggo_core.hookspecs import hookimpl
from daggo_postgres.config import SECTION, PostgresConfig

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
            name="postgres",
            open=open_storage,
            description="PostgreSQL (psycopg 3): one schema per project, several coordinators",
        )
    ]


def open_storage(database_config: DatabaseConfig) -> Storage:
    """Connect, create the schema if missing, migrate it and return the storage."""
    from daggo_postgres.startup import open_postgres

    return open_postgres(database_config.section("postgres", PostgresConfig),
                         retry_seconds=database_config.retry_seconds)
