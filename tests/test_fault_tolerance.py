"""Faults with real processes, on both backends: nothing run twice, nothing lost.

Servers and workers are real processes serving tests/fault_app.py; every op body logs
its own execution to files and holds a lock while it runs (see fault_app), so each test
judges from side effects: which bodies ran, whether one ran while another of the same
run (or its retry) still ran, and whether a finished run's record changed afterwards.
Outages are a lock held by another process (SQLite; a table lock on PostgreSQL) or a
TCP proxy between daggo and PostgreSQL that is cut and restored.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from daggo_core.execution.run_monitor import settle_lost_run
from daggo_core.loading import load_definitions
from daggo_core.services.runs import RunSummary
from daggo_core.storage.base import RunFilter, Storage
from daggo_core.storage.records import EventKind, Run, RunStatus
from daggo_core.testing.processes import free_port, pid_alive, wait_for, wait_healthy
from daggo_core.testing.services import launch
from daggo_core.testing.storage_contract import claim_oldest
from daggo_core.testing.tcp_proxy import TcpProxy
from tests.conftest import BackendUnderTest

DAGGO = [sys.executable, "-m", "daggo_core.cli.main"]
#: Holds the database's write lock for argv[2] seconds, then says so in argv[3].
_LOCK_HOLDER = """
import sys, time, sqlite3
path, seconds, done = sys.argv[1], float(sys.argv[2]), sys.argv[3]
conn = sqlite3.connect(path, isolation_level=None, timeout=30)
conn.execute("BEGIN IMMEDIATE")
open(done + ".held", "w").close()
time.sleep(seconds)
conn.execute("ROLLBACK")
open(done, "w").close()
"""
_PG_LOCK_HOLDER = """
import sys, time, psycopg
dsn, schema, seconds, done = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
with psycopg.connect(dsn) as conn:
    conn.execute(f'LOCK TABLE "{schema}".runs, "{schema}".events, "{schema}".steps '
                 'IN EXCLUSIVE MODE')
    open(done + ".held", "w").close()
    time.sleep(seconds)
    conn.rollback()
open(done, "w").close()
"""


@pytest.fixture
def env(storage_backend: BackendUnderTest, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    """tests/fault_app.py as app.py in a test directory, the environment its servers and
    workers share (default heartbeat settings), on the test's database; PostgreSQL is
    reached through `env.proxy`."""
    fault_dir = tmp_path / "fault"
    fault_dir.mkdir()
    (tmp_path / "app.py").write_text((Path(__file__).parent / "fault_app.py").read_text())
    proxy: TcpProxy | None = None
    values = {**storage_backend.env, "FAULT_DIR": str(fault_dir),
              "DAGGO_EXECUTION_EXECUTOR": "subprocess",
              "DAGGO_EXECUTION_POLL_INTERVAL_SECONDS": "0.05",
              "DAGGO_SCHEDULER_ENABLED": "false", "DAGGO_ADMIN_PORT": str(free_port())}
    if storage_backend.name == "postgres":
        url = urlsplit(storage_backend.database.postgres.dsn)
        proxy = TcpProxy(url.hostname or "127.0.0.1", url.port or 5432)
        values["DAGGO_POSTGRES_DSN"] = urlunsplit(
            url._replace(netloc=f"{url.username}@127.0.0.1:{proxy.port}"))
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    procs: list[subprocess.Popen[bytes]] = []
    environment = SimpleNamespace(
        tmp=tmp_path, fault=fault_dir, backend=storage_backend, proxy=proxy, procs=procs,
        port=int(values["DAGGO_ADMIN_PORT"]), storage=storage_backend.open())
    try:
        yield environment
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGCONT)
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
        for pid in body_pids(environment):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGCONT)
                os.killpg(pid, signal.SIGKILL)
        if proxy is not None:
            proxy.close()


def start_server(env: SimpleNamespace) -> subprocess.Popen[bytes]:
    log = (env.tmp / f"server-{len(env.procs)}.log").open("wb")
    proc = subprocess.Popen([*DAGGO, "run", "-f", "app.py"], cwd=env.tmp, stdout=log,
                            stderr=subprocess.STDOUT)
    env.procs.append(proc)
    wait_healthy(env.port, proc, timeout=30)
    return proc


def bodies(env: SimpleNamespace) -> list[list[str]]:
    log = env.fault / "bodies.log"
    return [line.split() for line in log.read_text().splitlines()] if log.exists() else []


def body_pids(env: SimpleNamespace) -> set[int]:
    return {int(entry[3]) for entry in bodies(env) if entry[0] == "start"}


def started(env: SimpleNamespace, run_id: str) -> int:
    """Wait for the run's (first) body to start; its worker's pid."""
    def pid() -> int | None:
        return next((int(e[3]) for e in bodies(env) if e[0] == "start" and e[1] == run_id),
                    None)
    return wait_for(pid, 60, f"a body of run {run_id} to start")


def overlaps(env: SimpleNamespace) -> list[str]:
    log = env.fault / "overlaps.log"
    return log.read_text().splitlines() if log.exists() else []


def finished(env: SimpleNamespace, run_id: str, timeout: float = 90) -> Run:
    def done() -> Run | None:
        run = env.storage.get_run(run_id)
        return run if run.is_finished else None
    return wait_for(done, timeout, f"run {run_id} to finish")


def record(storage: Storage, run_id: str) -> tuple[Any, ...]:
    """Everything stored of a run: to check that a finished one never changes."""
    run = storage.get_run(run_id)
    return (run.status, run.error, run.finished_at, storage.list_steps(run_id),
            [(e.kind, e.step_key, e.message) for e in storage.list_events(run_id, limit=10_000)])


def assert_each_body_ran_once(env: SimpleNamespace, runs: list[Run], ops: int = 1) -> None:
    for run in runs:
        starts = [e for e in bodies(env) if e[0] == "start" and e[1] == run.id]
        ends = [e for e in bodies(env) if e[0] == "end" and e[1] == run.id]
        assert len(starts) == ops and len(ends) == ops, (run.id, bodies(env))
    assert overlaps(env) == []


def assert_no_worker_lost(env: SimpleNamespace, runs: list[Run], *,
                          unstarted_requeued: bool = False) -> None:
    """No run was taken for lost and nothing was retried; with `unstarted_requeued`,
    runs claimed by a server that died before handing them to a worker may have been
    put back in the queue (their body ran once all the same)."""
    for run in runs:
        lost = [e.message for e in env.storage.list_events(run.id, limit=10_000)
                if e.kind is EventKind.RUN_WORKER_LOST]
        if unstarted_requeued:
            lost = [m for m in lost if not m.endswith("it did not start the run: re-queued")]
        assert lost == [], run.id
    retries = env.storage.list_runs(RunFilter(), limit=1000)
    assert {r.id for r in retries} == {r.id for r in runs}  # nothing was retried


def body_lines(env: SimpleNamespace, run_id: str) -> list[str]:
    """The log lines the run's op wrote, as stored, in order."""
    return [e.message for e in env.storage.list_events(run_id, limit=10_000)
            if e.kind is EventKind.LOG and e.step_key == "body"]


def assert_succeeded_once_with_every_line(env: SimpleNamespace, run_id: str,
                                          lines: int) -> None:
    final = finished(env, run_id)
    assert final.status is RunStatus.SUCCESS, final.error
    assert_each_body_ran_once(env, [final])
    assert_no_worker_lost(env, [final])
    assert body_lines(env, run_id) == [f"line {i} of body" for i in range(lines)]


def database_outage(env: SimpleNamespace, seconds: float, *, cut: bool) -> None:
    """Make the database unusable for `seconds`, returning after: its write lock held by
    another process, or, with `cut` on PostgreSQL, the proxy to the server cut."""
    if cut:
        assert env.proxy is not None
        with env.proxy.outage():
            time.sleep(seconds)
        return
    holder, _ = hold_write_lock(env, seconds)
    assert holder.wait(seconds + 30) == 0


def hold_write_lock(env: SimpleNamespace,
                    seconds: float) -> tuple[subprocess.Popen[bytes], Path]:
    """Another process holding the database's write lock for `seconds`, once it holds
    it; and the file it creates when it lets go."""
    done = env.tmp / f"lock-released-{time.monotonic_ns()}"
    if env.backend.name == "sqlite":
        args = ["-c", _LOCK_HOLDER, env.backend.database.sqlite.path, str(seconds), str(done)]
    else:
        pg = env.backend.database.postgres
        args = ["-c", _PG_LOCK_HOLDER, pg.dsn, pg.schema, str(seconds), str(done)]
    holder = subprocess.Popen([sys.executable, *args])
    env.procs.append(holder)
    wait_for(lambda: Path(f"{done}.held").exists(), 20, "the lock to be held")
    return holder, done


def outage_kind(env: SimpleNamespace) -> bool:
    """Whether outages cut the connection (PostgreSQL) or hold the lock (SQLite)."""
    return env.proxy is not None


# -- healthy runs are never declared lost ------------------------------------------------


@pytest.mark.parametrize("cut", [False, True], ids=["lock-held-4s", "proxy-cut-4s"])
def test_a_database_held_longer_than_a_heartbeat_loses_no_run(
    env: SimpleNamespace, cut: bool
) -> None:
    if cut and env.proxy is None:
        pytest.skip("a TCP proxy outage is a server database's fault")
    start_server(env)
    run = launch(env.storage, "guarded", seconds=8.0, lines=16)
    started(env, run.id)
    database_outage(env, 4.0, cut=cut)
    assert_succeeded_once_with_every_line(env, run.id, 16)


def test_reads_and_worker_starts_need_no_write_lock(env: SimpleNamespace) -> None:
    start_server(env)
    env.procs[0].terminate()
    env.procs[0].wait(10)
    run = launch(env.storage, "guarded", seconds=0.5)
    claim_oldest(env.storage, 1)
    holder, released = hold_write_lock(env, 12.0)
    listed = subprocess.run([*DAGGO, "runs", "list"], cwd=env.tmp, capture_output=True,
                            text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert run.id[:8] in listed.stdout
    assert not released.exists()  # it read while the lock was held
    # A worker starts under the lock too: it waits to write, and runs once it can.
    worker = subprocess.Popen([*DAGGO, "worker", "-f", "app.py", "--run-id", run.id],
                              cwd=env.tmp)
    env.procs.append(worker)
    assert holder.wait(30) == 0
    assert worker.wait(60) == 0
    assert env.storage.get_run(run.id).status is RunStatus.SUCCESS
    assert_each_body_ran_once(env, [env.storage.get_run(run.id)])


def outage_while_running(env: SimpleNamespace, outage: float, **work: Any) -> RunSummary:
    """A server runs a `guarded` run of `work`; a second into its op, the database is
    unusable for `outage` seconds (proxy cut on PostgreSQL, lock held on SQLite)."""
    start_server(env)
    run = launch(env.storage, "guarded", **work)
    started(env, run.id)
    time.sleep(1.0)
    database_outage(env, outage, cut=outage_kind(env))
    return run


def test_an_outage_longer_than_the_heartbeat_timeout_loses_no_event(
    env: SimpleNamespace
) -> None:
    run = outage_while_running(env, 33.0, seconds=40.0, lines=80)
    assert_succeeded_once_with_every_line(env, run.id, 80)


def test_past_the_retry_window_the_run_fails_saying_so_and_keeps_its_events(
    env: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGGO_DATABASE_RETRY_SECONDS", "2")
    run = outage_while_running(env, 8.0, seconds=30.0, lines=60)
    final = finished(env, run.id)
    assert final.status is RunStatus.FAILURE
    assert final.error is not None and final.error.type == "StorageUnreachable"
    assert "database was unreachable" in final.error.message
    lines = body_lines(env, run.id)
    logged = len(lines)
    assert logged >= 4 and lines == [f"line {i} of body" for i in range(logged)]
    assert ["canceled", run.id, "body"] in bodies(env)  # its op was stopped


def test_a_run_whose_end_waits_for_the_database_is_not_timed_out_by_its_worker(
    env: SimpleNamespace
) -> None:
    # The `timed` job's timeout is 3 s: its worker would give up on the run 3 + 2 (grace)
    # + 1 s after it started, while the run's end waits for the database.
    start_server(env)
    run = launch(env.storage, "timed", seconds=1.0, lines=5)
    started(env, run.id)
    holder, _ = hold_write_lock(env, 9.0)
    assert holder.wait(30) == 0
    assert_succeeded_once_with_every_line(env, run.id, 5)
    log = (env.tmp / "server-0.log").read_text()  # the worker's stderr goes there too
    assert f"run {run.id} still running" not in log  # its worker did not give up on it


def test_many_logging_runs_on_a_loaded_machine_are_not_declared_lost(
    env: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGGO_EXECUTION_MAX_CONCURRENT_RUNS", "8")
    monkeypatch.setenv("DAGGO_EXECUTION_WARM_WORKERS", "2")
    start_server(env)
    runs = [launch(env.storage, "busy", key=f"k{i}", seconds=2.0, lines=40)
            for i in range(8)]
    finals = [finished(env, run.id, 180) for run in runs]
    assert {f.status for f in finals} == {RunStatus.SUCCESS}
    for final in finals:
        starts = [e for e in bodies(env) if e[0] == "start" and e[1] == final.id]
        assert len(starts) == 16
    assert overlaps(env) == []
    assert_no_worker_lost(env, finals)


def test_a_server_restarted_while_its_workers_start_loses_no_run(
    env: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGGO_EXECUTION_MAX_CONCURRENT_RUNS", "10")
    monkeypatch.setenv("DAGGO_EXECUTION_WARM_WORKERS", "0")
    server = start_server(env)
    runs = [launch(env.storage, "guarded", key=f"k{i}", seconds=2.0) for i in range(10)]
    wait_for(lambda: all(env.storage.get_run(r.id).status is not RunStatus.QUEUED
                         for r in runs), 30, "every run claimed")
    server.kill()  # while its cold workers still import the app
    server.wait(10)
    start_server(env)
    finals = [finished(env, run.id, 120) for run in runs]
    assert {f.status for f in finals} == {RunStatus.SUCCESS}
    assert_each_body_ran_once(env, finals)
    assert_no_worker_lost(env, finals, unstarted_requeued=True)


# -- lost workers: retried once known dead or fenced -------------------------------------


def fast_heartbeats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGGO_EXECUTION_HEARTBEAT_INTERVAL_SECONDS", "0.5")
    monkeypatch.setenv("DAGGO_EXECUTION_HEARTBEAT_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("DAGGO_SQLITE_BUSY_TIMEOUT_MS", "1000")


def test_a_hung_worker_is_killed_before_its_run_is_retried(
    env: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_heartbeats(monkeypatch)
    start_server(env)
    run = launch(env.storage, "guarded", seconds=60.0, retry_seconds=0.5)
    pid = started(env, run.id)
    os.kill(pid, signal.SIGSTOP)  # hung: alive, silent
    lost = finished(env, run.id, 30)
    assert lost.status is RunStatus.FAILURE and lost.error is not None
    assert lost.error.type == "WorkerLost"
    # Killed by the monitor, then settled by it or by the executor that saw it die.
    hung = f"its process {pid} on this host was hung and was killed"
    assert hung in lost.error.message or any(hung in e.message
                                             for e in env.storage.list_events(run.id))
    assert not pid_alive(pid)
    kept = record(env.storage, run.id)
    (retry,) = [r for r in env.storage.list_runs(RunFilter(), limit=10) if r.id != run.id]
    assert retry.parent_run_id == run.id
    assert finished(env, retry.id, 60).status is RunStatus.SUCCESS
    assert overlaps(env) == []  # the retry's body never ran beside the hung one
    assert record(env.storage, run.id) == kept


def stopped_worker_without_a_server(
    env: SimpleNamespace
) -> tuple[RunSummary, subprocess.Popen[bytes]]:
    """A run claimed (attempt 1) and executed by a worker started by hand, SIGSTOPped
    while its op runs, with no server (whose monitor would kill a worker of this host)."""
    start_server(env)  # syncs the jobs
    env.procs[0].terminate()
    env.procs[0].wait(10)
    run = launch(env.storage, "guarded", seconds=60.0, lines=60)
    claim_oldest(env.storage, 1)
    worker = subprocess.Popen([*DAGGO, "worker", "-f", "app.py", "--run-id", run.id],
                              cwd=env.tmp, start_new_session=True)
    env.procs.append(worker)
    assert started(env, run.id) == worker.pid
    stop_between_writes(env, worker.pid)
    return run, worker


def stop_between_writes(env: SimpleNamespace, pid: int) -> None:
    """SIGSTOP process `pid` at a moment it holds no write lock of the database: stopped
    inside a write, it would hold every other writer up until a monitor killed it (that
    case is the monitor's, tested with a server)."""
    for _ in range(100):
        os.kill(pid, signal.SIGSTOP)
        # A signal is delivered after kill() returns: until every thread of the process
        # is stopped, it may still take the lock after the check below.
        wait_for(lambda: _all_threads_stopped(pid), 10, f"process {pid} stopped")
        if _write_lock_is_free(env):
            return
        os.kill(pid, signal.SIGCONT)
        time.sleep(0.05)
    raise AssertionError(f"process {pid} was always inside a write")


def _all_threads_stopped(pid: int) -> bool:
    """Whether every thread of process `pid` is stopped by a signal (state T in /proc)."""
    tasks = Path(f"/proc/{pid}/task")
    states = []
    for task in tasks.iterdir():
        with contextlib.suppress(FileNotFoundError):  # a thread that just ended
            states.append((task / "stat").read_text().rsplit(")", 1)[1].split()[0])
    return all(state in ("T", "t") for state in states)


def _write_lock_is_free(env: SimpleNamespace) -> bool:
    if env.backend.name == "sqlite":
        import sqlite3

        conn = sqlite3.connect(env.backend.database.sqlite.path, timeout=0.5,
                               isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            conn.close()
    import psycopg

    pg = env.backend.database.postgres
    with psycopg.connect(pg.dsn) as conn:
        try:
            conn.execute(f'SELECT id FROM "{pg.schema}".runs FOR UPDATE NOWAIT')
            return True
        except psycopg.errors.LockNotAvailable:
            return False


def test_a_fenced_remote_worker_stops_and_never_changes_the_finished_run(
    env: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_heartbeats(monkeypatch)
    defs = load_definitions(file=env.tmp / "app.py")
    run, worker = stopped_worker_without_a_server(env)
    # The monitor of another host can only fence it: it ends the attempt.
    current = env.storage.get_run(run.id)
    final, retry = settle_lost_run(env.storage, current, "remote worker silent",
                                   defs.jobs_by_name)
    assert final.status is RunStatus.FAILURE and retry is not None
    kept = record(env.storage, run.id)
    os.kill(worker.pid, signal.SIGCONT)
    assert worker.wait(20) == 0  # it learnt it was superseded, stopped its op and exited
    assert ["canceled", run.id, "body"] in bodies(env)
    assert record(env.storage, run.id) == kept


def test_a_worker_of_an_attempt_claimed_again_writes_nothing(
    env: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_heartbeats(monkeypatch)
    run, first = stopped_worker_without_a_server(env)
    # Its attempt is given up: the run is queued and claimed again (a new attempt).
    env.storage.set_run_status(run.id, RunStatus.QUEUED, attempt=1)
    (again,) = claim_oldest(env.storage, 1)
    assert (again.attempt, again.worker_id) == (2, None)
    kept = record(env.storage, run.id)
    os.kill(first.pid, signal.SIGCONT)
    assert first.wait(20) == 0  # it learnt it was superseded, stopped its op and exited
    assert ["canceled", run.id, "body"] in bodies(env)
    assert record(env.storage, run.id) == kept
    stored = env.storage.get_run(run.id)
    assert (stored.status, stored.attempt, stored.worker_id) == (RunStatus.STARTING, 2, None)
