"""Tests for daggo_core.config: defaults, file and env layers, errors, redaction."""

from __future__ import annotations

import json
import re
from pathlib import Path

import attrs
import pytest
from daggo_celery.config import CeleryConfig

import daggo_core
from daggo_core.config import (
    AdminConfig,
    Config,
    config_to_dict,
    default_config,
    env_var_names,
    installed_sections,
    load_config,
    redacted,
)
from daggo_core.errors import ConfigError
from daggo_core.settings import ConfigSection, integer, setting, string
from daggo_postgres.config import PostgresConfig
from daggo_sqlite.config import SQLiteConfig

DEFAULTS = {
    "admin": {"host": "127.0.0.1", "port": 8000, "processes": 1, "secret_key": None,
              "authenticator": "bearer"},
    "database": {
        "driver": "sqlite",
        "retry_seconds": 300.0,
        "sqlite": {"path": ".daggo/daggo.sqlite", "busy_timeout_ms": 5000},
        "postgres": {
            "host": "127.0.0.1",
            "port": 5432,
            "user": "postgres",
            "password": "",
            "database": "postgres",
            "schema": "public",
            "sslmode": "prefer",
            "dsn": None,
        },
    },
    "execution": {
        "executor": "subprocess",
        "max_concurrent_runs": 4,
        "max_concurrent_steps": 8,
        "poll_interval_seconds": 0.1,
        "tag_limits": {},
        "fair_share_tag": None,
        "heartbeat_interval_seconds": 3.0,
        "heartbeat_timeout_seconds": 30.0,
        "start_timeout_seconds": 60.0,
        "cancel_grace_seconds": 10.0,
        "warm_workers": 1,
        "run_timeout_seconds": None,
        "timeout_grace_seconds": 2.0,
        "max_log_line_bytes": 65536,
        "max_run_log_bytes": 52428800,
        "celery": {"broker_url": "redis://127.0.0.1:6379/0", "default_queue": "daggo",
                   "job_queues": {}, "tag_queues": {}, "visibility_timeout_seconds": 3600.0,
                   "concurrency": 1},
    },
    "scheduler": {"enabled": True, "tick_interval_seconds": 1.0, "tick_history_days": 30,
                  "backfill_batch_size": 500, "backfill_interval_seconds": 1.0,
                  "automation_interval_seconds": 1.0},
    "retention": {"run_days": 0, "job_days": {}, "purge_interval_minutes": 60.0,
                  "batch_size": 100},
    "deploy": {"drain_enabled": False, "drain_timeout_seconds": 1800.0, "lock_name": "daggo",
               "version": None},
    "disable_ui": False,
    "app": None,
}

# Settings whose value is a dict: set as a whole, not tables of settings.
DICT_SETTINGS = {"execution.tag_limits", "retention.job_days", "execution.celery.job_queues",
                 "execution.celery.tag_queues"}

# One non-default value for every setting, written as TOML.
ALL_AREAS_TOML = """\
disable_ui = true
app = "shop.jobs:defs"

[admin]
host = "0.0.0.0"
port = 8080
processes = 4
secret_key = "s3cr3t-of-16-chars"
authenticator = "oidc"

[database]
driver = "postgres"
retry_seconds = 60

[database.sqlite]
path = "/var/lib/daggo/db.sqlite"
busy_timeout_ms = 100

[database.postgres]
host = "db.internal"
port = 6543
user = "daggo"
password = "pw"
database = "daggo"
schema = "daggo_schema"
sslmode = "verify-full"
dsn = "postgresql://daggo@db/daggo"

[execution]
executor = "celery"
max_concurrent_runs = 2
max_concurrent_steps = 3
poll_interval_seconds = 0.25
fair_share_tag = "customer"
heartbeat_interval_seconds = 3
heartbeat_timeout_seconds = 12.5
start_timeout_seconds = 90
cancel_grace_seconds = 0
warm_workers = 4
run_timeout_seconds = 3600
timeout_grace_seconds = 0.5
max_log_line_bytes = 1024
max_run_log_bytes = 1048576

[execution.tag_limits]
warehouse = 2
"customer=acme" = 1

[execution.celery]
broker_url = "amqp://guest:guest@rabbit.internal:5672//"
default_queue = "runs"
visibility_timeout_seconds = 600
concurrency = 3

[execution.celery.job_queues]
nightly = "heavy"

[execution.celery.tag_queues]
"team=ml" = "gpu"

[scheduler]
enabled = false
tick_interval_seconds = 5

[retention]
run_days = 30
purge_interval_minutes = 15
batch_size = 500

[retention.job_days]
nightly = 90
audit = 0

[deploy]
drain_enabled = true
drain_timeout_seconds = 600
lock_name = "shop"
version = "2026.01.2"
"""

ALL_AREAS = {
    "admin": {"host": "0.0.0.0", "port": 8080, "processes": 4,
              "secret_key": "s3cr3t-of-16-chars",
              "authenticator": "oidc"},
    "database": {
        "driver": "postgres",
        "retry_seconds": 60.0,
        "sqlite": {"path": "/var/lib/daggo/db.sqlite", "busy_timeout_ms": 100},
        "postgres": {
            "host": "db.internal",
            "port": 6543,
            "user": "daggo",
            "password": "pw",
            "database": "daggo",
            "schema": "daggo_schema",
            "sslmode": "verify-full",
            "dsn": "postgresql://daggo@db/daggo",
        },
    },
    "execution": {
        "executor": "celery",
        "max_concurrent_runs": 2,
        "max_concurrent_steps": 3,
        "poll_interval_seconds": 0.25,
        "tag_limits": {"warehouse": 2, "customer=acme": 1},
        "fair_share_tag": "customer",
        "heartbeat_interval_seconds": 3.0,
        "heartbeat_timeout_seconds": 12.5,
        "start_timeout_seconds": 90.0,
        "cancel_grace_seconds": 0.0,
        "warm_workers": 4,
        "run_timeout_seconds": 3600.0,
        "timeout_grace_seconds": 0.5,
        "max_log_line_bytes": 1024,
        "max_run_log_bytes": 1048576,
        "celery": {"broker_url": "amqp://guest:guest@rabbit.internal:5672//",
                   "default_queue": "runs", "job_queues": {"nightly": "heavy"},
                   "tag_queues": {"team=ml": "gpu"}, "visibility_timeout_seconds": 600.0,
                   "concurrency": 3},
    },
    "scheduler": {"enabled": False, "tick_interval_seconds": 5.0, "tick_history_days": 30,
                  "backfill_batch_size": 500, "backfill_interval_seconds": 1.0,
                  "automation_interval_seconds": 1.0},
    "retention": {"run_days": 30, "job_days": {"nightly": 90, "audit": 0},
                  "purge_interval_minutes": 15.0, "batch_size": 500},
    "deploy": {"drain_enabled": True, "drain_timeout_seconds": 600.0, "lock_name": "shop",
               "version": "2026.01.2"},
    "disable_ui": True,
    "app": "shop.jobs:defs",
}


def _pyproject(body: str) -> str:
    """`body` (a daggo.toml) moved under [tool.daggo] of a pyproject.toml."""
    lines = ['[project]\nname = "shop"\n', "[tool.daggo]"]
    for line in body.splitlines():
        if line.startswith("[") and line.endswith("]"):
            line = f"[tool.daggo.{line[1:-1]}]"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _load_error(tmp_path: Path, toml: str | None = None, **env: str) -> str:
    if toml is not None:
        (tmp_path / "daggo.toml").write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_config(env=env, cwd=tmp_path)
    return str(info.value)


# ---------------------------------------------------------------------------- defaults


def test_defaults_match_the_documented_values() -> None:
    assert config_to_dict(default_config()) == DEFAULTS


def test_load_without_file_or_env_gives_defaults(tmp_path: Path) -> None:
    cfg = load_config(env={}, cwd=tmp_path)
    expected = {**DEFAULTS, "database": {**DEFAULTS["database"]}}
    expected["database"]["sqlite"] = {
        "path": str(tmp_path / ".daggo/daggo.sqlite"),
        "busy_timeout_ms": 5000,
    }
    assert config_to_dict(cfg) == expected


def test_default_configs_do_not_share_tables() -> None:
    first, second = default_config(), default_config()
    first.admin.port = 9999
    assert second.admin.port == 8000
    assert first.execution.tag_limits is not second.execution.tag_limits


def test_secret_fields_are_marked_in_metadata() -> None:
    def secrets(cls: type) -> set[str]:
        return {f.name for f in attrs.fields(cls) if f.metadata.get("secret")}

    assert secrets(AdminConfig) == {"secret_key"}
    assert secrets(PostgresConfig) == {"password", "dsn"}


# ---------------------------------------------------------------------------- file layer


def test_every_area_loads_from_daggo_toml(tmp_path: Path) -> None:
    (tmp_path / "daggo.toml").write_text(ALL_AREAS_TOML)
    assert config_to_dict(load_config(env={}, cwd=tmp_path)) == ALL_AREAS


def test_every_area_loads_from_pyproject_tool_daggo(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(_pyproject(ALL_AREAS_TOML))
    assert config_to_dict(load_config(env={}, cwd=tmp_path)) == ALL_AREAS


def test_pyproject_without_tool_daggo_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    assert load_config(env={}, cwd=tmp_path).admin.port == 8000


def test_daggo_toml_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "daggo.toml").write_text("[admin]\nport = 1111\n")
    (tmp_path / "pyproject.toml").write_text(_pyproject("disable_ui = true\n[admin]\nport = 2222"))
    cfg = load_config(env={}, cwd=tmp_path)
    assert cfg.admin.port == 1111
    assert cfg.disable_ui is False  # pyproject is not read at all


def test_explicit_path_wins_over_discovery(tmp_path: Path) -> None:
    (tmp_path / "daggo.toml").write_text("[admin]\nport = 1111\n")
    other = tmp_path / "conf" / "prod.toml"
    other.parent.mkdir()
    other.write_text("[admin]\nport = 3333\n")
    assert load_config(other, env={}, cwd=tmp_path).admin.port == 3333
    assert load_config("conf/prod.toml", env={}, cwd=tmp_path).admin.port == 3333


def test_explicit_pyproject_reads_tool_daggo(tmp_path: Path) -> None:
    file = tmp_path / "pyproject.toml"
    file.write_text(_pyproject("[admin]\nport = 4444"))
    assert load_config(file, env={}).admin.port == 4444
    file.write_text('[project]\nname = "shop"\n')
    with pytest.raises(ConfigError, match=r"pyproject\.toml: no \[tool\.daggo\] table"):
        load_config(file, env={})


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: cannot read config file"):
        load_config(tmp_path / "nope.toml", env={})


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    file = tmp_path / "daggo.toml"
    file.write_text("[admin]\nport = 8080\nhost = \n")
    with pytest.raises(ConfigError) as info:
        load_config(env={}, cwd=tmp_path)
    message = str(info.value)
    assert str(file) in message
    assert "invalid TOML" in message
    assert "line 3" in message


def test_malformed_pyproject_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.daggo\n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml: invalid TOML.*line 1"):
        load_config(env={}, cwd=tmp_path)


# ---------------------------------------------------------------------------- env layer


def test_env_names_are_derived_from_the_field_tree() -> None:
    names = env_var_names()
    assert names["admin.port"] == "DAGGO_ADMIN_PORT"
    assert names["database.driver"] == "DAGGO_DATABASE_DRIVER"
    assert names["database.sqlite.path"] == "DAGGO_SQLITE_PATH"
    assert names["database.postgres.sslmode"] == "DAGGO_POSTGRES_SSLMODE"
    assert names["disable_ui"] == "DAGGO_DISABLE_UI"
    assert names["app"] == "DAGGO_APP"
    assert names["execution.max_concurrent_steps"] == "DAGGO_EXECUTION_MAX_CONCURRENT_STEPS"
    assert names["scheduler.tick_history_days"] == "DAGGO_SCHEDULER_TICK_HISTORY_DAYS"
    assert names["execution.tag_limits"] == "DAGGO_EXECUTION_TAG_LIMITS"
    assert names["execution.run_timeout_seconds"] == "DAGGO_EXECUTION_RUN_TIMEOUT_SECONDS"


def test_every_setting_has_one_unique_env_name() -> None:
    def leaves(prefix: str, data: dict[str, object]) -> set[str]:
        out: set[str] = set()
        for key, value in data.items():
            path = f"{prefix}{key}"
            table = isinstance(value, dict) and path not in DICT_SETTINGS
            out |= leaves(f"{path}.", value) if table else {path}  # type: ignore[arg-type]
        return out

    names = env_var_names()
    assert set(names) == leaves("", DEFAULTS)
    assert len(set(names.values())) == len(names)


def test_every_env_name_sets_its_setting(tmp_path: Path) -> None:
    # Give every setting the ALL_AREAS value, as a string, through its own variable.
    env = {}
    for path, name in env_var_names().items():
        value: object = ALL_AREAS
        for key in path.split("."):
            value = value[key]  # type: ignore[index]
        if isinstance(value, dict):
            env[name] = json.dumps(value)
        else:
            env[name] = str(value).lower() if isinstance(value, bool) else str(value)
    cfg = load_config(env=env, cwd=tmp_path)
    assert config_to_dict(cfg) == ALL_AREAS


def test_env_overrides_file(tmp_path: Path) -> None:
    (tmp_path / "daggo.toml").write_text("[admin]\nport = 1111\nhost = \"0.0.0.0\"\n")
    cfg = load_config(env={"DAGGO_ADMIN_PORT": "2222"}, cwd=tmp_path)
    assert cfg.admin.port == 2222
    assert cfg.admin.host == "0.0.0.0"


def test_env_overrides_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(_pyproject("[scheduler]\nenabled = false"))
    cfg = load_config(env={"DAGGO_SCHEDULER_ENABLED": "yes"}, cwd=tmp_path)
    assert cfg.scheduler.enabled is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True), ("TRUE", True), ("1", True), ("yes", True), ("On", True),
        ("false", False), ("False", False), ("0", False), ("no", False), ("OFF", False),
    ],
)
def test_env_booleans(tmp_path: Path, text: str, expected: bool) -> None:
    cfg = load_config(env={"DAGGO_DISABLE_UI": text}, cwd=tmp_path)
    assert cfg.disable_ui is expected


@pytest.mark.parametrize("text", ["", "maybe", "2", "truee"])
def test_env_boolean_rejects_other_words(tmp_path: Path, text: str) -> None:
    message = _load_error(tmp_path, DAGGO_DISABLE_UI=text)
    assert "disable_ui (from DAGGO_DISABLE_UI): expected a boolean" in message
    assert repr(text) in message


def test_env_numbers_are_parsed(tmp_path: Path) -> None:
    cfg = load_config(
        env={"DAGGO_EXECUTION_POLL_INTERVAL_SECONDS": "2",
             "DAGGO_SCHEDULER_TICK_HISTORY_DAYS": " 7 "},
        cwd=tmp_path,
    )
    assert cfg.execution.poll_interval_seconds == 2.0
    assert cfg.scheduler.tick_history_days == 7


def test_empty_env_value_unsets_an_optional_setting(tmp_path: Path) -> None:
    (tmp_path / "daggo.toml").write_text('app = "shop:defs"\n[database.postgres]\ndsn = "x"\n')
    cfg = load_config(env={"DAGGO_APP": "", "DAGGO_POSTGRES_DSN": ""}, cwd=tmp_path)
    assert cfg.app is None
    assert cfg.database.postgres.dsn is None


def test_unrelated_daggo_variables_are_ignored(tmp_path: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    env = {
        "DAGGO_TEST_POSTGRES_URL": "postgresql://x",
        "DAGGO_PLUGINS_BLOCK": "daggo_s3",
        "DAGGO_WORKER": "1",
        "PATH": "/bin",
    }
    with caplog.at_level("WARNING", logger="daggo.config"):
        assert config_to_dict(load_config(env=env, cwd=tmp_path)) == config_to_dict(
            load_config(env={}, cwd=tmp_path)
        )
    assert caplog.records == []


def test_an_unknown_daggo_variable_is_a_warning_with_a_suggestion(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="daggo.config"):
        cfg = load_config(env={"DAGGO_ADMIN_PROT": "9000", "DAGGO_NOTHING_LIKE_IT": "x"},
                          cwd=tmp_path)
    assert cfg.admin.port == 8000
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0].startswith("environment variable DAGGO_ADMIN_PROT is not a daggo "
                                  "setting and is ignored (did you mean DAGGO_ADMIN_PORT?)")
    assert messages[1].startswith("environment variable DAGGO_NOTHING_LIKE_IT is not a daggo "
                                  "setting and is ignored;")


def test_variables_that_are_not_settings_are_the_ones_daggo_reads() -> None:
    from daggo_core.config import OTHER_VARIABLES
    from daggo_core.execution.worker_process import DONE_FD_ENV, RUN_ID_ENV, WORKER_ENV
    from daggo_core.execution.worker_stderr import STDERR_FD_ENV
    from daggo_core.plugins import BLOCK_ENV
    from daggo_core.web.processes import KEY_ENV, PRIMARY_ENV, WEB_PROCESS_ENV

    assert {BLOCK_ENV, WORKER_ENV, RUN_ID_ENV, DONE_FD_ENV, STDERR_FD_ENV, WEB_PROCESS_ENV,
            KEY_ENV, PRIMARY_ENV} == OTHER_VARIABLES


def test_env_defaults_to_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGGO_ADMIN_PORT", "8181")
    assert load_config(cwd=tmp_path).admin.port == 8181


# ---------------------------------------------------------------------------- errors


def test_invalid_env_value_names_setting_and_variable(tmp_path: Path) -> None:
    message = _load_error(tmp_path, DAGGO_ADMIN_PORT="abc")
    assert "admin.port (from DAGGO_ADMIN_PORT): expected an integer, got 'abc'" in message


def test_invalid_file_value_names_setting_and_file(tmp_path: Path) -> None:
    message = _load_error(tmp_path, "[admin]\nport = 0\n")
    file = tmp_path / "daggo.toml"
    assert f"admin.port (from {file}): must be between 1 and 65535, got 0" in message


def test_invalid_pyproject_value_names_the_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(_pyproject("[scheduler]\ntick_history_days = -1"))
    message = _load_error(tmp_path)
    file = tmp_path / "pyproject.toml"
    assert f"scheduler.tick_history_days (from {file} [tool.daggo]): must be at least 0" in (
        message)


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    toml = (
        "disable_ui = 1\n"
        "[admin]\nprot = 8080\n"
        "[database.postgres]\nsslmode = \"sometimes\"\nschema = \"1bad\"\n"
        "[execution]\nmax_concurrent_runs = 0\npoll_interval_seconds = 0\n"
    )
    message = _load_error(
        tmp_path, toml, DAGGO_ADMIN_PORT="abc", DAGGO_SCHEDULER_TICK_INTERVAL_SECONDS="soon"
    )
    file = tmp_path / "daggo.toml"
    assert message.startswith("invalid configuration (8 problems):")
    for line in [
        f"disable_ui (from {file}): expected a boolean, got 1",
        f"{file}: unknown setting 'admin.prot' (did you mean 'admin.port'?)",
        "admin.port (from DAGGO_ADMIN_PORT): expected an integer, got 'abc'",
        f"database.postgres.sslmode (from {file}): must be one of disable, allow, prefer, "
        "require, verify-ca, verify-full; got 'sometimes'",
        f"database.postgres.schema (from {file}): must be an identifier",
        f"execution.max_concurrent_runs (from {file}): must be at least 1, got 0",
        f"execution.poll_interval_seconds (from {file}): must be greater than 0",
        "scheduler.tick_interval_seconds (from DAGGO_SCHEDULER_TICK_INTERVAL_SECONDS): "
        "expected a number, got 'soon'",
    ]:
        assert line in message


def test_unknown_keys_are_rejected_at_every_level(tmp_path: Path) -> None:
    toml = 'ui = false\n[admn]\nport = 1\n[database.sqlite]\nfile = "x"\n'
    message = _load_error(tmp_path, toml)
    file = tmp_path / "daggo.toml"
    assert f"{file}: unknown setting 'ui'" in message
    assert f"{file}: unknown setting 'admn' (did you mean 'admin'?)" in message
    assert f"{file}: unknown setting 'database.sqlite.file'" in message


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[admin]\nport = 8080.0\n", "admin.port ({src}): expected an integer, got 8080.0"),
        ("[admin]\nport = true\n", "admin.port ({src}): expected an integer, got True"),
        ("admin = 5\n", "admin ({src}): expected a table, got 5"),
        ("[admin.port]\nx = 1\n", "admin.port ({src}): expected an integer, got {{'x': 1}}"),
        ("[admin]\nhost = 1\n", "admin.host ({src}): expected a string, got 1"),
        ("[scheduler]\nenabled = \"perhaps\"\n", "scheduler.enabled ({src}): expected a boolean"),
        ("[execution]\ncancel_grace_seconds = -1\n", "must be at least 0, got -1.0"),
        ("[execution]\ncancel_grace_seconds = inf\n", "expected a finite number, got inf"),
        ("[execution]\ntimeout_grace_seconds = -0.5\n",
         "execution.timeout_grace_seconds ({src}): must be at least 0, got -0.5"),
        ("[execution]\nmax_log_line_bytes = 100\n",
         "execution.max_log_line_bytes ({src}): must be at least 256, got 100"),
        ("[execution]\nmax_run_log_bytes = \"50MB\"\n",
         "execution.max_run_log_bytes ({src}): expected an integer, got '50MB'"),
        ("[database]\ndriver = \"\"\n", "database.driver ({src}): must not be empty"),
    ],
)
def test_wrong_types_in_file(tmp_path: Path, toml: str, expected: str) -> None:
    message = _load_error(tmp_path, toml)
    assert expected.format(src=f"from {tmp_path / 'daggo.toml'}") in message


def test_table_replaced_by_scalar_with_env_for_it_still_reports(tmp_path: Path) -> None:
    message = _load_error(tmp_path, "admin = 5\n", DAGGO_ADMIN_PORT="9000")
    assert "admin (from" in message
    assert "expected a table, got 5" in message


def test_unknown_driver_name_is_not_checked_here(tmp_path: Path) -> None:
    cfg = load_config(env={"DAGGO_DATABASE_DRIVER": "no_such_plugin"}, cwd=tmp_path)
    assert cfg.database.driver == "no_such_plugin"


# ---------------------------------------------------------------------------- execution


def test_tag_limits_from_a_toml_table(tmp_path: Path) -> None:
    (tmp_path / "daggo.toml").write_text(
        '[execution.tag_limits]\nwarehouse = 2\n"customer=acme" = 1\n'
    )
    cfg = load_config(env={}, cwd=tmp_path)
    assert cfg.execution.tag_limits == {"warehouse": 2, "customer=acme": 1}


def test_tag_limits_from_json_in_env_replace_the_file_table(tmp_path: Path) -> None:
    (tmp_path / "daggo.toml").write_text("[execution.tag_limits]\nwarehouse = 2\n")
    env = {"DAGGO_EXECUTION_TAG_LIMITS": '{"customer=acme": 1, "team": 3}'}
    cfg = load_config(env=env, cwd=tmp_path)
    assert cfg.execution.tag_limits == {"customer=acme": 1, "team": 3}
    emptied = load_config(env={"DAGGO_EXECUTION_TAG_LIMITS": " "}, cwd=tmp_path)
    assert emptied.execution.tag_limits == {}


def test_tag_limits_as_a_json_string_in_a_file(tmp_path: Path) -> None:
    (tmp_path / "daggo.toml").write_text("[execution]\ntag_limits = '{\"warehouse\": 2}'\n")
    assert load_config(env={}, cwd=tmp_path).execution.tag_limits == {"warehouse": 2}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("warehouse=2", "expected a JSON object, got 'warehouse=2'"),
        ('{"warehouse": 2', "expected a JSON object, got '{\"warehouse\": 2'"),
        ("[1, 2]", "expected a JSON object, got '[1, 2]'"),
        ('{"warehouse": "2"}', "tag limit 'warehouse': expected an integer, got '2'"),
        ('{"warehouse": 1.5}', "tag limit 'warehouse': expected an integer, got 1.5"),
        ('{"warehouse": true}', "tag limit 'warehouse': expected an integer, got True"),
        ('{"warehouse": 0}', "tag limit 'warehouse': must be at least 1, got 0"),
        ('{"": 1}', "tag limit '': expected \"key\" or \"key=value\", both non-empty"),
        ('{"=acme": 1}', "tag limit '=acme': expected"),
        ('{"customer=": 1}', "tag limit 'customer=': expected"),
    ],
)
def test_invalid_tag_limits_in_env_name_the_variable(
    tmp_path: Path, text: str, expected: str
) -> None:
    message = _load_error(tmp_path, DAGGO_EXECUTION_TAG_LIMITS=text)
    assert f"execution.tag_limits (from DAGGO_EXECUTION_TAG_LIMITS): {expected}" in message


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[execution.tag_limits]\nwarehouse = -1\n", "tag limit 'warehouse': must be at least 1"),
        ("[execution.tag_limits]\nwarehouse = 2.0\n", "tag limit 'warehouse': expected an integer"),
        ("[execution]\ntag_limits = 5\n", "expected a table of tag limits, got 5"),
    ],
)
def test_invalid_tag_limits_in_file_name_the_file(
    tmp_path: Path, toml: str, expected: str
) -> None:
    message = _load_error(tmp_path, toml)
    assert f"execution.tag_limits (from {tmp_path / 'daggo.toml'}): {expected}" in message


def test_misspelled_tag_limits_table_gets_a_suggestion(tmp_path: Path) -> None:
    message = _load_error(tmp_path, "[execution.tag_limit]\nwarehouse = 2\n")
    assert "unknown setting 'execution.tag_limit' (did you mean 'execution.tag_limits'?)" in message


def test_fair_share_tag_empty_means_not_set(tmp_path: Path) -> None:
    (tmp_path / "daggo.toml").write_text('[execution]\nfair_share_tag = "customer"\n')
    assert load_config(env={}, cwd=tmp_path).execution.fair_share_tag == "customer"
    cfg = load_config(env={"DAGGO_EXECUTION_FAIR_SHARE_TAG": ""}, cwd=tmp_path)
    assert cfg.execution.fair_share_tag is None


def test_run_timeout_from_env(tmp_path: Path) -> None:
    cfg = load_config(env={"DAGGO_EXECUTION_RUN_TIMEOUT_SECONDS": "90"}, cwd=tmp_path)
    assert cfg.execution.run_timeout_seconds == 90.0
    (tmp_path / "daggo.toml").write_text("[execution]\nrun_timeout_seconds = 60\n")
    unset = load_config(env={"DAGGO_EXECUTION_RUN_TIMEOUT_SECONDS": ""}, cwd=tmp_path)
    assert unset.execution.run_timeout_seconds is None


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("HEARTBEAT_INTERVAL_SECONDS", "0", "must be greater than 0, got 0.0"),
        ("HEARTBEAT_INTERVAL_SECONDS", "soon", "expected a number, got 'soon'"),
        ("HEARTBEAT_TIMEOUT_SECONDS", "-1", "must be greater than 0, got -1.0"),
        ("CANCEL_GRACE_SECONDS", "-0.5", "must be at least 0, got -0.5"),
        ("CANCEL_GRACE_SECONDS", "inf", "expected a finite number, got inf"),
        ("WARM_WORKERS", "-1", "must be at least 0, got -1"),
        ("WARM_WORKERS", "1.5", "expected an integer, got '1.5'"),
        ("RUN_TIMEOUT_SECONDS", "0", "must be greater than 0, got 0.0"),
        ("RUN_TIMEOUT_SECONDS", "never", "expected a number, got 'never'"),
        ("FAIR_SHARE_TAG", "", None),
    ],
)
def test_execution_settings_from_env_are_checked(
    tmp_path: Path, name: str, text: str, expected: str | None
) -> None:
    variable = f"DAGGO_EXECUTION_{name}"
    if expected is None:
        load_config(env={variable: text}, cwd=tmp_path)
        return
    message = _load_error(tmp_path, **{variable: text})
    assert f"execution.{name.lower()} (from {variable}): {expected}" in message


def test_zero_grace_and_no_warm_workers_are_allowed(tmp_path: Path) -> None:
    env = {"DAGGO_EXECUTION_CANCEL_GRACE_SECONDS": "0", "DAGGO_EXECUTION_WARM_WORKERS": "0"}
    cfg = load_config(env=env, cwd=tmp_path)
    assert (cfg.execution.cancel_grace_seconds, cfg.execution.warm_workers) == (0.0, 0)


def test_heartbeat_timeout_must_span_several_intervals_naming_both(tmp_path: Path) -> None:
    file = tmp_path / "daggo.toml"
    message = _load_error(
        tmp_path,
        "[execution]\nheartbeat_interval_seconds = 4\n",
        DAGGO_EXECUTION_HEARTBEAT_TIMEOUT_SECONDS="11.5",
    )
    assert message == (
        "invalid configuration (1 problem):\n"
        "  - execution.heartbeat_timeout_seconds (from DAGGO_EXECUTION_HEARTBEAT_TIMEOUT_SECONDS):"
        f" must be at least 3 times execution.heartbeat_interval_seconds (4.0, from {file}),"
        " so that a few late heartbeats do not make a live run lost; got 11.5"
    )
    message = _load_error(tmp_path, "[execution]\nheartbeat_interval_seconds = 11\n")
    assert (
        f"execution.heartbeat_timeout_seconds (from default): must be at least 3 times "
        f"execution.heartbeat_interval_seconds (11.0, from {file})"
    ) in message


def test_on_sqlite_the_heartbeat_timeout_must_outlast_two_lock_waits(tmp_path: Path) -> None:
    message = _load_error(tmp_path, "[execution]\nheartbeat_interval_seconds = 1\n"
                                    "heartbeat_timeout_seconds = 9\n"
                                    "[database.sqlite]\nbusy_timeout_ms = 5000\n")
    assert ("execution.heartbeat_timeout_seconds (9) must be at least 2 times "
            "database.sqlite.busy_timeout_ms (5000 ms)") in message
    # Another backend has no such rule.
    cfg = load_config(env={"DAGGO_DATABASE_DRIVER": "postgres",
                           "DAGGO_EXECUTION_HEARTBEAT_INTERVAL_SECONDS": "1",
                           "DAGGO_EXECUTION_HEARTBEAT_TIMEOUT_SECONDS": "9"}, cwd=tmp_path)
    assert cfg.execution.heartbeat_timeout_seconds == 9.0


def test_run_log_cap_must_hold_at_least_one_line_naming_both(tmp_path: Path) -> None:
    file = tmp_path / "daggo.toml"
    message = _load_error(tmp_path, "[execution]\nmax_log_line_bytes = 4096\n",
                          DAGGO_EXECUTION_MAX_RUN_LOG_BYTES="1000")
    assert message == (
        "invalid configuration (1 problem):\n"
        "  - execution.max_run_log_bytes (from DAGGO_EXECUTION_MAX_RUN_LOG_BYTES): must be at"
        f" least execution.max_log_line_bytes (4096, from {file}), got 1000; raise it or lower"
        " the line cap"
    )


def test_heartbeat_settings_that_agree_load(tmp_path: Path) -> None:
    env = {
        "DAGGO_EXECUTION_HEARTBEAT_INTERVAL_SECONDS": "10",
        "DAGGO_EXECUTION_HEARTBEAT_TIMEOUT_SECONDS": "30",
    }
    cfg = load_config(env=env, cwd=tmp_path)
    assert cfg.execution.heartbeat_interval_seconds == 10.0
    assert cfg.execution.heartbeat_timeout_seconds == 30.0


# ---------------------------------------------------------------------------- sqlite path


def test_relative_sqlite_path_from_file_follows_the_file(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "daggo.toml").write_text('[database.sqlite]\npath = "data/daggo.sqlite"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cfg = load_config(project / "daggo.toml", env={}, cwd=elsewhere)
    assert cfg.database.sqlite.path == str(project / "data/daggo.sqlite")


def test_relative_sqlite_path_from_pyproject_follows_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(_pyproject('[database.sqlite]\npath = "x.db"'))
    cfg = load_config(env={}, cwd=tmp_path)
    assert cfg.database.sqlite.path == str(tmp_path / "x.db")


def test_relative_sqlite_path_from_env_follows_cwd(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "daggo.toml").write_text('[database.sqlite]\npath = "file.db"\n')
    env = {"DAGGO_SQLITE_PATH": "env.db"}
    cfg = load_config(tmp_path / "conf" / "daggo.toml", env=env, cwd=tmp_path)
    assert cfg.database.sqlite.path == str(tmp_path / "env.db")


def test_without_cwd_env_and_default_paths_stay_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_config(env={}).database.sqlite.path == ".daggo/daggo.sqlite"
    assert load_config(env={"DAGGO_SQLITE_PATH": "rel.db"}).database.sqlite.path == "rel.db"
    (tmp_path / "daggo.toml").write_text('[database.sqlite]\npath = "in_file.db"\n')
    assert load_config(env={}).database.sqlite.path == str(tmp_path / "in_file.db")


def test_absolute_and_memory_sqlite_paths_are_kept(tmp_path: Path) -> None:
    absolute = str(tmp_path / "abs.db")
    (tmp_path / "daggo.toml").write_text(f'[database.sqlite]\npath = "{absolute}"\n')
    assert load_config(env={}, cwd=tmp_path).database.sqlite.path == absolute
    memory = load_config(env={"DAGGO_SQLITE_PATH": ":memory:"}, cwd=tmp_path)
    assert memory.database.sqlite.path == ":memory:"


# ---------------------------------------------------------------------------- setattr


@pytest.mark.parametrize(
    ("area", "name", "value", "message"),
    [
        ("admin", "port", "x", "admin.port: expected an integer, got 'x'"),
        ("admin", "port", 70000, "admin.port: must be between 1 and 65535, got 70000"),
        ("admin", "port", True, "admin.port: expected an integer, got True"),
        ("execution", "max_concurrent_steps", 0, "execution.max_concurrent_steps: must be at"),
        ("scheduler", "enabled", "yes", "scheduler.enabled: expected a boolean, got 'yes'"),
        ("scheduler", "tick_interval_seconds", 0, "scheduler.tick_interval_seconds: must be"),
        ("scheduler", "tick_history_days", -1,
         "scheduler.tick_history_days: must be at least 0, got -1"),
        ("execution", "tag_limits", {"a": 0}, "execution.tag_limits: tag limit 'a': must be"),
        ("execution", "tag_limits", ["a"], "execution.tag_limits: expected a table of tag"),
        ("execution", "tag_limits", {1: 2}, "execution.tag_limits: tag limit 1: expected \"key\""),
        ("execution", "fair_share_tag", "", "execution.fair_share_tag: must not be empty"),
        ("execution", "warm_workers", -1, "execution.warm_workers: must be at least 0"),
        ("execution", "run_timeout_seconds", 0, "execution.run_timeout_seconds: must be greater"),
    ],
)
def test_setattr_is_validated(area: str, name: str, value: object, message: str) -> None:
    cfg = default_config()
    with pytest.raises(ConfigError, match="^" + re.escape(message)):
        setattr(getattr(cfg, area), name, value)


def test_setattr_on_nested_tables_is_validated() -> None:
    cfg = default_config()
    with pytest.raises(ConfigError, match=r"database\.postgres\.sslmode: must be one of"):
        cfg.database.postgres.sslmode = "sometimes"
    with pytest.raises(ConfigError, match=r"database\.postgres\.schema: must be an identifier"):
        cfg.database.postgres.schema = "9lives"
    with pytest.raises(ConfigError, match=r"database\.sqlite\.busy_timeout_ms: must be at least 0"):
        cfg.database.sqlite.busy_timeout_ms = -5
    with pytest.raises(ConfigError, match=r"^admin: expected a table"):
        cfg.admin = "x"  # type: ignore[assignment]


def test_valid_setattr_and_construction() -> None:
    cfg = default_config()
    cfg.admin.port = 8080
    cfg.database.postgres.schema = "_tenant_1"
    cfg.execution.cancel_grace_seconds = 0
    cfg.execution.tag_limits = {"warehouse": 2, "customer=acme": 1}
    cfg.execution.run_timeout_seconds = None
    assert (cfg.admin.port, cfg.database.postgres.schema) == (8080, "_tenant_1")
    assert Config(admin=AdminConfig(port=9000)).admin.port == 9000
    with pytest.raises(ConfigError, match=r"admin\.port: must be between 1 and 65535"):
        AdminConfig(port=0)


# ---------------------------------------------------------------------------- retention


def test_retention_job_days_from_a_toml_table_and_from_json_in_env(tmp_path: Path) -> None:
    (tmp_path / "daggo.toml").write_text("[retention]\nrun_days = 7\n"
                                         "[retention.job_days]\nnightly = 90\n")
    cfg = load_config(env={}, cwd=tmp_path)
    assert (cfg.retention.run_days, cfg.retention.job_days) == (7, {"nightly": 90})
    cfg = load_config(env={"DAGGO_RETENTION_JOB_DAYS": '{"audit": 0}',
                           "DAGGO_RETENTION_RUN_DAYS": "14"}, cwd=tmp_path)
    assert (cfg.retention.run_days, cfg.retention.job_days) == (14, {"audit": 0})


@pytest.mark.parametrize(("toml", "expected"), [
    ("[retention]\nrun_days = -1\n", "retention.run_days (from"),
    ("[retention.job_days]\nnightly = -3\n",
     "job 'nightly': must be at least 0, got -3 (0 keeps its runs)"),
    ("[retention.job_days]\nnightly = 1.5\n", "job 'nightly': expected an integer"),
    ('[retention.job_days]\n"bad name" = 3\n', "job name 'bad name' is malformed"),
    ("[retention]\njob_days = 7\n", "expected a table of job names to days, got 7"),
    ("[retention]\nbatch_size = 0\n", "retention.batch_size (from"),
    ("[retention]\npurge_interval_minutes = 0\n", "must be greater than 0, got 0"),
    ("[retention]\nrun_dayz = 3\n",
     "unknown setting 'retention.run_dayz' (did you mean 'retention.run_days'?)"),
])
def test_bad_retention_settings_are_refused_naming_them(tmp_path: Path, toml: str,
                                                        expected: str) -> None:
    assert expected in _load_error(tmp_path, toml)


def test_bad_retention_job_days_in_env_name_the_variable(tmp_path: Path) -> None:
    message = _load_error(tmp_path, "", DAGGO_RETENTION_JOB_DAYS='{"nightly": "x"}')
    assert "retention.job_days (from DAGGO_RETENTION_JOB_DAYS): job 'nightly':" in message


# ---------------------------------------------------------------------------- docs


def test_docs_table_lists_every_setting_with_its_env_var_and_default() -> None:
    docs = Path(__file__).parents[1] / "docs" / "CONFIGURATION.md"
    rows = {}
    for line in docs.read_text().splitlines():
        match = re.match(r"\| `([a-z_.]+)`(?: 🔒)? \| (.+?) \| `(DAGGO_\w+)` \|", line)
        if match:
            rows[match[1]] = (match[2], match[3])
    assert {path: env for path, (_, env) in rows.items()} == env_var_names()
    defaults = config_to_dict(default_config())
    for path, (shown, _) in rows.items():
        value: object = defaults
        for key in path.split("."):
            value = value[key]  # type: ignore[index]
        expected = "not set" if value is None else f"`{_toml(value)}`"
        assert shown == expected, path


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return f'"{value}"' if isinstance(value, str) else str(value)


# ---------------------------------------------------------------------------- redaction


def test_redacted_hides_secrets_that_are_set() -> None:
    cfg = default_config()
    # Unset secrets stay None / ""; a secret with a default (the broker's URL) is hidden.
    celery = {**DEFAULTS["execution"]["celery"], "broker_url": "********"}  # type: ignore[index, dict-item]
    assert redacted(cfg) == {**DEFAULTS, "execution": {**DEFAULTS["execution"],  # type: ignore[dict-item]
                                                       "celery": celery}}
    cfg.database.postgres.password = "pw"
    cfg.database.postgres.dsn = "postgresql://u:pw@h/d"
    cfg.execution.celery.broker_url = "redis://:pw@broker:6379/0"
    shown = redacted(cfg)
    assert shown["execution"]["celery"]["broker_url"] == "********"
    assert shown["database"]["postgres"]["password"] == "********"
    assert shown["database"]["postgres"]["dsn"] == "********"
    assert shown["database"]["postgres"]["user"] == "postgres"
    assert "pw" not in str(shown)
    assert config_to_dict(cfg)["database"]["postgres"]["password"] == "pw"
    cfg.admin.secret_key = "admin-key-0123456789"
    assert redacted(cfg)["admin"]["secret_key"] == "********"
    assert "admin-key" not in repr(cfg)
    assert cfg.database.postgres.password == "pw"  # the config itself is untouched


def test_a_short_secret_key_is_refused_saying_how_to_make_one(tmp_path: Path) -> None:
    message = _load_error(tmp_path, "", DAGGO_ADMIN_SECRET_KEY="short")
    assert "admin.secret_key (from DAGGO_ADMIN_SECRET_KEY)" in message
    assert "must be at least 16 characters, got 5" in message
    assert "secrets.token_urlsafe(32)" in message
    assert "'short'" not in message
    message = _load_error(tmp_path, "[admin]\nsecret_key = 1234567890123456789\n")
    assert "expected a string, got a value of type int" in message
    assert "1234567890123456789" not in message


def test_repr_hides_secrets() -> None:
    cfg = default_config()
    cfg.database.postgres.dsn = "postgresql://u:topsecret@h/d"
    cfg.database.postgres.password = "hunter2"
    text = repr(cfg)
    assert "topsecret" not in text
    assert "hunter2" not in text
    assert "password='********'" in text


# ---------------------------------------------------------------------------- not available yet


@pytest.mark.parametrize(("toml", "env", "setting"), [
    ("[execution]\nqueue_size = 10\n", {}, "execution.queue_size"),
    ("", {"DAGGO_EXECUTION_QUEUE_SIZE": "10"}, "execution.queue_size"),
])
def test_settings_not_available_yet_are_refused(tmp_path: Path, toml: str,
                                                env: dict[str, str], setting: str) -> None:
    message = _load_error(tmp_path, toml, **env)
    assert f"{setting} (from " in message and "not available yet:" in message
    assert "unknown setting" not in message


def test_the_deploy_version_is_daggos_unless_set(tmp_path: Path) -> None:
    assert default_config().deploy.effective_version == daggo_core.__version__
    cfg = load_config(env={"DAGGO_DEPLOY_VERSION": "abc123", "DAGGO_DEPLOY_DRAIN_ENABLED": "1"},
                      cwd=tmp_path)
    assert (cfg.deploy.effective_version, cfg.deploy.drain_enabled) == ("abc123", True)
    assert "deploy.lock_name" in _load_error(tmp_path, '[deploy]\nlock_name = ""\n')


# ---------------------------------------------------------------------------- plugin tables


@attrs.define
class AcmeSettings:
    """A plugin's table of settings, made with daggo's settings toolkit."""

    region: str = setting("eu", string(choices=("eu", "us")))
    token: str | None = setting(None, string(optional=True), secret=True)
    retries: int = setting(3, integer(0))


ACME = ConfigSection(name="database.acme", settings=AcmeSettings)


def test_a_plugin_table_loads_like_core_settings(tmp_path: Path) -> None:
    sections = [*installed_sections(), ACME]
    (tmp_path / "daggo.toml").write_text('[database.acme]\nregion = "us"\ntoken = "t0k"\n')
    cfg = load_config(env={"DAGGO_ACME_RETRIES": "5"}, cwd=tmp_path, sections=sections)
    assert (cfg.database.acme.region, cfg.database.acme.retries) == ("us", 5)
    assert cfg.database.section("acme", AcmeSettings).token == "t0k"
    assert redacted(cfg)["database"]["acme"] == {"region": "us", "token": "********",
                                                 "retries": 5}
    assert env_var_names(sections)["database.acme.region"] == "DAGGO_ACME_REGION"
    message = _load_error(tmp_path, '[database.acme]\nregion = "mars"\nregoin = 1\n')
    assert "unknown setting 'database.acme'" in message  # acme is not installed here
    with pytest.raises(ConfigError) as info:
        (tmp_path / "daggo.toml").write_text('[database.acme]\nregion = "mars"\nregoin = 1\n')
        load_config(env={}, cwd=tmp_path, sections=sections)
    assert "database.acme.region (from" in str(info.value)
    assert "unknown setting 'database.acme.regoin' (did you mean 'database.acme.region'?)" in (
        str(info.value))
    with pytest.raises(ConfigError, match=r"database\.acme\.retries: must be at least 0"):
        cfg.database.acme.retries = -1


def test_a_table_of_an_uninstalled_backend_says_so(tmp_path: Path) -> None:
    message = _load_error(tmp_path, '[database.mongo]\nhost = "x"\n')
    assert "unknown setting 'database.mongo' (no installed plugin adds this table" in message


def test_a_plugin_table_only_goes_where_tables_are_taken() -> None:
    with pytest.raises(ConfigError, match=r"config section 'admin\.acme': admin takes no tables"):
        default_config([ConfigSection(name="admin.acme", settings=AcmeSettings)])


@attrs.define
class PortSettings:
    port: int = setting(1, integer(1))


def test_a_plugin_table_whose_variables_would_set_another_setting_is_refused() -> None:
    # database.admin.port and admin.port would both be DAGGO_ADMIN_PORT.
    with pytest.raises(ConfigError, match=r"settings admin\.port and database\.admin\.port "
                                          r"would both be set by DAGGO_ADMIN_PORT"):
        default_config([ConfigSection(name="database.admin", settings=PortSettings)])


def test_backend_settings_come_from_their_plugins() -> None:
    sections = {s.name: s.settings for s in installed_sections()}
    assert sections == {"database.sqlite": SQLiteConfig, "database.postgres": PostgresConfig,
                        "execution.celery": CeleryConfig}
    core = Path(__file__).parents[1] / "daggo_core"
    for path in core.rglob("*.py"):
        text = path.read_text(encoding="utf-8").lower()  # code, docstrings and comments
        assert "postgres" not in text, path
