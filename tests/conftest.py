"""Shared fixtures: `storage_backend` and `storage`, parametrized over every SQL backend.

Each test gets a private database: a SQLite file under `tmp_path`, or a unique schema on
the server of `DAGGO_TEST_POSTGRES_URL` (dropped afterwards). Without that variable the
postgres cases are skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import attrs
import pytest

from daggo_core.app import DaggoApp, open_app
from daggo_core.cli.worker_cmd import worker_command_for
from daggo_core.config import DatabaseConfig, load_config
from daggo_core.loading import load_definitions
from daggo_core.plugins import make_plugin_manager
from daggo_core.storage.base import Storage
from daggo_core.testing.processes import free_port, pid_alive, wait_for, wait_healthy
from tests.remote_server import start_server  # noqa: F401  (a fixture for every test)
from tests.ui_support import browser  # noqa: F401  (the browser tests' fixture)

POSTGRES_URL_VARIABLE = "DAGGO_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgres")


@attrs.define
class BackendUnderTest:
    """One backend and this test's private database on it."""

    name: str
    database: DatabaseConfig
    opened: list[Storage] = attrs.field(factory=list)

    def open(self) -> Storage:
        """Open (another) storage on the test's database; closed after the test."""
        storage = make_plugin_manager().storage_backend(self.name).open(self.database)
        self.opened.append(storage)
        return storage

    @property
    def env(self) -> dict[str, str]:
        """DAGGO_* variables selecting the test's database in a child process."""
        if self.name == "sqlite":
            return {"DAGGO_DATABASE_DRIVER": "sqlite",
                    "DAGGO_SQLITE_PATH": self.database.sqlite.path}
        return {"DAGGO_DATABASE_DRIVER": "postgres",
                "DAGGO_POSTGRES_DSN": self.database.postgres.dsn,
                "DAGGO_POSTGRES_SCHEMA": self.database.postgres.schema}


def _sqlite(tmp_path: Path) -> tuple[DatabaseConfig, Callable[[], None]]:
    path = str(tmp_path / "daggo.sqlite")
    from daggo_sqlite.testing import database_config

    return database_config(path), lambda: None


def _postgres() -> tuple[DatabaseConfig, Callable[[], None]]:
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set (e.g. postgresql://postgres@127.0.0.1/test)")
    from daggo_postgres.testing import database_config, drop_schema, unique_schema

    schema = unique_schema()
    return database_config(url, schema), lambda: drop_schema(url, schema)


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say in one line how to include the PostgreSQL cases when they were skipped."""
    skipped = [r for r in terminalreporter.stats.get("skipped", [])
               if POSTGRES_URL_VARIABLE in str(getattr(r, "longrepr", ""))]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} PostgreSQL test(s) skipped: set {POSTGRES_URL_VARIABLE}="
            "postgresql://postgres@127.0.0.1:5432/test (make test does when a PostgreSQL "
            "answers on 127.0.0.1:5432) to include them", yellow=True)


@pytest.fixture(params=BACKENDS)
def storage_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BackendUnderTest]:
    """A backend with a private, not yet opened database; `.open()` gives storages on it."""
    database, cleanup = _sqlite(tmp_path) if request.param == "sqlite" else _postgres()
    backend = BackendUnderTest(name=request.param, database=database)
    try:
        yield backend
    finally:
        for storage in backend.opened:
            storage.close()
        cleanup()


@pytest.fixture
def storage(storage_backend: BackendUnderTest) -> Storage:
    """An empty, migrated storage on each backend."""
    return storage_backend.open()


@pytest.fixture
def apps() -> Iterator[Callable[..., DaggoApp]]:
    """`daggo_core.open` for a test: every app it opens is closed afterwards, also when
    the test fails."""
    opened: list[DaggoApp] = []

    def open_(*args: Any, **kwargs: Any) -> DaggoApp:
        app = open_app(*args, **kwargs)
        opened.append(app)
        return app

    try:
        yield open_
    finally:
        for app in opened:
            app.close()


@pytest.fixture
def worker_env(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SimpleNamespace]:
    """A directory holding tests/worker_app.py as app.py, with the environment its servers
    and workers share (SQLite file, free port, fast heartbeats: the test module's
    `INTERVAL`, cancel grace `GRACE`, timeout grace `TIMEOUT_GRACE`, start timeout
    `START_TIMEOUT`), and a storage on that database.

    Servers a test starts go in `.procs` (terminated afterwards), worker pids it sees in
    `.worker_pids` (waited for afterwards); the gate is opened at the end so waiting steps
    finish.
    """
    interval = getattr(request.module, "INTERVAL", 0.2)
    gate = tmp_path / "gate"
    gate.mkdir()
    port = free_port()
    values = {
        "TEST_GATE_DIR": str(gate),
        "DAGGO_SQLITE_PATH": str(tmp_path / "daggo.sqlite"),
        "DAGGO_EXECUTION_EXECUTOR": "subprocess",
        "DAGGO_EXECUTION_HEARTBEAT_INTERVAL_SECONDS": str(interval),
        "DAGGO_EXECUTION_HEARTBEAT_TIMEOUT_SECONDS": str(interval * 3),
        # Fast heartbeats need short lock waits (the timeout outlasts two of them).
        "DAGGO_SQLITE_BUSY_TIMEOUT_MS": str(int(interval * 3 * 1000 / 2)),
        "DAGGO_EXECUTION_POLL_INTERVAL_SECONDS": "0.05",
        # A worker starting on a loaded machine is not hung, however fast the heartbeats.
        "DAGGO_EXECUTION_START_TIMEOUT_SECONDS": str(
            getattr(request.module, "START_TIMEOUT", 20.0)),
        "DAGGO_EXECUTION_CANCEL_GRACE_SECONDS": str(getattr(request.module, "GRACE", 0.5)),
        "DAGGO_EXECUTION_TIMEOUT_GRACE_SECONDS": str(
            getattr(request.module, "TIMEOUT_GRACE", 0.5)),
        "DAGGO_SCHEDULER_ENABLED": "false",
        "DAGGO_ADMIN_PORT": str(port),
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    app_file = tmp_path / "app.py"
    app_file.write_text((Path(__file__).parent / "worker_app.py").read_text())
    monkeypatch.chdir(tmp_path)
    cfg = load_config()
    storage = make_plugin_manager().storage_backend("sqlite").open(cfg.database)
    env = SimpleNamespace(tmp=tmp_path, gate=gate, port=port, storage=storage, procs=[],
                          worker_pids=set(), defs=load_definitions(file=app_file))
    try:
        yield env
    finally:
        (gate / "open").touch()
        for proc in env.procs:
            if proc.poll() is None:
                proc.terminate()
            proc.wait(20)
        for pid in env.worker_pids:
            wait_for(lambda pid=pid: not pid_alive(pid), 10, f"worker {pid} to exit")
        storage.close()


def serve_worker_app(env: SimpleNamespace) -> subprocess.Popen[bytes]:
    """`daggo run -f app.py` in `worker_env`'s directory (its output in server-N.log),
    healthy; it goes in `.procs`, so it is terminated after the test."""
    log = (env.tmp / f"server-{len(env.procs)}.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "daggo_core.cli.main", "run", "-f", "app.py"],
                            cwd=env.tmp, stdout=log, stderr=subprocess.STDOUT)
    env.procs.append(proc)
    wait_healthy(env.port, proc)
    return proc


def started_pid(env: SimpleNamespace, run_id: str) -> int:
    """The pid of the worker whose gated step of run `run_id` started (worker_app.py's
    `started-<run id>` file); it goes in `.worker_pids`, waited for after the test."""
    marker = env.gate / f"started-{run_id}"
    pid = int(wait_for(lambda: marker.exists() and marker.read_text(), 20, "step start"))
    env.worker_pids.add(pid)
    return pid


@pytest.fixture
def backend_worker_env(worker_env: SimpleNamespace, storage_backend: BackendUnderTest,
                       monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """`worker_env` on each SQL backend: its `.storage`, servers and workers use the
    test's database."""
    for key, value in storage_backend.env.items():
        monkeypatch.setenv(key, value)
    worker_env.storage = storage_backend.open()
    return worker_env


@pytest.fixture
def worker_app(worker_env: SimpleNamespace) -> Iterator[DaggoApp]:
    """An app opened in this process on `worker_env`, whose subprocess executor runs
    `daggo worker -f app.py`; at the end the gate opens and its runs are waited for."""
    opened = open_app(load_config(), worker_env.defs)
    opened.worker_command = worker_command_for(None, None, "app.py")
    opened.start_execution()
    yield opened
    (worker_env.gate / "open").touch()
    assert opened.executor is not None
    wait_for(lambda: not opened.executor.active_run_ids(), 10, "runs to finish")
    opened.close()
