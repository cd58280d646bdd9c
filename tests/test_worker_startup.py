"""User errors in real worker processes, on every backend: a bad output fails its step, a
worker that cannot start fails its run with what it printed, and neither is retried as a
lost worker; a pool whose workers keep failing to start makes `/healthz` say so."""

from __future__ import annotations

import asyncio
import errno
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from daggo_core.app import DaggoApp, open_app
from daggo_core.cli.main import cli
from daggo_core.cli.worker_cmd import worker_command_for
from daggo_core.config import load_config
from daggo_core.execution.startup_failure import COMMAND_HINT, STARTUP_HINT, is_command_error
from daggo_core.storage.base import Storage
from daggo_core.storage.records import ErrorSource, EventKind, Run, RunStatus, StepStatus
from daggo_core.testing.processes import wait_for

DAGGO = [sys.executable, "-m", "daggo_core.cli.main"]
INTERVAL = 0.2
MISSING = "No module named 'a_module_missing_from_the_workers'"


@pytest.fixture
def env(backend_worker_env: SimpleNamespace) -> SimpleNamespace:
    return backend_worker_env


@pytest.fixture
def app(env: SimpleNamespace) -> Iterator[DaggoApp]:
    """An app on the test's database whose workers are `daggo worker -f app.py`; its
    execution is started by the test, once it has broken (or not) the workers."""
    opened = open_app(load_config(), env.defs)
    opened.worker_command = worker_command_for(None, None, "app.py")
    yield opened
    if opened.executor is not None:
        executor = opened.executor
        wait_for(lambda: not executor.active_run_ids(), 10, "runs to finish")
    opened.close()


def run_to_the_end(app: DaggoApp, job: str) -> Run:
    coordinator = app.start_execution()
    run = app.launch(job)
    assert coordinator.dispatch_once() == 1
    return wait_for(finished(app.storage, run.id), what="the run to finish")


def finished(storage: Storage, run_id: str) -> Callable[[], Run | None]:
    def check() -> Run | None:
        run = storage.get_run(run_id)
        return run if run.is_finished else None

    return check


def kinds(storage: Storage, run_id: str) -> list[EventKind]:
    return [e.kind for e in storage.list_events(run_id)]


def test_an_unserializable_output_fails_its_step_in_the_worker_not_the_worker(
        app: DaggoApp) -> None:
    final = run_to_the_end(app, "unserializable_job")
    assert final.status is RunStatus.FAILURE and final.error is not None
    assert (final.error.type, final.error.source) == ("StepFailure", ErrorSource.USER)
    (step,) = app.storage.list_steps(final.id)
    assert step.status is StepStatus.FAILURE and step.error is not None
    assert step.error.type == "daggo_core.errors.OutputError"
    assert "Pid.value: expected int, got Handle" in step.error.message
    events = app.storage.list_events(final.id)
    assert any(e.message == "about to return a handle" for e in events)
    assert EventKind.RUN_WORKER_LOST not in kinds(app.storage, final.id)
    assert app.storage.count_runs() == 1  # the job's run_retries did not queue a retry


def test_a_worker_that_cannot_import_the_app_fails_its_run_with_the_cause(
        env: SimpleNamespace, app: DaggoApp) -> None:
    (env.gate / "break-workers").touch()
    final = run_to_the_end(app, "retry_job")
    assert final.status is RunStatus.FAILURE and final.error is not None
    error = final.error
    assert (error.type, error.source, error.hint) == ("WorkerStartFailed",
                                                      ErrorSource.STARTUP, STARTUP_HINT)
    assert "exited with code 1 before taking its run over" in error.message
    assert MISSING in error.message
    # The user's traceback, from their own frame: where in app.py, and the line.
    header, first_frame = error.traceback.splitlines()[:2]
    assert header == "Traceback (most recent call last):" and 'app.py", line ' in first_frame
    assert "    import a_module_missing_from_the_workers" in error.traceback
    assert app.storage.list_steps(final.id) == []
    assert kinds(app.storage, final.id)[-1] is EventKind.RUN_FAILURE
    assert EventKind.RUN_WORKER_LOST not in kinds(app.storage, final.id)
    assert app.storage.count_runs() == 1  # not retried, although the job has run_retries

    shown = CliRunner().invoke(cli, ["runs", "show", final.id])
    assert shown.exit_code == 0, shown.output
    assert "error (startup error): WorkerStartFailed: worker process" in shown.output
    assert MISSING in shown.output and "run hint: the worker could not start" in shown.output
    page = asyncio.run(_get(app, f"/runs/{final.id}"))
    assert "(startup error)" in page and "a_module_missing_from_the_workers" in page
    assert "Hint: the worker could not start the app" in page


async def _get(app: DaggoApp, path: str) -> str:
    response = await app.asgi.test_client().get(path)
    assert response.status_code == 200
    text: str = await response.get_data(as_text=True)
    return text


@pytest.mark.parametrize(("command", "expected", "hint"), [
    (["/nonexistent/daggo-worker"],
     "could not start a worker process (/nonexistent/daggo-worker): [Errno 2]", COMMAND_HINT),
    ([sys.executable, "-c", "import sys; sys.exit('this command runs no daggo worker')"],
     "exited with code 1 before taking its run over: this command runs no daggo worker",
     STARTUP_HINT),
], ids=["missing", "exits"])
def test_a_worker_command_that_fails_fails_the_run_without_retrying_it(
        app: DaggoApp, command: list[str], expected: str, hint: str) -> None:
    app.worker_command = command
    final = run_to_the_end(app, "retry_job")
    assert final.status is RunStatus.FAILURE and final.error is not None
    assert final.error.type == "WorkerStartFailed" and expected in final.error.message
    assert final.error.hint == hint
    assert app.storage.count_runs() == 1


@pytest.mark.parametrize(("error", "command_error"), [
    (FileNotFoundError(errno.ENOENT, "No such file or directory"), True),
    (PermissionError(errno.EACCES, "Permission denied"), True),
    (OSError(errno.ENOEXEC, "Exec format error"), True),
    (BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable"), False),
    (OSError(errno.ENOMEM, "Cannot allocate memory"), False),
])
def test_spawn_errors_of_the_command_are_told_from_the_machines(error: OSError,
                                                                command_error: bool) -> None:
    assert is_command_error(error) is command_error


def health_answering(port: int, status: int) -> Callable[[], dict[str, Any] | None]:
    """The server's health document once `/healthz` answers with `status`."""
    def check() -> dict[str, Any] | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz",
                                        timeout=2) as response:
                code, body = response.status, response.read()
        except urllib.error.HTTPError as failed:
            code, body = failed.code, failed.read()
        except OSError:
            return None
        document: dict[str, Any] = json.loads(body)
        return document if code == status else None

    return check


def test_healthz_says_workers_fail_to_start_and_recovers_when_they_start(
        env: SimpleNamespace) -> None:
    (env.gate / "break-workers").touch()
    log = (env.tmp / "server.log").open("wb")
    server = subprocess.Popen([*DAGGO, "run", "-f", "app.py"], cwd=env.tmp, stdout=log,
                              stderr=subprocess.STDOUT)
    env.procs.append(server)
    failing = wait_for(health_answering(env.port, 503), 30,
                       "/healthz to report the failing workers")
    assert failing["status"] == "error" and failing["components"]["executor"] == "failing"
    assert "workers fail to start" in failing["problems"]["executor"]
    assert MISSING in failing["problems"]["executor"]
    (env.gate / "break-workers").unlink()
    healthy = wait_for(health_answering(env.port, 200), 30, "/healthz to recover")
    assert healthy["components"]["executor"] == "running" and healthy["problems"] == {}
    # What the failing workers printed reached the server's own output too.
    assert MISSING in (env.tmp / "server.log").read_text()
