"""Daggo's settings: attrs classes with their rules, loaded from defaults, a TOML file and env.

Core names no backend: each storage backend (and any plugin) adds its own table with the
`daggo_config_sections` hook (`database.sqlite`, ...), loaded, checked
and redacted like core's; `cfg.database.sqlite.path` reads it.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import attrs

from daggo_core.config_loading import (
    Loaded,
    SettingsTree,
    attach_sections,
    config_error,
    load_settings,
    resolve_paths,
    sections_field,
    settings_tree,
)
from daggo_core.definitions.names import name_problem
from daggo_core.settings import (
    REDACTED,
    ConfigSection,
    InvalidValue,
    boolean,
    integer,
    number,
    setting,
    string,
    table,
)

__all__ = [
    "MIN_LOG_LINE_BYTES",
    "MIN_SECRET_KEY_CHARS",
    "OTHER_VARIABLES",
    "AdminConfig",
    "Config",
    "DatabaseConfig",
    "DeployConfig",
    "ExecutionConfig",
    "RetentionConfig",
    "SchedulerConfig",
    "config_to_dict",
    "default_config",
    "env_var_names",
    "installed_sections",
    "load_config",
    "redacted",
]

T = TypeVar("T")
logger = logging.getLogger("daggo.config")

#: The smallest line cap: room for the start of a line and the notice saying it was cut.
MIN_LOG_LINE_BYTES = 256

#: `DAGGO_*` variables that are not settings (no warning when set): the plugin block
#: list, the markers and descriptors a worker process is started with
#: (`execution.worker_process`, `execution.worker_stderr`), and a web process's link to
#: its primary (`web.processes`).
OTHER_VARIABLES = frozenset({"DAGGO_PLUGINS_BLOCK", "DAGGO_WORKER", "DAGGO_WORKER_RUN_ID",
                             "DAGGO_WORKER_DONE_FD", "DAGGO_WORKER_STDERR_FD",
                             "DAGGO_WEB_PROCESS", "DAGGO_WEB_PROCESS_KEY",
                             "DAGGO_WEB_PROCESS_PRIMARY"})

#: The shortest `admin.secret_key`: long enough that guessing it is hopeless.
MIN_SECRET_KEY_CHARS = 16

#: Settings that are planned but do nothing yet: setting one is refused, saying why.
PLANNED: dict[tuple[str, ...], str] = {
    ("execution", "queue_size"): "runs wait in the database, with no size limit",
}


def _tag_limits(value: Any) -> None:
    if not isinstance(value, Mapping):
        raise InvalidValue(f"expected a table of tag limits, got {value!r}")
    for name, limit in value.items():
        key, sep, tag_value = name.partition("=") if isinstance(name, str) else ("", "", "")
        if not key or (sep and not tag_value):
            raise InvalidValue(f'tag limit {name!r}: expected "key" or "key=value", both non-empty')
        try:
            integer(1)(limit)
        except InvalidValue as exc:
            raise InvalidValue(f"tag limit {name!r}: {exc}") from None


def _job_days(value: Any) -> None:
    if not isinstance(value, Mapping):
        raise InvalidValue(f"expected a table of job names to days, got {value!r}")
    for name, days in value.items():
        problem = name_problem("job", name)
        if problem is not None:
            raise InvalidValue(problem)
        try:
            integer(0)(days)
        except InvalidValue as exc:
            raise InvalidValue(f"job {name!r}: {exc} (0 keeps its runs)") from None


def _secret_key(value: Any) -> None:
    """A string long enough; the error never shows the value (it is a secret)."""
    if value is None:
        return
    if not isinstance(value, str):
        raise InvalidValue(f"expected a string, got a value of type {type(value).__name__}")
    if len(value) < MIN_SECRET_KEY_CHARS:
        raise InvalidValue(
            f"must be at least {MIN_SECRET_KEY_CHARS} characters, got {len(value)}; make one "
            "with: python -c 'import secrets; print(secrets.token_urlsafe(32))'")


# ---------------------------------------------------------------------------- settings


@attrs.define
class AdminConfig:
    """The admin web server (UI, RPC API, metrics and health check) and who may use it."""

    host: str = setting("127.0.0.1", string(nonempty=True))
    port: int = setting(8000, integer(1, 65535))
    #: Processes serving the port: the first also runs the runtime, the others answer
    #: requests only (`daggo_core.web.processes`).
    processes: int = setting(1, integer(1, 64))
    #: When set, every request but `/healthz` needs it (the `bearer` authenticator).
    secret_key: str | None = setting(None, _secret_key, secret=True)
    #: The authenticator (`daggo_authenticators`) that checks requests, by name.
    authenticator: str = setting("bearer", string(nonempty=True))


class _PluginTables:
    """A table that plugins add tables of their own to (its `sections`), read as
    attributes (`cfg.database.sqlite`) or with `section(name, settings)`."""

    _name: ClassVar[str]
    sections: dict[str, Any]

    def section(self, name: str, settings: type[T]) -> T:
        """The plugin's table `name` (the defaults of `settings` if it was not loaded)."""
        value = self.sections.get(name)
        if value is None:
            value = self.sections[name] = settings()
        if not isinstance(value, settings):
            raise TypeError(f"{self._name}.{name} holds {type(value).__name__}, not "
                            f"{settings.__name__}")
        return value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self.sections[name]
        except KeyError:
            installed = ", ".join(sorted(self.sections)) or "none"
            raise AttributeError(
                f"no setting or plugin table {name!r} in {self._name} (tables of installed "
                f"plugins: {installed})") from None


@attrs.define
class DatabaseConfig(_PluginTables):
    """Which storage backend to use; each backend's settings are a table of its own,
    added by its plugin (e.g. `database.sqlite`)."""

    _name: ClassVar[str] = "database"

    driver: str = setting("sqlite", string(nonempty=True))
    #: How long a write is retried while the database is unreachable, restarting, busy
    #: or locked, before it fails (a run then fails saying the database was unreachable).
    retry_seconds: float = setting(300.0, number(positive=False))
    sections: dict[str, Any] = sections_field()


@attrs.define
class ExecutionConfig(_PluginTables):
    """The executor, how much runs at once, how workers are watched and stopped (timeouts,
    cancellation), and how much captured output a run keeps; an executor plugin's own
    settings are a table of it (e.g. `execution.celery`)."""

    _name: ClassVar[str] = "execution"

    executor: str = setting("subprocess", string(nonempty=True))
    max_concurrent_runs: int = setting(4, integer(1))
    max_concurrent_steps: int = setting(8, integer(1))
    poll_interval_seconds: float = setting(0.1, number(positive=True))
    tag_limits: Mapping[str, int] = setting({}, _tag_limits)
    fair_share_tag: str | None = setting(None, string(optional=True, nonempty=True))
    heartbeat_interval_seconds: float = setting(3.0, number(positive=True))
    heartbeat_timeout_seconds: float = setting(30.0, number(positive=True))
    start_timeout_seconds: float = setting(60.0, number(positive=True))
    cancel_grace_seconds: float = setting(10.0, number(positive=False))
    warm_workers: int = setting(1, integer(0))
    run_timeout_seconds: float | None = setting(None, number(positive=True, optional=True))
    timeout_grace_seconds: float = setting(2.0, number(positive=False))
    max_log_line_bytes: int = setting(64 * 1024, integer(MIN_LOG_LINE_BYTES))
    max_run_log_bytes: int = setting(50 * 1024 * 1024, integer(MIN_LOG_LINE_BYTES))
    sections: dict[str, Any] = sections_field()


@attrs.define
class SchedulerConfig:
    """The cron scheduler, and what else launches runs: backfills and asset automation."""

    enabled: bool = setting(True, boolean)
    tick_interval_seconds: float = setting(1.0, number(positive=True))
    tick_history_days: int = setting(30, integer(0))
    backfill_batch_size: int = setting(500, integer(1, 10_000))
    backfill_interval_seconds: float = setting(1.0, number(positive=True))
    automation_interval_seconds: float = setting(1.0, number(positive=True))


@attrs.define
class RetentionConfig:
    """How long the history of finished runs is kept, and how the server purges it."""

    #: Finished runs older than this many days are purged; 0 keeps every run.
    run_days: int = setting(0, integer(0))
    #: Days by job name, instead of `run_days` for that job (0 keeps its runs).
    job_days: Mapping[str, int] = setting({}, _job_days)
    purge_interval_minutes: float = setting(60.0, number(positive=True))
    batch_size: int = setting(100, integer(1, 10_000))


@attrs.define
class DeployConfig:
    """Deploy drain: a server of a new `version` takes over claiming runs from the servers
    of other versions once their runs finished (see OPERATIONS.md, "Deploy drain")."""

    drain_enabled: bool = setting(False, boolean)
    #: How long the new version waits for the old versions' runs before handing them back.
    drain_timeout_seconds: float = setting(1800.0, number(positive=False))
    #: Servers that drain each other share a lock name; other apps on the database use
    #: another.
    lock_name: str = setting("daggo", string(nonempty=True))
    #: The deploy version of this server's code; not set: daggo's version.
    version: str | None = setting(None, string(optional=True, nonempty=True))

    @property
    def effective_version(self) -> str:
        """`version`, or daggo's version when it is not set."""
        from daggo_core import __version__

        return self.version or __version__


@attrs.define
class Config:
    """All of daggo's settings; `default_config()` or `load_config()` make one."""

    admin: AdminConfig = table(AdminConfig)
    database: DatabaseConfig = table(DatabaseConfig)
    execution: ExecutionConfig = table(ExecutionConfig)
    scheduler: SchedulerConfig = table(SchedulerConfig)
    retention: RetentionConfig = table(RetentionConfig)
    deploy: DeployConfig = table(DeployConfig)
    disable_ui: bool = setting(False, boolean)
    app: str | None = setting(None, string(optional=True))


#: A heartbeat timeout spans at least this many heartbeat intervals.
HEARTBEATS_PER_TIMEOUT = 3
_HEARTBEAT_INTERVAL = ("execution", "heartbeat_interval_seconds")
_HEARTBEAT_TIMEOUT = ("execution", "heartbeat_timeout_seconds")
_MAX_LOG_LINE = ("execution", "max_log_line_bytes")
_MAX_RUN_LOG = ("execution", "max_run_log_bytes")


# ---------------------------------------------------------------------------- public API


def installed_sections() -> list[ConfigSection]:
    """The config sections of the installed plugins (`daggo_config_sections`)."""
    from daggo_core.plugins import make_plugin_manager  # the entry points, on first use

    return list(make_plugin_manager().config_sections().values())


def default_config(sections: Sequence[ConfigSection] | None = None) -> Config:
    """A Config with every setting at its default, with the tables of `sections`
    (default: those of the installed plugins)."""
    tree = _tree(sections)
    cfg = Config()
    attach_sections(cfg, {path: cls() for path, cls in tree.sections.items()})
    return cfg


def env_var_names(sections: Sequence[ConfigSection] | None = None) -> dict[str, str]:
    """The environment variable for each setting, keyed by dotted path (`admin.port`)."""
    return {".".join(path): name for path, name in _tree(sections).env_names.items()}


def config_to_dict(cfg: Config) -> dict[str, Any]:
    """The whole config as nested plain dicts, plugins' tables included, secrets too."""
    return _to_dict(cfg, redact=False)


def redacted(cfg: Config) -> dict[str, Any]:
    """Like `config_to_dict`, with every secret that is set replaced by "********"."""
    return _to_dict(cfg, redact=True)


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    sections: Sequence[ConfigSection] | None = None,
) -> Config:
    """Defaults, then a file (`path`, else `daggo.toml`, else `[tool.daggo]` in pyproject.toml
    in `cwd`), then `DAGGO_*` variables from `env` (default `os.environ`).

    The tables of `sections` (default: those of the installed plugins) are loaded with
    core's. Raises one ConfigError listing every problem, each naming the setting and its
    source; a `DAGGO_*` variable that is no setting is logged as a warning.
    """
    tree = _tree(sections)
    loaded = load_settings(tree, path, env=os.environ if env is None else env, cwd=cwd,
                           other_variables=OTHER_VARIABLES)
    cfg: Config = loaded.value
    problems = list(_inconsistencies(
        cfg, loaded, installed_sections() if sections is None else sections))
    if problems:
        raise config_error(problems)
    resolve_paths(tree, loaded, cwd)
    for warning in loaded.warnings:
        logger.warning("%s", warning)
    return cfg


# ---------------------------------------------------------------------------- helpers


def _tree(sections: Sequence[ConfigSection] | None) -> SettingsTree:
    return _tree_of(tuple(installed_sections() if sections is None else sections))


@functools.cache
def _tree_of(sections: tuple[ConfigSection, ...]) -> SettingsTree:
    """The settings tree with `sections`, built once (it compiles a converter)."""
    return settings_tree(Config, "DAGGO_", sections=sections, planned=PLANNED)


def _inconsistencies(cfg: Config, loaded: Loaded,
                     sections: Sequence[ConfigSection]) -> Iterator[str]:
    """Rules between settings, checked once every setting is valid on its own: core's,
    then those of the plugins' tables."""
    interval = cfg.execution.heartbeat_interval_seconds
    timeout = cfg.execution.heartbeat_timeout_seconds
    if timeout < HEARTBEATS_PER_TIMEOUT * interval:
        yield (
            f"execution.heartbeat_timeout_seconds (from {loaded.source_of(_HEARTBEAT_TIMEOUT)}):"
            f" must be at least {HEARTBEATS_PER_TIMEOUT} times execution.heartbeat_interval_"
            f"seconds ({interval}, from {loaded.source_of(_HEARTBEAT_INTERVAL)}), so that a "
            f"few late heartbeats do not make a live run lost; got {timeout}"
        )
    line, run = cfg.execution.max_log_line_bytes, cfg.execution.max_run_log_bytes
    if run < line:
        yield (
            f"execution.max_run_log_bytes (from {loaded.source_of(_MAX_RUN_LOG)}): must be at"
            f" least execution.max_log_line_bytes ({line}, from"
            f" {loaded.source_of(_MAX_LOG_LINE)}), got {run}; raise it or lower the line cap"
        )
    for section in sections:
        if section.rules is not None:
            yield from section.rules(cfg)


def _to_dict(obj: Any, *, redact: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in attrs.fields(type(obj)):
        value = getattr(obj, f.name)
        if f.metadata.get("sections"):
            out.update({name: _to_dict(table, redact=redact) for name, table in value.items()})
        elif attrs.has(type(value)):
            out[f.name] = _to_dict(value, redact=redact)
        elif redact and f.metadata.get("secret") and value:
            out[f.name] = REDACTED
        else:
            out[f.name] = dict(value) if isinstance(value, Mapping) else value
    return out
