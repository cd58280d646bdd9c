"""Start-up: schema creation, search_path, migrations, isolation and connection errors."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from sqlalchemy import text

from daggo_core.config import DatabaseConfig
from daggo_core.errors import StorageError
from daggo_core.plugins import make_plugin_manager
from daggo_core.storage.migrate import HEAD_REVISION, current_revision
from daggo_core.storage.records import JobRecord, Run
from daggo_core.storage.schema import metadata
from daggo_core.storage.sql import SqlStorage
from daggo_core.testing.storage_contract import claim_oldest
from daggo_postgres.config import PostgresConfig
from daggo_postgres.connection import conninfo, describe
from daggo_postgres.dialect import PostgresDialect
from daggo_postgres.startup import open_postgres
from daggo_postgres.testing import database_config, temporary_schema


def tables_in(url: str, schema: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
    return {name for (name,) in rows}


def test_open_through_the_plugin_manager(pg_config: DatabaseConfig) -> None:
    storage = make_plugin_manager().storage_backend("postgres").open(pg_config)
    try:
        assert isinstance(storage, SqlStorage)
        assert isinstance(storage.dialect, PostgresDialect)
        assert storage.add_run(Run(job_name="j")).job_name == "j"
    finally:
        storage.close()


def test_creates_the_schema_and_migrates_it(pg_url: str, schema: str) -> None:
    storage = open_postgres(database_config(pg_url, schema).postgres)
    try:
        assert set(metadata.tables) | {"alembic_version"} == tables_in(pg_url, schema)
        assert current_revision(storage.engine) == HEAD_REVISION
        assert "runs" not in tables_in(pg_url, "public")
    finally:
        storage.close()


def test_every_pooled_connection_uses_the_schema(pg_storage: SqlStorage) -> None:
    dialect = pg_storage.dialect
    assert isinstance(dialect, PostgresDialect)
    connections = [pg_storage.engine.connect() for _ in range(3)]
    try:
        for conn in connections:
            assert conn.execute(text("SHOW search_path")).scalar() == dialect.schema
            assert conn.execute(text("SELECT current_schema()")).scalar() == dialect.schema
    finally:
        for conn in connections:
            conn.close()


def test_reopening_keeps_the_data(pg_config: DatabaseConfig) -> None:
    first = open_postgres(pg_config.postgres)
    run = first.add_run(Run(job_name="j"))
    first.close()
    second = open_postgres(pg_config.postgres)
    try:
        assert second.get_run(run.id) == run
    finally:
        second.close()


def test_two_schemas_of_one_database_do_not_see_each_other(pg_url: str) -> None:
    with temporary_schema(pg_url) as one_schema, temporary_schema(pg_url) as two_schema:
        one = open_postgres(database_config(pg_url, one_schema).postgres)
        two = open_postgres(database_config(pg_url, two_schema).postgres)
        try:
            run = one.add_run(Run(job_name="only_in_one"))
            one.sync_jobs([JobRecord(name="only_in_one")])
            two.add_run(Run(job_name="only_in_two"))
            assert [r.job_name for r in one.list_runs()] == ["only_in_one"]
            assert [r.job_name for r in two.list_runs()] == ["only_in_two"]
            assert two.list_jobs() == [] and claim_oldest(two, 10)[0].id != run.id
            assert one.get_run(run.id).status.value == "QUEUED"
        finally:
            one.close()
            two.close()


def test_timestamps_are_naive_utc_in_the_database(pg_storage: SqlStorage) -> None:
    moment = dt.datetime(2024, 5, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    run = pg_storage.add_run(Run(job_name="j", created_at=moment))
    with pg_storage.engine.connect() as conn:
        conn.execute(text("SET TIME ZONE 'America/New_York'"))
        stored = conn.execute(text("SELECT created_at FROM runs")).scalar()
    assert stored == dt.datetime(2024, 5, 1, 12, 0)
    assert pg_storage.get_run(run.id).created_at == moment


def test_unknown_database_fails_naming_host_port_database_not_password(pg_url: str) -> None:
    pg = PostgresConfig(host="127.0.0.1", port=5432, user="postgres", password="sekrit-pw",
                        database="no_such_database_xyz", schema="proj")
    with pytest.raises(StorageError) as info:
        open_postgres(pg)
    message = str(info.value)
    assert "127.0.0.1:5432" in message and "'no_such_database_xyz'" in message
    assert "'proj'" in message and "does not exist" in message
    assert "sekrit-pw" not in message and info.value.__cause__ is None
    assert not info.value.transient  # trying again would not help: no waiting for it


def test_unreachable_port_fails_naming_the_target_not_password() -> None:
    pg = PostgresConfig(host="127.0.0.1", port=1, password="sekrit-pw", database="platform")
    with pytest.raises(StorageError, match=r"127\.0\.0\.1:1, database 'platform'") as info:
        open_postgres(pg)
    assert "sekrit-pw" not in str(info.value)
    assert info.value.transient  # a server that may come back: callers wait for it


def test_connections_fail_fast_on_a_vanished_peer_unless_the_dsn_says_otherwise(
        pg_storage: SqlStorage) -> None:
    info = conninfo(PostgresConfig(host="db.internal"))
    for setting in ("keepalives=1", "keepalives_idle=10", "tcp_user_timeout=30000"):
        assert setting in info
    assert "keepalives_idle=99" in conninfo(PostgresConfig(dsn="host=db keepalives_idle=99"))
    with pg_storage.engine.begin() as conn:
        # A session left idle in a transaction (a stopped worker) is ended by the server.
        assert conn.exec_driver_sql("SHOW idle_in_transaction_session_timeout").scalar() \
            == "1min"
        pg_storage.dialect.limit_lock_wait(conn, 10.0)
        assert conn.exec_driver_sql("SHOW lock_timeout").scalar() == "10s"


def test_password_in_a_dsn_is_not_printed_either() -> None:
    dsn = "postgresql://daggo:sekrit-pw@127.0.0.1:1/platform"
    with pytest.raises(StorageError) as info:
        open_postgres(PostgresConfig(dsn=dsn))
    assert "127.0.0.1:1" in str(info.value) and "sekrit-pw" not in str(info.value)


def test_conninfo_from_fields_and_description() -> None:
    pg = PostgresConfig(host="db.internal", port=6543, user="daggo", password="pw",
                        database="platform", schema="my_project", sslmode="require")
    info = conninfo(pg)
    assert "sslmode=require" in info and "application_name=daggo" in info
    expected = "db.internal:6543, database 'platform' (schema 'my_project')"
    assert describe(info, pg.schema) == expected


def test_run_id_prefixes_hold_under_a_natural_language_collation(
        pg_storage: SqlStorage) -> None:
    # Locale collations order punctuation apart from digits: a range ending at "a9:"
    # (the character after '9') would miss or over-reach; the hex bounds do not.
    with pg_storage.engine.begin() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_collation WHERE collname = 'en-x-icu'")
                            ).first():
            pytest.skip("this PostgreSQL server is built without ICU collations")
        conn.execute(text('ALTER TABLE runs ALTER COLUMN id TYPE varchar(32) COLLATE "en-x-icu"'))
    ids = ["a9" + "0" * 30, "a9f" + "0" * 29, "a9" + "f" * 30, "aa" + "0" * 30, "a:" + "0" * 30]
    for run_id in ids:
        pg_storage.add_run(Run(id=run_id, job_name="j"))

    def found(prefix: str) -> list[str]:  # in the collation's order: compare as sets
        return sorted(pg_storage.find_run_ids(prefix, limit=9))

    assert found("a9") == sorted(ids[:3])
    assert found("a9f") == [ids[1], ids[2]]
    assert found("a:") == [ids[4]]
    assert found("a") == sorted(ids)
