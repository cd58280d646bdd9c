"""RPC calls and pushes to queue routes answered in front of Quart
(`daggo_core.web.fast_path`), on each backend: bodies read whole however they arrive,
Quart's body limit kept, the same answer as through Quart's own application."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from attrs import frozen

import daggo_core
from daggo_core import Context, NoInput, Queue, dag
from daggo_core.config import default_config
from tests.conftest import BackendUnderTest


@frozen
class Out:
    n: int


def op(ctx: Context, inp: NoInput) -> Out:
    return Out(1)


JOB = dag.job("job").add(dag.op("op", op)).build()


@frozen
class Note:
    text: str


NOTES = (Queue[Note]("notes").route("/ingest/notes").route("/hooks/<source>").jobs(JOB)
         .build())


@pytest.fixture
def app(storage_backend: BackendUnderTest,
        apps: Callable[..., daggo_core.DaggoApp]) -> daggo_core.DaggoApp:
    cfg = default_config()
    cfg.database = storage_backend.database
    cfg.scheduler.enabled = False
    return apps(cfg, daggo_core.Definitions(jobs=[JOB], queues=[NOTES]))


def asgi_post(app: daggo_core.DaggoApp, path: str, parts: list[bytes], *,
              stall: bool = False, quart_only: bool = False,
              headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """POST `parts` as the body's messages to the app's ASGI application, as a server
    does (with `stall`, the rest of the body never comes; with `quart_only`, to Quart's
    own application, which the fast path is in front of); the status, headers and body
    of the answer."""
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": part, "more_body": stall or i < len(parts) - 1}
        for i, part in enumerate(parts)]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # no more: as a server waits for a disconnect
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1234),
             "server": ("127.0.0.1", 80), "extensions": {},
             "headers": [(b"host", b"localhost"), (b"content-type", b"application/json"),
                         *((k.encode(), v.encode()) for k, v in (headers or {}).items())]}
    # Bounded, so an answer that never comes fails the test instead of hanging it.
    asgi = app.asgi.asgi_app.app if quart_only else app.asgi  # type: ignore[attr-defined]
    asyncio.run(asyncio.wait_for(asgi(scope, receive, send), 10))
    start = sent[0]
    answered = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], answered, b"".join(m.get("body", b"") for m in sent[1:])


def quart_post(app: daggo_core.DaggoApp, path: str, body: bytes) -> tuple[int, bytes]:
    """The status and body Quart's own route answers (not the fast path in front of it)."""
    status, _, answer = asgi_post(app, path, [body], quart_only=True)
    return status, answer


def test_a_body_in_several_messages_is_read_whole(app: daggo_core.DaggoApp) -> None:
    body = json.dumps({"job": "job", "limit": 5}).encode()
    status, headers, answer = asgi_post(app, "/rpc/Runs.GetMany",
                                        [body[:3], body[3:9], body[9:]])
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert headers["content-length"] == str(len(answer))
    assert (status, answer) == quart_post(app, "/rpc/Runs.GetMany", body)
    assert json.loads(answer)["runs"] == []


def test_an_error_is_answered_as_through_quart(app: daggo_core.DaggoApp) -> None:
    status, headers, answer = asgi_post(app, "/rpc/Runs.Get", [b'{"run_id": 1}'])
    assert status == 400 and headers["content-type"] == "application/json"
    assert json.loads(answer)["error"]["code"] == "invalid_argument"
    assert (status, answer) == quart_post(app, "/rpc/Runs.Get", b'{"run_id": 1}')


def test_a_body_over_quarts_limit_gets_its_413(app: daggo_core.DaggoApp) -> None:
    app.asgi.config["MAX_CONTENT_LENGTH"] = 64
    small = json.dumps({"job": "job"}).encode()
    assert asgi_post(app, "/rpc/Runs.GetMany", [small])[0] == 200
    large = json.dumps({"job": "j" * 100}).encode()
    assert asgi_post(app, "/rpc/Runs.GetMany", [large[:40], large[40:]])[0] == 413
    assert quart_post(app, "/rpc/Runs.GetMany", large)[0] == 413


def test_a_body_that_does_not_arrive_in_time_gets_408(app: daggo_core.DaggoApp) -> None:
    app.asgi.config["BODY_TIMEOUT"] = 0.2
    # The first part of the body and then nothing: as a client that stalls.
    status, headers, answer = asgi_post(app, "/rpc/Runs.GetMany", [b'{"job"'], stall=True)
    assert status == 408 and headers["content-type"] == "application/json"
    assert json.loads(answer)["error"]["code"] == "body_timeout"


def test_a_push_to_a_queue_route_is_answered_as_through_quart(
        app: daggo_core.DaggoApp) -> None:
    body = json.dumps({"text": "hello"}).encode()
    key = {"Idempotency-Key": "note-1"}
    status, headers, answer = asgi_post(app, "/ingest/notes", [body[:4], body[4:]],
                                        headers=key)
    assert status == 202 and headers["content-type"] == "application/json"
    (accepted,) = json.loads(answer)["accepted"]
    status, _, answer = asgi_post(app, "/ingest/notes", [body], quart_only=True, headers=key)
    deduplicated = json.loads(answer)["deduplicated"]
    assert status == 202 and [d["duplicate_of"] for d in deduplicated] == [accepted]
    fast = asgi_post(app, "/ingest/notes", [b'{"text": 5}'])
    assert fast[0] == 400 and "text: expected str" in json.loads(fast[2])["error"]["message"]
    assert (fast[0], fast[2]) == quart_post(app, "/ingest/notes", b'{"text": 5}')


def test_a_route_with_variable_parts_takes_pushes_through_quart(app: daggo_core.DaggoApp) -> None:
    status, _, answer = asgi_post(app, "/hooks/github", [b'{"text": "push"}'])
    assert status == 202 and len(json.loads(answer)["accepted"]) == 1
