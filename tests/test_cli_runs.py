"""`daggo runs ...` against a SQLite database: run id prefixes and the event log."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from attrs import frozen
from click.testing import CliRunner, Result

from daggo_core import Context, Definitions, NoInput, dag, execute
from daggo_core.cli.main import cli
from daggo_core.plugins import make_plugin_manager
from daggo_core.services.sync import sync_definitions
from daggo_core.storage.base import Storage
from daggo_core.storage.records import Event, EventKind, Run, RunStatus
from daggo_sqlite.testing import database_config


@frozen
class Lines:
    n: int


def chatty(ctx: Context, inp: NoInput) -> Lines:
    for i in range(5):
        ctx.log.info("line %d", i)
    ctx.log.error("something broke at %d", 3)
    print("printed")
    return Lines(5)


JOB = dag.job("chatty").add(dag.op("chatty", chatty)).build()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "daggo.sqlite"


@pytest.fixture
def storage(db: Path) -> Storage:
    storage = make_plugin_manager().storage_backend("sqlite").open(
        database_config(db))
    sync_definitions(storage, Definitions(jobs=[JOB]))
    yield storage
    storage.close()


def daggo(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"DAGGO_SQLITE_PATH": str(db),
                                                    "DAGGO_DATABASE_DRIVER": None})


def test_commands_take_the_short_run_ids_that_lists_print(db: Path, storage: Storage) -> None:
    result = execute(JOB, storage=storage)
    short = result.run_id[:8]
    shown = daggo(db, "runs", "show", short)
    assert shown.exit_code == 0, shown.output
    assert f"run {result.run_id}" in shown.output
    logs = daggo(db, "runs", "logs", short)
    assert logs.exit_code == 0 and "line 4" in logs.output
    canceled = daggo(db, "runs", "cancel", short)
    assert canceled.exit_code == 0
    assert f"run {result.run_id} already finished" in canceled.output


def test_an_ambiguous_prefix_is_refused_naming_the_candidates(db: Path,
                                                              storage: Storage) -> None:
    for run_id in ("ab12" + "0" * 28, "ab13" + "0" * 28):
        storage.add_run(Run(id=run_id, job_name="chatty", status=RunStatus.SUCCESS))
    result = daggo(db, "runs", "show", "ab1")
    assert result.exit_code == 1
    assert "run id prefix 'ab1' is ambiguous" in result.output
    assert "ab120000" in result.output and "ab130000" in result.output
    missing = daggo(db, "runs", "logs", "ffff")
    assert missing.exit_code == 1 and "no run with id 'ffff'" in missing.output


def test_logs_filter_by_step_level_and_text(db: Path, storage: Storage) -> None:
    run_id = execute(JOB, storage=storage).run_id

    def lines(*options: str) -> list[str]:
        result = daggo(db, "runs", "logs", run_id, *options)
        assert result.exit_code == 0, result.output
        return [line.split(maxsplit=4)[-1] for line in result.output.splitlines()]

    everything = lines()
    assert everything[0] == "run started in process"
    assert everything[-1] == "run succeeded"
    assert lines("--level", "error") == ["something broke at 3"]
    assert lines("--level", "STDOUT", "--level", "ERROR") == ["something broke at 3", "printed"]
    assert lines("--grep", "LINE 3") == ["line 3"]
    assert lines("--step", "chatty", "--grep", "line") == [f"line {i}" for i in range(5)]


def test_logs_of_a_long_run_are_complete_and_in_order(db: Path, storage: Storage) -> None:
    run = storage.add_run(Run(job_name="chatty", status=RunStatus.SUCCESS))
    total = 12_345  # more than two pages
    storage.add_events([Event(run_id=run.id, kind=EventKind.LOG, level="INFO",
                              message=f"n={i}") for i in range(total)])
    result = daggo(db, "runs", "logs", run.id)
    assert result.exit_code == 0
    assert [line.rsplit(" ", 1)[-1] for line in result.output.splitlines()] == [
        f"n={i}" for i in range(total)]


def test_logs_follow_prints_new_lines_until_the_run_ends(db: Path, storage: Storage) -> None:
    run = storage.add_run(Run(job_name="chatty", status=RunStatus.STARTED))
    storage.add_events([Event(run_id=run.id, kind=EventKind.LOG, level="INFO", message="before")])
    results: list[Result] = []
    follower = threading.Thread(target=lambda: results.append(
        daggo(db, "runs", "logs", run.id, "--follow")))
    follower.start()
    time.sleep(0.5)
    assert follower.is_alive()  # the run has not ended: it waits for more
    storage.add_events([Event(run_id=run.id, kind=EventKind.LOG, level="INFO", message="during")])
    storage.set_run_status(run.id, RunStatus.SUCCESS, events=[
        Event(run_id=run.id, kind=EventKind.RUN_SUCCESS, level="INFO",
              message="finished")])
    follower.join(timeout=20)
    assert not follower.is_alive()
    [result] = results
    assert [line.split(maxsplit=4)[-1] for line in result.output.splitlines()] == [
        "before", "during", "finished"]


def test_logs_piped_into_a_reader_that_stops_early_end_quietly(db: Path,
                                                                storage: Storage) -> None:
    run = storage.add_run(Run(job_name="chatty", status=RunStatus.SUCCESS))
    storage.add_events([Event(run_id=run.id, kind=EventKind.LOG, message=f"n={i}")
                        for i in range(20_000)])
    daggo_cli = [sys.executable, "-m", "daggo_core.cli.main", "runs", "logs", run.id]
    env = {"DAGGO_SQLITE_PATH": str(db), "PATH": "/usr/bin:/bin"}
    with subprocess.Popen(daggo_cli, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=env) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # like `| head -1`
        errors = proc.stderr.read().decode()
        proc.wait(timeout=60)
    assert first.decode().endswith("n=0\n")
    assert "Traceback" not in errors and "BrokenPipe" not in errors


def test_serve_on_a_port_in_use_fails_before_the_banner(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "from attrs import frozen\nfrom daggo_core import NoInput, dag\n\n"
        "@frozen\nclass Out:\n    n: int\n\n"
        "def one(ctx, inp: NoInput) -> Out:\n    return Out(1)\n\n"
        "job = dag.job('one').add(dag.op('one', one)).build()\n")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "daggo_core.cli.main", "run", "-f", "app.py"],
            cwd=tmp_path, capture_output=True, text=True, timeout=60,
            env={"DAGGO_ADMIN_PORT": str(port), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1
    assert "serving" not in proc.stdout
    assert "Traceback" not in proc.stderr
    [line] = [line for line in proc.stderr.splitlines() if line.strip()]
    assert f"cannot listen on 127.0.0.1:{port}" in line
    assert "--port" in line and "DAGGO_ADMIN_PORT" in line


def test_a_run_left_queued_is_followed_with_the_reason_it_waits(storage: Storage) -> None:
    import io

    from rich.console import Console

    from daggo_core.cli.progress import follow_run
    from daggo_core.testing.services import services_over

    waiting = storage.add_run(Run(job_name="chatty"))
    storage.claim_runs(lambda queued, running: ((), {waiting.id: "tag 'db' limit reached"}))
    unseen = storage.add_run(Run(job_name="chatty"))
    services = services_over(storage)
    for run, hint in ((waiting, "still queued: tag 'db' limit reached"),
                      (unseen, "still queued: is `daggo run` serving this database?")):
        out = io.StringIO()
        ender = threading.Timer(0.5, storage.request_cancel, args=(run.id,))
        ender.start()
        final = follow_run(services, run.id, Console(file=out, width=100), poll=0.05,
                           queued_hint_after=0.0)
        ender.join()
        assert final.run.status is RunStatus.CANCELED
        assert hint in out.getvalue()
