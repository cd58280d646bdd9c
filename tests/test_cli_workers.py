"""`daggo workers list | pools | drain | resume` over the database, on each backend, and
against a served app (`--url`): the registry's rows as tables, drains and resumes of
pools and workers, `drain --wait` until DRAINED or its timeout, and the refusals."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner, Result

from daggo_core.app import DaggoApp
from daggo_core.cli import workers_cmd
from daggo_core.cli.main import cli
from daggo_core.config import default_config
from daggo_core.services.workers import WORKERS_PAGE_MAX
from daggo_core.storage.base import Storage
from daggo_core.storage.drain_records import PoolRecord
from daggo_core.storage.records import Run, RunStatus, WorkerRecord, WorkerState, utcnow
from daggo_core.testing.processes import free_port, wait_for
from daggo_core.testing.serving import served_on
from tests.conftest import BackendUnderTest

CELERY = "celery@web-2"
SERVER = "subprocess@web-1:4242"


class Env:
    """The test's storage, the run its busy worker runs, and the CLI over its database."""

    def __init__(self, backend: BackendUnderTest) -> None:
        self.storage = backend.open()
        self.run_id = ""
        self.env_vars = backend.env
        self.env: dict[str, str | None] = {"DAGGO_DATABASE_DRIVER": None, **backend.env,
                                           "DAGGO_URL": None}

    def daggo(self, *args: str) -> Result:
        return CliRunner().invoke(cli, ["workers", *args], env=self.env)

    def ok(self, *args: str) -> str:
        result = self.daggo(*args)
        assert result.exit_code == 0, result.output
        return result.output

    def pool(self, name: str) -> PoolRecord:
        [found] = [p for p in self.storage.list_pools() if p.name == name]
        return found


def worker(host: str, pid: int, *, pool: str = "", state: WorkerState = WorkerState.IDLE,
           run_id: str | None = None, heartbeat_at: dt.datetime | None = None,
           queues: tuple[str, ...] = ()) -> WorkerRecord:
    return WorkerRecord(id=f"{host}:{pid}", host=host, pid=pid, executor="celery",
                        state=state, run_id=run_id, version="7", pool=pool, queues=queues,
                        heartbeat_at=heartbeat_at or utcnow())


def rows(output: str) -> dict[str, list[str]]:
    """The body rows of the Rich table in `output`, by their first cell (a row wrapped
    onto more lines is joined back)."""
    found: dict[str, list[str]] = {}
    last: list[str] = []
    for line in output.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[0] or not last:
            last = found[cells[0]] = cells
        else:
            last[:] = [f"{a} {b}".strip() for a, b in zip(last, cells, strict=True)]
    return found


@pytest.fixture
def env(storage_backend: BackendUnderTest) -> Iterator[Env]:
    """A Celery-like pool with a running and an idle worker, a server's pool, a lone
    worker and a LOST one."""
    env = Env(storage_backend)
    storage = env.storage
    run = storage.add_run(Run(job_name="nightly", status=RunStatus.STARTED))
    storage.save_pool(PoolRecord(name=CELERY, executor="celery", host="web-2", version="7",
                                 queues=("reports",), active_runs=1))
    storage.save_pool(PoolRecord(name=SERVER, executor="subprocess", host="web-1",
                                 version="7"))
    storage.save_worker(worker("web-2", 31, pool=CELERY, state=WorkerState.RUNNING,
                               run_id=run.id, queues=("reports",)))
    storage.save_worker(worker("web-2", 32, pool=CELERY, queues=("reports",)))
    storage.save_worker(worker("web-1", 7))
    storage.save_worker(worker("web-3", 9, heartbeat_at=utcnow() - dt.timedelta(hours=3)))
    env.run_id = run.id
    yield env


@pytest.fixture
def fast_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers_cmd, "WAIT_POLL_SECONDS", 0.05)


def test_list_shows_each_worker_with_its_pool_state_run_queues_and_heartbeat(
        env: Env) -> None:
    output = env.ok("list")
    shown = rows(output)
    assert list(shown) == ["web-1:7", "web-2:31", "web-2:32", "web-3:9"]  # host, then pid
    run_id = env.run_id
    assert shown["web-2:31"][:7] == [
        "web-2:31", CELERY, "celery", "RUNNING", f"{run_id[:8]} nightly", "reports", "7"]
    assert re.fullmatch(r"\d s ago", shown["web-2:31"][7])
    assert shown["web-2:32"][3:5] == ["IDLE", ""]
    assert shown["web-1:7"][1] == ""
    assert shown["web-3:9"][3] == "LOST" and shown["web-3:9"][7] == "3 h ago"
    assert "4 workers; LOST: no heartbeat for over 30 s" in output


def test_list_reads_every_page(env: Env) -> None:
    for pid in range(WORKERS_PAGE_MAX + 1):
        env.storage.save_worker(worker("web-9", 1000 + pid))
    assert f"{WORKERS_PAGE_MAX + 5} workers" in env.ok("list")


def test_pools_show_state_runs_workers_version_and_drain(env: Env) -> None:
    shown = rows(env.ok("pools"))
    assert list(shown) == [CELERY, SERVER]
    assert shown[CELERY] == [CELERY, "celery", "web-2", "ACTIVE", "1", "2", "7", ""]
    assert shown[SERVER][3:6] == ["ACTIVE", "0", "0"]
    env.storage.request_drain(pool=SERVER, at=utcnow() - dt.timedelta(minutes=5))
    assert rows(env.ok("pools"))[SERVER][3:] == [
        "DRAINING", "0", "0", "7", "requested 5 min ago"]
    env.storage.accept_drain(pool=SERVER, at=utcnow())
    assert rows(env.ok("pools"))[SERVER][3:] == [
        "DRAINED", "0", "0", "7", "requested 5 min ago, accepted 0 s ago"]


def test_a_pool_is_drained_and_resumed(env: Env) -> None:
    assert env.ok("drain", "--pool", CELERY) == \
        f"pool {CELERY}: DRAINING, 1 active run, 2 workers\n"
    assert env.pool(CELERY).drain_requested_at is not None
    listed = rows(env.ok("list"))
    assert listed["web-2:32"][1:4] == [CELERY, "celery", "DRAINING (pool)"]
    assert env.ok("resume", "--worker", "web-2:32") == (
        f"worker web-2:32: DRAINING (drained with its pool {CELERY}: resume the pool)\n")
    assert env.ok("resume", "--pool", CELERY) == \
        f"pool {CELERY}: ACTIVE, 1 active run, 2 workers\n"
    assert env.pool(CELERY).drain_requested_at is None
    assert rows(env.ok("list"))["web-2:32"][3] == "IDLE"


def test_a_worker_is_drained_and_resumed(env: Env) -> None:
    run_id = env.run_id
    assert env.ok("drain", "--worker", "web-2:31") == \
        f"worker web-2:31: DRAINING, run {run_id[:8]} of nightly\n"
    assert env.ok("drain", "--worker", "web-1:7") == "worker web-1:7: DRAINING\n"
    env.storage.accept_drain(worker_ids=["web-1:7"], at=utcnow())
    assert rows(env.ok("list"))["web-1:7"][3] == "DRAINED"
    assert env.ok("resume", "--worker", "web-1:7") == "worker web-1:7: IDLE\n"
    assert rows(env.ok("list"))["web-1:7"][3] == "IDLE"


def once_asked(storage: Storage, pool: str, then: Callable[[], object]) -> threading.Thread:
    """A thread calling `then()` once `pool` is asked to drain (as its registrant, an
    admin or its server would act meanwhile); join it after the command."""
    def act() -> None:
        wait_for(lambda: any(p.name == pool and p.drain_requested_at is not None
                             for p in storage.list_pools()), 20, "the drain request")
        then()

    thread = threading.Thread(target=act)
    thread.start()
    return thread


def accept_once_asked(storage: Storage, pool: str) -> threading.Thread:
    """A thread accepting `pool`'s drain as its registrant would, once it is asked."""
    return once_asked(storage, pool, lambda: storage.accept_drain(pool=pool, at=utcnow()))


def test_drain_wait_returns_once_the_pool_accepted_and_its_runs_ended(
        env: Env, fast_wait: None) -> None:
    accepting = accept_once_asked(env.storage, SERVER)
    output = env.ok("drain", "--pool", SERVER, "--wait")
    accepting.join()
    assert output == (f"pool {SERVER}: DRAINING, 0 active runs, 0 workers\n"
                      f"pool {SERVER}: DRAINED, 0 active runs, 0 workers\n")


def test_drain_wait_follows_a_busy_pool_until_its_last_run_ends(
        env: Env, fast_wait: None) -> None:
    storage = env.storage
    accepting = accept_once_asked(storage, CELERY)

    def finish_the_run() -> None:
        accepting.join()
        wait_for(lambda: env.pool(CELERY).drain_accepted_at is not None, 20, "acceptance")
        storage.save_pool(PoolRecord(name=CELERY, executor="celery", host="web-2",
                                     version="7", queues=("reports",), active_runs=0))
        storage.save_worker(worker("web-2", 31, pool=CELERY, queues=("reports",)))

    finishing = threading.Thread(target=finish_the_run)
    finishing.start()
    output = env.ok("drain", "--pool", CELERY, "--wait", "--timeout", "30")
    finishing.join()
    assert output.splitlines()[0] == f"pool {CELERY}: DRAINING, 1 active run, 2 workers"
    assert output.splitlines()[-1] == f"pool {CELERY}: DRAINED, 0 active runs, 2 workers"


def test_drain_wait_of_a_worker_ends_when_it_exits(env: Env) -> None:
    # A process of its own, so its progress can be read as it is printed: the worker's
    # row goes only once the drain is shown, as a drained worker exits after its run.
    proc = subprocess.Popen(
        [sys.executable, "-m", "daggo_core.cli.main", "workers", "drain", "--worker",
         "web-2:31", "--wait"],
        env={**{k: v for k, v in os.environ.items() if k != "DAGGO_URL"}, **env.env_vars},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    try:
        first = proc.stdout.readline()
        assert first == f"worker web-2:31: DRAINING, run {env.run_id[:8]} of nightly\n"
        env.storage.remove_worker("web-2:31")
        rest, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, rest
    assert rest == "worker web-2:31: exited (its row is gone): drained\n"


def test_drain_wait_times_out_naming_the_target(env: Env, fast_wait: None) -> None:
    result = env.daggo("drain", "--pool", CELERY, "--wait", "--timeout", "0.2")
    assert result.exit_code == 1
    assert result.output == (
        f"pool {CELERY}: DRAINING, 1 active run, 2 workers\n"
        f"Error: pool {CELERY} is not DRAINED after 0.2 s (pool {CELERY}: DRAINING, 1 "
        "active run, 2 workers); it stays asked to drain: wait longer, or undo it with "
        "`daggo workers resume`\n")
    assert env.pool(CELERY).drain_requested_at is not None


def test_drain_wait_stops_when_the_target_is_resumed_lost_or_gone(
        env: Env, fast_wait: None) -> None:
    storage = env.storage

    resuming = once_asked(storage, CELERY, lambda: storage.resume_drain(pool=CELERY))
    resumed = env.daggo("drain", "--pool", CELERY, "--wait")
    resuming.join()
    assert resumed.exit_code == 1
    assert f"Error: pool {CELERY} was resumed while waiting for it to drain" in \
        resumed.output
    lost = env.daggo("drain", "--worker", "web-3:9", "--wait")
    assert lost.exit_code == 1
    assert "Error: worker web-3:9 is LOST (no heartbeat for longer than the heartbeat " \
        "timeout)" in lost.output

    stopping = once_asked(storage, SERVER, lambda: storage.remove_pool(SERVER))
    gone = env.daggo("drain", "--pool", SERVER, "--wait")
    stopping.join()
    assert gone.exit_code == 1
    assert f"Error: pool {SERVER} is gone from the registry before it showed DRAINED" in \
        gone.output


@pytest.mark.parametrize("command", ["drain", "resume"])
def test_naming_no_target_or_both_or_an_unknown_one_is_refused(env: Env,
                                                               command: str) -> None:
    neither = env.daggo(command)
    assert neither.exit_code == 2
    assert "Error: name a pool (--pool NAME) or a worker (--worker HOST:PID)" in \
        neither.output
    both = env.daggo(command, "--pool", CELERY, "--worker", "web-2:31")
    assert both.exit_code == 2 and "Error: give --pool or --worker, not both" in both.output
    unknown_pool = env.daggo(command, "--pool", "celery@web-9")
    assert unknown_pool.exit_code == 1
    assert unknown_pool.output.startswith(
        "Error: pool: no pool 'celery@web-9' in the registry")
    unknown_worker = env.daggo(command, "--worker", "web-9:1")
    assert unknown_worker.exit_code == 1
    assert unknown_worker.output.startswith(
        "Error: worker: no worker 'web-9:1' in the registry")
    assert env.pool(CELERY).drain_requested_at is None


def test_a_timeout_without_wait_is_refused(env: Env) -> None:
    result = env.daggo("drain", "--pool", CELERY, "--timeout", "5")
    assert result.exit_code == 2 and "--timeout is how long --wait waits" in result.output
    assert env.pool(CELERY).drain_requested_at is None


def test_the_commands_work_against_a_server(env: Env, storage_backend: BackendUnderTest,
                                            apps: Callable[..., DaggoApp],
                                            fast_wait: None) -> None:
    config = default_config()
    config.database = storage_backend.database
    config.scheduler.enabled = False
    config.execution.executor = "in_process"
    app = apps(config)
    env.storage.remove_worker("web-3:9")  # the server's run monitor would prune it any time
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def remote(*args: str) -> Result:
        return CliRunner().invoke(cli, ["workers", *args], env={"DAGGO_URL": url})

    with served_on(app.asgi, port, name="workers-cli-test"):
        wait_for(lambda: remote("pools").exit_code == 0, 20, "the server to answer")
        assert list(rows(remote("list").output)) == list(rows(env.ok("list")))
        pools = rows(remote("pools").output)
        assert pools[CELERY] == rows(env.ok("pools"))[CELERY]
        accepting = accept_once_asked(env.storage, SERVER)
        drained = remote("drain", "--pool", SERVER, "--wait")
        accepting.join()
        assert drained.exit_code == 0, drained.output
        assert drained.output.splitlines()[-1] == \
            f"pool {SERVER}: DRAINED, 0 active runs, 0 workers"
        assert remote("resume", "--pool", SERVER).output == \
            f"pool {SERVER}: ACTIVE, 0 active runs, 0 workers\n"
        unknown = remote("drain", "--worker", "web-9:1")
        assert unknown.exit_code == 1
        assert unknown.output == env.daggo("drain", "--worker", "web-9:1").output
        both = remote("resume", "--pool", CELERY, "--worker", "web-2:31")
        assert both.exit_code == 2 and "not both" in both.output
