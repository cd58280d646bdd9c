"""The `database.sqlite` settings, added to daggo's configuration by this plugin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from daggo_core.settings import ConfigSection, integer, setting, string

if TYPE_CHECKING:
    from daggo_core.config import Config

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


#: A heartbeat timeout spans at least this many lock waits: a worker's heartbeat may wait
#: for the write lock once or twice (behind a long write of another process) and still be
#: on time.
LOCK_WAITS_PER_HEARTBEAT_TIMEOUT = 2


def lock_wait_rules(cfg: Config) -> Iterator[str]:
    """On SQLite, the heartbeat timeout must outlast a few waits for the write lock."""
    if cfg.database.driver != "sqlite":
        return
    busy_ms = cfg.database.section("sqlite", SQLiteConfig).busy_timeout_ms
    timeout = cfg.execution.heartbeat_timeout_seconds
    if timeout * 1000 < LOCK_WAITS_PER_HEARTBEAT_TIMEOUT * busy_ms:
        yield (f"execution.heartbeat_timeout_seconds ({timeout:g}) must be at least "
               f"{LOCK_WAITS_PER_HEARTBEAT_TIMEOUT} times database.sqlite.busy_timeout_ms "
               f"({busy_ms} ms): a heartbeat waiting for the write lock would otherwise make "
               "a live run lost. Raise the timeout or lower the busy timeout")


SECTION = ConfigSection(name="database.sqlite", settings=SQLiteConfig,
                        description="the SQLite database file and its lock timeout",
                        rules=lock_wait_rules)
