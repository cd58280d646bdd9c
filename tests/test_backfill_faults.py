"""A backfill survives its server being killed while it creates its runs: the next server
resumes where the first stopped, no partition gets two runs and none is lost, and no op
body runs twice. Real server processes on both backends; bodies log to a file."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from daggo_core.config import default_config
from daggo_core.plugins import make_plugin_manager
from daggo_core.services import ServiceContext, Services
from daggo_core.services.backfills import BackfillsLaunchRequest
from daggo_core.storage.asset_records import BackfillStatus
from daggo_core.storage.base import RunFilter
from daggo_core.testing.processes import free_port, wait_for, wait_healthy
from tests.conftest import BackendUnderTest

DAGGO = [sys.executable, "-m", "daggo_core.cli.main"]
PARTITIONS = 600

APP = f'''
import os
from attrs import frozen
from daggo_core import Context, Definitions, NoInput, StaticPartitions, dag

@frozen
class Done:
    key: str

def body(ctx: Context, inp: NoInput) -> Done:
    line = f"{{ctx.partition_key}} {{ctx.run_id}}\\n".encode()
    fd = os.open(os.environ["BODIES"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return Done(key=ctx.partition_key)

keys = StaticPartitions([f"p{{i:04d}}" for i in range({PARTITIONS})])
defs = Definitions(jobs=[dag.job("fill", partitions=keys)
                         .add(dag.op("body", body, assets=["filled"])).build()])
'''


@pytest.fixture
def env(storage_backend: BackendUnderTest, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    (tmp_path / "app.py").write_text(APP)
    port = free_port()
    values = {**storage_backend.env, "BODIES": str(tmp_path / "bodies.log"),
              "DAGGO_EXECUTION_EXECUTOR": "in_process",
              "DAGGO_EXECUTION_MAX_CONCURRENT_RUNS": "4",
              "DAGGO_EXECUTION_POLL_INTERVAL_SECONDS": "0.05",
              "DAGGO_EXECUTION_HEARTBEAT_INTERVAL_SECONDS": "0.5",
              "DAGGO_EXECUTION_HEARTBEAT_TIMEOUT_SECONDS": "10",
              "DAGGO_SCHEDULER_ENABLED": "false",
              # Small batches: the server is killed while it still creates runs.
              "DAGGO_SCHEDULER_BACKFILL_BATCH_SIZE": "1",
              "DAGGO_ADMIN_PORT": str(port)}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    procs: list[subprocess.Popen[bytes]] = []
    storage = storage_backend.open()
    yield SimpleNamespace(tmp=tmp_path, port=port, procs=procs, storage=storage,
                          services=Services.over(ServiceContext(
                              storage=storage, config=default_config(),
                              hooks=make_plugin_manager())))
    for proc in procs:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)


def start_server(env: SimpleNamespace) -> subprocess.Popen[bytes]:
    log = (env.tmp / f"server-{len(env.procs)}.log").open("wb")
    proc = subprocess.Popen([*DAGGO, "run", "-f", "app.py"], cwd=env.tmp, stdout=log,
                            stderr=subprocess.STDOUT)
    env.procs.append(proc)
    wait_healthy(env.port, proc, timeout=30)
    return proc


def test_a_backfill_resumes_after_its_server_is_killed(env: SimpleNamespace) -> None:
    server = start_server(env)
    launched = env.services.backfills.launch(BackfillsLaunchRequest(job="fill"))
    wait_for(lambda: env.storage.get_backfill(launched.id).submitted >= 20, 30,
             "the first batches of runs")
    server.send_signal(signal.SIGKILL)
    server.wait(10)
    killed_at = env.storage.get_backfill(launched.id).submitted
    assert 20 <= killed_at < PARTITIONS, "the server was killed after the runs were created"
    start_server(env)
    wait_for(lambda: env.storage.get_backfill(launched.id).status is BackfillStatus.COMPLETED,
             180, "the backfill to complete")
    runs = env.storage.list_runs(RunFilter(backfill_id=launched.id), limit=10 * PARTITIONS)
    per_key = Counter(run.partition_key for run in runs)
    assert len(per_key) == PARTITIONS and set(per_key.values()) == {1}
    bodies = [line.split() for line in (env.tmp / "bodies.log").read_text().splitlines()]
    ran = Counter(key for key, _ in bodies)
    assert set(ran.values()) == {1}, "no body ran twice"
    # Every partition ran but those whose run was lost with the killed server.
    lost = {run.partition_key for run in runs if run.status.value != "SUCCESS"}
    assert set(ran) | lost == set(per_key)
    assert len(lost) <= 4  # at most the runs it executed when killed
