"""Migrations on PostgreSQL: the scripts match the schema module; old databases upgrade."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

from daggo_core.config import DatabaseConfig
from daggo_core.storage.migrate import HEAD_REVISION, current_revision, upgrade
from daggo_core.storage.records import RunStatus
from daggo_core.storage.schema import metadata
from daggo_core.testing.migration_contract import MigrationContract
from daggo_core.testing.storage_contract import claim_oldest
from daggo_postgres.connection import conninfo
from daggo_postgres.engine import create_postgres_engine
from daggo_postgres.startup import ensure_schema, open_postgres


@pytest.fixture
def engine(pg_config: DatabaseConfig) -> Iterator[Engine]:
    """An engine on the test's schema, created empty and not migrated."""
    info = conninfo(pg_config.postgres)
    with psycopg.connect(info, autocommit=True) as conn:
        ensure_schema(conn, pg_config.postgres.schema)
    engine = create_postgres_engine(info, pg_config.postgres.schema)
    yield engine
    engine.dispose()


def test_migration_scripts_produce_the_schema_module(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_database_at_revision_0001_upgrades_in_place(
    engine: Engine, pg_config: DatabaseConfig
) -> None:
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO runs (id, job_name, status, params, tags, created_at) VALUES "
            "('a0000000000000000000000000000001', 'old_job', 'QUEUED', '{}', '{}', "
            "'2026-01-01 00:00:00')"
        ))
    storage = open_postgres(pg_config.postgres)
    try:
        assert current_revision(storage.engine) == HEAD_REVISION
        (run,) = storage.list_runs()
        assert (run.job_name, run.cancel_requested, run.wait_reason) == ("old_job", False, None)
        (claimed,) = claim_oldest(storage, 5)
        assert claimed.id == run.id and claimed.status is RunStatus.STARTING
    finally:
        storage.close()


class TestMigrations(MigrationContract):
    """Upgrades and downgrades on a schema of the test's own (the `engine` fixture)."""
