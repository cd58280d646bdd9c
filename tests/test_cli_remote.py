"""The CLI against a real `daggo run` server (`--url`, `DAGGO_URL`, `DAGGO_TOKEN`), on each
backend: every remote output equals the local one for the same state, errors read the
same, and `job launch --wait` follows the run through the server's event stream."""

from __future__ import annotations

import os
import re
import select
import subprocess
import time
import urllib.request
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from daggo_core.cli.main import cli
from daggo_core.cli.progress import IDLE_REDRAW_SECONDS
from daggo_core.client import RemoteServices, RunStream
from daggo_core.errors import DaggoError, StorageError
from daggo_core.rpc.errors import _BY_CLASS, error_of_code, rpc_error
from daggo_core.services.jobs import JobsGetRequest
from daggo_core.storage.records import RunStatus
from daggo_core.testing.processes import free_port, wait_for
from daggo_core.testing.tcp_proxy import TcpProxy
from tests.conftest import BackendUnderTest
from tests.remote_server import Server

SECRET = "s3cret-token-value"


@pytest.fixture
def server(start_server: Callable[..., Server]) -> Server:
    return start_server()


def finished(server: Server, run_id: str) -> bool:
    return server.storage.get_run(run_id).is_finished


def launched_id(result: Result) -> str:
    """The run id `job launch` printed."""
    assert result.exit_code == 0, result.output
    return result.output.split()[1]


def read_until(proc: subprocess.Popen[str], text: str, timeout: float = 20.0) -> str:
    """What `proc` printed up to `text` (read unbuffered, so `communicate` reads on)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    printed = ""

    def arrived() -> bool:
        nonlocal printed
        if select.select([fd], [], [], 0.05)[0]:
            chunk = os.read(fd, 65536).decode()
            if not chunk:
                raise AssertionError(f"the process ended before printing {text!r}: {printed}")
            printed += chunk
        return text in printed

    wait_for(arrived, timeout, f"{text!r} to be printed")
    return printed


# ---------------------------------------------------------------------------- reading


def test_jobs_runs_and_schedules_read_the_same_remotely(server: Server) -> None:
    good = launched_id(server.remote("job", "launch", "counting", "--params", '{"n": 3}',
                                     "--tag", "team=data"))
    bad = launched_id(server.remote("job", "launch", "counting", "--params", '{"n": -1}'))
    wait_for(lambda: finished(server, good) and finished(server, bad), 20, "the runs to end")
    assert server.storage.get_run(good).params == {"n": 3}
    assert server.storage.get_run(good).tags == {"team": "data"}
    server.same("job", "list")
    job = server.same("job", "show", "counting")
    assert "params: n: int = 1" in job.output and "num <- count" in job.output
    assert f"latest run: FAILURE {bad}" in job.output
    server.same("runs", "list")
    server.same("runs", "list", "--status", "FAILURE", "--job", "counting", "--limit", "1")
    server.same("runs", "list", "--tag", "team=data")
    shown = server.same("runs", "show", bad[:8])
    assert "ValueError: cannot count to -1" in shown.output
    logs = server.same("runs", "logs", good[:8])
    assert "counting to 3" in logs.output
    server.same("runs", "logs", bad, "--level", "ERROR")
    listed = server.same("schedule", "list")
    assert "yearly" in listed.output and "weekly" in listed.output
    server.same("schedule", "ticks", "counting")


def test_unknown_runs_jobs_and_bad_params_fail_with_the_local_messages(server: Server) -> None:
    unknown = server.same("runs", "show", "ffff")
    assert unknown.exit_code == 1
    assert "no run with id 'ffff'" in unknown.output
    server.same("runs", "logs", "ffff")
    server.same("runs", "cancel", "ffff")
    server.same("job", "show", "nope")
    missing = server.same("job", "launch", "nope")
    assert "no job named 'nope' (known jobs: counting, gated)" in missing.output
    params = server.same("job", "launch", "counting", "--params", '{"n": "three"}')
    assert params.exit_code == 1
    assert "n: expected int, got str 'three'" in params.output
    server.same("job", "launch", "counting", "--params", '{"m": 1}')
    server.same("schedule", "disable", "counting", "monthly")
    assert server.storage.list_runs() == []


def test_remote_services_offer_the_rpc_methods_only(server: Server,
                                                  storage_backend: BackendUnderTest) -> None:
    with RemoteServices(server.url + "/") as remote:
        assert remote.system.version().storage == storage_backend.name  # no request
        assert remote.system.health().ok
        assert remote.jobs.get(JobsGetRequest(name="gated")).graph.order == ("wait",)
        with pytest.raises(AttributeError) as raised:
            remote.runs.resolve_id("ffff")
        message = str(raised.value)
        assert message.startswith("'resolve_id' is not an RPC method of this service (its "
                                  "methods: cancel, count, ")
        assert "get_many" in message and "resolve_id," not in message


# ---------------------------------------------------------------------------- changing


def test_cancel_and_reexecute_through_the_server(server: Server) -> None:
    gated = launched_id(server.remote("job", "launch", "gated"))
    wait_for(server.started, 20, "the gated run to start")
    canceled = server.remote("runs", "cancel", gated[:8])
    assert canceled.exit_code == 0, canceled.output
    # The status read after the executor was told: still STARTED, or CANCELED already.
    assert re.search(rf"run {gated} is (STARTED|CANCELED): cancellation requested; its "
                     "worker was told at once", canceled.output.replace("\n", " "))
    wait_for(lambda: server.storage.get_run(gated).status is RunStatus.CANCELED, 20,
             "the run to be canceled")
    server.same("runs", "cancel", gated)  # already finished: the same answer

    waiting = launched_id(server.remote("job", "launch", "gated"))
    wait_for(lambda: len(server.started()) == 2, 20, "the second gated run to start")
    refused = server.same("runs", "reexecute", waiting)
    assert "only finished runs can be re-executed" in refused.output

    failed = launched_id(server.remote("job", "launch", "counting", "--params", '{"n": -2}'))
    wait_for(lambda: finished(server, failed), 20, "the failing run to end")
    planned = server.remote("runs", "reexecute", failed[:8], "--step", "double")
    assert planned.exit_code == 1  # the server checks the plan with the job's code
    assert "step 'double' needs the output of count, which did not succeed" in planned.output
    again = server.remote("runs", "reexecute", failed[:8], "--step", "count")
    assert again.exit_code == 0, again.output
    child = again.output.split()[1]
    assert again.output == f"run {child} queued: re-execution of {failed} from step count\n"
    assert server.storage.get_run(child).parent_run_id == failed


def test_schedules_are_turned_on_and_off_through_the_server(server: Server) -> None:
    disabled = server.remote("schedule", "disable", "counting", "yearly")
    assert disabled.output == "schedule yearly of counting disabled\n"
    enabled = server.remote("schedule", "enable", "counting")
    assert enabled.output == ("schedule weekly of counting enabled\n"
                              "schedule yearly of counting enabled\n")
    listed = server.same("schedule", "list", "--job", "counting")
    assert listed.output.count("on (toggled)") == 1  # weekly is off in code
    reset = server.remote("schedule", "reset", "counting", "weekly")
    assert reset.output == "schedule weekly of counting back to its default in code (disabled)\n"
    states = {s.schedule_key: s.enabled_override for s in server.storage.list_schedule_states()}
    assert states == {"yearly": True, "weekly": None}


def events_requests(server: Server) -> float:
    """How many `Runs.Events` calls the server answered, from its metrics."""
    with urllib.request.urlopen(f"{server.url}/metrics", timeout=10) as response:
        text = response.read().decode()
    prefix = 'daggo_rpc_requests_total{method="Runs.Events",status="200"} '
    return sum(float(line.removeprefix(prefix)) for line in text.splitlines()
               if line.startswith(prefix))


def test_logs_follow_a_running_run_through_the_server(server: Server) -> None:
    run_id = launched_id(server.remote("job", "launch", "gated"))
    wait_for(server.started, 20, "the gated run to start")
    follower = server.cli_process("runs", "logs", run_id[:8], "--follow")
    first = read_until(follower, "STEP_STARTED")  # the run waits at the gate
    assert not finished(server, run_id)
    # Nothing is stored while the run waits: the stream tells of nothing, so the
    # follower asks for no page (polling would ask about six times).
    pages = events_requests(server)
    time.sleep(1.5)
    assert events_requests(server) == pages
    (server.gate / "open").touch()
    rest, _ = follower.communicate(timeout=30)
    output = first + rest
    assert follower.returncode == 0, output
    assert output.splitlines()[-1].endswith("run succeeded")
    assert output == server.local("runs", "logs", run_id).output


# ---------------------------------------------------------------------------- --wait


def test_launch_wait_follows_the_stream_and_exits_as_locally(server: Server) -> None:
    ok = server.cli_process("job", "launch", "gated", "--wait")
    printed = read_until(ok, "  wait: RUNNING\n")  # the step's start, as it happened
    opened = time.monotonic()
    (server.gate / "open").touch()
    rest, _ = ok.communicate(timeout=30)
    # The run's end came through the stream, not the idle redraw that would show it too.
    assert time.monotonic() - opened < IDLE_REDRAW_SECONDS
    output = printed + rest
    assert ok.returncode == 0, output
    run_id = output.split()[1]
    assert output.count("  wait: RUNNING") == 1 and output.count("  wait: SUCCESS") == 1
    assert output.rstrip().endswith(f"run {run_id} finished: SUCCESS")

    failing = server.cli_process("job", "launch", "counting", "--params", '{"n": -1}', "--wait")
    output, _ = failing.communicate(timeout=30)
    assert failing.returncode == 1, output
    assert "ValueError: cannot count to -1" in output
    assert output.rstrip().endswith("finished: FAILURE")


def test_the_stream_is_resumed_after_the_connection_drops(server: Server) -> None:
    proxy = TcpProxy("127.0.0.1", server.port)
    try:
        url = f"http://127.0.0.1:{proxy.port}"
        follower = server.cli_process("job", "launch", "gated", "--wait", url=url)
        with RemoteServices(url) as remote:
            wait_for(server.started, 20, "the gated run to start")
            run_id = server.started()[0].name.removeprefix("started-")
            stream = RunStream(remote.client, run_id, retry_interval=0.05).start()
            assert stream.wait(10) or stream.last_event_id, "no event arrived"
            with proxy.outage():  # every connection through the proxy is cut
                pass
            (server.gate / "open").touch()
            while not stream.ended:
                stream.wait(1)
            assert stream.connections == 2 and finished(server, run_id)
            # Resumed after the last event received: each event arrived once.
            assert stream.events == len(server.storage.list_events(run_id))
        output, _ = follower.communicate(timeout=30)
        assert follower.returncode == 0, output
        assert output.count("  wait: SUCCESS") == 1
        assert output.rstrip().endswith(f"run {run_id} finished: SUCCESS")
    finally:
        proxy.close()


# ---------------------------------------------------------------------------- failures


def test_a_server_that_is_down_is_named_with_what_to_do() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(cli, ["runs", "list"], env={"DAGGO_URL": url})
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot reach the daggo server at {url} (")
    assert "check that it runs (`daggo run`) and that --url or DAGGO_URL names it" in \
        result.output
    assert "Traceback" not in result.output
    bad = CliRunner().invoke(cli, ["job", "list", "--url", "127.0.0.1:8000"])
    assert bad.output == ("Error: server URL '127.0.0.1:8000' is not an http:// or https:// "
                          "URL; give one like http://127.0.0.1:8000 with --url or DAGGO_URL\n")


def test_a_url_that_is_not_a_daggo_api_says_so(server: Server) -> None:
    elsewhere = f"{server.url}/somewhere"
    result = server.remote("runs", "list", url=elsewhere)
    assert result.exit_code == 1
    assert result.output == (f"Error: the server at {elsewhere} answered POST "
                             "/rpc/Runs.GetMany with HTTP 404 Not Found, not a daggo answer: "
                             "check that --url or DAGGO_URL names a daggo server\n")


def test_local_only_options_are_refused_with_a_url(server: Server) -> None:
    local = server.remote("job", "launch", "counting", "--local")
    assert local.exit_code == 2
    assert "--local executes the run in this process: it cannot be combined with --url" \
        in local.output
    for option in (["-m", "app"], ["-f", "app.py"], ["--config", "daggo.toml"]):
        refused = server.remote("runs", "reexecute", "ffff", *option)
        assert refused.exit_code == 2
        assert "cannot be used with --url (or DAGGO_URL): the server works with its own " \
            "config and code" in refused.output
    for command in (["run"], ["db", "upgrade"], ["worker"]):
        offered = CliRunner().invoke(cli, [*command, "--url", server.url])
        assert offered.exit_code == 2 and "No such option '--url'" in offered.output
    assert server.storage.list_runs() == []


def test_the_token_is_sent_and_never_printed(start_server: Callable[..., Server]) -> None:
    server = start_server(DAGGO_ADMIN_SECRET_KEY=SECRET)
    without = server.remote("job", "list")
    assert without.exit_code == 1
    assert without.output == (f"Error: the server at {server.url} requires a token (401 "
                              "unauthenticated): set DAGGO_TOKEN or --token to its "
                              "admin.secret_key\n")
    wrong = server.remote("job", "list", token="not-" + SECRET)
    assert wrong.exit_code == 1
    assert "refused the token (401 unauthenticated): set DAGGO_TOKEN or --token" in wrong.output
    assert SECRET not in wrong.output
    right = server.remote("job", "list", token=SECRET)
    assert right.exit_code == 0 and "counting" in right.output
    flag = CliRunner().invoke(cli, ["job", "list", "--url", server.url, "--token", SECRET])
    assert flag.output == right.output and SECRET not in flag.output


def test_each_error_code_comes_back_as_the_error_class_that_answers_it() -> None:
    for kind, code in _BY_CLASS:
        raised = (StorageError("the message", transient=True) if kind is StorageError
                  else kind("the message"))
        answer = rpc_error("Runs.Get", raised)
        error = error_of_code(answer.code, answer.message)
        assert isinstance(error, kind) and str(error) == "the message", code
    assert error_of_code("internal", "x") is None
    # A storage error that is no outage (a schema problem, a bug) is the server's fault:
    # logged with an id, its text not sent.
    answer = rpc_error("Runs.Get", StorageError("relation runs does not exist"))
    assert (answer.status, answer.code) == (500, "internal")
    assert "relation" not in answer.message
    assert isinstance(error_of_code("not_found", "x"), DaggoError)


def test_a_stream_closed_unread_again_and_again_gives_up_within_its_budget() -> None:
    import http.server
    import threading
    import time

    from daggo_core.client.http import RpcClient

    class EmptyStream(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # an event stream that ends before any message
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), EmptyStream)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        client = RpcClient(f"http://127.0.0.1:{httpd.server_address[1]}")
        stream = RunStream(client, "r1", retry_seconds=0.5, retry_interval=0.05).start()
        started = time.monotonic()
        with pytest.raises(DaggoError, match="closed the stream of run r1 without sending"):
            while stream.wait(5):
                pass
        assert time.monotonic() - started < 5 and stream.connections > 1
    finally:
        httpd.shutdown()
