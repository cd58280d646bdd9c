"""Fixtures of the Celery executor's tests: a real broker, a daggo server executing runs
on Celery workers, and real `daggo worker celery` processes, on each storage backend.

The brokers' URLs come from DAGGO_TEST_REDIS_URL and DAGGO_TEST_RABBITMQ_URL (`.ci/run`
and `make test` set them when the broker answers); a test without its broker skips.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest

from daggo_core.config import default_config
from daggo_core.plugins import make_plugin_manager
from daggo_core.services import ServiceContext, Services
from daggo_core.storage.base import Storage
from daggo_core.testing.processes import free_port, wait_healthy
from tests.conftest import BackendUnderTest, storage_backend  # noqa: F401 (a fixture)

DAGGO = [sys.executable, "-m", "daggo_core.cli.main"]
BROKERS = {"redis": "DAGGO_TEST_REDIS_URL", "rabbitmq": "DAGGO_TEST_RABBITMQ_URL"}


@pytest.fixture(params=sorted(BROKERS))
def broker_url(request: pytest.FixtureRequest) -> str:
    """Each broker whose URL is set."""
    variable = BROKERS[request.param]
    url = os.environ.get(variable)
    if not url:
        pytest.skip(f"{variable} is not set (e.g. redis://127.0.0.1:6379/0 or "
                    "amqp://guest:guest@127.0.0.1:5672//)")
    return url


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get(BROKERS["redis"])
    if not url:
        pytest.skip(f"{BROKERS['redis']} is not set (e.g. redis://127.0.0.1:6379/0)")
    return url


@attrs.define
class Cluster:
    """A server publishing runs to a queue of this test's own, and its workers."""

    tmp: Path
    env: dict[str, str]
    port: int
    storage: Storage
    services: Services
    procs: list[subprocess.Popen[bytes]] = attrs.field(factory=list)

    def server(self) -> subprocess.Popen[bytes]:
        proc = self._start("server", ["run", "-f", "app.py"])
        wait_healthy(self.port, proc, timeout=60)
        return proc

    def worker(self, *args: str) -> subprocess.Popen[bytes]:
        """A `daggo worker celery` (one pool process, unless `args` say otherwise)."""
        name = f"worker{len(self.procs)}"
        return self._start(name, ["worker", "celery", "-f", "app.py",
                                  f"--hostname={name}@%h", *args])

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    def lines(self, name: str = "bodies.log") -> list[str]:
        path = self.tmp / name
        return path.read_text().splitlines() if path.exists() else []

    def _start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("wb")
        proc = subprocess.Popen([*DAGGO, *args], cwd=self.tmp, env=self.env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


def cluster_for(app: str, backend: BackendUnderTest, broker: str, tmp_path: Path,
                **settings: str) -> Cluster:
    """A cluster for the app source `app`, on this test's database and a queue of its
    own on `broker` (nothing another test published reaches it)."""
    (tmp_path / "app.py").write_text(app)
    port = free_port()
    env = {**os.environ, **backend.env,
           "BODIES": str(tmp_path / "bodies.log"), "GATES": str(tmp_path),
           "DAGGO_EXECUTION_EXECUTOR": "celery",
           "DAGGO_CELERY_BROKER_URL": broker,
           "DAGGO_CELERY_DEFAULT_QUEUE": f"daggo-test-{uuid.uuid4().hex[:12]}",
           "DAGGO_EXECUTION_POLL_INTERVAL_SECONDS": "0.05",
           "DAGGO_EXECUTION_HEARTBEAT_INTERVAL_SECONDS": "0.5",
           "DAGGO_EXECUTION_HEARTBEAT_TIMEOUT_SECONDS": "10",
           "DAGGO_SCHEDULER_ENABLED": "false",
           "DAGGO_ADMIN_PORT": str(port),
           **settings}
    storage = backend.open()
    services = Services.over(ServiceContext(storage=storage, config=default_config(),
                                            hooks=make_plugin_manager()))
    return Cluster(tmp=tmp_path, env=env, port=port, storage=storage, services=services)


@pytest.fixture
def make_cluster(storage_backend: BackendUnderTest, tmp_path: Path  # noqa: F811
                 ) -> Iterator[Callable[..., Cluster]]:
    """`make_cluster(app, broker, **env)`: a cluster on this test's database (each
    backend), stopped after the test (its processes' groups killed)."""
    made: list[Cluster] = []

    def make(app: str, broker: str, **settings: str) -> Cluster:
        made.append(cluster_for(app, storage_backend, broker, tmp_path, **settings))
        return made[-1]

    yield make
    for cluster in made:
        cluster.stop()
