"""The streams over a real server, on each backend: `GET /rpc/Runs.Stream` and
`GET /rpc/Runs.StatusStream` read with an HTTP client while subprocess workers store the
events, fed by one shared `EventFeed`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from daggo_core.app import DaggoApp, open_app
from daggo_core.cli.worker_cmd import worker_command_for
from daggo_core.config import load_config
from daggo_core.loading import load_definitions
from daggo_core.services.runs import event_cursor
from daggo_core.storage.records import Event, EventKind
from daggo_core.testing.processes import free_port, wait_for
from daggo_core.testing.serving import app_served
from daggo_core.testing.sse import SseMessage, read_sse, stream_latencies
from tests.conftest import BackendUnderTest


@pytest.fixture
def server(storage_backend: BackendUnderTest, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    """A daggo server in this process (its feed at hand) on the test's database, whose
    subprocess workers run tests/stream_app.py."""
    gate = tmp_path / "gate"
    gate.mkdir()
    port = free_port()
    values = {**storage_backend.env, "TEST_GATE_DIR": str(gate),
              "DAGGO_EXECUTION_EXECUTOR": "subprocess",
              "DAGGO_EXECUTION_POLL_INTERVAL_SECONDS": "0.05",
              "DAGGO_SCHEDULER_ENABLED": "false", "DAGGO_ADMIN_PORT": str(port)}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "app.py").write_text((Path(__file__).parent / "stream_app.py").read_text())
    monkeypatch.chdir(tmp_path)
    app = open_app(load_config(), load_definitions(file=tmp_path / "app.py"))
    app.worker_command = worker_command_for(None, None, "app.py")
    url = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=url, timeout=20)
    try:
        with app_served(app, name="stream-test-server") as stop:
            env = SimpleNamespace(app=app, url=url, gate=gate, client=client, stop=stop)
            wait_for(lambda: _healthy(client), 20, "the server to answer")
            try:
                yield env
            finally:
                (gate / "open").touch()
    finally:
        client.close()
        app.close()


def _healthy(client: httpx.Client) -> bool:
    try:
        return client.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


def launch(env: SimpleNamespace, job: str, **params: Any) -> str:
    response = env.client.post("/rpc/Jobs.Launch", json={"job": job, "params": params})
    assert response.status_code == 200, response.text
    return str(response.json()["run"]["id"])


def stream(env: SimpleNamespace, path: str = "/rpc/Runs.Stream", *,
           headers: dict[str, str] | None = None, **params: str) -> list[SseMessage]:
    """Every message of a stream, read to its end."""
    with env.client.stream("GET", path, params=params, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return list(read_sse(response.iter_lines()))


def stored_events(env: SimpleNamespace, run_id: str) -> list[dict[str, Any]]:
    page = env.client.post("/rpc/Runs.Events", json={"run_id": run_id}).json()
    assert not page["has_later"]
    return list(page["events"])


def test_a_stream_sends_each_event_once_in_order_then_ends(server: SimpleNamespace) -> None:
    run_id = launch(server, "chatty", n=30)
    messages = stream(server, run_id=run_id)
    *events, end = messages
    assert end.event == "end" and end.id is None
    assert end.data["id"] == run_id and end.data["status"] == "SUCCESS"
    assert {m.event for m in events} == {"event"}
    assert [m.data for m in events] == stored_events(server, run_id)
    assert [m.id for m in events] == [event_cursor(m.data["id"]) for m in events]
    lines = [m.data["message"] for m in events if m.data["kind"] == "LOG"]
    assert lines == [f"line {i}" for i in range(30)]
    assert events[-1].data["kind"] == "RUN_SUCCESS"


def test_a_stream_resumes_after_the_last_event_id_with_exactly_the_rest(
        server: SimpleNamespace) -> None:
    run_id = launch(server, "gated")
    with server.client.stream("GET", "/rpc/Runs.Stream", params={"run_id": run_id}) as first:
        seen = []
        for message in read_sse(first.iter_lines()):
            seen.append(message)
            if message.data.get("message") == "before the gate":
                break
    (server.gate / f"open-{run_id}").touch()
    rest = stream(server, run_id=run_id, headers={"Last-Event-ID": seen[-1].id or ""})
    assert rest[-1].event == "end"
    assert [m.data for m in seen + rest[:-1]] == stored_events(server, run_id)
    # ?cursor= resumes the same way, and a stream of an ended run sends its stored events
    middle = len(seen) // 2
    again = stream(server, run_id=run_id[:8], cursor=seen[middle].id or "")
    assert [m.data for m in again] == [m.data for m in seen[middle + 1:] + rest]


def test_filters_and_a_finished_run_send_the_stored_events_then_end(
        server: SimpleNamespace) -> None:
    run_id = launch(server, "chatty", n=3)
    wait_for(lambda: server.client.post("/rpc/Runs.Get", json={"run_id": run_id})
             .json()["run"]["status"] == "SUCCESS", 30, "the run to succeed")
    logs = stream(server, run_id=run_id, kinds="LOG,RUN_SUCCESS", levels="info")
    assert [m.data["message"] for m in logs[:-1]] == [
        "line 0", "line 1", "line 2", "run succeeded"]
    assert logs[-1].event == "end" and logs[-1].data["status"] == "SUCCESS"
    page = server.client.post("/rpc/Runs.Events", json={
        "run_id": run_id, "kinds": ["LOG", "RUN_SUCCESS"], "levels": ["INFO"]}).json()
    assert logs[-2].id == page["next_cursor"]


def test_the_status_stream_sees_a_run_queued_claimed_started_and_succeeding(
        server: SimpleNamespace) -> None:
    changes: list[dict[str, Any]] = []
    opened = threading.Event()

    def follow() -> None:
        with server.client.stream("GET", "/rpc/Runs.StatusStream",
                                  params={"job": "gated"}) as response:
            opened.set()
            for message in read_sse(response.iter_lines()):
                assert message.event == "run"
                changes.append(message.data)
                if message.data["id"] == second and message.data["status"] == "SUCCESS":
                    return

    second = ""
    follower = threading.Thread(target=follow)
    follower.start()
    assert opened.wait(20)
    first = launch(server, "gated")
    wait_for(lambda: (server.gate / f"started-{first}").exists(), 30, "the first run")
    second = launch(server, "gated")  # waits: one gated run at a time
    wait_for(lambda: any(c["id"] == second for c in changes), 20, "the second run queued")
    (server.gate / f"open-{first}").touch()
    wait_for(lambda: (server.gate / f"started-{second}").exists(), 30, "the second run")
    wait_for(lambda: any(c["id"] == second and c["status"] == "STARTED" for c in changes),
             20, "the second run's start")
    (server.gate / f"open-{second}").touch()
    follower.join(30)
    statuses = [c["status"] for c in changes if c["id"] == second]
    assert [s for i, s in enumerate(statuses) if i == 0 or statuses[i - 1] != s] == [
        "QUEUED", "STARTING", "STARTED", "SUCCESS"]
    assert {c["job_name"] for c in changes} == {"gated"}


def test_ten_clients_on_one_run_cost_the_feed_no_more_reads_than_one(
        server: SimpleNamespace) -> None:
    app: DaggoApp = server.app
    app.feed.poll_interval = 3600.0  # reads now happen only when this process stores
    run_id = launch(server, "gated")
    wait_for(lambda: (server.gate / f"started-{run_id}").exists(), 30, "the run to start")

    def reads_for(clients: int) -> int:
        streams = [httpx.Client(base_url=server.url, timeout=20) for _ in range(clients)]
        received: list[list[str]] = [[] for _ in streams]
        tail = stored_events(server, run_id)[-1]["id"]

        def follow(index: int) -> None:
            with streams[index].stream("GET", "/rpc/Runs.Stream", params={
                    "run_id": run_id, "cursor": event_cursor(tail), "kinds": "LOG"}) as r:
                for message in read_sse(r.iter_lines()):
                    assert message.event == "event", message
                    received[index].append(message.data["message"])
                    if message.data["message"] == "last":
                        return

        threads = [threading.Thread(target=follow, args=(i,)) for i in range(clients)]
        for thread in threads:
            thread.start()
        wait_for(lambda: app.feed.subscriber_count == clients, 20, "every client")
        app.storage.add_events([_log(run_id, "ready")])
        wait_for(lambda: all("ready" in r for r in received), 20, "every client to follow")
        before = app.feed.counts.events
        for i in range(5):
            app.storage.add_events([_log(run_id, f"batch {i}")])
            wait_for(lambda i=i: all(f"batch {i}" in r for r in received), 20, f"batch {i}")
        reads = app.feed.counts.events - before
        app.storage.add_events([_log(run_id, "last")])
        for thread in threads:
            thread.join(20)
        for client in streams:
            client.close()
        assert all(r == ["ready", *(f"batch {i}" for i in range(5)), "last"] for r in received)
        wait_for(lambda: not app.feed.active, 20, "the feed to stop without clients")
        return reads

    assert reads_for(1) == reads_for(10) == 5


def test_a_disconnecting_client_frees_its_subscription(server: SimpleNamespace) -> None:
    app: DaggoApp = server.app
    run_id = launch(server, "gated")
    with server.client.stream("GET", "/rpc/Runs.Stream", params={"run_id": run_id}) as r:
        messages = read_sse(r.iter_lines())  # kept: closing it would disconnect
        assert next(messages).data["kind"] == "RUN_QUEUED"
        assert app.feed.subscriber_count == 1
    wait_for(lambda: app.feed.subscriber_count == 0 and not app.feed.active, 20,
             "the subscription to be freed")
    before = app.feed.counts
    app.storage.add_events([_log(run_id, "nobody listens")])
    assert app.feed.counts == before


def test_unknown_runs_bad_cursors_and_parameters_are_refused_before_the_stream(
        server: SimpleNamespace) -> None:
    def get(path: str = "/rpc/Runs.Stream", **params: str) -> tuple[int, dict[str, Any]]:
        response = server.client.get(path, params=params)
        assert response.headers["content-type"] == "application/json"
        return response.status_code, response.json()["error"]

    status, error = get(run_id="ffffffff")
    assert (status, error["code"]) == (404, "not_found") and "ffffffff" in error["message"]
    run_id = launch(server, "chatty", n=1)
    status, error = get(run_id=run_id, cursor="nonsense")
    assert (status, error["code"]) == (400, "invalid_argument") and "cursor" in error["message"]
    status, error = get(run_id=run_id, kinds="LOG,NOPE")
    assert (status, error["code"]) == (400, "invalid_argument") and "$.kinds" in error["message"]
    status, error = get(run_id=run_id, colour="red")
    assert status == 400 and "colour" in error["message"]
    status, error = get("/rpc/Runs.StatusStream", job="nope")
    assert (status, error["code"]) == (404, "not_found") and "gated" in error["message"]


def test_stopping_the_server_ends_open_streams(server: SimpleNamespace) -> None:
    run_id = launch(server, "gated")
    with server.client.stream("GET", "/rpc/Runs.Stream", params={"run_id": run_id}) as r:
        messages = read_sse(r.iter_lines())
        first = next(messages)
        server.stop()
        rest = list(messages)
    assert rest[-1].event == "error"
    assert rest[-1].data["error"]["code"] == "unavailable"
    assert "Last-Event-ID" in rest[-1].data["error"]["message"]
    assert rest[-1].id == (rest[-2].id if len(rest) > 1 else first.id)


def test_storage_to_client_latency_is_measured(server: SimpleNamespace,
                                               storage_backend: BackendUnderTest) -> None:
    run_id = launch(server, "gated")
    wait_for(lambda: (server.gate / f"started-{run_id}").exists(), 30, "the run to start")
    here = stream_latencies(server.url, server.app.storage, run_id, samples=3)
    elsewhere = stream_latencies(server.url, storage_backend.open(), run_id, samples=3)
    assert len(here) == len(elsewhere) == 3


def _log(run_id: str, message: str) -> Event:
    return Event(run_id=run_id, kind=EventKind.LOG, level="INFO", message=message)
