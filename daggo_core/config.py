"""Daggo's settings: attrs classes with their rules, loaded from defaults, a TOML file and env."""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError
from cattrs.gen import make_dict_structure_fn, override

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

_ENV_PREFIX = "DAGGO_"
_REDACTED = "********"
_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})

Check = Callable[[Any], None]


class _Invalid(ValueError):
    """A value breaks its setting's rule; the message says how, not which setting."""


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


def _number(*, positive: bool) -> Check:
    def check(value: Any) -> None:
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


def _rule(field: attrs.Attribute[Any]) -> Check:
    """A setting's rule from its metadata; a table (nested config class) checks its type."""
    rule: Check | None = field.metadata.get("check")
    if rule is not None:
        return rule
    table: Any = field.type

    def check(value: Any) -> None:
        if not isinstance(value, table):
            raise _Invalid(f"expected a table, got {value!r}")

    return check


def _validate(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator (on init and setattr): apply the field's rule, naming the setting."""
    try:
        _rule(attribute)(value)
    except _Invalid as exc:
        raise ConfigError(f"{_PREFIX.get(type(inst), '')}{attribute.name}: {exc}") from None


def _mask(value: Any) -> str:
    return repr(_REDACTED) if value else repr(value)


def _setting(default: Any, check: Check, *, secret: bool = False) -> Any:
    metadata: dict[str, Any] = {"check": check}
    if secret:
        metadata["secret"] = True
    return attrs.field(
        default=default, validator=_validate, metadata=metadata, repr=_mask if secret else True
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
    """The executor and how much runs at once."""

    executor: str = _setting("in_process", _str(nonempty=True))
    max_concurrent_runs: int = _setting(4, _int(1))
    max_concurrent_steps: int = _setting(8, _int(1))
    queue_size: int = _setting(1000, _int(1))
    poll_interval_seconds: float = _setting(0.5, _number(positive=True))


@attrs.define
class SchedulerConfig:
    """The cron scheduler."""

    enabled: bool = _setting(True, _bool)
    tick_interval_seconds: float = _setting(1.0, _number(positive=True))


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


def _tables(cls: type, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], type]]:
    attrs.resolve_types(cls)
    yield prefix, cls
    for f in attrs.fields(cls):
        if isinstance(f.type, type) and attrs.has(f.type):
            yield from _tables(f.type, (*prefix, f.name))


def _leaves() -> Iterator[tuple[str, ...]]:
    for prefix, cls in _TABLES:
        for f in attrs.fields(cls):
            if not attrs.has(f.type):
                yield (*prefix, f.name)


_TABLES: tuple[tuple[tuple[str, ...], type], ...] = tuple(_tables(Config))
_PREFIX: dict[type, str] = {cls: "".join(f"{p}." for p in path) for path, cls in _TABLES}
_SETTINGS: tuple[tuple[str, ...], ...] = tuple(_leaves())
# The innermost table plus the field: admin.port -> ADMIN_PORT, database.sqlite.path -> SQLITE_PATH.
_ENV_NAMES: dict[tuple[str, ...], str] = {
    path: _ENV_PREFIX + "_".join(path[-2:]).upper() for path in _SETTINGS
}
_SQLITE_PATH = ("database", "sqlite", "path")


# ---------------------------------------------------------------------------- converter


def _structure_bool(value: Any, _: type) -> Any:
    if not isinstance(value, str):
        return value
    word = value.strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise _Invalid(f"expected a boolean (true/false, 1/0, yes/no, on/off), got {value!r}")


def _structure_int(value: Any, _: type) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return int(value.strip())
    except ValueError:
        raise _Invalid(f"expected an integer, got {value!r}") from None


def _structure_float(value: Any, _: type) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return value
    try:
        return float(value.strip())
    except ValueError:
        raise _Invalid(f"expected a number, got {value!r}") from None


def _structure_optional_str(value: Any, _: type) -> Any:
    return None if value == "" else value


def _field_hook(conv: cattrs.Converter, field: attrs.Attribute[Any]) -> Any:
    check = _rule(field)
    kind: Any = field.type

    def hook(value: Any, _: type) -> Any:
        value = conv.structure(value, kind)
        check(value)
        return value

    return hook


def _configure_table(conv: cattrs.Converter, cls: type) -> None:
    hooks = {f.name: override(struct_hook=_field_hook(conv, f)) for f in attrs.fields(cls)}
    structure = make_dict_structure_fn(
        cls, conv, _cattrs_forbid_extra_keys=True, _cattrs_detailed_validation=True, **hooks
    )

    def hook(value: Any, _: type) -> Any:
        if not isinstance(value, Mapping):
            raise _Invalid(f"expected a table, got {value!r}")
        return structure(value, cls)

    conv.register_structure_hook(cls, hook)


def _make_converter() -> cattrs.Converter:
    """Strings (from env) become bools, ints and floats; each field's rule runs as it is read."""
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook(str, lambda value, _: value)
    conv.register_structure_hook(str | None, _structure_optional_str)
    for _, cls in _TABLES:
        _configure_table(conv, cls)
    return conv


_converter = _make_converter()


# ---------------------------------------------------------------------------- public API


def default_config() -> Config:
    """A Config with every setting at its default."""
    return Config()


def env_var_names() -> dict[str, str]:
    """The environment variable for each setting, keyed by dotted path (`admin.port`)."""
    return {".".join(path): name for path, name in _ENV_NAMES.items()}


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
    env = os.environ if env is None else env
    raw, label, file = _read_file(path, cwd)
    sources: dict[tuple[str, ...], str] = {}
    if label is not None:
        _record_sources(raw, (), label, sources)
    for setting, name in _ENV_NAMES.items():
        if name in env:
            _put(raw, setting, env[name])
            sources[setting] = name
    try:
        cfg = _converter.structure(raw, Config)
    except (ClassValidationError, _Invalid) as exc:
        raise _load_error(exc, sources, label) from None
    from_file = label is not None and sources.get(_SQLITE_PATH) == label
    _resolve_sqlite_path(cfg.database.sqlite, file.parent if from_file and file else cwd)
    return cfg


# ---------------------------------------------------------------------------- loading


def _parse_toml(file: Path) -> dict[str, Any]:
    try:
        with file.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read config file: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: invalid TOML: {exc}") from None


def _read_file(
    path: str | os.PathLike[str] | None, cwd: Path | None
) -> tuple[dict[str, Any], str | None, Path | None]:
    """The file layer's raw settings, its label for messages and the file (None: no file)."""
    base = Path.cwd() if cwd is None else cwd
    if path is not None:
        file = (base / path).absolute()
        if file.name != "pyproject.toml":
            return _parse_toml(file), str(file), file
    elif (base / "daggo.toml").is_file():
        file = (base / "daggo.toml").absolute()
        return _parse_toml(file), str(file), file
    elif (base / "pyproject.toml").is_file():
        file = (base / "pyproject.toml").absolute()
    else:
        return {}, None, None
    tool = _parse_toml(file).get("tool")
    table = tool.get("daggo") if isinstance(tool, dict) else None
    label = f"{file} [tool.daggo]"
    if table is None:
        if path is not None:
            raise ConfigError(f"{file}: no [tool.daggo] table")
        return {}, None, None
    if not isinstance(table, dict):
        raise ConfigError(f"{label}: must be a table, got {table!r}")
    return table, label, file


def _record_sources(
    raw: Mapping[str, Any], prefix: tuple[str, ...], label: str, out: dict[tuple[str, ...], str]
) -> None:
    for key, value in raw.items():
        if isinstance(value, dict):
            _record_sources(value, (*prefix, key), label, out)
        else:
            out[(*prefix, key)] = label


def _put(raw: dict[str, Any], path: tuple[str, ...], value: str) -> None:
    node = raw
    for key in path[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            return  # the file set a table to a scalar; that error is reported instead
    node[path[-1]] = value


def _problems(
    exc: BaseException, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], str | None]]:
    """(setting path, reason) pairs from a cattrs error tree; reason None means unknown key."""
    if isinstance(exc, ClassValidationError):
        with_notes, others = exc.group_exceptions()
        for sub, note in with_notes:
            yield from _problems(sub, (*path, note.name))
        for sub in others:
            yield from _problems(sub, path)
    elif isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields):
            yield (*path, key), None
    else:
        yield path, str(exc)


def _load_error(
    exc: BaseException, sources: Mapping[tuple[str, ...], str], label: str | None
) -> ConfigError:
    known = [".".join(p) for p in _SETTINGS] + [".".join(p) for p, _ in _TABLES if p]
    lines = []
    for path, reason in _problems(exc, ()):
        dotted = ".".join(path)
        if reason is None:
            close = difflib.get_close_matches(dotted, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            lines.append(f"{label}: unknown setting {dotted!r}{hint}")
        else:
            lines.append(f"{dotted} (from {sources.get(path, label)}): {reason}")
    noun = "problem" if len(lines) == 1 else "problems"
    body = "\n".join(f"  - {line}" for line in lines)
    return ConfigError(f"invalid configuration ({len(lines)} {noun}):\n{body}")


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
            out[f.name] = value
    return out
