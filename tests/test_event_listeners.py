"""`daggo_run_event` listeners of a plugin installed with pip, through real processes.

A server with the subprocess executor runs a job launched from the CLI; the plugin's
listeners (async, slow sync, failing) append what they receive to files. Every event the
database holds reaches each working listener once, in the order stored, in the process
that stored it, and the slow listener never holds the run back, nor the next run: the
executor's slot is free once the run ends, while its worker still delivers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from daggo_core.plugins import make_plugin_manager
from daggo_core.storage.base import RunFilter
from daggo_core.storage.records import EventKind, RunStatus
from daggo_core.testing.distributions import pip_install, write_distribution
from daggo_core.testing.processes import free_port, pid_alive, wait_for, wait_healthy
from daggo_sqlite.testing import database_config

SLOW_SECONDS = 0.5

COMMON = r'''
"""daggo-listen: what its listeners share."""

import os
import time
from pathlib import Path


def append(name, run, event):
    line = (f"{os.getpid()}\t{time.time():.6f}\t{run.id}\t{event.kind}\t"
            f"{event.step_key or '-'}\t{event.message}\n")
    with open(Path(os.environ["LISTEN_DIR"]) / f"{name}.log", "a") as out:
        out.write(line)
'''

#: One module per listener: each is an entry point (a plugin) of the distribution.
LISTENERS = {
    "async_listener": '''
import asyncio

from daggo_core import hookimpl
from daggo_listen import append


@hookimpl
async def daggo_run_event(run, event):
    await asyncio.sleep(0)
    append("async", run, event)
''',
    "slow_listener": f'''
import time

from daggo_core import hookimpl
from daggo_listen import append


@hookimpl
def daggo_run_event(run, event):
    time.sleep({SLOW_SECONDS})
    append("slow", run, event)
''',
    "broken_listener": '''
from daggo_core import hookimpl


@hookimpl
def daggo_run_event(event):
    raise RuntimeError("webhook down")
''',
}

APP = '''
from attrs import frozen
from daggo_core import Context, NoInput, dag

@frozen
class A:
    n: int

@frozen
class BIn:
    a: A

@frozen
class B:
    n: int

@frozen
class CIn:
    b: B

@frozen
class C:
    n: int

def a(ctx: Context, inp: NoInput) -> A:
    ctx.log.info("a says hello")
    return A(1)

def b(ctx: Context, inp: BIn) -> B:
    print("b prints")
    return B(inp.a.n + 1)

def c(ctx: Context, inp: CIn) -> C:
    ctx.log.warning("c warns")
    return C(inp.b.n + 1)

job = dag.job("abc").add(dag.op("a", a), dag.op("b", b), dag.op("c", c)).build()
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """daggo-listen installed by pip into a directory, as a user would install it."""
    root = tmp_path_factory.mktemp("listen")
    project = write_distribution(
        root, "daggo-listen", "1.0.0", {"__init__": COMMON, **LISTENERS},
        {"listen_async": "async_listener", "listen_slow": "slow_listener",
         "listen_broken": "broken_listener"})
    return pip_install([project], root / "site")


def test_every_listener_gets_every_event_once_in_order_without_slowing_the_run(
    site: Path, tmp_path: Path
) -> None:
    listen = tmp_path / "listen"
    listen.mkdir()
    (tmp_path / "app.py").write_text(APP)
    port = free_port()
    db = tmp_path / "daggo.sqlite"
    env = {**os.environ, "PYTHONPATH": str(site), "LISTEN_DIR": str(listen),
           "DAGGO_SQLITE_PATH": str(db), "DAGGO_ADMIN_PORT": str(port),
           "DAGGO_EXECUTION_EXECUTOR": "subprocess", "DAGGO_SCHEDULER_ENABLED": "false",
           "DAGGO_EXECUTION_MAX_CONCURRENT_RUNS": "1"}
    env.pop("DAGGO_PLUGINS_BLOCK", None)
    daggo = [sys.executable, "-m", "daggo_core.cli.main"]
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen([*daggo, "run", "-f", "app.py"], cwd=tmp_path, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(port, server)
        launched = subprocess.run([*daggo, "job", "launch", "abc", "--wait"], cwd=tmp_path,
                                  env=env, capture_output=True, text=True, timeout=120)
        assert launched.returncode == 0, launched.stdout + launched.stderr
        started = [line.split("\t") for line in (listen / "async.log").read_text().splitlines()
                   if line.split("\t")[3] == EventKind.RUN_STARTED]
        worker = int(started[0][0])
        # With one run at a time, a second run starts and ends while the first run's
        # worker is still delivering to the slow listener (about 7 s of it).
        second = subprocess.run([*daggo, "job", "launch", "abc", "--wait"], cwd=tmp_path,
                                env=env, capture_output=True, text=True, timeout=120)
        assert second.returncode == 0, second.stdout + second.stderr
        assert pid_alive(worker), "the second run waited for the first run's worker to exit"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    # The worker delivers what it queued before it exits (the slow listener takes a while).
    wait_for(lambda: not pid_alive(worker), 60, "the worker to deliver its events and exit")
    storage = make_plugin_manager().storage_backend("sqlite").open(
        database_config(db))
    try:
        run, later = sorted(storage.list_runs(RunFilter(job_name="abc")),
                            key=lambda r: r.created_at)
        assert run.status is RunStatus.SUCCESS and later.status is RunStatus.SUCCESS
        stored = [(e.kind.value, e.step_key or "-", e.message) for e in storage.list_events(run.id)]
    finally:
        storage.close()
    assert {kind for kind, _, _ in stored} >= {EventKind.RUN_QUEUED, EventKind.RUN_STARTED,
                                             EventKind.STEP_SUCCESS, EventKind.LOG,
                                             EventKind.RUN_SUCCESS}
    for name in ("async", "slow"):
        lines = [line.split("\t") for line in (listen / f"{name}.log").read_text().splitlines()
                 if line.split("\t")[2] == run.id]
        received = [(kind, step, message) for _, _, _, kind, step, message in lines]
        # Once each, and the events of each process in the order that process stored them.
        assert sorted(received) == sorted(stored), name
        by_process: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for pid, _, _, kind, step, message in lines:
            by_process[pid].append((kind, step, message))
        assert len(by_process) >= 2, name  # the CLI stored RUN_QUEUED, the worker the rest
        for events in by_process.values():
            positions = [stored.index(event) for event in events]
            assert positions == sorted(positions), name
    # The slow listener took SLOW_SECONDS per event; the run did not wait for it: it had
    # ended before that listener was done with the worker's third event.
    slow = [line.split("\t") for line in (listen / "slow.log").read_text().splitlines()]
    third_from_worker = [float(at) for pid, at, *_ in slow if pid == str(worker)][2]
    assert run.finished_at is not None and run.finished_at.timestamp() < third_from_worker
    # The failing listener is reported by name, and hurt nobody.
    assert "plugin 'listen_broken' failed in daggo_run_event" in launched.stderr
