"""Connection settings for psycopg: the conninfo string and a password-free description."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from daggo_core.errors import StorageError

if TYPE_CHECKING:
    from daggo_postgres.config import PostgresConfig

__all__ = ["APPLICATION_NAME", "connection_error", "conninfo", "describe", "is_transient"]

APPLICATION_NAME = "daggo"
#: Connection settings daggo adds unless the DSN sets them: a name, a connect timeout,
#: TCP keepalives and a user timeout so that a connection to a vanished peer fails in
#: about half a minute instead of hanging, and a server-side limit on a transaction left
#: open (a worker stopped inside one) so that its row locks are not held for ever.
_DEFAULTS: dict[str, Any] = {
    "application_name": APPLICATION_NAME,
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
    "options": "-c idle_in_transaction_session_timeout=60000",
}


def conninfo(pg: PostgresConfig) -> str:
    """The libpq connection string for `pg`.

    A `dsn` (URL or `key=value` string) supplies every connection parameter by itself;
    otherwise host, port, user, password, database and sslmode are used. `schema` is
    never part of it: daggo sets `search_path` on each connection instead.
    """
    if pg.dsn:
        given = conninfo_to_dict(pg.dsn)
        return make_conninfo(pg.dsn, **{k: v for k, v in _DEFAULTS.items() if k not in given})
    return make_conninfo(
        host=pg.host, port=pg.port, user=pg.user, password=pg.password or None,
        dbname=pg.database, sslmode=pg.sslmode, **_DEFAULTS,
    )


def describe(info: str, schema: str) -> str:
    """`host:port, database 'db' (schema 's')` from a conninfo, without user or password."""
    params = conninfo_to_dict(info)
    host = params.get("host") or params.get("hostaddr") or "localhost"
    port = params.get("port") or 5432
    database = params.get("dbname") or params.get("user") or "?"
    return f"{host}:{port}, database {database!r} (schema {schema!r})"


#: SQLSTATEs of transactions PostgreSQL rolled back and that may be retried as they are:
#: serialization failure, deadlock, the server shutting down, restarting or crashed, too
#: many connections.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "57P01", "57P02", "57P03", "53300"})


#: What the server answers, when refusing a connection, that may pass if tried again.
_TRANSIENT_REFUSALS = ("starting up", "shutting down", "recovery mode", "too many clients",
                       "terminating connection", "not yet accepting connections")


def is_transient(sqlstate: str | None, message: str) -> bool:
    """Whether an OperationalError may pass if tried again: a connection exception, the
    server shutting down or starting, a deadlock or serialization failure; and, without
    a SQLSTATE (the client could not connect, or the connection was cut), any failure but
    the server's own refusal (`FATAL:`: an unknown database or role, a wrong password),
    unless it refused because it is starting, stopping or full."""
    if sqlstate is None:
        return "FATAL:" not in message or any(p in message for p in _TRANSIENT_REFUSALS)
    return sqlstate.startswith("08") or sqlstate in _RETRYABLE_SQLSTATES


def connection_error(action: str, info: str, schema: str, exc: Exception) -> StorageError:
    """A StorageError for a failure at start-up naming the target but never the password."""
    message = " ".join(str(exc).split())
    password = conninfo_to_dict(info).get("password")
    if password:
        message = message.replace(str(password), "********")
    # Refused or cut connections and a server starting or stopping may pass: the caller
    # may try again (see `daggo_core.storage.patience`).
    transient = isinstance(exc, psycopg.OperationalError) and is_transient(exc.sqlstate,
                                                                           str(exc))
    return StorageError(f"could not {action} PostgreSQL at {describe(info, schema)}: {message}",
                        transient=transient)
