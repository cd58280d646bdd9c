"""Bring a database to the current schema: fast paths when new or current, else Alembic."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, Connection, Engine, MetaData, String, Table, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from daggo_core.errors import StorageError
from daggo_core.storage.schema import metadata
from daggo_core.storage.sql_transactions import WRITE_OPTION

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "HEAD_REVISION",
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revision",
    "migrate",
    "upgrade",
]

#: The newest revision under migrations/versions; a test keeps it equal to the scripts' head.
HEAD_REVISION = "0012"

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

_VERSION_TABLE = "alembic_version"
_version_table = Table(
    _VERSION_TABLE,
    MetaData(),
    Column("version_num", String(32), primary_key=True),
)


def migrate(engine: Engine) -> None:
    """Create or upgrade the daggo schema in `engine`'s database.

    An empty database gets `metadata.create_all` and is stamped at HEAD_REVISION; one
    already at HEAD_REVISION is left alone, found so in a read transaction (no write
    lock is taken); anything older goes through Alembic. Raises
    StorageError if daggo tables exist without Alembic's version table, or on failure.
    """
    try:
        # A read first: opening a current database never waits for (or takes) the write
        # lock, so workers and read-only commands open it under any write load.
        with engine.connect() as conn:
            if _has_version_table(conn) and _read_revision(conn) == HEAD_REVISION:
                return
        with _begin_write(engine) as conn:
            if _has_version_table(conn):
                if _read_revision(conn) == HEAD_REVISION:
                    return
            elif _daggo_tables(conn):
                raise StorageError(
                    "the database has daggo tables but no alembic_version table; "
                    "it was not created by daggo, so it cannot be migrated safely"
                )
            else:
                metadata.create_all(conn)
                _version_table.create(conn)
                conn.execute(_version_table.insert(), {"version_num": HEAD_REVISION})
                return
    except SQLAlchemyError as exc:
        raise StorageError(f"could not inspect the database schema: {exc}") from exc
    upgrade(engine)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the bundled Alembic migrations up to `revision` in one transaction."""
    from alembic import command
    from alembic.util import CommandError

    try:
        with _begin_write(engine) as conn:
            command.upgrade(alembic_config(conn), revision)
    except (SQLAlchemyError, CommandError) as exc:
        raise StorageError(f"database migration failed: {exc}") from exc


def alembic_config(connection: Connection) -> Config:
    """An Alembic Config for the bundled scripts that runs on `connection`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def current_revision(engine: Engine) -> str | None:
    """The database's Alembic revision, or None if it has never been migrated."""
    try:
        with engine.connect() as conn:
            return _read_revision(conn) if _has_version_table(conn) else None
    except SQLAlchemyError as exc:
        raise StorageError(f"could not read the schema revision: {exc}") from exc


def _begin_write(engine: Engine) -> AbstractContextManager[Connection]:
    return engine.execution_options(**{WRITE_OPTION: True}).begin()


def _has_version_table(conn: Connection) -> bool:
    return inspect(conn).has_table(_VERSION_TABLE)


def _read_revision(conn: Connection) -> str | None:
    return conn.execute(select(_version_table.c.version_num)).scalar_one_or_none()


def _daggo_tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names()) & set(metadata.tables)
