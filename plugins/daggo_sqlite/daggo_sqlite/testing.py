"""Helpers for tests on SQLite: a database config for a file."""

from __future__ import annotations

from pathlib import Path

from daggo_core.config import DatabaseConfig
from daggo_sqlite.config import SQLiteConfig

__all__ = ["database_config"]


def database_config(path: str | Path, *, busy_timeout_ms: int = 5000) -> DatabaseConfig:
    """A config selecting the sqlite backend on the file at `path`."""
    return DatabaseConfig(driver="sqlite", sections={
        "sqlite": SQLiteConfig(path=str(path), busy_timeout_ms=busy_timeout_ms)})
