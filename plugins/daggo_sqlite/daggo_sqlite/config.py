"""The `database.sqlite` settings, added to daggo's configuration by this plugin."""

from __future__ import annotations

from pathlib import Path

import attrs

from daggo_core.settings import ConfigSection, integer, setting, string

__all__ = ["MEMORY_PATH", "SECTION", "SQLiteConfig", "resolve_database_path"]

#: The path of a private in-memory database.
MEMORY_PATH = ":memory:"


def resolve_database_path(path: str, base: Path) -> str:
    """A relative database path under `base`; `:memory:` and `file:` URIs stay as given."""
    if path == MEMORY_PATH or path.startswith("file:"):
        return path
    return str(base / Path(path).expanduser())


@attrs.define
class SQLiteConfig:
    """The SQLite storage backend (used when `database.driver = "sqlite"`)."""

    path: str = setting(".daggo/daggo.sqlite", string(nonempty=True),
                        resolve_path=resolve_database_path)
    busy_timeout_ms: int = setting(5000, integer(0))


SECTION = ConfigSection(name="database.sqlite", settings=SQLiteConfig,
                        description="the SQLite database file and its lock timeout")
