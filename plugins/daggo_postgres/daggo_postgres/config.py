"""The `database.postgres` settings, added to daggo's configuration by this plugin."""

from __future__ import annotations

import attrs

from daggo_core.settings import ConfigSection, identifier, integer, setting, string

__all__ = ["SECTION", "PostgresConfig"]

_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


@attrs.define
class PostgresConfig:
    """The PostgreSQL storage backend (used when `database.driver = "postgres"`)."""

    host: str = setting("127.0.0.1", string())
    port: int = setting(5432, integer(1, 65535))
    user: str = setting("postgres", string())
    password: str = setting("", string(), secret=True)
    database: str = setting("postgres", string())
    schema: str = setting("public", identifier)
    sslmode: str = setting("prefer", string(choices=_SSL_MODES))
    dsn: str | None = setting(None, string(optional=True), secret=True)


SECTION = ConfigSection(name="database.postgres", settings=PostgresConfig,
                        description="the PostgreSQL server, database and schema")
