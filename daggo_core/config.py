"""Daggo's settings: attrs classes with their rules, loaded from defaults, a TOML file and env."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from daggo_core.config_loading import (
    Check,
    Loaded,
    config_error,
    load_settings,
    rule_of,
    settings_tree,
)
from daggo_core.config_loading import InvalidValue as _Invalid
from daggo_core.errors import ConfigError

__all__ = [
    "AdminConfig",
    "Config",
    "DatabaseConfig",
    "DeployConfig",
    "ExecutionConfig",
    "PostgresConfig",
    "RetentionConfig",
    "SQLiteConfig",
    "SchedulerConfig",
    "config_to_dict",
    "default_config",
    "env_var_names",
    "load_config",
    "redacted",
]

_REDACTED = "********"
_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# ---------------------------------------------------------------------------- rules


def _int(lo: int, hi: int | None = None) -> Check:
    def check(value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(f"expected an integer, got {value!r}")
        if hi is not None and not lo <= value <= hi:
            raise _Invalid(f"must be between {lo} and {hi}, got {value}")
        if value < lo:
            raise _Invalid(f"must be at least {lo}, got {value}")

    return check


def _number(*, positive: bool, optional: bool = False) -> Check:
    def check(value: Any) -> None:
        if value is None and optional:
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid(f"expected a number, got {value!r}")
        if not math.isfinite(value):
            raise _Invalid(f"expected a finite number, got {value!r}")
        if positive and value <= 0:
            raise _Invalid(f"must be greater than 0, got {value}")
        if value < 0:
            raise _Invalid(f"must be at least 0, got {value}")

    return check


def _bool(value: Any) -> None:
    if not isinstance(value, bool):
        raise _Invalid(f"expected a boolean, got {value!r}")


def _str(
    *, optional: bool = False, nonempty: bool = False, choices: tuple[str, ...] = ()
) -> Check:
    def check(value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str):
            raise _Invalid(f"expected a string, got {value!r}")
        if nonempty and not value:
            raise _Invalid("must not be empty")
        if choices and value not in choices:
            raise _Invalid(f"must be one of {', '.join(choices)}; got {value!r}")

    return check


def _identifier(value: Any) -> None:
    _str()(value)
    if not _IDENTIFIER.fullmatch(value):
        raise _Invalid(
            f"must be an identifier (letters, digits, _; not starting with a digit), got {value!r}"
        )


def _tag_limits(value: Any) -> None:
    if not isinstance(value, Mapping):
        raise _Invalid(f"expected a table of tag limits, got {value!r}")
    for name, limit in value.items():
        key, sep, tag_value = name.partition("=") if isinstance(name, str) else ("", "", "")
        if not key or (sep and not tag_value):
            raise _Invalid(f'tag limit {name!r}: expected "key" or "key=value", both non-empty')
        try:
            _int(1)(limit)
        except _Invalid as exc:
            raise _Invalid(f"tag limit {name!r}: {exc}") from None


def _validate(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator (on init and setattr): apply the field's rule, naming the setting."""
    try:
        rule_of(attribute)(value)
    except _Invalid as exc:
        raise ConfigError(f"{_PREFIX.get(type(inst), '')}{attribute.name}: {exc}") from None


def _mask(value: Any) -> str:
    return repr(_REDACTED) if value else repr(value)


def _setting(default: Any, check: Check, *, secret: bool = False) -> Any:
    """A setting; a mutable default (a dict) is copied for each instance."""
    metadata: dict[str, Any] = {"check": check}
    if secret:
        metadata["secret"] = True
    initial = attrs.Factory(default.copy) if isinstance(default, dict) else default
    return attrs.field(
        default=initial, validator=_validate, metadata=metadata, repr=_mask if secret else True
    )


# ---------------------------------------------------------------------------- settings


@attrs.define
class AdminConfig:
    """The admin web server (UI and RPC)."""

    host: str = _setting("127.0.0.1", _str(nonempty=True))
    port: int = _setting(8000, _int(1, 65535))
    secret_key: str | None = _setting(None, _str(optional=True), secret=True)


@attrs.define
class SQLiteConfig:
    """The SQLite storage backend."""

    path: str = _setting(".daggo/daggo.sqlite", _str(nonempty=True))
    busy_timeout_ms: int = _setting(5000, _int(0))


@attrs.define
class PostgresConfig:
    """The PostgreSQL storage backend (used when `database.driver = "postgres"`)."""

    host: str = _setting("127.0.0.1", _str())
    port: int = _setting(5432, _int(1, 65535))
    user: str = _setting("postgres", _str())
    password: str = _setting("", _str(), secret=True)
    database: str = _setting("postgres", _str())
    schema: str = _setting("public", _identifier)
    sslmode: str = _setting("prefer", _str(choices=_SSL_MODES))
    dsn: str | None = _setting(None, _str(optional=True), secret=True)


@attrs.define
class DatabaseConfig:
    """Which storage backend to use, and each backend's settings."""

    driver: str = _setting("sqlite", _str(nonempty=True))
    sqlite: SQLiteConfig = attrs.field(factory=SQLiteConfig, validator=_validate)
    postgres: PostgresConfig = attrs.field(factory=PostgresConfig, validator=_validate)


@attrs.define
class ExecutionConfig:
    """The executor, how much runs at once, and how workers are watched and stopped."""

    executor: str = _setting("subprocess", _str(nonempty=True))
    max_concurrent_runs: int = _setting(4, _int(1))
    max_concurrent_steps: int = _setting(8, _int(1))
    queue_size: int = _setting(1000, _int(1))
    poll_interval_seconds: float = _setting(0.1, _number(positive=True))
    tag_limits: Mapping[str, int] = _setting({}, _tag_limits)
    fair_share_tag: str | None = _setting(None, _str(optional=True, nonempty=True))
    heartbeat_interval_seconds: float = _setting(2.0, _number(positive=True))
    heartbeat_timeout_seconds: float = _setting(3.0, _number(positive=True))
    cancel_grace_seconds: float = _setting(10.0, _number(positive=False))
    warm_workers: int = _setting(1, _int(0))
    run_timeout_seconds: float | None = _setting(None, _number(positive=True, optional=True))


@attrs.define
class SchedulerConfig:
    """The cron scheduler."""

    enabled: bool = _setting(True, _bool)
    tick_interval_seconds: float = _setting(1.0, _number(positive=True))
    tick_history_days: int = _setting(30, _int(0))


@attrs.define
class DeployConfig:
    """Deploy-drain coordination between an old and a new server."""

    drain_enabled: bool = _setting(True, _bool)
    drain_timeout_seconds: float = _setting(600.0, _number(positive=False))
    lock_name: str = _setting("daggo-deploy", _str(nonempty=True))


@attrs.define
class RetentionConfig:
    """Automatic purging of old run history."""

    run_days: int = _setting(0, _int(0))
    purge_interval_minutes: int = _setting(60, _int(1))
    batch_size: int = _setting(1000, _int(1))


@attrs.define
class Config:
    """All of daggo's settings; `default_config()` or `load_config()` make one."""

    admin: AdminConfig = attrs.field(factory=AdminConfig, validator=_validate)
    database: DatabaseConfig = attrs.field(factory=DatabaseConfig, validator=_validate)
    execution: ExecutionConfig = attrs.field(factory=ExecutionConfig, validator=_validate)
    scheduler: SchedulerConfig = attrs.field(factory=SchedulerConfig, validator=_validate)
    deploy: DeployConfig = attrs.field(factory=DeployConfig, validator=_validate)
    retention: RetentionConfig = attrs.field(factory=RetentionConfig, validator=_validate)
    disable_ui: bool = _setting(False, _bool)
    app: str | None = _setting(None, _str(optional=True))


_TREE = settings_tree(Config, "DAGGO_")
_PREFIX: dict[type, str] = {cls: "".join(f"{p}." for p in path) for path, cls in _TREE.tables}
_SQLITE_PATH = ("database", "sqlite", "path")
_HEARTBEAT_INTERVAL = ("execution", "heartbeat_interval_seconds")
_HEARTBEAT_TIMEOUT = ("execution", "heartbeat_timeout_seconds")


# ---------------------------------------------------------------------------- public API


def default_config() -> Config:
    """A Config with every setting at its default."""
    return Config()


def env_var_names() -> dict[str, str]:
    """The environment variable for each setting, keyed by dotted path (`admin.port`)."""
    return {".".join(path): name for path, name in _TREE.env_names.items()}


def config_to_dict(cfg: Config) -> dict[str, Any]:
    """The whole config as nested plain dicts, secrets included."""
    return _to_dict(cfg, redact=False)


def redacted(cfg: Config) -> dict[str, Any]:
    """Like `config_to_dict`, with every secret that is set replaced by "********"."""
    return _to_dict(cfg, redact=True)


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Config:
    """Defaults, then a file (`path`, else `daggo.toml`, else `[tool.daggo]` in pyproject.toml
    in `cwd`), then `DAGGO_*` variables from `env` (default `os.environ`).

    Raises one ConfigError listing every problem, each naming the setting and its source.
    """
    loaded = load_settings(_TREE, path, env=os.environ if env is None else env, cwd=cwd)
    cfg: Config = loaded.value
    problems = list(_inconsistencies(cfg, loaded))
    if problems:
        raise config_error(problems)
    from_file = loaded.label is not None and loaded.sources.get(_SQLITE_PATH) == loaded.label
    base = loaded.file.parent if from_file and loaded.file else cwd
    _resolve_sqlite_path(cfg.database.sqlite, base)
    return cfg


# ---------------------------------------------------------------------------- helpers


def _inconsistencies(cfg: Config, loaded: Loaded) -> Iterator[str]:
    """Rules between settings, checked once every setting is valid on its own."""
    interval = cfg.execution.heartbeat_interval_seconds
    timeout = cfg.execution.heartbeat_timeout_seconds
    if timeout <= interval:
        yield (
            f"execution.heartbeat_timeout_seconds (from {loaded.source_of(_HEARTBEAT_TIMEOUT)}):"
            f" must be greater than execution.heartbeat_interval_seconds ({interval}, from"
            f" {loaded.source_of(_HEARTBEAT_INTERVAL)}), got {timeout}"
        )


def _resolve_sqlite_path(sqlite: SQLiteConfig, base: Path | None) -> None:
    """Make a relative SQLite path relative to `base` (the file's folder, or `cwd`)."""
    if base is None or sqlite.path == ":memory:" or sqlite.path.startswith("file:"):
        return
    sqlite.path = str(base / Path(sqlite.path).expanduser())


def _to_dict(obj: Any, *, redact: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in attrs.fields(type(obj)):
        value = getattr(obj, f.name)
        if attrs.has(type(value)):
            out[f.name] = _to_dict(value, redact=redact)
        elif redact and f.metadata.get("secret") and value:
            out[f.name] = _REDACTED
        else:
            out[f.name] = dict(value) if isinstance(value, Mapping) else value
    return out
