"""The SQLite backend: the storage contract on a file and in memory, plus SQLite specifics."""

from __future__ import annotations

import importlib.metadata
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, inspect, text

from daggo_core.config import DatabaseConfig
from daggo_core.errors import StorageError
from daggo_core.storage.base import Storage
from daggo_core.storage.migrate import (
    HEAD_REVISION,
    MIGRATIONS_DIR,
    current_revision,
    migrate,
    upgrade,
)
from daggo_core.storage.records import Run, RunStatus, StepRecord
from daggo_core.storage.schema import metadata
from daggo_core.storage.sql import SqlStorage
from daggo_core.storage.sql_dialect import SqlDialect
from daggo_core.testing.asset_storage_contract import AssetStorageContract
from daggo_core.testing.migration_contract import MigrationContract
from daggo_core.testing.storage_contract import StorageContract
from daggo_sqlite.engine import create_file_engine
from daggo_sqlite.plugin import daggo_storage_backends
from daggo_sqlite.testing import database_config as sqlite_database


def database_config(path: Path | str, busy_timeout_ms: int = 5000) -> DatabaseConfig:
    return sqlite_database(path, busy_timeout_ms=busy_timeout_ms)


def open_sqlite(path: Path | str, busy_timeout_ms: int = 5000,
                retry_seconds: float | None = None) -> SqlStorage:
    (backend,) = daggo_storage_backends()
    config = database_config(path, busy_timeout_ms)
    if retry_seconds is not None:
        config.retry_seconds = retry_seconds
    storage = backend.open(config)
    assert isinstance(storage, SqlStorage)
    return storage


def ephemeral() -> Storage:
    (backend,) = daggo_storage_backends()
    assert backend.ephemeral is not None
    return backend.ephemeral()


class TestSqliteFileStorage(StorageContract):
    def make_storage(self, tmp_path: Path) -> Storage:
        return open_sqlite(tmp_path / "daggo.sqlite")


class TestSqliteEphemeralStorage(StorageContract):
    def make_storage(self, tmp_path: Path) -> Storage:
        return ephemeral()


class TestSharedUpsert(AssetStorageContract):
    """The asset contract through `SqlDialect`'s own upsert (read the stored keys, update
    them, insert the others), which a backend without an upsert statement runs."""

    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[Storage]:
        engine = create_file_engine(tmp_path / "daggo.sqlite")
        migrate(engine)
        storage = SqlStorage(engine, SqlDialect())
        yield storage
        storage.close()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_file_engine(tmp_path / "daggo.sqlite")
    yield engine
    engine.dispose()


def statements(engine: Engine) -> list[str]:
    """Collect the SQL `engine` executes from now on."""
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(*args: Any) -> None:
        seen.append(args[2].strip())  # (conn, cursor, statement, parameters, ...)

    return seen


# -- plugin -------------------------------------------------------------------


def test_entry_point_names_the_plugin_module() -> None:
    (entry,) = importlib.metadata.entry_points(group="daggo", name="sqlite")
    assert entry.value == "daggo_sqlite.plugin"
    assert entry.dist is not None and entry.dist.name == "daggo-sqlite"


def test_backend_descriptor() -> None:
    (backend,) = daggo_storage_backends()
    assert backend.name == "sqlite" and backend.ephemeral is not None and backend.description


def test_plugin_module_imports_without_sqlalchemy() -> None:
    code = "import sys, daggo_sqlite.plugin; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- engine -------------------------------------------------------------------


def test_file_database_pragmas(tmp_path: Path) -> None:
    storage = open_sqlite(tmp_path / "nested" / "dir" / "daggo.sqlite", busy_timeout_ms=1234)
    try:
        assert (tmp_path / "nested" / "dir" / "daggo.sqlite").is_file()
        with storage.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        storage.close()


def _text_file(path: Path) -> None:
    path.write_text("name,value\n" + "row,1\n" * 100)


def _damaged_database(path: Path) -> None:
    """A real SQLite database whose schema page was overwritten."""
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    connection.close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("make", "reason"), [
    (_text_file, "file is not a database"),
    (_damaged_database, "database disk image is malformed"),
])
def test_a_file_that_is_not_a_sqlite_database_is_refused_and_left_as_it_was(
        tmp_path: Path, make: Any, reason: str) -> None:
    path = tmp_path / "data" / "daggo.sqlite"
    path.parent.mkdir()
    make(path)
    before = path.read_bytes()
    with pytest.raises(StorageError) as info:
        open_sqlite(path)
    message = str(info.value)
    assert message.startswith(f"{path} is not an SQLite database or is damaged ({reason}); "
                              "daggo changed nothing in it")
    assert "Move the file away" in message and "database.sqlite.path" in message
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["daggo.sqlite"]


def test_a_folder_at_the_database_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=f"the SQLite database path {tmp_path} is a folder; "
                                           "point database.sqlite.path"):
        open_sqlite(tmp_path)


def test_an_empty_file_becomes_the_database(tmp_path: Path) -> None:
    path = tmp_path / "daggo.sqlite"
    path.touch()
    storage = open_sqlite(path)
    try:
        assert storage.get_job("any") is None and path.stat().st_size > 0
    finally:
        storage.close()


def test_memory_database_enforces_foreign_keys() -> None:
    storage = ephemeral()
    try:
        with pytest.raises(StorageError, match="FOREIGN KEY"):
            storage.record_steps([StepRecord(run_id="f" * 32, step_key="orphan")], [])
    finally:
        storage.close()


def test_ephemeral_storages_are_independent() -> None:
    one, two = ephemeral(), ephemeral()
    try:
        run = one.add_run(Run(job_name="j"))
        assert two.count_runs() == 0 and one.get_run(run.id) == run
    finally:
        one.close()
        two.close()


def test_memory_path_opens_an_in_memory_database() -> None:
    storage = open_sqlite(":memory:")
    try:
        assert "vfs=memdb" in str(storage.engine.url)
        assert storage.count_runs() == 0
        assert storage.work_notifier() is None  # one process: nobody else to hear from
    finally:
        storage.close()


def test_writes_begin_immediate_and_reads_begin_deferred(tmp_path: Path) -> None:
    storage = open_sqlite(tmp_path / "daggo.sqlite")
    try:
        seen = statements(storage.engine)
        run = storage.add_run(Run(job_name="j"))
        assert seen[0] == "BEGIN IMMEDIATE"
        seen.clear()
        storage.get_run(run.id)
        assert seen[0] == "BEGIN"
    finally:
        storage.close()


def test_locked_database_is_retried(tmp_path: Path) -> None:
    path = tmp_path / "daggo.sqlite"
    storage = open_sqlite(path, busy_timeout_ms=0)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        holder.execute("BEGIN IMMEDIATE")
        threading.Timer(0.1, holder.rollback).start()
        run = storage.add_run(Run(job_name="j"))
        assert storage.get_run(run.id) == run
    finally:
        holder.close()
        storage.close()


def test_lock_that_outlasts_the_retry_window_is_a_transient_storage_error(
    tmp_path: Path
) -> None:
    path = tmp_path / "daggo.sqlite"
    storage = open_sqlite(path, busy_timeout_ms=0, retry_seconds=0.5)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(StorageError, match=r"unreachable or busy for \d+ s: .*locked") \
                as info:
            storage.add_run(Run(job_name="j"))
        assert info.value.transient and info.value.__cause__ is not None
    finally:
        holder.close()
        storage.close()


def test_driver_errors_become_storage_errors(tmp_path: Path) -> None:
    storage = open_sqlite(tmp_path / "daggo.sqlite")
    try:
        run = storage.add_run(Run(job_name="j"))
        with pytest.raises(StorageError, match="add_run failed: IntegrityError") as info:
            storage.add_run(run)
        assert isinstance(info.value.__cause__, Exception)
    finally:
        storage.close()


# -- migrations ---------------------------------------------------------------


def test_head_constant_matches_the_scripts() -> None:
    assert ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head() == HEAD_REVISION


def test_fresh_database_is_created_and_stamped_at_head(engine: Engine) -> None:
    assert current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == HEAD_REVISION
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())


def test_reopening_a_current_database_changes_nothing(engine: Engine) -> None:
    migrate(engine)
    seen = statements(engine)
    migrate(engine)
    writes = [s for s in seen if s.split()[0].upper() in {"CREATE", "INSERT", "ALTER", "DROP"}]
    assert writes == []


def test_migration_scripts_produce_the_schema_module(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_versioned_empty_database_is_upgraded_through_alembic(engine: Engine) -> None:
    # Only one revision exists: "older" means a database Alembic knows at base.
    upgrade(engine, "base")
    assert inspect(engine).has_table("alembic_version") and current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == HEAD_REVISION
    storage = SqlStorage(engine)
    run = storage.add_run(Run(job_name="j"))
    assert storage.get_run(run.id) == run


def test_database_at_revision_0001_upgrades_in_place_keeping_its_runs(engine: Engine) -> None:
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO runs (id, job_name, status, params, tags, created_at) "
            "VALUES ('a' || hex(randomblob(15)), 'old_job', 'SUCCESS', '{}', '{}', "
            "'2026-01-01 00:00:00')"
        ))
    migrate(engine)
    assert current_revision(engine) == HEAD_REVISION
    (run,) = SqlStorage(engine).list_runs()
    assert run.job_name == "old_job" and run.cancel_requested is False
    assert run.wait_reason is None


class TestMigrations(MigrationContract):
    """Upgrades and downgrades on a file (the `engine` fixture)."""


def test_processes_on_one_file_wake_each_other(tmp_path: Path) -> None:
    path = tmp_path / "daggo.sqlite"
    server, launcher = open_sqlite(path), open_sqlite(path)
    try:
        notifier = server.work_notifier()
        assert notifier is not None
        assert notifier.wait_for_work(0.01) is False
        run = launcher.add_run(Run(job_name="j"))
        assert notifier.wait_for_work(5.0) is True
        assert notifier.wait_for_work(0.01) is False  # one wake-up per announcement
        launcher.set_run_status(run.id, RunStatus.STARTING)  # nobody's work: no wake-up
        assert notifier.wait_for_work(0.05) is False
        launcher.request_cancel(run.id)  # only flags an active run: no wake-up
        assert notifier.wait_for_work(0.05) is False
        launcher.set_run_status(run.id, RunStatus.SUCCESS)
        assert notifier.wait_for_work(5.0) is True
        queued = launcher.add_run(Run(job_name="j"))
        assert notifier.wait_for_work(5.0) is True
        launcher.request_cancel(queued.id)  # ends a queued run: a wake-up
        assert notifier.wait_for_work(5.0) is True
        launcher.request_cancel(queued.id)  # already ended: nothing changes, no wake-up
        assert notifier.wait_for_work(0.05) is False
    finally:
        server.close()
        launcher.close()


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory with a short path (pytest's own are long for a socket address)."""
    path = Path(tempfile.mkdtemp(prefix="dw"))
    yield path
    shutil.rmtree(path)


def test_wakeup_sockets_live_beside_the_file_or_under_tmp_when_too_long(
        short_dir: Path) -> None:
    from daggo_sqlite.wakeup import wakeup_directory

    short = short_dir / "daggo.sqlite"
    assert wakeup_directory(short) == short_dir / "daggo.sqlite-wake"
    deep = short_dir / ("d" * 90) / "daggo.sqlite"
    far = wakeup_directory(deep)
    assert far.parent == Path(tempfile.gettempdir()) and far.name.startswith("daggo-wake-")
    deep.parent.mkdir()
    storage = open_sqlite(deep)
    try:  # a listener works there too, and the last one out removes the directory
        notifier = storage.work_notifier()
        assert notifier is not None and far.is_dir()
    finally:
        storage.close()
    assert not far.exists()
    beside = short_dir / "daggo.sqlite-wake"
    storage = open_sqlite(short)
    try:
        assert storage.work_notifier() is not None and beside.is_dir()
    finally:
        storage.close()
    assert beside.is_dir() and not any(beside.iterdir())  # stays for the next listener


def test_an_old_sqlite_library_is_refused_naming_the_versions() -> None:
    from daggo_sqlite.engine import require_sqlite

    with pytest.raises(StorageError, match=r"needs SQLite 3\.36\.0 or newer; this Python "
                                           r"uses SQLite 3\.34\.1"):
        require_sqlite((3, 34, 1))
    require_sqlite((3, 36, 0))


def test_a_directory_where_no_socket_can_be_made_means_polling(short_dir: Path) -> None:
    path = short_dir / "daggo.sqlite"
    (short_dir / "daggo.sqlite-wake").write_text("a file, not a directory")
    storage = open_sqlite(path)
    try:
        assert storage.work_notifier() is None
        storage.add_run(Run(job_name="j"))  # announcing finds nobody, and does not fail
    finally:
        storage.close()


def test_a_listener_that_went_away_is_forgotten(tmp_path: Path) -> None:
    path = tmp_path / "daggo.sqlite"
    first, second = open_sqlite(path), open_sqlite(path)
    try:
        assert first.work_notifier() is not None
        channel = second.dialect.wakeup
        assert channel is not None and len(list(channel.directory.iterdir())) == 1
        socket_path = next(channel.directory.iterdir())
        # As if its process was killed: the socket file stays, nobody reads it.
        first.dialect.work_notifier()._sock.close()  # type: ignore[union-attr]
        second.add_run(Run(job_name="j"))
        assert not socket_path.exists()
    finally:
        first.close()
        second.close()


def test_untracked_daggo_tables_are_refused(engine: Engine) -> None:
    metadata.create_all(engine)
    with pytest.raises(StorageError, match="no alembic_version"):
        migrate(engine)


def test_unknown_revision_is_a_storage_error(engine: Engine) -> None:
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    with pytest.raises(StorageError, match="ffff"):
        migrate(engine)
