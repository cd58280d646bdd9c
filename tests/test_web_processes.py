"""`admin.processes`: a `daggo run` serving from several processes on each backend. Every
process answers with the primary's runtime (health, launches, cancels, metrics), a web
process that dies is started again, and the processes end with their primary."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client
from pathlib import Path
from typing import Any

import pytest

from daggo_core.app import DaggoApp
from daggo_core.config import default_config
from daggo_core.errors import DaggoError
from daggo_core.storage.records import RunStatus
from daggo_core.testing.processes import free_port, pid_alive, wait_for
from daggo_core.web import primary_link
from daggo_core.web.primary_link import PrimaryLink, PrimaryLinkServer
from daggo_core.web.processes import WebProcesses
from tests.conftest import BackendUnderTest
from tests.remote_server import APP, Server


def call(conn: http.client.HTTPConnection, method: str, body: dict[str, Any] | None = None
         ) -> tuple[int, Any]:
    conn.request("POST", f"/rpc/{method}", body=json.dumps(body or {}),
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, json.loads(response.read())


def process_of(conn: http.client.HTTPConnection) -> dict[str, Any]:
    """The process that answers on `conn` (a kept-alive connection stays with it)."""
    status, health = call(conn, "System.Health")
    assert status == 200, health
    process: dict[str, Any] = health["process"]
    return process


def connection_to(server: Server, role: str) -> http.client.HTTPConnection:
    """A kept-alive connection to a process of `role` ("primary" or "web"): new
    connections are spread over the processes by the kernel, so try a few (one that a
    dying process had accepted is reset)."""
    def attempt() -> http.client.HTTPConnection | None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            if process_of(conn)["role"] == role:
                return conn
        except ConnectionError:
            pass
        conn.close()
        return None

    return wait_for(attempt, 20, f"a connection to a {role} process")


@pytest.fixture
def served(start_server: Callable[..., Server]) -> Server:
    """A server of two processes: the primary and one web process."""
    return start_server(DAGGO_ADMIN_PROCESSES="2")


def test_every_process_answers_with_the_primarys_runtime(served: Server) -> None:
    for role in ("primary", "web"):
        conn = connection_to(served, role)
        status, health = call(conn, "System.Health")
        assert status == 200 and health["status"] == "ok"
        assert health["components"] == {"coordinator": "running", "monitor": "running",
                                        "scheduler": "disabled",
                                        "backfills": "running", "executor": "running"}
        assert (health["process"]["pid"] == served.proc.pid) == (role == "primary")
        conn.close()


def test_a_run_launched_through_a_web_process_is_executed_by_the_primary(served: Server) -> None:
    conn = connection_to(served, "web")
    status, launched = call(conn, "Jobs.Launch", {"job": "counting", "params": {"n": 4}})
    assert status == 200, launched
    run_id = launched["run"]["id"]
    wait_for(lambda: served.storage.get_run(run_id).is_finished, 20, "the run to end")
    run = served.storage.get_run(run_id)
    assert run.status is RunStatus.SUCCESS
    assert run.worker_id is not None and run.worker_id.endswith(f":{served.proc.pid}")
    status, detail = call(conn, "Runs.Get", {"run_id": run_id})
    assert [(s["key"], s["status"], s["attempt"]) for s in detail["steps"]] == [
        ("count", "SUCCESS", 1), ("double", "SUCCESS", 1)]


def test_a_web_process_has_the_primarys_executor_stop_a_run(served: Server) -> None:
    conn = connection_to(served, "web")
    _, launched = call(conn, "Jobs.Launch", {"job": "gated"})
    run_id = launched["run"]["id"]
    wait_for(served.started, 20, "the gated run to start")
    status, cancel = call(conn, "Runs.Cancel", {"run_id": run_id})
    assert status == 200, cancel
    assert "told at once" in cancel["message"], cancel  # not left to its next heartbeat
    wait_for(lambda: served.storage.get_run(run_id).is_finished, 20, "the run to end")
    assert served.storage.get_run(run_id).status is RunStatus.CANCELED


def scraped_health_requests(conn: http.client.HTTPConnection) -> float:
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    for line in text.splitlines():
        if line.startswith('daggo_rpc_requests_total{method="System.Health",status="200"}'):
            return float(line.split()[-1])
    return 0.0


def test_every_scrape_counts_the_requests_of_every_process(served: Server) -> None:
    web, primary = connection_to(served, "web"), connection_to(served, "primary")
    before = scraped_health_requests(primary)
    for _ in range(7):
        process_of(web)
    for _ in range(5):
        process_of(primary)
    # A web process sends its observations within a quarter second.
    wait_for(lambda: scraped_health_requests(primary) >= before + 12, 10,
             "the primary to count the web process's requests")
    assert scraped_health_requests(web) >= before + 12


def test_a_web_process_that_dies_is_started_again(served: Server) -> None:
    conn = connection_to(served, "web")
    first = process_of(conn)["pid"]
    os.kill(first, signal.SIGKILL)
    conn.close()
    wait_for(lambda: not pid_alive(first), 10, "the web process to die")

    def replaced() -> int | None:
        pid = process_of(connection_to(served, "web"))["pid"]
        return pid if pid != first else None

    assert wait_for(replaced, 30, "a new web process") != first


def test_web_processes_end_with_their_primary(served: Server) -> None:
    web = process_of(connection_to(served, "web"))["pid"]
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(20) == 0
    assert not pid_alive(web)  # stopped and reaped by the primary before it exited


def test_web_processes_stop_first_while_the_primary_finishes_its_runs(
        served: Server) -> None:
    web = process_of(connection_to(served, "web"))["pid"]
    _, launched = call(connection_to(served, "primary"), "Jobs.Launch", {"job": "gated"})
    wait_for(served.started, 20, "the gated run to start")
    served.proc.send_signal(signal.SIGTERM)
    # The in-process executor finishes its run before the primary exits; meanwhile no
    # web process takes requests the stopped runtime cannot serve.
    wait_for(lambda: not pid_alive(web), 10, "the web process to stop")
    assert served.proc.poll() is None
    (served.gate / "open").touch()
    assert served.proc.wait(30) == 0
    assert served.storage.get_run(launched["run"]["id"]).status is RunStatus.SUCCESS


def test_a_web_process_whose_primary_is_killed_stops(served: Server) -> None:
    web = process_of(connection_to(served, "web"))["pid"]
    served.proc.kill()
    served.proc.wait(10)
    wait_for(lambda: not pid_alive(web), 10, "the orphaned web process to stop")


def children(pid: int) -> list[int]:
    """The pids of process `pid`'s children (Linux)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


def test_a_web_process_whose_primary_dies_while_it_starts_stops(
        storage_backend: BackendUnderTest, tmp_path: Path) -> None:
    env = {**os.environ, **storage_backend.env, "TEST_GATE_DIR": str(tmp_path),
           "DAGGO_EXECUTION_EXECUTOR": "in_process", "DAGGO_SCHEDULER_ENABLED": "false",
           "DAGGO_ADMIN_PORT": str(free_port()), "DAGGO_ADMIN_PROCESSES": "2"}
    primary = subprocess.Popen([sys.executable, "-m", "daggo_core.cli.main", "run", "-f",
                                str(APP)], env=env, cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        (web,) = wait_for(lambda: children(primary.pid), 30, "the web process to start")
    finally:
        primary.kill()  # before the web process has imported the app
        primary.wait(10)
    wait_for(lambda: not pid_alive(web), 20, "the orphaned web process to stop")


def test_a_web_process_that_cannot_start_is_retried_ever_later(
        caplog: pytest.LogCaptureFixture) -> None:
    processes = WebProcesses(["/nonexistent/daggo"], 1, "no-link", b"key")
    stopping = asyncio.Event()

    async def main() -> None:
        asyncio.get_running_loop().call_later(3.0, stopping.set)
        await processes.run(stopping)

    with caplog.at_level(logging.ERROR, "daggo.web"):
        asyncio.run(main())
    attempts = [r for r in caplog.records if "could not start" in r.getMessage()]
    # At once, again at once (its next look, 0.5 s on), then 1 s later; the next would
    # be 2 s after that, at 3.5 s.
    assert len(attempts) == 3


def test_a_port_in_use_fails_before_serving(served: Server, tmp_path: Path,
                                            storage_backend: BackendUnderTest) -> None:
    env = {**os.environ, **storage_backend.env, "TEST_GATE_DIR": str(served.gate),
           "DAGGO_ADMIN_PORT": str(served.port), "DAGGO_ADMIN_PROCESSES": "2"}
    done = subprocess.run([sys.executable, "-m", "daggo_core.cli.main", "run", "-f", str(APP)],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert f"cannot listen on 127.0.0.1:{served.port}" in done.stderr, done.stderr


def test_several_processes_need_a_program_to_start_again(
        apps: Callable[..., DaggoApp]) -> None:
    cfg = default_config()
    cfg.admin.processes, cfg.admin.port = 2, free_port()
    app = apps(cfg)  # in pytest: no command line that reaches the app again
    with pytest.raises(DaggoError, match=r"admin\.processes above 1 needs a program"):
        asyncio.run(app.serve())
    assert app.coordinator is None  # nothing started


# ------------------------------------------------------------------------- the link


@contextmanager
def linked(app: DaggoApp) -> Iterator[tuple[PrimaryLinkServer, PrimaryLink]]:
    server = PrimaryLinkServer(app)
    link = PrimaryLink(server.name, server.key)
    try:
        yield server, link
    finally:
        link.close()
        server.close()


def test_the_link_answers_with_the_primarys_state(apps: Callable[..., DaggoApp]) -> None:
    app = apps(default_config())
    with linked(app) as (_, link):
        assert link.components() == (app.component_states(), {})
        assert link.stop_run("0" * 32) is False  # its executor does not execute it
        link.observe_rpc("Runs.Get", 200, 0.002)
        assert b'daggo_rpc_requests_total{method="Runs.Get",status="200"} 1.0' in link.scrape()


def test_the_link_refuses_a_peer_without_its_key(apps: Callable[..., DaggoApp]) -> None:
    with linked(apps(default_config())) as (server, link):
        with pytest.raises(AuthenticationError):
            Client(f"\0{server.name}", family="AF_UNIX", authkey=b"not the key")
        assert link.components()[0]["coordinator"] == "not started"  # still serves


def test_a_primary_gone_is_a_stopped_component(apps: Callable[..., DaggoApp]) -> None:
    with linked(apps(default_config())) as (server, link):
        server.close()
        states, problems = link.components()
        assert states == {"primary": "stopped"}
        assert "does not answer" in problems["primary"]
        assert link.stop_run("0" * 32) is False


def test_a_primary_that_hangs_fails_calls_within_their_deadline(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(primary_link, "ANSWER_SECONDS", 0.5)
    name = f"daggo-test-hung-{os.getpid()}"
    hung = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # listens, never answers
    hung.bind(f"\0{name}")
    hung.listen()
    link = PrimaryLink(name, b"key")
    try:
        started = time.monotonic()
        assert link.components()[0] == {"primary": "stopped"}
        assert time.monotonic() - started < 3
        started = time.monotonic()
        assert link.stop_run("0" * 32) is False  # at once: it failed a moment ago
        assert time.monotonic() - started < 0.2
    finally:
        link.close()
        hung.close()
