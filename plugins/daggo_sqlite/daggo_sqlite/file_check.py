"""Refusing a file at the database path that is not an SQLite database, before writing to it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from daggo_core.errors import StorageError

__all__ = ["check_database_file"]

#: SQLite's primary result codes for a damaged database and for a file that is not one.
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26


def check_database_file(file: Path) -> None:
    """Raise StorageError if `file` (absolute) is a folder, or a file SQLite cannot read as a
    database: not one at all, or damaged in its header or schema.

    The file is read through a read-only connection, so a foreign or damaged file is left
    exactly as it was. A missing or empty file is fine: it becomes a new database. Damage
    further into the file shows only when that part is read (`PRAGMA integrity_check`
    finds it; see CONFIGURATION.md).
    """
    if file.is_dir():
        raise StorageError(f"the SQLite database path {file} is a folder; point "
                           "database.sqlite.path (DAGGO_SQLITE_PATH) at a file")
    if not file.is_file() or file.stat().st_size == 0:
        return
    try:
        connection = sqlite3.connect(f"{file.as_uri()}?mode=ro", uri=True)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        if exc.sqlite_errorcode & 0xFF not in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
            return  # busy, locked, unreadable ...: opening it for real reports that
        raise StorageError(
            f"{file} is not an SQLite database or is damaged ({exc}); daggo changed nothing "
            "in it. Move the file away (daggo then creates a new database there), restore "
            "it from a backup, or point database.sqlite.path (DAGGO_SQLITE_PATH) at "
            "another file") from exc
