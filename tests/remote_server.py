"""A `daggo run -f remote_app.py` server over the test's database, for the tests that
drive one through its API (`start_server`, a fixture conftest.py offers every test)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest
from click.testing import CliRunner, Result

from daggo_core.cli.main import cli
from daggo_core.storage.base import Storage
from daggo_core.testing.processes import free_port, wait_healthy

if TYPE_CHECKING:
    from tests.conftest import BackendUnderTest

APP = Path(__file__).parent / "remote_app.py"


@attrs.define
class Server:
    """A `daggo run -f remote_app.py` on a loopback port, over the test's database."""

    url: str
    port: int
    proc: subprocess.Popen[bytes]
    gate: Path
    storage: Storage
    local_env: dict[str, str | None]

    def remote(self, *args: str, token: str | None = None, url: str | None = None) -> Result:
        """The CLI with DAGGO_URL (and DAGGO_TOKEN) naming the server."""
        env = {"DAGGO_URL": url or self.url, "DAGGO_TOKEN": token}
        return CliRunner().invoke(cli, list(args), env=env)

    def local(self, *args: str) -> Result:
        """The CLI over the server's database."""
        return CliRunner().invoke(cli, list(args), env={**self.local_env, "DAGGO_URL": None})

    def same(self, *args: str) -> Result:
        """Run `args` locally and remotely; assert both print and exit the same."""
        local, remote = self.local(*args), self.remote(*args)
        assert remote.output == local.output, (args, local.output, remote.output)
        assert remote.exit_code == local.exit_code, (args, remote.output)
        return remote

    def cli_process(self, *args: str, url: str | None = None) -> subprocess.Popen[str]:
        """`daggo ARGS` as a process of its own, against the server (or `url`)."""
        env = {**os.environ, "DAGGO_URL": url or self.url}
        return subprocess.Popen([sys.executable, "-m", "daggo_core.cli.main", *args],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)

    def started(self) -> list[Path]:
        return list(self.gate.glob("started-*"))


@pytest.fixture
def start_server(storage_backend: BackendUnderTest,
                 tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start servers of remote_app.py over the test's database (stopped afterwards)."""
    gate = tmp_path / "gate"
    gate.mkdir()
    storage = storage_backend.open()
    procs: list[subprocess.Popen[bytes]] = []

    def start(**extra_env: str) -> Server:
        port = free_port()
        env = {**os.environ, **storage_backend.env, "TEST_GATE_DIR": str(gate),
               "DAGGO_EXECUTION_EXECUTOR": "in_process", "DAGGO_SCHEDULER_ENABLED": "false",
               "DAGGO_EXECUTION_POLL_INTERVAL_SECONDS": "0.05",
               "DAGGO_ADMIN_PORT": str(port), **extra_env}
        log = (tmp_path / f"server-{port}.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "daggo_core.cli.main", "run",
                                 "-f", str(APP)], env=env, cwd=tmp_path, stdout=log,
                                stderr=subprocess.STDOUT)
        procs.append(proc)
        wait_healthy(port, proc)
        local_env: dict[str, str | None] = {"DAGGO_DATABASE_DRIVER": None,
                                            **storage_backend.env}
        return Server(url=f"http://127.0.0.1:{port}", port=port, proc=proc, gate=gate,
                      storage=storage, local_env=local_env)

    try:
        yield start
    finally:
        (gate / "open").touch()
        for proc in procs:
            proc.terminate()
            proc.wait(20)


